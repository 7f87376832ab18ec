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
import { probe, walkValues, WalkedValue } from "./values";

const REF_KEYS = new Set(["secretRef", "clientSecretRef", "signingKeyRef", "certificateRef"]);
const REF_LIST_KEY = "mtlsCertificateRef";

/** The agentgateway kinds whose credential refs the controller resolves into the proxy's config. */
export const holdsCredentialRefs = (type: string): boolean =>
  isKind(type, "agentgateway.dev", "AgentgatewayBackend") || isKind(type, "agentgateway.dev", "AgentgatewayPolicy");

/**
 * Why the CRD's CEL refuses a credential ref's group and kind (one set without the other; kind
 * Secret alone is the core Secret), or undefined: it holds wherever the ref sits, read or not.
 */
export function halfSetRef(ref: { group?: unknown; kind?: unknown }): string | undefined {
  const group = typeof ref.group === "string" ? ref.group : "";
  const kind = typeof ref.kind === "string" ? ref.kind : "";
  const refused = group === "" ? kind !== "" && kind !== "Secret" : kind === "";
  if (!refused) return undefined;
  return `sets ${group === "" ? `kind ${kind} without a group` : `group ${group} without a kind`}, which the CRD's validation refuses ("custom credential refs must set both group and kind")`;
}

/**
 * Why agentgateway v1.4.1 cannot read a credential ref, or undefined when it names a core Secret
 * (only `name`, or kind Secret without a group). A kind without a group, or a group without a
 * kind, the CRD's CEL refuses, so the API server rejects the object; a full group/kind passes the
 * schema, and the released controller cannot resolve it: it puts the error on the object's
 * status, and `consequence` says what then goes without.
 */
export function unreadableRef(ref: { group?: unknown; kind?: unknown }, consequence: string): string | undefined {
  const halfSet = halfSetRef(ref);
  if (halfSet) return `${halfSet}: the API server rejects the object`;
  const group = typeof ref.group === "string" ? ref.group : "";
  const kind = typeof ref.kind === "string" ? ref.kind : "";
  if (group === "" && (kind === "" || kind === "Secret")) return undefined;
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
  const isRefKey = (key: string) => REF_KEYS.has(key) || key === REF_LIST_KEY;
  const visit = ({ key, value, path, inList }: WalkedValue): boolean => {
    if (inList) return true;
    if (REF_KEYS.has(key)) {
      judge(value, path);
      return false;
    }
    if (key === REF_LIST_KEY && Array.isArray(value)) {
      // Each item is a ref, judged whole; read one by one, so one not known yet hides no other.
      const judgeItem = (item: WalkedValue) => {
        judge(item.value, item.path);
        return false;
      };
      walkValues(value, path, judgeItem, (at) => unknown.push(at));
      return false;
    }
    return true;
  };
  const unreadable = (at: string, key?: string) => {
    if (key === undefined || isRefKey(key)) unknown.push(at);
  };
  const spec = probe(() => props.spec as unknown);
  if (spec.known) walkValues(spec.value, "spec", visit, unreadable);
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
