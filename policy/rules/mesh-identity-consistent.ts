import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, dig, helmChartName, isHelmInstall, meta, T } from "../lib/k8s";
import { probe } from "../lib/values";

function chartOf(r: PolicyResource): string | undefined {
  const name = probe(() => helmChartName(r.props));
  return name.known ? name.value : undefined;
}

function value(r: PolicyResource, path: string): string | undefined {
  const v = probe(() => dig(r.props.values, path));
  return v.known && typeof v.value === "string" ? v.value : undefined;
}

/**
 * The mesh ID an istiod release gives its proxies, `null` when this run cannot read it. The chart
 * writes `defaultConfig.meshId` from `global.meshID` and then merges `.Values.meshConfig` over it
 * (istio-discovery templates/configmap.yaml, `mergeOverwrite`), so `meshConfig.defaultConfig.meshId`
 * wins; an empty string sets nothing (the template skips it, the merge keeps the other).
 */
function meshIdOf(r: PolicyResource): string | undefined | null {
  for (const path of ["meshConfig.defaultConfig.meshId", "global.meshID"]) {
    const v = probe(() => dig(r.props.values, path));
    if (!v.known) return null;
    if (typeof v.value === "string" && v.value !== "") return v.value;
  }
  return undefined;
}

const releaseName = (r: PolicyResource) => {
  const name = probe(() => r.props.name as unknown);
  return name.known && typeof name.value === "string" && name.value !== "" ? name.value : r.name;
};

/**
 * agentgateway's proxies take their mesh identity from istiod (AgentgatewayParameters `istio`, the
 * controller chart's `istio.*`): a trust domain, network or cluster ID other than istiod's gives
 * them certificates no policy names, or endpoints in a network that does not exist.
 */
function checkAgentgateway(
  cluster: string,
  resources: PolicyResource[],
  mesh: { trustDomain: string; network?: string; clusterId?: string },
  report: (message: string, urn?: string) => void,
): void {
  const expect = (where: string, field: string, actual: unknown, expected: string | undefined, urn: string) => {
    if (typeof actual === "string" && expected !== undefined && actual !== expected) {
      report(`cluster ${cluster}: ${where} ${field}=${actual} but istiod's is ${expected}`, urn);
    }
  };
  for (const r of resources.filter((x) => x.type.startsWith("kubernetes:agentgateway.dev/") && x.type.endsWith(":AgentgatewayParameters"))) {
    const istio = probe(() => r.props.spec?.istio as Record<string, unknown> | undefined);
    if (!istio.known || !istio.value) continue;
    const where = `AgentgatewayParameters ${meta(r.props).namespace}/${meta(r.props).name}`;
    expect(where, "istio.trustDomain", istio.value.trustDomain, mesh.trustDomain, r.urn);
    expect(where, "istio.network", istio.value.network, mesh.network, r.urn);
    expect(where, "istio.clusterId", istio.value.clusterId, mesh.clusterId, r.urn);
  }
  for (const r of resources.filter((x) => isHelmInstall(x.type) && chartOf(x) === "agentgateway")) {
    const where = `Helm release ${r.props.name ?? r.name} (agentgateway)`;
    expect(where, "istio.network", value(r, "istio.network"), mesh.network, r.urn);
    expect(where, "istio.clusterId", value(r, "istio.clusterId"), mesh.clusterId, r.urn);
  }
}

/**
 * Clusters join one multi-network mesh only if istiod everywhere agrees on the mesh ID and trust
 * domain, and each cluster names its own network consistently: a mismatch splits identities
 * (principals stop matching) or routes traffic to the wrong east-west gateway. A cluster running
 * several istiod revisions is held to the same: each revision serves its own proxies.
 */
export const meshIdentityConsistent: StackValidationPolicy = {
  name: "mesh-identity-consistent",
  description:
    "Across clusters, and across the istiod releases (revisions) of each cluster, istiod uses one meshID (meshConfig.defaultConfig.meshId, which overrides global.meshID) and one trust domain; each cluster's network name is unique and the same in istiod, ztunnel and the istio-system namespace label topology.istio.io/network; each cluster's Istio cluster name is unique and the same in every istiod and ztunnel; agentgateway's Istio settings (AgentgatewayParameters, chart values) use istiod's trust domain, network and cluster name.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const meshIds = new Map<string, string[]>();
    const trustDomains = new Map<string, string[]>();
    const networks = new Map<string, string[]>();
    const clusterIds = new Map<string, string[]>();
    const add = (m: Map<string, string[]>, k: string, cluster: string) => m.set(k, [...(m.get(k) ?? []), cluster]);
    let istiods = 0;
    let revisions = false;
    for (const [cluster, resources] of byCluster(args.resources)) {
      const releases = resources.filter((r) => isHelmInstall(r.type));
      // Every istiod of the cluster: a second release (a revision) serves its own proxies with its own mesh settings.
      const istiodReleases = releases.filter((r) => chartOf(r) === "istiod");
      if (istiodReleases.length === 0) continue;
      istiods++;
      const several = istiodReleases.length > 1;
      if (several) revisions = true;
      const label = (r: PolicyResource) => (several ? `${cluster}/${releaseName(r)}` : cluster);
      const istiod = istiodReleases[0];
      const clusterIdsHere = new Map<string, PolicyResource>();
      const declared = new Map<string, string | undefined>();
      for (const r of istiodReleases) {
        const meshId = meshIdOf(r);
        if (meshId !== null) add(meshIds, meshId ?? "(unset)", label(r));
        add(trustDomains, value(r, "meshConfig.trustDomain") ?? "cluster.local", label(r));
        declared.set(several ? `istiod ${releaseName(r)} global.network` : "istiod global.network", value(r, "global.network"));
        // The chart falls back to "Kubernetes" (istiod CLUSTER_ID).
        const id = value(r, "global.multiCluster.clusterName") ?? "Kubernetes";
        if (!clusterIdsHere.has(id)) clusterIdsHere.set(id, r);
      }
      if (clusterIdsHere.size > 1) {
        report(`cluster ${cluster}: its istiod releases name the cluster differently (${istiodReleases.map((r) => `${releaseName(r)} global.multiCluster.clusterName=${value(r, "global.multiCluster.clusterName") ?? "Kubernetes"}`).join(", ")}); one cluster has one Istio cluster name`, istiodReleases[1].urn);
      }
      for (const id of clusterIdsHere.keys()) add(clusterIds, id, cluster);
      const clusterId = value(istiod, "global.multiCluster.clusterName") ?? "Kubernetes";
      const ztunnel = releases.find((r) => chartOf(r) === "ztunnel");
      if (ztunnel) {
        // ztunnel's chart merges global.* onto its top level, so either key sets NETWORK.
        declared.set("ztunnel global.network", value(ztunnel, "global.network"));
        if (value(ztunnel, "network") !== undefined) declared.set("ztunnel network", value(ztunnel, "network"));
      }
      // Both charts fall back to "Kubernetes" (istiod CLUSTER_ID, ztunnel ISTIO_META_CLUSTER_ID).
      const ztunnelClusterId = ztunnel && (value(ztunnel, "multiCluster.clusterName") ?? value(ztunnel, "global.multiCluster.clusterName") ?? "Kubernetes");
      if (ztunnelClusterId && clusterId && ztunnelClusterId !== clusterId) {
        report(`cluster ${cluster}: ztunnel multiCluster.clusterName=${ztunnelClusterId} but istiod global.multiCluster.clusterName=${clusterId}; ztunnel's workloads would be registered under another cluster`, ztunnel.urn);
      }
      const ns = resources.find((r) => r.type === T.namespace && meta(r.props).name === "istio-system");
      if (ns) declared.set("istio-system label topology.istio.io/network", meta(ns.props).labels["topology.istio.io/network"]);
      const names = new Set([...declared.values()].filter((v): v is string => !!v));
      if (names.size > 1) {
        report(`cluster ${cluster} names its network inconsistently: ${[...declared].map(([k, v]) => `${k}=${v ?? "unset"}`).join(", ")}`, istiod.urn);
      }
      const network = [...names][0];
      if (network) add(networks, network, cluster);
      else report(`cluster ${cluster}: istiod has no global.network; multi-network ambient needs one per cluster`, istiod.urn);
      checkAgentgateway(cluster, resources, { trustDomain: value(istiod, "meshConfig.trustDomain") ?? "cluster.local", network, clusterId }, report);
    }
    const across = revisions ? "across clusters and istiod revisions" : "across clusters";
    if (meshIds.size > 1) report(`istiod meshID differs ${across}: ${[...meshIds].map(([k, v]) => `${k} (${v.join(", ")})`).join("; ")} (meshConfig.defaultConfig.meshId where set, else global.meshID)`);
    if (istiods > 1 && meshIds.has("(unset)")) report(`clusters ${meshIds.get("(unset)")!.join(", ")} set no meshID (global.meshID or meshConfig.defaultConfig.meshId) in a multi-cluster mesh`);
    if (trustDomains.size > 1) report(`trust domain differs ${across}: ${[...trustDomains].map(([k, v]) => `${k} (${v.join(", ")})`).join("; ")}`);
    for (const [id, owners] of clusterIds) {
      if (owners.length > 1) report(`Istio cluster name ${id} is used by clusters ${owners.join(", ")}; remote secrets and endpoints need one name per cluster`);
    }
    for (const [network, owners] of networks) {
      if (owners.length > 1) report(`network ${network} is claimed by clusters ${owners.join(", ")}; each cluster needs its own network name`);
    }
  },
};
