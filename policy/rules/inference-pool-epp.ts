import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, containersOf, isDestinationRule, isHelmInstall, isInferencePool, isKind, isWorkload, matchesLabels, meta, podMetadata, podSpecOf, T } from "../lib/k8s";
import { list, probe } from "../lib/values";

const failureModes = new Set(["FailOpen", "FailClose"]);

/** Whether a DestinationRule host names `<svc>.<ns>` (short, .svc or fully qualified). */
function hostMatches(host: string | undefined, svc: string, ns: string, drNamespace: string): boolean {
  if (!host) return false;
  return [`${svc}.${ns}.svc.cluster.local`, `${svc}.${ns}.svc`, `${svc}.${ns}`].includes(host) || (host === svc && drNamespace === ns);
}

/**
 * The fields this policy reads, from either served API: v1 (`inference.networking.k8s.io`:
 * selector.matchLabels, targetPorts[].number, endpointPickerRef{name, kind, port.number,
 * failureMode}) or v1alpha2 (`inference.networking.x-k8s.io`: a selector map, targetPortNumber,
 * extensionRef{name, kind, portNumber, failureMode}).
 */
interface PoolView {
  selector: Record<string, string>;
  selectorField: string;
  targetPorts: number[];
  pickerField: string;
  picker?: { name?: string; kind?: string; port?: number; failureMode?: string };
  portField: string;
}

function poolView(type: string, spec: Record<string, any>): PoolView {
  if (isKind(type, "inference.networking.x-k8s.io", "InferencePool")) {
    const ref = spec.extensionRef;
    return {
      selector: spec.selector ?? {},
      selectorField: "spec.selector",
      targetPorts: spec.targetPortNumber === undefined ? [] : [spec.targetPortNumber],
      pickerField: "extensionRef",
      picker: ref && { name: ref.name, kind: ref.kind, port: ref.portNumber, failureMode: ref.failureMode },
      portField: "extensionRef.portNumber",
    };
  }
  const ref = spec.endpointPickerRef;
  return {
    selector: spec.selector?.matchLabels ?? {},
    selectorField: "spec.selector.matchLabels",
    targetPorts: list(spec.targetPorts as { number: number }[]).map((t) => t.number),
    pickerField: "endpointPickerRef",
    picker: ref && { name: ref.name, kind: ref.kind, port: ref.port?.number, failureMode: ref.failureMode },
    portField: "endpointPickerRef.port.number",
  };
}

/** The pool must select model-server pods, and they must listen on its target ports. */
function checkSelection(pool: PolicyResource, view: PoolView, resources: PolicyResource[], where: string, report: (m: string, urn?: string) => void): void {
  const { namespace } = meta(pool.props);
  if (Object.keys(view.selector).length === 0) {
    report(`${where} has no ${view.selectorField}, so it selects no model servers`, pool.urn);
    return;
  }
  const selected = resources.filter((r) => {
    if (!isWorkload(r.type) || meta(r.props).namespace !== namespace) return false;
    const labels = podMetadata(r.type, r.props).labels ?? {};
    return matchesLabels(view.selector, labels);
  });
  if (selected.length === 0) {
    // Model servers a Helm chart installs into the namespace are not visible here: no verdict.
    if (resources.some((r) => isHelmInstall(r.type) && r.props.namespace === namespace)) return;
    report(`${where}: selector ${JSON.stringify(view.selector)} matches no workload's pods in ${namespace}, so the pool has no endpoints`, pool.urn);
    return;
  }
  const declared = selected.flatMap((w) => containersOf(podSpecOf(w.type, w.props)).flatMap((c: any) => list(c.ports as { containerPort: number }[]).map((p) => p.containerPort)));
  for (const target of view.targetPorts) {
    if (declared.length > 0 && !declared.includes(target)) {
      report(`${where}: target port ${target} is not a containerPort of the selected pods (${[...new Set(declared)].join(", ")})`, pool.urn);
    }
  }
}

function checkPool(pool: PolicyResource, resources: PolicyResource[], cluster: string, report: (m: string, urn?: string) => void): void {
  const { namespace, name } = meta(pool.props);
  const view = poolView(pool.type, pool.props.spec ?? {});
  const where = `InferencePool ${namespace}/${name} on ${cluster}`;
  checkSelection(pool, view, resources, where, report);
  const ref = view.picker;
  if (!ref?.name) {
    report(`${where} has no ${view.pickerField}`, pool.urn);
    return;
  }
  if (!failureModes.has(ref.failureMode ?? "")) {
    report(`${where}: ${view.pickerField}.failureMode is ${ref.failureMode ?? "unset"}; choose FailOpen or FailClose explicitly`, pool.urn);
  }
  if (ref.kind !== undefined && ref.kind !== "Service") return; // another picker kind: nothing to wire here
  const svc = resources.find((r) => r.type === T.service && meta(r.props).name === ref.name && meta(r.props).namespace === namespace);
  if (!svc) {
    report(`${where}: endpoint picker Service ${namespace}/${ref.name} is not in the stack`, pool.urn);
  } else if (ref.port === undefined) {
    report(`${where}: ${view.portField} is required for a Service picker`, pool.urn);
  } else if (!list(svc.props.spec?.ports as { port: number }[]).some((p) => p.port === ref.port)) {
    report(`${where}: Service ${namespace}/${ref.name} does not expose port ${ref.port}`, pool.urn);
  }
  const drs = resources.filter(
    (r) => isDestinationRule(r.type) && hostMatches(r.props.spec?.host, ref.name!, namespace, meta(r.props).namespace) && appliesToGateways(r.props.spec?.workloadSelector),
  );
  if (!drs.some((r) => pickerTlsMode(r.props.spec?.trafficPolicy, ref.port) === "SIMPLE")) {
    report(
      `${where}: no DestinationRule with tls.mode SIMPLE for ${ref.name}.${namespace}.svc.cluster.local${ref.port !== undefined ? ` port ${ref.port}` : ""} (the gateway speaks TLS to the picker; a portLevelSettings entry for the port overrides the rule-wide trafficPolicy.tls)`,
      pool.urn,
    );
  }
}

/**
 * Whether a DestinationRule reaches the gateway's proxy: one with a `workloadSelector` applies only
 * to the pods it selects, so it counts only when it selects gateway pods by their gateway name.
 */
function appliesToGateways(selector: { matchLabels?: Record<string, string> } | undefined): boolean {
  if (!selector) return true;
  const keys = Object.keys(selector.matchLabels ?? {});
  return keys.length > 0 && keys.every((k) => k === "gateway.networking.k8s.io/gateway-name" || k === "istio.io/gateway-name");
}

/** The TLS mode a DestinationRule gives the picker's port: its portLevelSettings entry wins over trafficPolicy.tls. */
function pickerTlsMode(policy: Record<string, any> | undefined, port: number | undefined): string | undefined {
  const portLevel = list(policy?.portLevelSettings as { port?: { number?: number }; tls?: { mode?: string } }[]).find((p) => port !== undefined && p.port?.number === port);
  if (portLevel?.tls) return portLevel.tls.mode ?? "DISABLE";
  return policy?.tls?.mode;
}

/**
 * The gateway asks the endpoint picker for every request: an unwired picker means 5xx for the
 * whole pool, and an implicit failure mode means nobody decided what an outage of it does.
 */
export const inferencePoolEpp: StackValidationPolicy = {
  name: "inference-pool-epp",
  description:
    "Every InferencePool selects model-server pods listening on its target ports, sets its endpoint picker's failureMode explicitly (endpointPickerRef in v1, extensionRef in v1alpha2), and its endpoint picker Service exists in the pool's namespace on the same cluster with the referenced port, with a DestinationRule using tls.mode SIMPLE for it.",
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
