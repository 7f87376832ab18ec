/**
 * Whether a listener's certificateRefs leave it a certificate. Gateway API makes a reference to
 * another namespace invalid unless a ReferenceGrant there allows it (the CRD's certificateRefs:
 * ResolvedRefs False, RefNotPermitted). Istio 1.30.3 drops such a reference (gateway/conversion.go
 * buildTLS) after looking for a grant in the Secret's namespace from the listener owner's kind and
 * namespace to Secret, for every name or this one (gatewaycommon/references.go SecretAllowed); with
 * none left the listener keeps tls SIMPLE and no credential, as with no certificateRefs at all.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta } from "./k8s";
import { GATEWAY_GROUP } from "./gateways";
import { list } from "./values";


/** Whether a ReferenceGrant of the stack lets `owner` (a Gateway or ListenerSet) use Secret `namespace/name`. */
function granted(owner: { kind: string; namespace: string }, namespace: string, name: string, resources: PolicyResource[]): boolean {
  return resources.some(
    (r) =>
      isKind(r.type, GATEWAY_GROUP, "ReferenceGrant") &&
      meta(r.props).namespace === namespace &&
      list(r.props.spec?.from as any[]).some((f) => (f?.group ?? "") === GATEWAY_GROUP && f?.kind === owner.kind && f?.namespace === owner.namespace) &&
      list(r.props.spec?.to as any[]).some((t) => (t?.group ?? "") === "" && t?.kind === "Secret" && (t?.name === undefined || t?.name === null || t?.name === name)),
  );
}

/**
 * Whether any of `refs` names a certificate `owner` may use: a Secret in its own namespace or one a
 * ReferenceGrant opens to it. A reference to another kind is taken as usable (not judged here).
 */
export function usableCertificateRef(refs: unknown, owner: { kind: string; namespace: string }, resources: PolicyResource[]): boolean {
  return list(refs as any[]).some((ref) => {
    if ((ref?.group ?? "") !== "" || (ref?.kind ?? "Secret") !== "Secret") return true;
    const namespace = ref?.namespace ?? owner.namespace;
    return namespace === owner.namespace || granted(owner, namespace, String(ref?.name), resources);
  });
}
