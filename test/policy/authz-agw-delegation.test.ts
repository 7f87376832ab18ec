/**
 * agent-call-graph on HTTPRoute delegation, which agentgateway v1.4.1 supports: a rule's backendRef
 * of kind HTTPRoute hands requests to child routes (controller translator/route_collections.go,
 * conversion.go), and the proxy applies the policies of every route on the chain
 * (proxy/httpproxy.rs select_route_chain, store/binds.rs route_policies), so a child's
 * authorization reaches the parent's Gateway.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runStack } from "../support/policy";
import { ap, allowFrom, gw, on, sa } from "./authz-support";

const AGP = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy";
const GW = "gateway.networking.k8s.io";
const mcp = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp-gateway", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
const agents = 'source.identity.namespace == "agents" && source.identity.serviceAccount == "research-agent-v1"';
const allow = (name: string, target: Record<string, unknown>, expr: string) =>
  on(AGP, `tools-agpol-${name}`, { metadata: { name, namespace: "tools" }, spec: { targetRefs: [{ group: GW, ...target }], traffic: { authorization: { action: "Allow", policy: { matchExpressions: [expr] } } } } });
const callers = allow("callers", { kind: "Gateway", name: "mcp-gateway" }, agents);
const route = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) => on(`kubernetes:${GW}/v1:HTTPRoute`, `tools-route-${name}`, { metadata: { name, namespace: "tools", ...(labels ? { labels } : {}) }, spec });
const parent = (to: Record<string, unknown>) => route("parent", { parentRefs: [{ name: "mcp-gateway" }], rules: [{ backendRefs: [{ group: GW, kind: "HTTPRoute", ...to }] }] });
const child = (parentRefs?: unknown[]) => route("child", { ...(parentRefs ? { parentRefs } : {}), rules: [{ backendRefs: [{ name: "calculator", port: 8080 }] }] }, { team: "math" });
const open = allow("child-open", { kind: "HTTPRoute", name: "child" }, "true");
const fleet = [mcp, callers, gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1"), ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/mcp-gateway"))];
const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(agentCallGraph, [...fleet, ...extra], { requireAgentJwt: false })).violations.map((v) => v.message);

test("agent-call-graph: an open Allow on a delegated child HTTPRoute opens the MCP gateway (agentgateway v1.4.1 applies the child's policies)", async () => {
  for (const to of [{ name: "child" }, { name: "*" }, { name: "team=math" }, { name: "child", namespace: "tools" }]) {
    const found = await run(parent(to), child(), open);
    assert.equal(found.length, 1, `${JSON.stringify(to)}: ${found.join("\n")}`);
    assert.match(found[0], /tools\/child-open allows "true"/);
  }
  // A child naming its parent by an HTTPRoute parentRef is delegated to as well; one naming another parent is not.
  assert.equal((await run(parent({ name: "*" }), child([{ group: GW, kind: "HTTPRoute", name: "parent" }]), open)).length, 1);
  assert.deepEqual(await run(parent({ name: "*" }), child([{ group: GW, kind: "HTTPRoute", name: "other" }]), open), []);
  // A child attached to a Gateway itself is no delegated child; another label or namespace matches nothing.
  assert.deepEqual(await run(parent({ name: "*" }), child([{ name: "other-gateway" }]), open), []);
  // A backendRef of kind HTTPRoute without the group is of the core group (NormalizeReference): no delegation, InvalidKind alone.
  const coreKind = await run(route("parent", { parentRefs: [{ name: "mcp-gateway" }], rules: [{ backendRefs: [{ kind: "HTTPRoute", name: "child" }] }] }), child(), open);
  assert.equal(coreKind.length, 1, coreKind.join("\n"));
  assert.match(coreKind[0], /^HTTPRoute tools\/parent on cluster a, on an agentgateway Gateway: backendRef HTTPRoute tools\/child \(group ""\) is of a group and kind .*InvalidKind/);
  assert.deepEqual(await run(parent({ name: "team=physics" }), child(), open), []);
  assert.deepEqual(await run(parent({ name: "*", namespace: "agents" }), child(), open), []);
  // Without the open policy the delegation changes nothing.
  assert.deepEqual(await run(parent({ name: "*" }), child()), []);
});

const override = (name: string, target: Record<string, unknown>, expr: string) =>
  on(AGP, `tools-agpol-${name}`, {
    metadata: { name, namespace: "tools" },
    spec: { targetRefs: [{ group: GW, ...target }], strategy: { inheritance: "Override" }, traffic: { authorization: { action: "Allow", policy: { matchExpressions: [expr] } } } },
  });

test("agent-call-graph: an Override on the parent HTTPRoute drops its delegated children's authorization (agentgateway v1.4.1 collects the chain parent first)", async () => {
  const onParent = override("parent-lock", { kind: "HTTPRoute", name: "parent" }, agents);
  assert.deepEqual(await run(parent({ name: "child" }), child(), open, onParent), []);
  // Through a grandchild too: the lock holds down the whole chain.
  const middle = route("middle", { rules: [{ backendRefs: [{ group: GW, kind: "HTTPRoute", name: "child" }] }] });
  assert.deepEqual(await run(parent({ name: "middle" }), middle, child(), open, onParent), []);
  // An Override on the parent's delegating rule (sectionName) drops them as well; one on another rule does not.
  const named = route("parent", { parentRefs: [{ name: "mcp-gateway" }], rules: [{ name: "to-child", backendRefs: [{ group: GW, kind: "HTTPRoute", name: "child" }] }, { name: "other", backendRefs: [{ name: "calculator", port: 8080 }] }] });
  assert.deepEqual(await run(named, child(), open, override("rule-lock", { kind: "HTTPRoute", name: "parent", sectionName: "to-child" }, agents)), []);
  const other = await run(named, child(), open, override("rule-lock", { kind: "HTTPRoute", name: "parent", sectionName: "other" }, agents));
  assert.equal(other.length, 1, other.join("\n"));
  assert.match(other[0], /tools\/child-open allows "true"/);
  // A child another parent delegates to without an Override still opens the gateway there.
  const second = route("second", { parentRefs: [{ name: "mcp-gateway" }], rules: [{ backendRefs: [{ group: GW, kind: "HTTPRoute", name: "child" }] }] });
  const found = await run(parent({ name: "child" }), second, child(), open, onParent);
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /tools\/child-open allows "true"/);
});

test("agent-call-graph: an Override on a delegated child HTTPRoute keeps its parent's authorization (the parent's comes first in the chain)", async () => {
  const onChild = override("child-lock", { kind: "HTTPRoute", name: "child" }, agents);
  const found = await run(parent({ name: "child" }), child(), onChild, allow("parent-open", { kind: "HTTPRoute", name: "parent" }, "true"));
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /tools\/parent-open allows "true"/);
  assert.deepEqual(await run(parent({ name: "child" }), child(), onChild), []);
});

test("agent-call-graph: the Override note names only the Overrides that drop the child's authorization (binds.rs route_policies stops at the first one on the chain)", async () => {
  const named = route("parent", { parentRefs: [{ name: "mcp-gateway" }], rules: [{ name: "to-child", backendRefs: [{ group: GW, kind: "HTTPRoute", name: "child" }] }, { name: "other", backendRefs: [{ name: "calculator", port: 8080 }] }] });
  const pin = allow("child-pin", { kind: "HTTPRoute", name: "child" }, agents);
  const note = (found: string[]) => {
    assert.equal(found.length, 1, found.join("\n"));
    return found[0].slice(found[0].lastIndexOf("(", found[0].indexOf(" sets strategy.inheritance Override")) + 1);
  };
  // An Override on a rule that does not lead to the child drops nothing of it: only the delegating rule's is named.
  const openRule = override("rule-lock", { kind: "HTTPRoute", name: "parent", sectionName: "to-child" }, "true");
  const otherRule = override("other-lock", { kind: "HTTPRoute", name: "parent", sectionName: "other" }, agents);
  const beside = note(await run(named, child(), pin, openRule, otherRule));
  assert.match(beside, /^tools\/rule-lock sets strategy\.inheritance Override on route tools\/parent rule to-child, so agentgateway v1\.4\.1 drops tools\/child-pin /);
  // The parent route's Override is taken before its rule's: the rule's Override is dropped itself and drops nothing.
  const openRoute = override("parent-lock", { kind: "HTTPRoute", name: "parent" }, "true");
  const nearer = note(await run(named, child(), pin, openRoute, override("rule-lock", { kind: "HTTPRoute", name: "parent", sectionName: "to-child" }, agents)));
  assert.match(nearer, /^tools\/parent-lock sets strategy\.inheritance Override on route tools\/parent, so agentgateway v1\.4\.1 drops tools\/child-pin, tools\/rule-lock /);
});
