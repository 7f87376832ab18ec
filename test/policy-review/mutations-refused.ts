/**
 * Values the API server refuses, written into an export by a reviewer, in fields a policy reads to
 * reach its verdict: a CRD enum matched exactly (Gateway API's tls.mode). Each must be reported
 * as refused, never read as another value that passes.
 */
import { Mutation, isKind, onFirst, withSpec } from "./mutations-support";

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
];
