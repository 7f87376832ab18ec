/**
 * The names requests pick a model by: its `servedModelName`, or one of its LoRA adapters. A
 * cluster's body-based router maps each requested name to one model (its base-model ConfigMaps),
 * so among the models sharing a cluster every such name is unique. Models on different clusters
 * may serve the same name: vLLM on the GPU clusters and the simulator on a CPU-only one, say.
 */
import type { PlatformConfig } from "./schema";
import { eachItem, readable, Report } from "./validate-support";

interface RequestName {
  name: string;
  path: (string | number)[];
  /** Where the finding names it: `models[0]` or `models[0].loraAdapters[1]`. */
  where: string;
  adapter: boolean;
  clusters: string[];
}

function requestNames(cfg: PlatformConfig): RequestName[] {
  const out: RequestName[] = [];
  eachItem(cfg.models, (m, mi) => {
    // A placement with a field error has its own finding; no clash is computed from it.
    const clusters = readable(() => [...m.clusters]) ?? [];
    const served = readable(() => m.servedModelName);
    if (served !== undefined) out.push({ name: served, path: ["models", mi, "servedModelName"], where: `models[${mi}]`, adapter: false, clusters });
    (readable(() => m.loraAdapters) ?? []).forEach((a, ai) => {
      const name = readable(() => a.name);
      if (name !== undefined) out.push({ name, path: ["models", mi, "loraAdapters", ai, "name"], where: `models[${mi}].loraAdapters[${ai}]`, adapter: true, clusters });
    });
  });
  return out;
}

/** Reported once per clash: at the adapter when an adapter takes a served name, else at the later of the two. */
export function checkRequestNames(report: Report, cfg: PlatformConfig): void {
  const names = requestNames(cfg);
  const why = "each cluster's router maps a requested name to one model";
  const sharedClusters = (a: RequestName, b: RequestName) => a.clusters.filter((c) => b.clusters.includes(c));
  const on = (clusters: string[]) => `on cluster${clusters.length > 1 ? "s" : ""} ${clusters.map((c) => `'${c}'`).join(", ")}`;
  names.forEach((item, j) => {
    const clash = (candidates: RequestName[]) =>
      candidates.map((other) => ({ other, shared: sharedClusters(item, other) })).find(({ other, shared }) => other.name === item.name && shared.length > 0);
    if (item.adapter) {
      const served = clash(names.filter((n) => !n.adapter));
      if (served) return report(item.path, `adapter name '${item.name}' is the servedModelName of ${served.other.where} ${on(served.shared)}; requests for it would be ambiguous`);
      const adapter = clash(names.slice(0, j).filter((n) => n.adapter));
      if (adapter) report(item.path, `duplicate adapter name '${item.name}' (also at ${adapter.other.where}) ${on(adapter.shared)}; ${why}, so adapter names are unique among the models of a cluster`);
      return;
    }
    const served = clash(names.slice(0, j).filter((n) => !n.adapter));
    if (served) report(item.path, `duplicate served model name '${item.name}' (also at ${served.other.where}) ${on(served.shared)}; ${why}, so models sharing a cluster serve distinct names`);
  });
}
