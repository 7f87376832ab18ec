/**
 * The callers of an Istio AuthorizationPolicy rule, for topology-access.ts: the mesh identities a
 * cluster renders (ServiceAccounts and the accounts Gateway controllers provision), and each
 * rule source read as the callers it admits (topology-sources.ts decides which identities match).
 */
import type { KubernetesObject } from "./outputs";
import { BARE_NAME_PROXY_CLASSES, proxyServiceAccount } from "../../components/agents/callgraph";
import { sourceAdmits, Matching } from "./topology-sources";

/** `ns/sa` of a principal `<trustDomain>/ns/<ns>/sa/<sa>`, or undefined for other forms. */
export function principalIdentity(principal: string): string | undefined {
  const m = /^(?:[^/]+\/)?ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** Who a rule's source stands for, as a row of the access list. */
interface Caller {
  label: string;
  resolved: boolean;
  note?: string;
  admits?: (identity: string) => boolean;
  neverMatches?: string;
}

/** Classes Istio's deployment controller deploys (the annotation is Istio's). */
const ISTIO_CLASSES = ["istio", "istio-waypoint", "istio-east-west", "istio-agentgateway"];

/**
 * Identities that may appear as principals: rendered ServiceAccounts (note ""), and the accounts
 * controllers provision for Gateways: Istio `<name>-istio` for its default class and the bare name
 * for its waypoint, east-west and agentgateway classes (Istio 1.30.3 DisableNameSuffix,
 * pilot/pkg/config/kube/gatewaycommon/classinfo.go), the agentgateway controller the Gateway's name.
 */
export function meshIdentities(objects: KubernetesObject[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of objects) {
    const ns = o.metadata.namespace ?? "default";
    if (o.kind === "ServiceAccount") out.set(`${ns}/${o.metadata.name}`, "");
    if (o.kind === "Gateway" && o.apiVersion.startsWith("gateway.networking.k8s.io/")) {
      const cls = String((o.spec as any)?.gatewayClassName ?? "");
      const note = `proxy of Gateway ${ns}/${o.metadata.name}`;
      // Istio's default class provisions `<name>-istio`; classes of other controllers provision nothing known. Istio's
      // own classes run the proxy under the gateway.istio.io/service-account annotation's account when it names one.
      const annotated = ISTIO_CLASSES.includes(cls) ? (o.metadata.annotations as Record<string, string> | undefined)?.["gateway.istio.io/service-account"] : undefined;
      if (BARE_NAME_PROXY_CLASSES.includes(cls) || cls === "istio") out.set(`${ns}/${annotated || proxyServiceAccount(o.metadata.name, cls)}`, note);
    }
  }
  return out;
}

const described: Record<string, string> = { namespaces: "any workload in namespace", ipBlocks: "ipBlock", requestPrincipals: "request principal" };

/** The callers one rule of a policy in `policyNamespace` admits, a row per principal or value where its source has one field. */
export function resolveCallers(rule: Record<string, any>, identities: Map<string, string>, policyNamespace: string, matching: Matching): Caller[] {
  const froms = (rule.from ?? []) as { source?: Record<string, string[]> }[];
  if (froms.length === 0) return [{ label: "any caller (rule without sources)", resolved: false, admits: () => true }];
  return froms.flatMap(({ source = {} }): Caller[] => {
    const present = Object.entries(source).filter(([, v]) => Array.isArray(v) && v.length > 0) as [string, string[]][];
    const only = present.length === 1 ? present[0] : undefined;
    if (only?.[0] === "principals") {
      return only[1].map((p): Caller => {
        const id = principalIdentity(p);
        const admits = sourceAdmits({ principals: [p] }, policyNamespace, matching);
        if (p === "*") return { label: "any authenticated caller", resolved: false, admits };
        if (id && admits?.(id)) return { label: id, resolved: identities.has(id), ...(identities.get(id) ? { note: identities.get(id) } : {}), admits };
        // Identities are `<trustDomain>/ns/<ns>/sa/<sa>`: a principal in another trust domain names nobody here.
        if (id) return { label: `principal ${p}`, resolved: false, admits, neverMatches: `the mesh's trust domain is ${matching.trustDomain}` };
        return { label: `principal ${p}`, resolved: false, ...(admits ? { admits } : {}) };
      });
    }
    // One field of values ORed: a row per value. Several fields are ANDed: one row for the source.
    const admits = sourceAdmits(source, policyNamespace, matching);
    if (only && described[only[0]]) {
      return only[1].map((v) => ({ label: `${described[only[0]]} ${v}`, resolved: false, ...(only[0] === "namespaces" ? { admits: sourceAdmits({ namespaces: [v] }, policyNamespace, matching) } : {}) }));
    }
    if (only?.[0] === "notPrincipals" && only[1].includes("*")) return [{ label: "callers without a mesh identity", resolved: false, admits: () => false }];
    const words = present.map(([k, v]) => `${k} ${v.join(",")}`).join(" and ");
    return [{ label: present.length ? `callers with ${words}` : "any caller (empty source)", resolved: false, ...(admits ? { admits } : {}) }];
  });
}
