/**
 * Policy tests for authorization-targets-enforced: an AuthorizationPolicy's targetRefs bind a proxy
 * that enforces Istio authorization (not agentgateway, whose controller hands its proxies none; not
 * a target istiod binds nothing to).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { authorizationTargetsEnforced } from "../../policy/rules/authorization-targets-enforced";
import { runStack, UNKNOWN } from "../support/policy";
import { on, ap, gw, allowFrom } from "./authz-support";

const GW = "gateway.networking.k8s.io";
const caller = "cluster.local/ns/agents/sa/research-agent-v1";
const to = (...targetRefs: Record<string, unknown>[]) => ({ ...allowFrom(caller), targetRefs });
const ns = (name: string, labels: Record<string, string> = {}) => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name, labels } });
const svc = (namespace: string, name: string, labels: Record<string, string> = {}) =>
  on("kubernetes:core/v1:Service", `${namespace}-svc-${name}`, { metadata: { name, namespace, labels }, spec: { selector: { app: name }, ports: [{ port: 8000 }] } });
const gatewayClass = (name: string, controllerName: string) => on(`kubernetes:${GW}/v1:GatewayClass`, `gc-${name}`, { metadata: { name }, spec: { controllerName } });
const agwChart = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "agentgateway", { chart: "agentgateway", values });

const fleet = [
  ns("agents", { "istio.io/use-waypoint": "waypoint" }),
  ns("tools"),
  gw("agents", "agent-gateway", "agentgateway"),
  // Its HBONE listener takes targets from every namespace: tools/calculator below uses it.
  on(`kubernetes:${GW}/v1:Gateway`, "agents-gw-waypoint", {
    metadata: { name: "waypoint", namespace: "agents" },
    spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE", allowedRoutes: { namespaces: { from: "All" } } }] },
  }),
  gw("inference", "inference-gateway", "istio"),
  svc("agents", "research-agent"),
  svc("tools", "calculator", { "istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "agents" }),
];

test("authorization-targets-enforced: targets a waypoint or Istio gateway enforces pass; those nothing enforces fail", async () => {
  const ok = await runStack(authorizationTargetsEnforced, [
    ...fleet,
    ap("agents", "waypoint", to({ group: GW, kind: "Gateway", name: "waypoint" })),
    ap("inference", "callers", to({ group: GW, kind: "Gateway", name: "inference-gateway" })),
    ap("agents", "agent-svc", to({ group: "", kind: "Service", name: "research-agent" })),
    ap("tools", "calc", to({ kind: "Service", name: "calculator" })),
    ap("istio-system", "all-waypoints", to({ group: GW, kind: "GatewayClass", name: "istio-waypoint" })),
    // Objects outside the stack are not judged: another team's Gateway or Service.
    ap("agents", "elsewhere", to({ group: GW, kind: "Gateway", name: "partner-gateway" }, { group: "", kind: "Service", name: "partner" })),
    ap("agents", "by-selector", { ...allowFrom(caller), selector: { matchLabels: { app: "research-agent" } } }),
  ]);
  assert.deepEqual(ok.violations, []);
  assert.deepEqual(ok.unknown, []);

  const bad = await runStack(authorizationTargetsEnforced, [
    ...fleet,
    gw("agents", "istio-agw", "istio-agentgateway"),
    ap("agents", "gateway-callers", to({ group: GW, kind: "Gateway", name: "agent-gateway" })),
    ap("agents", "deny-vllm", { action: "DENY", targetRef: { group: GW, kind: "Gateway", name: "istio-agw" }, rules: [{ from: [{ source: { principals: ["cluster.local/ns/inference/sa/vllm"] } }] }] }),
    ap("istio-system", "agw-class", to({ group: GW, kind: "GatewayClass", name: "agentgateway" })),
    ap("agents", "no-group", to({ kind: "Gateway", name: "waypoint" })),
    ap("agents", "route", to({ group: GW, kind: "HTTPRoute", name: "research-agent" })),
    ap("agents", "waypoint-class-here", to({ group: GW, kind: "GatewayClass", name: "istio-waypoint" })),
    ap("istio-system", "istio-class", to({ group: GW, kind: "GatewayClass", name: "istio" })),
    ap("tools", "no-waypoint", to({ group: "", kind: "Service", name: "calculator-v2" })),
    svc("tools", "calculator-v2"),
  ]);
  const messages = bad.violations.map((v) => v.message);
  assert.equal(messages.length, 8, messages.join("\n"));
  assert.equal(
    messages[0],
    "AuthorizationPolicy agents/gateway-callers: targetRef gateway.networking.k8s.io/Gateway agent-gateway binds Gateway agents/agent-gateway of class agentgateway, an agentgateway proxy (agentgateway's controller) which takes no Istio AuthorizationPolicy (its controller hands its proxies none: agentgateway v1.4.1 controller/pkg/syncer/syncer.go, Istio 1.30.3's agentgateway controller likewise) while ztunnel ignores targetRefs, so nothing enforces this policy; express it as an AgentgatewayPolicy (agentgateway.dev/v1alpha1) targeting the Gateway (group gateway.networking.k8s.io, kind Gateway) with spec.traffic.authorization (action Allow, Deny or Require; policy.matchExpressions: CEL over source.identity, e.g. source.identity.namespace and source.identity.serviceAccount)",
  );
  assert.match(messages[1], /^AuthorizationPolicy agents\/deny-vllm: targetRef gateway\.networking\.k8s\.io\/Gateway istio-agw binds Gateway agents\/istio-agw of class istio-agentgateway, an agentgateway proxy \(Istio's experimental agentgateway controller\)/);
  assert.match(messages[2], /^AuthorizationPolicy istio-system\/agw-class: targetRef gateway\.networking\.k8s\.io\/GatewayClass agentgateway is a GatewayClass of agentgateway's controller, .*AgentgatewayPolicy/);
  assert.match(messages[3], /^AuthorizationPolicy agents\/no-group: targetRef Gateway waypoint is not a target Istio 1\.30 binds .*: set group gateway\.networking\.k8s\.io for a Gateway$/);
  assert.match(messages[4], /targetRef gateway\.networking\.k8s\.io\/HTTPRoute research-agent is not a target Istio 1\.30 binds/);
  assert.match(messages[5], /^AuthorizationPolicy agents\/waypoint-class-here: .* binds nothing from namespace agents: istiod attaches a GatewayClass target only from Istio's root namespace \(istio-system\)/);
  assert.match(messages[6], /^AuthorizationPolicy istio-system\/istio-class: .* binds nothing: istiod attaches a policy to a GatewayClass only for istio-waypoint/);
  assert.match(messages[7], /^AuthorizationPolicy tools\/no-waypoint: targetRef Service calculator-v2 binds nothing: no waypoint serves Service tools\/calculator-v2/);
});

test("authorization-targets-enforced: a Service whose waypoint is agentgateway, renamed and stack-defined agentgateway classes", async () => {
  const agwWaypoint = [ns("lab", { "istio.io/use-waypoint": "agw-waypoint" }), gw("lab", "agw-waypoint", "agentgateway"), svc("lab", "bot"), svc("lab", "opted-out", { "istio.io/use-waypoint": "none" })];
  const viaWaypoint = await runStack(authorizationTargetsEnforced, [...agwWaypoint, ap("lab", "bot", to({ group: "", kind: "Service", name: "bot" }))]);
  assert.deepEqual(viaWaypoint.violations.map((v) => v.message.split(", an agentgateway")[0]), [
    "AuthorizationPolicy lab/bot: targetRef Service bot binds Gateway lab/agw-waypoint (the waypoint of Service lab/bot) of class agentgateway",
  ]);
  const optedOut = await runStack(authorizationTargetsEnforced, [...agwWaypoint, ap("lab", "out", to({ group: "", kind: "Service", name: "opted-out" }))]);
  assert.match(optedOut.violations[0].message, /no waypoint serves Service lab\/opted-out/);
  // A ServicePatch (server-side apply) that enrolls the Service with an Istio waypoint counts.
  const patched = [ns("ops"), gw("ops", "waypoint", "istio-waypoint"), svc("ops", "api"), on("kubernetes:core/v1:ServicePatch", "ops-svcpatch-api", { metadata: { name: "api", namespace: "ops", labels: { "istio.io/use-waypoint": "waypoint" } } })];
  assert.deepEqual((await runStack(authorizationTargetsEnforced, [...patched, ap("ops", "api", to({ group: "", kind: "Service", name: "api" }))])).violations, []);
  const unpatched = await runStack(authorizationTargetsEnforced, [...patched.slice(0, 3), ap("ops", "api", to({ group: "", kind: "Service", name: "api" }))]);
  assert.match(unpatched.violations[0].message, /no waypoint serves Service ops\/api/);

  // The chart renames the class (AGW_AGENTGATEWAY_CLASS_NAME); a rendered GatewayClass of agentgateway's controller counts too.
  const renamed = [agwChart({ gatewayClassName: "agw" }), gatewayClass("agw-internal", "agentgateway.dev/agentgateway"), gw("lab", "a", "agw"), gw("lab", "b", "agw-internal")];
  const r = await runStack(authorizationTargetsEnforced, [...renamed, ap("lab", "a", to({ group: GW, kind: "Gateway", name: "a" })), ap("lab", "b", to({ group: GW, kind: "Gateway", name: "b" }))]);
  assert.deepEqual(r.violations.map((v) => /of class (\S+), an agentgateway proxy \(([^)]+)\)/.exec(v.message)?.slice(1)), [
    ["agw", "the agentgateway controller of Helm release a-agentgateway"],
    ["agw-internal", "the agentgateway controller of Helm release a-agentgateway"],
  ]);
  // A GatewayClass the stack renders for Istio's controller decides its own name.
  const reclaimed = await runStack(authorizationTargetsEnforced, [gatewayClass("agentgateway", "istio.io/gateway-controller"), gw("lab", "a", "agentgateway"), ap("lab", "a", to({ group: GW, kind: "Gateway", name: "a" }))]);
  assert.deepEqual(reclaimed.violations, []);
});

test("authorization-targets-enforced: a class or targets unknown in a preview is can't judge; known findings stand", async () => {
  const unknownClass = await runStack(authorizationTargetsEnforced, [
    gw("agents", "agent-gateway", UNKNOWN),
    gw("agents", "mcp", "agentgateway"),
    ap("agents", "a", to({ group: GW, kind: "Gateway", name: "agent-gateway" })),
    ap("agents", "b", to({ group: GW, kind: "Gateway", name: "mcp" })),
    ap("agents", "c", UNKNOWN as unknown as Record<string, unknown>),
  ]);
  assert.equal(unknownClass.violations.length, 1);
  assert.match(unknownClass.violations[0].message, /^AuthorizationPolicy agents\/b: /);
  assert.equal(unknownClass.unknown.length, 1);
  assert.match(unknownClass.unknown[0], /<the class of Gateway agents\/agent-gateway on cluster a; the targetRefs of AuthorizationPolicy agents\/c on cluster a> can't be known during preview/);
});

test("authorization-targets-enforced: agentgateway classes a preview cannot read yet are can't judge only where a target's class may be one", async () => {
  const policies = [gw("lab", "a", "custom"), ap("lab", "a", to({ group: GW, kind: "Gateway", name: "a" }))];
  // Nothing to decide: no target's class could be a renamed agentgateway one.
  assert.deepEqual(await runStack(authorizationTargetsEnforced, [agwChart({ gatewayClassName: UNKNOWN })]), { violations: [], unknown: [], notApplicable: [] });
  const renamed = await runStack(authorizationTargetsEnforced, [agwChart({ gatewayClassName: UNKNOWN }), ...policies]);
  assert.deepEqual(renamed.violations, []);
  assert.match(renamed.unknown[0], /whether class custom on cluster a is agentgateway's \(the values of Helm release a-agentgateway not known yet\)/);
  const reclaimed = await runStack(authorizationTargetsEnforced, [gatewayClass("agentgateway", UNKNOWN), gw("lab", "b", "agentgateway"), ap("lab", "b", to({ group: GW, kind: "Gateway", name: "b" }))]);
  assert.deepEqual(reclaimed.violations, []);
  assert.match(reclaimed.unknown[0], /whether class agentgateway on cluster a is agentgateway's \(the controllerName of GatewayClass a-gc-agentgateway not known yet\)/);
});

test("authorization-targets-enforced: a Service enrolled with a waypoint the stack does not render, in a namespace it creates, binds nothing", async () => {
  // Istio 1.30.3 gives such a Service no waypoint (fetchWaypointForTarget: WaypointIsNotReady, no
  // fallback to the namespace's), so its traffic goes straight to the pods: before, this passed.
  const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(authorizationTargetsEnforced, [...fleet, ...extra])).violations.map((v) => v.message);
  const renamed = await run(svc("agents", "planner", { "istio.io/use-waypoint": "waypoint-v2" }), ap("agents", "planner", to({ group: "", kind: "Service", name: "planner" })));
  assert.deepEqual(renamed, [
    "AuthorizationPolicy agents/planner: targetRef Service planner binds nothing: Service agents/planner is enrolled (istio.io/use-waypoint on it) with waypoint agents/waypoint-v2, which the stack does not render in namespace agents (its waypoints there: waypoint): istiod gives it no waypoint (ambient/waypoints.go fetchWaypointForTarget reports WaypointIsNotReady and falls back to none), so ztunnel sends its traffic straight to the pods and ignores targetRefs, and nothing enforces this policy; deploy that waypoint or correct the label",
  ]);
  // The namespace's label naming a waypoint missing from another namespace the stack creates.
  const viaNamespace = await run(ns("jobs", { "istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "tools" }), svc("jobs", "batch"), ap("jobs", "batch", to({ group: "", kind: "Service", name: "batch" })));
  assert.match(viaNamespace.join("\n"), /^AuthorizationPolicy jobs\/batch: targetRef Service batch binds nothing: Service jobs\/batch is enrolled \(istio\.io\/use-waypoint on namespace jobs\) with waypoint tools\/waypoint, which the stack does not render in namespace tools: /);
  // A waypoint in a namespace the stack does not create may be another team's: not judged; nor one the stack renders.
  assert.deepEqual(await run(svc("agents", "shared", { "istio.io/use-waypoint": "mesh-waypoint", "istio.io/use-waypoint-namespace": "shared-waypoints" }), ap("agents", "shared", to({ group: "", kind: "Service", name: "shared" }))), []);
  assert.deepEqual(await run(svc("agents", "planner", { "istio.io/use-waypoint": "waypoint" }), ap("agents", "planner", to({ group: "", kind: "Service", name: "planner" }))), []);
});

test("authorization-targets-enforced: a targetRef naming a namespace is refused by the CRD; Gateway API's sectionName is no Istio field", async () => {
  const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(authorizationTargetsEnforced, [...fleet, ...extra])).violations.map((v) => v.message);
  // Before, the refused policy counted as bound to the Gateway.
  assert.deepEqual(await run(ap("inference", "other-ns", to({ group: GW, kind: "Gateway", name: "inference-gateway", namespace: "agents" }))), [
    "AuthorizationPolicy inference/other-ns: targetRef gateway.networking.k8s.io/Gateway inference-gateway names namespace agents: the AuthorizationPolicy CRD refuses a targetRef with a namespace (cross namespace referencing is not currently supported), so the API server refuses the policy; put the policy in the target's namespace and drop the field",
  ]);
  assert.equal((await run(ap("inference", "own-ns", to({ group: GW, kind: "Gateway", name: "inference-gateway", namespace: "inference" })))).length, 1);
  // Empty is what the CRD takes. A sectionName is not in Istio's PolicyTargetReference: the API
  // server drops it and istiod binds the whole Gateway (policyattachment.go matches its name only),
  // which is how the other policies count it: nothing here to report.
  assert.deepEqual(await run(ap("inference", "plain", to({ group: GW, kind: "Gateway", name: "inference-gateway", namespace: "", sectionName: "https" }))), []);
});

test("authorization-targets-enforced: a Service enrolled with another namespace's waypoint that does not take it binds nothing", async () => {
  // Istio 1.30.3 admits a target from another namespace only as the waypoint's HBONE listener
  // allows (unset: Same): before, the policy passed while istiod gave the Service no waypoint.
  const waypoint = (allowedRoutes?: Record<string, unknown>, annotations?: Record<string, string>) =>
    on(`kubernetes:${GW}/v1:Gateway`, "shared-gw-waypoint", {
      metadata: { name: "waypoint", namespace: "shared", ...(annotations ? { annotations } : {}) },
      spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE", ...(allowedRoutes ? { allowedRoutes } : {}) }] },
    });
  const enrolled = [ns("shared"), ns("jobs", { "istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "shared", team: "batch" }), svc("jobs", "batch"), ap("jobs", "batch", to({ group: "", kind: "Service", name: "batch" }))];
  const run = async (wp: ReturnType<typeof on>) => (await runStack(authorizationTargetsEnforced, [...fleet, ...enrolled, wp])).violations.map((v) => v.message);
  assert.deepEqual(await run(waypoint()), [
    "AuthorizationPolicy jobs/batch: targetRef Service batch binds nothing: Service jobs/batch is enrolled (istio.io/use-waypoint on namespace jobs) with waypoint shared/waypoint, whose HBONE listener (port 15008) takes targets from namespace shared only (allowedRoutes.namespaces.from Same, Gateway API's default): istiod denies the attachment (ambient/waypoints.go AllowsAttachmentFromNamespace: AttachmentDenied) and gives it no waypoint, so ztunnel sends its traffic straight to the pods and ignores targetRefs, and nothing enforces this policy; set allowedRoutes.namespaces.from All, or a Selector matching namespace jobs, on that listener",
  ]);
  assert.equal((await run(waypoint({ namespaces: { from: "Selector", selector: { matchLabels: { team: "inference" } } } }))).length, 1);
  // All, a selector the namespace matches (its name label included), or an inbound binding picking another listener (not judged) pass.
  for (const ok of [
    waypoint({ namespaces: { from: "All" } }),
    waypoint({ namespaces: { from: "Selector", selector: { matchLabels: { team: "batch" } } } }),
    waypoint({ namespaces: { from: "Selector", selector: { matchLabels: { "kubernetes.io/metadata.name": "jobs" } } } }),
    waypoint(undefined, { "ambient.istio.io/waypoint-inbound-binding": "PROXY/15088" }),
  ]) {
    assert.deepEqual(await run(ok), []);
  }
  // istiod takes the binding from the GatewayClass too, where the Gateway sets none.
  const bound = on(`kubernetes:${GW}/v1:GatewayClass`, "gc-istio-waypoint", { metadata: { name: "istio-waypoint", annotations: { "ambient.istio.io/waypoint-inbound-binding": "PROXY/15088" } }, spec: { controllerName: "istio.io/mesh-controller" } });
  assert.deepEqual((await runStack(authorizationTargetsEnforced, [...fleet, ...enrolled, waypoint(), bound])).violations, []);
});

test("authorization-targets-enforced: a waypoint whose HBONE listener's selector leaves out its own namespace takes none of its Services", async () => {
  // Istio 1.30.3 AllowsAttachmentFromNamespace applies a Selector to the waypoint's own namespace
  // too (only Same admits it without one): before, a same-namespace enrolment always passed.
  const waypoint = (selector: Record<string, string>) =>
    on(`kubernetes:${GW}/v1:Gateway`, "jobs-gw-waypoint", {
      metadata: { name: "waypoint", namespace: "jobs" },
      spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE", allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: selector } } } }] },
    });
  const enrolled = [ns("jobs", { "istio.io/use-waypoint": "waypoint", team: "batch" }), svc("jobs", "batch"), ap("jobs", "batch", to({ group: "", kind: "Service", name: "batch" }))];
  const run = async (wp: ReturnType<typeof on>) => (await runStack(authorizationTargetsEnforced, [...fleet, ...enrolled, wp])).violations.map((v) => v.message);
  assert.match((await run(waypoint({ team: "inference" }))).join("\n"), /^AuthorizationPolicy jobs\/batch: targetRef Service batch binds nothing: .* with waypoint jobs\/waypoint, whose HBONE listener \(port 15008\) takes targets from namespaces its allowedRoutes selector matches, not jobs: istiod denies the attachment/);
  for (const selector of [{ team: "batch" }, { "kubernetes.io/metadata.name": "jobs" }] as Record<string, string>[]) assert.deepEqual(await run(waypoint(selector)), []);
});

test("authorization-targets-enforced: a Service enrolled with a waypoint that takes no Service traffic (istio.io/waypoint-for) binds nothing", async () => {
  // fetchWaypointForService binds a Service only to a waypoint for service or all traffic: before, these passed.
  const waypoint = (labels: Record<string, string>) =>
    on(`kubernetes:${GW}/v1:Gateway`, "jobs-gw-waypoint", { metadata: { name: "waypoint", namespace: "jobs", labels }, spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] } });
  const enrolled = [ns("jobs", { "istio.io/use-waypoint": "waypoint" }), svc("jobs", "batch"), ap("jobs", "batch", to({ group: "", kind: "Service", name: "batch" }))];
  const run = async (...extra: ReturnType<typeof on>[]) => (await runStack(authorizationTargetsEnforced, [...fleet, ...enrolled, ...extra])).violations.map((v) => v.message);
  assert.deepEqual(await run(waypoint({ "istio.io/waypoint-for": "none" })), [
    "AuthorizationPolicy jobs/batch: targetRef Service batch binds nothing: Service jobs/batch is enrolled (istio.io/use-waypoint on namespace jobs) with waypoint jobs/waypoint, which takes no Service traffic (istio.io/waypoint-for: none on the Gateway): istiod binds no Service or ServiceEntry to it (ambient/waypoints.go fetchWaypointForService: UnsupportedTrafficType), so ztunnel sends its traffic straight to the pods and ignores targetRefs, and nothing enforces this policy; label the waypoint istio.io/waypoint-for: service (or all)",
  ]);
  assert.equal((await run(waypoint({ "istio.io/waypoint-for": "workload" }))).length, 1);
  // The class's label counts where the Gateway sets none; the Gateway's own wins.
  const cls = on(`kubernetes:${GW}/v1:GatewayClass`, "gc-istio-waypoint", { metadata: { name: "istio-waypoint", labels: { "istio.io/waypoint-for": "workload" } }, spec: { controllerName: "istio.io/mesh-controller" } });
  assert.match((await run(waypoint({}), cls)).join("\n"), /takes no Service traffic \(istio\.io\/waypoint-for: workload on GatewayClass istio-waypoint\)/);
  for (const labels of [{}, { "istio.io/waypoint-for": "all" }, { "istio.io/waypoint-for": "service" }] as Record<string, string>[]) assert.deepEqual(await run(waypoint(labels)), []);
  assert.deepEqual(await run(waypoint({ "istio.io/waypoint-for": "service" }), cls), []);
});

test("authorization-targets-enforced: the Service of an agentgateway proxy wears its Gateway's infrastructure.labels", async () => {
  // agentgateway v1.4.1's controller names the proxy's Service after the Gateway and copies spec.infrastructure.labels onto it.
  const proxy = (labels: Record<string, string>) =>
    on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-mcp-gateway", { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { gatewayClassName: "agentgateway", infrastructure: { labels }, listeners: [] } });
  const tools = [ns("tools", { "istio.io/use-waypoint": "waypoint" }), gw("tools", "waypoint", "istio-waypoint")];
  const run = async (labels: Record<string, string>) => (await runStack(authorizationTargetsEnforced, [...tools, proxy(labels), ap("tools", "mcp-callers", to({ group: "", kind: "Service", name: "mcp-gateway" }))])).violations.map((v) => v.message);
  const [optedOut] = await run({ "istio.io/use-waypoint": "none" });
  assert.match(optedOut, /^AuthorizationPolicy tools\/mcp-callers: targetRef Service mcp-gateway binds nothing: no waypoint serves Service tools\/mcp-gateway \(it opts out with istio.io\/use-waypoint: none, which agentgateway's controller copies onto it from Gateway tools\/mcp-gateway's spec.infrastructure.labels\)/);
  assert.match(optedOut, /express it as an AgentgatewayPolicy/);
  // Enrolled with the namespace's waypoint, the waypoint enforces it for traffic to that Service.
  assert.deepEqual(await run({}), []);
});

// istiod binds a waypoint only for the traffic its istio.io/waypoint-for names (the Gateway's
// label, else its class's, service by default; Istio 1.30.3 ambient/waypoints.go): none, or a
// value it does not know, binds it to nothing, so a policy on the waypoint itself guards nothing.
test("authorization-targets-enforced: a policy on a waypoint that takes no traffic (istio.io/waypoint-for none or unknown) binds nothing", async () => {
  const waypoint = (labels: Record<string, string>) =>
    on(`kubernetes:${GW}/v1:Gateway`, "tools-gw-waypoint", { metadata: { name: "waypoint", namespace: "tools", labels }, spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] } });
  const policy = ap("tools", "callers", to({ group: GW, kind: "Gateway", name: "waypoint" }));
  for (const traffic of ["service", "workload", "all"]) {
    assert.deepEqual((await runStack(authorizationTargetsEnforced, [ns("tools"), waypoint({ "istio.io/waypoint-for": traffic }), policy])).violations, [], traffic);
  }
  assert.deepEqual((await runStack(authorizationTargetsEnforced, [ns("tools"), waypoint({}), policy])).violations, []);
  for (const traffic of ["none", "services"]) {
    const idle = await runStack(authorizationTargetsEnforced, [ns("tools"), waypoint({ "istio.io/waypoint-for": traffic }), policy]);
    assert.match(idle.violations[0]?.message ?? "", new RegExp(`^AuthorizationPolicy tools/callers: targetRef gateway.networking.k8s.io/Gateway waypoint binds waypoint tools/waypoint, which takes no traffic \\(istio.io/waypoint-for: ${traffic} on the Gateway\\)`), traffic);
  }
  // Inherited from a GatewayClass the stack renders.
  const cls = on(`kubernetes:${GW}/v1:GatewayClass`, "gc-istio-waypoint", { metadata: { name: "istio-waypoint", labels: { "istio.io/waypoint-for": "none" } }, spec: { controllerName: "istio.io/mesh-controller" } });
  const inherited = await runStack(authorizationTargetsEnforced, [ns("tools"), cls, waypoint({}), policy]);
  assert.match(inherited.violations[0]?.message ?? "", /takes no traffic \(istio\.io\/waypoint-for: none on GatewayClass istio-waypoint\)/);
});

test("authorization-targets-enforced: a Gateway whose namespace or name a preview cannot read is can't judge where it may be the target or its waypoint", async () => {
  // Before, such a Gateway counted as the waypoint a Service names (missingWaypoint: a pass) and
  // as no Gateway at all for the target's class, listeners and waypoint-for (a pass), so a policy
  // on an agentgateway proxy passed silently.
  const unread = (namespace: string, gatewayClassName: string, labels: Record<string, string> = {}) =>
    on(`kubernetes:${GW}/v1:Gateway`, `gw-unread-${namespace}`, { metadata: { name: UNKNOWN, namespace, labels }, spec: { gatewayClassName, listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] } });
  const unreadable = on(`kubernetes:${GW}/v1:Gateway`, "gw-unreadable", { metadata: UNKNOWN, spec: { gatewayClassName: "agentgateway", listeners: [] } });
  const enrolled = [ns("jobs", { "istio.io/use-waypoint": "waypoint" }), svc("jobs", "batch"), ap("jobs", "batch", to({ group: "", kind: "Service", name: "batch" }))];
  const cases: [ReturnType<typeof on>[], string][] = [
    [[...enrolled, unread("jobs", "istio-waypoint", { "istio.io/waypoint-for": "none" })], "jobs/waypoint (the waypoint of Service jobs/batch)"],
    [[...enrolled, unreadable], "jobs/waypoint (the waypoint of Service jobs/batch)"],
    [[ns("lab"), unread("lab", "agentgateway"), ap("lab", "mcp", to({ group: GW, kind: "Gateway", name: "mcp" }))], "lab/mcp (the Gateway it targets)"],
  ];
  for (const [resources, which] of cases) {
    const out = await runStack(authorizationTargetsEnforced, resources);
    assert.deepEqual(out.violations, [], which);
    assert.match(out.unknown.join("\n"), new RegExp(`the namespace or name of a Gateway on cluster a that may be ${which.replace(/[()]/g, "\\$&")}`), which);
  }
  // The Service of an agentgateway proxy the stack does not render may be that Gateway's.
  const proxy = await runStack(authorizationTargetsEnforced, [ns("tools", { "istio.io/use-waypoint": "waypoint" }), gw("tools", "waypoint", "istio-waypoint"), unread("tools", "agentgateway"), ap("tools", "mcp", to({ group: "", kind: "Service", name: "mcp-gateway" }))]);
  assert.match(proxy.unknown.join("\n"), /the name or class of a Gateway in namespace tools on cluster a, which decides whether Service mcp-gateway is an agentgateway proxy's/);
  // A readable Gateway of that name decides alone, and one of a known other namespace is none of it.
  const known = await runStack(authorizationTargetsEnforced, [...enrolled, unread("jobs", "istio-waypoint"), unread("other", "istio-waypoint"), gw("jobs", "waypoint", "agentgateway")]);
  assert.match(known.violations[0]?.message ?? "", /binds Gateway jobs\/waypoint \(the waypoint of Service jobs\/batch\) of class agentgateway/);
  assert.deepEqual(known.unknown, []);
  const elsewhere = await runStack(authorizationTargetsEnforced, [...enrolled, unread("other", "istio-waypoint")]);
  assert.match(elsewhere.violations[0]?.message ?? "", /with waypoint jobs\/waypoint, which the stack does not render in namespace jobs/);
  assert.deepEqual(elsewhere.unknown, []);
});

test("authorization-targets-enforced: a Service or Namespace whose name a preview cannot read is can't judge where it may be the target, its namespace or its waypoint's", async () => {
  // Before, such an object counted as absent: the target's enrolment went unjudged (a silent pass).
  const policy = ap("jobs", "batch", to({ group: "", kind: "Service", name: "batch" }));
  const unread = (kind: string, props: Record<string, unknown>) => on(`kubernetes:core/v1:${kind}`, `unread-${kind}`, props);
  const cases: [ReturnType<typeof on>[], RegExp][] = [
    [[ns("jobs"), unread("Service", { metadata: { name: UNKNOWN, namespace: "jobs" }, spec: {} }), policy], /a Service on cluster a that may be jobs\/batch/],
    [[unread("Namespace", { metadata: { name: UNKNOWN } }), svc("jobs", "batch"), policy], /a Namespace on cluster a that may be jobs/],
    // The waypoint's namespace (mesh) may be the stack's, where it renders no such waypoint.
    [[ns("jobs", { "istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "mesh" }), unread("Namespace", { metadata: { name: UNKNOWN } }), svc("jobs", "batch"), policy], /a Namespace on cluster a that may be mesh/],
  ];
  for (const [resources, why] of cases) {
    const out = await runStack(authorizationTargetsEnforced, resources);
    assert.deepEqual(out.violations, [], String(why));
    assert.match(out.unknown.join("\n"), why);
  }
  // Readable ones decide alone: a known Service in a known namespace with no waypoint binds nothing.
  const known = await runStack(authorizationTargetsEnforced, [ns("jobs"), unread("Service", { metadata: { name: UNKNOWN, namespace: "other" }, spec: {} }), svc("jobs", "batch"), policy]);
  assert.match(known.violations[0]?.message ?? "", /binds nothing: no waypoint serves Service jobs\/batch/);
  assert.deepEqual(known.unknown, []);
});
