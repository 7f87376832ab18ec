/**
 * agentgateway's own authorization for the who-may-call-whom matrix. Its proxies read no Istio
 * AuthorizationPolicy; who may call them is their AgentgatewayPolicies' `traffic.authorization` (on
 * the Gateway, one of its listeners by `sectionName`, or a route attached to it: agentgateway v1.4.1
 * merges them, store/binds.rs route_policies), and which MCP tool a caller may use through them is
 * `backend.mcp.authorization` (`mcp.tool.target` per clause). Each matchExpression is a rule of its
 * own, evaluated as v1.4.1's http/authorization.rs RuleSets::validate does: a matching Deny rule
 * denies, every Require rule must match, then a matching Allow rule allows, and where Allow rules
 * exist and none matches the call is denied. The matrix already evaluates DENY before ALLOW and
 * deny-by-default once an ALLOW applies, so each rule becomes edges of those two actions (a Require
 * rule a DENY of everyone it does not pin). PreRouting authorization runs as a set of its own before
 * the route's (store/binds.rs gateway_policies), so its Allow rules, pinned to identities, are a
 * DENY of everyone none of them pins. Identities are read with the pack's CEL reader
 * (policy/lib/cel.ts): an expression not pinned to namespace and ServiceAccount is a row of its own.
 */
import type { KubernetesObject } from "./outputs";
import type { AccessEdge } from "./topology-access";
import { celIdentityBound, celToolGrants, ToolGrant } from "../../policy/lib/cel";

const GATEWAY_GROUP = "gateway.networking.k8s.io";
/** The class agentgateway's own controller serves (Istio's istio-agentgateway reads no AgentgatewayPolicy). */
const AGENTGATEWAY_CLASS = "agentgateway";

interface TargetRef {
  group?: string;
  kind?: string;
  name?: string;
  sectionName?: string;
  matchLabels?: Record<string, string>;
}
const list = <T>(x: unknown): T[] => (Array.isArray(x) ? (x as T[]) : []);
const spec = (o: KubernetesObject) => (o.spec ?? {}) as Record<string, any>;
const labelsOf = (o: KubernetesObject) => (o.metadata.labels ?? {}) as Record<string, string>;
const isAgwPolicy = (o: KubernetesObject) => o.kind === "AgentgatewayPolicy" && o.apiVersion.startsWith("agentgateway.dev/");

/** The targets of a policy that name `o` (by targetRefs, or targetSelectors whose matchLabels its labels hold), in the policy's namespace. */
function refsTo(policy: KubernetesObject, group: string, kind: string, o: KubernetesObject): TargetRef[] {
  if ((policy.metadata.namespace ?? "default") !== (o.metadata.namespace ?? "default")) return [];
  const named = list<TargetRef>(spec(policy).targetRefs).filter((r) => r?.group === group && r.kind === kind && r.name === o.metadata.name);
  const selected = list<TargetRef>(spec(policy).targetSelectors).filter(
    (s) => s?.group === group && s.kind === kind && Object.entries(s.matchLabels ?? {}).every(([k, v]) => labelsOf(o)[k] === v),
  );
  return [...named, ...selected];
}

/** Whether a route names the Gateway among its parents. */
const attachedTo = (route: KubernetesObject, gw: KubernetesObject) =>
  list<{ group?: string; kind?: string; name?: string; namespace?: string }>(spec(route).parentRefs).some(
    (p) => (p.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (p.kind ?? "Gateway") === "Gateway" && p.name === gw.metadata.name && (p.namespace ?? route.metadata.namespace ?? "default") === (gw.metadata.namespace ?? "default"),
  );

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

const authRules = (auth: Record<string, any>, read: (expr: string) => Set<string> | undefined): Rule[] =>
  list<unknown>(auth.policy?.matchExpressions).map((e) => ({ action: String(auth.action ?? "Allow"), ids: read(String(e)), expression: String(e) }));

const isPreRouting = (p: KubernetesObject) => spec(p).traffic?.phase === "PreRouting";

/**
 * Why the route-phase authorization on the Gateway's listeners and routes never runs, or undefined:
 * agentgateway v1.4.1 collects it Gateway first and stops at a policy whose strategy.inheritance is
 * Override (store/binds.rs route_policies, `authz_locked`), as policy/lib/agw-inheritance.ts reads it.
 */
function lockedBy(policies: KubernetesObject[], gw: KubernetesObject): string | undefined {
  const locking = policies.filter((p) => !isPreRouting(p) && spec(p).strategy?.inheritance === "Override" && refsTo(p, GATEWAY_GROUP, "Gateway", gw).some((r) => !r.sectionName));
  if (!locking.length) return undefined;
  const names = locking.map((p) => `AgentgatewayPolicy ${p.metadata.namespace ?? "default"}/${p.metadata.name}`).join(", ");
  return `${names} sets strategy.inheritance Override on the Gateway, and agentgateway v1.4.1 takes no listener's or route's authorization after it`;
}

/** Who may call each agentgateway Gateway of the cluster, by its AgentgatewayPolicies' traffic.authorization. */
function gatewayEdges(cluster: string, objects: KubernetesObject[], identities: Map<string, string>): AccessEdge[] {
  const policies = objects.filter((o) => isAgwPolicy(o) && spec(o).traffic?.authorization);
  const routes = objects.filter((o) => (o.kind === "HTTPRoute" || o.kind === "GRPCRoute") && o.apiVersion.startsWith(`${GATEWAY_GROUP}/`));
  const out: AccessEdge[] = [];
  for (const gw of agentgateways(objects)) {
    const target = `Gateway ${gw.metadata.namespace ?? "default"}/${gw.metadata.name}`;
    const via = `agentgateway ${target}`;
    const locked = lockedBy(policies, gw);
    const preAllows = new Map<string, { policies: string[]; rules: Rule[]; conditions?: string[] }>();
    for (const p of policies) {
      const policy = `AgentgatewayPolicy ${p.metadata.namespace ?? "default"}/${p.metadata.name}`;
      const rules = authRules(spec(p).traffic.authorization, celIdentityBound);
      const onGateway = refsTo(p, GATEWAY_GROUP, "Gateway", gw);
      // PreRouting Allow rules are a set a request must pass before the route phase: drawn once per listener set, below.
      if (isPreRouting(p) && onGateway.length && rules.every((r) => r.action === "Allow" && r.ids)) {
        const sections = onGateway.some((r) => !r.sectionName) ? [] : [...new Set(onGateway.map((r) => r.sectionName!))];
        const key = sections.join(",");
        const group = preAllows.get(key) ?? { policies: [], rules: [], ...(sections.length ? { conditions: [`listener ${key} only`] } : {}) };
        group.policies.push(policy);
        group.rules.push(...rules);
        preAllows.set(key, group);
        continue;
      }
      // Dropped below the Gateway's Override in the route phase; PreRouting is a phase of its own.
      const unenforced = locked && !isPreRouting(p) ? { unenforced: locked } : {};
      if (onGateway.length) {
        // A sectionName keys the policy to that listener alone (controller plugins/reference_indexes.go).
        const sections = onGateway.some((r) => !r.sectionName) ? [] : [...new Set(onGateway.map((r) => r.sectionName!))];
        out.push(...ruleEdges(rules, { cluster, policy, target, via, ...(sections.length ? { conditions: [`listener ${sections.join(",")} only`], ...unenforced } : {}) }, identities));
      }
      for (const route of routes.filter((r) => attachedTo(r, gw) && refsTo(p, GATEWAY_GROUP, r.kind, r).length)) {
        out.push(...ruleEdges(rules, { cluster, policy, target, via, conditions: [`route ${route.metadata.namespace ?? "default"}/${route.metadata.name} only`], ...unenforced }, identities));
      }
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

/** The legend lines for agentgateway's columns, and the agentgateway Gateways no authorization guards (every caller that reaches them passes). */
export function agentgatewayLegend(objects: Map<string, KubernetesObject[]>, edges: AccessEdge[], istioClassGateways: string[]): string[] {
  const guarded = new Set(edges.filter((e) => e.policy.startsWith("AgentgatewayPolicy ")).map((e) => `${e.cluster}\u0000${e.target}`));
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
