/**
 * Cross-field rules of the platform config: everything zod's field-level schema cannot see.
 * Each rule reports a problem at the config path it is about, so that one run lists every
 * mistake at once. Models are here; GPU capacity, clusters, networks, agents and gateways,
 * splits and generated names have files of their own (validate-*.ts).
 */
import { PlatformConfig } from "./schema";
import { lookupGpuInstance } from "../components/gpu/catalog";
import { FitModel, fitInCluster, ClusterFit, tensorParallelProblem } from "../components/gpu/fit";
import { ConfigProblem, duplicates, eachItem, isLaterDuplicate, knownList, readable, readableNames, namesKnown, Report, requireUnique, unlessBroken } from "./validate-support";
import { checkClusters, checkPlacement } from "./validate-clusters";
import { hasGpuTypeTypo } from "./machine-type-rules";
import { checkGeneratedNames } from "./validate-names";
import { checkAgentsAndTools, checkGateways } from "./validate-agents";
import { checkSplit } from "./validate-split";
import { checkRequestNames } from "./validate-request-names";
import { checkVersions } from "./validate-versions";
import { checkImageFloors } from "./validate-image-floors";
import { checkDriverCuda } from "./validate-driver-cuda";
import { checkKubernetesVersions } from "./validate-kubernetes";
import { checkAgentLimits } from "./validate-agent-limits";
import { checkGpuCapacity, fitNodeGroups } from "./validate-capacity";
import { checkPinList, pinAbsentProblem, pinnedNodeGroups, pinsOn } from "./validate-gpu-pins";
import { checkServerImages } from "./validate-server-image";
import { hfRepoIdProblem } from "./hf-repo";
import { isObjectStoreUri, objectStorePlacementProblem, objectStoreUriProblem } from "./object-store-model";

export type { ConfigProblem } from "./validate-support";
export { fitNodeGroups, replicasOf } from "./validate-capacity";

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
    // vLLM loads `--model <servedModelName>`: a Hugging Face repo id (infra/hf-repo.ts), an
    // object-store path it streams (infra/object-store-model.ts) or a path in the image.
    unlessBroken(() => {
      if (m.server !== "vllm" || m.servedModelName.startsWith("/")) return;
      if (isObjectStoreUri(m.servedModelName)) {
        const problem = objectStoreUriProblem(m.servedModelName);
        if (problem) report([...at, "servedModelName"], `'${m.servedModelName}' is the object-store path vLLM streams the model from and ${problem}`);
        return;
      }
      const problem = hfRepoIdProblem(m.servedModelName);
      if (problem) {
        report([...at, "servedModelName"], `'${m.servedModelName}' is what vLLM loads (--model) and ${problem}, such as meta-llama/Llama-3.1-8B-Instruct or gpt2 (vLLM exits at startup on an id huggingface_hub refuses), an s3:// or gs:// path to stream it from, or an absolute path in the image`);
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
      if (m.server !== "vllm" || !isObjectStoreUri(m.servedModelName)) return;
      m.clusters.forEach((name, i) => {
        const cluster = clusterByName.get(name);
        const problem = cluster && objectStorePlacementProblem(m.servedModelName, cluster.cloud);
        if (problem) report([...at, "clusters", i], `'${name}': model '${m.name}' ${problem}`);
      });
    });
    unlessBroken(() => {
      for (const [name, idx] of duplicates(m.clusters)) report([...at, "clusters", idx[1]], `cluster '${name}' listed twice`);
    });
    unlessBroken(() => checkPinList(report, at, m, namesKnown(cfg, "clusters") && m.clusters.every((name) => clusterByName.has(name))));
    // A pin on a GPU type the cluster lacks is wrong whatever the model's size: reported apart from
    // the fit, which a field error in parametersBillions, gpusPerReplica… skips.
    unlessBroken(() => {
      if (m.server !== "vllm") return;
      eachItem(m.clusters, (name) => {
        const cluster = clusterByName.get(name);
        const groups = groupsOf.get(name);
        // No node groups readable, a misspelt GPU type (maybe the pinned one), or no GPUs at all: reported elsewhere.
        if (!cluster || !groups || hasGpuTypeTypo(cluster) || !groups.some((g) => lookupGpuInstance(g.instanceType))) return;
        if (!pinnedNodeGroups(m, name, groups).some((g) => lookupGpuInstance(g.instanceType))) report([...at, "gpuTypes", name], pinAbsentProblem(m, name, groups));
      });
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
        // A pinned model is fitted to its pinned types only: the others are not its nodes.
        const pinned = pinnedNodeGroups(m, name, groups);
        if (!pinned.some((g) => lookupGpuInstance(g.instanceType))) return; // a pin on a type the cluster lacks, reported above
        const fit = fitInCluster(model, name, pinned, { minKvCacheFraction: cfg.policy.minKvCacheFraction });
        if (fit.fits.length === 0) {
          const why = fit.rejected.map((r) => `node group '${r.nodeGroup.name}' (${r.nodeGroup.instanceType}): ${r.problems.join("; ")}`);
          const pins = pinsOn(m, name) ? ` (its gpuTypes pin it to ${pinsOn(m, name)!.join(", ")} there)` : "";
          report([...at, "clusters", i], `model '${m.name}' does not fit cluster '${name}'${pins}: ${why.join(" | ")}`);
        }
        modelFits.push(fit);
      });
      // Fits are keyed by name: a later model of a taken name (reported as a duplicate) would replace the first one's.
      if (!isLaterDuplicate(readableNames(cfg.models), mi)) fits.set(m.name, modelFits);
    });
  }, undefined));
  return run(() => checkGpuCapacity(report, cfg, fits), fits);
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
  run(() => checkServerImages(report, cfg), undefined);
  run(() => checkAgentsAndTools(report, cfg), undefined);
  run(() => checkGateways(report, cfg), undefined);
  run(() => checkAgentLimits(report, cfg), undefined);
  run(() => checkPlacement(report, cfg), undefined);
  run(() => checkGeneratedNames(report, cfg), undefined);
  run(() => checkVersions(report, cfg), undefined);
  run(() => checkImageFloors(report, cfg), undefined);
  run(() => checkDriverCuda(report, cfg), undefined);
  run(() => checkKubernetesVersions(report, cfg), undefined);
  return { problems, fits };
}

type Guard = <T>(check: () => T, fallback: T) => T;
