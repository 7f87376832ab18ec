/**
 * CPU capacity: the platform's pods that do not tolerate the GPU taint (istiod, gateways and
 * waypoints, endpoint pickers, the body-based router, agentgateway, agents, tools, simulators)
 * run on a cluster's non-GPU nodes, at desiredSize (no autoscaler adds any): the EKS system node
 * group, the k3s server and CPU node groups. When their requests exceed what those nodes leave
 * pods, some stay Pending and `pulumi up` fails waiting for them. The requests are read from the
 * objects the components render for the validated spec (and, for what istiod and agentgateway
 * deploy, from their charts' defaults), so the check cannot drift from what is applied.
 */
import type { PlatformSpec } from "./config";
import type { ClusterSpec } from "./schema";
import type { ConfigProblem } from "./validate-support";
import { Manifest } from "../components/k8s/apply";
import { clusterInferenceManifests, modelsOnCluster } from "../components/inference";
import { agentClusterManifests } from "../components/agents";
import { inMeshOpenAiBaseUrl, poolName } from "../components/inference/names";
import { istioChartRequests, istiodValues } from "../components/mesh/istio";
import { waypointManifest, waypointNamespaces } from "../components/mesh/waypoints";
import { eastWestGatewayManifest } from "../components/mesh/eastwest";
import { agentgatewayRequests, controllerValues } from "../components/agents/install";
import { gpuTaint, lookupGpuInstance } from "../components/gpu/catalog";
import { HostResources } from "../components/gpu/host";
import { machineSize } from "../components/cloud/machine-sizes";
import { clusterAddOnPods, platformPodBudget } from "../components/cloud/node-allocatable";
// The pack's readers (dependency-free): the program and the pack read quantities and tolerations one way.
import { quantityValue } from "../policy/lib/quantity";
import { tolerates, Toleration } from "../policy/lib/tolerations";

/** Pods of one kind that must land on non-GPU nodes: what each requests, and how many run. */
export interface CpuPods {
  what: string;
  replicas: number;
  cpuMilli: number;
  memoryMiB: number;
}

/** Non-GPU nodes of one shape and what the platform's pods may request on each. */
export interface CpuNodes {
  what: string;
  count: number;
  budget: HostResources;
}

const toleratesGpuTaint = (pod: any) => (pod?.tolerations ?? []).some((t: Toleration) => tolerates(t, gpuTaint.key, gpuTaint.value));

/** A pod's requests as the scheduler sums them: its containers, or its largest init container if larger. */
function podRequests(pod: any): HostResources {
  const of = (c: any, name: "cpu" | "memory") => quantityValue(c?.resources?.requests?.[name]) ?? 0;
  const sum = (name: "cpu" | "memory") => (pod.containers ?? []).reduce((n: number, c: any) => n + of(c, name), 0);
  const init = (name: "cpu" | "memory") => Math.max(0, ...(pod.initContainers ?? []).map((c: any) => of(c, name)));
  // Millicores are whole in a quantity: rounding, not ceil, keeps "2007m" (2.007 × 1000 = 2007.0000000000002) at 2007.
  return { cpuMilli: Math.round(Math.max(sum("cpu"), init("cpu")) * 1000), memoryMiB: Math.ceil(Math.max(sum("memory"), init("memory")) / 2 ** 20) };
}

/** The Deployments among rendered objects whose pods do not tolerate the GPU taint. */
function workloadPods(manifests: Manifest[]): CpuPods[] {
  return manifests
    .filter((m) => m.kind === "Deployment" && !toleratesGpuTaint((m as any).spec.template.spec))
    .map((m) => ({ what: `${m.metadata.namespace}/${m.metadata.name}`, replicas: (m as any).spec.replicas ?? 1, ...podRequests((m as any).spec.template.spec) }));
}

/** The proxies istiod and agentgateway deploy for Gateways (agentgateway's replicas from their AgentgatewayParameters). */
function gatewayPods(manifests: Manifest[]): CpuPods[] {
  const params = new Map(manifests.filter((m) => m.kind === "AgentgatewayParameters").map((m) => [`${m.metadata.namespace}/${m.metadata.name}`, (m as any).spec]));
  return manifests
    .filter((m) => m.kind === "Gateway")
    .map((m) => {
      const spec = (m as any).spec;
      const what = `${m.metadata.namespace}/${m.metadata.name} (Gateway)`;
      if (spec.gatewayClassName !== "agentgateway") return { what, replicas: 1, ...istioChartRequests.gatewayProxy };
      const ref = spec.infrastructure?.parametersRef;
      const replicas = (ref ? params.get(`${m.metadata.namespace}/${ref.name}`) : undefined)?.deployment?.spec?.replicas ?? 1;
      return { what, replicas, ...agentgatewayRequests.proxy };
    });
}

/** Every pod of the platform on `cluster` that must fit its non-GPU nodes. */
export function cpuPodsOn(spec: PlatformSpec, cluster: ClusterSpec): CpuPods[] {
  const models = modelsOnCluster(spec, cluster.name);
  const inference = clusterInferenceManifests(spec, cluster.name);
  const agents = agentClusterManifests(spec, cluster, {
    openAiBaseUrl: inMeshOpenAiBaseUrl,
    models: models.map((m) => m.name),
    pools: models.flatMap((m) => m.versions.map((v) => poolName(m, v))),
    ready: [],
  });
  const mesh = [...waypointNamespaces.map((n) => waypointManifest(n, spec.versions.istio)), ...(spec.multiCluster ? [eastWestGatewayManifest(cluster, spec.versions.istio)] : [])];
  const istiod = { what: "istio-system/istiod", replicas: istiodValues(spec, cluster).autoscaleMin as number, ...istioChartRequests.istiod };
  const controller = agents
    ? [{ what: "agentgateway-system/agentgateway (controller)", replicas: (controllerValues(spec, cluster).controller as { replicaCount: number }).replicaCount, ...agentgatewayRequests.controller }]
    : [];
  return [
    istiod,
    ...controller,
    ...gatewayPods([...mesh, ...inference, ...(agents?.gateway ?? [])]),
    ...workloadPods([...inference, ...(agents?.workloads ?? [])]),
  ].filter((p) => p.replicas > 0);
}

/** The non-GPU nodes of a cluster at desiredSize, or undefined when one of their types has no known size. */
export function cpuNodesOf(cluster: ClusterSpec): CpuNodes[] | undefined {
  if (cluster.cloud === "existing") return undefined;
  const kind = cluster.cloud === "aws" ? "eks" : "k3s";
  const groups = [
    ...(cluster.cloud === "aws"
      ? [{ what: `systemNodeGroup ${cluster.systemNodeGroup.desiredSize} × ${cluster.systemNodeGroup.instanceType}`, type: cluster.systemNodeGroup.instanceType, count: cluster.systemNodeGroup.desiredSize }]
      : [{ what: `server ${cluster.serverMachineType}`, type: cluster.serverMachineType, count: 1 }]),
    ...cluster.nodeGroups.filter((g) => !lookupGpuInstance(g.instanceType)).map((g) => ({ what: `'${g.name}' ${g.desiredSize} × ${g.instanceType}`, type: g.instanceType, count: g.desiredSize })),
  ];
  const nodes: CpuNodes[] = [];
  for (const g of groups) {
    const size = machineSize(cluster.cloud, g.type);
    if (!size) return undefined;
    nodes.push({ what: g.what, count: g.count, budget: platformPodBudget(kind, size) });
  }
  return nodes;
}

const cpu = (milli: number) => `${+(milli / 1000).toFixed(2)} vCPU`;
const mem = (mib: number) => `${+(mib / 1024).toFixed(1)} GiB`;

/**
 * Per cluster (existing ones aside: their nodes are unknown), the sum of the requests of the pods
 * that must run on non-GPU nodes against what those nodes leave them, and every such pod against
 * the largest node (bin-packing per node is not modelled, but a pod no node can hold is refused).
 */
export function checkCpuCapacity(spec: PlatformSpec): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  spec.clusters.forEach((cluster, ci) => {
    const nodes = cpuNodesOf(cluster);
    if (!nodes) return;
    const pods = [...clusterAddOnPods(cluster.cloud === "aws" ? "eks" : "k3s"), ...cpuPodsOn(spec, cluster)];
    const at = cluster.cloud === "aws" ? ["clusters", ci, "systemNodeGroup"] : ["clusters", ci, "serverMachineType"];
    const fix =
      cluster.cloud === "aws"
        ? "raise systemNodeGroup.desiredSize or pick a larger systemNodeGroup.instanceType, or add a CPU node group (a nodeGroups entry of a non-GPU type)"
        : "pick a larger serverMachineType, or add a CPU node group (a nodeGroups entry of a non-GPU type such as e2-standard-8) or raise its desiredSize";
    const supply = nodes.map((n) => `${n.what} (${cpu(n.budget.cpuMilli)}, ${mem(n.budget.memoryMiB)}${n.count === 1 ? "" : " each"})`).join(", ");
    // A pod fits a node only when both its CPU and its memory do: no one node may lack either.
    const tooBig = pods.filter((p) => !nodes.some((n) => n.count > 0 && p.cpuMilli <= n.budget.cpuMilli && p.memoryMiB <= n.budget.memoryMiB));
    if (tooBig.length > 0) {
      const list = tooBig.map((p) => `${p.what} (${cpu(p.cpuMilli)}, ${mem(p.memoryMiB)})`).join(", ");
      problems.push({
        path: at,
        message: `no non-GPU node of cluster '${cluster.name}' can hold ${list}; what each leaves pods after kube-reserved, the eviction threshold and the node agents' requests: ${supply}; ${fix}`,
      });
      return;
    }
    const total = (f: (x: { cpuMilli: number; memoryMiB: number }) => number) => pods.reduce((n, p) => n + p.replicas * f(p), 0);
    const budget = (f: (x: HostResources) => number) => nodes.reduce((n, node) => n + node.count * Math.max(0, f(node.budget)), 0);
    const need = { cpuMilli: total((p) => p.cpuMilli), memoryMiB: total((p) => p.memoryMiB) };
    const have = { cpuMilli: budget((b) => b.cpuMilli), memoryMiB: budget((b) => b.memoryMiB) };
    const short = [
      ...(need.cpuMilli > have.cpuMilli ? [`${cpu(need.cpuMilli)} of CPU requested for ${cpu(have.cpuMilli)} (${cpu(need.cpuMilli - have.cpuMilli)} short)`] : []),
      ...(need.memoryMiB > have.memoryMiB ? [`${mem(need.memoryMiB)} of memory requested for ${mem(have.memoryMiB)} (${mem(need.memoryMiB - have.memoryMiB)} short)`] : []),
    ];
    if (short.length === 0) return;
    const largestPods = [...pods].sort((a, b) => b.replicas * b.cpuMilli - a.replicas * a.cpuMilli).slice(0, 4);
    problems.push({
      path: at,
      message:
        `the non-GPU nodes of cluster '${cluster.name}' at desiredSize cannot hold the platform's pods that do not tolerate the GPU taint (no autoscaler adds nodes; the rest would stay Pending): ${short.join("; ")}. ` +
        `Non-GPU nodes: ${supply}. Largest requests: ${largestPods.map((p) => `${p.what} ${p.replicas} × ${cpu(p.cpuMilli)} / ${mem(p.memoryMiB)}`).join(", ")}. To fix: ${fix}`,
    });
  });
  return problems;
}
