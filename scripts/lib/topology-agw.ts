/**
 * agentgateway's own authorization for the who-may-call-whom matrix. Its proxies read no Istio
 * AuthorizationPolicy; who may call them is their AgentgatewayPolicies' `traffic.authorization`,
 * merged by the pack's own code (policy/lib/agw-authorization.ts, agw-inheritance.ts) as
 * agentgateway v1.4.1 merges it (store/binds.rs route_policies, gateway_policies): the Gateway, its
 * listeners by `sectionName`, the listeners of ListenerSets attached to it and the routes (and their
 * rules) on any of them, a `strategy.inheritance: Override` dropping the more specific route-phase
 * authorization after it (drawn as not enforced). Which MCP tool a caller may use through them is
 * `backend.mcp.authorization` (`mcp.tool.target` per clause). Each matchExpression is a rule of its
 * own, evaluated as v1.4.1's http/authorization.rs RuleSets::validate does: a matching Deny rule
 * denies, every Require rule must match, then a matching Allow rule allows, and where Allow rules
 * exist and none matches the call is denied. The matrix already evaluates DENY before ALLOW and
 * deny-by-default once an ALLOW applies, so each rule becomes edges of those two actions (a Require
 * rule a DENY of everyone it does not pin). PreRouting authorization runs as a set of its own before
 * the route's, so its Allow rules, pinned to identities, are a DENY of everyone none of them pins.
 * Identities are read with the pack's CEL reader (policy/lib/cel.ts): an expression not pinned to
 * namespace and ServiceAccount is a row of its own.
 */
import type { KubernetesObject } from "./outputs";
import type { AccessEdge } from "./topology-access";
import type { PolicyResource } from "@pulumi/policy";
import { celIdentityBound, celToolGrants, ToolGrant } from "../../policy/lib/cel";
import { agentgatewayAuthorizations, AgwAuthorization, AgwGateway, InertAuthorization, servingListeners } from "../../policy/lib/agw-authorization";
import type { RouteBinding } from "../../policy/lib/agw-route-bindings";
import { authorizationSets } from "../../policy/lib/agw-inheritance";
import { policyResource } from "../../policy/lib/policy-resource";

const GATEWAY_GROUP = "gateway.networking.k8s.io";
/** The class agentgateway's own controller serves (Istio's istio-agentgateway reads no AgentgatewayPolicy). */
const AGENTGATEWAY_CLASS = "agentgateway";

interface TargetRef {
  kind?: string;
  name?: string;
  matchLabels?: Record<string, string>;
}
const list = <T>(x: unknown): T[] => (Array.isArray(x) ? (x as T[]) : []);
const spec = (o: KubernetesObject) => (o.spec ?? {}) as Record<string, any>;
const labelsOf = (o: KubernetesObject) => (o.metadata.labels ?? {}) as Record<string, string>;
const isAgwPolicy = (o: KubernetesObject) => o.kind === "AgentgatewayPolicy" && o.apiVersion.startsWith("agentgateway.dev/");

interface Rule {
  action: string;
  /** The identities the rule's expression can match at most; undefined when it is not pinned to any. */
  ids: Set<string> | undefined;
  expression: string;
}

/**
 * The matrix edges of the rules of one policy on one target: an Allow (Deny) rule pinned to
 * identities allows (denies) each of them; a Require rule pinned to identities denies every other
 * caller; a rule not pinned is a row named by its expression.
 */
function ruleEdges(rules: Rule[], base: Omit<AccessEdge, "action" | "caller" | "callerResolved">, identities: Map<string, string>): AccessEdge[] {
  return rules.flatMap((r): AccessEdge[] => {
    const action = r.action === "Allow" ? "ALLOW" : r.action === "Deny" ? "DENY" : r.action === "Require" ? "REQUIRE" : r.action;
    if (!r.ids) {
      const caller = action === "REQUIRE" ? `callers failing CEL ${r.expression}` : `callers matching CEL ${r.expression}`;
      return [{ ...base, action: action === "REQUIRE" ? "DENY" : action, caller, callerResolved: false }];
    }
    if (action === "REQUIRE") {
      const kept = [...r.ids].sort();
      return [{ ...base, action: "DENY", caller: `every caller but ${kept.join(", ") || "none"} (Require rule)`, callerResolved: false, admits: (id) => !r.ids!.has(id) }];
    }
    return [...r.ids].sort().map((id) => ({ ...base, action, caller: id, callerResolved: identities.has(id), ...(identities.get(id) ? { callerNote: identities.get(id) } : {}) }));
  });
}

/** The rendered objects as the pack's resources, so that the matrix reads them with the policy's own merge. */
function asResources(objects: KubernetesObject[]): PolicyResource[] {
  return objects.map((o): PolicyResource => {
    const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["core", o.apiVersion];
    const type = `kubernetes:${group}/${version}:${o.kind}`;
    const name = `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    return policyResource({ type, props: o, urn: `${type}::${name}`, name });
  });
}

/**
 * Each authorization once per route binding, so that a route's Override drops the bindings on that
 * route's rules alone (agw-inheritance.ts reads one authorization's bindings together).
 */
const perBinding = (auths: AgwAuthorization[]): AgwAuthorization[] => auths.flatMap((a) => (a.onGateway || !a.routes ? [a] : a.routes.map((b) => ({ ...a, routes: [b] }))));

/**
 * Why each route-phase authorization never runs (in none of the sets the proxy may run, on any
 * listener it reaches), by the policy's merge: agentgateway v1.4.1 store/binds.rs route_policies
 * stops at an Override (agw-inheritance.ts). Listener-narrowed ones are judged per serving listener.
 */
function droppedBy(resources: PolicyResource[], gw: AgwGateway, auths: AgwAuthorization[]): Map<AgwAuthorization, string> {
  const listeners = auths.some((a) => a.onGateway && a.listeners !== undefined) ? servingListeners({ resources }, gw) : undefined;
  const groups = listeners === undefined || listeners === "unknown" ? [auths] : listeners.map((l) => auths.filter((a) => !a.onGateway || a.listeners === undefined || a.listeners.includes(l)));
  const taken = new Set<AgwAuthorization>();
  const dropped = new Map<AgwAuthorization, string>();
  for (const group of groups) {
    const sets = authorizationSets(group);
    for (const a of group.filter((x) => !x.preRouting)) {
      if (sets.routePhase.some((set) => set.includes(a))) taken.add(a);
      else dropped.set(a, sets.lockNote);
    }
  }
  for (const a of taken) dropped.delete(a);
  return dropped;
}

/** `rule r0 of route`, `rules r0, r1 of route` (the rules a policy names by sectionName), or `route`. */
const boundTo = (b: RouteBinding): string => (!b.rule ? "route" : !b.rules?.length ? "a rule of route" : `${b.rules.length > 1 ? "rules" : "rule"} ${b.rules.join(", ")} of route`);

/** Where an authorization binds, as the conditions of its edges: the whole Gateway, listeners, or each route (or rules of it). */
const placesOf = (a: AgwAuthorization): string[][] =>
  a.onGateway ? [a.listeners ? [`listener ${a.listeners.join(",")} only`] : []] : (a.routes ?? []).map((b) => [`${boundTo(b)} ${b.route} only`]);

/**
 * Who may call each agentgateway Gateway of the cluster, by the AgentgatewayPolicies'
 * traffic.authorization that reaches it, merged as the pack merges it (policy/lib/agw-authorization.ts:
 * the Gateway, its listeners, its ListenerSets' listeners and the routes on all of them).
 */
function gatewayEdges(cluster: string, objects: KubernetesObject[], identities: Map<string, string>): AccessEdge[] {
  const resources = asResources(objects);
  const out: AccessEdge[] = [];
  for (const g of agentgateways(objects)) {
    const gw: AgwGateway = { namespace: g.metadata.namespace ?? "default", name: g.metadata.name, labels: labelsOf(g) };
    const target = `Gateway ${gw.namespace}/${gw.name}`;
    const via = `agentgateway ${target}`;
    const inert: InertAuthorization[] = [];
    const merged = agentgatewayAuthorizations({ resources }, gw, undefined, inert);
    // A render knows every value; "unknown" is for previews.
    const auths = merged === "unknown" ? [] : perBinding(merged);
    const dropped = droppedBy(resources, gw, auths);
    // Route-phase policies on a ListenerSet: drawn where they seem to guard, as never applied.
    for (const { auth, why } of merged === "unknown" ? [] : inert) {
      auths.push(auth);
      dropped.set(auth, why);
    }
    const preAllows = new Map<string, { policies: string[]; rules: Rule[]; conditions?: string[] }>();
    for (const a of auths) {
      const policy = `AgentgatewayPolicy ${a.namespace}/${a.name}`;
      const rules = a.expressions.map((e) => ({ action: a.action, ids: celIdentityBound(e), expression: e }));
      // PreRouting Allow rules are a set a request must pass before the route phase: drawn once per listener set, below.
      if (a.preRouting && rules.every((r) => r.action === "Allow" && r.ids)) {
        const key = (a.listeners ?? []).join(",");
        const group = preAllows.get(key) ?? { policies: [], rules: [], ...(key ? { conditions: [`listener ${key} only`] } : {}) };
        group.policies.push(policy);
        group.rules.push(...rules);
        preAllows.set(key, group);
        continue;
      }
      const unenforced = dropped.has(a) ? { unenforced: dropped.get(a)! } : {};
      for (const conditions of placesOf(a)) out.push(...ruleEdges(rules, { cluster, policy, target, via, ...(conditions.length ? { conditions } : {}), ...unenforced }, identities));
    }
    // Passing them is a Require of their union: the route phase's Allow rules still have to admit the caller.
    for (const { policies: names, rules, conditions } of preAllows.values()) {
      const kept = new Set(rules.flatMap((r) => [...r.ids!]));
      const caller = `every caller but ${[...kept].sort().join(", ") || "none"} (PreRouting Allow rules)`;
      // One edge per policy (the same union), so each is listed and counted as its own.
      for (const policy of names) out.push({ cluster, policy, target, via, action: "DENY", caller, callerResolved: false, admits: (who) => !kept.has(who), ...(conditions ? { conditions } : {}) });
    }
  }
  return out;
}

/** Which caller may use which MCP tool, by the AgentgatewayPolicies' backend.mcp.authorization (per `mcp.tool.target` clause). */
function toolEdges(cluster: string, objects: KubernetesObject[], identities: Map<string, string>): AccessEdge[] {
  const out: AccessEdge[] = [];
  for (const p of objects.filter((o) => isAgwPolicy(o) && spec(o).backend?.mcp?.authorization)) {
    const ns = p.metadata.namespace ?? "default";
    const policy = `AgentgatewayPolicy ${ns}/${p.metadata.name}`;
    const bound = [...list<TargetRef>(spec(p).targetRefs), ...list<TargetRef>(spec(p).targetSelectors)].map((r) => `${r?.kind ?? "?"} ${ns}/${r?.name ?? JSON.stringify(r?.matchLabels ?? {})}`);
    const via = `agentgateway MCP authorization on ${[...new Set(bound)].join(", ") || "nothing"}`;
    const auth = spec(p).backend.mcp.authorization as Record<string, any>;
    for (const expression of list<unknown>(auth.policy?.matchExpressions).map(String)) {
      const grants: ToolGrant[] = celToolGrants(expression) ?? [{ tools: "*", ids: "any" }];
      for (const g of grants) {
        for (const tool of g.tools === "*" ? ["every MCP target"] : g.tools) {
          const target = `MCP tool ${tool === "every MCP target" ? "(every target)" : tool} (${[...new Set(bound)].join(", ")})`;
          const ids = g.ids === "any" ? undefined : g.ids;
          out.push(...ruleEdges([{ action: String(auth.action ?? "Allow"), ids, expression }], { cluster, policy, target, via }, identities));
        }
      }
    }
  }
  return out;
}

const agentgateways = (objects: KubernetesObject[]) =>
  objects.filter((o) => o.kind === "Gateway" && o.apiVersion.startsWith(`${GATEWAY_GROUP}/`) && spec(o).gatewayClassName === AGENTGATEWAY_CLASS);

/** The matrix edges of agentgateway's own authorization on one cluster. */
export function agentgatewayEdges(cluster: string, objects: KubernetesObject[], identities: Map<string, string>): AccessEdge[] {
  return [...gatewayEdges(cluster, objects, identities), ...toolEdges(cluster, objects, identities)];
}

/** The legend lines for agentgateway's columns, and the agentgateway Gateways no enforced authorization guards (every caller that reaches them passes). */
export function agentgatewayLegend(objects: Map<string, KubernetesObject[]>, edges: AccessEdge[], istioClassGateways: string[]): string[] {
  const guarded = new Set(edges.filter((e) => e.policy.startsWith("AgentgatewayPolicy ") && !e.unenforced).map((e) => `${e.cluster}\u0000${e.target}`));
  const open = [...objects].flatMap(([cluster, objs]) =>
    agentgateways(objs).map((g) => `Gateway ${g.metadata.namespace ?? "default"}/${g.metadata.name}`).filter((t) => !guarded.has(`${cluster}\u0000${t}`)).map((t) => `\`${t.slice(8)}\` on \`${cluster}\``),
  );
  const drawn = guarded.size > 0 || open.length > 0;
  return [
    ...(drawn
      ? [
          "Columns `Gateway …` of agentgateway Gateways and `MCP tool …` are agentgateway's own authorization (AgentgatewayPolicy `traffic.authorization`, `backend.mcp.authorization`), read as agentgateway v1.4.1 does:",
          "a matching Deny rule denies, every Require rule must match, a matching Allow rule allows, and once Allow rules exist the rest is denied; a CEL expression not pinned to namespace and ServiceAccount is a row of its own.",
        ]
      : []),
    ...(open.length ? [`No traffic.authorization guards the agentgateway Gateways ${[...new Set(open)].join(", ")}: every caller that reaches them passes (their JWT checks aside).`] : []),
    ...(istioClassGateways.length ? [`Not in the matrix: who may call ${istioClassGateways.join(", ")} (class istio-agentgateway), whose proxies read no Istio AuthorizationPolicy.`] : []),
  ];
}
