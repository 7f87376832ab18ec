import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { Secret } from "@pulumi/policy";
import { meta, T } from "../lib/k8s";
import { probe } from "../lib/values";

/**
 * Whether the top-level property `key` is kept secret. Policies receive secrets already
 * unwrapped (`pulumi preview` decrypts them before the pack sees them), so the one evidence is
 * the resource's additionalSecretOutputs: what the engine keeps encrypted in state.
 */
function keptSecret(args: ResourceValidationArgs, key: string): boolean {
  return (args.opts?.additionalSecretOutputs ?? []).includes(key);
}

/** What to say of a value this run cannot read (ciphertext offline, or computed during a preview). */
const unreadable = (key: string) =>
  `${key} cannot be read here (encrypted in the state under review, or not known until deployment), so whether it carries credentials cannot be checked, and it is not in additionalSecretOutputs`;

/** A kubeconfig given inline (YAML or JSON) rather than as a path to a file outside state. */
function inlineKubeconfig(value: unknown): boolean {
  if (typeof value !== "string") return value !== undefined && value !== null;
  return value.includes("\n") || value.trimStart().startsWith("{") || /apiVersion|clusters:/.test(value);
}

/** AuthInfo fields that hold a credential, or point at one (kubeconfig v1 `users[].user`). */
const CREDENTIAL_FIELDS = new Set(["client-key-data", "client-key", "token", "tokenFile", "password"]);

/**
 * Whether a kubeconfig key names a credential: an AuthInfo credential field, or an `auth-provider`
 * config entry holding a token or secret (oidc `id-token`/`refresh-token`/`client-secret`, azure and
 * gcp `access-token`). JSONPath settings such as gcp's `token-key` end otherwise and stay out.
 */
const credentialKey = (key: string) => CREDENTIAL_FIELDS.has(key) || /(token|secret|password)$/i.test(key);

/** Whether an exec plugin's env var passes a secret (AWS_SECRET_ACCESS_KEY, *_TOKEN, …), not a file path to one. */
const secretEnvName = (name: string) => /(secret|token|password|passwd|private_key|access_key|api_key)/i.test(name) && !/(_file|_path)$/i.test(name);

/** Whether a YAML scalar as written sets something (not empty, null or an empty collection). */
function setInYaml(raw: string | undefined): boolean {
  const v = (raw ?? "").replace(/\s+#.*$/, "").trim();
  return v !== "" && !/^(""|''|null|Null|NULL|~|\[\]|\{\})$/.test(v);
}

const unquote = (v: string) => v.trim().replace(/^(["'])(.*)\1$/, "$2");

/** Credentials in a parsed kubeconfig (JSON): credential keys anywhere, secret env vars of exec plugins. */
function credentialsInObject(node: unknown, found: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((n) => credentialsInObject(n, found));
    return;
  }
  if (!node || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (credentialKey(key) && value !== null && value !== undefined && value !== "" && typeof value !== "object") found.push(key);
    else if (key === "env" && Array.isArray(value)) {
      for (const e of value as { name?: unknown; value?: unknown }[]) {
        if (e && typeof e.name === "string" && secretEnvName(e.name) && typeof e.value === "string" && e.value !== "") found.push(`exec env ${e.name}`);
      }
    } else credentialsInObject(value, found);
  }
}

/**
 * Credentials in a kubeconfig written as YAML. The pack carries no YAML parser, so this reads the
 * shapes kubeconfigs take: block mappings and sequences (`- name: X` items, their keys one column
 * in), and one-line flow mappings (`{name: X, value: Y}`, `user: {token: …}`).
 */
function credentialsInYaml(text: string, found: string[]): void {
  // Open sequence items, innermost last: the column of their keys and the scalar keys seen there.
  const items: { col: number; pairs: Map<string, string> }[] = [];
  const close = (item: { pairs: Map<string, string> }) => {
    const name = item.pairs.get("name");
    if (name !== undefined && item.pairs.has("value") && secretEnvName(unquote(name)) && setInYaml(item.pairs.get("value"))) found.push(`exec env ${unquote(name)}`);
  };
  const flowPairs = (group: string) => {
    const pairs = new Map<string, string>();
    for (const m of group.matchAll(/(?:^|[{,])\s*(["']?)([\w.-]+)\1\s*:\s*([^,{}]*)/g)) pairs.set(m[2], m[3]);
    return pairs;
  };
  // A credential key with nothing after its colon, whose value may follow on more-indented lines.
  let pending: { key: string; col: number } | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(#|$|---|\.\.\.)/.test(line)) continue;
    if (pending) {
      const indent = /^\s*/.exec(line)![0].length;
      if (indent > pending.col && !/^\s*(-\s+)*["']?[\w.-]+["']?\s*:(\s|$)/.test(line)) found.push(pending.key);
      pending = undefined;
    }
    // Innermost flow mappings on the line: credential keys, and env entries written inline.
    for (const group of line.match(/\{[^{}]*\}/g) ?? []) {
      const pairs = flowPairs(group);
      for (const [key, value] of pairs) if (credentialKey(key) && setInYaml(value)) found.push(key);
      close({ pairs });
    }
    const m = /^(\s*)((?:-\s+)*)(["']?)([^"'\s:{}[\],#][^"':{}[\],#]*?)\3\s*:(?:\s+(.*)|$)/.exec(line);
    if (!m) continue;
    const col = m[1].length + m[2].length;
    const [key, rest] = [m[4], m[5]];
    const opensItem = m[2] !== "";
    while (items.length && (opensItem ? items[items.length - 1].col >= col : items[items.length - 1].col > col)) close(items.pop()!);
    if (opensItem) items.push({ col, pairs: new Map() });
    const top = items[items.length - 1];
    if (top && top.col === col && !(rest ?? "").trimStart().startsWith("{")) top.pairs.set(key, rest ?? "");
    if (credentialKey(key) && !(rest ?? "").trimStart().startsWith("{")) {
      if (setInYaml(rest)) found.push(key);
      else if ((rest ?? "").replace(/\s+#.*$/, "").trim() === "") pending = { key, col: m[1].length + m[2].length };
    }
  }
  while (items.length) close(items.pop()!);
}

/**
 * The credentials an inline kubeconfig carries: a client key, token or password of a user, an
 * `auth-provider` config token or client secret, or a secret env var handed to an `exec` plugin
 * (client-go redacts the auth-provider config and exec env from its logs for that reason). One
 * that only runs an exec plugin (`aws eks get-token`) holds nothing secret.
 */
export function kubeconfigCredentials(value: unknown): string[] {
  const found: string[] = [];
  if (typeof value !== "string") credentialsInObject(value, found);
  else {
    let parsed: unknown;
    try {
      parsed = value.trimStart().startsWith("{") ? JSON.parse(value) : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined) credentialsInObject(parsed, found);
    else credentialsInYaml(value, found);
  }
  return [...new Set(found)];
}

export const kubeconfigHasCredentials = (value: unknown): boolean => kubeconfigCredentials(value).length > 0;

/**
 * What is true of a value this policy finds in plaintext: the SDK hands policies secrets already
 * unwrapped, so a pulumi.secret() looks the same as plaintext here, and the resource's
 * additionalSecretOutputs is the one signal that the output stays encrypted in state.
 */
const notDeclared = (key: string) => `${key} is not declared secret (not in the resource's additionalSecretOutputs)`;

/** VM types whose startup script runs with the instance: a join token or key in it is a credential. */
const startupScriptTypes = new Set(["gcp:compute/instance:Instance", "gcp:compute/instanceTemplate:InstanceTemplate"]);

/** Whether a bootstrap script carries credentials: a private key, a k3s/kubeadm join token. */
export function scriptHasCredentials(script: unknown): boolean {
  if (typeof script !== "string") return false;
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----|^\s*"?[\w-]*token"?\s*:\s*\S|K3S_(AGENT_)?TOKEN=\S|--(agent-)?token[= ]\S/m.test(script);
}

/** Why a Secret holds credentials that must never sit in state in plaintext. */
function sensitiveSecret(props: Record<string, any>): string | undefined {
  const m = meta(props);
  if (props.type === "kubernetes.io/service-account-token") return "a service-account token";
  if (m.name === "cacerts") return "the mesh CA key (ca-key.pem)";
  if (m.labels["istio/multiCluster"] === "true") return "an Istio remote secret (a kubeconfig)";
  if (props.type === "kubernetes.io/tls") return "a TLS private key";
  return undefined;
}

/**
 * Kubeconfigs, service-account tokens and CA keys grant cluster or mesh-wide control: in
 * plaintext they leak through state files, stack exports and CI logs.
 */
export const sensitiveValuesSecret: ResourceValidationPolicy = {
  name: "sensitive-values-secret",
  description:
    "Kubeconfigs carrying credentials (kubernetes provider input: a client key, token or password, an auth-provider token or client secret, a secret exec env var), service-account tokens, Istio remote secrets, TLS keys, the mesh CA key (cacerts) and VM startup scripts carrying a join token or private key are Pulumi secrets, so they never reach state, exports or logs in plaintext.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === T.k8sProvider) {
      const kc = probe(() => args.props.kubeconfig as unknown);
      if (keptSecret(args, "kubeconfig")) return;
      if (!kc.known) report(`provider ${args.name}: ${unreadable("kubeconfig")}; list "kubeconfig" in the provider's additionalSecretOutputs`);
      else if (inlineKubeconfig(kc.value)) {
        const credentials = kubeconfigCredentials(kc.value);
        if (credentials.length > 0) {
          report(`provider ${args.name}: the inline kubeconfig carries credentials (${credentials.join(", ")}) and its ${notDeclared("kubeconfig")}, so its output may sit in state in plaintext; list "kubeconfig" in the provider's additionalSecretOutputs (and keep the input pulumi.secret())`);
        }
      }
      return;
    }
    if (startupScriptTypes.has(args.type)) {
      const script = probe(() => args.props.metadataStartupScript as unknown);
      if (!keptSecret(args, "metadataStartupScript")) {
        if (!script.known) report(`${args.type.split(":").pop()} ${args.name}: ${unreadable("metadataStartupScript")}; list it in additionalSecretOutputs`);
        else if (scriptHasCredentials(script.value)) {
          report(`${args.type.split(":").pop()} ${args.name}: metadataStartupScript carries a join token or private key but ${notDeclared("metadataStartupScript")}; list it in additionalSecretOutputs (and keep it pulumi.secret())`);
        }
      }
      // Every metadata value the VM runs or hands to cloud-init (startup-script, user-data, …).
      const metadata = probe(() => args.props.metadata as Record<string, unknown> | undefined);
      if (!keptSecret(args, "metadata")) {
        if (!metadata.known) report(`${args.type.split(":").pop()} ${args.name}: ${unreadable("metadata")}; list "metadata" in additionalSecretOutputs`);
        else {
          // Each entry read apart: one not known yet (a computed script) hides none of the others.
          const entries = metadata.value ?? {};
          for (const key of Object.keys(entries)) {
            const v = probe(() => entries[key]);
            if (!v.known) report(`${args.type.split(":").pop()} ${args.name}: ${unreadable(`metadata.${key}`)}; list "metadata" in additionalSecretOutputs`);
            else if (scriptHasCredentials(v.value)) {
              report(`${args.type.split(":").pop()} ${args.name}: metadata.${key} carries a join token or private key but ${notDeclared("metadata")}; list "metadata" in additionalSecretOutputs`);
            }
          }
        }
      }
      return;
    }
    if (args.type !== T.secret) return;
    const what = sensitiveSecret(args.props);
    if (!what) return;
    const { namespace, name } = meta(args.props);
    for (const key of ["data", "stringData"]) {
      // Only whether it is set matters (the Secret's kind says what it holds): a value not known in
      // this preview, or ciphertext offline, is set (before, it passed unchecked).
      const present = probe(() => args.props[key] !== undefined);
      if ((!present.known || present.value) && !keptSecret(args, key)) {
        report(`Secret ${namespace}/${name} holds ${what} but its ${notDeclared(key)}; create it with k8s.core.v1.Secret (which declares data and stringData secret) or list them in additionalSecretOutputs`);
      }
    }
    // Token Secrets are filled in by the cluster: only additionalSecretOutputs keeps the token out of state.
    if (args.props.type === "kubernetes.io/service-account-token" && !(args.opts?.additionalSecretOutputs ?? []).includes("data")) {
      report(`Secret ${namespace}/${name} holds ${what} filled in by the cluster, but data is not in additionalSecretOutputs`);
    }
  },
  // Wrapping a value as secret changes nothing in the cluster; it only keeps state encrypted.
  remediateResource: (args) => {
    if (args.type !== T.k8sProvider) return undefined;
    const kc = probe(() => args.props.kubeconfig as unknown);
    if (!kc.known || !inlineKubeconfig(kc.value) || !kubeconfigHasCredentials(kc.value) || keptSecret(args, "kubeconfig")) return undefined;
    return { ...args.props, kubeconfig: new Secret(kc.value) };
  },
};
