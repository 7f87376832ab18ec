/**
 * Per-model GPU pins (`models[].gpuTypes`): the GPU types a model's vLLM replicas run on, by
 * catalog name. The capacity check (validate-capacity.ts) gives each model that shares a GPU type
 * with another one type per cluster, chosen afresh on every run from the whole fleet's demand, so
 * a change to one model (a canary scaled to 0) can move another model's fleet onto other nodes; a
 * pinned model is never moved, the search only chooses for the models left unpinned.
 */
import { PlatformConfig } from "./schema";
import { gpuModels, GpuModelName, lookupGpuInstance } from "../components/gpu/catalog";
import { FitNodeGroup } from "../components/gpu/fit";
import { duplicates, Report } from "./validate-support";

type Model = PlatformConfig["models"][number];

/** A GPU product label (what node affinity matches) by the catalog name users write. */
export const gpuTypeName = (product: string): string =>
  (Object.keys(gpuModels) as GpuModelName[]).find((n) => gpuModels[n].product === product) ?? product;

const typeList = (names: readonly string[]) => names.join(", ");

/** The node groups of a cluster a model may use: all of them, or those of its pinned GPU types. */
export function pinnedNodeGroups(model: Model, groups: FitNodeGroup[]): FitNodeGroup[] {
  const pins = model.gpuTypes;
  if (pins === undefined) return groups;
  return groups.filter((g) => {
    const gpu = lookupGpuInstance(g.instanceType);
    return gpu !== undefined && pins.includes(gpu.gpuModel);
  });
}

/** The pin list itself: each type once, and only on a model that runs on GPUs. */
export function checkPinList(report: Report, at: (string | number)[], model: Model): void {
  if (model.gpuTypes === undefined) return;
  if (model.server !== "vllm") {
    report([...at, "gpuTypes"], `pins vLLM replicas to GPU types, but model '${model.name}' runs server '${model.server}', which takes no GPUs; remove gpuTypes`);
    return;
  }
  for (const [name, idx] of duplicates(model.gpuTypes)) report([...at, "gpuTypes", idx[1]], `GPU type '${name}' listed twice`);
}

/**
 * Why a pinned model has no node group on one of its clusters, naming the GPU types the cluster
 * does run (the model would stay Pending there: its affinity matches no node).
 */
export function pinAbsentProblem(model: Model, cluster: string, groups: FitNodeGroup[]): string {
  const there = [...new Set(groups.flatMap((g) => lookupGpuInstance(g.instanceType)?.gpuModel ?? []))].sort();
  return (
    `model '${model.name}' is pinned to ${typeList(model.gpuTypes ?? [])}, but cluster '${cluster}' (one of its clusters) has no node group of ` +
    `${(model.gpuTypes?.length ?? 0) > 1 ? "those types" : "that type"}: its GPU node groups run ${typeList(there)}; add one of those to gpuTypes ` +
    `(the list holds the types of all the model's clusters), or take '${cluster}' out of its clusters`
  );
}

/** A model on one cluster as the capacity check sees it: the GPU products it fits there. */
export interface PlacedModel {
  model: Model;
  products: string[];
}

/**
 * A pinned model left several GPU types on a cluster, one of which another model there may also
 * use: the scheduler, placing pods in its own order, could give its replicas the nodes the other
 * model needs, and since the pin is the user's, the search does not narrow it. One problem per
 * such model, with the other models and the types they share.
 */
export function pinConflicts(cluster: string, models: PlacedModel[]): { model: Model; message: string }[] {
  return models.flatMap((x) => {
    if (x.model.gpuTypes === undefined || x.products.length < 2) return [];
    const others = models
      .filter((o) => o !== x && o.products.some((p) => x.products.includes(p)))
      .map((o) => `'${o.model.name}' (${typeList(o.products.filter((p) => x.products.includes(p)).map(gpuTypeName))})`);
    if (others.length === 0) return [];
    return [{
      model: x.model,
      message:
        `model '${x.model.name}' keeps a choice of GPU types on cluster '${cluster}' (its gpuTypes leave it ${typeList(x.products.map(gpuTypeName))} there), ` +
        `and model ${others.join(", ")} may also use them: the scheduler, placing pods in its own order, could give '${x.model.name}' the nodes the other model needs; ` +
        `list only one of these types in gpuTypes, or keep the other model off them with its own gpuTypes`,
    }];
  });
}
