/**
 * What counts as a credential in plaintext: in a kubeconfig (its users, auth-provider config and
 * exec env), as an entry of a ConfigMap or Secret, and in Helm values; the shapes boot-scripts.ts
 * looks for in a VM's boot script. Read by sensitive-values-secret for every place a credential may sit.
 */
import { readValueFiles } from "./helm-value-files";
import * as yaml from "js-yaml";
import { probe } from "./values";

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

/** Credentials in a parsed kubeconfig: credential keys anywhere, secret env vars of exec plugins. */
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
        // A scalar YAML reads as a number or boolean is set all the same.
        const set = e && e.value !== null && e.value !== undefined && e.value !== "" && typeof e.value !== "object";
        if (e && typeof e.name === "string" && secretEnvName(e.name) && set) found.push(`exec env ${e.name}`);
      }
    } else credentialsInObject(value, found);
  }
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
    // YAML (JSON is YAML), as client-go reads a kubeconfig (sigs.k8s.io/yaml): its first document,
    // so a trailing `---` some tools write is no reason to give up.
    let parsed: unknown;
    try {
      parsed = yaml.loadAll(value)[0];
    } catch (err) {
      if (!(err instanceof yaml.YAMLException)) throw err;
      // What it holds cannot be told, so it counts as holding credentials.
      return [`whatever it holds: it is not YAML this pack can read (${err.message.split("\n")[0]})`];
    }
    credentialsInObject(parsed, found);
  }
  return [...new Set(found)];
}

/** A PEM private key block's header (PKCS#1, PKCS#8, EC, OpenSSH, encrypted alike). */
export const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** A kubeadm-style bootstrap token, `<6>.<16>`, as `k3s token create` mints them (docs.k3s.io/cli/token). */
const BOOTSTRAP_TOKEN = "[a-z0-9]{6}\\.[a-z0-9]{16}";

/**
 * A k3s join token in its full form as k3s parses it (pkg/clientaccess/token.go parseToken):
 * `K10`, the server CA's hash (64 hex digits, or none: `K10::…` skips the check), `::`, then
 * `<user>:<password>` or a bootstrap token. The short form, a bare password, has no shape of its
 * own: only where it is given (`--token`, `K3S_TOKEN`, `token:`, a token file) says what it is.
 */
export const K3S_FULL_TOKEN = new RegExp(`K10(?:[0-9a-f]{64})?::(?:${BOOTSTRAP_TOKEN}(?![\\w.])|[^:\\s"']*:[^\\s"'])`);

/** A whole value that is a k3s join token: the full form, or a bootstrap token alone. */
const K3S_TOKEN_VALUE = new RegExp(`^(?:K10(?:[0-9a-f]{64})?::(?:${BOOTSTRAP_TOKEN}|[^:\\s]*:\\S+)|${BOOTSTRAP_TOKEN})$`);

/**
 * A PEM block base64-encoded once (`LS0tLS1CRUdJTi` is `-----BEGIN`), as charts take TLS keys in
 * their values and a Secret's `data` holds them: base64 hides nothing.
 */
function base64Pem(value: string): string | undefined {
  const v = value.replace(/\s+/g, "");
  if (!v.startsWith("LS0tLS1CRUdJTi") || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return undefined;
  return Buffer.from(v, "base64").toString("utf8");
}

/**
 * A URL carrying a password in its userinfo (`postgres://k3s:<password>@db:5432/k3s`, as k3s's
 * --datastore-endpoint or a DATABASE_URL takes it); one whose password is a reference read when
 * the program runs (`$(DB_PASSWORD)`, `${PW}`) or a printf `%s` filled from its arguments carries none.
 */
export const URL_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+:(?!%s@)[^\s@/'"$][^\s@/'"]*@/i;

/** A key, env var or option whose name says its value is a credential (AWS_SECRET_ACCESS_KEY and secretAccessKey too). */
export const CREDENTIAL_NAME = /(token|secret|password|passwd|api[-_]?key|private[-_]?key|secret[-_]?access[-_]?key)$/i;

/**
 * A registry login as Docker's config.json (`auths.<registry>.auth`, docker/cli AuthConfig) and
 * k3s's registries.yaml (`configs.<registry>.auth.auth`, docs.k3s.io Private Registry
 * Configuration; rancher/wharfie registries.AuthConfig: "base64 encoding of the username, a colon,
 * and the password") hold it: `user:password` base64-encoded under `auth`. Only a value that decodes
 * so counts (`auth: oidc` or `auth: true` is a setting).
 */
export function registryAuth(value: string, key: string): boolean {
  const v = value.trim();
  if (key.toLowerCase() !== "auth" || !/^[A-Za-z0-9+/]{4,}={0,2}$/.test(v) || v.length % 4 !== 0) return false;
  return /^[^:\x00-\x1f\x7f\ufffd]*:[^\x00-\x1f\x7f\ufffd]+$/.test(Buffer.from(v, "base64").toString("utf8"));
}

/** What registryAuth finds, in a message. */
export const REGISTRY_AUTH = "registry credentials (a base64 user:password under auth, as Docker's config.json and k3s's registries.yaml hold them)";

/**
 * A bearer credential that is the whole entry: a JWT (a service-account token), a k3s join token
 * (`K10<CA hash>::<user>:<password>`), or a value under a key naming a token, secret, password,
 * API key or private key (the k3s join token is a bare random string: only its key says what it is).
 */
function bareToken(value: string, key: string): string | undefined {
  const v = value.trim();
  if (v === "") return undefined;
  if (/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*$/.test(v)) return "a bearer token (a JWT, as service-account tokens are)";
  if (K3S_TOKEN_VALUE.test(v)) return "a k3s join token";
  if (URL_PASSWORD.test(v)) return "a password in a URL (user:password@)";
  if (registryAuth(v, key)) return REGISTRY_AUTH;
  // An Authorization header's value, as agentgateway's auth.secretRef reads it (key Authorization).
  const header = /^(?:Bearer|Basic)\s+(\S+)$/i.exec(v);
  if (header && !namesNoCredential(header[1], "token")) return "a credential (an Authorization header's value)";
  // Not credentialKey: kubeconfig's tokenFile, and any path-like key, points at a credential elsewhere.
  // An LLM provider's API key (OPENAI_API_KEY, apiKey) is as much a bearer credential as a token.
  if (CREDENTIAL_NAME.test(key) && !namesNoCredential(v, key)) return `a credential (its key ${key} names one)`;
  return undefined;
}

/**
 * A value that is one reference to a credential read elsewhere when the program runs: a container
 * env var's `$(VAR)` (the Kubernetes EnvVar API expands it from the container's other variables),
 * Grafana's `$__env{VAR}`, `$__file{path}`, `$__vault{…}` and `${VAR}` (its ini expanders,
 * pkg/setting/expanders.go) or bare `$VAR` (its provisioning files), as its chart's values take them,
 * LiteLLM's `os.environ/VAR` (its proxy config's `api_key`, resolved by get_secret), and the
 * OpenTelemetry Collector's `${env:VAR}` (opentelemetry.io/docs/collector/configuration,
 * "Environment variables"; `${env:VAR:-default}` too), as its config in a ConfigMap or chart values
 * takes an exporter's API key.
 */
const REFERENCE = /^(\$(\([A-Za-z_][\w.-]*\)|\{[A-Za-z_]\w*\}|\{env:[A-Za-z_]\w*(:-[^}]*)?\}|__\w+\{[^}]+\}|[A-Z_][A-Z0-9_]*)|os\.environ\/[A-Za-z_]\w*)$/;

/**
 * The name of a secret in a cloud's secret store, which the program reads it from when it runs:
 * Secret Manager's `projects/<p>/secrets/<name>[/versions/<v>]`, an AWS Secrets Manager or SSM
 * parameter ARN (`gcloud secrets versions access latest --secret=projects/…`).
 */
const SECRET_STORE_NAME = /^(projects\/[^/\s]+\/secrets\/[^\s]+|arn:aws[\w-]*:(secretsmanager|ssm):\S+)$/;

/**
 * Values under such a key that are no credential: a switch or a number (`enable-token: "true"`),
 * a file path, a reference to one read elsewhere (`$__file{/etc/secrets/client_secret}`, a secret
 * store's name), and,
 * under a `…secret` key, a Secret's name (a DNS-1123 subdomain such as `tls-secret: gateway-cert`),
 * which refers to the credential instead of holding it.
 */
export function namesNoCredential(v: string, key: string): boolean {
  if (/^(true|false|yes|no|on|off|-?\d+(\.\d+)?)$/i.test(v) || v.startsWith("/") || REFERENCE.test(v) || SECRET_STORE_NAME.test(v)) return true;
  return /secret$/i.test(key) && v.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v);
}

/**
 * What credential a ConfigMap entry holds: a PEM private key (a CA or TLS key; also base64-encoded),
 * a bare token, or a kubeconfig (YAML with `users`) carrying credentials. A ConfigMap has no secret
 * fields: pulumi-kubernetes declares none, and the API server serves it to anyone who may read ConfigMaps.
 */
export function configMapCredential(value: unknown, key = ""): string | undefined {
  if (typeof value !== "string") return undefined;
  if (PRIVATE_KEY.test(value)) return "a private key";
  if (PRIVATE_KEY.test(base64Pem(value) ?? "")) return "a private key (base64-encoded)";
  const token = bareToken(value, key);
  if (token) return token;
  return documentCredential(value);
}

/**
 * What a config file held as one value carries (JSON or YAML: a kubeconfig, a Docker config.json,
 * a k3s registries.yaml, an app's config.yaml with an `api_key`): a kubeconfig's users are read as
 * client-go reads them, every other key as a Helm value's is, since the file is as plaintext as
 * the ConfigMap, env var or value holding it.
 */
function documentCredential(value: string): string | undefined {
  if (!value.includes(":") || !/\n|^\s*[{[]/.test(value)) return undefined;
  let docs: unknown[];
  try {
    docs = yaml.loadAll(value);
  } catch {
    return undefined;
  }
  for (const doc of docs) {
    if (!doc || typeof doc !== "object") continue;
    const users = (doc as { users?: unknown }).users;
    const inKubeconfig = Array.isArray(users) ? kubeconfigCredentials(users) : [];
    if (inKubeconfig.length > 0) return `a kubeconfig carrying credentials (${inKubeconfig.join(", ")})`;
    const found: FoundCredential[] = [];
    credentialsInValues(doc, "", found, []);
    if (found.length > 0) return `${found[0].what} at ${found[0].path.replace(/^\./, "")}`;
  }
  return undefined;
}

/** A credential found in a tree of values, and where (`values.auth.password`). */
export interface FoundCredential {
  path: string;
  what: string;
}

/**
 * Credentials held in a tree of Helm values (or any such input), each with its path: a string the
 * ConfigMap entry rule takes for one under its own key; an env entry (`{name, value}`, as charts
 * take `extraEnv`) whose name names a token, secret or password; and a kubeconfig given as an
 * object. Values not known in this run are named in `unknown`: they may hold one.
 */
export function credentialsInValues(node: unknown, path: string, found: FoundCredential[], unknown: string[], key = ""): void {
  if (typeof node === "string") {
    const what = configMapCredential(node, key);
    if (what) found.push({ path, what });
    return;
  }
  if (!node || typeof node !== "object") return;
  const read = (k: string | number) => probe(() => (node as Record<string | number, unknown>)[k]);
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item = read(i);
      if (!item.known) unknown.push(`${path}[${i}]`);
      else credentialsInValues(item.value, `${path}[${i}]`, found, unknown, key);
    }
    return;
  }
  const obj: Record<string, unknown> = {};
  for (const k of Object.keys(node)) {
    const v = read(k);
    if (v.known) obj[k] = v.value;
    else unknown.push(`${path}.${k}`);
  }
  // A kubeconfig's users are read as client-go reads them (a chart's own `users` list is not one).
  const kubeconfig = Array.isArray(obj.users) && (obj.kind === "Config" || Array.isArray(obj.clusters) || Array.isArray(obj.contexts));
  if (kubeconfig) {
    const inKubeconfig = probe(() => kubeconfigCredentials(obj.users));
    if (!inKubeconfig.known) unknown.push(`${path}.users`);
    else if (inKubeconfig.value.length > 0) found.push({ path, what: `a kubeconfig carrying credentials (${inKubeconfig.value.join(", ")})` });
  }
  // An env entry's name says what its value is, as a key does in a map.
  const envName = typeof obj.name === "string" && typeof obj.value === "string" ? obj.name : undefined;
  for (const [k, v] of Object.entries(obj)) {
    if (kubeconfig && k === "users") continue;
    credentialsInValues(v, `${path}.${k}`, found, unknown, k === "value" && envName ? envName : k);
  }
}

/** Credentials in a Helm release's StringAsset valueYamlFiles (plaintext in state), named `valueYamlFiles[i].<path>`. */
export async function credentialsInValueFiles(props: Record<string, any>): Promise<FoundCredential[]> {
  const found: FoundCredential[] = [];
  for (const { at, values } of (await readValueFiles(props)).layers) credentialsInValues(values, at, found, []);
  return found;
}
