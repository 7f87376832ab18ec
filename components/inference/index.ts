/**
 * Inference on the mesh (issue #5 fills this in): GIE and llm-d CRDs, model servers,
 * InferencePools with their endpoint pickers, InferenceObjectives and the inference gateway.
 */
import type { PlatformSpec } from "../../infra/config";
import type { ClusterMesh } from "../mesh";

/** What the agent layer needs from inference on one cluster. */
export interface ClusterInference {
  /** In-cluster OpenAI-compatible base URL of the inference gateway. */
  openAiBaseUrl: string;
  /** Namespace/ServiceAccount of the inference gateway's proxy, for authorization. */
  gatewayServiceAccount: { namespace: string; name: string };
}

export interface InferenceArgs {
  spec: PlatformSpec;
  mesh: Map<string, ClusterMesh>;
}

export function buildInference(args: InferenceArgs): Map<string, ClusterInference> {
  return new Map(
    [...args.mesh.keys()].map((name) => [
      name,
      {
        openAiBaseUrl: "http://inference-gateway-istio.inference.svc.cluster.local/v1",
        gatewayServiceAccount: { namespace: "inference", name: "inference-gateway-istio" },
      },
    ]),
  );
}
