/** Policy-review mutations of how the node agents (ztunnel, istio-cni) reach their control plane and their node's runtime. */
import type { ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, onFirst } from "./mutations-support";

const release = (chart: string) => (r: ExportedResource) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === chart;

export const nodeAgentMutations: Mutation[] = [
  {
    // Istio 1.30.3 ztunnel daemonset.yaml builds CA_ADDRESS and XDS_ADDRESS from its own revision
    // (istiod.istio-system.svc:15012 without one), while istio-discovery service.yaml renames the
    // Service istiod-<revision>: ztunnel dials a Service that does not exist and gets no certificates.
    name: "an istiod given a revision (1-30) while its cluster's ztunnel keeps none",
    policy: "mesh-mtls-strict",
    apply: (doc) => onFirst(doc, release("istiod"), (o) => (o.values = { ...o.values, revision: "1-30" })),
  },
];
