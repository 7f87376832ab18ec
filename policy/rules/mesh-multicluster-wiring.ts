import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, dig, helmChartName, isGateway, isHelmInstall, meta, T, unconfiguredClusters } from "../lib/k8s";
import { configWithDefaults, list, probe, Probe } from "../lib/values";
import { allowedOptions, kubeconfigServer, refusedAuth } from "../lib/remote-kubeconfig";
import { secretDataKey, setOf } from "../lib/config-schema";
import { istioServiceReachableOffCluster } from "../lib/gateway-service-type";
import { withRenderedIstio } from "../lib/istio-rendered";
import { isAmbientIstiod, isIstiodRelease, istiodEnv, parseGoBool } from "../lib/istio";
import { servesDataPlane } from "../lib/istiod-revisions";
import { asymmetricGlobalWaypoints, globalServicesBehindLocalWaypoints } from "../lib/global-waypoints";

/** istiod's secret controller reads only Secrets with this label, in its own namespace (Istio 1.30.3 pkg/kube/multicluster). */
const MULTICLUSTER_LABEL = "istio/multiCluster";
const NETWORK_LABEL = "topology.istio.io/network";
const EAST_WEST_CLASS = "istio-east-west";
const HBONE_PORT = 15008;
const MULTI_NETWORK = "AMBIENT_ENABLE_MULTI_NETWORK";

interface MeshCluster {
  cluster: string;
  istiod: PolicyResource;
  /** istiod's cluster ID (global.multiCluster.clusterName, the chart's `Kubernetes` when unset). */
  id: Probe<string>;
  network: Probe<string | undefined>;
  /** The namespace istiod runs in, where it reads remote secrets (its release's; Helm's `default` when unset). */
  namespace: Probe<string>;
  resources: PolicyResource[];
}

const stringValue = (r: PolicyResource, path: string): Probe<string | undefined> => {
  const v = probe(() => dig(r.props.values, path));
  return v.known ? { known: true, value: typeof v.value === "string" && v.value !== "" ? v.value : undefined } : v;
};

/**
 * The cluster IDs a remote secret hands istiod: each key of its data is one cluster (secretcontroller
 * addRemoteConfig). Data this run cannot read (ciphertext in an export reviewed without its
 * passphrase) falls back to the `networking.istio.io/cluster` annotation istioctl create-remote-secret
 * (and this program) sets to that key.
 */
function remoteClusterIds(secret: PolicyResource): Probe<string[]> {
  const data = probe(() => {
    const keys = (o: unknown) => (o && typeof o === "object" ? Object.keys(o as object) : []);
    return [...new Set([...keys(secret.props.stringData), ...keys(secret.props.data)])];
  });
  if (data.known) return data;
  const annotated = probe(() => meta(secret.props).annotations["networking.istio.io/cluster"]);
  return annotated.known && typeof annotated.value === "string" && annotated.value !== "" ? { known: true, value: [annotated.value] } : { known: false };
}

/** A remote secret's kubeconfigs by cluster key (data is base64), or undefined when this run cannot read them. */
function remoteKubeconfigs(secret: PolicyResource): Record<string, string> | undefined {
  const read = probe(() => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries((secret.props.data ?? {}) as Record<string, unknown>)) if (typeof v === "string") out[k] = Buffer.from(v, "base64").toString("utf8");
    for (const [k, v] of Object.entries((secret.props.stringData ?? {}) as Record<string, unknown>)) if (typeof v === "string") out[k] = v;
    return out;
  });
  return read.known ? read.value : undefined;
}

/** The API server a cluster's own Kubernetes provider reaches it at, when its kubeconfig is inline and readable. */
function providerServer(istiod: PolicyResource): string | undefined {
  const kc = probe(() => istiod.provider?.props?.kubeconfig as unknown);
  if (!kc.known || typeof kc.value !== "string" || !kc.value.includes("\n")) return undefined;
  const target = kubeconfigServer(kc.value);
  return "server" in target ? target.server : undefined;
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
function eastWestShape(gw: PolicyResource, network: string): "other" | "listener" | "port" | "ok" | "unknown" {
  const p = probe(() => {
    const spec = gw.props.spec ?? {};
    if (spec.gatewayClassName !== EAST_WEST_CLASS || meta(gw.props).labels[NETWORK_LABEL] !== network) return "other";
    const hbone = list(spec.listeners).filter((l: any) => l?.protocol === "HBONE" && !!l?.tls && (l.tls.mode ?? "Terminate") === "Terminate");
    // One on another port is still a network gateway to Istio, which dials it on 15008.
    return hbone.some((l: any) => l.port === HBONE_PORT) ? "ok" : hbone.length > 0 ? "port" : "listener";
  });
  return p.known ? p.value : "unknown";
}

const listenersOf = (gw: PolicyResource) =>
  list(gw.props.spec?.listeners as any[]).map((l: any) => `${l?.name} ${l?.protocol}/${l?.port}${l?.tls ? ` tls ${l.tls.mode ?? "Terminate"}` : ""}`).join(", ") || "none";

/** Reports (or notes as unknown) a cluster whose network no other cluster can reach through an east-west gateway. */
function checkEastWest(m: MeshCluster, network: string, report: (message: string, urn?: string) => void, unknowns: string[]): void {
  const gateways = m.resources.filter((r) => isGateway(r.type));
  const shapes = gateways.map((g) => eastWestShape(g, network));
  const shaped = gateways.filter((_, i) => shapes[i] === "ok");
  const reach = shaped.map((g) => istioServiceReachableOffCluster(g, EAST_WEST_CLASS, m.resources));
  const name = (gw: PolicyResource) => `${meta(gw.props).namespace}/${meta(gw.props).name}`;
  // Istio hands the other clusters one gateway per network, the first it finds (multicluster.go:
  // "Multiple gateways found for network"), so every one it may pick must be reachable.
  const unreachable = shaped.filter((_, i) => reach[i] === false);
  for (const gw of unreachable) {
    report(
      `cluster ${m.cluster}: east-west gateway ${name(gw)} gets a Service other networks cannot reach (neither type LoadBalancer nor external IPs; see its networking.istio.io/service-type annotation and service overlays): Istio may give the other clusters its ClusterIP or in-cluster hostname as ${network}'s gateway address, which their ztunnels cannot dial`,
      gw.urn,
    );
  }
  const what = `a Gateway of class ${EAST_WEST_CLASS} labelled ${NETWORK_LABEL}: ${network} with an HBONE listener on port ${HBONE_PORT} in TLS mode Terminate`;
  const misfit = (gw: PolicyResource) =>
    `Gateway ${name(gw)} has listeners ${listenersOf(gw)}; istiod accepts HBONE only on ${HBONE_PORT} terminating TLS and the other clusters' ztunnels dial ${HBONE_PORT}, so they cannot reach its workloads`;
  const offPort = gateways.filter((_, i) => shapes[i] === "port");
  if (shaped.length > 0) for (const gw of offPort) report(`cluster ${m.cluster}: ${misfit(gw)} (Istio may hand it out as ${network}'s gateway)`, gw.urn);
  if (unreachable.length > 0 || reach.includes(true)) return;
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
function checkMultiNetwork(m: MeshCluster, report: (message: string, urn?: string) => void, unknowns: string[]): void {
  for (const r of m.resources.filter(isIstiodRelease)) {
    // istiod ignores the flag without ambient (and serves no ambient workloads to judge).
    const ambient = probe(() => isAmbientIstiod(r.props.values));
    if (ambient.known && !ambient.value) continue;
    const setting: Probe<string | undefined | null> = ambient.known ? probe(() => istiodEnv(r.props.values, MULTI_NETWORK)) : { known: false };
    if (!setting.known || setting.value === null) {
      unknowns.push(`the ${MULTI_NETWORK} env of istiod release ${r.name} on cluster ${m.cluster}`);
      continue;
    }
    if (parseGoBool(setting.value) === true) continue;
    // A revision serving none of the cluster's ztunnels or Gateways (a canary beside the serving one) pushes nothing to them.
    const serves = probe(() => servesDataPlane(r, m.resources));
    if (!serves.known) unknowns.push(`whether istiod release ${r.name} on cluster ${m.cluster} serves its ztunnels or Gateways (their revisions, the default revision), having no ${MULTI_NETWORK}`);
    else if (serves.value) {
      const given = setting.value === undefined ? `leaves env.${MULTI_NETWORK} unset (false by default)` : `sets env.${MULTI_NETWORK} to ${JSON.stringify(setting.value)}`;
      report(
        `cluster ${m.cluster}: ambient istiod release ${r.name} ${given}: istiod then builds its ambient registry from its own cluster alone and serves no istio-east-west GatewayClass, so the other clusters' workloads never reach its ztunnels and its east-west gateway is never deployed; set env.${MULTI_NETWORK}: "true"`,
        r.urn,
      );
    }
  }
}

/**
 * A multi-cluster ambient mesh is wired only if every istiod reads every other cluster (a remote
 * secret per ordered pair) and every cluster offers the others its east-west gateway. A missing
 * remote secret leaves one istiod blind to a cluster's endpoints; one naming a cluster the mesh no
 * longer has keeps istiod dialling it (or importing its endpoints while it lives); a missing or
 * mislabelled east-west gateway leaves its network unreachable.
 */
export const meshMulticlusterWiring: StackValidationPolicy = {
  name: "mesh-multicluster-wiring",
  description:
    "In a multi-cluster mesh every ambient istiod serving the cluster's ztunnel (by its revision) or owning one of its Gateways (istio.io/rev, revision tags, the default revision) sets env AMBIENT_ENABLE_MULTI_NETWORK true (env or pilot.env; false by default), each cluster's istiod namespace holds a remote secret (label istio/multiCluster: \"true\") for every other cluster, keyed by its Istio cluster name, and none for a cluster outside the mesh (unless listed in externalClusters); and each cluster has an east-west Gateway (class istio-east-west, labelled topology.istio.io/network with its network, an HBONE listener on port 15008 terminating TLS) whose Service other networks can reach (LoadBalancer or external IPs); a Service labelled istio.io/global: \"true\" whose waypoint the stack renders on that cluster has that waypoint's Service global too (the Gateway's spec.infrastructure.labels, else its labels), else the other clusters' calls skip the waypoint and its L7 policies; and a global Service has the same waypoint (or none) in every cluster that renders it (Istio assumes universal waypoints).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      externalClusters: { ...setOf(secretDataKey), default: [], description: "Istio cluster names of clusters outside this stack that remote secrets may name." },
    },
  },
  validateStack: (args, report) => {
    const { externalClusters } = configWithDefaults(args, { externalClusters: [] as string[] });
    const unknowns: string[] = [];
    const mesh: MeshCluster[] = [];
    for (const [cluster, objects] of byCluster(args.resources)) {
      const resources = withRenderedIstio(objects);
      const releases = resources.filter((r) => isHelmInstall(r.type));
      const charts = releases.map((r) => probe(() => helmChartName(r.props)));
      const istiod = releases.find((_, i) => charts[i].known && (charts[i] as { value?: string }).value === "istiod");
      if (!istiod) {
        if (charts.some((c) => !c.known)) unknowns.push(`the Helm charts of cluster ${cluster} (whether it runs an istiod of the mesh)`);
        continue;
      }
      const id = stringValue(istiod, "global.multiCluster.clusterName");
      const ns = probe(() => istiod.props.namespace as unknown);
      mesh.push({
        cluster,
        istiod,
        id: id.known ? { known: true, value: id.value ?? "Kubernetes" } : id,
        network: stringValue(istiod, "global.network"),
        namespace: ns.known ? { known: true, value: typeof ns.value === "string" && ns.value !== "" ? ns.value : "default" } : ns,
        resources,
      });
    }
    if (mesh.length < 2) {
      if (mesh.length + unknowns.length >= 2) cannotJudge(unknowns);
      return;
    }
    // Clusters whose objects this preview cannot see yet (the first preview of a new cluster) may be
    // named by the others' remote secrets: by their cluster's name as this stack names it, else unknown.
    const unseenClusters = unconfiguredClusters(args.resources);
    const unseen = unseenClusters.size > 0;
    const ids = new Set(mesh.flatMap((m) => (m.id.known ? [m.id.value] : [])));
    // Each cluster's API server as its own provider reaches it: a remote secret for one cluster
    // naming another's makes istiod import that other cluster's endpoints under the wrong name.
    const servers = new Map(mesh.map((m) => [m, providerServer(m.istiod)] as const));
    const idsKnown = mesh.every((m) => m.id.known);
    for (const reader of mesh) {
      if (!reader.id.known || !reader.namespace.known) {
        unknowns.push(`the cluster name and namespace of istiod on cluster ${reader.cluster}`);
        continue;
      }
      const namespace = reader.namespace.value;
      const read = new Set<string>();
      const secrets = reader.resources.filter((r) => r.type === T.secret && probe(() => meta(r.props).namespace).known && meta(r.props).namespace === namespace);
      for (const s of secrets) {
        const label = probe(() => meta(s.props).labels[MULTICLUSTER_LABEL]);
        if (!label.known) {
          unknowns.push(`the labels of Secret ${namespace}/${meta(s.props).name} on cluster ${reader.cluster}`);
          continue;
        }
        if (label.value !== "true") continue;
        const keys = remoteClusterIds(s);
        if (!keys.known) {
          unknowns.push(`the keys of remote secret ${namespace}/${meta(s.props).name} on cluster ${reader.cluster}`);
          continue;
        }
        const kubeconfigs = remoteKubeconfigs(s);
        for (const key of keys.value) {
          read.add(key);
          const problem = kubeconfigs?.[key] !== undefined && kubeconfigProblem(kubeconfigs[key], key, reader, mesh, servers);
          if (problem) report(`cluster ${reader.cluster}: remote secret ${namespace}/${meta(s.props).name}: the kubeconfig for cluster ${key} ${problem}`, s.urn);
          if (key === reader.id.value || ids.has(key) || unseenClusters.has(key) || externalClusters.includes(key)) continue;
          if (unseen || !idsKnown) unknowns.push(`whether cluster ${key}, named by remote secret ${namespace}/${meta(s.props).name} on cluster ${reader.cluster}, is in the mesh`);
          else {
            report(
              `cluster ${reader.cluster}: remote secret ${namespace}/${meta(s.props).name} names cluster ${key}, which is not in this mesh (${[...ids].sort().join(", ")}): istiod keeps reading a cluster the stack no longer has; drop it (or list it in externalClusters)`,
              s.urn,
            );
          }
        }
      }
      for (const other of mesh) {
        if (other === reader || !other.id.known || other.id.value === reader.id.value || read.has(other.id.value)) continue;
        report(
          `cluster ${reader.cluster} has no remote secret for cluster ${other.cluster} (a Secret in ${namespace} labelled ${MULTICLUSTER_LABEL}: "true" with the key ${other.id.value}): its istiod never sees ${other.cluster}'s services and endpoints`,
          reader.istiod.urn,
        );
      }
    }
    const asymmetric = asymmetricGlobalWaypoints(mesh);
    for (const f of asymmetric.findings) report(f.message, f.service.urn);
    unknowns.push(...asymmetric.unknown);
    for (const m of mesh) {
      checkMultiNetwork(m, report, unknowns);
      const behind = globalServicesBehindLocalWaypoints(m.cluster, m.resources);
      for (const f of behind.findings) report(f.message, f.service.urn);
      unknowns.push(...behind.unknown);
      if (!m.network.known) {
        unknowns.push(`the network (global.network) of istiod on cluster ${m.cluster}`);
        continue;
      }
      const network = m.network.value;
      if (network === undefined) continue; // no network at all: mesh-identity-consistent reports it
      checkEastWest(m, network, report, unknowns);
    }
    if (unknowns.length > 0) cannotJudge(unknowns);
  },
};

/**
 * Why istiod on `reader` cannot use, or misuses, the kubeconfig a remote secret gives for cluster
 * `key` (undefined when it is fine): one it cannot build a client from, or whose authentication it
 * refuses, leaves the cluster out of its registry (logged only); one whose server is another mesh
 * cluster's API registers that cluster's services and endpoints as `key`'s.
 */
function kubeconfigProblem(text: string, key: string, reader: MeshCluster, mesh: MeshCluster[], servers: Map<MeshCluster, string | undefined>): string | undefined {
  const target = kubeconfigServer(text);
  if ("problem" in target) return `${target.problem}: istiod cannot build a client for ${key} (Istio 1.30.3 kube.NewUntrustedRestConfig) and never reads its services and endpoints`;
  const allowed = probe(() => allowedOptions(reader.istiod.props.values));
  const refused = allowed.known ? refusedAuth(text, allowed.value) : [];
  if (refused.length > 0) {
    return `authenticates with ${refused.join(", ")}, which istiod refuses unless its env PILOT_INSECURE_MULTICLUSTER_KUBECONFIG_OPTIONS allows it ("kubeconfig is not allowed"): it never reads ${key}'s services and endpoints; use a token (istioctl create-remote-secret's default)`;
  }
  const owner = mesh.find((m) => m.id.known && m.id.value === key);
  const elsewhere = mesh.find((m) => m !== owner && servers.get(m) === target.server);
  if (elsewhere && (!owner || servers.get(owner) !== target.server)) {
    return `points at ${target.server}, the API server of cluster ${elsewhere.cluster}${owner && servers.get(owner) ? ` (${owner.cluster}'s is ${servers.get(owner)})` : ""}: istiod registers ${elsewhere.cluster}'s services and endpoints as cluster ${key}'s and never reads ${key}`;
  }
  return undefined;
}
