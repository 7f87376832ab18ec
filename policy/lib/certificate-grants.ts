/**
 * Whether a listener's certificateRefs leave it a certificate. Gateway API makes a reference to
 * another namespace invalid unless a ReferenceGrant there allows it (the CRD's certificateRefs:
 * ResolvedRefs False, RefNotPermitted). Istio 1.30.3 drops such a reference (gateway/conversion.go
 * buildTLS) after looking for a grant in the Secret's namespace from the listener owner's kind and
 * namespace to Secret, for every name or this one (gatewaycommon/references.go SecretAllowed); with
 * none left the listener keeps tls SIMPLE and no credential, as with no certificateRefs at all.
 */
import type { PolicyResource } from "@pulumi/policy";
import { GATEWAY_GROUP } from "./gateways";
import { referenceAllowed } from "./reference-grants";
import { list } from "./values";

/**
 * Whether any of `refs` names a certificate `owner` may use: a Secret in its own namespace or one a
 * ReferenceGrant opens to it. A reference to another kind is taken as usable (not judged here).
 */
export function usableCertificateRef(refs: unknown, owner: { kind: string; namespace: string }, resources: PolicyResource[]): boolean {
  return list(refs as any[]).some((ref) => {
    if ((ref?.group ?? "") !== "" || (ref?.kind ?? "Secret") !== "Secret") return true;
    const to = { group: "", kind: "Secret", namespace: ref?.namespace ?? owner.namespace, name: String(ref?.name) };
    return referenceAllowed({ group: GATEWAY_GROUP, kind: owner.kind, namespace: owner.namespace }, to, resources);
  });
}
