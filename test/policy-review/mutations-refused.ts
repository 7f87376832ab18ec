/**
 * Values the API server refuses, written into an export by a reviewer, in fields a policy reads to
 * reach its verdict: a CRD enum matched exactly (Gateway API's tls.mode), a toleration operator
 * Kubernetes' validation does not take. Each must be reported
 * as refused, never read as another value that passes.
 */
import { Mutation, isKind, onFirst, withSpec, ambientDeployment, gpuDeployment } from "./mutations-support";

export const refusedMutations: Mutation[] = [
  {
    // Read as not Terminate, the listener passed without a certificate.
    name: "the inference gateway's HTTPS listener made TLS with tls.mode in lower case (terminate) and no certificate",
    policy: "gateway-listeners-tls",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "istio" && withSpec(r).listeners?.[0]?.protocol === "HTTPS", (o) => {
        o.spec.listeners[0].protocol = "TLS";
        o.spec.listeners[0].tls = { mode: "terminate" };
      }),
  },
  {
    // Read as tolerating nothing, a pod without GPUs asking for the GPU nodes passed.
    name: "a Deployment without GPUs tolerating the GPU taint with its operator in lower case (exists)",
    policy: "gpu-scheduling",
    apply: (doc) =>
      onFirst(doc, (r) => ambientDeployment(r) && !gpuDeployment(r), (o) => (o.spec.template.spec.tolerations = [{ key: "nvidia.com/gpu", operator: "exists", effect: "NoSchedule" }])),
  },
];
