/**
 * Every policy of the pack, in review order. Importing this module starts nothing; only
 * index.ts constructs the PolicyPack (which serves it over gRPC). Each is guarded (lib/guard.ts): a
 * value it cannot read is reported on the resource, not thrown, which would fail the preview.
 */
import type { Policies } from "@pulumi/policy";
import { guarded } from "./lib/guard";
import { withHelmValues } from "./lib/helm-values";
import { meshMtlsStrict } from "./rules/mesh-mtls-strict";
import { peerAuthenticationStrict } from "./rules/peer-authentication-strict";
import { ambientNoSidecarInjection } from "./rules/ambient-no-sidecar-injection";
import { workloadNamespacesAuthorized } from "./rules/workload-namespaces-authorized";
import { authorizationSourcesRestricted } from "./rules/authorization-sources-restricted";
import { authorizationPrincipalsKnown } from "./rules/authorization-principals-known";
import { agentCallGraph } from "./rules/agent-call-graph";
import { l7AuthorizationTargetRefs } from "./rules/l7-authorization-target-refs";
import { authorizationTargetsEnforced } from "./rules/authorization-targets-enforced";
import { gatewayListenersTls } from "./rules/gateway-listeners-tls";
import { canaryWeightLimit } from "./rules/canary-weight-limit";
import { canaryWeightAcrossRoutes } from "./rules/canary-weight-across-routes";
import { inferencePoolEpp } from "./rules/inference-pool-epp";
import { inferencePoolFailureMode } from "./rules/inference-pool-failure-mode";
import { gpuScheduling } from "./rules/gpu-scheduling";
import { gpuDevicePlugin } from "./rules/gpu-device-plugin";
import { imagesPinned } from "./rules/images-pinned";
import { explicitKubernetesProvider } from "./rules/explicit-kubernetes-provider";
import { kubernetesClusterBinding } from "./rules/kubernetes-cluster-binding";
import { sensitiveValuesSecret } from "./rules/sensitive-values-secret";
import { agentgatewayApiKeySources } from "./rules/agentgateway-api-key-sources";
import { agentgatewayRateLimits } from "./rules/agentgateway-rate-limits";
import { agentgatewayTokenLimits } from "./rules/agentgateway-token-limits";
import { eksEndpointPrivate } from "./rules/eks-endpoint-private";
import { gceServiceAccountDedicated } from "./rules/gce-service-account-dedicated";
import { meshIdentityConsistent } from "./rules/mesh-identity-consistent";
import { meshRootCaShared } from "./rules/mesh-root-ca-shared";
import { meshMulticlusterWiring } from "./rules/mesh-multicluster-wiring";

const rules: Policies = [
  meshMtlsStrict,
  peerAuthenticationStrict,
  ambientNoSidecarInjection,
  workloadNamespacesAuthorized,
  authorizationSourcesRestricted,
  authorizationPrincipalsKnown,
  agentCallGraph,
  l7AuthorizationTargetRefs,
  authorizationTargetsEnforced,
  gatewayListenersTls,
  canaryWeightLimit,
  canaryWeightAcrossRoutes,
  inferencePoolEpp,
  inferencePoolFailureMode,
  gpuScheduling,
  gpuDevicePlugin,
  imagesPinned,
  explicitKubernetesProvider,
  kubernetesClusterBinding,
  sensitiveValuesSecret,
  agentgatewayApiKeySources,
  agentgatewayRateLimits,
  agentgatewayTokenLimits,
  eksEndpointPrivate,
  gceServiceAccountDedicated,
  meshIdentityConsistent,
  meshRootCaShared,
  meshMulticlusterWiring,
];

// Each rule reads a Helm release's values as its chart does, valueYamlFiles merged under them (lib/helm-values.ts).
export const policies: Policies = rules.map((p) => guarded(withHelmValues(p)));
