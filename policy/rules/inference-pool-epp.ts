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

type Report = (m: string, urn?: string) => void;

/** Workloads of a namespace whose pods carry every label of a selector. */
function selectedWorkloads(resources: PolicyResource[], namespace: string, selector: Record<string, string>): PolicyResource[] {
  return resources.filter((r) => isWorkload(r.type) && meta(r.props).namespace === namespace && matchesLabels(selector, podMetadata(r.type, r.props).labels ?? {}));
}

/** Whether a Helm chart installs into the namespace: its pods are not visible here, so no verdict on selection. */
const helmInstallsInto = (resources: PolicyResource[], namespace: string) => resources.some((r) => isHelmInstall(r.type) && r.props.namespace === namespace);

/** Container ports (number and name) the workloads' pods declare. */
function declaredPorts(workloads: PolicyResource[]): { containerPort: number; name?: string }[] {
  return workloads.flatMap((w) => containersOf(podSpecOf(w.type, w.props)).flatMap((c: any) => list(c.ports as { containerPort: number; name?: string }[])));
}

/** The pool must select model-server pods, and they must listen on its target ports. */
function checkSelection(pool: PolicyResource, view: PoolView, resources: PolicyResource[], where: string, report: Report): void {
  const { namespace } = meta(pool.props);
  if (Object.keys(view.selector).length === 0) {
    report(`${where} has no ${view.selectorField}, so it selects no model servers`, pool.urn);
    return;
  }
  const selected = selectedWorkloads(resources, namespace, view.selector);
  if (selected.length === 0) {
    // Model servers a Helm chart installs into the namespace are not visible here: no verdict.
    if (helmInstallsInto(resources, namespace)) return;
    report(`${where}: selector ${JSON.stringify(view.selector)} matches no workload's pods in ${namespace}, so the pool has no endpoints`, pool.urn);
    return;
  }
  const declared = declaredPorts(selected).map((p) => p.containerPort);
  for (const target of view.targetPorts) {
    if (declared.length > 0 && !declared.includes(target)) {
      report(`${where}: target port ${target} is not a containerPort of the selected pods (${[...new Set(declared)].join(", ")})`, pool.urn);
    }
  }
}

/**
 * The picker Service must reach picker pods on the referenced port: its selector must match the
 * pods of a workload in the namespace, and the port's targetPort (a number, a container port's
 * name, or the port itself when absent) must be one those pods declare. Otherwise the Service has
 * no endpoints on that port and every request to the pool fails (or skips the picker, FailOpen).
 */
function checkServiceWiring(svc: PolicyResource, port: number, resources: PolicyResource[], where: string, report: Report, poolUrn: string): void {
  const { namespace, name } = meta(svc.props);
  const spec = svc.props.spec ?? {};
  const entry = list(spec.ports as { port: number; targetPort?: number | string }[]).find((p) => p.port === port)!;
  const selector = (spec.selector ?? {}) as Record<string, string>;
  if (Object.keys(selector).length === 0) {
    // Without a selector Kubernetes manages no endpoints: only hand-made ones can back it.
    const slices = resources.some(
      (r) =>
        (isKind(r.type, "discovery.k8s.io", "EndpointSlice") && meta(r.props).namespace === namespace && meta(r.props).labels["kubernetes.io/service-name"] === name) ||
        (r.type === "kubernetes:core/v1:Endpoints" && meta(r.props).namespace === namespace && meta(r.props).name === name),
    );
    if (!slices) report(`${where}: Service ${namespace}/${name} has no spec.selector (and no EndpointSlice names it), so no endpoint picker pod backs it`, poolUrn);
    return;
  }
  const selected = selectedWorkloads(resources, namespace, selector);
  if (selected.length === 0) {
    if (helmInstallsInto(resources, namespace)) return; // a chart's picker pods are not visible here: no verdict
    report(`${where}: Service ${namespace}/${name} selector ${JSON.stringify(selector)} matches no workload's pods in ${namespace}, so the endpoint picker has no endpoints`, poolUrn);
    return;
  }
  const target = entry.targetPort ?? port;
  const declared = declaredPorts(selected);
  const described = [...new Set(declared.map((p) => (p.name ? `${p.containerPort} (${p.name})` : `${p.containerPort}`)))].join(", ");
  if (typeof target === "string" && !/^[0-9]+$/.test(target)) {
    // A named targetPort resolves per pod; a pod without a port of that name is left out.
    if (!declared.some((p) => p.name === target)) {
      report(`${where}: Service ${namespace}/${name} port ${port} targets the port named ${target}, which no selected pod declares (${described || "none"}), so it has no endpoints`, poolUrn);
    }
    return;
  }
  const number = Number(target);
  // Declared container ports are informational: pods that declare none may still listen.
  if (declared.length > 0 && !declared.some((p) => p.containerPort === number)) {
    report(`${where}: Service ${namespace}/${name} port ${port} targets port ${number}, which is not a containerPort of the endpoint picker's pods (${described})`, poolUrn);
  }
}

function checkPool(pool: PolicyResource, resources: PolicyResource[], cluster: string, report: Report): void {
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
  } else {
    checkServiceWiring(svc, ref.port, resources, where, report, pool.urn);
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
    "Every InferencePool selects model-server pods listening on its target ports, sets its endpoint picker's failureMode explicitly; its endpoint picker Service (endpointPickerRef in v1, extensionRef in v1alpha2) exists in the pool's namespace on the same cluster with the referenced port, selects a workload's pods there and targets one of their container ports; and a DestinationRule uses tls.mode SIMPLE for it.",
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
