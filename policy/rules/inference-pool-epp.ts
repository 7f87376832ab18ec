import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, isDestinationRule, isInferencePool, meta, T } from "../lib/k8s";
import { list, probe } from "../lib/values";

const failureModes = new Set(["FailOpen", "FailClose"]);

/** Whether a DestinationRule host names `<svc>.<ns>` (short, .svc or fully qualified). */
function hostMatches(host: string | undefined, svc: string, ns: string, drNamespace: string): boolean {
  if (!host) return false;
  return [`${svc}.${ns}.svc.cluster.local`, `${svc}.${ns}.svc`, `${svc}.${ns}`].includes(host) || (host === svc && drNamespace === ns);
}

function checkPool(pool: PolicyResource, resources: PolicyResource[], cluster: string, report: (m: string, urn?: string) => void): void {
  const { namespace, name } = meta(pool.props);
  const ref = pool.props.spec?.endpointPickerRef;
  const where = `InferencePool ${namespace}/${name} on ${cluster}`;
  if (!ref?.name) {
    report(`${where} has no endpointPickerRef`, pool.urn);
    return;
  }
  if (!failureModes.has(ref.failureMode)) {
    report(`${where}: endpointPickerRef.failureMode is ${ref.failureMode ?? "unset"}; choose FailOpen or FailClose explicitly`, pool.urn);
  }
  if (ref.kind !== undefined && ref.kind !== "Service") return; // another picker kind: nothing to wire here
  const port: number | undefined = ref.port?.number;
  const svc = resources.find((r) => r.type === T.service && meta(r.props).name === ref.name && meta(r.props).namespace === namespace);
  if (!svc) {
    report(`${where}: endpoint picker Service ${namespace}/${ref.name} is not in the stack`, pool.urn);
  } else if (port === undefined) {
    report(`${where}: endpointPickerRef.port.number is required for a Service picker`, pool.urn);
  } else if (!list(svc.props.spec?.ports as { port: number }[]).some((p) => p.port === port)) {
    report(`${where}: Service ${namespace}/${ref.name} does not expose port ${port}`, pool.urn);
  }
  const drs = resources.filter((r) => isDestinationRule(r.type) && hostMatches(r.props.spec?.host, ref.name, namespace, meta(r.props).namespace));
  if (!drs.some((r) => r.props.spec?.trafficPolicy?.tls?.mode === "SIMPLE")) {
    report(`${where}: no DestinationRule with trafficPolicy.tls.mode SIMPLE for ${ref.name}.${namespace}.svc.cluster.local (the gateway speaks TLS to the picker)`, pool.urn);
  }
}

/**
 * The gateway asks the endpoint picker for every request: an unwired picker means 5xx for the
 * whole pool, and an implicit failure mode means nobody decided what an outage of it does.
 */
export const inferencePoolEpp: StackValidationPolicy = {
  name: "inference-pool-epp",
  description:
    "Every InferencePool sets endpointPickerRef.failureMode explicitly, and its endpoint picker Service exists in the pool's namespace on the same cluster with the referenced port, with a DestinationRule using tls.mode SIMPLE for it.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const [cluster, resources] of byCluster(args.resources)) {
      for (const pool of resources.filter((r) => isInferencePool(r.type))) {
        const done = probe(() => checkPool(pool, resources, cluster, report));
        if (!done.known) continue; // unknown during preview: decided on the next run
      }
    }
  },
};
