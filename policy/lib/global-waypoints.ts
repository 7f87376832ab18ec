/**
 * Global Services behind a cluster-local waypoint. The ambient profile makes a Service labelled
 * `istio.io/global: "true"` visible to the other clusters (meshConfig.serviceScopeConfigs), but
 * their ztunnels reach its waypoint only if the waypoint's own Service is global too: otherwise
 * they cannot resolve it and send their calls past it, so its L7 policies never apply to them
 * (istio/istio#60985, confirmed by the maintainers on 1.30.2; istio.io ambient multicluster
 * "waypoint requirements"). istiod gives the waypoint's Service the Gateway's
 * spec.infrastructure.labels, else the Gateway's own labels (Istio 1.30.3
 * gatewaycommon/deploymentcontroller.go extractInfrastructureMetadata, files/waypoint.yaml).
 */
import type { PolicyResource } from "@pulumi/policy";
import { meta, T } from "./k8s";
import { isObject, probe, type Probe } from "./values";
import { waypointGateway, waypointOf } from "./authz-targets";

const GLOBAL = "istio.io/global";

/** Whether a Service's labels make it global: the ambient profile's serviceScopeConfigs select `istio.io/global: "true"` (labels only, not annotations). */
export const isGlobalService = (labels: Record<string, unknown> | undefined): boolean => labels?.[GLOBAL] === "true";

/** The labels istiod puts on a waypoint's Service. */
function waypointServiceLabels(gw: PolicyResource): Record<string, unknown> {
  const infra = gw.props.spec?.infrastructure?.labels;
  return isObject(infra) ? infra : (meta(gw.props).labels ?? {});
}

export interface GlobalWaypointFinding {
  service: PolicyResource;
  message: string;
}

/** One cluster's global Services whose waypoint (rendered by the stack there) is not global; `unknown` names what this preview cannot read. */
export function globalServicesBehindLocalWaypoints(cluster: string, resources: PolicyResource[]): { findings: GlobalWaypointFinding[]; unknown: string[] } {
  const findings: GlobalWaypointFinding[] = [];
  const unknown: string[] = [];
  for (const svc of resources.filter((r) => r.type === T.service)) {
    const read = probe(() => {
      const { namespace, name, labels } = meta(svc.props);
      if (!isGlobalService(labels)) return undefined;
      const ns = resources.find((r) => r.type === T.namespace && meta(r.props).name === namespace);
      const waypoint = waypointOf(labels ?? {}, ns ? (meta(ns.props).labels ?? {}) : {}, namespace);
      if (!waypoint) return undefined;
      const gw = waypointGateway(resources, waypoint);
      if (!gw || isGlobalService(waypointServiceLabels(gw))) return undefined;
      return { what: `${namespace}/${name}`, waypoint };
    });
    if (!read.known) {
      unknown.push(`the labels of Service ${svc.name} on cluster ${cluster}, its namespace or its waypoint (whether a global Service sits behind a local waypoint)`);
      continue;
    }
    if (!read.value) continue;
    const { what, waypoint } = read.value;
    findings.push({
      service: svc,
      message: `cluster ${cluster}: Service ${what} is global (${GLOBAL}: "true") but the Service of its waypoint ${waypoint} is not: the other clusters cannot resolve that waypoint, so their calls to ${what} skip it and every L7 policy on it (istio/istio#60985); label the waypoint's Service ${GLOBAL}: "true" (its Gateway's spec.infrastructure.labels) in every cluster`,
    });
  }
  return { findings, unknown };
}

/**
 * A global Service's waypoint across the clusters that render it: Istio 1.30.3 assumes "universal"
 * waypoints, the same waypoint (name and namespace) for a Service in every cluster (istio.io
 * ambient multicluster install, "Waypoint requirements"); where they differ, or one cluster has
 * none, cross-cluster calls take the other cluster's setup and skip the waypoint that holds the
 * Service's L7 policies (istio/istio#57394, #60985: the configuration has to be symmetric).
 */
export function asymmetricGlobalWaypoints(clusters: { cluster: string; resources: PolicyResource[] }[]): { findings: GlobalWaypointFinding[]; unknown: string[] } {
  type Copy = { cluster: string; service: PolicyResource; global: Probe<boolean>; waypoint: Probe<string> };
  const seen = new Map<string, Copy[]>();
  for (const { cluster, resources } of clusters) {
    for (const service of resources.filter((r) => r.type === T.service)) {
      const key = probe(() => `${meta(service.props).namespace}/${meta(service.props).name}`);
      if (!key.known) continue; // not comparable with its copies; nothing names it yet
      const global = probe(() => isGlobalService(meta(service.props).labels));
      const waypoint = probe(() => {
        const { namespace, labels } = meta(service.props);
        const ns = resources.find((r) => r.type === T.namespace && meta(r.props).name === namespace);
        return waypointOf(labels ?? {}, ns ? (meta(ns.props).labels ?? {}) : {}, namespace) ?? "none";
      });
      seen.set(key.value, [...(seen.get(key.value) ?? []), { cluster, service, global, waypoint }]);
    }
  }
  const findings: GlobalWaypointFinding[] = [];
  const unknown: string[] = [];
  for (const [key, copies] of seen) {
    if (copies.length < 2 || copies.every((c) => c.global.known && !c.global.value)) continue;
    const waypoints = new Set(copies.flatMap((c) => (c.waypoint.known ? [c.waypoint.value] : [])));
    const unread = copies.filter((c) => !c.waypoint.known).map((c) => c.cluster);
    // Two waypoints known already differ whatever the others are; the copies may still all be local.
    if (waypoints.size < 2 || !copies.some((c) => c.global.known && c.global.value)) {
      if (waypoints.size >= 2 || unread.length > 0) unknown.push(`the labels of Service ${key} or its namespace on clusters ${copies.map((c) => c.cluster).join(", ")} (whether a global Service has the same waypoint in every cluster)`);
      continue;
    }
    const each = copies.map((c) => `${!c.waypoint.known ? "a waypoint not known yet" : c.waypoint.value === "none" ? "no waypoint" : `waypoint ${c.waypoint.value}`} on ${c.cluster}`).join(", ");
    findings.push({
      service: copies[0].service,
      message: `global Service ${key} has ${each}: Istio assumes the same waypoint for a Service in every cluster, so cross-cluster calls to it skip the waypoint that holds its L7 policies; give it the same istio.io/use-waypoint (on it or its namespace) in every cluster`,
    });
  }
  return { findings, unknown };
}
