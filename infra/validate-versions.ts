/**
 * Version overrides older than what the program renders for. The schema checks each version's
 * form; these are the floors below which a real `pulumi up` installs something that cannot serve
 * the objects this program creates (each floor names the upstream fact behind it).
 */
import { PlatformConfig } from "./schema";
import { Report, unlessBroken } from "./validate-support";
import { parseVersion, releaseBelow } from "./version-order";
import { usesK3sServiceLb } from "./gateway-ports";

interface Floor {
  key: "istio" | "gatewayApi" | "gie" | "llmdRouter" | "agentgateway";
  min: string;
  why: string;
  /** Whether the stack renders what needs the floor. */
  applies: (cfg: PlatformConfig) => boolean;
}

// Istio, GIE and llm-d-router serve the inference routes, rendered only where a model is placed;
// Istio also runs the east-west gateways of a multi-cluster mesh.
const servesModels = (cfg: PlatformConfig) => cfg.models.length > 0;

const floors: Floor[] = [
  {
    key: "istio",
    min: "1.28.0",
    // Istio 1.27 handled only InferencePool v1alpha2 (istio/istio#57219); every model renders an inference.networking.k8s.io/v1 pool.
    why: "Istio accepts InferencePool v1 (inference.networking.k8s.io/v1, what the inference routes point at) from 1.28; older istiods leave those routes unresolved",
    applies: servesModels,
  },
  {
    key: "istio",
    min: "1.27.0",
    // The east-west Gateway rendered on every cluster of a multi-cluster stack names the class
    // istio-east-west, which istiod defines from 1.27.0 (pkg/config/constants/constants.go
    // EastWestGatewayClassName; absent in 1.26.x). No controller programs it on an older istiod,
    // and Pulumi's wait for Programmed fails the update.
    why: "the ambient east-west gateway of a multi-cluster mesh uses the GatewayClass istio-east-west, which istiod provides from 1.27; an older istiod never programs it, so cross-cluster traffic has no gateway and pulumi up times out waiting for it",
    applies: (cfg) => cfg.clusters.length > 1,
  },
  {
    key: "gatewayApi",
    min: "v1.2.0",
    // Gateway spec.infrastructure and HTTPRoute rules[].timeouts enter the standard channel in
    // v1.2.0-rc1 (config/crd/standard; v1.1.1 has neither). Older CRDs prune them, and Pulumi
    // applies with fieldValidation Warn (pulumi-kubernetes provider/pkg/await/await.go), so
    // nothing fails: the gateways just lose their parameters and labels.
    why: "the rendered Gateways set spec.infrastructure (their parameters; on the MCP gateway the networking.istio.io/tunnel label its per-tool rules need) and the inference routes rules[].timeouts, which the standard CRDs define from v1.2.0; older CRDs silently drop both",
    // The inference gateway and routes (models), the agentgateway Gateways (agents), the k3s east-west gateway's options (several clusters).
    applies: (cfg) => servesModels(cfg) || cfg.agents.length > 0 || (cfg.clusters.length > 1 && cfg.clusters.some(usesK3sServiceLb)),
  },
  {
    key: "gie",
    min: "v1.1.0",
    // The CRDs are applied from the release asset v1-manifests.yaml, which GIE's Makefile first builds in v1.1.0.
    why: "the InferencePool CRD is applied from the release asset v1-manifests.yaml, which GIE publishes from v1.1.0 (older releases have no such file)",
    applies: servesModels,
  },
  {
    key: "llmdRouter",
    min: "v0.9.0",
    // llm-d-router's manifests.yaml holds the llm-d.ai CRDs (InferenceObjective v1alpha2) from v0.9.0 on.
    why: "the InferenceObjective CRD (llm-d.ai/v1alpha2) ships in llm-d-router's manifests.yaml from v0.9.0; older releases do not define it",
    applies: servesModels,
  },
  {
    key: "agentgateway",
    min: "v1.4.0",
    // The MCP backend (rendered where an agent calls a tool) sets prefixMode, which the
    // AgentgatewayBackend CRD defines from v1.4.0 (agentgateway-crds templates).
    why: "the MCP backend of the agents' tools sets prefixMode, which the AgentgatewayBackend CRD defines from v1.4.0",
    applies: (cfg) => cfg.agents.some((a) => a.tools.length > 0),
  },
  {
    key: "agentgateway",
    min: "v1.3.0",
    // Helm ignores values a chart does not read: the controller chart reads `istio.*` (the proxies'
    // mesh identity: clusterId, network, autoEnabled) from v1.3.0 (controller/install/helm/agentgateway
    // values.yaml and templates/deployment.yaml AGW_ISTIO_*); the controller is installed only where agents run.
    why: "the agentgateway chart reads the istio.* values that put its proxies in the mesh (clusterId, network, autoEnabled) from v1.3.0; older charts silently ignore them",
    applies: (cfg) => cfg.agents.length > 0,
  },
];

export function checkVersions(report: Report, cfg: PlatformConfig): void {
  // One problem per key: the first (highest) floor that applies and is not met.
  const reported = new Set<string>();
  for (const floor of floors) {
    unlessBroken(() => {
      if (reported.has(floor.key) || !floor.applies(cfg)) return;
      const given = cfg.versions[floor.key];
      const parsed = given === undefined ? undefined : parseVersion(given);
      // By release only: a pre-release of a floor's release is taken as that release.
      if (given !== undefined && parsed && releaseBelow(parsed, parseVersion(floor.min)!)) {
        reported.add(floor.key);
        report(["versions", floor.key], `${given} is older than ${floor.min}: ${floor.why}; use ${floor.min} or later (the default is pinned in infra/versions.ts)`);
      }
    });
  }
}
