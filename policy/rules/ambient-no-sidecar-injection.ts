import type { ResourceValidationPolicy } from "@pulumi/policy";
import { meta, T } from "../lib/k8s";

const injectionLabels = ["istio-injection", "istio.io/rev"];

/**
 * An ambient namespace must not also ask for sidecars: pods would get both a sidecar and ztunnel
 * redirection, which Istio does not support and which breaks HBONE to waypoints.
 */
export const ambientNoSidecarInjection: ResourceValidationPolicy = {
  name: "ambient-no-sidecar-injection",
  description:
    "Namespaces in the ambient data plane (istio.io/dataplane-mode=ambient) carry no sidecar-injection label (istio-injection, istio.io/rev): mixing both modes breaks traffic capture.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== T.namespace) return;
    const { name, labels } = meta(args.props);
    if (labels["istio.io/dataplane-mode"] !== "ambient") return;
    for (const label of injectionLabels) {
      if (label in labels && !(label === "istio-injection" && labels[label] === "disabled")) {
        report(`ambient namespace ${name} also has ${label}=${labels[label]}; remove the sidecar-injection label`);
      }
    }
  },
  // Dropping the injection label keeps the namespace in ambient, which is what it declares.
  remediateResource: (args) => {
    if (args.type !== T.namespace) return undefined;
    const props = JSON.parse(JSON.stringify(args.props));
    const labels = props.metadata?.labels ?? {};
    if (labels["istio.io/dataplane-mode"] !== "ambient") return undefined;
    let changed = false;
    for (const label of injectionLabels) {
      if (label in labels && !(label === "istio-injection" && labels[label] === "disabled")) {
        delete labels[label];
        changed = true;
      }
    }
    return changed ? props : undefined;
  },
};
