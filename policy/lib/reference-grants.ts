/**
 * Gateway API ReferenceGrants: a reference from one namespace to an object in another is valid
 * only where a ReferenceGrant in the referent's namespace lists the referrer's group, kind and
 * namespace in `from` and the referent's group and kind (and its name, or no name: every one) in
 * `to` (the CRD; a refused reference is ResolvedRefs False, RefNotPermitted). Istio 1.30.3 and
 * agentgateway v1.4.1 index grants by exactly these keys (gatewaycommon/references.go
 * ReferenceGrantsCollection, SecretAllowed, BackendAllowed; translator/references_collection.go).
 * Read by certificate-grants.ts (listeners' Secrets) and pool-membership.ts (routes' pools).
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta } from "./k8s";
import { GATEWAY_GROUP } from "./gateways";
import { list } from "./values";

/** The referring object's kind: its group ("" the core group), kind and namespace. */
export interface GrantFrom {
  group: string;
  kind: string;
  namespace: string;
}
/** The referent: its group ("" the core group), kind, namespace and name. */
export interface GrantTo {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/** An entry's group, where the CRD requires one ("" the core group); an absent one is taken as the core group. */
const groupOf = (entry: { group?: unknown } | null | undefined) => entry?.group ?? "";

/**
 * Whether a reference from `from` to `to` is allowed: both in one namespace, or a ReferenceGrant of
 * the stack in `to.namespace` opening it. Throws the SDK's unknown-value error while a grant this
 * preview cannot read yet decides it (callers probe it).
 */
export function referenceAllowed(from: GrantFrom, to: GrantTo, resources: readonly PolicyResource[]): boolean {
  if (from.namespace === to.namespace) return true;
  return resources.some(
    (r) =>
      isKind(r.type, GATEWAY_GROUP, "ReferenceGrant") &&
      meta(r.props).namespace === to.namespace &&
      list(r.props.spec?.from as any[]).some((f) => groupOf(f) === from.group && f?.kind === from.kind && f?.namespace === from.namespace) &&
      list(r.props.spec?.to as any[]).some((t) => groupOf(t) === to.group && t?.kind === to.kind && (t?.name === undefined || t?.name === null || t?.name === to.name)),
  );
}
