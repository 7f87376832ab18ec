/**
 * The k3s join-token fixtures of the boot-script cases, shared by the policy tests
 * (test/policy/workloads-boot-*.test.ts, and workloads-support.ts's writes and clean) and the
 * review's mutations (test/policy-review/mutations-boot-flow.ts).
 */

/** A boot script's prefix pointing k3s's token-file at /etc/rancher/k3s/token. */
export const TOKEN_FILE = "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\n";
/** A join token, as a boot script holds it. */
export const T = "Zq8vN3pL0xR7sT2w";
