/**
 * Policy tests for sensitive-values-secret on Helm releases and charts: a Release keeps its values
 * and repositoryOpts in state (inputs and outputs), so a credential there must be declared secret;
 * the Secrets a v4 Chart or a yaml/v2 component renders are kept secret by the provider.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { sensitiveValuesSecret } from "../../policy/rules/sensitive-values-secret";
import { runResource, secret, UNKNOWN } from "../support/policy";
import { helmRelease } from "./workloads-support";

const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YTpiIn0.c2ln";
const K10 = `K10${"ab".repeat(32)}::server:0123456789abcdef`;
const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n";
const kubeconfig = { apiVersion: "v1", kind: "Config", clusters: [{ name: "c" }], users: [{ name: "admin", user: { token: "s3cr3t-t0ken" } }] };

test("sensitive-values-secret: a Helm release's values hold no credential in plaintext", async () => {
  const bad = await runResource(sensitiveValuesSecret, [
    { ...helmRelease("grafana", { adminPassword: "hunter2-Plain" }, "grafana", "monitoring"), name: "obs-grafana" },
    helmRelease("agent", { serviceAccount: { token: JWT } }),
    helmRelease("k3s-joiner", { join: { value: K10 } }),
    helmRelease("cert-issuer", { ca: { key: PEM } }),
    helmRelease("webhook", { tls: { key: Buffer.from(PEM).toString("base64") } }),
    helmRelease("exporter", { extraEnv: [{ name: "GITHUB_TOKEN", value: "ghp_0123456789abcdef" }] }),
    helmRelease("argocd", { clusters: { remote: kubeconfig } }),
    helmRelease("argocd-yaml", { clusters: { remote: "apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    client-key-data: S0VZ\n" } }),
    // The wrapper is gone by the time a policy reads it: only additionalSecretOutputs says it stays secret.
    helmRelease("wrapped", { auth: { password: secret("hunter2-Plain") } }),
    { type: "kubernetes:helm.sh/v3:Release", name: "private-repo", props: { name: "app", chart: "app", version: "1.0.0", repositoryOpts: { repo: "https://charts.example.com", username: "ci", password: "p4ss-w0rd" } } },
    helmRelease("llm-proxy", { env: [{ name: "OPENAI_API_KEY", value: "sk-proj-abc123def456" }], anthropic: { apiKey: "sk-ant-api03-xyz" } }),
    // A password that merely starts with $ is no reference.
    helmRelease("dollar", { auth: { password: "$ecretPassw0rd!" } }),
  ]);
  const messages = bad.violations.map((v) => v.message);
  assert.equal(messages.length, 13, messages.join("\n"));
  assert.match(messages[12], /values\.auth\.password holds a credential/);
  assert.match(messages[10], /values\.env\[0\]\.value holds a credential \(its key OPENAI_API_KEY names one\)/);
  assert.match(messages[11], /values\.anthropic\.apiKey holds a credential \(its key apiKey names one\)/);
  assert.match(messages[0], /^Helm release monitoring\/grafana \(obs-grafana\): values\.adminPassword holds a credential \(its key adminPassword names one\) in plaintext and values is not declared secret .* list "values" in the release's additionalSecretOutputs/);
  assert.match(messages[1], /values\.serviceAccount\.token holds a bearer token \(a JWT/);
  assert.match(messages[2], /values\.join\.value holds a k3s join token/);
  assert.match(messages[3], /values\.ca\.key holds a private key/);
  assert.match(messages[4], /values\.tls\.key holds a private key \(base64-encoded\)/);
  assert.match(messages[5], /values\.extraEnv\[0\]\.value holds a credential \(its key GITHUB_TOKEN names one\)/);
  assert.match(messages[6], /values\.clusters\.remote holds a kubeconfig carrying credentials \(token\)/);
  assert.match(messages[7], /values\.clusters\.remote holds a kubeconfig carrying credentials \(client-key-data\)/);
  assert.match(messages[8], /values\.auth\.password holds a credential/);
  assert.match(messages[9], /repositoryOpts\.password holds a credential .* list "repositoryOpts" in the release's additionalSecretOutputs/);
});

test("sensitive-values-secret: switches, paths, Secret names and declared-secret values in a Helm release pass", async () => {
  const ok = await runResource(sensitiveValuesSecret, [
    helmRelease("istiod", {
      pilot: { env: { ENABLE_TOKEN: "true", MAX_TOKEN: "4096", PILOT_JWT_POLICY: "third-party-jwt" } },
      auth: { existingSecret: "grafana-admin", tokenFile: "/var/run/secrets/tokens/istio-token", passwordSecret: "db-creds" },
      extraEnv: [{ name: "LOG_LEVEL", value: "debug" }, { name: "API_TOKEN_FILE", value: "/etc/token" }, { name: "OPENAI_API_KEY_FILE", value: "/etc/llm/key" }],
      llm: { apiKey: "/var/run/secrets/llm/api-key", apiKeySecretRef: { name: "openai" } },
      users: [{ name: "admin", password: "" }],
      remote: { apiVersion: "v1", kind: "Config", users: [{ name: "aws", user: { exec: { command: "aws", args: ["eks", "get-token"] } } }] },
      maxTokens: 10,
      // References read when the program runs: Grafana's expanders and a container env var's $(VAR).
      "grafana.ini": { "auth.generic_oauth": { client_secret: "$__file{/etc/secrets/oauth/client_secret}" }, security: { admin_password: "$__env{GF_ADMIN_PASSWORD}" } },
      datasources: { "datasources.yaml": { datasources: [{ name: "pg", secureJsonData: { password: "$PG_PASSWORD" } }] } },
      sidecarEnv: [{ name: "UPSTREAM_TOKEN", value: "$(GITHUB_TOKEN)" }],
      proxy_config: { model_list: [{ model_name: "gpt-4o", litellm_params: { model: "openai/gpt-4o", api_key: "os.environ/OPENAI_API_KEY" } }] },
      // A webhook's CA bundle, base64-encoded: a certificate, no key.
      caBundle: Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64"),
    }),
    { ...helmRelease("grafana", { adminPassword: secret("hunter2-Plain") }), additionalSecretOutputs: ["values"] },
    { type: "kubernetes:helm.sh/v3:Release", name: "private-repo", props: { name: "app", chart: "app", repositoryOpts: { repo: "https://charts.example.com", password: "p4ss" } }, additionalSecretOutputs: ["repositoryOpts"] },
  ]);
  assert.deepEqual(ok.violations, []);
  assert.deepEqual(ok.unknown, []);
  // Ciphertext in an export reviewed without its passphrase (or a value computed in a preview):
  // what it holds cannot be told, and nothing known beside it is hidden.
  const hidden = await runResource(sensitiveValuesSecret, helmRelease("grafana", { adminPassword: UNKNOWN, admin: { token: JWT }, remote: { ...kubeconfig, users: [{ name: "a", user: { token: UNKNOWN } }] } }));
  assert.equal(hidden.violations.length, 1);
  assert.match(hidden.violations[0].message, /values\.admin\.token holds a bearer token/);
  assert.match(hidden.unknown.join("\n"), /values\.adminPassword of Helm release istio-system\/grafana .*; values\.remote\.users of/);
});

test("sensitive-values-secret: a TLS Secret a v4 Chart or yaml/v2 ConfigGroup renders is kept secret by the provider; the same Secret of the program is not", async () => {
  const tls = { metadata: { name: "webhook-tls", namespace: "cert-manager" }, type: "kubernetes.io/tls", data: { "tls.crt": "Y3J0", "tls.key": "a2V5" } };
  const child = (parentType: string) => ({ type: "kubernetes:core/v1:Secret", name: "cert-manager/webhook-tls", urn: `urn:pulumi:prod::inference-mesh::${parentType}$kubernetes:core/v1:Secret::cert-manager/webhook-tls`, props: tls });
  const ok = await runResource(sensitiveValuesSecret, [
    child("kubernetes:helm.sh/v4:Chart"),
    child("inference-mesh:platform:Addons$kubernetes:yaml/v2:ConfigGroup"),
    child("kubernetes:kustomize/v2:Directory"),
  ]);
  assert.deepEqual(ok.violations, []);
  // Only the parent's type counts: a grandchild of a chart, made by the program itself, is judged.
  const own = await runResource(sensitiveValuesSecret, [child("inference-mesh:platform:Addons"), child("kubernetes:helm.sh/v4:Chart$inference-mesh:platform:Addons")]);
  assert.equal(own.violations.length, 2);
  assert.match(own.violations[0].message, /Secret cert-manager\/webhook-tls holds a TLS private key but its data is not declared secret/);
});
