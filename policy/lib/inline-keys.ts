/**
 * API keys agentgateway takes inline in its custom resources: `auth.key`, which its CRDs (v1.4.1,
 * agentgateway.dev_agentgatewaybackends.yaml and _agentgatewaypolicies.yaml) describe as "Inline
 * key to use as the value of the `Authorization` header. This option is the least secure; usage of
 * a `Secret` is preferred". It sits wherever a backend auth does: a backend's `policies`, each AI
 * provider of a group, each static MCP target, a policy's `backend`, and the prompt guards calling
 * OpenAI moderation or Bedrock. And basic-auth passwords written into a policy's htpasswd lines
 * unhashed. Read by sensitive-values-secret: a custom resource declares nothing secret, and every
 * reader of it sees its spec.
 */
import { cannotJudge, isKind, kindName, meta } from "./k8s";
import { isObject, probe, walkValues, WalkedValue } from "./values";

/** The agentgateway kinds that can carry an inline key. */
export function isInlineKeyKind(type: string): boolean {
  return isKind(type, "agentgateway.dev", "AgentgatewayBackend") || isKind(type, "agentgateway.dev", "AgentgatewayPolicy");
}

/**
 * Reports each inline `auth.key` of an AgentgatewayBackend or AgentgatewayPolicy; what this run
 * cannot read is a can't-judge. Like a pod spec, no additionalSecretOutputs clears it: every
 * reader of the resource sees it.
 */
export function reportInlineKeys(type: string, props: Record<string, any>, report: (message: string) => void): void {
  const { namespace, name } = meta(props);
  const found: string[] = [];
  const pending: string[] = [];
  const spec = probe(() => props.spec as unknown);
  if (spec.known) inlineAuthKeys(spec.value, "spec", found, pending);
  else pending.push("spec");
  for (const path of found) {
    report(`${kindName(type)} ${namespace}/${name}: ${path} holds an API key inline (the Authorization header agentgateway sends) in plaintext: a custom resource is never secret (in state, exports and preview diffs, and to every reader of it); reference a Secret holding it instead (auth.secretRef)`);
  }
  if (spec.known) {
    for (const path of plaintextPasswords(spec.value, pending)) {
      report(`${kindName(type)} ${namespace}/${name}: ${path} holds a password in plaintext, not an htpasswd hash: a custom resource is never secret (in state, exports and preview diffs, and to every reader of it), and agentgateway v1.4.1 reads each line as an htpasswd entry, whose password must be a hash (the CRD: "passwords should be the hash of the password, not the raw password"; MD5, bcrypt, crypt and SHA-1 are supported); put \`htpasswd -nB <user>\` output there, or the file in a Secret named by basicAuthentication.secretRef`);
    }
  }
  if (pending.length > 0) cannotJudge(pending.map((p) => `${p} of ${kindName(type)} ${namespace}/${name}`));
}

/**
 * The path of every inline `auth.key` under `node` that is set; one not known in this run is named
 * in `unknown`, as is an `auth` object this run cannot read.
 */
export function inlineAuthKeys(node: unknown, path: string, found: string[], unknown: string[]): void {
  const visit = ({ key, value, path: at }: WalkedValue): boolean => {
    if (key === "auth" && isObject(value)) {
      const inline = probe(() => value.key);
      if (!inline.known) unknown.push(`${at}.key`);
      else if (typeof inline.value === "string" && inline.value.trim() !== "") found.push(`${at}.key`);
    }
    return true;
  };
  walkValues(node, path, visit, (at, key) => {
    if (key === undefined || key === "auth") unknown.push(at);
  });
}

/**
 * An htpasswd password field that is a hash agentgateway can check: `$apr1$` (Apache MD5), a
 * modular crypt `$<id>$` (bcrypt's `$2y$` among them), `{SHA}`, or a 13-character DES crypt.
 */
const isPasswordHash = (field: string) => /^\$[0-9a-z]+\$/.test(field) || field.startsWith("{SHA}") || /^[./0-9A-Za-z]{13}$/.test(field);

/**
 * The `users` lines of an AgentgatewayPolicy's `traffic.basicAuthentication` whose password is not
 * a hash. v1.4.1 joins them into the proxy's htpasswd file (controller/pkg/agentgateway/plugins/
 * traffic_plugin.go processBasicAuthenticationPolicy; the CRD: "passwords should be the hash of
 * the password, not the raw password"). Lines not known in this run are named in `unknown`.
 */
function plaintextPasswords(spec: unknown, unknown: string[]): string[] {
  const users = probe(() => (spec as any)?.traffic?.basicAuthentication?.users as unknown);
  const at = "spec.traffic.basicAuthentication.users";
  if (!users.known) {
    unknown.push(at);
    return [];
  }
  if (!Array.isArray(users.value)) return [];
  const out: string[] = [];
  // By index: reading an element not known yet throws, so each is read inside its own probe.
  for (let i = 0; i < users.value.length; i++) {
    const line = probe(() => (users.value as unknown[])[i]);
    if (!line.known) unknown.push(`${at}[${i}]`);
    else if (typeof line.value === "string" && line.value.includes(":")) {
      const password = line.value.slice(line.value.indexOf(":") + 1).trim();
      if (password !== "" && !isPasswordHash(password)) out.push(`${at}[${i}]`);
    }
  }
  return out;
}
