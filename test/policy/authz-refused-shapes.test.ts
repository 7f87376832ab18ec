/**
 * AuthorizationPolicies the API server refuses for their shape (Istio 1.30.3 CRD
 * x-kubernetes-validations): read field by field they looked enforced, yet the policy never lands,
 * so an ALLOW restricts nobody and a DENY denies nobody.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { authorizationTargetsEnforced } from "../../policy/rules/authorization-targets-enforced";
import { authorizationPrincipalsKnown } from "../../policy/rules/authorization-principals-known";
import { runStack, UNKNOWN } from "../support/policy";
import { on, ap, sa, allowFrom } from "./authz-support";

const GW = "gateway.networking.k8s.io";
const caller = "cluster.local/ns/agents/sa/research-agent-v1";
const waypoint = on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-waypoint", {
  metadata: { name: "waypoint", namespace: "agents" },
  spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] },
});
const toWaypoint = { group: GW, kind: "Gateway", name: "waypoint" };

test("authorization-targets-enforced: a selector beside targetRefs, or targetRef beside targetRefs, is refused (only one of targetRefs or selector can be set)", async () => {
  const refused = await runStack(authorizationTargetsEnforced, [
    waypoint,
    ap("agents", "both", { ...allowFrom(caller), selector: { matchLabels: { app: "research-agent" } }, targetRefs: [toWaypoint] }),
    ap("agents", "deny-both", { action: "DENY", rules: [{}], targetRef: toWaypoint, targetRefs: [toWaypoint] }),
  ]);
  assert.deepEqual(refused.violations.map((v) => v.message), [
    "AuthorizationPolicy agents/both sets selector and targetRefs: the API server refuses it (only one of targetRefs or selector can be set), so nothing enforces it; keep targetRefs to bind the waypoint or gateway, or selector to bind the workloads' ztunnel",
    "AuthorizationPolicy agents/deny-both sets targetRef and targetRefs: the API server refuses it (only one of targetRefs or selector can be set), so nothing enforces it; keep targetRefs to bind the waypoint or gateway, or selector to bind the workloads' ztunnel",
  ]);
  // One of them alone is taken; a patch is read over the policy it patches.
  const ok = await runStack(authorizationTargetsEnforced, [
    waypoint,
    ap("agents", "refs", { ...allowFrom(caller), targetRefs: [toWaypoint] }),
    ap("agents", "sel", { ...allowFrom(caller), selector: { matchLabels: { app: "research-agent" } } }),
    ap("agents", "ref", { ...allowFrom(caller), targetRef: toWaypoint }),
  ]);
  assert.deepEqual(ok.violations, []);
  const patched = await runStack(authorizationTargetsEnforced, [
    waypoint,
    ap("agents", "refs", { ...allowFrom(caller), targetRefs: [toWaypoint] }),
    on("kubernetes:security.istio.io/v1:AuthorizationPolicyPatch", "agents-ap-refs-patch", { metadata: { name: "refs", namespace: "agents" }, spec: { selector: { matchLabels: { app: "research-agent" } } } }),
  ]);
  assert.match(patched.violations[0]?.message ?? "", /^AuthorizationPolicyPatch agents\/refs sets selector and targetRefs: the API server refuses it/);
  // Not known yet: can't judge, not a pass.
  const unknown = await runStack(authorizationTargetsEnforced, [waypoint, ap("agents", "u", { ...allowFrom(caller), selector: UNKNOWN, targetRefs: [toWaypoint] })]);
  assert.deepEqual(unknown.violations, []);
  assert.ok(unknown.unknown.some((u) => /the selector and targets of AuthorizationPolicy agents\/u/.test(u)), unknown.unknown.join("\n"));
});

test("authorization-principals-known: a source naming serviceAccounts beside principals or namespaces is refused (Cannot set serviceAccounts with namespaces or principals)", async () => {
  const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { profile: "ambient" } });
  const base = [istiod, sa("agents", "research-agent-v1")];
  const deny = (source: Record<string, unknown>) => ({ action: "DENY", rules: [{ from: [{ source }] }] });
  const refused = await runStack(authorizationPrincipalsKnown, [
    ...base,
    ap("tools", "deny-agent", deny({ serviceAccounts: ["agents/research-agent-v1"], namespaces: ["agents"] })),
    ap("tools", "allow-agent", { action: "ALLOW", rules: [{ from: [{ source: { principals: [caller] } }, { source: { notServiceAccounts: ["agents/research-agent-v1"], notPrincipals: [caller] } }] }] }),
  ]);
  assert.deepEqual(refused.violations.map((v) => v.message), [
    "AuthorizationPolicy tools/deny-agent rule 0 from 0: sets serviceAccounts beside namespaces: the API server refuses the policy (Cannot set serviceAccounts with namespaces or principals), so none of its rules applies; name the callers by serviceAccounts or by principals, in separate sources",
    "AuthorizationPolicy tools/allow-agent rule 0 from 1: sets notServiceAccounts beside notPrincipals: the API server refuses the policy (Cannot set serviceAccounts with namespaces or principals), so none of its rules applies; name the callers by serviceAccounts or by principals, in separate sources",
  ]);
  // Each in its own source is taken.
  const ok = await runStack(authorizationPrincipalsKnown, [...base, ap("tools", "allow-agent", { action: "ALLOW", rules: [{ from: [{ source: { principals: [caller] } }, { source: { serviceAccounts: ["agents/research-agent-v1"] } }] }] })]);
  assert.deepEqual(ok.violations, []);
});

test("authorization-targets-enforced: a CUSTOM policy bound by selector or namespace in an ambient namespace without gateways is enforced by nothing", async () => {
  const ambientNs = (name: string) => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name, labels: { "istio.io/dataplane-mode": "ambient" } } });
  const custom = (extra: Record<string, unknown>) => ({ action: "CUSTOM", provider: { name: "ext-authz" }, rules: [{ to: [{ operation: { paths: ["/admin/*"] } }] }], ...extra });
  const toolsWaypoint = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-waypoint", { metadata: { name: "waypoint", namespace: "tools" }, spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] } });
  const ingress = on(`kubernetes:${GW}/v1:Gateway`, "inference-gw", { metadata: { name: "inference-gateway", namespace: "inference" }, spec: { gatewayClassName: "istio", listeners: [] } });
  const mcp = on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", listeners: [] } });
  // agentgateway's proxies take no Istio policy: the MCP gateway beside the waypoint changes nothing.
  const fleet = [ambientNs("tools"), ambientNs("inference"), toolsWaypoint, mcp, ingress];
  const dropped = await runStack(authorizationTargetsEnforced, [
    ...fleet,
    ap("tools", "ext-authz", custom({ selector: { matchLabels: { app: "calculator" } } })),
    ap("tools", "ext-authz-all", custom({})),
  ]);
  assert.deepEqual(dropped.violations.map((v) => v.message.replace(/: ztunnel .*/, "")), [
    "AuthorizationPolicy tools/ext-authz is CUSTOM and bound by selector, not targetRefs, in ambient namespace tools, where the stack runs no gateway",
    "AuthorizationPolicy tools/ext-authz-all is CUSTOM and bound namespace-wide, not targetRefs, in ambient namespace tools, where the stack runs no gateway",
  ]);
  assert.match(dropped.violations[0].message, /ztunnel does not support the CUSTOM action \(istiod hands it none\) and waypoints take only targetRefs policies, so nothing enforces it; bind it with targetRefs to the waypoint/);
  // Bound to the waypoint, or where an Istio gateway's Envoy may take it, or in a namespace the
  // stack does not render or enroll, or in Istio's root namespace (every gateway's): not judged.
  const ok = await runStack(authorizationTargetsEnforced, [
    ...fleet,
    ap("tools", "ext-authz", custom({ targetRefs: [{ group: GW, kind: "Gateway", name: "waypoint" }] })),
    ap("inference", "ext-authz", custom({ selector: { matchLabels: { app: "inference-gateway" } } })),
    ap("batch", "ext-authz", custom({})),
    ap("istio-system", "ext-authz", custom({})),
    ap("tools", "deny", { action: "DENY", rules: [{ from: [{ source: { namespaces: ["inference"] } }] }] }),
  ]);
  assert.deepEqual(ok.violations, []);
});
