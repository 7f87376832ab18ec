/**
 * GPU capacity: every vLLM replica placed on a cluster must find a node among its GPU node groups
 * at desiredSize, and models that may share a GPU type are given one type each (their pods' node
 * affinity) so that the scheduler's order cannot starve one of them.
 */
import { ClusterSpec, PlatformConfig } from "./schema";
import { lookupGpuInstance } from "../components/gpu/catalog";
import { FitNodeGroup, ClusterFit, gpuProducts, modelStorageGiB } from "../components/gpu/fit";
import { GpuReplica, gpuNodes, packReplicas } from "../components/gpu/placement";
import { defaultVersions } from "./versions";
import { eachItem, isInvalidItem, isLaterDuplicate, readableNames, Report } from "./validate-support";
import { hasGpuTypeTypo } from "./machine-type-rules";
import { gpuTypeName, pinConflicts, pinsOn } from "./validate-gpu-pins";

/** Every node group of every cluster as the fit arithmetic sees it. */
export function fitNodeGroups(clusters: ClusterSpec[]): FitNodeGroup[] {
  return clusters.flatMap((c) =>
    c.nodeGroups.map((g) => ({ cluster: c.name, name: g.name, instanceType: g.instanceType, desiredSize: g.desiredSize, diskSizeGiB: g.diskSizeGiB })),
  );
}

/** Replicas of one version of a model: its own count, else the model's. */
export const replicasOf = (model: Pick<PlatformConfig["models"][number], "replicas">, version: { replicas?: number }): number => version.replicas ?? model.replicas;

/** GPUs all versions of a model ask for together on one cluster. */
const gpuDemand = (m: PlatformConfig["models"][number]) => m.gpusPerReplica * m.versions.reduce((n, v) => n + replicasOf(m, v), 0);

/**
 * Every vLLM replica placed on a cluster must fit the nodes the node groups run at desiredSize (no
 * cluster autoscaler adds any), by GPUs and ephemeral storage. The scheduler places pods in its
 * own order, so a model allowed on a GPU type another model may also use could fill the nodes that
 * model needs: such models are pinned to one GPU type each (their pods' node affinity), chosen so
 * that everything fits together; a model whose types no other model shares keeps them all, and a
 * model pinned on the cluster by its `gpuTypes` keeps those types (the search chooses around it). CPU
 * and memory need no packing of their own: a replica requests the share of its node's host
 * proportional to its GPUs (components/gpu/host.ts), so GPUs that fit bring their host share.
 * Returns the fits narrowed to the chosen types. Models that fit nowhere on the cluster are
 * reported by checkModels.
 */
export function checkGpuCapacity(report: Report, cfg: PlatformConfig, fits: Map<string, ClusterFit[]>): Map<string, ClusterFit[]> {
  const narrowed = new Map([...fits].map(([model, perCluster]) => [model, [...perCluster]]));
  const clusterNames = readableNames(cfg.clusters);
  const modelNames = readableNames(cfg.models);
  eachItem(cfg.clusters, (c, ci) => {
    if (isInvalidItem(c) || hasGpuTypeTypo(c)) return;
    // A second cluster of one name is reported as a duplicate; the models placed by that name are the first one's.
    if (isLaterDuplicate(clusterNames, ci)) return;
    const groups = fitNodeGroups([c]);
    // A second model of one name is reported as a duplicate; the fits under that name are the first one's.
    const models = cfg.models
      .filter((m, mi) => !isInvalidItem(m) && !isLaterDuplicate(modelNames, mi) && m.server === "vllm" && m.clusters.includes(c.name))
      .map((m) => ({ model: m, products: gpuProducts(fits.get(m.name)?.find((f) => f.cluster === c.name)) }))
      .filter((x) => x.products.length > 0)
      // Most demanding first (they have the fewest places to go), then by name: the order depends
      // only on the models themselves, so reordering `models` never moves a pin.
      .sort((a, b) => gpuDemand(b.model) - gpuDemand(a.model) || a.model.name.localeCompare(b.model.name));
    // A pinned model left a choice of types another model shares is the user's to settle
    // (validate-gpu-pins.ts); a capacity verdict on it would depend on how they settle it.
    const conflicts = pinConflicts(c.name, models);
    for (const { model, message } of conflicts) report(["models", cfg.models.indexOf(model), "gpuTypes", c.name], message);
    if (conflicts.length > 0) return;
    const shared = (product: string) => models.filter((x) => x.products.includes(product)).length > 1;
    // The vLLM images a node may hold at once: those of the versions its GPU product may run, at
    // most one a replica its GPUs take (one image is what the per-model fit check assumes).
    const vllmImages = (product: string, gpus: number) => {
      const here = models.filter((x) => x.products.includes(product) && x.model.gpusPerReplica <= gpus).map((x) => x.model);
      const images = new Set(here.flatMap((m) => m.versions.filter((v) => replicasOf(m, v) > 0).map((v) => v.image ?? cfg.versions.vllmImage ?? defaultVersions.vllmImage)));
      return Math.max(1, Math.min(images.size, Math.floor(gpus / Math.min(...here.map((m) => m.gpusPerReplica)))));
    };
    const nodes = gpuNodes(groups, vllmImages);
    // A model pinned here keeps its types (at most one another model shares, by the rule above):
    // the search chooses for the unpinned models only, so their demand never moves a pinned one.
    const pinned = (m: PlatformConfig["models"][number]) => pinsOn(m, c.name) !== undefined;
    const choices = models.map((x) => (!pinned(x.model) && x.products.some(shared) ? x.products.map((p) => [p]) : [x.products]));
    // A version is packed with at most one replica more than the cluster's GPUs hold: the rest can
    // never be placed either, and a count of millions (replicas take any int32) would otherwise be
    // packed one object each, running the check out of memory. The message counts them all.
    const supplyGpus = nodes.reduce((n, node) => n + node.gpus, 0);
    const packed = (m: PlatformConfig["models"][number], v: { replicas?: number }) => Math.min(replicasOf(m, v), Math.floor(supplyGpus / m.gpusPerReplica) + 1);
    const replicasWith = (m: PlatformConfig["models"][number], products: string[]): GpuReplica[] =>
      m.versions.flatMap((v) =>
        Array.from({ length: packed(m, v) }, () => ({ model: m.name, version: v.name, gpus: m.gpusPerReplica, storageGiB: modelStorageGiB(m), products })),
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
    const unplaced = packReplicas(nodes, models.flatMap((x) => replicasWith(x.model, x.products)));
    // Per model version, in the order first left unplaced: how many were left out, of how many declared.
    const versionKey = (model: string, version: string) => `${model}\u0000${version}`;
    const declared = new Map<string, { all: number; unpacked: number }>();
    for (const { model } of models) {
      for (const v of model.versions) {
        const d = declared.get(versionKey(model.name, v.name)) ?? { all: 0, unpacked: 0 };
        declared.set(versionKey(model.name, v.name), { all: d.all + replicasOf(model, v), unpacked: d.unpacked + replicasOf(model, v) - packed(model, v) });
      }
    }
    const left = new Map<string, { replica: GpuReplica; count: number }>();
    for (const r of unplaced) {
      const key = versionKey(r.model, r.version);
      left.set(key, { replica: r, count: (left.get(key)?.count ?? declared.get(key)!.unpacked) + 1 });
    }
    const pending = [...left].map(
      ([key, { replica: r, count }]) => `${count} of ${declared.get(key)!.all} replica(s) of '${r.model}' ${r.version} (${r.gpus} × ${r.products.join("|")}, ${r.storageGiB} GiB disk)`,
    );
    const supply = groups.flatMap((g) => {
      const gpu = lookupGpuInstance(g.instanceType);
      const images = vllmImages(gpu?.product ?? "", gpu?.gpusPerNode ?? 0);
      const disk = g.diskSizeGiB === undefined ? "" : `, ${g.diskSizeGiB} GiB disk${images > 1 ? ` holding ${images} vLLM images` : ""}`;
      return gpu ? [`'${g.name}' ${g.desiredSize} × ${g.instanceType} (${gpu.gpusPerNode} GPUs${disk})`] : [];
    });
    const competing = models.filter((x) => x.products.some(shared)).map((x) => `'${x.model.name}'${pinned(x.model) ? " (pinned by gpuTypes)" : ""}: ${x.products.join("|")}`);
    // A pinned model whose replicas stay Pending might fit on the cluster's types its pin leaves out.
    const clusterTypes = new Set(groups.flatMap((g) => lookupGpuInstance(g.instanceType)?.gpuModel ?? []));
    const pinnedPending = models.filter(
      (x) => pinned(x.model) && unplaced.some((r) => r.model === x.model.name) && [...clusterTypes].some((t) => !pinsOn(x.model, c.name)!.includes(t)),
    );
    const pinNote = pinnedPending.length ? ` (${pinnedPending.map((x) => `'${x.model.name}' is pinned by its gpuTypes to ${x.products.map(gpuTypeName).join(", ")} here`).join("; ")})` : "";
    const why = pending.length
      ? `${pending.join("; ")} would stay Pending${pinNote}`
      : result === "budget"
        ? `no placement of each model on one GPU type was found within the search budget (${competing.join(", ")}); give the models node groups of their own`
        : `every replica fits only with a model spread over GPU types another model also uses, and the scheduler, placing pods in its own order, could then take the nodes the other model needs (${competing.join(", ")})`;
    report(
      ["clusters", ci, "nodeGroups"],
      `the GPU nodes of cluster '${c.name}' at desiredSize cannot hold every model replica placed there (no autoscaler adds nodes): ${why}; ` +
        `GPU nodes: ${supply.join(", ") || "none"}. Raise desiredSize (or diskSizeGiB) of a node group the model fits, or lower replicas` +
        (pinnedPending.length ? `, or pin another GPU type of this cluster in the pinned model's gpuTypes` : ""),
    );
  });
  return narrowed;
}
