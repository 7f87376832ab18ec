/**
 * Generated fleets for the benchmark: a stack's platform config grown by cloning its clusters
 * (renamed, with their own networks and address ranges, GPU node groups sized for the extra
 * models) and its models (renamed, served on every clone of their clusters). A fleet at factor
 * k has √k times the clusters and √k times the models, so k times the cluster × model
 * placements. Pure: config objects in, config objects out.
 */

export interface FleetSize {
  clusterCopies: number;
  modelCopies: number;
}

/** √k clusters × √k models for square factors (1, 4, 16, …); otherwise k clusters × 1 model. */
export function fleetSize(factor: number): FleetSize {
  const root = Math.round(Math.sqrt(factor));
  return root * root === factor ? { clusterCopies: root, modelCopies: root } : { clusterCopies: factor, modelCopies: 1 };
}

/** Copies beyond this reuse another copy's networks (shiftCidr moves the second octet by the copy's index modulo 256), which no platform accepts. */
export const MAX_COPIES = 256;

const suffix = (base: string, tag: string, i: number) => (i === 0 ? base : `${base}-${tag}${i}`);

function shiftCidr(cidr: string | undefined, i: number, stride: number): string | undefined {
  if (!cidr || i === 0) return cidr;
  const [ip, bits] = cidr.split("/");
  const o = ip.split(".").map(Number);
  o[1] = (o[1] + stride * i) % 256;
  // 10.42.0.0/16 and 10.43.0.0/16 are k3s's pod and service ranges, refused for any network a k3s
  // cluster reaches: such copies move to 172.16.0.0/16 and 172.17.0.0/16, which no copy takes.
  if (o[0] === 10 && (o[1] === 42 || o[1] === 43)) [o[0], o[1]] = [172, 16 + o[1] - 42];
  return `${o.join(".")}/${bits}`;
}

/** The platform config of a fleet `size` times the given one. Copy 0 keeps the original names. */
export function growFleet(platform: any, size: FleetSize): any {
  const base = structuredClone(platform);
  const clusterNames = (name: string) => Array.from({ length: size.clusterCopies }, (_, i) => suffix(name, "r", i));
  const clusters = base.clusters.flatMap((c: any) =>
    Array.from({ length: size.clusterCopies }, (_, i) => ({
      ...structuredClone(c),
      name: suffix(c.name, "r", i),
      network: suffix(c.network, "r", i),
      ...(c.vpcCidr ? { vpcCidr: shiftCidr(c.vpcCidr, i, 16) } : {}),
      ...(c.subnetCidr ? { subnetCidr: shiftCidr(c.subnetCidr, i, 16) } : {}),
      // Room for the extra models: GPU demand grows with the model copies.
      nodeGroups: (c.nodeGroups ?? []).map((g: any) => ({ ...g, desiredSize: g.desiredSize * size.modelCopies, maxSize: g.maxSize * size.modelCopies })),
      // And CPU demand: each model copy brings its endpoint pickers, which run on the system nodes.
      ...(c.systemNodeGroup ? { systemNodeGroup: { ...c.systemNodeGroup, desiredSize: c.systemNodeGroup.desiredSize * size.modelCopies, maxSize: c.systemNodeGroup.maxSize * size.modelCopies } } : {}),
      // Existing clusters in a multi-cluster mesh name the API server the others reach, and each
      // copy is a cluster of its own: its own kubeconfig (one file and context is one cluster).
      ...(c.cloud === "existing" && size.clusterCopies > 1 && !(i === 0 && c.apiServer)
        ? { apiServer: `https://${suffix(c.name, "r", i)}.fleet.invalid:6443` }
        : {}),
      ...(c.cloud === "existing" && i > 0 ? { kubeconfig: `${c.kubeconfig.replace(/\/[^/]*$/, "")}/${suffix(c.name, "r", i)}.yaml` } : {}),
    })),
  );
  const models = base.models.flatMap((m: any) =>
    Array.from({ length: size.modelCopies }, (_, j) => ({
      ...structuredClone(m),
      name: suffix(m.name, "m", j),
      servedModelName: suffix(m.servedModelName, "m", j),
      // Adapters are addressed by name across the whole platform, so each copy renames its own.
      ...(m.loraAdapters ? { loraAdapters: m.loraAdapters.map((a: any) => ({ ...a, name: suffix(a.name, "m", j) })) } : {}),
      clusters: m.clusters.flatMap(clusterNames),
    })),
  );
  const agents = (base.agents ?? []).map((a: any) => (a.clusters ? { ...a, clusters: a.clusters.flatMap(clusterNames) } : a));
  return { ...base, clusters, models, agents };
}
