/**
 * Per-model GPU pins (`models[].gpuTypes`): per cluster of the model, the GPU types its vLLM
 * replicas run on there, by catalog name. The capacity check (validate-capacity.ts) gives each
 * model that shares a GPU type with another one type per cluster, chosen afresh on every run from
 * the whole fleet's demand, so a change to one model (a canary scaled to 0) can move another
 * model's fleet; a pinned model is never moved, the search only chooses for the models left
 * unpinned. Pins are per cluster, not one list for the model: a type pinned for one cluster would
 * otherwise also be allowed on every other cluster that runs it, where it could give the model a
 * choice that nothing in the config could take away.
 */
import { PlatformConfig } from "./schema";
import { gpuModels, GpuModelName, lookupGpuInstance } from "../components/gpu/catalog";
import { FitNodeGroup } from "../components/gpu/fit";
import { duplicates, Report } from "./validate-support";

type Model = PlatformConfig["models"][number];

/** A GPU product label (what node affinity matches) by the catalog name users write. */
export const gpuTypeName = (product: string): string =>
  (Object.keys(gpuModels) as GpuModelName[]).find((n) => gpuModels[n].product === product) ?? product;

/** The GPU types a model is pinned to on a cluster, or undefined where the search chooses (own keys only: a cluster may be named `constructor`). */
export function pinsOn(model: Model, cluster: string): GpuModelName[] | undefined {
  const pins = model.gpuTypes;
  return pins !== undefined && Object.hasOwn(pins, cluster) ? pins[cluster] : undefined;
}

/** The node groups of a cluster a model may use: all of them, or those of the types pinned there. */
export function pinnedNodeGroups(model: Model, cluster: string, groups: FitNodeGroup[]): FitNodeGroup[] {
  const pins = pinsOn(model, cluster);
  if (pins === undefined) return groups;
  return groups.filter((g) => {
    const gpu = lookupGpuInstance(g.instanceType);
    return gpu !== undefined && pins.includes(gpu.gpuModel);
  });
}

/**
 * The pins themselves: on a model that runs on GPUs, for clusters of the model, each type once.
 * `clustersResolve`: every cluster of the model is a known cluster. Otherwise a pin on a cluster
 * the model does not list is not called stray: the misspelt entry of its list (reported as an
 * unknown cluster) may be the cluster the pin names.
 */
export function checkPinList(report: Report, at: (string | number)[], model: Model, clustersResolve: boolean): void {
  if (model.gpuTypes === undefined) return;
  if (model.server !== "vllm") {
    report([...at, "gpuTypes"], `pins vLLM replicas to GPU types, but model '${model.name}' runs server '${model.server}', which takes no GPUs; remove gpuTypes`);
    return;
  }
  for (const [cluster, types] of Object.entries(model.gpuTypes)) {
    if (clustersResolve && !model.clusters.includes(cluster)) {
      report([...at, "gpuTypes", cluster], `'${cluster}' is not among the clusters of model '${model.name}' (${model.clusters.join(", ")}); pin GPU types on those`);
    }
    for (const [name, idx] of duplicates(types)) report([...at, "gpuTypes", cluster, idx[1]], `GPU type '${name}' listed twice`);
  }
}

/**
 * Why a pinned model has no node group on a cluster, naming the GPU types the cluster does run
 * (the model would stay Pending there: its affinity matches no node).
 */
export function pinAbsentProblem(model: Model, cluster: string, groups: FitNodeGroup[]): string {
  const pins = pinsOn(model, cluster) ?? [];
  const there = [...new Set(groups.flatMap((g) => lookupGpuInstance(g.instanceType)?.gpuModel ?? []))].sort();
  return (
    `model '${model.name}' is pinned to ${pins.join(", ")} on cluster '${cluster}', which has no node group of ${pins.length > 1 ? "those types" : "that type"}: ` +
    `its GPU node groups run ${there.join(", ")}; pin one of those, or add a node group of a pinned type`
  );
}

/** A model on one cluster as the capacity check sees it: the GPU products it fits there. */
export interface PlacedModel {
  model: Model;
  products: string[];
}

/**
 * A model pinned to several GPU types on a cluster, one of which another model there may also
 * use: the scheduler, placing pods in its own order, could give its replicas the nodes the other
 * model needs, and since the pin is the user's, the search does not narrow it. One problem per
 * such model, with the other models and the types they share.
 */
export function pinConflicts(cluster: string, models: PlacedModel[]): { model: Model; message: string }[] {
  return models.flatMap((x) => {
    if (pinsOn(x.model, cluster) === undefined || x.products.length < 2) return [];
    const others = models
      .filter((o) => o !== x && o.products.some((p) => x.products.includes(p)))
      .map((o) => `'${o.model.name}' (${o.products.filter((p) => x.products.includes(p)).map(gpuTypeName).join(", ")})`);
    if (others.length === 0) return [];
    return [{
      model: x.model,
      message:
        `model '${x.model.name}' is pinned to a choice of GPU types on cluster '${cluster}' (${x.products.map(gpuTypeName).join(", ")}), ` +
        `and model ${others.join(", ")} may also use them: the scheduler, placing pods in its own order, could give '${x.model.name}' the nodes the other model needs; ` +
        `pin one type there, or keep the other model off them with its own gpuTypes`,
    }];
  });
}
