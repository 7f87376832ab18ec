/**
 * Placing model-server replicas on a cluster's GPU nodes as the scheduler must: GPUs and ephemeral
 * storage requested, node affinity by GPU product. Config validation uses it to refuse fleets whose
 * pods would stay Pending; the fit arithmetic per node group is in fit.ts.
 */
import { lookupGpuInstance } from "./catalog";
import { FitNodeGroup, podStorageGiB } from "./fit";

/**
 * The GPU node groups a model's replicas may land on: those whose GPU product its fit allows
 * (`products`; every GPU group when it names none, as the vLLM pods' nodeSelector allows), less the
 * groups the fit rejected (`rejectedGroups`: of the model's GPU product, but with too small a disk
 * for the weights; the pods' ephemeral-storage request keeps them off).
 */
export function servingNodeGroups<G extends { name: string; instanceType: string }>(nodeGroups: G[], products: string[], rejectedGroups: string[] = []): G[] {
  return nodeGroups.filter((g) => {
    const gpu = lookupGpuInstance(g.instanceType);
    return gpu !== undefined && (products.length === 0 || products.includes(gpu.product)) && !rejectedGroups.includes(g.name);
  });
}

/** One GPU node as the scheduler sees it: its GPUs, product label and ephemeral storage. */
export interface GpuNode {
  nodeGroup: string;
  instanceType: string;
  product: string;
  gpus: number;
  /** Ephemeral storage pods may fill ({@link podStorageGiB}); unbounded if unknown. */
  storageGiB: number;
}

/** One model-server pod: what it requests and the GPU products its node affinity allows. */
export interface GpuReplica {
  model: string;
  version: string;
  gpus: number;
  storageGiB: number;
  products: string[];
}

/**
 * The GPU nodes a cluster runs: every node group at its desired size, each leaving pods the disk
 * that the vLLM images its replicas may run (`vllmImages`, by GPU product and GPUs) leave.
 */
export function gpuNodes(nodeGroups: FitNodeGroup[], vllmImages: (product: string, gpus: number) => number = () => 1): GpuNode[] {
  return nodeGroups.flatMap((g) => {
    const capacity = lookupGpuInstance(g.instanceType);
    if (!capacity) return [];
    const images = vllmImages(capacity.product, capacity.gpusPerNode);
    const storageGiB = g.diskSizeGiB === undefined ? Infinity : podStorageGiB(capacity.cloud, g.diskSizeGiB, images);
    return Array.from({ length: g.desiredSize }, () => ({ nodeGroup: g.name, instanceType: g.instanceType, product: capacity.product, gpus: capacity.gpusPerNode, storageGiB }));
  });
}

const fitsOn = (r: GpuReplica, f: { node: GpuNode; gpus: number; storageGiB: number }) =>
  r.products.includes(f.node.product) && f.gpus >= r.gpus && f.storageGiB >= r.storageGiB;

/**
 * Places the replicas on the nodes the way the scheduler must (GPUs and ephemeral storage are
 * both requested, affinity by GPU product) and returns the replicas no node can take: those pods
 * would stay Pending. The most constrained replicas go first (fewest allowed products, then most
 * GPUs and disk), each onto the node it fills best; when that leaves some out, an exhaustive
 * search (bounded, for the fleets a config describes) looks for a placement before giving up.
 */
export function packReplicas(nodes: GpuNode[], replicas: GpuReplica[]): GpuReplica[] {
  const order = [...replicas].sort((a, b) => a.products.length - b.products.length || b.gpus - a.gpus || b.storageGiB - a.storageGiB);
  const free = nodes.map((n) => ({ node: n, gpus: n.gpus, storageGiB: n.storageGiB }));
  const unplaced: GpuReplica[] = [];
  for (const r of order) {
    const candidates = free.filter((f) => fitsOn(r, f));
    if (candidates.length === 0) {
      unplaced.push(r);
      continue;
    }
    const best = candidates.reduce((a, b) => (b.gpus < a.gpus || (b.gpus === a.gpus && b.storageGiB < a.storageGiB) ? b : a));
    best.gpus -= r.gpus;
    best.storageGiB -= r.storageGiB;
  }
  if (unplaced.length === 0) return [];
  // More GPUs asked for than the nodes have: no placement exists, and the exact search would spend
  // its whole budget proving it (minutes over a thousand nodes).
  const sum = (list: { gpus: number }[]) => list.reduce((n, x) => n + x.gpus, 0);
  if (sum(replicas) > sum(nodes)) return unplaced;
  return exactPlacementExists(nodes, order) ? [] : unplaced;
}

/**
 * Depth-first search over placements, false when none exists or the budget runs out. Nodes are
 * tried best fit first (the greedy pass's choice), nodes in the same state once, and a set of free
 * capacities already known to leave the remaining replicas unplaceable is not searched again.
 */
function exactPlacementExists(nodes: GpuNode[], order: GpuReplica[], budget = 200_000): boolean {
  const free = nodes.map((n) => ({ node: n, gpus: n.gpus, storageGiB: n.storageGiB }));
  const stateOf = (f: (typeof free)[number]) => `${f.node.product}|${f.gpus}|${f.storageGiB}`;
  const deadEnds = new Set<string>();
  let steps = 0;
  const place = (i: number): boolean => {
    if (i === order.length) return true;
    if (++steps > budget) return false;
    const key = `${i}:${free.map(stateOf).sort().join(",")}`;
    if (deadEnds.has(key)) return false;
    const r = order[i];
    const tried = new Set<string>();
    const candidates = free.filter((f) => fitsOn(r, f)).sort((a, b) => a.gpus - b.gpus || a.storageGiB - b.storageGiB);
    for (const f of candidates) {
      const state = stateOf(f);
      if (tried.has(state)) continue;
      tried.add(state);
      f.gpus -= r.gpus;
      f.storageGiB -= r.storageGiB;
      const ok = place(i + 1);
      f.gpus += r.gpus;
      f.storageGiB += r.storageGiB;
      if (ok) return true;
    }
    // Only a search that ran to its end proves a dead end (one cut by the budget proves nothing).
    if (steps <= budget) deadEnds.add(key);
    return false;
  };
  return place(0);
}
