/**
 * Builders for Istio authorization objects shared by every layer. Ambient enforces policies in
 * two places: ztunnel (L4: `selector` or namespace-wide policies, principals and ports only) and
 * waypoints (L7: `targetRefs` to a waypoint Gateway or a Service). L7 fields in a ztunnel policy
 * make ztunnel deny everything, so the builders keep the two apart.
 */
import { Manifest } from "../k8s/apply";

/** A workload identity as ambient authorization names it: `<trustDomain>/ns/<ns>/sa/<sa>`. */
export interface Identity {
  namespace: string;
  serviceAccount: string;
}

export function principal(trustDomain: string, id: Identity): string {
  return `${trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** Where a policy attaches: workloads by label (ztunnel, L4) or a Gateway/Service (waypoint, L7). */
export type PolicyTarget =
  | { selector: Record<string, string> }
  | { namespaceWide: true }
  | { targetRefs: { group: "gateway.networking.k8s.io" | ""; kind: "Gateway" | "Service"; name: string }[] };

export interface AllowRule {
  /** Callers allowed by this rule; an ALLOW rule always names its sources. */
  from: Identity[];
  /**
   * Also admit callers without a mesh identity (`notPrincipals: ["*"]`): clients from outside the
   * mesh at a gateway's public listener. Only meaningful on a Gateway target.
   */
  unauthenticated?: boolean;
  /** Destination ports (L4, any target). */
  ports?: number[];
  /** HTTP methods and paths: L7, only valid on waypoint (`targetRefs`) policies. */
  methods?: string[];
  paths?: string[];
}

export interface AllowPolicyArgs {
  name: string;
  namespace: string;
  trustDomain: string;
  target: PolicyTarget;
  rules: AllowRule[];
  labels?: Record<string, string>;
}

/** An ALLOW AuthorizationPolicy: callers not matched by a rule are denied. */
export function allowPolicy(args: AllowPolicyArgs): Manifest {
  const isWaypoint = "targetRefs" in args.target;
  for (const r of args.rules) {
    if (r.from.length === 0 && !r.unauthenticated) throw new Error(`AuthorizationPolicy ${args.namespace}/${args.name}: an ALLOW rule must name its callers`);
    if (!isWaypoint && (r.methods || r.paths)) {
      throw new Error(`AuthorizationPolicy ${args.namespace}/${args.name}: L7 fields need a waypoint target (targetRefs), not a selector`);
    }
  }
  const target =
    "selector" in args.target
      ? { selector: { matchLabels: args.target.selector } }
      : "targetRefs" in args.target
        ? { targetRefs: args.target.targetRefs }
        : {};
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: args.name, namespace: args.namespace, ...(args.labels ? { labels: args.labels } : {}) },
    spec: {
      ...target,
      action: "ALLOW",
      rules: args.rules.map((r) => {
        const operation = {
          ...(r.ports ? { ports: r.ports.map(String) } : {}),
          ...(r.methods ? { methods: r.methods } : {}),
          ...(r.paths ? { paths: r.paths } : {}),
        };
        const sources = [
          ...(r.from.length ? [{ source: { principals: [...new Set(r.from.map((id) => principal(args.trustDomain, id)))].sort() } }] : []),
          ...(r.unauthenticated ? [{ source: { notPrincipals: ["*"] } }] : []),
        ];
        return {
          from: sources,
          ...(Object.keys(operation).length ? { to: [{ operation }] } : {}),
        };
      }),
    },
  };
}
