/** Policy-review mutations of a cluster's network and Istio cluster name as ztunnel's chart renders them into its container. */
import { Mutation, onFirst } from "./mutations-support";
import type { ExportedResource } from "../../scripts/lib/review-wire";

const ztunnel = (r: ExportedResource) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "ztunnel";

export const meshNetworkMutations: Mutation[] = [
  {
    // ztunnel 1.30.3's chart lists `env` after the NETWORK it renders from global.network; the kubelet takes the later one.
    name: "ztunnel given another network by its env (env.NETWORK) while global.network keeps the cluster's",
    policy: "mesh-identity-consistent",
    apply: (doc) => onFirst(doc, ztunnel, (o) => (o.values = { ...o.values, env: { ...o.values.env, NETWORK: "net-elsewhere" } })),
  },
  {
    // Likewise ISTIO_META_CLUSTER_ID, which ztunnel reports to istiod as its cluster.
    name: "ztunnel given another cluster name by its env (env.ISTIO_META_CLUSTER_ID) while multiCluster.clusterName keeps istiod's",
    policy: "mesh-identity-consistent",
    apply: (doc) => onFirst(doc, ztunnel, (o) => (o.values = { ...o.values, env: { ...o.values.env, ISTIO_META_CLUSTER_ID: "someone-else" } })),
  },
];
