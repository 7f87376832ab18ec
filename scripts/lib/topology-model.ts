/**
 * The platform's shape as reviewers need it, derived only from the rendered objects of a
 * deployment export: clusters and their networks, east-west gateways and the links between
 * networks, remote secrets, gateways (inference, agentgateway, waypoints), routes with their
 * weights, InferencePools with their endpoint pickers. Pure: no I/O, works on any export.
 */
import type { CapturedResource } from "./engine";
import { manifestsByCluster, KubernetesObject } from "./outputs";

export interface ClusterNode {
  name: string;
  cloud?: string;
  region?: string;
  network?: string;
}

export type GatewayRole = "east-west" | "waypoint" | "agentgateway" | "ingress";

export interface GatewayNode {
  cluster: string;
  namespace: string;
  name: string;
  className: string;
  role: GatewayRole;
  listeners: { name: string; port: number; protocol: string; tls?: string }[];
}

export interface PoolNode {
  cluster: string;
  namespace: string;
  name: string;
  targetPorts: number[];
  selector: Record<string, string>;
  epp?: { service: string; port?: number; failureMode?: string };
}

export interface RouteEdge {
  cluster: string;
  route: string;
  kind: string;
  /** `namespace/name` of the parent Gateway. */
  gateway: string;
  /** `Kind namespace/name` of the backend. */
  backend: string;
  /** Percent of the rule's traffic (weight / sum of the rule's weights), when the rule splits. */
  weight?: number;
  /** Header matches of the rule, e.g. `x-canary=true`. */
  match?: string;
}

export interface Topology {
  stack: string;
  clusters: ClusterNode[];
  gateways: GatewayNode[];
  pools: PoolNode[];
  routes: RouteEdge[];
  /** Pairs of clusters in different networks that both run an east-west gateway. */
  eastWestLinks: { a: string; b: string }[];
  /** `reader` watches the API server of `target` through a remote secret. */
  remoteSecrets: { reader: string; target: string }[];
  objects: Map<string, KubernetesObject[]>;
}

const NETWORK_LABEL = "topology.istio.io/network";

export function gatewayRole(className: string): GatewayRole {
  if (className === "istio-east-west") return "east-west";
  if (className === "istio-waypoint") return "waypoint";
  if (className === "agentgateway") return "agentgateway";
  return "ingress";
}

const spec = (o: KubernetesObject) => (o.spec ?? {}) as Record<string, any>;

function stackClusters(resources: CapturedResource[]): ClusterNode[] {
  const outputs = resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs as { clusters?: unknown } | undefined;
  const list = Array.isArray(outputs?.clusters) ? (outputs!.clusters as Record<string, unknown>[]) : [];
  return list
    .filter((c) => typeof c?.name === "string")
    .map((c) => ({ name: String(c.name), cloud: c.cloud as string, region: c.region as string, network: c.network as string }));
}

export function buildTopology(resources: CapturedResource[], stack: string): Topology {
  const objects = new Map<string, KubernetesObject[]>();
  for (const m of manifestsByCluster(resources).values()) objects.set(m.cluster, m.objects);
  const clusters = new Map<string, ClusterNode>(stackClusters(resources).map((c) => [c.name, c]));
  for (const [cluster, objs] of objects) {
    const node = clusters.get(cluster) ?? { name: cluster };
    const ns = objs.find((o) => o.kind === "Namespace" && (o.metadata.labels as Record<string, string> | undefined)?.[NETWORK_LABEL]);
    node.network ??= (ns?.metadata.labels as Record<string, string> | undefined)?.[NETWORK_LABEL];
    clusters.set(cluster, node);
  }

  const gateways: GatewayNode[] = [];
  const pools: PoolNode[] = [];
  const routes: RouteEdge[] = [];
  const remoteSecrets: Topology["remoteSecrets"] = [];
  for (const [cluster, objs] of objects) {
    for (const o of objs) {
      const ns = o.metadata.namespace ?? "default";
      if (o.kind === "Gateway" && o.apiVersion.startsWith("gateway.networking.k8s.io/")) {
        const className = String(spec(o).gatewayClassName ?? "");
        gateways.push({
          cluster, namespace: ns, name: o.metadata.name, className, role: gatewayRole(className),
          listeners: (spec(o).listeners ?? []).map((l: any) => ({ name: l.name, port: l.port, protocol: l.protocol, ...(l.tls?.mode ? { tls: l.tls.mode } : {}) })),
        });
      } else if (o.kind === "InferencePool") {
        const ref = spec(o).endpointPickerRef;
        pools.push({
          cluster, namespace: ns, name: o.metadata.name,
          targetPorts: (spec(o).targetPorts ?? []).map((p: any) => p.number),
          selector: spec(o).selector?.matchLabels ?? {},
          ...(ref ? { epp: { service: ref.name, port: ref.port?.number, failureMode: ref.failureMode } } : {}),
        });
      } else if ((o.kind === "HTTPRoute" || o.kind === "GRPCRoute") && o.apiVersion.startsWith("gateway.networking.k8s.io/")) {
        for (const parent of spec(o).parentRefs ?? []) {
          if (parent.kind && parent.kind !== "Gateway") continue;
          for (const rule of spec(o).rules ?? []) {
            const headers = (rule.matches ?? []).flatMap((m: any) => (m.headers ?? []).map((h: any) => `${h.name}=${h.value}`));
            // Gateway API: each backend gets weight / sum (an omitted weight is 1); a lone backend gets it all.
            const refs = rule.backendRefs ?? [];
            const total = refs.reduce((sum: number, b: any) => sum + (b.weight ?? 1), 0);
            const share = (b: any) => (refs.length > 1 && total > 0 ? Math.round(((b.weight ?? 1) * 10000) / total) / 100 : undefined);
            for (const b of refs) {
              routes.push({
                cluster, route: `${ns}/${o.metadata.name}`, kind: o.kind,
                gateway: `${parent.namespace ?? ns}/${parent.name}`,
                backend: `${b.kind ?? "Service"} ${b.namespace ?? ns}/${b.name}`,
                ...(share(b) !== undefined ? { weight: share(b) } : {}),
                ...(headers.length ? { match: headers.join(",") } : {}),
              });
            }
          }
        }
      } else if (o.kind === "Secret" && (o.metadata.labels as Record<string, string> | undefined)?.["istio/multiCluster"] === "true") {
        const target = (o.metadata.annotations as Record<string, string> | undefined)?.["networking.istio.io/cluster"];
        if (target) remoteSecrets.push({ reader: cluster, target });
      }
    }
  }
  const ew = [...new Set(gateways.filter((g) => g.role === "east-west").map((g) => g.cluster))].sort();
  const eastWestLinks: Topology["eastWestLinks"] = [];
  for (let i = 0; i < ew.length; i++) {
    for (let j = i + 1; j < ew.length; j++) {
      const a = clusters.get(ew[i])?.network;
      const b = clusters.get(ew[j])?.network;
      if (!a || !b || a !== b) eastWestLinks.push({ a: ew[i], b: ew[j] });
    }
  }
  return {
    stack,
    clusters: [...clusters.values()].sort((a, b) => a.name.localeCompare(b.name)),
    gateways, pools, routes, eastWestLinks,
    remoteSecrets: remoteSecrets.sort((x, y) => x.reader.localeCompare(y.reader) || x.target.localeCompare(y.target)),
    objects,
  };
}
