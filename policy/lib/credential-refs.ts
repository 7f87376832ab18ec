/**
 * Credential refs of agentgateway's custom resources (v1.4.1 LocalSecretObjectRef and
 * LocalSecretKeyRef: `name`, optional `group` and `kind`, and for a key ref `key`) and whether the
 * released controller can read them. Read by agentgateway-api-key-sources.
 *
 * In the v1.4.1 CRDs every property named `secretRef`, `clientSecretRef`, `signingKeyRef` or
 * `certificateRef`, and every item of `mtlsCertificateRef`, is such a ref (each carries the CEL
 * rule "custom credential refs must set both group and kind"). The released controller
 * (controller/cmd/agentgateway: setup.Options{} without a CredentialResolverFactory) resolves
 * them all with the built-in Secret resolver (controller/pkg/utils/kubeutils/secrets.go
 * secretCredentialResolver), which answers any group, or a kind other than Secret, with
 * ErrUnsupportedCredentialKind ("unsupported credential kind"): the credential is never read.
 */
import { isKind, kindName, meta } from "./k8s";
import { probe } from "./values";

const REF_KEYS = new Set(["secretRef", "clientSecretRef", "signingKeyRef", "certificateRef"]);
const REF_LIST_KEY = "mtlsCertificateRef";

/** The agentgateway kinds whose credential refs the controller resolves into the proxy's config. */
export const holdsCredentialRefs = (type: string): boolean =>
  isKind(type, "agentgateway.dev", "AgentgatewayBackend") || isKind(type, "agentgateway.dev", "AgentgatewayPolicy");

/**
 * Why agentgateway v1.4.1 cannot read a credential ref, or undefined when it names a core Secret
 * (only `name`, or kind Secret without a group). A kind without a group, or a group without a
 * kind, the CRD's CEL refuses, so the API server rejects the object; a full group/kind passes the
 * schema, and the released controller cannot resolve it: it puts the error on the object's
 * status, and `consequence` says what then goes without.
 */
export function unreadableRef(ref: { group?: unknown; kind?: unknown }, consequence: string): string | undefined {
  const group = typeof ref.group === "string" ? ref.group : "";
  const kind = typeof ref.kind === "string" ? ref.kind : "";
  if (group === "" && (kind === "" || kind === "Secret")) return undefined;
  if (group === "" || kind === "") {
    return `sets ${group === "" ? `kind ${kind} without a group` : `group ${group} without a kind`}, which the CRD's validation refuses ("custom credential refs must set both group and kind"): the API server rejects the object`;
  }
  return `names a ${kind} of group ${group}, which agentgateway v1.4.1's released controller cannot read: it resolves core Secrets only (no other credential resolver is built in), so it sets "unsupported credential kind" on the object's status and ${consequence}`;
}

/**
 * Each credential ref under an agentgateway object's spec the released controller cannot read,
 * as [path, why]. `skip` names paths judged elsewhere (an API-key secretRef, which counts only
 * where it wins over the selectors); a ref not known in this run is named in `unknown`.
 */
export function unreadableCredentialRefs(props: Record<string, any>, skip: Set<string>, unknown: string[]): [string, string][] {
  const found: [string, string][] = [];
  const judge = (ref: unknown, at: string) => {
    if (skip.has(at) || !ref || typeof ref !== "object") return;
    const why = probe(() => unreadableRef(ref as Record<string, unknown>, "uses no credential from it: what needs it (a backend's key, a client secret, a signing key, a certificate) goes without"));
    if (!why.known) unknown.push(at);
    else if (why.value) found.push([at, why.value]);
  };
  const walk = (node: unknown, at: string): void => {
    if (!node || typeof node !== "object") return;
    const keys = probe(() => Object.keys(node as object));
    if (!keys.known) {
      unknown.push(at);
      return;
    }
    for (const k of keys.value) {
      const path = Array.isArray(node) ? `${at}[${k}]` : `${at}.${k}`;
      const child = probe(() => (node as Record<string, unknown>)[k]);
      if (!child.known) {
        if (REF_KEYS.has(k) || k === REF_LIST_KEY) unknown.push(path);
        continue;
      }
      if (!Array.isArray(node) && REF_KEYS.has(k)) judge(child.value, path);
      else if (!Array.isArray(node) && k === REF_LIST_KEY && Array.isArray(child.value)) {
        const refs = child.value;
        // By index: forEach would read every item through the SDK's proxy at once, and one not
        // known yet would throw out of the whole policy, hiding the verdicts on the others.
        for (let i = 0; i < refs.length; i++) {
          const item = probe(() => refs[i]);
          if (!item.known) unknown.push(`${path}[${i}]`);
          else judge(item.value, `${path}[${i}]`);
        }
      } else walk(child.value, path);
    }
  };
  const spec = probe(() => props.spec as unknown);
  if (spec.known) walk(spec.value, "spec");
  else unknown.push("spec");
  return found;
}

/** Reports each such ref of one object; what this run cannot read goes to `pending`. */
export function reportUnreadableCredentialRefs(type: string, props: Record<string, any>, skip: Set<string>, report: (message: string) => void, pending: string[]): void {
  const { namespace, name } = meta(props);
  const unknown: string[] = [];
  for (const [path, why] of unreadableCredentialRefs(props, skip, unknown)) {
    report(`${kindName(type)} ${namespace}/${name}: ${path} ${why}; keep the credential in a Secret in the object's namespace (a ref with only a name)`);
  }
  pending.push(...unknown.map((u) => `${u} of ${kindName(type)} ${namespace}/${name}`));
}
