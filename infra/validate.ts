/**
 * Cross-field rules of the platform config: everything zod's field-level schema cannot see.
 * Each rule reports a problem at the config path it is about, so that one run lists every
 * mistake at once. Models and GPU capacity are here; clusters, networks, agents and gateways,
 * splits and generated names have files of their own (validate-*.ts).
 */
import { ClusterSpec, PlatformConfig } from "./schema";
import { lookupGpuInstance } from "../components/gpu/catalog";
import { FitModel, FitNodeGroup, fitInCluster, ClusterFit, GpuReplica, gpuNodes, gpuProducts, modelStorageGiB, packReplicas, tensorParallelProblem } from "../components/gpu/fit";
import { ConfigProblem, duplicates, eachItem, isInvalidItem, isLaterDuplicate, knownList, readable, readableNames, namesKnown, Report, requireUnique, unlessBroken } from "./validate-support";
import { checkClusters, checkPlacement, hasGpuTypeTypo } from "./validate-clusters";
import { checkGeneratedNames } from "./validate-names";
import { checkAgentsAndTools, checkGateways } from "./validate-agents";
import { checkSplit } from "./validate-split";
import { checkRequestNames } from "./validate-request-names";
import { checkVersions } from "./validate-versions";
import { checkKubernetesVersions } from "./validate-kubernetes";
import { checkAgentLimits } from "./validate-agent-limits";

export type { ConfigProblem } from "./validate-support";

/** Every node group of every cluster as the fit arithmetic sees it. */
export function fitNodeGroups(clusters: ClusterSpec[]): FitNodeGroup[] {
  return clusters.flatMap((c) =>
    c.nodeGroups.map((g) => ({ cluster: c.name, name: g.name, instanceType: g.instanceType, desiredSize: g.desiredSize, diskSizeGiB: g.diskSizeGiB })),
  );
}

/** Replicas of one version of a model: its own count, else the model's. */
export const replicasOf = (model: Pick<PlatformConfig["models"][number], "replicas">, version: { replicas?: number }): number => version.replicas ?? model.replicas;

export function fitModelOf(model: PlatformConfig["models"][number]): FitModel {
  return {
    name: model.name,
    parametersBillions: model.parametersBillions,
    dtype: model.dtype,
    gpusPerReplica: model.gpusPerReplica,
    gpuMemoryUtilization: model.gpuMemoryUtilization,
    maxModelLen: model.maxModelLen,
    architecture: model.architecture,
  };
}

/** Clusters by name (the first of a duplicated name), leaving out clusters whose name has a field error. */
function clustersByName(cfg: PlatformConfig): Map<string, PlatformConfig["clusters"][number]> {
  const byName = new Map<string, PlatformConfig["clusters"][number]>();
  readableNames(cfg.clusters).forEach((name, ci) => name !== undefined && !byName.has(name) && byName.set(name, cfg.clusters[ci]));
  return byName;
}

function checkModels(report: Report, cfg: PlatformConfig, run: Guard = (check) => check()): Map<string, ClusterFit[]> {
  const clusterByName = clustersByName(cfg);
  // Per cluster, its node groups as the fit reads them; undefined where a node group field has a
  // field error (no fit is computed there rather than one from half the groups).
  const groupsOf = new Map([...clusterByName].map(([name, c]) => [name, readable(() => fitNodeGroups([c]))]));
  const fits = new Map<string, ClusterFit[]>();
  requireUnique(report, "models", "model name", readableNames(cfg.models));
  run(() => checkRequestNames(report, cfg), undefined);
  eachItem(cfg.models, (m, mi) => run(() => {
    const at = ["models", mi];
    // vLLM loads `--model <servedModelName>`: a Hugging Face repo id or a path in the image.
    unlessBroken(() => {
      if (m.server === "vllm" && !/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(m.servedModelName) && !m.servedModelName.startsWith("/")) {
        report([...at, "servedModelName"], `'${m.servedModelName}' is what vLLM loads (--model): a Hugging Face repo id such as meta-llama/Llama-3.1-8B-Instruct, or an absolute path in the image`);
      }
    });
    // A tensor-parallel size vLLM cannot shard is the one problem: the model is left out of the fit
    // and capacity checks, whose verdicts would be for a server that never starts.
    const badTensorParallel = readable(() => (m.server === "vllm" && m.architecture ? tensorParallelProblem(m.gpusPerReplica, m.architecture.kvHeads) : undefined));
    if (badTensorParallel) report([...at, "gpusPerReplica"], badTensorParallel);
    unlessBroken(() => checkSplit(report, at, m.versions, cfg.policy.maxCanaryWeight));
    unlessBroken(() => {
      // A cluster list with a field error (not a list, a broken item or name) may hold the name looked for.
      if (!namesKnown(cfg, "clusters")) return;
      m.clusters.forEach((name, i) => {
        if (!clusterByName.has(name)) report([...at, "clusters", i], `unknown cluster '${name}'; known: ${knownList(readableNames(cfg.clusters))}`);
      });
    });
    unlessBroken(() => {
      for (const [name, idx] of duplicates(m.clusters)) report([...at, "clusters", idx[1]], `cluster '${name}' listed twice`);
    });
    unlessBroken(() => {
      if (m.server !== "vllm" || badTensorParallel) return;
      const model = fitModelOf(m);
      const modelFits: ClusterFit[] = [];
      eachItem(m.clusters, (name, i) => {
        const cluster = clusterByName.get(name);
        const groups = groupsOf.get(name);
        if (!cluster || !groups) return;
        if (hasGpuTypeTypo(cluster)) return; // the misspelt GPU type is the problem, reported on its node group
        if (!cluster.nodeGroups.some((g) => lookupGpuInstance(g.instanceType))) {
          report(
            [...at, "clusters", i],
            cluster.cloud === "existing"
              ? `server 'vllm' needs GPUs the fit arithmetic knows, and existing cluster '${name}' declares no node groups; use server 'simulator' there`
              : `server 'vllm' needs GPUs, but cluster '${name}' has no GPU node groups; use server 'simulator' or add a GPU node group`,
          );
          return;
        }
        const fit = fitInCluster(model, name, groups, { minKvCacheFraction: cfg.policy.minKvCacheFraction });
        if (fit.fits.length === 0) {
          const why = fit.rejected.map((r) => `node group '${r.nodeGroup.name}' (${r.nodeGroup.instanceType}): ${r.problems.join("; ")}`);
          report([...at, "clusters", i], `model '${m.name}' does not fit cluster '${name}': ${why.join(" | ")}`);
        }
        modelFits.push(fit);
      });
      fits.set(m.name, modelFits);
    });
  }, undefined));
  return run(() => checkGpuCapacity(report, cfg, fits), fits);
}

/** GPUs all versions of a model ask for together on one cluster. */
const gpuDemand = (m: PlatformConfig["models"][number]) => m.gpusPerReplica * m.versions.reduce((n, v) => n + replicasOf(m, v), 0);

/**
 * Every vLLM replica placed on a cluster must fit the nodes the node groups run at desiredSize (no
 * cluster autoscaler adds any), by GPUs and ephemeral storage. The scheduler places pods in its
 * own order, so a model allowed on a GPU type another model may also use could fill the nodes that
 * model needs: such models are pinned to one GPU type each (their pods' node affinity), chosen so
 * that everything fits together; a model whose types no other model shares keeps them all. CPU
 * and memory need no packing of their own: a replica requests the share of its node's host
 * proportional to its GPUs (components/gpu/host.ts), so GPUs that fit bring their host share.
 * Returns the fits narrowed to the chosen types. Models that fit nowhere on the cluster are
 * reported by checkModels.
 */
function checkGpuCapacity(report: Report, cfg: PlatformConfig, fits: Map<string, ClusterFit[]>): Map<string, ClusterFit[]> {
  const narrowed = new Map([...fits].map(([model, perCluster]) => [model, [...perCluster]]));
  const clusterNames = readableNames(cfg.clusters);
  eachItem(cfg.clusters, (c, ci) => {
    if (isInvalidItem(c) || hasGpuTypeTypo(c)) return;
    // A second cluster of one name is reported as a duplicate; the models placed by that name are the first one's.
    if (isLaterDuplicate(clusterNames, ci)) return;
    const groups = fitNodeGroups([c]);
    const nodes = gpuNodes(groups);
    const models = cfg.models
      .filter((m) => !isInvalidItem(m) && m.server === "vllm" && m.clusters.includes(c.name))
      .map((m) => ({ model: m, products: gpuProducts(fits.get(m.name)?.find((f) => f.cluster === c.name)) }))
      .filter((x) => x.products.length > 0)
      // Most demanding first (they have the fewest places to go), then by name: the order depends
      // only on the models themselves, so reordering `models` never moves a pin.
      .sort((a, b) => gpuDemand(b.model) - gpuDemand(a.model) || a.model.name.localeCompare(b.model.name));
    const shared = (product: string) => models.filter((x) => x.products.includes(product)).length > 1;
    const choices = models.map((x) => (x.products.some(shared) ? x.products.map((p) => [p]) : [x.products]));
    const replicasWith = (m: PlatformConfig["models"][number], products: string[]): GpuReplica[] =>
      m.versions.flatMap((v) =>
        Array.from({ length: replicasOf(m, v) }, () => ({ model: m.name, version: v.name, gpus: m.gpusPerReplica, storageGiB: modelStorageGiB(m), products })),
      );
    // Model by model, pruning as soon as the replicas assigned so far no longer fit (adding
    // replicas never makes an unplaceable set placeable).
    let budget = 2000;
    const chosen: string[][] = [];
    const assign = (i: number, placed: GpuReplica[]): boolean | "budget" => {
      if (i === models.length) return true;
      for (const products of choices[i]) {
        if (--budget < 0) return "budget";
        const next = [...placed, ...replicasWith(models[i].model, products)];
        if (packReplicas(nodes, next).length > 0) continue;
        chosen[i] = products;
        const result = assign(i + 1, next);
        if (result !== false) return result;
      }
      return false;
    };
    const result = assign(0, []);
    if (result === true) {
      models.forEach((x, i) => {
        narrowed.set(x.model.name, narrowed.get(x.model.name)!.map((f) => (f.cluster === c.name ? { ...f, fits: f.fits.filter((g) => chosen[i].includes(g.capacity.product)) } : f)));
      });
      return;
    }
    // Name what is missing, placing replicas wherever they fit.
    const replicas = models.flatMap((x) => replicasWith(x.model, x.products));
    const unplaced = packReplicas(nodes, replicas);
    const count = (list: GpuReplica[], r: GpuReplica) => list.filter((x) => x.model === r.model && x.version === r.version).length;
    const pending = unplaced
      .filter((r, i) => unplaced.findIndex((x) => x.model === r.model && x.version === r.version) === i)
      .map((r) => `${count(unplaced, r)} of ${count(replicas, r)} replica(s) of '${r.model}' ${r.version} (${r.gpus} × ${r.products.join("|")}, ${r.storageGiB} GiB disk)`);
    const supply = groups.flatMap((g) => {
      const gpu = lookupGpuInstance(g.instanceType);
      return gpu ? [`'${g.name}' ${g.desiredSize} × ${g.instanceType} (${gpu.gpusPerNode} GPUs${g.diskSizeGiB === undefined ? "" : `, ${g.diskSizeGiB} GiB disk`})`] : [];
    });
    const competing = models.filter((x) => x.products.some(shared)).map((x) => `'${x.model.name}': ${x.products.join("|")}`);
    const why = pending.length
      ? `${pending.join("; ")} would stay Pending`
      : result === "budget"
        ? `no placement of each model on one GPU type was found within the search budget (${competing.join(", ")}); give the models node groups of their own`
        : `every replica fits only with a model spread over GPU types another model also uses, and the scheduler, placing pods in its own order, could then take the nodes the other model needs (${competing.join(", ")})`;
    report(
      ["clusters", ci, "nodeGroups"],
      `the GPU nodes of cluster '${c.name}' at desiredSize cannot hold every model replica placed there (no autoscaler adds nodes): ${why}; ` +
        `GPU nodes: ${supply.join(", ") || "none"}. Raise desiredSize (or diskSizeGiB) of a node group the model fits, or lower replicas`,
    );
  });
  return narrowed;
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
  run(() => checkAgentLimits(report, cfg), undefined);
  run(() => checkPlacement(report, cfg), undefined);
  run(() => checkGeneratedNames(report, cfg), undefined);
  run(() => checkVersions(report, cfg), undefined);
  run(() => checkKubernetesVersions(report, cfg), undefined);
  return { problems, fits };
}

type Guard = <T>(check: () => T, fallback: T) => T;
