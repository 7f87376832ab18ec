/**
 * Policy tests for authorization-targets-enforced on waypoints: a Service's targetRef binds nothing
 * where istiod gives it no waypoint (one the stack does not render, one whose HBONE listener does not
 * take its namespace, one that takes no Service traffic), nor does a policy on a waypoint that takes
 * no traffic; a Gateway, Service or Namespace whose name a preview cannot read is can't judge.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { authorizationTargetsEnforced } from "../../policy/rules/authorization-targets-enforced";
import { runStack, UNKNOWN } from "../support/policy";
import { on, ap, gw } from "./authz-support";
import { GW, to, ns, svc, fleet } from "../support/authz-targets";

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
