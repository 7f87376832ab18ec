/**
 * mesh-multicluster-wiring on the content of remote secrets (readable only decrypted): istiod
 * builds each cluster's client from the kubeconfig under its key (Istio 1.30.3
 * pkg/kube/multicluster/secretcontroller.go → pkg/kube/util.go NewUntrustedRestConfig: load,
 * validate, sanitize), and leaves the cluster out, logging only, when it cannot. Before, only the
 * keys were read, so a kubeconfig istiod cannot use, or one pointing at another cluster's API
 * server, passed.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMulticlusterWiring } from "../../policy/rules/mesh-multicluster-wiring";
import { refusedAuth } from "../../policy/lib/remote-kubeconfig";
import { runStack, UNKNOWN } from "../support/policy";
import { kubeconfigFor, messages, wiredCluster } from "./mesh-support";

/** Clusters a, b, c fully wired, with the kubeconfig a holds for b replaced by `kubeconfig`. */
function meshWith(kubeconfig: unknown, istiodValues?: Record<string, unknown>) {
  const stack = ["a", "b", "c"].flatMap((n) => wiredCluster(n, ["a", "b", "c"].filter((o) => o !== n)));
  (stack.find((r) => r.name === "a-remote-b")!.props as any).stringData = kubeconfig === UNKNOWN ? UNKNOWN : { b: kubeconfig };
  if (istiodValues) Object.assign((stack.find((r) => r.name === "a-istiod")!.props as any).values, istiodValues);
  return runStack(meshMulticlusterWiring, stack);
}

const prefix = "cluster a: remote secret istio-system/istio-remote-secret-b: the kubeconfig for cluster b";

test("mesh-multicluster-wiring: a remote secret's kubeconfig pointing at another mesh cluster's API server fails", async () => {
  assert.deepEqual(messages(await meshWith(kubeconfigFor("b"))), []);
  assert.deepEqual(messages(await meshWith(kubeconfigFor("b", "https://c.example.com:6443"))), [
    `${prefix} points at https://c.example.com:6443, the API server of cluster c (b's is https://b.example.com:6443): istiod registers c's services and endpoints as cluster b's and never reads b`,
  ]);
  // An address no provider names (a private endpoint over a VPN, say) is no evidence of a wrong cluster.
  assert.deepEqual(messages(await meshWith(kubeconfigFor("b", "https://10.0.0.2:6443"))), []);
  // Ciphertext (reviewed without the passphrase): the keys come from the annotation, the content is not judged.
  assert.deepEqual(messages(await meshWith(UNKNOWN)), []);
});

test("mesh-multicluster-wiring: a remote secret's kubeconfig istiod cannot build a client from fails", async () => {
  assert.deepEqual(messages(await meshWith("apiVersion: v1\nkind: Config\n")), [
    `${prefix} names no current-context: istiod cannot build a client for b (Istio 1.30.3 kube.NewUntrustedRestConfig) and never reads its services and endpoints`,
  ]);
  assert.match(messages(await meshWith(kubeconfigFor("b").replace("current-context: b", "current-context: other"))).join("\n"), /the kubeconfig for cluster b has no context other \(its current-context\): /);
  assert.match(messages(await meshWith(kubeconfigFor("b").replace("    server: https://b.example.com:6443\n", ""))).join("\n"), /the kubeconfig for cluster b gives cluster b no server: /);
  assert.match(messages(await meshWith("clusters: [")).join("\n"), /the kubeconfig for cluster b is not YAML /);
});

test("mesh-multicluster-wiring: authentication istiod refuses in a remote secret (exec, auth providers but oidc, credential files) fails unless PILOT_INSECURE_MULTICLUSTER_KUBECONFIG_OPTIONS allows it", async () => {
  const exec = kubeconfigFor("b", undefined, { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token"] } });
  assert.deepEqual(messages(await meshWith(exec)), [
    `${prefix} authenticates with exec, which istiod refuses unless its env PILOT_INSECURE_MULTICLUSTER_KUBECONFIG_OPTIONS allows it ("kubeconfig is not allowed"): it never reads b's services and endpoints; use a token (istioctl create-remote-secret's default)`,
  ]);
  assert.deepEqual(messages(await meshWith(exec, { env: { AMBIENT_ENABLE_MULTI_NETWORK: "true", PILOT_INSECURE_MULTICLUSTER_KUBECONFIG_OPTIONS: "exec" } })), []);
  assert.deepEqual(messages(await meshWith(exec, { pilot: { env: { PILOT_INSECURE_MULTICLUSTER_KUBECONFIG_OPTIONS: "gcp,exec" } } })), [], "pilot.* is merged over the top level by the chart");
  assert.match(messages(await meshWith(kubeconfigFor("b", undefined, { "auth-provider": { name: "gcp" } }))).join("\n"), /authenticates with auth-provider gcp, /);
  assert.deepEqual(messages(await meshWith(kubeconfigFor("b", undefined, { "auth-provider": { name: "oidc", config: { "id-token": "x" } } }))), []);
  assert.match(messages(await meshWith(kubeconfigFor("b", undefined, { "client-certificate": "/etc/b.crt", "client-key": "/etc/b.key" }))).join("\n"), /authenticates with client-key \(a file\), client-certificate \(a file\), /);
  assert.deepEqual(messages(await meshWith(kubeconfigFor("b", undefined, { "client-certificate-data": "Y2VydA==", "client-key-data": "a2V5" }))), []);
});

test("remote kubeconfig: refused authentication is read only from a kubeconfig that is a YAML mapping", () => {
  const exec = "users:\n- name: b\n  user: {exec: {command: aws}}\n";
  assert.deepEqual(refusedAuth(exec, new Set()), ["exec"]);
  // A list of it, a scalar, text that is not YAML (reported as such by kubeconfigServer): nothing more to name.
  for (const text of [`- ${exec.replace(/\n(?=.)/g, "\n  ")}`, "exec", "users: [\n"]) assert.deepEqual(refusedAuth(text, new Set()), [], text);
});

test("mesh-multicluster-wiring: a remote secret whose only credential is an EKS IAM token (aws eks get-token's k8s-aws-v1.) fails: it expires 15 minutes after signing", async () => {
  // kubernetes-sigs/aws-iam-authenticator pkg/token/token.go: the token is `k8s-aws-v1.` and a presigned
  // STS GetCallerIdentity URL; Verify refuses it once X-Amz-Date is 15 minutes old (presignedURLExpiration).
  const presigned = "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Date=20261203T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id";
  const iam = `k8s-aws-v1.${Buffer.from(presigned).toString("base64url")}`;
  assert.deepEqual(messages(await meshWith(kubeconfigFor("b", undefined, { token: iam }))), [
    `${prefix} authenticates with an EKS IAM token (k8s-aws-v1., as aws eks get-token prints it) as its static bearer token, which EKS's authenticator refuses 15 minutes after it was signed (kubernetes-sigs/aws-iam-authenticator pkg/token/token.go Verify): istiod loses b's services and endpoints within minutes and never reads them after a restart; use a ServiceAccount token (istioctl create-remote-secret's default)`,
  ]);
  // Beside a client certificate, which the API server authenticates first, the token need not be what reads.
  assert.deepEqual(messages(await meshWith(kubeconfigFor("b", undefined, { token: iam, "client-certificate-data": "Y2VydA==", "client-key-data": "a2V5" }))), []);
  // A ServiceAccount token (a JWT) is long-lived: not judged so.
  assert.deepEqual(messages(await meshWith(kubeconfigFor("b", undefined, { token: "eyJhbGciOiJSUzI1NiJ9.e30.sig" }))), []);
});
