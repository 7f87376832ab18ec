import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isInferencePool, isKind, meta } from "../lib/k8s";
import { orUnknown } from "../lib/values";

const failureModes = new Set(["FailOpen", "FailClose"]);

/**
 * What an outage of the endpoint picker does to a pool (FailOpen: requests skip it; FailClose:
 * they fail) must be decided in the program. The CRD defaults the field to FailClose, so the API
 * server's object (a stack policy's outputs, in previews too) always has one: only the inputs show
 * whether anybody chose it, which is why this is a resource policy and not part of
 * inference-pool-epp.
 */
export const inferencePoolFailureMode: ResourceValidationPolicy = {
  name: "inference-pool-failure-mode",
  description:
    "Every InferencePool sets its endpoint picker's failureMode (endpointPickerRef.failureMode in v1, extensionRef.failureMode in v1alpha2) to FailOpen or FailClose in the program's inputs: the API server defaults it to FailClose, so the deployed object cannot tell a decision from a default.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!isInferencePool(args.type)) return;
    const alpha = isKind(args.type, "inference.networking.x-k8s.io", "InferencePool");
    const field = alpha ? "extensionRef" : "endpointPickerRef";
    const ref = orUnknown(() => args.props.spec?.[field] as { failureMode?: unknown } | undefined, null);
    // Unknown during preview: decided on the next run. No picker at all: inference-pool-epp reports it.
    if (ref === null || ref === undefined) return;
    const mode = orUnknown(() => ref.failureMode, null);
    if (mode === null || failureModes.has(String(mode))) return;
    const { namespace, name } = orUnknown(() => meta(args.props), { namespace: "?", name: args.name });
    report(`InferencePool ${namespace}/${name}: ${field}.failureMode is ${mode === undefined ? "unset" : JSON.stringify(mode)}; choose FailOpen or FailClose explicitly (the API server would default it to FailClose)`);
  },
};
