/**
 * The network side of a multi-cluster ambient mesh, per cluster (mesh-multicluster-wiring): its
 * istiod switched to multi-network, and the east-west gateway through which the other clusters'
 * ztunnels reach its workloads. Kept apart from the remote-secret checks, which read the clusters
 * in pairs.
 */
import type { PolicyResource } from "@pulumi/policy";
import { meta, T } from "./k8s";
import { isGateway } from "./gateways";
import { list, probe } from "./values";
import { istioServiceReachableOffCluster } from "./gateway-service-type";
import { eastWestHbonePort, HBONE_PORT } from "./east-west-hbone";
import { ambientIstiodFlag, isIstiodRelease } from "./istio";
import { defaultRevisionOf, istiodRevision, istiodsOf, istiodsServing, servesDataPlane } from "./istiod-revisions";

const NETWORK_LABEL = "topology.istio.io/network";
const EAST_WEST_CLASS = "istio-east-west";
const MULTI_NETWORK = "AMBIENT_ENABLE_MULTI_NETWORK";
const REV = "istio.io/rev";

/** One mesh cluster as these checks read it: its name, its (first) istiod release and its resources, Istio's rendered objects included. */
export interface ClusterView {
  cluster: string;
  istiod: PolicyResource;
  resources: PolicyResource[];
}

/**
 * The other clusters' network gateway for this cluster: a Gateway of class istio-east-west labelled
 * with the cluster's network and an HBONE listener terminating TLS (Istio 1.30.3
 * pilot/pkg/serviceregistry/ambient/networks.go remoteK8sGatewayToNetworkGateways); anything less
 * and no other cluster learns how to reach this network. The listener must be on 15008: remote
 * ztunnels dial the gateway's address on 15008 whatever the listener says (the remote gateway's
 * HBONE port is left 0, which multicluster.go createSplitHorizonWorkload turns into 15008), while
 * the Service exposes the listener's port (deploymentcontroller.go extractServicePorts) and istiod
 * refuses an HBONE listener elsewhere (conversion.go unexpectedEastWestWaypointListener). Gateway
 * API defaults tls.mode to Terminate.
 */
function eastWestShape(gw: PolicyResource, network: string): "other" | "listener" | "port" | "label" | "ok" | "unknown" {
  const p = probe(() => {
    const spec = gw.props.spec ?? {};
    if (spec.gatewayClassName !== EAST_WEST_CLASS) return "other";
    const hbone = list(spec.listeners).filter((l: any) => l?.protocol === "HBONE" && !!l?.tls && (l.tls.mode ?? "Terminate") === "Terminate");
    // A network gateway labelled with another network (or none) is filed under that label, never this network.
    if (meta(gw.props).labels[NETWORK_LABEL] !== network) return hbone.length > 0 ? "label" : "other";
    // One on another port is still a network gateway to Istio, which dials it on 15008.
    return hbone.some((l: any) => l.port === HBONE_PORT) ? "ok" : hbone.length > 0 ? "port" : "listener";
  });
  return p.known ? p.value : "unknown";
}

/**
 * Reports the network gateways of a cluster labelled with another network than its own (or with
 * none), whether or not it has a right one: the other clusters file a remote east-west gateway under
 * its label's network alone, an unlabelled one under none (Istio 1.30.3 networks.go
 * remoteK8sGatewayToNetworkGateways), and may hand one claiming another cluster's network out as
 * that network's gateway. Returns whether it reported one.
 */
function reportMislabelled(m: ClusterView, network: string, gateways: PolicyResource[], orphaned: boolean, report: (message: string, urn?: string) => void): boolean {
  const claims = "the other clusters take a remote east-west gateway's network from that label alone (Istio 1.30.3 pilot/pkg/serviceregistry/ambient/networks.go remoteK8sGatewayToNetworkGateways)";
  const lost = `${network} gets no gateway: they cannot reach its workloads`;
  for (const gw of gateways) {
    const label = meta(gw.props).labels?.[NETWORK_LABEL];
    const where = `cluster ${m.cluster}: east-west gateway ${meta(gw.props).namespace}/${meta(gw.props).name}`;
    const said = label
      ? `${where} is labelled ${NETWORK_LABEL}: ${label}, not its cluster's network ${network} (istiod global.network): ${claims}, so they may send ${label}'s traffic to it${orphaned ? `, and ${lost}` : ""}`
      : `${where} has no ${NETWORK_LABEL} label, while its cluster's network is ${network} (istiod global.network): ${claims}, and an unlabelled one is none${orphaned ? `, so ${lost}` : ""}`;
    report(`${said}; label it ${NETWORK_LABEL}: ${network}`, gw.urn);
  }
  return gateways.length > 0;
}

/**
 * Where an east-west gateway selects a revision (its istio.io/rev label, else its namespace's) that
 * no istiod of the cluster answers to, that label and whose it is: Istio 1.30.3's deployment
 * controller deploys a Gateway only in the istiod that owns it (gatewaycommon/deploymentcontroller.go
 * Reconcile returns early when !tagWatcher.IsMine; pkg/revisions/tag_watcher.go IsMine: the label
 * must be one of the istiod's revision or tags), so no proxy, Service or address is ever made for it.
 * An unlabelled gateway goes to the istiod holding the tag `default`, else to the default revision
 * (the istiod-default-validator webhook's istio.io/rev, the base chart's `defaultRevision`): where
 * every istiod of the cluster has another revision and none that tag, none owns it either.
 */
function unownedRevision(gw: PolicyResource, resources: PolicyResource[]): { rev: string; whose: string } | undefined {
  const { namespace, labels } = meta(gw.props);
  let rev: unknown = labels?.[REV];
  let whose = "its";
  if (rev === undefined) {
    const ns = resources.find((r) => r.type === T.namespace && meta(r.props).name === namespace);
    rev = ns ? meta(ns.props).labels?.[REV] : undefined;
    whose = `its namespace ${namespace}'s`;
  }
  if (istiodsServing(gw, resources).length > 0) return undefined;
  if (typeof rev === "string" && rev !== "") return { rev, whose };
  // Unlabelled (or labelled ""): the tag `default` or the default revision, which no istiod of the stack is.
  const fallback = defaultRevisionOf(resources);
  return { rev: "", whose: fallback.revision ? `${fallback.revision}, by the ${fallback.from}` : `none: the ${fallback.from} is empty` };
}

const listenersOf = (gw: PolicyResource) =>
  list(gw.props.spec?.listeners as any[]).map((l: any) => `${l?.name} ${l?.protocol}/${l?.port}${l?.tls ? ` tls ${l.tls.mode ?? "Terminate"}` : ""}`).join(", ") || "none";

/** Reports (or notes as unknown) a cluster whose network no other cluster can reach through an east-west gateway. */
export function checkEastWest(m: ClusterView, network: string, report: (message: string, urn?: string) => void, unknowns: string[]): void {
  const gateways = m.resources.filter((r) => isGateway(r.type));
  const shapes = gateways.map((g) => eastWestShape(g, network));
  const name = (gw: PolicyResource) => `${meta(gw.props).namespace}/${meta(gw.props).name}`;
  const fitting = gateways.filter((_, i) => shapes[i] === "ok");
  const mislabelled = reportMislabelled(m, network, gateways.filter((_, i) => shapes[i] === "label"), fitting.length === 0, report);
  const owners = fitting.map((g) => probe(() => unownedRevision(g, m.resources)));
  if (owners.some((o) => !o.known)) unknowns.push(`the istio.io/rev labels of cluster ${m.cluster}'s east-west gateways and their namespaces (whether an istiod deploys them)`);
  for (const [i, gw] of fitting.entries()) {
    const o = owners[i];
    if (!o.known || !o.value) continue;
    const served = [...new Set(istiodsOf(m.resources).map((r) => `${istiodRevision(r.props.values)} (${r.name})`))].join(", ");
    const { rev, whose } = o.value;
    const selects = rev
      ? `selects revision ${rev} (${whose} ${REV} label), which no istiod of the cluster answers to`
      : `has no ${REV} label (nor its namespace), so it goes to the istiod holding the tag default, else to the cluster's default revision (${whose}), and no istiod of the cluster is either`;
    const fix = rev ? "label it with a revision or tag the stack installs, or drop the label" : `label it with the ${REV} of an istiod the stack installs, or make that istiod the default revision`;
    report(
      `cluster ${m.cluster}: east-west gateway ${name(gw)} ${selects} (revisions ${served}, and their revisionTags): only the owning istiod deploys a Gateway, so it is never deployed and the other clusters cannot reach ${network}; ${fix}`,
      gw.urn,
    );
  }
  // An undeployed one gets no address; it is reported above, and the rest decide.
  const shaped = fitting.filter((_, i) => owners[i].known && !owners[i].value);
  if (fitting.length > 0 && shaped.length === 0) return;
  const reach = shaped.map((g) => istioServiceReachableOffCluster(g, EAST_WEST_CLASS, m.resources));
  // Istio hands the other clusters one gateway per network, the first it finds (multicluster.go:
  // "Multiple gateways found for network"), so every one it may pick must be reachable.
  const unreachable = shaped.filter((_, i) => reach[i] === false);
  for (const gw of unreachable) {
    report(
      `cluster ${m.cluster}: east-west gateway ${name(gw)} gets a Service other networks cannot reach (neither type LoadBalancer nor external IPs; see its networking.istio.io/service-type annotation and service overlays): Istio may give the other clusters its ClusterIP or in-cluster hostname as ${network}'s gateway address, which their ztunnels cannot dial`,
      gw.urn,
    );
  }
  const hbone = shaped.map((g) => probe(() => eastWestHbonePort(g, m.resources)));
  if (hbone.some((h) => !h.known || h.value?.fate === "unknown")) unknowns.push(`the service overlays of cluster ${m.cluster}'s east-west gateways' options ConfigMaps (what they do to Service port ${HBONE_PORT})`);
  const cut = shaped.flatMap((gw, i) => {
    const h = hbone[i];
    return h.known && h.value && typeof h.value.fate !== "string" ? [{ gw, configMap: h.value.configMap, broken: h.value.fate.broken }] : [];
  });
  for (const { gw, configMap, broken } of cut) {
    report(
      `cluster ${m.cluster}: east-west gateway ${name(gw)}'s options ConfigMap ${configMap} (spec.infrastructure.parametersRef) ${broken}: Istio 1.30.3 lays its service overlay over the Service it deploys as a strategic merge patch (gatewaycommon/deploymentcontroller.go applyOverlay), so the other clusters' ztunnels, which dial the gateway's address on ${HBONE_PORT}, never reach its HBONE listener and cannot reach ${network}'s workloads; keep port ${HBONE_PORT} in the overlay, targeting ${HBONE_PORT}`,
      gw.urn,
    );
  }
  const what = `a Gateway of class ${EAST_WEST_CLASS} labelled ${NETWORK_LABEL}: ${network} with an HBONE listener on port ${HBONE_PORT} in TLS mode Terminate`;
  const misfit = (gw: PolicyResource) =>
    `Gateway ${name(gw)} has listeners ${listenersOf(gw)}; istiod accepts HBONE only on ${HBONE_PORT} terminating TLS and the other clusters' ztunnels dial ${HBONE_PORT}, so they cannot reach its workloads`;
  const offPort = gateways.filter((_, i) => shapes[i] === "port");
  if (shaped.length > 0) for (const gw of offPort) report(`cluster ${m.cluster}: ${misfit(gw)} (Istio may hand it out as ${network}'s gateway)`, gw.urn);
  if (unreachable.length > 0 || cut.length > 0 || reach.includes(true) || mislabelled) return;
  if (shapes.includes("unknown") || reach.includes("unknown")) {
    unknowns.push(`the Gateways of cluster ${m.cluster} (whether one is its east-west gateway, reachable from other networks)`);
    return;
  }
  const wrong = offPort[0] ?? gateways.find((_, i) => shapes[i] === "listener");
  if (wrong) {
    report(`cluster ${m.cluster} has no east-west gateway for its network ${network} (${what}): ${misfit(wrong)}`, wrong.urn);
  } else {
    report(`cluster ${m.cluster} has no east-west gateway for its network ${network} (${what}): the other clusters get no network gateway for ${network} and cannot reach its workloads`, m.istiod.urn);
  }
}

/**
 * An ambient istiod serves a multi-network mesh only with AMBIENT_ENABLE_MULTI_NETWORK, false by
 * default and read with strconv.ParseBool (Istio 1.30.3 pilot/pkg/features/ambient.go, pkg/env):
 * without it istiod builds its ambient index from its own cluster alone (ambientindex.go skips
 * buildGlobalCollections) and registers no istio-east-west GatewayClass (gatewaycommon/classinfo.go),
 * so the other clusters' workloads never reach its ztunnels and its east-west gateway is never deployed.
 */
export function checkMultiNetwork(m: ClusterView, report: (message: string, urn?: string) => void, unknowns: string[]): void {
  for (const r of m.resources.filter(isIstiodRelease)) {
    // istiod ignores the flag without ambient (and serves no ambient workloads to judge).
    const flag = ambientIstiodFlag(r, MULTI_NETWORK);
    if (flag === "not-ambient") continue;
    if (flag === "unknown") {
      unknowns.push(`the ${MULTI_NETWORK} env of istiod release ${r.name} on cluster ${m.cluster}`);
      continue;
    }
    if (flag.on) continue;
    // A revision serving none of the cluster's ztunnels or Gateways (a canary beside the serving one) pushes nothing to them.
    const serves = probe(() => servesDataPlane(r, m.resources));
    if (!serves.known) unknowns.push(`whether istiod release ${r.name} on cluster ${m.cluster} serves its ztunnels or Gateways (their revisions, the default revision), having no ${MULTI_NETWORK}`);
    else if (serves.value) {
      report(
        `cluster ${m.cluster}: ambient istiod release ${r.name} ${flag.given}: istiod then builds its ambient registry from its own cluster alone and serves no istio-east-west GatewayClass, so the other clusters' workloads never reach its ztunnels and its east-west gateway is never deployed; set env.${MULTI_NETWORK}: "true"`,
        r.urn,
      );
    }
  }
}
