/**
 * sensitive-values-secret on what a VM boots from: every form k3s takes its join token in
 * (pkg/clientaccess/token.go parseToken: the full K10 form with or without the CA hash, a
 * bootstrap token, a bare password), wherever a script or cloud-init gives it, and no alarm for a
 * token the script reads when it runs.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { sensitiveValuesSecret } from "../../policy/rules/sensitive-values-secret";
import { configMapCredential } from "../../policy/lib/credentials";
import { runResource, UNKNOWN } from "../support/policy";

const TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate";
const template = (name: string, script: string) => ({ type: TEMPLATE, name, props: { metadataStartupScript: script, metadata: { "block-project-ssh-keys": "true" } } });
const install = "curl -sfL https://get.k3s.io | sh -s - agent --server https://10.0.0.2:6443";

/** The violation of each named template, or undefined when it passes. */
async function verdicts(scripts: Record<string, string>): Promise<Record<string, string | undefined>> {
  const out = await runResource(sensitiveValuesSecret, Object.entries(scripts).map(([n, s]) => template(n, s)));
  return Object.fromEntries(Object.keys(scripts).map((n) => [n, out.violations.find((v) => v.message.startsWith(`InstanceTemplate ${n}:`))?.message]));
}

// Before, only `--token`, `K3S_TOKEN=`, a `token:` at a line's start and the K10<hash>::<user>:<password>
// form were seen: k3s's -t, a config written with printf or as JSON, the K10 forms without a hash
// or with a bootstrap token, and a bare password in the file token-file names all passed.
test("sensitive-values-secret: a k3s join token in any form k3s takes, wherever a boot script gives it", async () => {
  const hash = "3f".repeat(32);
  const found = await verdicts({
    short: `${install} -t Zq8vN3pL0xR7sT2w\n`,
    printf: "printf 'server: https://10.0.0.2:6443\\ntoken: Zq8vN3pL0xR7sT2w\\n' > /etc/rancher/k3s/config.yaml\n",
    json: `echo '{"server":"https://10.0.0.2:6443","token":"Zq8vN3pL0xR7sT2w"}' > /etc/rancher/k3s/config.yaml\n`,
    appended: "echo 'token: Zq8vN3pL0xR7sT2w' >> /etc/rancher/k3s/config.yaml\n",
    unhashed: "echo K10::server:Zq8vN3pL0xR7sT2w > /etc/k3s-token\n",
    bootstrap: `echo K10${hash}::abcdef.0123456789abcdef > /etc/k3s-token\n`,
    file: "echo Zq8vN3pL0xR7sT2w > /etc/rancher/k3s/token\necho 'token-file: /etc/rancher/k3s/token' >> /etc/rancher/k3s/config.yaml\n",
    heredoc: `cat > /etc/k3s-token <<'EOF'\nabcdef.0123456789abcdef\nEOF\n${install.replace("| sh", "| K3S_TOKEN_FILE=/etc/k3s-token sh")}\n`,
    writeFiles: "#cloud-config\nwrite_files:\n- path: /etc/rancher/k3s/token\n  content: Zq8vN3pL0xR7sT2w\n- path: /etc/rancher/k3s/config.yaml\n  content: |\n    token-file: /etc/rancher/k3s/token\n",
    variable: `TOKEN=Zq8vN3pL0xR7sT2w\n${install} --token "$TOKEN"\n`,
  });
  assert.match(found.short!, /^InstanceTemplate short: metadataStartupScript carries a join token \(given as k3s's -t, its --token\) but metadataStartupScript is not declared secret/);
  for (const n of ["printf", "json", "appended"]) assert.match(found[n]!, /carries a credential \(under token:\)/, n);
  for (const n of ["unhashed", "bootstrap"]) assert.match(found[n]!, /carries a k3s join token but/, n);
  assert.match(found.file!, /carries a join token \(written to \/etc\/rancher\/k3s\/token, the token file k3s reads\)/);
  assert.match(found.heredoc!, /written to \/etc\/k3s-token/);
  assert.match(found.writeFiles!, /written to \/etc\/rancher\/k3s\/token/);
  assert.match(found.variable!, /carries a credential \(given as --token\)/);
  // The same forms as a whole ConfigMap or Helm value, under a key that does not name a token.
  for (const v of ["K10::server:Zq8vN3pL0xR7sT2w", `K10${hash}::abcdef.0123456789abcdef`, "abcdef.0123456789abcdef"]) assert.equal(configMapCredential(v, "join"), "a k3s join token", v);
});

// Before, any value after --token, K3S_TOKEN= or token: counted, so a script that reads the token
// from Secret Manager when it runs (nothing secret in it) had to be declared secret all the same.
test("sensitive-values-secret: a token the script reads when it runs, a path to one, or another tool's -t is no credential", async () => {
  const fetch = "TOKEN=$(gcloud secrets versions access latest --secret=k3s-token)";
  const found = await verdicts({
    flag: `${fetch}\n${install} --token "$TOKEN"\n`,
    env: `${fetch}\ncurl -sfL https://get.k3s.io | K3S_TOKEN="\${TOKEN}" sh -s - agent\n`,
    config: `${fetch}\ncat > /etc/rancher/k3s/config.yaml <<EOF\ntoken: \${TOKEN}\nEOF\n`,
    inline: `${install} --token "$(gcloud secrets versions access latest --secret=k3s-token)"\n`,
    file: "gcloud secrets versions access latest --secret=k3s-token > /etc/rancher/k3s/token\necho 'token-file: /etc/rancher/k3s/token' >> /etc/rancher/k3s/config.yaml\n",
    docker: "docker build -t registry.example.com/agent:1.0 .\nk3s ctr images import agent.tar\n",
    store: "gcloud secrets versions access latest --secret=projects/inference-mesh/secrets/k3s-token > /etc/k3s-token\nK3S_TOKEN_FILE=/etc/k3s-token sh /opt/k3s-install.sh agent\n",
    imds: 'T=$(curl -sX PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")\ncurl -H "X-aws-ec2-metadata-token: $T" http://169.254.169.254/latest/meta-data/\n',
  });
  assert.deepEqual(found, { flag: undefined, env: undefined, config: undefined, inline: undefined, file: undefined, docker: undefined, store: undefined, imds: undefined });
});

// cloud-init uncompresses gzip user-data (its User-Data Formats: "Gzip Compressed Content"), GCE's
// datasource base64-decodes user-data marked `user-data-encoding: base64` (DataSourceGCE.py), and
// write_files decodes `encoding: b64`/`gz+b64` content. Before, only base64 PEM was decoded: a
// token in any of these layers passed.
test("sensitive-values-secret: a credential under base64 and gzip, as cloud-init and scripts decode them", async () => {
  const { gzipSync } = await import("zlib");
  const b64gz = (s: string) => gzipSync(Buffer.from(s)).toString("base64");
  const config = "server: https://10.0.0.2:6443\ntoken: Zq8vN3pL0xR7sT2w\n";
  const cloudConfig = `#cloud-config\nruncmd:\n- curl -sfL https://get.k3s.io | sh -s - agent\nwrite_files:\n- path: /etc/rancher/k3s/config.yaml\n  content: |\n${config.replace(/^/gm, "    ")}`;
  const vm = (name: string, metadata: Record<string, string>) => ({ type: "gcp:compute/instance:Instance", name, props: { metadata } });
  const wrapped = (s: string) => s.replace(/(.{76})/g, "$1\n");
  const out = await runResource(sensitiveValuesSecret, [
    vm("gzipped", { "user-data": b64gz(cloudConfig), "user-data-encoding": "base64" }),
    vm("encoded", { "user-data": Buffer.from(cloudConfig).toString("base64"), "user-data-encoding": "base64" }),
    vm("written", { "user-data": `#cloud-config\nwrite_files:\n- path: /etc/rancher/k3s/config.yaml\n  encoding: gz+b64\n  content: ${b64gz(config)}\n` }),
    vm("piped", { "startup-script": `#!/bin/bash\nbase64 -d <<'EOF' | gunzip > /etc/rancher/k3s/config.yaml\n${wrapped(b64gz(config.repeat(8)))}\nEOF\n` }),
    vm("clean", { "user-data": b64gz("#cloud-config\npackages: [nvidia-driver-580-server]\n"), "user-data-encoding": "base64" }),
    vm("certificate", { "user-data": `#cloud-config\nwrite_files:\n- path: /etc/ssl/ca.crt\n  encoding: b64\n  content: ${Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64")}\n` }),
  ]);
  const of = (n: string) => out.violations.filter((v) => v.message.startsWith(`Instance ${n}:`)).map((v) => v.message);
  assert.match(of("gzipped")[0], /^Instance gzipped: metadata\.user-data carries a credential \(under token:\) \(in its base64\+gzip content\) but metadata is not declared secret/);
  assert.match(of("encoded")[0], /carries a credential \(under token:\) \(in its base64 content\)/);
  assert.match(of("written")[0], /carries a credential \(under token:\) \(in its base64\+gzip content\)/);
  assert.match(of("piped")[0], /metadata\.startup-script carries a credential \(under token:\) \(in its base64\+gzip content\)/);
  assert.deepEqual([...of("clean"), ...of("certificate")], []);
  assert.equal(out.violations.length, 4);
});

// k3s's server takes more credentials than the join token (pkg/cli/cmds/server.go): the S3 secret
// key of its etcd snapshots, and an external datastore's password inside --datastore-endpoint.
// Before, `etcd-s3-secret-key:` and a user:password@ URL passed.
test("sensitive-values-secret: a k3s server's S3 secret key and datastore password are credentials too", async () => {
  const found = await verdicts({
    s3: "cat > /etc/rancher/k3s/config.yaml <<'EOF'\netcd-s3: true\netcd-s3-access-key: AKIAIOSFODNN7EXAMPLE\netcd-s3-secret-key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nEOF\n",
    datastore: `${install.replace("agent --server https://10.0.0.2:6443", "server")} --datastore-endpoint 'postgres://k3s:Zq8vN3pL0xR7sT2w@10.0.0.9:5432/k3s'\n`,
    fetched: `PW=$(gcloud secrets versions access latest --secret=k3s-db)\n${install.replace("agent --server https://10.0.0.2:6443", "server")} --datastore-endpoint "postgres://k3s:\${PW}@10.0.0.9:5432/k3s"\n`,
  });
  assert.match(found.s3!, /carries a credential \(under etcd-s3-secret-key:\)/);
  assert.match(found.datastore!, /carries a credential \(a password in a URL, user:password@\)/);
  assert.equal(found.fetched, undefined);
});

// Before, only GCE VMs were read: k3s on EC2 (an instance's userData, a launch template's base64
// userData, userDataBase64 with gzip) kept its join token in plaintext state unnoticed.
test("sensitive-values-secret: EC2 user data carrying a join token is a secret too; EKS's nodeadm config is none", async () => {
  const { gzipSync } = await import("zlib");
  const script = "#!/bin/bash\ncurl -sfL https://get.k3s.io | K3S_TOKEN=Zq8vN3pL0xR7sT2w sh -s - agent --server https://10.0.0.2:6443\n";
  const nodeadm = "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: aws-use1\n    apiServerEndpoint: https://ABC.gr7.us-east-1.eks.amazonaws.com\n    certificateAuthority: " + Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64") + "\n    cidr: 10.100.0.0/16\n--B--\n";
  const out = await runResource(sensitiveValuesSecret, [
    { type: "aws:ec2/instance:Instance", name: "plain", props: { userData: script } },
    { type: "aws:ec2/launchTemplate:LaunchTemplate", name: "encoded", props: { userData: Buffer.from(script).toString("base64") } },
    { type: "aws:ec2/instance:Instance", name: "gzipped", props: { userDataBase64: gzipSync(Buffer.from(script)).toString("base64") } },
    { type: "aws:ec2/instance:Instance", name: "declared", props: { userData: script }, additionalSecretOutputs: ["userData"] },
    { type: "aws:ec2/launchTemplate:LaunchTemplate", name: "eks-nodes", props: { userData: Buffer.from(nodeadm).toString("base64") } },
  ]);
  assert.deepEqual(out.violations.map((v) => v.message.replace(/ but .*/, "")), [
    "Instance plain: userData carries a credential (given as K3S_TOKEN=)",
    "LaunchTemplate encoded: userData carries a credential (given as K3S_TOKEN=) (in its base64 content)",
    "Instance gzipped: userDataBase64 carries a credential (given as K3S_TOKEN=) (in its base64+gzip content)",
  ]);
  assert.match(out.violations[0].message, /but userData is not declared secret \(not in the resource's additionalSecretOutputs\); list it in additionalSecretOutputs/);
  const later = await runResource(sensitiveValuesSecret, { type: "aws:ec2/launchTemplate:LaunchTemplate", name: "first-preview", props: { userData: UNKNOWN } });
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /userData of LaunchTemplate first-preview/);
});

// printf fills each `%s` of its format with its next argument: before, the format alone was read,
// so a `%s` under `token:` counted as a literal token (a false alarm for one the script reads when
// it runs) and a literal passed as the argument (a Docker `auth`, a token) went unseen.
test("sensitive-values-secret: printf read as what it prints, each %s filled with its argument", async () => {
  const auth = Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64");
  const found = await verdicts({
    dockerConfig: `printf '{"auths":{"%s":{"auth":"%s"}}}\\n' ghcr.io "${auth}" > /root/.docker/config.json\n`,
    token: "printf 'server: https://10.0.0.2:6443\\ntoken: %s\\n' Zq8vN3pL0xR7sT2w > /etc/rancher/k3s/config.yaml\n",
    fetched: "TOKEN=$(gcloud secrets versions access latest --secret=k3s-token)\nprintf 'token: %s\\n' \"$TOKEN\" > /etc/rancher/k3s/config.yaml\n",
    inline: "printf 'token: %s\\n' \"$(gcloud secrets versions access latest --secret=k3s-token)\" > /etc/rancher/k3s/config.yaml\n",
    json: "printf '{\"token\":\"%s\"}' \"$(cat /run/secrets/k3s-token)\" > /etc/rancher/k3s/config.yaml\n",
    login: 'printf \'{"auths":{"ghcr.io":{"auth":"%s"}}}\' "$(gcloud secrets versions access latest --secret=registry-auth)" > /root/.docker/config.json\n',
    envLiteral: "printf 'K3S_TOKEN=%s\\n' Zq8vN3pL0xR7sT2w > /etc/default/k3s\n",
    envFetched: "T=$(gcloud secrets versions access latest --secret=k3s-token)\nprintf 'K3S_TOKEN=%s\\n' \"$T\" > /etc/default/k3s\n",
    urlFetched: "printf 'datastore-endpoint: postgres://k3s:%s@10.0.0.9:5432/k3s\\n' \"$(cat /run/secrets/db)\" > /etc/rancher/k3s/config.yaml\n",
  });
  assert.match(found.dockerConfig!, /carries registry credentials \(a base64 user:password under auth/);
  assert.match(found.token!, /carries a credential \(under token:\)/);
  assert.match(found.envLiteral!, /carries a credential \(given as K3S_TOKEN=\)/);
  const quiet = ["fetched", "inline", "json", "login", "envFetched", "urlFetched"];
  assert.deepEqual(quiet.filter((n) => found[n] !== undefined), []);
});

// A printf format in double quotes escapes its quotes (`\"`), which do not end the string (POSIX
// sh 2.2.3 Double-Quotes): before, the words were split at each `\"`, so the format was never
// filled with its argument and a Docker login passed as that argument went unseen.
test("sensitive-values-secret: a double-quoted printf format with escaped quotes is read as what it prints", async () => {
  const auth = Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64");
  const format = '"{\\"auths\\":{\\"ghcr.io\\":{\\"auth\\":\\"%s\\"}}}"';
  const found = await verdicts({
    literal: `printf ${format} ${auth} > /root/.docker/config.json\n`,
    example: `printf ${format} dXNlcjpwYXNzd29yZA== > /root/.docker/config.json\n`,
    escapedBackslash: `printf "token: %s\\\\" Zq8vN3pL0xR7sT2w > /etc/rancher/k3s/config.yaml\n`,
    fetched: `printf ${format} "$(gcloud secrets versions access latest --secret=registry-auth)" > /root/.docker/config.json\n`,
  });
  assert.match(found.literal!, /carries registry credentials \(a base64 user:password under auth/);
  assert.match(found.example!, /carries registry credentials \(a base64 user:password under auth/);
  assert.match(found.escapedBackslash!, /carries a credential \(under token:\)/);
  assert.equal(found.fetched, undefined);
});
