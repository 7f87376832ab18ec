/**
 * Policy tests for authorization-principals-known: principals (and notPrincipals, suffix and prefix
 * principals) name rendered ServiceAccounts in the trust domain; the gateway proxies' identities,
 * in the pack and at render time.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { authorizationPrincipalsKnown } from "../../policy/rules/authorization-principals-known";
import { gatewayProxyIdentities } from "../../policy/lib/gateway-proxies";
import { proxyServiceAccount } from "../../components/agents/callgraph";
import { meshIdentities } from "../../scripts/lib/topology-callers";
import { runStack, UNKNOWN } from "../support/policy";
import { on, sa, ap, gw, allowFrom } from "./authz-support";

test("authorization-principals-known: principals name rendered ServiceAccounts in the trust domain", async () => {
  const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { profile: "ambient", meshConfig: { trustDomain: "cluster.local" } } });
  const base = [istiod, sa("agents", "research-agent-v1"), gw("inference", "inference-gateway", "istio"), gw("agents", "agent-gateway", "agentgateway"), gw("tools", "waypoint", "istio-waypoint")];
  const ok = await runStack(authorizationPrincipalsKnown, [
    ...base,
    ap("inference", "callers", allowFrom("cluster.local/ns/agents/sa/research-agent-v1", "cluster.local/ns/inference/sa/inference-gateway-istio", "cluster.local/ns/agents/sa/agent-gateway", "cluster.local/ns/tools/sa/waypoint")),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runStack(authorizationPrincipalsKnown, [
    ...base,
    ap("inference", "callers", allowFrom("cluster.local/ns/agents/sa/research-agnet-v1", "corp.example/ns/agents/sa/research-agent-v1", "spiffe-ish:agents")),
  ]);
  const messages = bad.violations.map((v) => v.message).join("\n");
  assert.equal(bad.violations.length, 3, messages);
  assert.match(messages, /research-agnet-v1 names no ServiceAccount/);
  assert.match(messages, /outside the mesh trust domain/);
  assert.match(messages, /is not <trustDomain>\/ns\/<namespace>\/sa\/<serviceAccount>/);
  // A controller-created identity is accepted once allow-listed.
  const listed = await runStack(authorizationPrincipalsKnown, [...base, ap("inference", "ops", allowFrom("cluster.local/ns/monitoring/sa/prometheus"))], { allowedServiceAccounts: ["monitoring/prometheus"] });
  assert.deepEqual(listed.violations, []);
});

// An empty meshConfig.trustDomain reaches istiod (the chart's mergeOverwrite sets it), which
// refuses that mesh config (Istio 1.30.3 ApplyMeshConfig, ValidateTrustDomain) and runs on
// cluster.local; mesh-identity-consistent reports it. Before, "" was taken as the trust domain and
// every cluster.local principal reported outside it.
test("authorization-principals-known: an istiod trust domain Istio refuses is read as cluster.local, the one istiod runs on", async () => {
  const principal = "cluster.local/ns/agents/sa/research-agent-v1";
  for (const trustDomain of ["", "Corp.Example"]) {
    const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { meshConfig: { trustDomain } } });
    const out = await runStack(authorizationPrincipalsKnown, [istiod, sa("agents", "research-agent-v1"), ap("inference", "callers", allowFrom(principal))]);
    assert.deepEqual(out.violations, [], trustDomain);
    const foreign = await runStack(authorizationPrincipalsKnown, [istiod, sa("agents", "research-agent-v1"), ap("inference", "callers", allowFrom("corp.example/ns/agents/sa/research-agent-v1"))]);
    assert.match(foreign.violations.map((v) => v.message).join("\n"), /outside the mesh trust domain \(cluster\.local\)/, trustDomain);
  }
});

test("authorization-principals-known: a policy bound only to an Istio ingress Gateway names no mesh identities (ambient callers arrive without one)", async () => {
  const base = [sa("agents", "research-agent-v1"), gw("inference", "inference-gateway", "istio"), gw("agents", "agent-gateway", "agentgateway"), gw("agents", "waypoint", "istio-waypoint")];
  const toGateway = (name: string, source: Record<string, unknown>) => ({ action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name }], rules: [{ from: [{ source }] }] });
  const identityLess = await runStack(authorizationPrincipalsKnown, [...base, ap("inference", "callers", toGateway("inference-gateway", { notPrincipals: ["*"] }))]);
  assert.deepEqual(identityLess.violations, []);
  for (const source of [{ principals: ["cluster.local/ns/agents/sa/research-agent-v1"] }, { namespaces: ["agents"] }, { serviceAccounts: ["agents/research-agent-v1"] }]) {
    const byIdentity = await runStack(authorizationPrincipalsKnown, [...base, ap("inference", "callers", toGateway("inference-gateway", source))]);
    assert.equal(byIdentity.violations.length, 1, JSON.stringify(source));
    assert.match(byIdentity.violations[0].message, /rule 0: names callers by (principals|namespaces|serviceAccounts), but it binds only Istio ingress Gateway inference-gateway \(class istio\).*never matches them/);
  }
  // Waypoints and agentgateway read the caller's HBONE identity: principals there are fine.
  const waypoint = await runStack(authorizationPrincipalsKnown, [...base, ap("agents", "callers", toGateway("waypoint", { principals: ["cluster.local/ns/agents/sa/research-agent-v1"] }))]);
  assert.deepEqual(waypoint.violations, []);
  const agw = await runStack(authorizationPrincipalsKnown, [...base, ap("agents", "callers", toGateway("agent-gateway", { principals: ["cluster.local/ns/agents/sa/research-agent-v1"] }))]);
  assert.deepEqual(agw.violations, []);
});

test("gateway proxy identities: Istio suffixes -<class> only for its default class (1.30.3 DisableNameSuffix)", async () => {
  const gateways = [
    gw("inference", "inference-gateway", "istio"),
    gw("istio-system", "istio-eastwestgateway", "istio-east-west"),
    gw("inference", "ai-ingress", "istio-agentgateway"),
    gw("tools", "waypoint", "istio-waypoint"),
    gw("tools", "mcp-gateway", "agentgateway"),
  ];
  assert.deepEqual([...gatewayProxyIdentities(gateways)].sort(), ["inference/ai-ingress", "inference/inference-gateway-istio", "istio-system/istio-eastwestgateway", "tools/mcp-gateway", "tools/waypoint"]);
  const known = await runStack(authorizationPrincipalsKnown, [...gateways, ap("inference", "x", allowFrom("cluster.local/ns/istio-system/sa/istio-eastwestgateway"))]);
  assert.deepEqual(known.violations, []);
  const suffixed = await runStack(authorizationPrincipalsKnown, [...gateways, ap("inference", "x", allowFrom("cluster.local/ns/istio-system/sa/istio-eastwestgateway-istio-east-west"))]);
  assert.equal(suffixed.violations.length, 1);
});

test("gateway proxy identities at render time: the call graph and topology name Istio's bare-name classes like the pack", () => {
  assert.equal(proxyServiceAccount("istio-eastwestgateway", "istio-east-west"), "istio-eastwestgateway");
  assert.equal(proxyServiceAccount("ai-ingress", "istio-agentgateway"), "ai-ingress");
  assert.equal(proxyServiceAccount("inference-gateway", "istio"), "inference-gateway-istio");
  const gateway = (namespace: string, name: string, gatewayClassName: string) => ({ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name, namespace }, spec: { gatewayClassName } });
  const ids = meshIdentities([gateway("istio-system", "istio-eastwestgateway", "istio-east-west"), gateway("inference", "inference-gateway", "istio"), gateway("inference", "ai-ingress", "istio-agentgateway")] as any);
  assert.deepEqual([...ids.keys()].sort(), ["inference/ai-ingress", "inference/inference-gateway-istio", "istio-system/istio-eastwestgateway"]);
});

test("authorization-principals-known: notPrincipals and notServiceAccounts entries must name rendered ServiceAccounts too (a typo there makes a DENY exempt nobody, an ALLOW admit everybody)", async () => {
  const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { profile: "ambient", meshConfig: { trustDomain: "cluster.local" } } });
  const base = [istiod, sa("agents", "research-agent-v1")];
  const denyAllBut = (source: Record<string, unknown>) => ({ action: "DENY", rules: [{ from: [{ source }] }] });
  const ok = await runStack(authorizationPrincipalsKnown, [
    ...base,
    ap("agents", "deny-others", denyAllBut({ notPrincipals: ["cluster.local/ns/agents/sa/research-agent-v1"] })),
    ap("agents", "deny-others-sa", denyAllBut({ notServiceAccounts: ["agents/research-agent-v1"] })),
  ]);
  assert.deepEqual(ok.violations, []);
  const typo = await runStack(authorizationPrincipalsKnown, [...base, ap("agents", "deny-others", denyAllBut({ notPrincipals: ["cluster.local/ns/agents/sa/research-agnet-v1"] }))]);
  assert.deepEqual(typo.violations.map((v) => v.message), [
    "AuthorizationPolicy agents/deny-others: principal cluster.local/ns/agents/sa/research-agnet-v1 names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)",
  ]);
  const typoSa = await runStack(authorizationPrincipalsKnown, [...base, ap("agents", "deny-others", denyAllBut({ notServiceAccounts: ["research-agnet-v1"] }))]);
  assert.deepEqual(typoSa.violations.map((v) => v.message), [
    'AuthorizationPolicy agents/deny-others: serviceAccounts entry "research-agnet-v1" names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)',
  ]);
});

test("authorization-principals-known: a policy, trust domain or gateway class unknown in a preview is can't judge, and hides no known finding", async () => {
  const istiod = (cluster: string, trustDomain: unknown) => on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { meshConfig: { trustDomain } } }, cluster);
  const base = [istiod("a", "cluster.local"), sa("agents", "research-agent-v1")];
  const typo = "cluster.local/ns/agents/sa/research-agnet-v1";
  const typoMessage = `AuthorizationPolicy inference/typo: principal ${typo} names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)`;
  // A policy not known yet (before: skipped, a silent pass).
  const unread = await runStack(authorizationPrincipalsKnown, [...base, ap("inference", "callers", UNKNOWN as unknown as Record<string, unknown>), ap("inference", "typo", allowFrom(typo))]);
  assert.deepEqual(unread.violations.map((v) => v.message), [typoMessage]);
  assert.match(unread.unknown[0], /the rules of AuthorizationPolicy inference\/callers on cluster a/);
  // A selector not known yet cannot change what its principals name (before: the whole policy was skipped).
  const selector = await runStack(authorizationPrincipalsKnown, [...base, ap("inference", "typo", { ...allowFrom(typo), selector: UNKNOWN })]);
  assert.deepEqual([selector.violations.map((v) => v.message), selector.unknown], [[typoMessage], []]);
  // An istiod trust domain not known yet may be the principal's (before: outside the known one, a violation).
  const td = await runStack(authorizationPrincipalsKnown, [...base, istiod("b", UNKNOWN), ap("inference", "callers", allowFrom("corp.example/ns/agents/sa/research-agent-v1"))]);
  assert.deepEqual(td.violations, []);
  assert.match(td.unknown[0], /whether principal corp\.example\/ns\/agents\/sa\/research-agent-v1 of AuthorizationPolicy inference\/callers is in the mesh trust domain/);
  // A Gateway whose class is not known yet: its proxy identity is not known either (before: the whole policy crashed
  // to "can't run", hiding the typo), and a policy bound to it may bind an Istio ingress.
  const mystery = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "inference-gw-edge", { metadata: { name: "edge", namespace: "inference" }, spec: { gatewayClassName: UNKNOWN, listeners: [] } });
  const toEdge = { action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "edge" }], rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/research-agent-v1"] } }] }] };
  const gwClass = await runStack(authorizationPrincipalsKnown, [...base, mystery, ap("agents", "edge-proxy", allowFrom("cluster.local/ns/inference/sa/edge-istio")), ap("inference", "typo", allowFrom(typo)), ap("inference", "edge", toEdge)]);
  assert.deepEqual(gwClass.violations.map((v) => v.message), [typoMessage]);
  assert.match(gwClass.unknown[0], /whether inference\/edge-istio, named by AuthorizationPolicy agents\/edge-proxy, is the proxy of a Gateway whose class or proxy ServiceAccount is not known yet/);
  assert.match(gwClass.unknown[0], /whether AuthorizationPolicy inference\/edge on cluster a binds only Istio ingress Gateways/);
  // Known: with the class known, the same principal is the violation it was.
  const istioEdge = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "inference-gw-edge", { metadata: { name: "edge", namespace: "inference" }, spec: { gatewayClassName: "istio", listeners: [] } });
  const known = await runStack(authorizationPrincipalsKnown, [...base, istioEdge, ap("inference", "edge", toEdge)]);
  assert.deepEqual(known.unknown, []);
  assert.match(known.violations[0].message, /AuthorizationPolicy inference\/edge rule 0: names callers by principals, but it binds only Istio ingress Gateway edge \(class istio\)/);
});

test("authorization-principals-known: a suffix principal names its ServiceAccount in any trust domain; a prefix one the ServiceAccounts of a namespace", async () => {
  const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { profile: "ambient", meshConfig: { trustDomain: "cluster.local" } } });
  const base = [istiod, sa("agents", "research-agent-v1"), gw("inference", "inference-gateway", "istio")];
  // Before: "not <trustDomain>/ns/…" and "outside the mesh trust domain" for the first two.
  const ok = await runStack(authorizationPrincipalsKnown, [
    ...base,
    ap("inference", "callers", allowFrom("*/ns/inference/sa/inference-gateway-istio", "*.local/ns/agents/sa/research-agent-v1", "cluster.local/ns/agents/*", "cluster.local/ns/agents/sa/research-*")),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runStack(authorizationPrincipalsKnown, [
    ...base,
    ap("inference", "callers", allowFrom("*/ns/agents/sa/nobody", "*.example/ns/agents/sa/research-agent-v1", "cluster.local/ns/empty/*", "corp.example/ns/agents/*", "*/ns/*", "cluster.local/ns/*/sa/x")),
  ]);
  assert.deepEqual(bad.violations.map((v) => v.message), [
    "AuthorizationPolicy inference/callers: principal */ns/agents/sa/nobody names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)",
    'AuthorizationPolicy inference/callers: principal *.example/ns/agents/sa/research-agent-v1 (trust domains ending in ".example") is outside the mesh trust domain (cluster.local)',
    "AuthorizationPolicy inference/callers: principal cluster.local/ns/empty/* matches every ServiceAccount of namespace empty, and this stack has none (add one to allowedServiceAccounts if a controller creates it)",
    "AuthorizationPolicy inference/callers: principal corp.example/ns/agents/* is outside the mesh trust domain (cluster.local)",
    'AuthorizationPolicy inference/callers: principal "*/ns/*" matches no identity: Istio reads only one leading or trailing `*` as a wildcard, and no identity has a literal `*`',
    'AuthorizationPolicy inference/callers: principal "cluster.local/ns/*/sa/x" matches no identity: Istio reads `*` as a wildcard only as the whole value or its first or last character, and no identity has a literal `*`',
  ]);
});

test("authorization-principals-known: an Istio Gateway's proxy runs under the ServiceAccount its gateway.istio.io/service-account annotation names", async () => {
  const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { profile: "ambient", meshConfig: { trustDomain: "cluster.local" } } });
  const renamed = (namespace: string, name: string, gatewayClassName: string, account: unknown) =>
    on("kubernetes:gateway.networking.k8s.io/v1:Gateway", `${namespace}-gw-${name}`, { metadata: { name, namespace, annotations: { "gateway.istio.io/service-account": account } }, spec: { gatewayClassName, listeners: [] } });
  const waypoint = renamed("tools", "waypoint", "istio-waypoint", "tools-waypoint");
  const ingress = renamed("inference", "inference-gateway", "istio", "ingress-proxy");
  // Istio 1.30.3 deploymentcontroller.go: the annotation, when not empty, is the ServiceAccount the proxy runs under.
  assert.deepEqual([...gatewayProxyIdentities([waypoint, ingress, gw("agents", "agent-gateway", "agentgateway")])].sort(), ["agents/agent-gateway", "inference/ingress-proxy", "tools/tools-waypoint"]);
  assert.deepEqual((await runStack(authorizationPrincipalsKnown, [istiod, waypoint, ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/tools-waypoint"))])).violations, []);
  // The default name no longer is anybody's: a policy naming it admits nobody.
  const stale = await runStack(authorizationPrincipalsKnown, [istiod, waypoint, ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/waypoint"))]);
  assert.deepEqual(stale.violations.map((v) => v.message), ["AuthorizationPolicy tools/calculator: principal cluster.local/ns/tools/sa/waypoint names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)"]);
  // An empty annotation leaves the default name; agentgateway's own controller ignores Istio's annotation.
  assert.deepEqual([...gatewayProxyIdentities([renamed("tools", "waypoint", "istio-waypoint", ""), renamed("agents", "agent-gateway", "agentgateway", "x")])].sort(), ["agents/agent-gateway", "tools/waypoint"]);
  // Annotations not known yet: whether the default name is the proxy's is can't judge, not a violation.
  const unknown = await runStack(authorizationPrincipalsKnown, [istiod, on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "wp", { metadata: { name: "waypoint", namespace: "tools", annotations: UNKNOWN }, spec: { gatewayClassName: "istio-waypoint", listeners: [] } }), ap("tools", "calculator", allowFrom("cluster.local/ns/tools/sa/waypoint"))]);
  assert.deepEqual(unknown.violations, []);
  assert.match(unknown.unknown[0], /whether tools\/waypoint, named by AuthorizationPolicy tools\/calculator, is the proxy of a Gateway whose class or proxy ServiceAccount is not known yet/);
  // The topology's who-may-call-whom names the same identity.
  const ids = meshIdentities([{ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "waypoint", namespace: "tools", annotations: { "gateway.istio.io/service-account": "tools-waypoint" } }, spec: { gatewayClassName: "istio-waypoint" } }] as any);
  assert.deepEqual([...ids.keys()], ["tools/tools-waypoint"]);
});

test("authorization-principals-known: a null rule or source in one policy (a hand-edited state) hides no principal of the policies after it", async () => {
  const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { profile: "ambient", meshConfig: { trustDomain: "cluster.local" } } });
  const broken = ap("inference", "broken", { action: "ALLOW", rules: [null, { from: [null, { source: { principals: ["cluster.local/ns/agents/sa/research-agent-v1"] } }] }] });
  const typo = ap("inference", "callers", allowFrom("cluster.local/ns/agents/sa/research-agnet-v1"));
  const r = await runStack(authorizationPrincipalsKnown, [istiod, sa("agents", "research-agent-v1"), broken, typo]);
  assert.equal(r.violations.length, 1, r.violations.map((v) => v.message).join("\n"));
  assert.match(r.violations[0].message, /AuthorizationPolicy inference\/callers: principal cluster\.local\/ns\/agents\/sa\/research-agnet-v1 names no ServiceAccount/);
});

// Waypoints and gateways read a principal's trust domain as istiod's Envoy builder rewrites it
// (Istio 1.30.3 trustdomain/bundle.go ReplaceTrustDomainAliases: cluster.local and each
// meshConfig.trustDomainAliases entry stand for the mesh's trust domain and its aliases); ztunnel
// gets the principal as written (ambient/authorization.go stringToMatch) and matches it literally.
test("authorization-principals-known: cluster.local and trust domain aliases are the mesh's at a waypoint (targetRefs), not at ztunnel (selector)", async () => {
  const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { profile: "ambient", meshConfig: { trustDomain: "prod.example", trustDomainAliases: ["old.example"] } } });
  const base = [istiod, sa("agents", "research-agent-v1"), gw("tools", "waypoint", "istio-waypoint")];
  const principals = ["cluster.local/ns/agents/sa/research-agent-v1", "old.example/ns/agents/sa/research-agent-v1", "prod.example/ns/agents/sa/research-agent-v1"];
  const atWaypoint = await runStack(authorizationPrincipalsKnown, [...base, ap("tools", "callers", { ...allowFrom(...principals), targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }] })]);
  assert.deepEqual(atWaypoint.violations, []);
  const atZtunnel = await runStack(authorizationPrincipalsKnown, [...base, ap("tools", "callers", { ...allowFrom(...principals), selector: { matchLabels: { app: "calculator" } } })]);
  assert.deepEqual(atZtunnel.violations.map((v) => v.message), [
    "AuthorizationPolicy tools/callers: principal cluster.local/ns/agents/sa/research-agent-v1 is outside the mesh trust domain (prod.example): ztunnel, which enforces this policy (it has no targetRefs), matches it as written, while istiod reads cluster.local and trust domain aliases as the mesh's only for waypoints and gateways",
    "AuthorizationPolicy tools/callers: principal old.example/ns/agents/sa/research-agent-v1 is outside the mesh trust domain (prod.example): ztunnel, which enforces this policy (it has no targetRefs), matches it as written, while istiod reads cluster.local and trust domain aliases as the mesh's only for waypoints and gateways",
  ]);
  // Another trust domain is outside wherever the policy binds.
  const foreign = await runStack(authorizationPrincipalsKnown, [...base, ap("tools", "callers", { ...allowFrom("corp.example/ns/agents/sa/research-agent-v1"), targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }] })]);
  assert.match(foreign.violations[0]?.message ?? "", /principal corp\.example\/ns\/agents\/sa\/research-agent-v1 is outside the mesh trust domain \(prod\.example\)$/);
});
