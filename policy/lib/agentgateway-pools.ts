/**
 * The agentgateway side of the inference path. agentgateway v1.4.1's controller watches
 * InferencePools only when its chart's `inferenceExtension.enabled` is set (the chart's
 * deployment.yaml sets env AGW_ENABLE_INFER_EXT, and role.yaml grants the InferencePool RBAC, only
 * then); otherwise its InferencePool collection is a static empty one
 * (controller/pkg/agentgateway/plugins/collection.go, "disable/inferencepools"), so every
 * InferencePool backendRef resolves to "backendRef … not found" (reference_indexes.go
 * DefaultRouteBackend) and each request the route sends there fails. A fork that moves its
 * inference Gateway to class `agentgateway` (which takes InferencePool backends) must turn it on.
 */
import type { PolicyResource } from "@pulumi/policy";
import { dig, helmChartName, isHelmInstall, isKind, meta, unknownValueError } from "./k8s";
import { GATEWAY_GROUP, gatewayResource, isStreamRoute, isWeightedRoute } from "./gateways";
import { goTruthy, list, probe } from "./values";
import { gatewayParents } from "./inference-extension";
import { listenersServing } from "./listener-routes";
import type { Report } from "./picker-service";

const AGW_CONTROLLER = "agentgateway.dev/agentgateway";

interface ControllerRelease {
  release: PolicyResource;
  controller: string;
  className: string;
}

/** The cluster's agentgateway controller releases (chart `agentgateway`), with the controller and class names they run. */
function controllerReleases(resources: PolicyResource[], pending: string[], cluster: string): ControllerRelease[] {
  const out: ControllerRelease[] = [];
  for (const r of resources.filter((x) => isHelmInstall(x.type))) {
    const read = probe(() => {
      if (helmChartName(r.props) !== "agentgateway") return undefined;
      const named = (key: string, fallback: string) => {
        const v = dig(r.props.values, key);
        return typeof v === "string" && v !== "" ? v : fallback;
      };
      return { release: r, controller: named("controllerName", AGW_CONTROLLER), className: named("gatewayClassName", "agentgateway") };
    });
    if (!read.known) pending.push(`the chart and values of Helm release ${r.name} on cluster ${cluster}`);
    else if (read.value) out.push(read.value);
  }
  return out;
}

/**
 * The controller that programs a Gateway of class `cls`: a GatewayClass the stack renders decides,
 * else an agentgateway release's class name, else undefined (another implementation's, or unknown).
 */
function controllerOf(cls: string, resources: PolicyResource[], releases: ControllerRelease[]): string | undefined {
  const rendered = resources.find((r) => isKind(r.type, GATEWAY_GROUP, "GatewayClass") && meta(r.props).name === cls);
  if (rendered) return typeof rendered.props.spec?.controllerName === "string" ? rendered.props.spec.controllerName : undefined;
  return releases.find((r) => r.className === cls)?.controller;
}

/**
 * Where a route (an HTTPRoute or GRPCRoute, or a TCPRoute or TLSRoute, whose backendRefs the
 * controller resolves alike) sends to an InferencePool through a Gateway an agentgateway controller
 * release of the cluster programs (and a listener of it takes the route), each such release must set
 * `inferenceExtension.enabled`. Releases installed outside the stack are not judged.
 */
export function checkAgentgatewayInferenceExtension(resources: PolicyResource[], cluster: string, report: Report, pending: string[]): void {
  const releases = controllerReleases(resources, pending, cluster);
  if (releases.length === 0) return;
  const needing = new Map<PolicyResource, string>();
  // A TCPRoute's or TLSRoute's backendRefs are resolved as an HTTPRoute's (translator/conversion.go buildAgwTCPDestination, buildAgwTLSDestination → buildAgwDestination).
  for (const route of resources.filter((r) => isWeightedRoute(r.type))) {
    const read = probe(() => {
      const { name, namespace } = meta(route.props);
      const pool = list(route.props.spec?.rules as { backendRefs?: any[] }[])
        .flatMap((rule) => list(rule.backendRefs))
        .find((b) => b?.kind === "InferencePool");
      if (!pool) return;
      for (const parent of gatewayParents(route)) {
        const gw = gatewayResource(resources, parent.namespace, parent.name, "unknown");
        if (!gw) continue;
        const controller = controllerOf(String(gw.props.spec?.gatewayClassName), resources, releases);
        const serving = listenersServing(gw, route, [parent.ref], resources);
        if (controller === undefined || (Array.isArray(serving) && serving.length === 0)) continue;
        const text = `${route.type.split(":").pop()} ${namespace}/${name} on Gateway ${parent.namespace}/${parent.name} (class ${gw.props.spec.gatewayClassName}) sends to InferencePool ${pool.namespace ?? namespace}/${pool.name}: agentgateway v1.4.1's controller then watches no InferencePool, so that backendRef is "not found" and each ${isStreamRoute(route.type) ? "connection" : "request"} the route sends there fails`;
        for (const r of releases.filter((x) => x.controller === controller)) if (!needing.has(r.release)) needing.set(r.release, text);
      }
    });
    if (!read.known) pending.push(`whether route ${route.name} on cluster ${cluster} sends to an InferencePool through agentgateway`);
  }
  for (const [release, text] of needing) {
    const value = probe(() => dig(release.props.values, "inferenceExtension.enabled"));
    if (!value.known) {
      pending.push(`the inferenceExtension.enabled value of Helm release ${release.name} on cluster ${cluster}`);
      continue;
    }
    if (goTruthy(value.value)) continue;
    const given = value.value === undefined ? "leaves inferenceExtension.enabled unset (false by default)" : `sets inferenceExtension.enabled to ${JSON.stringify(value.value)}`;
    report(
      `cluster ${cluster}: agentgateway release ${release.name} ${given}, while ${text}; set inferenceExtension.enabled: true`,
      release.urn,
    );
  }
}

/**
 * Whether an agentgateway controller of the cluster may resolve InferencePool backendRefs: false
 * when the stack installs agentgateway and every release of it leaves `inferenceExtension.enabled`
 * off (its pool collection is then empty, so a pool backendRef reaches no pod); true otherwise (a
 * release outside the stack may watch pools). Throws the SDK's unknown-value error while a
 * release's chart or value is not known.
 */
export function agwWatchesPools(resources: PolicyResource[]): boolean {
  const pending: string[] = [];
  const releases = controllerReleases(resources, pending, "");
  const values = releases.map((r) => probe(() => dig(r.release.props.values, "inferenceExtension.enabled")));
  if (pending.length > 0 || values.some((v) => !v.known)) throw unknownValueError(["<the inferenceExtension.enabled of the cluster's agentgateway releases>"]);
  return releases.length === 0 || values.some((v) => v.known && goTruthy(v.value));
}
