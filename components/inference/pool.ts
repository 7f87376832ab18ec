/**
 * The InferencePool (GIE v1) of one model version: selects exactly that version's model-server
 * pods, on the container port they serve, and names its endpoint picker with an explicit
 * failure mode (the CRD's own default is FailClose; ours comes from config, FailOpen by default).
 */
import type { ModelSpec, ModelVersionSpec } from "../../infra/schema";
import { Manifest, appLabels } from "../k8s/apply";
import { eppName, inferenceNamespace, poolName, poolSelector, ports } from "./names";

export const inferencePoolApiVersion = "inference.networking.k8s.io/v1";

export function inferencePoolManifest(model: ModelSpec, version: ModelVersionSpec): Manifest {
  const name = poolName(model, version);
  return {
    apiVersion: inferencePoolApiVersion,
    kind: "InferencePool",
    metadata: {
      name,
      namespace: inferenceNamespace,
      labels: appLabels({ name: model.name, instance: name, version: version.name, component: "inference-pool" }),
    },
    spec: {
      selector: { matchLabels: poolSelector(model, version) },
      targetPorts: [{ number: ports.modelServer }],
      appProtocol: "http",
      endpointPickerRef: {
        group: "",
        kind: "Service",
        name: eppName(name),
        port: { number: ports.eppExtProc },
        failureMode: model.epp.failureMode,
      },
    },
  };
}
