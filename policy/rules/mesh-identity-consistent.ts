import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, dig, helmChartName, isHelmInstall, isReleaseOf, meta, T } from "../lib/k8s";
import { istiodNamespaces, refusedTrustDomains } from "../lib/istio";
import { withRenderedIstio } from "../lib/istio-rendered";
import { ztunnelEnvOverride } from "../lib/ztunnel-env";
import { orUnknown, Probe, probe } from "../lib/values";
import { firstSet, isUnset, orDefault, releaseName, shown, stringSetting } from "../lib/release-settings";
import { checkAgentgateway, Unknown } from "../lib/mesh-identity-agentgateway";

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

/**
 * Clusters join one multi-network mesh only if istiod everywhere agrees on the mesh ID and trust
 * domain, and each cluster names its own network consistently: a mismatch splits identities
 * (principals stop matching) or routes traffic to the wrong east-west gateway. A cluster running
 * several istiod revisions is held to the same: each revision serves its own proxies.
 */
export const meshIdentityConsistent: StackValidationPolicy = {
  name: "mesh-identity-consistent",
  description:
    "Across clusters, and across the istiod releases (revisions) of each cluster, istiod uses one meshID (meshConfig.defaultConfig.meshId, which overrides global.meshID) and one trust domain; each cluster's network name is unique and the same in istiod (in a multi-cluster mesh every istiod release sets it as global.network, the network of the waypoints and gateways it deploys), ztunnel (which must set one when the cluster has one; its NETWORK and ISTIO_META_CLUSTER_ID as its chart renders them, where an env or meshConfig.defaultConfig.proxyMetadata entry overrides network and multiCluster.clusterName) and the topology.istio.io/network label of istiod's namespace (its Helm release's; one naming none installs into its provider's default namespace: the Provider's namespace, else its inline kubeconfig context's, else default), which that namespace, where the stack renders it, must carry; each cluster's Istio cluster name is unique and the same in every istiod and ztunnel; agentgateway's Istio settings (AgentgatewayParameters, chart values) use istiod's trust domain, network and cluster name, and accept no trust domain beside istiod's and its trustDomainAliases (istio.additionalTrustDomains, ADDITIONAL_TRUST_DOMAINS, SKIP_VALIDATE_TRUST_DOMAIN); no istiod sets a meshConfig.trustDomain (or trustDomainAliases entry) Istio refuses, such as an empty one, which makes istiod reject its whole mesh config and run on Istio's defaults.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const meshIds = new Map<string, string[]>();
    const trustDomains = new Map<string, string[]>();
    const networks = new Map<string, string[]>();
    const clusterIds = new Map<string, string[]>();
    const add = (m: Map<string, string[]>, k: string, cluster: string) => m.set(k, [...(m.get(k) ?? []), cluster]);
    // Values this preview cannot know: each becomes "can't judge" only where it could change a verdict.
    const unknowns: Unknown[] = [];
    const always = () => true;
    let istiods = 0;
    let istiodReleaseCount = 0;
    let revisions = false;
    const unnetworked: { cluster: string; r: PolicyResource; network: string; namedBy: string[] }[] = [];
    for (const [cluster, objects] of byCluster(args.resources)) {
      const resources = withRenderedIstio(objects);
      const releases = resources.filter((r) => isHelmInstall(r.type));
      // A release whose chart is not known yet may be an istiod, a ztunnel or agentgateway.
      for (const r of releases.filter((x) => !probe(() => helmChartName(x.props)).known)) unknowns.push({ what: `the chart of Helm release ${releaseName(r)} on cluster ${cluster}`, matters: always });
      // Every istiod of the cluster: a second release (a revision) serves its own proxies with its own mesh settings.
      const istiodReleases = releases.filter((r) => isReleaseOf(r, "istiod"));
      if (istiodReleases.length === 0) continue;
      istiods++;
      istiodReleaseCount += istiodReleases.length;
      const several = istiodReleases.length > 1;
      if (several) revisions = true;
      const label = (r: PolicyResource) => (several ? `${cluster}/${releaseName(r)}` : cluster);
      const istiod = istiodReleases[0];
      const clusterIdsHere = new Map<string, PolicyResource>();
      const declared = new Map<string, Probe<string | undefined>>();
      for (const r of istiodReleases) {
        const which = `istiod release ${releaseName(r)} on cluster ${cluster}`;
        // The mesh ID and trust domain are compared between istiod releases: one alone agrees with itself.
        const meshId = meshIdOf(r);
        if (meshId === null) unknowns.push({ what: `the meshID of ${which}`, matters: () => istiodReleaseCount > 1 });
        else add(meshIds, meshId ?? "(unset)", label(r));
        // istiod refuses a mesh config whose trust domain Istio does not take, and runs on Istio's defaults (cluster.local).
        const refused = probe(() => refusedTrustDomains(r.props.values));
        if (!refused.known) unknowns.push({ what: `the trust domain settings (meshConfig) of ${which}`, matters: always });
        else if (refused.value.length > 0) {
          report(
            `cluster ${cluster}: istiod release ${releaseName(r)} sets ${refused.value.join(", ")}, which Istio 1.30.3 refuses: istiod rejects the whole mesh config the chart renders from meshConfig ("invalid mesh config") and runs on Istio's defaults, so every other meshConfig setting (rootNamespace, defaultConfig.meshId from global.meshID, …) is dropped and the trust domain is cluster.local; leave meshConfig.trustDomain unset for cluster.local or set a DNS name`,
            r.urn,
          );
        }
        const trustDomain = refused.known && refused.value.some((x) => x.startsWith("meshConfig.trustDomain ")) ? { known: true as const, value: undefined } : stringSetting(r, "meshConfig.trustDomain");
        if (!trustDomain.known) unknowns.push({ what: `the trust domain (meshConfig.trustDomain) of ${which}`, matters: () => istiodReleaseCount > 1 });
        else add(trustDomains, trustDomain.value ?? "cluster.local", label(r));
        declared.set(several ? `istiod ${releaseName(r)} global.network` : "istiod global.network", stringSetting(r, "global.network"));
        // The chart falls back to "Kubernetes" (istiod CLUSTER_ID). Compared with the cluster's other
        // istiods and with other clusters (ztunnel and agentgateway below).
        const id = stringSetting(r, "global.multiCluster.clusterName");
        if (!id.known) unknowns.push({ what: `the Istio cluster name (global.multiCluster.clusterName) of ${which}`, matters: () => several || istiods > 1 });
        else if (!clusterIdsHere.has(id.value ?? "Kubernetes")) clusterIdsHere.set(id.value ?? "Kubernetes", r);
      }
      if (clusterIdsHere.size > 1) {
        report(`cluster ${cluster}: its istiod releases name the cluster differently (${istiodReleases.map((r) => `${releaseName(r)} global.multiCluster.clusterName=${shown(orDefault(stringSetting(r, "global.multiCluster.clusterName"), "Kubernetes"))}`).join(", ")}); one cluster has one Istio cluster name`, istiodReleases[1].urn);
      }
      for (const id of clusterIdsHere.keys()) add(clusterIds, id, cluster);
      const clusterId = orDefault(stringSetting(istiod, "global.multiCluster.clusterName"), "Kubernetes");
      const ztunnel = releases.find((r) => isReleaseOf(r, "ztunnel"));
      // A proxyMetadata or env entry of ztunnel's renders after the NETWORK its values set, and wins (lib/ztunnel-env.ts).
      const zNet = ztunnel && probe(() => ztunnelEnvOverride(ztunnel.props.values, "NETWORK"));
      if (ztunnel && zNet) {
        // ztunnel's chart merges global.* onto its top level, so either key sets NETWORK.
        declared.set("ztunnel global.network", stringSetting(ztunnel, "global.network"));
        const top = stringSetting(ztunnel, "network");
        if (!top.known || top.value !== undefined) declared.set("ztunnel network", top);
        if (!zNet.known) unknowns.push({ what: `ztunnel's NETWORK on cluster ${cluster} (its env and meshConfig.defaultConfig.proxyMetadata)`, matters: always });
        // Both charts fall back to "Kubernetes" (istiod CLUSTER_ID, ztunnel ISTIO_META_CLUSTER_ID).
        const zId = probe(() => ztunnelEnvOverride(ztunnel.props.values, "ISTIO_META_CLUSTER_ID"));
        const idKey = zId.known && zId.value ? zId.value.key : "multiCluster.clusterName";
        const ztunnelClusterId = !zId.known ? zId : zId.value ? { known: true as const, value: zId.value.value } : orDefault(firstSet(stringSetting(ztunnel, "multiCluster.clusterName"), stringSetting(ztunnel, "global.multiCluster.clusterName")), "Kubernetes");
        if (!ztunnelClusterId.known || !clusterId.known) unknowns.push({ what: `whether ztunnel and istiod name cluster ${cluster} alike (multiCluster.clusterName, env.ISTIO_META_CLUSTER_ID)`, matters: always });
        else if (ztunnelClusterId.value !== clusterId.value) {
          report(`cluster ${cluster}: ztunnel ${idKey}=${ztunnelClusterId.value} but istiod global.multiCluster.clusterName=${clusterId.value}; ztunnel's workloads would be registered under another cluster`, ztunnel.urn);
        }
      }
      // istiod reads the network label of its own namespace (its release's), not istio-system's.
      const systemNamespaces = istiodNamespaces(resources);
      if (!systemNamespaces) unknowns.push({ what: `the namespace of istiod on cluster ${cluster} (whose topology.istio.io/network label it reads)`, matters: always });
      const labelled: { name: string; ns: PolicyResource; label: Probe<string | undefined> }[] = [];
      for (const name of systemNamespaces ?? []) {
        const ns = resources.find((r) => r.type === T.namespace && orUnknown(() => meta(r.props).name === name, false));
        if (!ns) continue;
        const label = probe(() => meta(ns.props).labels["topology.istio.io/network"] as string | undefined);
        declared.set(`${name} label topology.istio.io/network`, label);
        labelled.push({ name, ns, label });
      }
      const names = new Set([...declared.values()].flatMap((v) => (v.known && v.value ? [v.value] : [])));
      const unknownNetworks = [...declared].filter(([, v]) => !v.known).map(([k]) => k);
      // Two names known already are a verdict whatever the unknown ones say.
      if (names.size > 1) {
        report(`cluster ${cluster} names its network inconsistently: ${[...declared].map(([k, v]) => `${k}=${shown(v)}`).join(", ")}`, istiod.urn);
      } else if (unknownNetworks.length > 0) {
        unknowns.push({ what: `the network of cluster ${cluster} (${unknownNetworks.join(", ")})`, matters: always });
      }
      const network = [...names][0];
      // ztunnel looks a Service's address up in its own NETWORK (ztunnel 1.30.3 proxy/outbound.rs
      // build_request), the empty network when unset, while istiod files the cluster's Services
      // under the cluster's network: ztunnel then finds none of them and skips their waypoints.
      const override = zNet?.known && zNet.value ? zNet.value : undefined;
      const ztunnelNetwork = ztunnel && zNet?.known && (override ? { known: true as const, value: override.value || undefined } : firstSet(stringSetting(ztunnel, "network"), stringSetting(ztunnel, "global.network")));
      if (network && ztunnelNetwork && ztunnelNetwork.known && ztunnelNetwork.value === undefined) {
        report(`cluster ${cluster}: ztunnel sets no network (${override ? `${override.key} is ""` : "global.network or network"}) but the cluster's is ${network}: ztunnel looks Service addresses up in the empty network, finds none of the cluster's Services there and skips their waypoints (and the L7 policies on them)`, ztunnel.urn);
      }
      if (ztunnel && network && override && override.value !== "" && override.value !== network) {
        report(`cluster ${cluster}: ztunnel release ${releaseName(ztunnel)} sets ${override.key}=${override.value}, which its chart renders after the NETWORK it takes from its network values (the kubelet takes the later), while the cluster's network is ${network}: ztunnel looks Service addresses up in network ${override.value}, finds none of the cluster's Services there and skips their waypoints (and the L7 policies on them); drop it or set it to ${network}`, ztunnel.urn);
      }
      // istiod takes the cluster's network from that label alone (Istio 1.30.3 serviceregistry/ambient
      // networks.go LocalSystemNamespaceNetwork; the other clusters read it there too, "" when absent),
      // so without it the cluster's workloads and Services are filed under the empty network.
      for (const { name, ns, label } of labelled) {
        if (network && label.known && label.value === undefined) {
          report(`cluster ${cluster}: namespace ${name}, whose topology.istio.io/network label istiod (and every other cluster) reads as the cluster's network, has none, while the cluster's network is ${network}: istiod files its workloads and Services under the empty network, where its ztunnels (NETWORK ${network}) do not find them and skip their waypoints, and the other clusters cannot route to them; label it topology.istio.io/network: ${network}`, ns.urn);
        }
      }
      if (network) add(networks, network, cluster);
      else if (unknownNetworks.length === 0) report(`cluster ${cluster}: istiod has no global.network; multi-network ambient needs one per cluster`, istiod.urn);
      // The proxies istiod deploys for Gateways take their network from its global.network, not the label.
      const namedBy = [...declared].filter(([k, v]) => !k.startsWith("istiod") && v.known && v.value === network).map(([k]) => k);
      for (const r of network ? istiodReleases.filter((x) => isUnset(stringSetting(x, "global.network"))) : []) unnetworked.push({ cluster, r, network: network!, namedBy });
      const expectedNetwork: Probe<string | undefined> = network || unknownNetworks.length === 0 ? { known: true, value: network } : { known: false };
      const aliases = probe(() => (dig(istiod.props.values, "meshConfig.trustDomainAliases") as unknown[] | undefined ?? []).map(String));
      checkAgentgateway(cluster, resources, { trustDomain: orDefault(stringSetting(istiod, "meshConfig.trustDomain"), "cluster.local"), aliases, network: expectedNetwork, clusterId }, report, unknowns);
    }
    // One cluster has one network and nothing to route across: its istiod may leave it to the namespace label.
    for (const { cluster, r, network, namedBy } of istiods > 1 ? unnetworked : []) {
      report(
        `cluster ${cluster}: istiod release ${releaseName(r)} sets no global.network while the cluster's network is ${network} (${namedBy.join(", ")}): the waypoints and gateways istiod deploys take their network from it (Istio 1.30.3 istio-discovery waypoint.yaml and kube-gateway.yaml ISTIO_META_NETWORK), so they run with none, which istiod counts as every network (model Proxy.InNetwork) when it filters other networks' endpoints for them (xds/endpoints ep_filters.go): an Istio ingress gateway is handed them whatever AMBIENT_ENABLE_MULTI_NETWORK_INGRESS says, and an endpoint of a network without a gateway as a pod address it cannot reach; set global.network: ${network}`,
        r.urn,
      );
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
    const pending = unknowns.filter((u) => u.matters()).map((u) => u.what);
    if (pending.length > 0) cannotJudge(pending);
  },
};
