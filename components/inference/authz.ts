/**
 * Who may call the inference workloads (ztunnel, L4, ALLOW = deny everyone else): model servers
 * accept only the inference gateway (requests) and their own pool's EPP (metrics scrapes); EPPs
 * and the body-based router accept only the gateway (ext-proc). Who may call the gateway itself
 * is the agent layer's policy.
 */
import { allowPolicy, Identity } from "../mesh/authz";
import { Manifest, appLabels } from "../k8s/apply";
import type { ModelSpec, ModelVersionSpec } from "../../infra/schema";
import { bbrName, bbrSelector } from "./bbr";
import { eppName, eppSelector, gatewayServiceAccount, inferenceNamespace, poolName, poolSelector, ports } from "./names";

const gateway: Identity = { namespace: gatewayServiceAccount.namespace, serviceAccount: gatewayServiceAccount.name };
const labels = (instance: string) => appLabels({ name: "inference-authz", instance, component: "authorization" });

export function poolAuthorizationPolicies(trustDomain: string, model: ModelSpec, version: ModelVersionSpec): Manifest[] {
  const pool = poolName(model, version);
  const epp: Identity = { namespace: inferenceNamespace, serviceAccount: eppName(pool) };
  return [
    allowPolicy({
      name: `${pool}-model-server`,
      namespace: inferenceNamespace,
      trustDomain,
      target: { selector: poolSelector(model, version) },
      rules: [{ from: [gateway, epp], ports: [ports.modelServer] }],
      labels: labels(pool),
    }),
    allowPolicy({
      name: eppName(pool),
      namespace: inferenceNamespace,
      trustDomain,
      target: { selector: eppSelector(pool) },
      rules: [{ from: [gateway], ports: [ports.eppExtProc] }],
      labels: labels(pool),
    }),
  ];
}

export function bbrAuthorizationPolicy(trustDomain: string): Manifest {
  return allowPolicy({
    name: bbrName,
    namespace: inferenceNamespace,
    trustDomain,
    target: { selector: bbrSelector },
    rules: [{ from: [gateway], ports: [ports.bbrExtProc] }],
    labels: labels(bbrName),
  });
}
