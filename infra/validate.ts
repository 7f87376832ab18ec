/**
 * Cross-field rules of the platform config: everything zod's field-level schema cannot see.
 * Each rule reports a problem at the config path it is about, so that one run lists every
 * mistake at once.
 */
import { ClusterSpec, PlatformConfig } from "./schema";
import { lookupGpuInstance, gpuInstanceTypes } from "../components/gpu/catalog";
import { Cidr, cidrsOverlap, parseCidr } from "./net";
import { FitModel, FitNodeGroup, fitInCluster, ClusterFit } from "../components/gpu/fit";
import { agentPublicPort, inferenceMeshPort, inferencePublicPort } from "./gateway-ports";
import { agentGateway, mcpBackendName, mcpGateway } from "../components/agents/names";
import { eppName, gatewayName, gatewayServiceName, modelServerServiceAccount, poolName } from "../components/inference/names";
import { bbrName } from "../components/inference/bbr";
import { waypointName } from "../components/mesh/waypoints";
import { kubeconfigProblem } from "../components/cloud/existing";

/** Clusters an agent runs on: its own `clusters`, else its model's, else every cluster. */
export function agentClustersOf(cfg: PlatformConfig, agent: PlatformConfig["agents"][number]): string[] {
  return agent.clusters ?? cfg.models.find((m) => m.name === agent.model)?.clusters ?? cfg.clusters.map((c) => c.name);
}

export interface ConfigProblem {
  /** Path below `inference-mesh:platform`, as segments (strings and array indices). */
  path: (string | number)[];
  message: string;
}

type Report = (path: (string | number)[], message: string) => void;

function duplicates(names: string[]): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  names.forEach((n, i) => seen.set(n, [...(seen.get(n) ?? []), i]));
  return new Map([...seen].filter(([, idx]) => idx.length > 1));
}

function requireUnique(report: Report, list: string, what: string, names: string[], field = "name"): void {
  for (const [name, idx] of duplicates(names)) {
    for (const i of idx.slice(1)) {
      report([list, i, field], `duplicate ${what} '${name}' (also at ${list}[${idx[0]}]); ${what}s must be unique`);
    }
  }
}

function checkSplit(
  report: Report,
  base: (string | number)[],
  versions: { name: string; weight: number; canary: boolean; replicas?: number }[],
  maxCanaryWeight: number,
): void {
  versions.forEach((v, i) => {
    if (v.canary && v.weight > maxCanaryWeight) {
      report([...base, "versions", i, "weight"], `canary weight ${v.weight} exceeds policy.maxCanaryWeight ${maxCanaryWeight}; lower it or raise the policy`);
    }
    // A version scaled to zero has no endpoints: its share of the split would fail.
    if (v.replicas === 0 && v.weight > 0) {
      report([...base, "versions", i, "replicas"], `version '${v.name}' has 0 replicas but receives ${v.weight}% of the traffic; give it replicas or weight 0`);
    }
  });
  // The policy pack's canary-weight-limit: besides the primary (the heaviest version that is not
  // the canary), every version is a canary to it, so a third version over the limit fails review.
  const primaryWeight = Math.max(...versions.filter((v) => !v.canary).map((v) => v.weight));
  const primary = versions.findIndex((v) => !v.canary && v.weight === primaryWeight);
  versions.forEach((v, i) => {
    if (!v.canary && i !== primary && v.weight > maxCanaryWeight) {
      report([...base, "versions", i, "weight"], `version '${v.name}' gets ${v.weight}% beside the primary '${versions[primary].name}'; every version but the primary may get at most policy.maxCanaryWeight ${maxCanaryWeight}%`);
    }
  });
  const sum = versions.reduce((s, v) => s + v.weight, 0);
  if (sum !== 100) report([...base, "versions"], `weights sum to ${sum}, must be 100`);
  const canaries = versions.filter((v) => v.canary).length;
  if (versions.length > 1 && canaries !== 1) {
    report([...base, "versions"], `a split of ${versions.length} versions has ${canaries} canaries, must have exactly one (canary: true)`);
  }
  if (versions.length === 1 && canaries > 0) {
    report([...base, "versions", 0, "canary"], "a single version cannot be a canary: add the stable version it is compared with");
  }
  for (const [name, idx] of duplicates(versions.map((v) => v.name))) {
    report([...base, "versions", idx[1], "name"], `duplicate version '${name}'; version names must be unique`);
  }
}

/** Every node group of every cluster as the fit arithmetic sees it. */
export function fitNodeGroups(clusters: ClusterSpec[]): FitNodeGroup[] {
  return clusters.flatMap((c) =>
    c.nodeGroups.map((g) => ({ cluster: c.name, name: g.name, instanceType: g.instanceType, maxSize: g.maxSize, diskSizeGiB: g.diskSizeGiB })),
  );
}

export function fitModelOf(model: PlatformConfig["models"][number], replicas: number): FitModel {
  return {
    name: model.name,
    parametersBillions: model.parametersBillions,
    dtype: model.dtype,
    gpusPerReplica: model.gpusPerReplica,
    replicas,
    gpuMemoryUtilization: model.gpuMemoryUtilization,
    maxModelLen: model.maxModelLen,
  };
}

/**
 * For an instance type of a GPU family we catalogue (g6e, p5, …) that is not itself catalogued,
 * the family's catalogued sizes: a typo there would otherwise pass as a CPU node group.
 */
function gpuFamilySizes(cloud: "aws" | "gcp", instanceType: string): { family: string; sizes: string[] } | undefined {
  // EC2: `g6e.12xlarge` → `g6e`; GCE: `a2-ultragpu-4g` → `a2`.
  const familyOf = (type: string) => type.split(cloud === "aws" ? "." : "-")[0];
  const family = familyOf(instanceType);
  const sizes = Object.entries(gpuInstanceTypes)
    .filter(([type, t]) => t.cloud === cloud && familyOf(type) === family)
    .map(([type]) => type);
  return sizes.length ? { family, sizes } : undefined;
}

/**
 * Cluster address ranges (VPCs, subnets) must not overlap: the clusters' API servers and
 * east-west gateways are reached across them (peering, VPN), and k3s's own pod and service
 * ranges must stay clear of its subnet.
 */
function checkAddressRanges(report: Report, cfg: PlatformConfig): void {
  const ranges: { ci: number; field: string; cidr: Cidr; cluster: string }[] = [];
  cfg.clusters.forEach((c, ci) => {
    if (c.cloud === "existing") return;
    const [field, text] = c.cloud === "aws" ? ["vpcCidr", c.vpcCidr] : ["subnetCidr", c.subnetCidr];
    const cidr = parseCidr(text);
    if (typeof cidr === "string") return; // reported by the schema
    for (const other of ranges) {
      if (cidrsOverlap(other.cidr, cidr)) {
        report(["clusters", ci, field], `${cidr.text} overlaps ${other.cidr.text} of cluster '${other.cluster}' (clusters[${other.ci}].${other.field}); cluster ranges must be disjoint`);
      }
    }
    if (c.cloud === "gcp") {
      for (const [what, range] of K3S_INTERNAL_RANGES) {
        if (cidrsOverlap(range, cidr)) report(["clusters", ci, field], `${cidr.text} overlaps k3s's ${what} ${range.text}; pick a subnet outside it`);
      }
    }
    ranges.push({ ci, field, cidr, cluster: c.name });
  });
}

const K3S_INTERNAL_RANGES: [string, Cidr][] = [
  ["pod range (cluster-cidr)", parseCidr("10.42.0.0/16") as Cidr],
  ["service range (service-cidr)", parseCidr("10.43.0.0/16") as Cidr],
];

function checkClusters(report: Report, cfg: PlatformConfig): void {
  checkAddressRanges(report, cfg);
  requireUnique(report, "clusters", "cluster name", cfg.clusters.map((c) => c.name));
  requireUnique(report, "clusters", "network name", cfg.clusters.map((c) => c.network), "network");
  cfg.clusters.forEach((c, ci) => {
    requireUnique((p, m) => report(["clusters", ci, ...p], m), "nodeGroups", "node group name", c.nodeGroups.map((g) => g.name));
    if (c.cloud === "existing") {
      // Read where it is here (it may live only where `pulumi up` runs): a broken file or a
      // missing context is named with its config path, not found later by the provider.
      const problem = kubeconfigProblem(c.kubeconfig, c.context);
      if (problem) report(["clusters", ci, / has no context /.test(problem) ? "context" : "kubeconfig"], problem);
    }
    if (c.cloud === "aws") {
      const s = c.systemNodeGroup;
      if (!(s.minSize <= s.desiredSize && s.desiredSize <= s.maxSize)) {
        report(["clusters", ci, "systemNodeGroup"], `sizes must satisfy minSize ≤ desiredSize ≤ maxSize, got ${s.minSize} ≤ ${s.desiredSize} ≤ ${s.maxSize}`);
      }
      if (!/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(s.instanceType)) {
        report(["clusters", ci, "systemNodeGroup", "instanceType"], `'${s.instanceType}' is not an EC2 instance type (family.size, such as m6i.2xlarge)`);
      } else if (lookupGpuInstance(s.instanceType)) {
        report(["clusters", ci, "systemNodeGroup", "instanceType"], `'${s.instanceType}' is a GPU instance type; the system group runs the CPU workloads (GPU types go in nodeGroups)`);
      }
    }
    if (c.cloud === "gcp") {
      if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)+$/.test(c.serverMachineType)) {
        report(["clusters", ci, "serverMachineType"], `'${c.serverMachineType}' is not a GCE machine type (family-series-size, such as e2-standard-4)`);
      }
      if (!/^([a-z][-a-z0-9]*[a-z0-9]\/)?[a-z][-a-z0-9]*[a-z0-9]$|^projects\/[^/\s]+\/global\/images\/(family\/)?[a-z][-a-z0-9]*$/.test(c.image)) {
        report(["clusters", ci, "image"], `'${c.image}' is not a GCE image (project/family such as ubuntu-os-cloud/ubuntu-2204-lts, or projects/<p>/global/images/[family/]<name>)`);
      }
    }
    c.nodeGroups.forEach((g, gi) => {
      const at = ["clusters", ci, "nodeGroups", gi];
      if (!(g.minSize <= g.desiredSize && g.desiredSize <= g.maxSize)) {
        report(at, `sizes must satisfy minSize ≤ desiredSize ≤ maxSize, got ${g.minSize} ≤ ${g.desiredSize} ≤ ${g.maxSize}`);
      }
      // GCE: the instance template's namePrefix `<cluster>-<group>-` may be 54 characters at most.
      if (c.cloud === "gcp" && `${c.name}-${g.name}`.length > 53) {
        report([...at, "name"], `'${c.name}-${g.name}' (cluster-group) is ${c.name.length + g.name.length + 1} characters; GCE instance templates and groups take at most 53 here: shorten the cluster or group name`);
      }
      const gpu = lookupGpuInstance(g.instanceType);
      if (c.cloud === "existing") {
        report([...at, "instanceType"], "existing clusters bring their own nodes: remove nodeGroups or use cloud aws|gcp");
        return;
      }
      if (gpu && gpu.cloud !== c.cloud) {
        report([...at, "instanceType"], `'${g.instanceType}' is a ${gpu.cloud} instance type, but cluster '${c.name}' is on ${c.cloud}`);
      }
      if (c.cloud === "aws" && !gpu) {
        const family = gpuFamilySizes("aws", g.instanceType);
        if (family) {
          report([...at, "instanceType"], `'${g.instanceType}' is not a catalogued size of the GPU family ${family.family}: use one of ${family.sizes.join(", ")}`);
        } else if (!/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(g.instanceType)) {
          report([...at, "instanceType"], `'${g.instanceType}' is not an EC2 instance type (family.size, such as g6e.12xlarge)`);
        }
      }
      if (g.gpuCount !== undefined && g.gpuCount > 0 && !gpu) {
        report([...at, "instanceType"], `'${g.instanceType}' is not in the GPU catalog (components/gpu/catalog.ts); use a catalogued GPU type or gpuCount 0`);
      }
      if (g.gpuCount !== undefined && gpu && g.gpuCount !== gpu.gpusPerNode) {
        report([...at, "gpuCount"], `${g.instanceType} has ${gpu.gpusPerNode} GPUs per node, not ${g.gpuCount}`);
      }
      if (c.cloud === "gcp" && !gpu) {
        // A CPU agent group (no accelerators, no GPU taint) for the CPU workloads: GPU agents are tainted.
        const family = gpuFamilySizes("gcp", g.instanceType);
        if (family) {
          report([...at, "instanceType"], `'${g.instanceType}' is not a catalogued size of the GPU family ${family.family}: use one of ${family.sizes.join(", ")}`);
        } else if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)+$/.test(g.instanceType)) {
          report([...at, "instanceType"], `'${g.instanceType}' is not a GCE machine type (family-series-size, such as e2-standard-8 or n2-highmem-16)`);
        }
      }
      if (c.cloud === "gcp" && gpu && !gpu.gcpAcceleratorType) {
        report([...at, "instanceType"], `${gpu.gpuModel} has no GCP accelerator type in the catalog`);
      }
    });
    if (c.cloud === "aws" && c.endpointPublicAccess && c.publicAccessCidrs.length === 0) {
      report(["clusters", ci, "publicAccessCidrs"], "a public EKS endpoint needs the CIDRs allowed to reach it");
    }
    // What the policy pack's eks-endpoint-private enforces, said at config time with the path.
    if (c.cloud === "aws" && c.endpointPublicAccess && !cfg.policy.allowPublicApiEndpoints) {
      report(["clusters", ci, "endpointPublicAccess"], "a public EKS API endpoint needs policy.allowPublicApiEndpoints: true (the policy pack rejects it otherwise); keep it false and reach the API over the VPC");
    }
    if (c.cloud === "aws" && c.endpointPublicAccess) {
      c.publicAccessCidrs.forEach((cidr, i) => {
        if (/\/0$/.test(cidr)) report(["clusters", ci, "publicAccessCidrs", i], `${cidr} opens the EKS API to the whole internet, which the policy pack never allows; list the networks that need it`);
      });
    }
  });
}

function checkModels(report: Report, cfg: PlatformConfig, run: Guard = (check) => check()): Map<string, ClusterFit[]> {
  const clusterByName = new Map(cfg.clusters.map((c) => [c.name, c]));
  const groups = fitNodeGroups(cfg.clusters);
  const fits = new Map<string, ClusterFit[]>();
  requireUnique(report, "models", "model name", cfg.models.map((m) => m.name));
  requireUnique(report, "models", "served model name", cfg.models.map((m) => m.servedModelName), "servedModelName");
  run(() => checkAdapterNames(report, cfg), undefined);
  cfg.models.forEach((m, mi) => run(() => {
    const at = ["models", mi];
    checkSplit(report, at, m.versions, cfg.policy.maxCanaryWeight);
    m.clusters.forEach((name, i) => {
      if (!clusterByName.has(name)) report([...at, "clusters", i], `unknown cluster '${name}'; known: ${[...clusterByName.keys()].join(", ")}`);
    });
    for (const [name, idx] of duplicates(m.clusters)) report([...at, "clusters", idx[1]], `cluster '${name}' listed twice`);
    if (m.server !== "vllm") return;
    const modelFits: ClusterFit[] = [];
    for (const [i, name] of m.clusters.entries()) {
      const cluster = clusterByName.get(name);
      if (!cluster) continue;
      if (!cluster.nodeGroups.some((g) => lookupGpuInstance(g.instanceType))) {
        report(
          [...at, "clusters", i],
          cluster.cloud === "existing"
            ? `server 'vllm' needs GPUs the fit arithmetic knows, and existing cluster '${name}' declares no node groups; use server 'simulator' there`
            : `server 'vllm' needs GPUs, but cluster '${name}' has no GPU node groups; use server 'simulator' or add a GPU node group`,
        );
        continue;
      }
      const replicas = Math.max(...m.versions.map((v) => v.replicas ?? m.replicas));
      const fit = fitInCluster(fitModelOf(m, replicas), name, groups, { minKvCacheFraction: cfg.policy.minKvCacheFraction });
      if (fit.fits.length === 0) {
        const why = fit.rejected.map((r) => `node group '${r.nodeGroup.name}' (${r.nodeGroup.instanceType}): ${r.problems.join("; ")}`);
        report([...at, "clusters", i], `model '${m.name}' does not fit cluster '${name}': ${why.join(" | ")}`);
      }
      modelFits.push(fit);
    }
    fits.set(m.name, modelFits);
  }, undefined));
  run(() => checkGpuDemand(report, cfg), undefined);
  return fits;
}

/**
 * Clients pick a LoRA adapter by sending its name as `model`, and the body-based router maps that
 * name to one base model: adapter names must be unique across all models and never shadow a
 * served model name.
 */
function checkAdapterNames(report: Report, cfg: PlatformConfig): void {
  const served = new Map(cfg.models.map((m, i) => [m.servedModelName, i]));
  const adapters = cfg.models.flatMap((m, mi) => m.loraAdapters.map((a, ai) => ({ name: a.name, mi, ai })));
  const where = (a: (typeof adapters)[number]) => `models[${a.mi}].loraAdapters[${a.ai}]`;
  for (const a of adapters) {
    const owner = served.get(a.name);
    if (owner !== undefined) report(["models", a.mi, "loraAdapters", a.ai, "name"], `adapter name '${a.name}' is the servedModelName of models[${owner}]; requests for it would be ambiguous`);
  }
  for (const [name, idx] of duplicates(adapters.map((a) => a.name))) {
    for (const i of idx.slice(1)) {
      const a = adapters[i];
      report(["models", a.mi, "loraAdapters", a.ai, "name"], `duplicate adapter name '${name}' (also at ${where(adapters[idx[0]])}); adapter names must be unique across models`);
    }
  }
}

/** All GPU replicas placed in a cluster must fit its GPU node groups at their maximum sizes together. */
function checkGpuDemand(report: Report, cfg: PlatformConfig): void {
  cfg.clusters.forEach((c, ci) => {
    const supply = c.nodeGroups.reduce((s, g) => s + (lookupGpuInstance(g.instanceType)?.gpusPerNode ?? 0) * g.maxSize, 0);
    const demand = cfg.models
      .filter((m) => m.server === "vllm" && m.clusters.includes(c.name))
      .reduce((s, m) => s + m.versions.reduce((vs, v) => vs + (v.replicas ?? m.replicas) * m.gpusPerReplica, 0), 0);
    if (supply > 0 && demand > supply) {
      report(["clusters", ci, "nodeGroups"], `models placed on cluster '${c.name}' need ${demand} GPUs but its GPU node groups offer at most ${supply}`);
    }
  });
}

function checkAgentsAndTools(report: Report, cfg: PlatformConfig): void {
  const models = new Set(cfg.models.map((m) => m.name));
  const tools = new Set(cfg.tools.map((t) => t.name));
  const clusters = new Set(cfg.clusters.map((c) => c.name));
  requireUnique(report, "agents", "agent name", cfg.agents.map((a) => a.name));
  requireUnique(report, "tools", "tool name", cfg.tools.map((t) => t.name));
  const agentNames = new Set(cfg.agents.map((a) => a.name));
  cfg.tools.forEach((t, ti) => {
    if (agentNames.has(t.name)) report(["tools", ti, "name"], `'${t.name}' is also an agent name; agents and tools need distinct names`);
  });
  cfg.agents.forEach((a, ai) => {
    const at = ["agents", ai];
    checkSplit(report, at, a.versions, cfg.policy.maxCanaryWeight);
    if (!models.has(a.model)) report([...at, "model"], `unknown model '${a.model}'; known: ${[...models].join(", ") || "(none)"}`);
    a.tools.forEach((t, i) => {
      if (!tools.has(t)) report([...at, "tools", i], `unknown tool '${t}'; known: ${[...tools].join(", ") || "(none)"}`);
    });
    for (const [name, idx] of duplicates(a.tools)) report([...at, "tools", idx[1]], `tool '${name}' listed twice`);
    (a.clusters ?? []).forEach((c, i) => {
      if (!clusters.has(c)) report([...at, "clusters", i], `unknown cluster '${c}'`);
    });
    for (const [name, idx] of duplicates(a.clusters ?? [])) report([...at, "clusters", idx[1]], `cluster '${name}' listed twice`);
    // Agents call their model through their own cluster's inference gateway (no cross-cluster pools).
    const modelClusters = cfg.models.find((m) => m.name === a.model)?.clusters ?? [];
    (a.clusters ?? []).forEach((c, i) => {
      if (clusters.has(c) && models.has(a.model) && !modelClusters.includes(c)) {
        report([...at, "clusters", i], `agent '${a.name}' runs on '${c}', but its model '${a.model}' is not placed there (clusters: ${modelClusters.join(", ")}); agents reach their model through their own cluster's inference gateway`);
      }
    });
  });
  if (cfg.agents.length > 0 && !cfg.gateways.agents) {
    report(["gateways", "agents"], "agents are configured, so the agent gateway (hostname, tls, jwt) is required");
  }
}

function checkGateways(report: Report, cfg: PlatformConfig): void {
  for (const key of ["inference", "agents"] as const) {
    const gw = cfg.gateways[key];
    if (gw && gw.tls.mode === "none" && cfg.policy.requireTls) {
      report(["gateways", key, "tls", "mode"], "TLS mode 'none' is only allowed when policy.requireTls is false");
    }
  }
  const { inference, agents } = cfg.gateways;
  if (inference && agents && inference.hostname === agents.hostname) {
    report(["gateways", "agents", "hostname"], `'${agents.hostname}' is also gateways.inference.hostname; each gateway has its own address, so each needs its own hostname`);
  }
  if (inference && agents && cfg.agents.length > 0) {
    // k3s ServiceLB binds every port of every LoadBalancer Service on the node (hostPort): the
    // second gateway asking for a port the first holds stays <pending> forever.
    const taken = new Set([inferencePublicPort(cfg.gateways), inferenceMeshPort]);
    const port = agentPublicPort(cfg.gateways);
    const shared = cfg.clusters.filter(
      (c) => (c.kind === "k3s" || (c.cloud === "existing" && c.platform === "k3s")) && cfg.agents.some((a) => agentClustersOf(cfg, a).includes(c.name)) && cfg.models.some((m) => m.clusters.includes(c.name)),
    );
    if (taken.has(port) && shared.length > 0) {
      report(
        ["gateways", "agents", "port"],
        `port ${port}${agents.port === undefined ? " (the default)" : ""} is also the inference gateway's on k3s cluster(s) ${shared.map((c) => `'${c.name}'`).join(", ")}: ` +
          `k3s ServiceLB binds each LoadBalancer port on the node, so the two gateways need different ports (e.g. 8443); the inference gateway holds ${[...taken].sort((a, b) => a - b).join(" and ")}`,
      );
    }
  }
  const jwks = agents?.jwt?.jwksUri;
  if (jwks && !jwks.startsWith("https://") && !/^http:\/\/[^/:]+\.svc(\.cluster\.local)?(:\d+)?\//.test(jwks)) {
    report(["gateways", "agents", "jwt", "jwksUri"], "must be https:// (keys fetched in plaintext can be swapped in transit); plain http only for an in-cluster Service (*.svc.cluster.local), which the mesh encrypts");
  }
}

/** Cloud placement details the providers would only reject at deploy time. */
function checkPlacement(report: Report, cfg: PlatformConfig): void {
  cfg.clusters.forEach((c, ci) => {
    if (c.cloud !== "gcp") return;
    if (!c.zone.startsWith(`${c.region}-`)) {
      report(["clusters", ci, "zone"], `zone '${c.zone}' is not in region '${c.region}' (zones of ${c.region} are ${c.region}-a, -b, …)`);
    }
    c.apiAllowedCidrs.forEach((text, i) => {
      const cidr = parseCidr(text);
      if (typeof cidr !== "string" && cidr.bits === 0 && !cfg.policy.allowPublicApiEndpoints) {
        report(["clusters", ci, "apiAllowedCidrs", i], `${text} opens the k3s API to the whole internet, and policy.allowPublicApiEndpoints is false; list the networks that need it`);
      }
    });
  });
}

/** Runs every cross-field rule; returns the problems and, per vLLM model, where it fits. */

/**
 * Names the program derives from config (`<agent>-<version>`, `<model>-<version>-epp`,
 * `<cluster>-<group>`, …) must not collide with each other nor with the objects the controllers
 * create (the gateway proxies, waypoints): two objects with one name in one namespace are one
 * object in Kubernetes and one URN in Pulumi, and a workload named like a gateway proxy wears its
 * mesh identity, which the authorization policies trust.
 */
function checkGeneratedNames(report: Report, cfg: PlatformConfig): void {
  // owner: the config item; kind: what of it carries the name (empty for the item itself).
  const claims = new Map<string, { owner: string; kind: string }>();
  const reportedPaths = new Set<string>();
  const claim = (scope: string, name: string, path: (string | number)[], owner: string, kind = "") => {
    const key = `${scope}/${name}`;
    const other = claims.get(key);
    if (!other) {
      claims.set(key, { owner, kind });
      return;
    }
    // One report per config item: a colliding pool name makes its picker's name collide too.
    if (reportedPaths.has(path.join("/"))) return;
    reportedPaths.add(path.join("/"));
    const theirs = other.kind ? `${other.kind} of ${other.owner}` : other.owner;
    report(path, `${owner} derives the ${kind || "name"} '${name}', which is already the ${theirs}; rename one of them (they would be one object)`);
  };
  const reserved: [string, string, string][] = [
    ["agents", agentGateway.name, "agent gateway's proxy (its mesh identity)"],
    ["agents", waypointName, "agents' waypoint"],
    ["tools", mcpGateway.name, "MCP gateway's proxy (its mesh identity)"],
    ["tools", waypointName, "tools' waypoint"],
    ["tools", mcpBackendName, "MCP backend"],
    ["inference", gatewayName, "inference gateway"],
    ["inference", gatewayServiceName, "inference gateway's proxy (its mesh identity)"],
    ["inference", bbrName, "body-based router"],
  ];
  for (const [ns, name, what] of reserved) claims.set(`${ns}/${name}`, { owner: what, kind: "" });
  cfg.agents.forEach((a, ai) =>
    a.versions.forEach((v, vi) => claim("agents", `${a.name}-${v.name}`, ["agents", ai, "versions", vi, "name"], `agent '${a.name}' version '${v.name}'`, "workload name")),
  );
  cfg.tools.forEach((t, ti) => claim("tools", t.name, ["tools", ti, "name"], `tool '${t.name}'`, "workload name"));
  cfg.models.forEach((m, mi) =>
    m.versions.forEach((v, vi) => {
      const pool = poolName(m, v);
      const owner = `model '${m.name}' version '${v.name}'`;
      const at = ["models", mi, "versions", vi, "name"];
      claim("inference", pool, at, owner, "pool");
      claim("inference", eppName(pool), at, owner, "endpoint picker");
      claim("inference", modelServerServiceAccount(pool), at, owner, "model-server ServiceAccount");
    }),
  );
  cfg.clusters.forEach((c, ci) => {
    if (c.cloud === "aws") claim("node-groups", `${c.name}-system`, ["clusters", ci, "systemNodeGroup"], `cluster '${c.name}'`, "system node group resource");
    c.nodeGroups.forEach((g, gi) => claim("node-groups", `${c.name}-${g.name}`, ["clusters", ci, "nodeGroups", gi, "name"], `cluster '${c.name}' node group '${g.name}'`, "node group resource"));
  });
}

/**
 * Every cross-field rule. `bestEffort` (a config that already failed field validation): a rule
 * that trips over a malformed field is skipped, and the others still report, so one run lists
 * every problem the config has.
 */
export function validatePlatform(cfg: PlatformConfig, options: { bestEffort?: boolean } = {}): { problems: ConfigProblem[]; fits: Map<string, ClusterFit[]> } {
  const problems: ConfigProblem[] = [];
  const report: Report = (path, message) => problems.push({ path, message });
  const run = <T>(check: () => T, fallback: T): T => {
    if (!options.bestEffort) return check();
    try {
      return check();
    } catch {
      return fallback;
    }
  };
  run(() => checkClusters(report, cfg), undefined);
  const fits = run(() => checkModels(report, cfg, run), new Map<string, ClusterFit[]>());
  run(() => checkAgentsAndTools(report, cfg), undefined);
  run(() => checkGateways(report, cfg), undefined);
  run(() => checkPlacement(report, cfg), undefined);
  run(() => checkGeneratedNames(report, cfg), undefined);
  return { problems, fits };
}

type Guard = <T>(check: () => T, fallback: T) => T;
