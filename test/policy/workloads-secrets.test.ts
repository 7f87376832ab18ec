/**
 * Policy tests for sensitive-values-secret: startup scripts, kubeconfigs, tokens and CA keys stay
 * secret, and no ConfigMap holds them.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { sensitiveValuesSecret } from "../../policy/rules/sensitive-values-secret";
import { kubeconfigCredentials } from "../../policy/lib/credentials";
import { scriptHasCredentials } from "../../policy/lib/boot-scripts";
import { runResource, UNKNOWN } from "../support/policy";

const SECRET = "kubernetes:core/v1:Secret";

const kubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\nusers:\n- name: admin\n  user:\n    client-key-data: S0VZ\n";

const execKubeconfig = JSON.stringify({ apiVersion: "v1", kind: "Config", users: [{ name: "aws", user: { exec: { command: "aws", args: ["eks", "get-token", "--cluster-name", "c"] } } }] });

test("sensitive-values-secret: VM startup scripts carrying a join token or private key stay secret", async () => {
  assert.ok(scriptHasCredentials("cat > /etc/rancher/k3s/config.yaml <<'EOF'\ntoken: abc123\nEOF"));
  assert.ok(scriptHasCredentials("-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----"));
  assert.ok(scriptHasCredentials("curl -sfL https://get.k3s.io | K3S_TOKEN=s3cr3t sh -"));
  assert.ok(scriptHasCredentials("#cloud-config\nwrite_files:\n- content: |\n    agent-token: abc\n"), "k3s's agent-token is a join credential too");
  assert.ok(!scriptHasCredentials("#!/bin/sh\napt-get install -y nvidia-driver-580\n# tokens are fetched later\n"));
  // Before, a secure token written to the file `token-file` (K3S_TOKEN_FILE) names was not seen.
  const secure = `K10${"3f".repeat(32)}::node:Zq8vN3pL0xR7sT2w`;
  assert.ok(scriptHasCredentials(`printf %s '${secure}' > /etc/rancher/k3s/token\necho 'token-file: /etc/rancher/k3s/token' >> /etc/rancher/k3s/config.yaml\n`));
  assert.ok(scriptHasCredentials(`echo ${secure} > /etc/k3s-token\ncurl -sfL https://get.k3s.io | K3S_TOKEN_FILE=/etc/k3s-token sh -s - agent\n`));
  assert.ok(!scriptHasCredentials("echo 'token-file: /etc/rancher/k3s/token' >> /etc/rancher/k3s/config.yaml\n"), "a path to the token is no token");
  // Before, a CA key base64-encoded (cloud-init write_files with encoding b64, or `base64 -d`) was not seen.
  const key = Buffer.from("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIPSB9B\n-----END EC PRIVATE KEY-----\n").toString("base64");
  assert.ok(scriptHasCredentials(`#cloud-config\nwrite_files:\n- path: /var/lib/rancher/k3s/server/tls/server-ca.key\n  encoding: b64\n  content: ${key}\n`));
  assert.ok(scriptHasCredentials(`echo ${key.slice(0, 64)}\n${key.slice(64)} | base64 -d > /var/lib/rancher/k3s/server/tls/client-ca.key`), "wrapped at 64 columns");
  const cert = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");
  assert.ok(!scriptHasCredentials(`echo ${cert} | base64 -d > /var/lib/rancher/k3s/server/tls/server-ca.crt`), "a certificate is no credential");
  const script = "#!/bin/sh\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\ntoken: abc123\nEOF\n";
  const vm = (type: string, extra: Record<string, unknown> = {}) => ({ type, name: "k3s-server", props: { metadataStartupScript: script }, ...extra });
  const ok = await runResource(sensitiveValuesSecret, [
    vm("gcp:compute/instance:Instance", { additionalSecretOutputs: ["metadataStartupScript"] }),
    { type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "agents", props: { metadataStartupScript: UNKNOWN }, additionalSecretOutputs: ["metadataStartupScript"] },
    { type: "gcp:compute/instance:Instance", name: "web", props: { metadataStartupScript: "#!/bin/sh\necho hello\n" } },
  ]);
  assert.deepEqual(ok.violations, []);
  // Encrypted in the export under review (or computed): unreadable, so only additionalSecretOutputs can clear it.
  const hidden = await runResource(sensitiveValuesSecret, { type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "agents", props: { metadataStartupScript: UNKNOWN } });
  assert.match(hidden.violations[0].message, /InstanceTemplate agents: metadataStartupScript cannot be read here .* not in additionalSecretOutputs/);
  const bad = await runResource(sensitiveValuesSecret, [
    vm("gcp:compute/instance:Instance"),
    vm("gcp:compute/instanceTemplate:InstanceTemplate", { props: { metadata: { "startup-script": script } } }),
  ]);
  assert.equal(bad.violations.length, 2);
  assert.match(bad.violations[0].message, /Instance k3s-server: metadataStartupScript carries a credential \(under token:\) but metadataStartupScript is not declared secret \(not in the resource's additionalSecretOutputs\)/);
  assert.match(bad.violations[1].message, /metadata\.startup-script carries a credential \(under token:\)/);
  // Any metadata value the VM hands to cloud-init counts, not only startup-script.
  const userData = await runResource(sensitiveValuesSecret, vm("gcp:compute/instance:Instance", { props: { metadata: { "user-data": "#cloud-config\n  token: abc\n" } } }));
  assert.match(userData.violations[0].message, /metadata\.user-data carries a credential \(under token:\)/);
});

test("sensitive-values-secret: kubeconfigs, tokens and CA keys stay secret", async () => {
  const ok = await runResource(sensitiveValuesSecret, [
    { type: "pulumi:providers:kubernetes", name: "local-k8s", props: { kubeconfig: "/home/me/.kube/config" }, provider: null },
    { type: "pulumi:providers:kubernetes", name: "eks-k8s", props: { kubeconfig: UNKNOWN }, additionalSecretOutputs: ["kubeconfig"], provider: null },
    { type: "pulumi:providers:kubernetes", name: "gke-k8s", props: { kubeconfig }, additionalSecretOutputs: ["kubeconfig"], provider: null },
    // An exec-plugin kubeconfig (EKS) holds no credential; a real preview sees it unwrapped.
    { type: "pulumi:providers:kubernetes", name: "eks-plain-k8s", props: { kubeconfig: execKubeconfig }, provider: null },
    { type: SECRET, props: { metadata: { name: "cacerts", namespace: "istio-system" }, stringData: { "ca-key.pem": "k" } }, additionalSecretOutputs: ["data", "stringData"] },
    { type: SECRET, props: { metadata: { name: "reader-token", namespace: "istio-system" }, type: "kubernetes.io/service-account-token" }, additionalSecretOutputs: ["data", "stringData"] },
    { type: SECRET, props: { metadata: { name: "plain-config" }, stringData: { a: "b" } } },
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(sensitiveValuesSecret, [
    { type: "pulumi:providers:kubernetes", name: "gke-k8s", props: { kubeconfig }, provider: null },
    // `pulumi preview` decrypts a secret kubeconfig before the pack sees it: ciphertext offline is no excuse.
    { type: "pulumi:providers:kubernetes", name: "k3s-k8s", props: { kubeconfig: UNKNOWN }, provider: null },
    { type: SECRET, props: { metadata: { name: "cacerts", namespace: "istio-system" }, stringData: { "ca-key.pem": "k" } } },
    { type: SECRET, props: { metadata: { name: "reader-token", namespace: "istio-system" }, type: "kubernetes.io/service-account-token" } },
    { type: SECRET, props: { metadata: { name: "istio-remote-secret-b", namespace: "istio-system", labels: { "istio/multiCluster": "true" } }, data: { b: kubeconfig } } },
  ]);
  assert.equal(bad.violations.length, 5, JSON.stringify(bad.violations, null, 1));
  // What fixes these is additionalSecretOutputs, a resource option a remediation cannot set (it
  // returns properties only): before, a remediation wrapped the kubeconfig input, the preview
  // said the provider was remediated, and the same violation followed.
  assert.equal(sensitiveValuesSecret.remediateResource, undefined);
});

// A ConfigMap has no secret fields (pulumi-kubernetes declares none; the API server serves it to
// every reader of ConfigMaps): a CA key or credential kubeconfig there is plaintext everywhere.
test("sensitive-values-secret: no ConfigMap holds a private key or a kubeconfig carrying credentials", async () => {
  const CM = "kubernetes:core/v1:ConfigMap";
  const cm = (name: string, data: Record<string, string>, field = "data") => ({ type: CM, name, props: { metadata: { name, namespace: "istio-system" }, [field]: data } });
  const ok = await runResource(sensitiveValuesSecret, [
    cm("root-cert", { "root-cert.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" }),
    cm("exec-kubeconfig", { config: execKubeconfig }),
    cm("epp", { "default-plugins.yaml": "plugins:\n- type: max-score-picker\n  parameters:\n    maxTokens: 10\n" }),
    // Keys that only mention a token (a JSONPath to one, a file holding one) name no credential.
    cm("paths", { "token-key": "{.credential.access_token}", tokenFile: "/var/run/secrets/token", "token.path": "/var/run/secrets/token" }),
    // A key naming a credential may still hold none: a switch, a path, a Secret's name.
    // A CA bundle base64-encoded (a webhook's caBundle) is no key.
    cm("bundle", { "ca.crt": Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64") }),
    cm("refs", { "enable-token": "true", "max-token": "4096", "sa-token": "/var/run/secrets/kubernetes.io/serviceaccount/token", "tls-secret": "gateway-cert", clientSecret: "oidc-client.v2" }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(sensitiveValuesSecret, [
    cm("ca", { "ca-key.pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n" }),
    cm("admin", { kubeconfig }),
    cm("json", { config: JSON.stringify({ apiVersion: "v1", kind: "Config", users: [{ name: "ci", user: { token: "t0k3n" } }] }) }),
    cm("bin", { "key.pem": Buffer.from("-----BEGIN EC PRIVATE KEY-----\nx\n").toString("base64") }, "binaryData"),
    cm("b64", { "tls.key": Buffer.from("-----BEGIN EC PRIVATE KEY-----\nx\n").toString("base64") }),
    // A token moved out of a kubeconfig or Secret is a credential on its own: a service-account
    // JWT, k3s's full join token, or a bare value only its key names.
    cm("sa", { reader: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6aXN0aW8tc3lzdGVtOnJlYWRlciJ9.c2ln" }),
    cm("join", { server: `K10${"a".repeat(64)}::server:s3cr3t` }),
    cm("k3s", { "join-token": "p4ssw0rdp4ssw0rd" }),
    cm("oidc", { "client-secret": "GOCSPX-Zq3x9Lm2vT8wRk4yPn7", "admin-password": "hunter2" }),
    cm("llm", { OPENAI_API_KEY: "sk-proj-abc123def456", "signing-private-key": "b64:AAAAC3NzaC1lZDI1NTE5" }),
  ]);
  assert.deepEqual(bad.violations.map((v) => v.message), [
    "ConfigMap istio-system/ca data.ca-key.pem holds a private key: a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/admin data.kubeconfig holds a kubeconfig carrying credentials (client-key-data): a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/json data.config holds a kubeconfig carrying credentials (token): a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/bin binaryData.key.pem holds a private key: a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/b64 data.tls.key holds a private key (base64-encoded): a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/sa data.reader holds a bearer token (a JWT, as service-account tokens are): a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/join data.server holds a k3s join token: a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/k3s data.join-token holds a credential (its key join-token names one): a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/oidc data.client-secret holds a credential (its key client-secret names one): a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/oidc data.admin-password holds a credential (its key admin-password names one): a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/llm data.OPENAI_API_KEY holds a credential (its key OPENAI_API_KEY names one): a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
    "ConfigMap istio-system/llm data.signing-private-key holds a credential (its key signing-private-key names one): a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret",
  ]);
});

test("sensitive-values-secret: auth-provider tokens and secrets, and secret exec env vars, are kubeconfig credentials", async () => {
  const authProvider = "apiVersion: v1\nkind: Config\nusers:\n- name: oidc\n  user:\n    auth-provider:\n      name: oidc\n      config:\n        client-id: kube\n        client-secret: s3cr3t\n        refresh-token: r1\n        idp-issuer-url: https://idp.example\n";
  const execEnv = "apiVersion: v1\nkind: Config\nusers:\n- name: aws\n  user:\n    exec:\n      command: aws\n      args:\n      - eks\n      - get-token\n      env:\n      - name: AWS_PROFILE\n        value: prod\n      - name: AWS_SECRET_ACCESS_KEY\n        value: wJalrXUtnFEMI\n";
  assert.deepEqual(kubeconfigCredentials(authProvider), ["client-secret", "refresh-token"]);
  assert.deepEqual(kubeconfigCredentials(execEnv), ["exec env AWS_SECRET_ACCESS_KEY"]);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: gke\n  user:\n    auth-provider:\n      name: gcp\n      config:\n        access-token: ya29.x\n        token-key: '{.credential.access_token}'\n"), ["access-token"]);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: aws\n  user:\n    exec:\n      command: aws\n      env: [{name: AWS_SESSION_TOKEN, value: FwoG}]\n"), ["exec env AWS_SESSION_TOKEN"]);
  assert.deepEqual(kubeconfigCredentials(JSON.stringify({ users: [{ name: "a", user: { "auth-provider": { name: "azure", config: { "access-token": "x", "tenant-id": "t" } } } }] })), ["access-token"]);
  // Settings that name no secret: a profile, a token file path, gcp's JSONPath keys, an exec-only user.
  assert.deepEqual(kubeconfigCredentials(execEnv.replace(/      - name: AWS_SECRET_ACCESS_KEY\n        value: wJalrXUtnFEMI\n/, "      - name: AWS_WEB_IDENTITY_TOKEN_FILE\n        value: /var/run/secrets/token\n")), []);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: gke\n  user:\n    auth-provider:\n      name: gcp\n      config:\n        cmd-path: /usr/bin/gcloud\n        token-key: '{.credential.access_token}'\n"), []);
  assert.deepEqual(kubeconfigCredentials(execKubeconfig), []);
  // Read as YAML is read: anchors, block scalars, numbers and quoted keys set credentials too.
  assert.deepEqual(kubeconfigCredentials("users:\n- name: a\n  user: &u\n    token: |\n      eyJhbGci\n- name: b\n  user: *u\n"), ["token"]);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: a\n  user:\n    exec:\n      env:\n      - {name: VAULT_TOKEN, value: 12345}\n"), ["exec env VAULT_TOKEN"]);
  assert.deepEqual(kubeconfigCredentials('users:\n- name: a\n  user: {"password": 0}\n'), ["password"]);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: a\n  user:\n    token: ''\n    password: ~\n"), []);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: a\n  user:\n    token: abc\n---\n"), ["token"]);
  assert.deepEqual(kubeconfigCredentials("users:\n- name: a\n  user:\n    exec:\n      command: aws\n---\n"), []);
  // Text no YAML reader takes (a tab indent) may hold anything: it counts as credentials.
  assert.match(kubeconfigCredentials("users:\n- name: a\n  user:\n\ttoken: x\n").join(), /not YAML this pack can read/);
  const provider = (name: string, kc: string, extra: Record<string, unknown> = {}) => ({ type: "pulumi:providers:kubernetes", name, props: { kubeconfig: kc }, provider: null, ...extra });
  const ok = await runResource(sensitiveValuesSecret, [
    provider("oidc-k8s", authProvider, { additionalSecretOutputs: ["kubeconfig"] }),
    provider("aws-k8s", execEnv, { additionalSecretOutputs: ["kubeconfig"] }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(sensitiveValuesSecret, [provider("oidc-k8s", authProvider), provider("aws-k8s", execEnv)]);
  assert.equal(bad.violations.length, 2, JSON.stringify(bad.violations, null, 1));
  // Policies see secrets unwrapped: the message says what is known, that the output is not declared secret.
  assert.match(bad.violations[0].message, /^provider oidc-k8s: the inline kubeconfig carries credentials \(client-secret, refresh-token\) and its kubeconfig is not declared secret \(not in the resource's additionalSecretOutputs\), so its output may sit in state in plaintext; list "kubeconfig"/);
  assert.match(bad.violations[1].message, /carries credentials \(exec env AWS_SECRET_ACCESS_KEY\)/);
});

test("sensitive-values-secret: Secret data unknown in a preview is still data to keep secret, and one unknown VM metadata entry hides no other", async () => {
  const cacerts = (extra: Record<string, unknown> = {}) => ({ type: SECRET, props: { metadata: { name: "cacerts", namespace: "istio-system" }, stringData: UNKNOWN }, ...extra });
  // Whether it is set is all that matters (the Secret's kind says what it holds): before, an unknown value passed unchecked.
  const hidden = await runResource(sensitiveValuesSecret, cacerts());
  assert.deepEqual(hidden.violations.map((v) => v.message), [
    "Secret istio-system/cacerts holds the mesh CA key (ca-key.pem) but its stringData is not declared secret (not in the resource's additionalSecretOutputs); create it with k8s.core.v1.Secret (which declares data and stringData secret) or list them in additionalSecretOutputs",
  ]);
  assert.deepEqual((await runResource(sensitiveValuesSecret, cacerts({ additionalSecretOutputs: ["data", "stringData"] }))).violations, []);
  // VM metadata read entry by entry (before: one unknown entry crashed the check, hiding the token beside it).
  const vm = await runResource(sensitiveValuesSecret, { type: "gcp:compute/instance:Instance", name: "agent", props: { metadata: { "startup-script": UNKNOWN, "user-data": "#cloud-config\n  token: abc\n" } } });
  assert.deepEqual(vm.unknown, []);
  assert.equal(vm.violations.length, 2);
  assert.match(vm.violations[0].message, /metadata\.startup-script cannot be read here/);
  assert.match(vm.violations[1].message, /metadata\.user-data carries a credential \(under token:\)/);
});

test("sensitive-values-secret: tls keys, random passwords and any Secret holding a key or kubeconfig stay secret", async () => {
  const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n";
  // As their SDK classes register them: every key form declared secret.
  const ok = await runResource(sensitiveValuesSecret, [
    { type: "tls:index/privateKey:PrivateKey", name: "root-ca-key", props: { algorithm: "RSA" }, additionalSecretOutputs: ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"] },
    { type: "tls:index/locallySignedCert:LocallySignedCert", name: "ca", props: { caPrivateKeyPem: PEM }, additionalSecretOutputs: ["caPrivateKeyPem", "caPrivateKeyPemWo"] },
    { type: "tls:index/certRequest:CertRequest", name: "csr-wo", props: { privateKeyPemWo: PEM } },
    { type: "random:index/randomPassword:RandomPassword", name: "k3s-token", props: { length: 48 }, additionalSecretOutputs: ["bcryptHash", "result"] },
    { type: SECRET, name: "plain", props: { metadata: { name: "settings" }, stringData: { mode: "fast" } } },
  ]);
  assert.deepEqual(ok.violations, []);
  const key = await runResource(sensitiveValuesSecret, { type: "tls:index/privateKey:PrivateKey", name: "root-ca-key", props: { algorithm: "RSA" }, additionalSecretOutputs: ["privateKeyPem"] });
  assert.match(key.violations[0]?.message ?? "", /^PrivateKey root-ca-key holds a private key but privateKeyPemPkcs8, privateKeyOpenssh are not declared secret/);
  const csr = await runResource(sensitiveValuesSecret, { type: "tls:index/certRequest:CertRequest", name: "csr", props: { privateKeyPem: PEM } });
  assert.match(csr.violations[0]?.message ?? "", /CertRequest csr holds the private key it signs with but privateKeyPem is not declared secret/);
  const token = await runResource(sensitiveValuesSecret, { type: "random:index/randomPassword:RandomPassword", name: "k3s-token", props: { length: 48 } });
  assert.match(token.violations[0]?.message ?? "", /holds a password or join token but result, bcryptHash are not declared secret/);
  // Before, a join token drawn as a RandomString (whose result @pulumi/random keeps in plaintext) passed.
  const drawn = await runResource(sensitiveValuesSecret, [
    { type: "random:index/randomString:RandomString", name: "gcp-usc1-k3s-token", props: { length: 48 } },
    { type: "random:index/randomString:RandomString", name: "admin-Password", props: { length: 24 } },
  ]);
  assert.deepEqual(drawn.violations.map((v) => v.message.split(":")[0]), ["RandomString gcp-usc1-k3s-token is named as a credential (token) but its result is not declared secret", "RandomString admin-Password is named as a credential (Password) but its result is not declared secret"]);
  assert.deepEqual((await runResource(sensitiveValuesSecret, [
    { type: "random:index/randomString:RandomString", name: "k3s-token", props: { length: 48 }, additionalSecretOutputs: ["result"] },
    { type: "random:index/randomString:RandomString", name: "bucket-suffix", props: { length: 8 } },
  ])).violations, []);
  // An Opaque Secret of any name: what it holds decides, in stringData or base64 data.
  for (const props of [{ stringData: { "tls.key": PEM } }, { data: { config: Buffer.from(kubeconfig).toString("base64") } }]) {
    const r = await runResource(sensitiveValuesSecret, { type: SECRET, name: "copy", props: { metadata: { name: "copy", namespace: "agents" }, type: "Opaque", ...props } });
    assert.match(r.violations[0]?.message ?? "", /^Secret agents\/copy holds a (private key|kubeconfig carrying credentials \(client-key-data\)) \((stringData\.tls\.key|data\.config)\) but its (stringData|data) is not declared secret/, JSON.stringify(props));
  }
});

// @pulumi/eks v4.3.0 makes its own kubernetes provider (`<name>-eks-k8s`, child of the
// eks:index:Cluster) from the kubeconfig it generates: an `aws eks get-token` exec plugin, no
// credential. Unknown in a cluster's first preview, it failed every first preview of an EKS stack.
test("sensitive-values-secret: @pulumi/eks's own provider passes with a kubeconfig not known yet; what it holds is still judged", async () => {
  const eksUrn = (name: string) => `urn:pulumi:test::inference-mesh::inference-mesh:cloud:EksCluster$eks:index:Cluster$pulumi:providers:kubernetes::${name}`;
  const eksOwn = (kc: unknown) => ({ type: "pulumi:providers:kubernetes", name: "a-eks-eks-k8s", urn: eksUrn("a-eks-eks-k8s"), props: { kubeconfig: kc }, provider: null });
  assert.deepEqual((await runResource(sensitiveValuesSecret, [eksOwn(UNKNOWN), eksOwn(execKubeconfig)])).violations, []);
  // Content that carries a credential is reported wherever the provider sits.
  assert.match((await runResource(sensitiveValuesSecret, eksOwn(kubeconfig))).violations[0]?.message ?? "", /provider a-eks-eks-k8s: the inline kubeconfig carries credentials \(client-key-data\)/);
  // The program's own provider (a child of its component, not of eks:index:Cluster) must still declare it.
  const own = { type: "pulumi:providers:kubernetes", name: "a-k8s", urn: "urn:pulumi:test::inference-mesh::inference-mesh:cloud:EksCluster$pulumi:providers:kubernetes::a-k8s", props: { kubeconfig: UNKNOWN }, provider: null };
  assert.match((await runResource(sensitiveValuesSecret, own)).violations[0]?.message ?? "", /provider a-k8s: kubeconfig cannot be read here/);
});

// Secret types that hold a credential by definition (Kubernetes "Secret types"): before, a node
// bootstrap token, registry credentials or a basic-auth password passed in plaintext state unless
// its value happened to look like a private key or kubeconfig.
test("sensitive-values-secret: bootstrap-token, registry, basic-auth and SSH Secrets are credentials by their type", async () => {
  const typed = (type: string, stringData: Record<string, string>, extra: Record<string, unknown> = {}) => ({ type: SECRET, props: { metadata: { name: "creds", namespace: "kube-system" }, type, stringData }, ...extra });
  const cases: [string, Record<string, string>, string][] = [
    ["bootstrap.kubernetes.io/token", { "token-id": "abcdef", "token-secret": "0123456789abcdef" }, "a bootstrap (node join) token"],
    ["kubernetes.io/dockerconfigjson", { ".dockerconfigjson": '{"auths":{"ghcr.io":{"auth":"dTpw"}}}' }, "registry credentials"],
    ["kubernetes.io/basic-auth", { username: "u", password: "p" }, "a basic-auth password"],
    ["kubernetes.io/ssh-auth", { "ssh-privatekey": "AAAA" }, "an SSH private key"],
  ];
  for (const [type, data, what] of cases) {
    const bad = await runResource(sensitiveValuesSecret, typed(type, data));
    assert.deepEqual(bad.violations.map((v) => v.message), [`Secret kube-system/creds holds ${what} but its stringData is not declared secret (not in the resource's additionalSecretOutputs); create it with k8s.core.v1.Secret (which declares data and stringData secret) or list them in additionalSecretOutputs`]);
    assert.deepEqual((await runResource(sensitiveValuesSecret, typed(type, data, { additionalSecretOutputs: ["data", "stringData"] }))).violations, []);
  }
  // Types that name no credential stay judged by content only.
  assert.deepEqual((await runResource(sensitiveValuesSecret, typed("Opaque", { greeting: "hello" }))).violations, []);
  assert.deepEqual((await runResource(sensitiveValuesSecret, typed("constructor", { greeting: "hello" }))).violations, []);
});

// Every @pulumi/gcp compute resource that takes a startup script: before, only Instance and
// InstanceTemplate were read, so a fork's regional template carried the k3s join token in plaintext.
test("sensitive-values-secret: regional templates and instances from a template or machine image keep their startup scripts secret too", async () => {
  const script = "#!/bin/sh\ncurl -sfL https://get.k3s.io | K3S_TOKEN=s3cr3t sh -\n";
  for (const type of ["gcp:compute/regionInstanceTemplate:RegionInstanceTemplate", "gcp:compute/instanceFromTemplate:InstanceFromTemplate", "gcp:compute/instanceFromMachineImage:InstanceFromMachineImage"]) {
    const bad = await runResource(sensitiveValuesSecret, { type, name: "k3s", props: { metadataStartupScript: script, metadata: { "startup-script": script } } });
    assert.equal(bad.violations.length, 2, type);
    assert.match(bad.violations[0].message, new RegExp(`^${type.split(":").pop()} k3s: metadataStartupScript carries a credential \\(given as K3S_TOKEN=\\)`));
    assert.deepEqual((await runResource(sensitiveValuesSecret, { type, name: "k3s", props: { metadataStartupScript: script, metadata: { "startup-script": script } }, additionalSecretOutputs: ["metadataStartupScript", "metadata"] })).violations, []);
  }
});
