/**
 * sensitive-values-secret on registry logins and config files held as one value: Docker's
 * config.json (`auths.<registry>.auth`, docker/cli AuthConfig) and k3s's registries.yaml
 * (`configs.<registry>.auth`, docs.k3s.io Private Registry Configuration) hold `user:password`
 * base64-encoded under `auth`, which no key name gives away; and a config file in a ConfigMap,
 * env var or Helm value is as plaintext as the value holding it.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { sensitiveValuesSecret } from "../../policy/rules/sensitive-values-secret";
import { scriptCredential } from "../../policy/lib/boot-scripts";
import { runResource } from "../support/policy";
import { helmRelease } from "./workloads-support";

const CM = "kubernetes:core/v1:ConfigMap";
const b64 = (s: string) => Buffer.from(s).toString("base64");
const AUTH = b64("ci-bot:ghp_0123456789abcdefABCDEF");
const dockerConfig = JSON.stringify({ auths: { "ghcr.io": { auth: AUTH } } });
const registries = (auth: string) => `mirrors:\n  docker.io:\n    endpoint:\n      - "https://registry.example.com:5000"\nconfigs:\n  "registry.example.com:5000":\n    auth:\n${auth}    tls:\n      ca_file: /etc/ssl/registry-ca.pem\n`;
const configMap = (name: string, data: Record<string, string>) => ({ type: CM, name, props: { metadata: { name, namespace: "inference" }, data } });

// Before, none of these was seen: `auth` names no credential, and a config file held as one value
// was read only for a kubeconfig's users.
test("sensitive-values-secret: registry credentials and config files carrying a credential, wherever held", async () => {
  const out = await runResource(sensitiveValuesSecret, [
    configMap("pull", { ".dockerconfigjson": dockerConfig }),
    configMap("k3s-registries", { "registries.yaml": registries(`      auth: ${AUTH}\n`) }),
    configMap("k3s-registries-pw", { "registries.yaml": registries("      username: ci-bot\n      password: hunter2-Plain\n") }),
    configMap("litellm", { "config.yaml": "model_list:\n- model_name: gpt-4o\n  litellm_params:\n    model: openai/gpt-4o\n    api_key: sk-proj-abc123def456\n" }),
    { type: "kubernetes:core/v1:Secret", name: "pull-opaque", props: { metadata: { name: "pull", namespace: "inference" }, stringData: { "config.json": dockerConfig } } },
    helmRelease("puller", { imageCredentials: { registry: "ghcr.io", auth: AUTH } }),
  ]);
  const messages = out.violations.map((v) => v.message);
  assert.equal(messages.length, 6, messages.join("\n"));
  const registry = /registry credentials \(a base64 user:password under auth/;
  assert.match(messages[0], /^ConfigMap inference\/pull data\.\.dockerconfigjson holds registry credentials .* at auths\.ghcr\.io\.auth: a ConfigMap is never secret/);
  assert.match(messages[1], /data\.registries\.yaml holds registry credentials .* at configs\.registry\.example\.com:5000\.auth\.auth/);
  assert.match(messages[2], /data\.registries\.yaml holds a credential \(its key password names one\) at configs\.registry\.example\.com:5000\.auth\.password/);
  assert.match(messages[3], /data\.config\.yaml holds a credential \(its key api_key names one\) at model_list\[0\]\.litellm_params\.api_key/);
  assert.match(messages[4], /^Secret inference\/pull holds registry credentials .* \(stringData\.config\.json\) but its stringData is not declared secret/);
  assert.match(messages[5], /values\.imageCredentials\.auth holds registry credentials/);
  for (const m of [messages[0], messages[1], messages[4], messages[5]]) assert.match(m, registry);
});

test("sensitive-values-secret: registry logins in a boot script (registries.yaml, ~/.docker/config.json, login -p)", () => {
  assert.match(scriptCredential(`cat > /etc/rancher/k3s/registries.yaml <<EOF\n${registries(`      auth: ${AUTH}\n`)}EOF\n`) ?? "", /^registry credentials/);
  assert.match(scriptCredential(`mkdir -p /root/.docker\necho '${dockerConfig}' > /root/.docker/config.json\n`) ?? "", /^registry credentials/);
  assert.match(scriptCredential("docker login ghcr.io -u ci-bot -p 'ghp_0123456789abcdef'\n") ?? "", /a registry password \(given as login's -p, its --password\)/);
  assert.match(scriptCredential("nerdctl login -u ci-bot -p=ghp_0123456789abcdef registry.example.com:5000\n") ?? "", /given as login's -p/);
});

// What holds no credential stays silent: a setting named auth, a credential helper, paths, a
// reference read when the program runs, a password read from stdin, another command's -p.
test("sensitive-values-secret: registry settings and config files without a credential are no alarm", async () => {
  const quiet = {
    helper: JSON.stringify({ credHelpers: { "123456789012.dkr.ecr.us-east-1.amazonaws.com": "ecr-login" }, credsStore: "secretservice" }),
    tlsOnly: registries("      username: ci-bot\n"),
    reference: registries("      username: ci-bot\n      password: ${REGISTRY_PASSWORD}\n"),
    setting: "auth: oidc\nsecret: gateway-cert\ntoken: true\n",
    epp: "apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\nplugins:\n- type: queue-scorer\n",
    text: "a line with a colon: and nothing more\nsecond line\n",
    // The OpenTelemetry Collector reads ${env:VAR} from its environment (before, a false alarm in chart values too).
    otel: "exporters:\n  otlphttp:\n    endpoint: https://otlp.example.com\n    headers:\n      api-key: ${env:OTLP_API_KEY}\n",
  };
  const otelValues = { config: { exporters: { otlphttp: { headers: { "api-key": "${env:OTLP_API_KEY:-}" } } } } };
  const out = await runResource(sensitiveValuesSecret, [configMap("quiet", quiet), helmRelease("puller", { imagePullSecrets: [{ name: "ghcr-pull" }], auth: "basic" }), helmRelease("otel-collector", otelValues)]);
  assert.deepEqual(out.violations.map((v) => v.message), []);
  for (const script of [
    "echo \"$REGISTRY_PASSWORD\" | docker login -u ci-bot --password-stdin ghcr.io && docker run -p 8080:80 nginx\n",
    'docker login -u ci-bot -p "$(gcloud secrets versions access latest --secret=registry)" ghcr.io\n',
    "cat > /etc/rancher/k3s/registries.yaml <<EOF\nconfigs:\n  ghcr.io:\n    auth:\n      username: ci-bot\n      password: ${PW}\nEOF\n",
    "echo 'auth: none' > /etc/app.yaml\n",
  ]) assert.equal(scriptCredential(script), undefined, script);
});

// Before, a login the script base64-encoded itself passed: `auth: $AUTH` names no credential, and
// the password sat only inside `$(echo -n … | base64)`.
test("sensitive-values-secret: a registry login or Basic header the boot script base64-encodes from a password it holds", async () => {
  const written = {
    registries: `AUTH=$(echo -n "ci-bot:ghp_0123456789abcdef" | base64 -w0)\ncat > /etc/rancher/k3s/registries.yaml <<EOF\nconfigs:\n  ghcr.io:\n    auth:\n      auth: \${AUTH}\nEOF\n`,
    dockerConfig: `PASS=hunter2-Plain\nAUTH="$(printf '%s:%s' ci-bot "$PASS" | base64)"\necho '{"auths":{"ghcr.io":{"auth":"'"$AUTH"'"}}}' > /root/.docker/config.json\n`,
    inline: `cat > /etc/rancher/k3s/registries.yaml <<EOF\nconfigs:\n  ghcr.io:\n    auth:\n      auth: $(base64 <<< ci-bot:ghp_0123456789abcdef)\nEOF\n`,
    held: `LOGIN="ci-bot:$PW"\nPW='hunter2-Plain'\nAUTH_B64=$(echo -n $LOGIN | base64 -w 0)\necho "auth: $AUTH_B64" >> /etc/rancher/k3s/registries.yaml\n`,
    basic: `curl -H "Authorization: Basic $(echo -n admin:s3cr3t-Plain | openssl base64 -A)" https://registry.example.com/v2/\n`,
  };
  for (const [name, script] of Object.entries(written)) {
    assert.match(scriptCredential(script) ?? "", /^a login the script base64-encodes itself \(user:password, its password written in the script\)/, name);
  }
  assert.match(scriptCredential(written.registries)!, /under auth, as a registry login in Docker's config\.json and k3s's registries\.yaml$/);
  assert.match(scriptCredential(written.basic)!, /in a Basic Authorization header$/);
  // A variable set to a login already in base64 is the registry login itself.
  assert.match(scriptCredential(`AUTH=${AUTH}\necho "auth: $AUTH" > /etc/rancher/k3s/registries.yaml\n`) ?? "", /^registry credentials \(a base64 user:password under auth/);
  const out = await runResource(sensitiveValuesSecret, { type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "agents", props: { metadataStartupScript: written.dockerConfig } });
  assert.match(out.violations.map((v) => v.message).join(), /^InstanceTemplate agents: metadataStartupScript carries a login the script base64-encodes itself .* but metadataStartupScript is not declared secret/);
  // A password read when the script runs (a mounted file, the metadata server, a secret store, a
  // variable set so) is not in the script; nor is a login decoded rather than encoded.
  for (const script of [
    `AUTH=$(echo -n "ci-bot:$(cat /run/secrets/registry-password)" | base64 -w0)\necho "auth: $AUTH" >> /etc/rancher/k3s/registries.yaml\n`,
    `PW=$(curl -s -H 'Metadata-Flavor: Google' http://metadata.google.internal/computeMetadata/v1/instance/attributes/registry-password)\nAUTH=$(echo -n "ci-bot:$PW" | base64)\ncat > /etc/rancher/k3s/registries.yaml <<EOF\nconfigs:\n  ghcr.io:\n    auth:\n      auth: $AUTH\nEOF\n`,
    `AUTH=$(gcloud secrets versions access latest --secret=registry-auth)\necho "auth: $AUTH" > /etc/rancher/k3s/registries.yaml\n`,
    `AUTH=$(cat /secret/file)\necho '{"auths":{"ghcr.io":{"auth":"'"$AUTH"'"}}}' > /root/.docker/config.json\n`,
    `LOGIN=$(echo "$AUTH_B64" | base64 -d)\necho "auth: $LOGIN" > /etc/app.yaml\n`,
    `curl -H "Authorization: Basic $(cat /run/secrets/basic)" https://registry.example.com/v2/\n`,
    `LOGIN="$DOCKER_USERNAME:$DOCKER_PASSWORD"\nAUTH_B64=$(echo -n $LOGIN | base64 -w 0)\necho "auth: $AUTH_B64" >> /etc/rancher/k3s/registries.yaml\n`,
  ]) assert.equal(scriptCredential(script), undefined, script);
});

// Before, none of these was seen: the key and value readers take `"auth":"…"` only with bare
// quotes, and a script writing JSON from a double-quoted string escapes every quote (`\"auth\":`),
// which the shell removes (POSIX sh 2.2.3 Double-Quotes: a backslash before `$`, backquote, `"`,
// `\` or a newline is removed there).
test("sensitive-values-secret: a Docker config.json or k3s config the boot script writes as JSON escaped in a shell string", async () => {
  const escaped = (json: string) => json.replace(/[\\"$`]/g, "\\$&");
  const written = {
    echo: `mkdir -p /root/.docker\necho "${escaped(dockerConfig)}" > /root/.docker/config.json\n`,
    printf: `printf "${escaped(dockerConfig)}\\n" | sudo tee /root/.docker/config.json\n`,
    // In a heredoc `\"` keeps its backslash (POSIX sh 2.7.4), so Docker cannot parse the file, yet the login is in the script.
    heredoc: `cat > /root/.docker/config.json <<EOF\n${escaped(dockerConfig)}\nEOF\n`,
    k3sToken: `echo "{\\"server\\":\\"https://10.0.0.2:6443\\",\\"token\\":\\"Zq8vN3pL0xR7sT2w\\"}" > /etc/rancher/k3s/config.yaml\n`,
    encoded: `AUTH=$(echo -n ci-bot:hunter2-Plain | base64 -w0)\necho "{\\"auths\\":{\\"ghcr.io\\":{\\"auth\\":\\"$AUTH\\"}}}" > /root/.docker/config.json\n`,
  };
  for (const name of ["echo", "printf", "heredoc"] as const) assert.match(scriptCredential(written[name]) ?? "", /^registry credentials \(a base64 user:password under auth/, name);
  assert.match(scriptCredential(written.k3sToken) ?? "", /^a credential \(under token:\)/);
  assert.match(scriptCredential(written.encoded) ?? "", /^a login the script base64-encodes itself .* under auth/);
  const out = await runResource(sensitiveValuesSecret, { type: "aws:ec2/instance:Instance", name: "gpu-node", props: { userData: written.echo } });
  assert.match(out.violations.map((v) => v.message).join(), /^Instance gpu-node: userData carries registry credentials .* but userData is not declared secret/);
  // References stay references once unescaped: a login read when the script runs, a `\$AUTH` the
  // shell writes as is for a later envsubst, a credential helper, an empty auth.
  for (const script of [
    `AUTH=$(gcloud secrets versions access latest --secret=registry-auth)\necho "{\\"auths\\":{\\"ghcr.io\\":{\\"auth\\":\\"$AUTH\\"}}}" > /root/.docker/config.json\n`,
    `AUTH=$(echo -n "ci-bot:$(cat /run/secrets/registry-password)" | base64 -w0)\necho "{\\"auths\\":{\\"ghcr.io\\":{\\"auth\\":\\"\${AUTH}\\"}}}" > /root/.docker/config.json\n`,
    `echo "{\\"auths\\":{\\"ghcr.io\\":{\\"auth\\":\\"\\$AUTH\\"}}}" > /root/.docker/config.tmpl\nenvsubst < /root/.docker/config.tmpl > /root/.docker/config.json\n`,
    `echo "{\\"credsStore\\":\\"ecr-login\\",\\"auths\\":{\\"ghcr.io\\":{\\"auth\\":\\"\\"}}}" > /root/.docker/config.json\n`,
    `echo "{\\"token-file\\":\\"/etc/rancher/k3s/token\\",\\"token\\":\\"\${K3S_TOKEN}\\"}" > /etc/rancher/k3s/config.yaml\n`,
  ]) assert.equal(scriptCredential(script), undefined, script);
});
