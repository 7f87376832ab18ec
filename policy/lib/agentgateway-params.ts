/**
 * The AgentgatewayParameters agentgateway v1.4.1 renders a Gateway's proxy from: its class's first,
 * then the Gateway's own on top (controller/pkg/deployer/agentgateway_parameters.go
 * resolveParameters; gateway_parameters.go applies the overlays with
 * NewLayeredOverlayApplier(class, gateway)). The class's come from the controller chart's
 * `gatewayClassParametersRefs.<class>` (name and namespace; the controller server-side-applies it
 * onto the GatewayClass it manages, with force: controller/pkg/controller/start.go
 * applyGatewayClassParametersRef, gatewayclass.go applyGatewayClass), else from a GatewayClass of
 * the stack whose `spec.parametersRef` names them (with its namespace).
 */
import type { PolicyResource } from "@pulumi/policy";
import { dig, helmChartName, isHelmInstall, isKind, meta } from "./k8s";
import { probe, Probe } from "./values";

const GROUP = "agentgateway.dev";
const KIND = "AgentgatewayParameters";
const isParams = (type: string) => isKind(type, GROUP, KIND);

/** One layer: where it is referenced from, for messages, and the parameters (undefined: not in the stack). */
export interface ParamsLayer {
  from: string;
  params: PolicyResource | undefined;
}

const find = (resources: PolicyResource[], namespace: string, name: string) => resources.find((p) => isParams(p.type) && meta(p.props).namespace === namespace && meta(p.props).name === name);

/** The class's parameters reference: the controller chart's value for it wins over a GatewayClass of the stack. Throws while not known. */
function classRef(cls: string, resources: PolicyResource[]): { from: string; namespace: string; name: string } | undefined {
  for (const r of resources.filter((x) => isHelmInstall(x.type) && helmChartName(x.props) === "agentgateway")) {
    const ref = dig(r.props.values, `gatewayClassParametersRefs.${cls}`) as { name?: unknown; namespace?: unknown; kind?: unknown } | undefined;
    if (ref && typeof ref.name === "string" && ref.name !== "" && (ref.kind ?? KIND) === KIND) return { from: `the agentgateway chart's gatewayClassParametersRefs.${cls}`, namespace: String(ref.namespace ?? ""), name: ref.name };
  }
  const gc = resources.find((x) => isKind(x.type, "gateway.networking.k8s.io", "GatewayClass") && meta(x.props).name === cls);
  const ref = gc?.props.spec?.parametersRef as { group?: unknown; kind?: unknown; name?: unknown; namespace?: unknown } | undefined;
  if (ref && ref.group === GROUP && ref.kind === KIND && typeof ref.name === "string") return { from: `GatewayClass ${cls}'s parametersRef`, namespace: String(ref.namespace ?? ""), name: ref.name };
  return undefined;
}

/** The parameter layers of a Gateway, class first (unknown while a reference is not known in this preview). */
export function parameterLayers(gw: PolicyResource, resources: PolicyResource[]): Probe<ParamsLayer[]> {
  return probe(() => {
    const { namespace } = meta(gw.props);
    const out: ParamsLayer[] = [];
    const cls = gw.props.spec?.gatewayClassName;
    const byClass = typeof cls === "string" ? classRef(cls, resources) : undefined;
    if (byClass) out.push({ from: `${byClass.from} (AgentgatewayParameters ${byClass.namespace}/${byClass.name})`, params: find(resources, byClass.namespace, byClass.name) });
    const own = gw.props.spec?.infrastructure?.parametersRef;
    if (own?.kind === KIND) out.push({ from: `AgentgatewayParameters ${namespace}/${own.name}`, params: find(resources, namespace, own.name) });
    // Read the overlays inside the probe: a value not known yet makes the whole answer unknown.
    for (const l of out) if (l.params) JSON.stringify(l.params.props.spec ?? {});
    return out;
  });
}

/** The ServiceAccount an AgentgatewayParameters overlay gives the proxy pods, if any. */
export function overlayServiceAccount(params: PolicyResource): string | undefined {
  const spec = params.props.spec ?? {};
  const named = [spec.deployment, spec.daemonSet].map((o) => o?.spec?.template?.spec?.serviceAccountName).find((v) => typeof v === "string" && v !== "");
  return named as string | undefined;
}

/** The ServiceAccount the layered overlays run the proxy under (the Gateway's over its class's), and which layer sets it; undefined: none does. */
export function layeredServiceAccount(layers: ParamsLayer[]): { sa: string; from: string } | undefined {
  let out: { sa: string; from: string } | undefined;
  for (const l of layers) {
    const sa = l.params && overlayServiceAccount(l.params);
    if (sa) out = { sa, from: l.from };
  }
  return out;
}
