/**
 * Where an AgentgatewayPolicy's token limit (`traffic.rateLimit.local` entry with `tokens`) can
 * bite. agentgateway v1.4.1 counts tokens only on a request to an LLM provider: the local limiter
 * passes every plain request through a `tokens` limit (crates/agentgateway/src/http/localratelimit.rs
 * `check_request` acts on `requests` limits only), and `check_llm_request` runs from
 * proxy/httpproxy.rs `apply_llm_request_policies`, which the proxy calls only when the backend
 * has an `llm_provider`, that is an AgentgatewayBackend with `spec.ai`. A `global` descriptor
 * with `unit: Tokens` is sent to the rate-limit service from the same place only
 * (http/remoteratelimit.rs `check_llm`; `check` on the request path sends `Requests` descriptors
 * alone). An InferencePool, as a route's backendRef or as a policy's target (the controller's
 * `utils.InferencePoolTarget`: a Service target), is served as a Service backend, never one with
 * an `llm_provider` (set only for `Backend::AI`, httpproxy.rs `make_backend_call`). So a token
 * limit whose targets reach only Services, InferencePools, MCP or A2A backends limits nothing,
 * with no word on any status. Read by agentgateway-token-limits.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, matchesLabels, meta } from "./k8s";
import { GATEWAY_GROUP, isGateway, isRoute } from "./gateways";
import { list, orUnknown, probe } from "./values";
import { parentRefsTo } from "./agw-route-bindings";
import { listenersServing } from "./listener-routes";

const AGW_GROUP = "agentgateway.dev";
/** The GIE v1 group agentgateway v1.4.1 resolves InferencePools in (wellknown.InferencePoolGVK); another is InvalidKind. */
export const POOL_GROUP = "inference.networking.k8s.io";

/** What a target's traffic reaches: each backend named, or why the review cannot tell. */
export interface Reach {
  /** `Service tools/x`, `AgentgatewayBackend agents/y (mcp)`: backends that are not LLM providers. */
  plain: string[];
  /** Some traffic reaches an LLM provider, or a backend this review cannot classify: no verdict. */
  llmOrUnsure: boolean;
  /** Values not known in this preview. */
  unknown: string[];
}

/**
 * The applied limits of a rateLimit value that count `counts`, as paths under `at`: `local[0]` of
 * the top-level list and of each conditional entry's policy (the controller translates only the
 * first entry of a list, agentgateway-rate-limits reports the rest; it is a request limit when
 * `requests` is set, as processLocalRateLimitTraffic reads it), and each `global` descriptor of
 * that unit (`Requests` unless `unit: Tokens`), top-level and in each conditional entry's policy.
 */
export function appliedLimitPaths(rateLimit: unknown, at: string, counts: "tokens" | "requests"): string[] {
  if (!rateLimit || typeof rateLimit !== "object") return [];
  const set = (v: unknown) => v !== undefined && v !== null;
  const paths = (policy: { local?: unknown; global?: { descriptors?: unknown } } | undefined, where: string): string[] => {
    const first = Array.isArray(policy?.local) && policy.local[0] && typeof policy.local[0] === "object" ? (policy.local[0] as Record<string, unknown>) : undefined;
    const kind = !first ? undefined : set(first.requests) ? "requests" : set(first.tokens) ? "tokens" : undefined;
    const out = kind === counts ? [`${where}.local[0]`] : [];
    list(policy?.global?.descriptors as { unit?: unknown }[]).forEach((d, i) => {
      if (d && typeof d === "object" && (d.unit === "Tokens" ? "tokens" : "requests") === counts) out.push(`${where}.global.descriptors[${i}]`);
    });
    return out;
  };
  const rl = rateLimit as { conditional?: unknown };
  const out = paths(rateLimit as never, at);
  list(rl.conditional as { policy?: never }[]).forEach((c, i) => out.push(...paths(c?.policy, `${at}.conditional[${i}].policy`)));
  return out;
}

/** The token limits among them (`local[0]` counting `tokens`, descriptors with `unit: Tokens`). */
export const tokenLimitPaths = (rateLimit: unknown, at: string) => appliedLimitPaths(rateLimit, at, "tokens");

/** Why a rate limit in a `traffic.phase: PreRouting` policy limits nothing (agentgateway v1.4.1). */
export const PRE_ROUTING_DROPS =
  'agentgateway v1.4.1 applies no rate limit before routing (store/binds.rs gateway_policies keeps CORS, OIDC, JWT, basic auth, API key, authorization, ext authz, ext proc and transformation, and drops any other policy as "unexpected gateway policy"; route_policies reads route-phase policies only), so nothing is limited';

interface Target {
  group?: string;
  kind: string;
  name?: string;
  matchLabels?: Record<string, string>;
  sectionName?: string;
}

/** The AgentgatewayBackend (or Service) a backendRef of a route in `namespace` names, as reach. */
function classify(ref: { group?: string; kind?: string; name?: string; namespace?: string }, namespace: string, resources: PolicyResource[], reach: Reach): void {
  const kind = ref.kind ?? "Service";
  const ns = ref.namespace ?? namespace;
  if (kind === "Service" && ["", "core"].includes(ref.group ?? "")) return void reach.plain.push(`Service ${ns}/${ref.name}`);
  if (kind === "InferencePool" && ref.group === POOL_GROUP) return void reach.plain.push(`InferencePool ${ns}/${ref.name}`);
  if (kind !== "AgentgatewayBackend" || ref.group !== AGW_GROUP) return void (reach.llmOrUnsure = true);
  const backend = resources.find((r) => isKind(r.type, AGW_GROUP, "AgentgatewayBackend") && orUnknown(() => meta(r.props).namespace === ns && meta(r.props).name === ref.name, false));
  if (!backend) return void (reach.llmOrUnsure = true); // not in the stack: its type is not ours to guess
  const spec = probe(() => JSON.parse(JSON.stringify(backend.props.spec ?? {})) as Record<string, unknown>);
  if (!spec.known) return void reach.unknown.push(`spec of AgentgatewayBackend ${ns}/${ref.name}`);
  if (spec.value.ai !== undefined && spec.value.ai !== null) return void (reach.llmOrUnsure = true);
  const type = Object.keys(spec.value).filter((k) => k !== "policies");
  reach.plain.push(`AgentgatewayBackend ${ns}/${ref.name}${type.length > 0 ? ` (${type.join(", ")})` : ""}`);
}

/** The backends of a route's rules (of the rule named `section` alone, where set). */
function routeReach(route: PolicyResource, section: string | undefined, resources: PolicyResource[], reach: Reach): void {
  const what = `${route.type.split(":").pop()} ${orUnknown(() => `${meta(route.props).namespace}/${meta(route.props).name}`, route.name)}`;
  const rules = probe(() => JSON.parse(JSON.stringify(list(route.props.spec?.rules as unknown[]))) as { name?: string; backendRefs?: any[] }[]);
  if (!rules.known) return void reach.unknown.push(`the rules of ${what}`);
  const namespace = meta(route.props).namespace as string;
  for (const rule of rules.value.filter((r) => section === undefined || r?.name === section)) {
    for (const ref of list(rule?.backendRefs)) classify(ref ?? {}, namespace, resources, reach);
  }
}

/** Whether `r` (a Gateway or route) is what target `t` of a policy in `namespace` names or selects. */
function named(t: Target, r: PolicyResource, namespace: string): boolean | "unknown" {
  const read = probe(() => ({ ns: meta(r.props).namespace, name: meta(r.props).name, labels: { ...meta(r.props).labels } as Record<string, string> }));
  if (!read.known) return "unknown";
  if (read.value.ns !== namespace) return false;
  return t.matchLabels !== undefined ? matchesLabels(t.matchLabels, read.value.labels) : read.value.name === t.name;
}

/**
 * What the traffic of a policy in `namespace` with these targets reaches: a Gateway's (or one
 * listener's, by sectionName) attached routes, a route (or one rule), an InferencePool or an
 * AgentgatewayBackend itself. A target of another kind (ListenerSet, Service) leaves the verdict open.
 */
export function targetsReach(targets: Target[], namespace: string, resources: PolicyResource[]): Reach {
  const reach: Reach = { plain: [], llmOrUnsure: false, unknown: [] };
  const routes = resources.filter((r) => isRoute(r.type));
  for (const t of targets) {
    const kind = t?.kind;
    if (t?.group === GATEWAY_GROUP && kind === "Gateway") {
      for (const gw of resources.filter((r) => isGateway(r.type))) {
        const hit = named(t, gw, namespace);
        if (hit === "unknown") reach.unknown.push(`Gateway ${gw.name}`);
        if (hit !== true) continue;
        for (const route of routes) {
          const refs = probe(() => parentRefsTo(route, { namespace, name: meta(gw.props).name }));
          if (!refs.known) {
            reach.unknown.push(`the parentRefs of route ${route.name}`);
            continue;
          }
          if (refs.value.length === 0) continue;
          const serving = listenersServing(gw, route, refs.value, resources);
          if (serving === "unknown") reach.unknown.push(`the listeners of Gateway ${namespace}/${meta(gw.props).name} serving route ${route.name}`);
          else if (serving === null || (t.sectionName === undefined ? serving.length > 0 : serving.includes(t.sectionName))) routeReach(route, undefined, resources, reach);
        }
      }
    } else if (t?.group === GATEWAY_GROUP && (kind === "HTTPRoute" || kind === "GRPCRoute")) {
      for (const route of routes.filter((r) => r.type.endsWith(`:${kind}`))) {
        const hit = named(t, route, namespace);
        if (hit === "unknown") reach.unknown.push(`route ${route.name}`);
        if (hit === true) routeReach(route, t.sectionName, resources, reach);
      }
    } else if (t?.group === POOL_GROUP && kind === "InferencePool") {
      if (t.matchLabels === undefined) classify({ group: POOL_GROUP, kind, name: t.name }, namespace, resources, reach);
      for (const pool of t.matchLabels === undefined ? [] : resources.filter((r) => isKind(r.type, POOL_GROUP, kind))) {
        const hit = named(t, pool, namespace);
        if (hit === "unknown") reach.unknown.push(`InferencePool ${pool.name}`);
        if (hit === true) classify({ group: POOL_GROUP, kind, name: meta(pool.props).name }, namespace, resources, reach);
      }
    } else if (t?.group === AGW_GROUP && kind === "AgentgatewayBackend") {
      if (t.matchLabels !== undefined) reach.llmOrUnsure = true;
      else classify({ group: AGW_GROUP, kind, name: t.name }, namespace, resources, reach);
    } else reach.llmOrUnsure = true;
  }
  return reach;
}
