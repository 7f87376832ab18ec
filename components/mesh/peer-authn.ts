/**
 * Mesh-wide mTLS: STRICT in the root namespace applies to every workload. In ambient, HBONE is
 * always mTLS; STRICT additionally makes ztunnel reject plaintext from outside the mesh.
 */
import { Manifest, appLabels } from "../k8s/apply";

export function meshWidePeerAuthentication(): Manifest {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: {
      name: "default",
      namespace: "istio-system",
      labels: appLabels({ name: "mesh-mtls", instance: "mesh-wide", component: "mtls" }),
    },
    spec: { mtls: { mode: "STRICT" } },
  };
}
