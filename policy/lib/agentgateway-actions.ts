import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta } from "./k8s";
import { probe } from "./values";

/**
 * The authorization blocks of an AgentgatewayPolicy and the actions agentgateway v1.4.1's CRD
 * takes there (an enum, matched exactly): the API server refuses a policy with any other action
 * (`allow`, `ALLOW`), so neither its grants nor its restrictions ever apply.
 */
const AUTHORIZATIONS = ["traffic.authorization", "backend.mcp.authorization", "frontend.networkAuthorization"] as const;
const ACTIONS = ["Allow", "Deny", "Require"];

/** One message per authorization block of `r` whose action the API server refuses (unset is Allow). */
export function refusedAgentgatewayActions(r: PolicyResource): string[] {
  if (!isKind(r.type, "agentgateway.dev", "AgentgatewayPolicy")) return [];
  const out: string[] = [];
  for (const path of AUTHORIZATIONS) {
    // Values not known in this preview are judged by the next run.
    const read = probe(() => path.split(".").reduce<any>((v, key) => (v && typeof v === "object" ? v[key] : undefined), r.props.spec)?.action);
    if (!read.known || read.value === undefined || read.value === null) continue;
    if (typeof read.value === "string" && ACTIONS.includes(read.value)) continue;
    const { namespace, name } = meta(r.props);
    out.push(
      `AgentgatewayPolicy ${namespace}/${name} sets ${path}.action ${JSON.stringify(read.value)}, which is not an action agentgateway knows (Allow, Deny or Require, capitalised so): the API server refuses the policy, so the authorization it declares never applies`,
    );
  }
  return out;
}

/** The kinds a `traffic` policy may target (agentgateway v1.4.1 agentgateway_policy_types.go XValidation). */
const TRAFFIC_KINDS = ["Gateway", "HTTPRoute", "GRPCRoute", "ListenerSet", "InferencePool"];

/** The group of each kind any policy may target (v1.4.1 CRD: "targetRefs may only reference …", on targetRefs and targetSelectors alike). */
const TARGET_GROUPS: Record<string, string> = {
  Gateway: "gateway.networking.k8s.io",
  HTTPRoute: "gateway.networking.k8s.io",
  GRPCRoute: "gateway.networking.k8s.io",
  ListenerSet: "gateway.networking.k8s.io",
  Service: "",
  AgentgatewayBackend: "agentgateway.dev",
  InferencePool: "inference.networking.k8s.io",
};
/** Whether the CRD lists the target's group and kind (groups compared as written: the CRD requires one). */
const listedTarget = (t: { group?: unknown; kind?: unknown }) => typeof t?.kind === "string" && Object.prototype.hasOwnProperty.call(TARGET_GROUPS, t.kind) && t.group === TARGET_GROUPS[t.kind];
const targetLists = (spec: Record<string, any>) =>
  (["targetRefs", "targetSelectors"] as const).filter((f) => Array.isArray(spec[f])).map((f) => ({ field: f, targets: spec[f] as { group?: unknown; kind?: unknown; name?: unknown }[] }));

/**
 * One message per target whose group and kind the CRD does not list (kgateway's old `Backend`, a
 * Gateway API kind under another group, a target without its required group), and per list
 * naming two kinds: the API server refuses the whole policy, which read target by target would
 * count as the authorization or JWT authentication of what it names (or of everything it may reach).
 */
export function refusedAgentgatewayTargetKinds(r: PolicyResource): string[] {
  if (!isKind(r.type, "agentgateway.dev", "AgentgatewayPolicy")) return [];
  const read = probe(() =>
    targetLists(r.props.spec ?? {}).flatMap(({ field, targets }) => {
      const unlisted = targets.filter((t) => !listedTarget(t)).map((t) => {
        const group = t?.group === undefined || t?.group === null ? "no group" : `group ${String(t.group)}`;
        return `targets ${String(t?.kind)} ${typeof t?.name === "string" ? t.name : "(by selector)"} (${group}), which is none of the targets the CRD lists (Gateway, HTTPRoute, GRPCRoute or ListenerSet of gateway.networking.k8s.io, Service of the core group "", AgentgatewayBackend of agentgateway.dev, InferencePool of inference.networking.k8s.io)`;
      });
      const kinds = [...new Set(targets.map((t) => String(t?.kind)))];
      const mixed = kinds.length > 1 ? [`targets ${kinds.join(" and ")} in one ${field} list, while the CRD takes one kind per list ("Only one Kind of targetRef can be set on one policy")`] : [];
      return [...unlisted, ...mixed];
    }),
  );
  if (!read.known) return [];
  const { namespace, name } = meta(r.props);
  return read.value.map((why) => {
    const fix = why.includes("one kind per list") ? "split it into one policy per kind" : "name the target by its group and kind";
    return `AgentgatewayPolicy ${namespace}/${name} ${why}: the API server refuses the policy (agentgateway v1.4.1 CRD validation), so nothing it declares (authorization, JWT authentication) ever applies; ${fix}`;
  });
}

/**
 * One message per target the CRD's validation rules refuse on a policy with `traffic` (its
 * authorization, JWT authentication, rate limits): a `port` (only frontend-only policies take
 * one) or a kind outside TRAFFIC_KINDS. The API server refuses the whole policy, so a route or
 * listener it was to guard is left to the others.
 */
export function refusedAgentgatewayTrafficTargets(r: PolicyResource): string[] {
  if (!isKind(r.type, "agentgateway.dev", "AgentgatewayPolicy")) return [];
  const read = probe(() => {
    const spec = r.props.spec ?? {};
    if (!spec.traffic) return [];
    const targets = [...(Array.isArray(spec.targetRefs) ? spec.targetRefs : []), ...(Array.isArray(spec.targetSelectors) ? spec.targetSelectors : [])] as { kind?: unknown; name?: unknown; port?: unknown }[];
    return targets.flatMap((t) => {
      const what = `${String(t?.kind)} ${typeof t?.name === "string" ? t.name : "(by selector)"}`;
      if (t?.port !== undefined && t?.port !== null) return [{ why: `targets ${what} with port ${String(t.port)}, which the CRD takes only on frontend-only policies (not traffic or backend)`, fix: "name the listener by sectionName instead" }];
      // A target the CRD does not list at all is refusedAgentgatewayTargetKinds' to name.
      if (!TRAFFIC_KINDS.includes(String(t?.kind)) && listedTarget(t as { group?: unknown; kind?: unknown })) return [{ why: `targets ${what}, while the 'traffic' field can only target a Gateway, ListenerSet, GRPCRoute, HTTPRoute or InferencePool`, fix: "target the Gateway or the route that serves it" }];
      return [];
    });
  });
  if (!read.known) return [];
  const { namespace, name } = meta(r.props);
  return read.value.map(({ why, fix }) => `AgentgatewayPolicy ${namespace}/${name} sets traffic and ${why}: the API server refuses the policy (agentgateway v1.4.1 CRD validation), so the traffic policy it declares never applies; ${fix}`);
}

/**
 * A message when the policy sets both targetRefs and targetSelectors: the v1.4.1 CRD takes exactly
 * one of them (a null is pruned before validation, so it counts as unset). The API server refuses
 * the whole policy, yet read target by target it would count as the authorization or JWT
 * authentication of whatever either list names.
 */
export function refusedAgentgatewayTargetFields(r: PolicyResource): string[] {
  if (!isKind(r.type, "agentgateway.dev", "AgentgatewayPolicy")) return [];
  const read = probe(() => {
    const spec = r.props.spec ?? {};
    return [spec.targetRefs, spec.targetSelectors].every((v) => v !== undefined && v !== null);
  });
  if (!read.known || !read.value) return [];
  const { namespace, name } = meta(r.props);
  return [
    `AgentgatewayPolicy ${namespace}/${name} sets both targetRefs and targetSelectors, while the CRD takes exactly one of them: the API server refuses the policy (agentgateway v1.4.1 CRD validation), so nothing it declares (authorization, JWT authentication) ever applies; keep one of the two lists`,
  ];
}

/**
 * A message when the policy sets `strategy.inheritance` beside `frontend` or `backend` (or without
 * `traffic`): the v1.4.1 CRD takes it on traffic policies only ("strategy.inheritance may only be
 * set on traffic policies"), so the API server refuses the whole policy, whose authorization or
 * JWT authentication would otherwise be read as applied.
 */
export function refusedAgentgatewayStrategy(r: PolicyResource): string[] {
  if (!isKind(r.type, "agentgateway.dev", "AgentgatewayPolicy")) return [];
  const read = probe(() => {
    const spec = r.props.spec ?? {};
    const set = (v: unknown) => v !== undefined && v !== null;
    if (!set(spec.strategy?.inheritance)) return undefined;
    const beside = ["frontend", "backend"].filter((f) => set(spec[f]));
    return beside.length > 0 ? `beside ${beside.join(" and ")}` : !set(spec.traffic) ? "without traffic" : undefined;
  });
  if (!read.known || !read.value) return [];
  const { namespace, name } = meta(r.props);
  return [
    `AgentgatewayPolicy ${namespace}/${name} sets strategy.inheritance ${read.value}, while the CRD takes it on traffic policies only ("strategy.inheritance may only be set on traffic policies"): the API server refuses the policy (agentgateway v1.4.1 CRD validation), so nothing it declares (authorization, JWT authentication) ever applies; move the traffic part with its strategy to a policy of its own`,
  ];
}
