import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cannotJudge, isInferencePool, isKind, meta } from "../lib/k8s";
import { orUnknown, probe } from "../lib/values";

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
    const { namespace, name } = { namespace: orUnknown(() => meta(args.props).namespace, "?"), name: orUnknown(() => meta(args.props).name, args.name) };
    // A picker reference or failure mode computed from another resource may be anything: can't
    // judge until it is known (before, the rule passed it).
    const ref = probe(() => args.props.spec?.[field] as { failureMode?: unknown } | undefined);
    if (!ref.known) cannotJudge([`${field} of InferencePool ${namespace}/${name}`]);
    // No picker at all: inference-pool-epp reports it.
    if (ref.value === null || ref.value === undefined) return;
    const pickerRef = ref.value;
    const mode = probe(() => pickerRef.failureMode);
    if (!mode.known) cannotJudge([`${field}.failureMode of InferencePool ${namespace}/${name}`]);
    if (failureModes.has(String(mode.value))) return;
    // Unset (or null, which the API server prunes) is defaulted; anything else is outside the CRD's enum.
    const unset = mode.value === undefined || mode.value === null;
    report(
      `InferencePool ${namespace}/${name}: ${field}.failureMode is ${unset ? "unset" : JSON.stringify(mode.value)}; choose FailOpen or FailClose explicitly (${unset ? "the API server would default it to FailClose" : "the API server refuses any other value, so the pool would not be created"})`,
    );
  },
};
