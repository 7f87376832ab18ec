/**
 * Whether an endpoint picker Service reaches picker pods that serve the pool: its selector matches
 * a workload's pods in the pool's namespace, its port targets one of their container ports, and
 * those pickers were started for this pool. Read by inference-pool-epp.
 */
import type { PolicyResource } from "@pulumi/policy";
import { containersOf, isHelmInstall, isKind, isWorkload, matchesLabels, meta, podMetadata, podSpecOf, portTarget } from "./k8s";
import { list } from "./values";
import { checkPickerRbac } from "./picker-rbac";

export type Report = (m: string, urn?: string) => void;

export type ServicePort = { port: number; targetPort?: number | string; protocol?: string };

/** The Service port the gateway calls the picker on: the referenced number over TCP (the default protocol). */
export const servesPicker = (p: ServicePort, port: number) => p?.port === port && (p.protocol ?? "TCP") === "TCP";

/** Per list of resources: its workloads in order, each with its namespace or the error reading it threw. */
const workloadNamespaces = new WeakMap<PolicyResource[], { r: PolicyResource; namespace?: string; error?: unknown }[]>();

export /**
 * Workloads of a namespace whose pods carry every label of a selector. Each workload's namespace is
 * read once per list (asked per pool and picker Service, it was read for every workload each time);
 * one that could not be read throws where the scan meets it, as the scan of the list would.
 */
function selectedWorkloads(resources: PolicyResource[], namespace: string, selector: Record<string, string>): PolicyResource[] {
  let workloads = workloadNamespaces.get(resources);
  if (!workloads) {
    workloads = resources.filter((r) => isWorkload(r.type)).map((r) => {
      try {
        return { r, namespace: meta(r.props).namespace };
      } catch (error) {
        return { r, error };
      }
    });
    workloadNamespaces.set(resources, workloads);
  }
  const out: PolicyResource[] = [];
  for (const w of workloads) {
    if ("error" in w) throw w.error;
    if (w.namespace === namespace && matchesLabels(selector, podMetadata(w.r.type, w.r.props).labels ?? {})) out.push(w.r);
  }
  return out;
}

/** Whether a Helm chart installs into the namespace: its pods are not visible here, so no verdict on selection. */
export const helmInstallsInto = (resources: PolicyResource[], namespace: string) => resources.some((r) => isHelmInstall(r.type) && r.props.namespace === namespace);

/** Container ports (number and name) the workloads' pods declare. */
export function declaredPorts(workloads: PolicyResource[]): { containerPort: number; name?: string }[] {
  return workloads.flatMap((w) => containersOf(podSpecOf(w.type, w.props)).flatMap((c: any) => list(c.ports as { containerPort: number; name?: string }[])));
}

/**
 * The value of a flag in a container's command and args, as the picker's flag parser (pflag)
 * reads it: `--name value` or `--name=value`; the last one given wins. Undefined when absent.
 */
export function flagValue(container: { command?: unknown; args?: unknown }, name: string): string | undefined {
  const argv = [...list(container.command as unknown[]), ...list(container.args as unknown[])].map(String);
  let value: string | undefined;
  argv.forEach((arg, i) => {
    if (arg === `--${name}` && i + 1 < argv.length) value = argv[i + 1];
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  });
  return value;
}

/**
 * A pflag bool flag as the picker parses it: the last `--name` (true) or `--name=<value>` given.
 * Only the `=` form takes a value (`--name false` leaves it true and `false` an argument).
 * Undefined when it is not given, or its value is not one strconv.ParseBool reads (the picker
 * then refuses to start, which the flag's callers leave to other checks).
 */
export function pflagBool(container: { command?: unknown; args?: unknown }, name: string): boolean | undefined {
  const argv = [...list(container.command as unknown[]), ...list(container.args as unknown[])].map(String);
  const last = argv.filter((a) => a === `--${name}` || a.startsWith(`--${name}=`)).pop();
  if (last === undefined) return undefined;
  if (last === `--${name}`) return true;
  const value = last.slice(name.length + 3);
  if (["1", "t", "T", "true", "TRUE", "True"].includes(value)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(value)) return false;
  return undefined;
}

/**
 * The namespace a picker looks for its pool in (llm-d-router v0.10.0 cmd/epp/runner
 * resolvePoolNamespace): `--pool-namespace`, else the container's NAMESPACE env (the chart sets it
 * from the pod's namespace), else `default`. Undefined when the env comes from elsewhere.
 */
function pickerPoolNamespace(container: { command?: unknown; args?: unknown; env?: unknown; envFrom?: unknown }, podNamespace: string): { namespace: string; defaulted?: true } | undefined {
  const flag = flagValue(container, "pool-namespace");
  if (flag) return { namespace: flag };
  const env = list(container.env as { name?: string; value?: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }[]).filter((e) => e?.name === "NAMESPACE").pop();
  if (env?.valueFrom) return env.valueFrom.fieldRef?.fieldPath === "metadata.namespace" ? { namespace: podNamespace } : undefined;
  if (env?.value) return { namespace: env.value };
  // envFrom may set it, and an env entry wins over it: not known here.
  if (!env && list(container.envFrom as unknown[]).length > 0) return undefined;
  return { namespace: "default", defaulted: true };
}

/**
 * A picker serves the one InferencePool its `--pool-name` and `--pool-namespace` name (llm-d-router
 * v0.10.0 pkg/epp/server/options.go, cmd/epp/runner extractGKNN) and answers every request with an
 * endpoint of that pool: a pool whose Service reaches another pool's picker sends its traffic to
 * the other pool's model servers (a canary's, say).
 */
function checkPickerPool(selected: PolicyResource[], pool: { name: string; namespace: string }, svc: string, where: string, report: Report, poolUrn: string): void {
  for (const w of selected) {
    for (const c of containersOf(podSpecOf(w.type, w.props)) as { command?: unknown; args?: unknown; env?: unknown; envFrom?: unknown }[]) {
      const name = flagValue(c, "pool-name");
      if (name === undefined || name.includes("$(")) continue;
      const resolved = pickerPoolNamespace(c, meta(w.props).namespace);
      if (resolved === undefined) continue;
      const { namespace, defaulted } = resolved;
      if (name === pool.name && (namespace.includes("$(") || namespace === pool.namespace)) continue;
      const fallback = defaulted ? ", and with neither --pool-namespace nor a NAMESPACE env it looks in namespace default" : "";
      report(
        `${where}: Service ${svc} reaches the endpoint picker of ${meta(w.props).namespace}/${meta(w.props).name}, started for InferencePool ${namespace}/${name} (--pool-name${fallback}), so it picks that pool's model servers and this pool's requests go to them; point the pool's picker reference at the Service of a picker started with --pool-name ${pool.name}`,
        poolUrn,
      );
      return;
    }
  }
}

/**
 * Whether the pickers behind a Service serve ext-proc in plaintext: every container started for a
 * pool (`--pool-name`) runs with `--secure-serving` false (llm-d-router v0.10.0 runserver.go: TLS,
 * self-signed unless --cert-path, only when it is true, its default). A bool flag (pflag): only
 * `--secure-serving=<value>` sets false; `--secure-serving false` sets it true. Undefined when the
 * Service selects no such container here.
 */
export function pickerPlaintext(svc: PolicyResource, resources: PolicyResource[]): boolean | undefined {
  const selector = (svc.props.spec?.selector ?? {}) as Record<string, string>;
  if (Object.keys(selector).length === 0) return undefined;
  const pickers = selectedWorkloads(resources, meta(svc.props).namespace, selector)
    .flatMap((w) => containersOf(podSpecOf(w.type, w.props)) as { command?: unknown; args?: unknown }[])
    .filter((c) => flagValue(c, "pool-name") !== undefined);
  if (pickers.length === 0) return undefined;
  return pickers.every((c) => pflagBool(c, "secure-serving") === false);
}

/** llm-d-router v0.10.0 pkg/epp/server/options.go: the ports a picker serves unless its flags move them. */
const PICKER_PORTS = [
  { flag: "grpc-port", port: 9002, what: "ext-proc" },
  { flag: "grpc-health-port", port: 9003, what: "gRPC health" },
  { flag: "metrics-port", port: 9090, what: "metrics" },
] as const;

/**
 * The Service port must land on the picker's ext-proc listener (`--grpc-port`), not on another
 * port the picker pods declare: its metrics or health port answers no ext-proc call, so every
 * request to the pool fails (FailClose) or skips the picker (FailOpen). Judged on containers
 * started for a pool (`--pool-name`), whose listeners the flags tell; a named target resolves
 * to the container's port of that name.
 */
function checkExtProcPort(selected: PolicyResource[], target: unknown, svc: string, port: number, where: string, report: Report, poolUrn: string): void {
  for (const w of selected) {
    for (const c of containersOf(podSpecOf(w.type, w.props)) as { command?: unknown; args?: unknown; ports?: unknown }[]) {
      if (flagValue(c, "pool-name") === undefined) continue;
      const listening = PICKER_PORTS.map((p) => ({ ...p, port: Number(flagValue(c, p.flag) ?? p.port) }));
      const { port: lands, name } = portTarget(target, list(c.ports as { containerPort: number; name?: string }[])) ?? {};
      if (lands === undefined || Number.isNaN(listening[0].port) || lands === listening[0].port) continue;
      const other = listening.find((p) => p.port === lands);
      report(
        `${where}: Service ${svc} port ${port} targets port ${lands}${name ? ` (${name})` : ""} of the endpoint picker ${meta(w.props).namespace}/${meta(w.props).name}, which serves ext-proc on ${listening[0].port} (--grpc-port, default 9002)${other ? `; ${lands} is its ${other.what} port` : ""}, so the gateway's ext-proc calls fail and every request to the pool fails (FailClose) or skips the picker (FailOpen); target port ${listening[0].port}`,
        poolUrn,
      );
      return;
    }
  }
}

/**
 * The picker Service must reach picker pods on the referenced port: its selector must match the
 * pods of a workload in the namespace, and the port's targetPort (a number, a container port's
 * name, or the port itself when absent) must be one those pods declare. Otherwise the Service has
 * no endpoints on that port and every request to the pool fails (or skips the picker, FailOpen).
 */
export function checkServiceWiring(svc: PolicyResource, port: number, resources: PolicyResource[], where: string, report: Report, pool: { urn: string; name: string; namespace: string; group: string }): void {
  const poolUrn = pool.urn;
  const { namespace, name } = meta(svc.props);
  const spec = svc.props.spec ?? {};
  const entry = list(spec.ports as ServicePort[]).find((p) => servesPicker(p, port))!;
  if (spec.type === "ExternalName") {
    // Kubernetes ignores an ExternalName Service's selector and gives it no endpoints (k8s.io/api
    // v0.33 core/v1 ServiceSpec.selector); Istio 1.30.3 makes it a mesh-external alias of
    // spec.externalName (serviceregistry/kube/conversion.go ConvertService), so the picker pods are never called.
    const host = typeof spec.externalName === "string" && spec.externalName ? spec.externalName : "no host (externalName is empty)";
    report(
      `${where}: Service ${namespace}/${name} is of type ExternalName (an alias of ${host}): Kubernetes ignores its selector and gives it no endpoints, and Istio takes it as that external host, so the gateway sends its ext-proc calls (each request's headers and body) to ${host}, not to the endpoint picker; make it a ClusterIP Service selecting the picker's pods`,
      poolUrn,
    );
    return;
  }
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
  checkPickerPool(selected, pool, `${namespace}/${name}`, where, report, poolUrn);
  checkPickerRbac(selected, resources, pool.group, where, report, poolUrn);
  const target = entry.targetPort ?? port;
  const declared = declaredPorts(selected);
  const described = [...new Set(declared.map((p) => (p.name ? `${p.containerPort} (${p.name})` : `${p.containerPort}`)))].join(", ");
  const lands = portTarget(target, declared);
  // No IntOrString: the API server refuses the Service, which is no port verdict of this check.
  if (!lands) return;
  if (lands.name !== undefined) {
    // A named targetPort resolves per pod; a pod without a port of that name is left out.
    if (lands.port === undefined) {
      report(`${where}: Service ${namespace}/${name} port ${port} targets the port named ${lands.name}, which no selected pod declares (${described || "none"}), so it has no endpoints`, poolUrn);
      return;
    }
  } else if (declared.length > 0 && !declared.some((p) => p.containerPort === lands.port)) {
    // Declared container ports are informational: pods that declare none may still listen.
    report(`${where}: Service ${namespace}/${name} port ${port} targets port ${lands.port}, which is not a containerPort of the endpoint picker's pods (${described})`, poolUrn);
    return;
  }
  checkExtProcPort(selected, target, `${namespace}/${name}`, port, where, report, poolUrn);
}


