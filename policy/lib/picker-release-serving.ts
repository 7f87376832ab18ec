/**
 * How a picker installed by llm-d-router's own chart (a Helm Release of `llm-d-router-gateway` or
 * `llm-d-router-standalone`) is reached, read from the values as the chart renders its Service,
 * Deployment and DestinationRule at v0.10.0 (routerlib/templates/_service.yaml, _deployment.yaml,
 * _inferencepool.yaml, _latency-predictor.tpl; llm-d-router-gateway/templates/istio.yaml). The
 * rendered objects are only values in the stack, so the Service-port and TLS checks inference-pool-epp
 * makes on a hand-written picker are made here on what the values render. GIE's legacy
 * `inferencepool` chart and its `standalone` chart (v1.5.0) render their picker alike from
 * inferenceExtension.* and are read the same way. Read by inference-pool-epp, and by
 * picker-release-service-ref.ts, which names the chart release whose picker Service a
 * hand-written pool points at.
 */
import type { PolicyResource } from "@pulumi/policy";
import { dig, helmChartName, meta, T } from "./k8s";
import { isRoute } from "./gateways";
import { releaseNamespace } from "./release-namespace";
import { destinationRuleFor, ProxyView, serviceFqdn, tlsForPort } from "./destination-rules";
import { checkPickerCluster } from "./picker-cluster";
import { istioParents } from "./inference-extension";
import { parseGoBool } from "./istio";
import { gatewayProxyLabels } from "./istio-classes";
import { goTruthy, isObject, list, probe, type Probe } from "./values";
import { givenFlags } from "./picker-release-flags";
import { checkPoolFlags } from "./picker-release-pool";
import { checkGieSidecarCalls, checkLlmdProxyCalls, checkPodPorts } from "./picker-release-pod";
import { checkPullPolicies } from "./picker-release-pull-policy";
import { checkLlmdProxyConfigMap } from "./picker-release-proxy";
import { unseenReleaseConfigMaps } from "./picker-release-volumes";
import { chartPickerName } from "./picker-release-names";
import { gieChartLabel, gieChartOrigin, giePickerArgs, gieStandaloneMode } from "./picker-release-gie";
import { pflagBool, type Report } from "./picker-service";

/**
 * The charts read, by where each keeps the picker's values: llm-d-router's (router.epp.*), and GIE's
 * legacy `inferencepool` (v1.5.0 and before; gone from GIE v1.6.0), whose epplib renders the same
 * `<release>-epp` Service without a targetPort, the same pool and, with provider.name istio, the
 * same TLS DestinationRule (config/charts/epplib/templates/_service.yaml, _deployment.yaml;
 * inferencepool/templates/inferencepool.yaml, istio.yaml) from inferenceExtension.*.
 */
const CHARTS: Record<string, { epp: string; gateway: boolean; gie: boolean }> = {
  "llm-d-router-gateway": { epp: "router.epp", gateway: true, gie: false },
  "llm-d-router-standalone": { epp: "router.epp", gateway: false, gie: false },
  inferencepool: { epp: "inferenceExtension", gateway: true, gie: true },
  // GIE v1.5.0's standalone chart: epplib's picker and Service, its pool (standalone/templates/inferencepool.yaml) unless endpointsServer.createInferencePool is false, no istio.yaml or HTTPRoute.
  standalone: { epp: "inferenceExtension", gateway: false, gie: true },
};

/** A value the chart reads through sprig's `| default <d>`: any Go-empty value takes the default. */
const orDefault = (v: unknown, d: number): unknown => (goTruthy(v) ? v : d);

/** A count the chart reads through `| default 1 | int`: Go-empty is 1; a number or a numeric string as cast.ToInt takes it. */
const countOf = (v: unknown): number | undefined => {
  if (!goTruthy(v)) return 1;
  if (typeof v === "number") return Math.trunc(v);
  return typeof v === "string" && /^[0-9]+$/.test(v) ? Number(v) : undefined;
};

/**
 * The picker Services the chart renders and the one its InferencePool's endpointPickerRef names.
 * provider.gke.preferredBackends.enabled (read whatever provider.name is: routerlib _helpers.tpl
 * llm-d-router.gkePreferredBackends) runs the picker as a StatefulSet of preferredReplicas +
 * defaultReplicas pods, each behind a Service of its own (_service.yaml: ordinal 0 `<name>`, then
 * `<name>-preferred-<i>`, the first standby `<name>-backup`, then `<name>-backup-<i>`), and points
 * the pool at `<name>-backup` (_inferencepool.yaml). Undefined where a count is not a number.
 */
export function chartPickerServices(release: string, values: unknown, gie = false): { services: string[]; poolRef: string; preferredBackends: boolean } | undefined {
  const name = chartPickerName(release);
  // GIE's epplib has no preferred backends.
  if (gie || !goTruthy(dig(values, "provider.gke.preferredBackends.enabled"))) return { services: [name], poolRef: name, preferredBackends: false };
  const preferred = countOf(dig(values, "provider.gke.preferredBackends.preferredReplicas"));
  const standby = countOf(dig(values, "provider.gke.preferredBackends.defaultReplicas"));
  // Below 1 the chart fails to render (validations.epp.preferredBackends), so there is nothing to read.
  if (preferred === undefined || standby === undefined || preferred < 1 || standby < 1) return undefined;
  const services = Array.from({ length: preferred + standby }, (_, i) =>
    i === 0 ? name : i < preferred ? `${name}-preferred-${i}` : i === preferred ? `${name}-backup` : `${name}-backup-${i - preferred}`,
  );
  return { services, poolRef: `${name}-backup`, preferredBackends: true };
}

export interface ChartRelease {
  resource: PolicyResource;
  chart: string;
  /** Where the chart keeps the picker's values (router.epp or inferenceExtension). */
  epp: string;
  /** Whether the chart renders the gateway-mode objects (provider's DestinationRule, HTTPRoute). */
  gateway: boolean;
  /** GIE's legacy inferencepool chart. */
  gie: boolean;
  /** The release's name where the stack gives it (an auto-named release's suffix is not known here). */
  name?: string;
  namespace: string;
  values: unknown;
  lead: string;
  /** The resources of the release's cluster (the ConfigMaps its proxy may mount). */
  stack?: PolicyResource[];
}

/** The stack's releases of the charts read ({@link CHARTS}) on one cluster, with where each keeps its picker's values. */
export function chartReleases(resources: PolicyResource[], cluster: string): ChartRelease[] {
  const out: ChartRelease[] = [];
  for (const r of resources.filter((x) => x.type === T.helmRelease)) {
    const chart = helmChartName(r.props);
    if (!chart || !Object.prototype.hasOwnProperty.call(CHARTS, chart)) continue;
    // A chart called standalone from another project's repository is not GIE's.
    const origin = chart === "standalone" ? gieChartOrigin(r.props) : {};
    if (!origin) continue;
    const name = typeof r.props.name === "string" && r.props.name !== "" ? (r.props.name as string) : undefined;
    const namespace = releaseNamespace(r);
    out.push({ resource: r, chart, ...CHARTS[chart], name, namespace, values: r.props.values ?? {}, stack: resources, lead: `the endpoint picker of Helm release ${namespace}/${name ?? r.name} (chart ${gieChartLabel(chart, origin)}) on ${cluster}` });
  }
  return out;
}

/**
 * Whether the chart runs its picker for its own InferencePool (`--pool-name`), not standalone
 * (`--endpoint-selector`). GIE's inferencepool chart makes its pool whatever endpointsServer says.
 */
export const servesOwnPool = (rel: ChartRelease) =>
  rel.gie ? rel.chart !== "standalone" || !gieStandaloneMode(rel.values, rel.chart) : dig(rel.values, "router.inferencePool.create") !== false;

/**
 * The Service port the chart gives ext-proc, and the InferencePool's endpointPickerRef with it, is
 * router.epp.extProcPort (no targetPort, so it targets the same number on the pods), but the chart
 * never passes it to the picker, which serves ext-proc on its --grpc-port (9002 unless
 * router.epp.flags sets it; the container's `grpc` port is 9002 whatever the values say).
 */
function checkExtProcPort(rel: ChartRelease, report: Report): void {
  const port = Number(orDefault(dig(rel.values, `${rel.epp}.extProcPort`), 9002));
  const flags = givenFlags(rel.values, rel.epp);
  const listens = "grpc-port" in flags ? Number(flags["grpc-port"]) : 9002;
  if (!Number.isInteger(port) || !Number.isInteger(listens) || port === listens) return;
  const other = [[9003, "gRPC health"], [9090, "metrics"]].find(([p]) => p === port);
  report(
    `${rel.lead}: ${rel.epp}.extProcPort ${port} is the port of the chart's picker Service (grpc-ext-proc, without a targetPort, so it targets ${port} on the picker's pods) and of its InferencePool's endpointPickerRef, but the chart does not pass it to the picker, which serves ext-proc on ${listens} (--grpc-port${"grpc-port" in flags ? `, ${rel.epp}.flags.grpc-port` : `, 9002 unless ${rel.epp}.flags.grpc-port sets it`})${other ? `; ${port} is its ${other[1]} port` : ""}, so the gateway's ext-proc calls fail and every request to the pool fails (FailClose) or skips the picker (FailOpen, the chart's default); set ${rel.epp}.flags.grpc-port: ${port}, or leave ${rel.epp}.extProcPort at ${listens}`,
    rel.resource.urn,
  );
}

/**
 * Why the chart's picker serves ext-proc in plaintext, or undefined where it serves self-signed TLS
 * (--secure-serving, true by default): the epp flags' secure-serving false, or, where they do not
 * set it, router.proxy.proxyType agentgateway, for which routerlib _deployment.yaml passes
 * --secure-serving false itself, whichever llm-d-router chart renders it (GIE's epplib has no proxy).
 * GIE's epplib writes each flag as `--<key>` and its value as a second argument, which pflag never
 * reads for a bool flag (it takes `--secure-serving` alone as true), so there only a key
 * `secure-serving=false` (rendered `--secure-serving=false`) turns TLS off (picker-release-gie.ts).
 */
function plaintext(rel: ChartRelease): { text: string; flag: boolean } | undefined {
  if (rel.gie) {
    const rendered = giePickerArgs(rel.values, rel.chart);
    const args = rendered && "args" in rendered ? rendered.args : [];
    return pflagBool({ args }, "secure-serving") === false ? { text: "inferenceExtension.flags' secure-serving=false (rendered --secure-serving=false)", flag: true } : undefined;
  }
  const flags = dig(rel.values, `${rel.epp}.flags`);
  if (isObject(flags) && "secure-serving" in flags) return parseGoBool(String(flags["secure-serving"])) === false ? { text: `${rel.epp}.flags.secure-serving false`, flag: true } : undefined;
  const proxyType = dig(rel.values, "router.proxy.proxyType");
  if (!rel.gie && goTruthy(proxyType) && String(proxyType).toLowerCase() === "agentgateway") {
    return { text: `router.proxy.proxyType agentgateway (routerlib _deployment.yaml then passes --secure-serving false unless ${rel.epp}.flags sets it)`, flag: false };
  }
  return undefined;
}

/**
 * With provider.name istio the gateway chart renders a DestinationRule for its picker Service giving
 * it tls.mode SIMPLE (insecureSkipVerify), for a picker serving self-signed TLS; router.epp.flags
 * secure-serving false makes it answer in plaintext, so every gateway's TLS handshake with it fails.
 */
function checkChartTls(rel: ChartRelease, report: Report): void {
  if (!rel.gateway || dig(rel.values, "provider.name") !== "istio") return;
  const why = plaintext(rel);
  if (!why) return;
  const fix = why.flag ? `drop ${rel.gie ? "that flag" : `${rel.epp}.flags.secure-serving`} (the picker then serves TLS the rule expects)` : `set ${rel.epp}.flags.secure-serving: true (the picker then serves TLS the rule expects)`;
  const picker = rel.name ? chartPickerName(rel.name) : "<release>-epp";
  report(
    `${rel.lead}: ${why.text} makes the picker serve ext-proc in plaintext, but provider.name istio renders DestinationRule ${rel.namespace}/${picker} giving its Service tls.mode SIMPLE, so the Istio gateway's TLS handshake with it fails and every request to the pool fails (FailClose) or skips the picker (FailOpen, the chart's default); ${fix}, or set provider.name none and give the picker no TLS rule`,
    rel.resource.urn,
  );
}

/** Why the chart's picker serves TLS, for the messages: its secure-serving flag, or GIE's chart's, which a value cannot turn off. */
function servesTls(rel: ChartRelease): string {
  const flags = dig(rel.values, `${rel.epp}.flags`);
  if (rel.gie && isObject(flags) && "secure-serving" in flags && parseGoBool(String(flags["secure-serving"])) === false) {
    return `inferenceExtension.flags.secure-serving false does not turn it off: epplib _deployment.yaml writes --secure-serving and "false" as two arguments, and pflag takes a bool flag given alone as true, leaving "false" a stray argument; a key secure-serving=false would`;
  }
  return `${rel.epp}.flags.secure-serving unset or true`;
}

/**
 * The Istio Gateways that call a chart picker serving TLS (router.epp.flags.secure-serving unset or
 * true: self-signed) must each get a DestinationRule for its Service with tls.mode SIMPLE that skips
 * verification or names a CA, as for a hand-written picker: the chart's own (provider.name istio)
 * or one of the stack's, looked up as istiod does. The callers are the stack's routes to the chart's
 * pool and the chart's own HTTPRoute (httpRoute.create) through an Istio Gateway. Whatever the
 * picker serves, no rule may break the gateway's cluster for it (picker-cluster.ts).
 */
function checkClientTls(rel: ChartRelease, resources: PolicyResource[], roots: string[], report: Report): void {
  if (!rel.name || !servesOwnPool(rel)) return;
  const [name, namespace] = [rel.name, rel.namespace];
  const svc = chartPickerName(name);
  const rendered = chartPickerServices(name, rel.values, rel.gie);
  if (!rendered) return;
  // The gateways call the Service the pool's endpointPickerRef names (`<name>-backup` with preferredBackends).
  const called = rendered.poolRef;
  const host = serviceFqdn(called, namespace);
  const port = Number(orDefault(dig(rel.values, `${rel.epp}.extProcPort`), 9002));
  const own: PolicyResource[] = [];
  const istio = rel.gateway && dig(rel.values, "provider.name") === "istio";
  if (istio) {
    const given = dig(rel.values, "provider.istio.destinationRule.host");
    own.push({ ...rel.resource, type: "kubernetes:networking.istio.io/v1beta1:DestinationRule", props: { metadata: { name: svc, namespace }, spec: { host: typeof given === "string" && given !== "" ? given : serviceFqdn(svc, namespace), trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: true } } } } });
  }
  // GIE's chart: experimentalHttpRoute.enabled, its parentRef in the route's namespace (inferencepool/templates/httproute.yaml).
  const route = rel.gie ? "experimentalHttpRoute" : "httpRoute";
  if (rel.gateway && goTruthy(dig(rel.values, `${route}.${rel.gie ? "enabled" : "create"}`))) {
    const gwName = dig(rel.values, `${route}.inferenceGatewayName`);
    const gwNs = rel.gie ? undefined : dig(rel.values, `${route}.inferenceGatewayNamespace`);
    const parent = { group: "gateway.networking.k8s.io", kind: "Gateway", name: typeof gwName === "string" && gwName !== "" ? gwName.slice(0, 63).replace(/-$/, "") : `${name}-inference-gateway`.slice(0, 63).replace(/-$/, ""), ...(typeof gwNs === "string" && gwNs !== "" ? { namespace: gwNs } : {}) };
    own.push({ ...rel.resource, type: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", props: { metadata: { name, namespace }, spec: { parentRefs: [parent], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name }] }] } } });
  }
  const all = [...resources, ...own];
  const clients = new Map<string, ProxyView & { what: string }>();
  for (const route of all.filter((r) => isRoute(r.type))) {
    const routeNs = meta(route.props).namespace;
    const sends = list(route.props.spec?.rules as { backendRefs?: any[] }[]).some((rule) => list(rule.backendRefs).some((b) => b?.kind === "InferencePool" && b.name === name && (b.namespace ?? routeNs) === namespace));
    if (!sends) continue;
    for (const p of istioParents(route, all)) clients.set(`${p.namespace}/${p.name}`, { namespace: p.namespace, ...gatewayProxyLabels(p.gw, all), what: `Gateway ${p.namespace}/${p.name}` });
  }
  for (const client of clients.values()) {
    const lookups = roots.map((root) => destinationRuleFor(all, host, namespace, client, root));
    const rules = (lookups.find((l) => l.rules.length > 0) ?? { rules: [] }).rules;
    checkPickerCluster(rules, port, `${rel.lead}: for ${client.what}, the picker ${host}`, report, rel.resource.urn);
    if (plaintext(rel)) continue;
    const right = (r: PolicyResource) => {
      const tls = tlsForPort(r.props.spec?.trafficPolicy, port);
      return tls?.mode === "SIMPLE" && (tls.insecureSkipVerify === true || !!tls.caCertificates || !!tls.credentialName);
    };
    const withPolicy = rules.filter((r) => r.props.spec?.trafficPolicy);
    const wrong = (withPolicy.length > 0 ? withPolicy : rules).filter((r) => !right(r));
    if (rules.length > 0 && wrong.length === 0) continue;
    const backup = rendered.preferredBackends ? ` (provider.gke.preferredBackends.enabled points the chart's pool at ${called}, not ${svc}: routerlib _inferencepool.yaml)` : "";
    const fix = rendered.preferredBackends
      ? `add a DestinationRule for ${host} giving port ${port} tls.mode SIMPLE with insecureSkipVerify${istio ? ` (the chart's own, ${namespace}/${svc}, is for ${svc} only)` : ""}, or leave provider.gke.preferredBackends off (it serves GKE's gateway, whose backend preference tiers it sets)`
      : istio
        ? "give that rule tls.mode SIMPLE with insecureSkipVerify"
        : `set provider.name istio (the chart then renders DestinationRule ${namespace}/${svc} with tls.mode SIMPLE, insecureSkipVerify), or add such a rule`;
    const why = rules.length === 0 ? "no DestinationRule applies to it there" : `DestinationRule ${wrong.map((r) => `${meta(r.props).namespace}/${meta(r.props).name}`).join(", ")} applies there without tls.mode SIMPLE and insecureSkipVerify (or a CA)`;
    report(
      `${rel.lead}: ${client.what} (Istio) routes to its InferencePool ${namespace}/${name} and calls the picker ${host} port ${port}${backup}, which serves self-signed TLS (${servesTls(rel)}), but ${why}, so the gateway's ext-proc calls fail and every request to the pool fails (FailClose) or skips the picker (FailOpen, the chart's default); ${fix}`,
      rel.resource.urn,
    );
  }
}

/** Each llm-d-router chart release of the cluster, judged on how its rendered picker is reached. */
export function checkReleasePickerServing(resources: PolicyResource[], cluster: string, roots: Probe<string[]>, report: Report, pending: string[]): void {
  const releases = chartReleases(resources, cluster);
  const chartPools = releases.filter((rel) => rel.name && servesOwnPool(rel)).map((rel) => `${rel.namespace}/${rel.name}`);
  for (const rel of releases) {
    const read = probe(() => {
      if (servesOwnPool(rel)) checkExtProcPort(rel, report);
      const ownPickerRef = rel.name && servesOwnPool(rel) ? chartPickerServices(rel.name, rel.values, rel.gie)?.poolRef : undefined;
      checkPoolFlags(rel, resources, chartPools, ownPickerRef, report);
      checkChartTls(rel, report);
      checkPodPorts(rel, report);
      checkPullPolicies(rel, report);
      checkGieSidecarCalls(rel, report);
      checkLlmdProxyCalls(rel, report);
      checkLlmdProxyConfigMap(rel, report);
      for (const unseen of unseenReleaseConfigMaps(rel)) pending.push(`${unseen} (on ${cluster})`);
    });
    if (!read.known) pending.push(`the endpoint picker Service and pod of Helm release ${rel.resource.name} on ${cluster}`);
    if (!roots.known) pending.push(`the TLS Istio gateways speak to the endpoint picker of Helm release ${rel.resource.name} on ${cluster} (Istio's root namespace, which an istiod release not known yet sets)`);
    else if (!probe(() => checkClientTls(rel, resources, roots.value, report)).known) pending.push(`the TLS Istio gateways speak to the endpoint picker of Helm release ${rel.resource.name} on ${cluster}`);
  }
}
