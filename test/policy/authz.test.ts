import { test } from "node:test";
import * as assert from "node:assert/strict";
import { workloadNamespacesAuthorized } from "../../policy/rules/workload-namespaces-authorized";
import { authorizationSourcesRestricted } from "../../policy/rules/authorization-sources-restricted";
import { authorizationPrincipalsKnown } from "../../policy/rules/authorization-principals-known";
import { l7AuthorizationTargetRefs } from "../../policy/rules/l7-authorization-target-refs";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { gatewayProxyIdentities } from "../../policy/lib/authz";
import { celIdentityBound } from "../../policy/lib/cel";
import { proxyServiceAccount } from "../../components/agents/callgraph";
import { meshIdentities } from "../../scripts/lib/topology-access";
import { k8sProvider, runResource, runStack, stackResource, UNKNOWN } from "../support/policy";

const AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
const on = (type: string, name: string, props: Record<string, unknown>, cluster = "a") => stackResource({ type, name: `${cluster}-${name}`, props, provider: k8sProvider(cluster) });
const ns = (name: string, cluster = "a") => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name } }, cluster);
const deploy = (namespace: string, name: string, cluster = "a") => on("kubernetes:apps/v1:Deployment", `${namespace}-${name}`, { metadata: { name, namespace }, spec: { template: { spec: { containers: [] } } } }, cluster);
const sa = (namespace: string, name: string, cluster = "a") => on("kubernetes:core/v1:ServiceAccount", `${namespace}-sa-${name}`, { metadata: { name, namespace } }, cluster);
const ap = (namespace: string, name: string, spec: Record<string, unknown>, cluster = "a") => on(AP, `${namespace}-ap-${name}`, { metadata: { name, namespace }, spec }, cluster);
const gw = (namespace: string, name: string, gatewayClassName: string) => on("kubernetes:gateway.networking.k8s.io/v1:Gateway", `${namespace}-gw-${name}`, { metadata: { name, namespace }, spec: { gatewayClassName, listeners: [] } });
const allowFrom = (...principals: string[]) => ({ action: "ALLOW", rules: [{ from: [{ source: { principals } }] }] });

test("workload-namespaces-authorized: a namespace running workloads needs an ALLOW policy", async () => {
  const covered = await runStack(workloadNamespacesAuthorized, [ns("inference"), deploy("inference", "vllm"), ap("inference", "vllm", allowFrom("cluster.local/ns/inference/sa/gw")), ns("tools")]);
  assert.deepEqual(covered.violations, []);
  const open = await runStack(workloadNamespacesAuthorized, [ns("inference"), deploy("inference", "vllm"), ap("inference", "deny", { action: "DENY", rules: [{}] })], null);
  assert.equal(open.violations.length, 1);
  assert.match(open.violations[0].message, /namespace inference on cluster a runs 1 workload\(s\) but has no ALLOW/);
  // Coverage is per cluster: a policy on cluster a does not cover cluster b.
  const otherCluster = await runStack(workloadNamespacesAuthorized, [ns("agents", "b"), deploy("agents", "bot", "b"), ap("agents", "bot", allowFrom("x/ns/y/sa/z"), "a")]);
  assert.equal(otherCluster.violations.length, 1);
  // A mesh-wide ALLOW policy in the root namespace covers every namespace.
  const meshWide = await runStack(workloadNamespacesAuthorized, [ns("agents"), deploy("agents", "bot"), ap("istio-system", "global", allowFrom("cluster.local/ns/agents/sa/bot"))]);
  assert.deepEqual(meshWide.violations, []);
  // Policies bound through targetRefs are the waypoint's or gateway's: ztunnel leaves the pods open.
  const viaTargetRefs = await runStack(workloadNamespacesAuthorized, [
    ns("inference"),
    deploy("inference", "vllm"),
    ap("inference", "gw-callers", { ...allowFrom("cluster.local/ns/agents/sa/bot"), targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway" }] }),
    ap("inference", "svc-callers", { ...allowFrom("cluster.local/ns/agents/sa/bot"), targetRef: { group: "", kind: "Service", name: "vllm" } }),
  ]);
  assert.equal(viaTargetRefs.violations.length, 1);
  assert.match(viaTargetRefs.violations[0].message, /no ALLOW AuthorizationPolicy bound by selector or namespace/);
  // Per workload: a second Deployment no policy selects is open even though its namespace has policies.
  const labelled = (name: string, labels: Record<string, string>) =>
    on("kubernetes:apps/v1:Deployment", `inference-${name}`, { metadata: { name, namespace: "inference" }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } });
  const selectorPolicy = ap("inference", "vllm", { ...allowFrom("cluster.local/ns/inference/sa/gw"), selector: { matchLabels: { app: "vllm" } } });
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [ns("inference"), labelled("vllm", { app: "vllm" }), selectorPolicy])).violations, []);
  const uncovered = await runStack(workloadNamespacesAuthorized, [ns("inference"), labelled("vllm", { app: "vllm" }), labelled("epp", { app: "epp" }), selectorPolicy]);
  assert.deepEqual(uncovered.violations.map((v) => v.message), ["Deployment inference/epp on cluster a is selected by no ALLOW AuthorizationPolicy: its pods admit every mesh identity"]);
});

test("authorization-sources-restricted: ALLOW rules name their callers", async () => {
  // Without rules an ALLOW policy never matches (Istio's allow-nothing `spec: {}`): deny-all, not open.
  const ok = await runStack(authorizationSourcesRestricted, [
    ap("inference", "vllm", allowFrom("cluster.local/ns/inference/sa/gw")),
    ap("inference", "allow-nothing", {}),
    ap("inference", "deny-all", { action: "ALLOW", rules: [] }),
    ap("inference", "deny", { action: "DENY", rules: [{}] }),
  ]);
  assert.deepEqual(ok.violations, []);
  const open = await runStack(authorizationSourcesRestricted, [
    ap("inference", "no-from", { rules: [{ to: [{ operation: { ports: ["8000"] } }] }] }),
    ap("inference", "star", allowFrom("*")),
    ap("inference", "td-wide", allowFrom("cluster.local/*")),
    ap("inference", "any-ip", { rules: [{ from: [{ source: { ipBlocks: ["0.0.0.0/0"] } }] }] }),
    ap("inference", "only-not", { rules: [{ from: [{ source: { notNamespaces: ["kube-system"] } }] }] }),
  ]);
  assert.equal(open.violations.length, 5, JSON.stringify(open.violations, null, 1));
  assert.match(open.violations.map((v) => v.message).join("\n"), /ALLOW without from: every caller is allowed/);
});

test("authorization-sources-restricted: callers are named by principal, not only by namespace or address", async () => {
  const byPlace = [
    ap("tools", "from-ns", { rules: [{ from: [{ source: { namespaces: ["inference"] } }] }] }),
    ap("tools", "from-range", { rules: [{ from: [{ source: { ipBlocks: ["10.42.0.0/16"] } }] }] }),
  ];
  const strict = await runStack(authorizationSourcesRestricted, byPlace);
  assert.equal(strict.violations.length, 2);
  assert.match(strict.violations[0].message, /callers are named only by namespaces, which admits every workload there/);
  assert.deepEqual((await runStack(authorizationSourcesRestricted, byPlace, { requirePrincipals: false })).violations, []);
  // A namespace narrowing a principal list is fine.
  const narrowed = await runStack(authorizationSourcesRestricted, [ap("tools", "both", { rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/bot"], namespaces: ["agents"] } }] }] })]);
  assert.deepEqual(narrowed.violations, []);
  // Source fields are ANDed: a wildcard namespace beside a named principal admits only the principal.
  const anded = await runStack(authorizationSourcesRestricted, [ap("tools", "and", { rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/bot"], namespaces: ["*"] } }] }] })]);
  assert.deepEqual(anded.violations, []);
  const bothOpen = await runStack(authorizationSourcesRestricted, [ap("tools", "open", { rules: [{ from: [{ source: { principals: ["*"], ipBlocks: ["0.0.0.0/0"] } }] }] })]);
  assert.match(bothOpen.violations[0].message, /principals "\*" matches every caller and ipBlocks 0\.0\.0\.0\/0 matches every address/);
});

// Istio 1.30.3 ANDs a source's fields and ORs a field's values (ztunnel: authorization.go builds one
// Match per source; `*` is a presence match): a wildcard principal beside a namespace or address
// bounds nothing, so the source is that namespace or range, which namespaces alone already fails.
test("authorization-sources-restricted: a wildcard principal ANDed with namespaces or addresses names callers by place", async () => {
  const wildcardBeside = [
    ap("tools", "star-ns", { rules: [{ from: [{ source: { principals: ["*"], namespaces: ["agents"] } }] }] }),
    ap("tools", "td-range", { rules: [{ from: [{ source: { principals: ["cluster.local/*"], ipBlocks: ["10.42.0.0/16"] } }] }] }),
    ap("tools", "one-of-two", { rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/bot", "*/sa/default"], namespaces: ["agents"] } }] }] }),
  ];
  const strict = await runStack(authorizationSourcesRestricted, wildcardBeside);
  assert.deepEqual(strict.violations.map((v) => v.message), [
    'AuthorizationPolicy tools/star-ns rule 0 from 0: principals "*" matches every identity, so callers are named only by namespaces, which admits every workload there; name their principals (ServiceAccounts)',
    'AuthorizationPolicy tools/td-range rule 0 from 0: principals "cluster.local/*" matches every identity in every namespace (trust domain cluster.local), so callers are named only by ipBlocks, which admits every workload there; name their principals (ServiceAccounts)',
    'AuthorizationPolicy tools/one-of-two rule 0 from 0: principals "*/sa/default" matches ServiceAccount default in every namespace (every trust domain), so callers are named only by namespaces, which admits every workload there; name their principals (ServiceAccounts)',
  ]);
  assert.deepEqual((await runStack(authorizationSourcesRestricted, wildcardBeside, { requirePrincipals: false })).violations, []);
  // Named principals (one ServiceAccount, in any trust domain too) beside a namespace stay identities.
  const named = ap("tools", "named", { rules: [{ from: [{ source: { principals: ["*/ns/agents/sa/bot", "cluster.local/ns/agents/sa/x"], namespaces: ["agents"] } }] }] });
  assert.deepEqual((await runStack(authorizationSourcesRestricted, [named])).violations, []);
});

test("authorization-sources-restricted: only ingress Gateways may admit unauthenticated external clients", async () => {
  const ingress = { action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway" }], rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }] };
  const onIngress = await runStack(authorizationSourcesRestricted, [gw("inference", "inference-gateway", "istio"), ap("inference", "callers", ingress)]);
  assert.deepEqual(onIngress.violations, []);
  const onWaypoint = await runStack(authorizationSourcesRestricted, [
    gw("inference", "inference-gateway", "istio-waypoint"),
    ap("inference", "callers", ingress),
  ]);
  assert.equal(onWaypoint.violations.length, 1);
  const onWorkload = await runStack(authorizationSourcesRestricted, [ap("inference", "callers", { action: "ALLOW", selector: { matchLabels: { app: "x" } }, rules: ingress.rules })]);
  assert.equal(onWorkload.violations.length, 1);
});

test("authorization-principals-known: principals name rendered ServiceAccounts in the trust domain", async () => {
  const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { meshConfig: { trustDomain: "cluster.local" } } });
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

test("authorization-principals-known: a policy bound only to an Istio ingress Gateway names no mesh identities (ambient callers arrive without one)", async () => {
  const base = [sa("agents", "research-agent-v1"), gw("inference", "inference-gateway", "istio"), gw("agents", "agent-gateway", "agentgateway"), gw("agents", "waypoint", "istio-waypoint")];
  const toGateway = (name: string, source: Record<string, unknown>) => ({ action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name }], rules: [{ from: [{ source }] }] });
  const identityLess = await runStack(authorizationPrincipalsKnown, [...base, ap("inference", "callers", toGateway("inference-gateway", { notPrincipals: ["*"] }))]);
  assert.deepEqual(identityLess.violations, []);
  for (const source of [{ principals: ["cluster.local/ns/agents/sa/research-agent-v1"] }, { namespaces: ["agents"] }, { serviceAccounts: ["agents/research-agent-v1"] }]) {
    const byIdentity = await runStack(authorizationPrincipalsKnown, [...base, ap("inference", "callers", toGateway("inference-gateway", source))]);
    assert.equal(byIdentity.violations.length, 1, JSON.stringify(source));
    assert.match(byIdentity.violations[0].message, /rule 0: names callers by (principals|namespaces|serviceAccounts), but it binds only Gateway inference-gateway \(class istio\).*never matches them/);
  }
  // Waypoints and agentgateway read the caller's HBONE identity: principals there are fine.
  const waypoint = await runStack(authorizationPrincipalsKnown, [...base, ap("agents", "callers", toGateway("waypoint", { principals: ["cluster.local/ns/agents/sa/research-agent-v1"] }))]);
  assert.deepEqual(waypoint.violations, []);
  const agw = await runStack(authorizationPrincipalsKnown, [...base, ap("agents", "callers", toGateway("agent-gateway", { principals: ["cluster.local/ns/agents/sa/research-agent-v1"] }))]);
  assert.deepEqual(agw.violations, []);
});

test("l7-authorization-target-refs: L7 rules attach through targetRefs", async () => {
  const l7 = { rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/a"] } }], to: [{ operation: { methods: ["POST"], paths: ["/v1/*"] } }] }] };
  const ok = await runResource(l7AuthorizationTargetRefs, [
    { type: AP, props: { metadata: { name: "l7", namespace: "tools" }, spec: { ...l7, targetRefs: [{ kind: "Service", group: "", name: "calc" }] } } },
    { type: AP, props: { metadata: { name: "l4", namespace: "tools" }, spec: { selector: { matchLabels: { app: "calc" } }, rules: [{ from: l7.rules[0].from, to: [{ operation: { ports: ["8000"] } }] }] } } },
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(l7AuthorizationTargetRefs, [
    { type: AP, props: { metadata: { name: "l7", namespace: "tools" }, spec: { ...l7, selector: { matchLabels: { app: "calc" } } } } },
    { type: AP, props: { metadata: { name: "when", namespace: "tools" }, spec: { rules: [{ when: [{ key: "request.headers[x-tenant]", values: ["a"] }] }] } } },
  ]);
  assert.equal(bad.violations.length, 2);
  assert.match(bad.violations[0].message, /uses to\.operation\.paths, to\.operation\.methods but attaches through a selector/);
  assert.match(bad.violations[1].message, /when request\.headers\[x-tenant\] but attaches namespace-wide/);
});

test("agent-call-graph: only the agent gateway calls agents, only agents call tools", async () => {
  const fleet = [
    gw("agents", "agent-gateway", "agentgateway"),
    gw("tools", "waypoint", "istio-waypoint"),
    sa("agents", "research-agent-v1"),
    sa("inference", "vllm"),
  ];
  const td = "cluster.local";
  const ok = await runStack(agentCallGraph, [
    ...fleet,
    ap("agents", "research-agent-v1", allowFrom(`${td}/ns/agents/sa/agent-gateway`)),
    ap("tools", "web-search", allowFrom(`${td}/ns/agents/sa/research-agent-v1`, `${td}/ns/tools/sa/waypoint`)),
    // Ingress policies on the gateway itself are about external clients, not the call graph.
    ap("agents", "gateway-callers", { action: "ALLOW", targetRefs: [{ kind: "Gateway", name: "agent-gateway" }], rules: [{ from: [{ source: { principals: [`${td}/ns/inference/sa/vllm`] } }] }] }),
    ap("tools", "deny-vllm", { action: "DENY", rules: [{ from: [{ source: { principals: [`${td}/ns/inference/sa/vllm`] } }] }] }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runStack(agentCallGraph, [
    ...fleet,
    ap("agents", "research-agent-v1", allowFrom(`${td}/ns/inference/sa/vllm`)),
    ap("tools", "web-search", allowFrom(`${td}/ns/agents/sa/agent-gateway`, `${td}/ns/inference/sa/vllm`)),
  ]);
  const messages = bad.violations.map((v) => v.message);
  assert.deepEqual(messages, [
    "AuthorizationPolicy agents/research-agent-v1 admits cluster.local/ns/inference/sa/vllm: only the agent gateway (agents/agent-gateway) may call agents",
    "AuthorizationPolicy tools/web-search admits cluster.local/ns/agents/sa/agent-gateway: only agents may call tools (the agent gateway is not an agent)",
    "AuthorizationPolicy tools/web-search admits cluster.local/ns/inference/sa/vllm: only agents may call tools",
  ]);
  const allowed = await runStack(agentCallGraph, [...fleet, ap("tools", "web-search", allowFrom(`${td}/ns/batch/sa/indexer`))], { extraCallers: { tools: ["batch/indexer"] } });
  assert.deepEqual(allowed.violations, []);
  // A policy bound to the tools' waypoint is enforced for the tools behind it.
  const viaWaypoint = await runStack(agentCallGraph, [
    ...fleet,
    ap("tools", "waypoint-callers", { action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }], rules: [{ from: [{ source: { principals: [`${td}/ns/inference/sa/vllm`] } }] }] }),
  ]);
  assert.deepEqual(viaWaypoint.violations.map((v) => v.message), ["AuthorizationPolicy tools/waypoint-callers admits cluster.local/ns/inference/sa/vllm: only agents may call tools"]);
  // A root-namespace ALLOW policy binds every namespace: letting the agent gateway in there lets it reach the tools.
  const root = await runStack(agentCallGraph, [...fleet, ap("istio-system", "everyone", allowFrom(`${td}/ns/agents/sa/agent-gateway`))]);
  assert.deepEqual(root.violations.map((v) => v.message), [
    "AuthorizationPolicy istio-system/everyone admits cluster.local/ns/agents/sa/agent-gateway (policies in istio-system apply in tools too): only agents may call tools (the agent gateway is not an agent)",
  ]);
});

test("l7-authorization-target-refs: when keys ztunnel cannot evaluate and remote IP blocks are L7 too", async () => {
  const sel = (rule: Record<string, unknown>) => ({ type: AP, props: { metadata: { name: "x", namespace: "agents" }, spec: { selector: { matchLabels: { app: "a" } }, rules: [rule] } } });
  const l4 = await runResource(l7AuthorizationTargetRefs, [sel({ when: [{ key: "source.ip", values: ["10.0.0.1"] }] }), sel({ when: [{ key: "destination.port", values: ["8080"] }] })]);
  assert.deepEqual(l4.violations, []);
  const l7 = await runResource(l7AuthorizationTargetRefs, [
    sel({ when: [{ key: "connection.sni", values: ["x"] }] }),
    sel({ when: [{ key: "remote.ip", values: ["1.2.3.4"] }] }),
    sel({ from: [{ source: { remoteIpBlocks: ["10.0.0.0/8"] } }] }),
  ]);
  assert.equal(l7.violations.length, 3);
});

test("Istio 1.30 serviceAccounts sources are identities: known, restricted, and part of the call graph", async () => {
  const fleet = [gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1"), sa("inference", "vllm")];
  const bySa = (namespace: string, serviceAccounts: string[]) => ap(namespace, `sa-${serviceAccounts.join("-").replace(/\W/g, "")}`, { action: "ALLOW", rules: [{ from: [{ source: { serviceAccounts } }] }] });
  assert.deepEqual((await runStack(authorizationSourcesRestricted, [...fleet, bySa("agents", ["agents/agent-gateway"])])).violations, [], "a named ServiceAccount restricts the source");
  const ghost = await runStack(authorizationPrincipalsKnown, [...fleet, bySa("agents", ["ghost"])]);
  assert.match(ghost.violations[0].message, /serviceAccounts entry "ghost" names no ServiceAccount/);
  const breach = await runStack(agentCallGraph, [...fleet, bySa("agents", ["inference/vllm"])]);
  assert.match(breach.violations[0].message, /admits serviceAccount inference\/vllm: only the agent gateway \(agents\/agent-gateway\) may call agents/);
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

// The agent call graph through proxies: the agent gateway the config names, waypoints and the MCP
// gateway count as callers only while what they let through is itself in the graph.
const td = "cluster.local";
const principal = (id: string) => `${td}/ns/${id.split("/")[0]}/sa/${id.split("/")[1]}`;
const labelledNs = (name: string, labels: Record<string, string>) => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name, labels } });
const pods = (namespace: string, name: string, labels: Record<string, string>) =>
  on("kubernetes:apps/v1:Deployment", `${namespace}-deploy-${name}`, { metadata: { name, namespace }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } });
const svc = (namespace: string, name: string, selector: Record<string, string>, labels: Record<string, string> = {}) =>
  on("kubernetes:core/v1:Service", `${namespace}-svc-${name}`, { metadata: { name, namespace, labels }, spec: { selector, ports: [{ port: 8000 }] } });
const selectorAllow = (namespace: string, name: string, matchLabels: Record<string, string>, ...callers: string[]) =>
  ap(namespace, name, { ...allowFrom(...callers.map(principal)), selector: { matchLabels } });
const serviceAllow = (namespace: string, name: string, service: string, ...callers: string[]) =>
  ap(namespace, name, { ...allowFrom(...callers.map(principal)), targetRefs: [{ group: "", kind: "Service", name: service }] });
const agwPolicy = (namespace: string, name: string, spec: Record<string, unknown>) =>
  on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", `${namespace}-agpol-${name}`, { metadata: { name, namespace }, spec });
const agwAuthz = (target: { kind: string; name: string }, matchExpressions: string[], action = "Allow") => ({
  targetRefs: [{ group: "gateway.networking.k8s.io", ...target }],
  traffic: { authorization: { action, policy: { matchExpressions } } },
});
const agentsCel = '(source.identity.trustDomain == "cluster.local" && source.identity.namespace == "agents" && source.identity.serviceAccount in ["research-agent-v1"])';

test("agent-call-graph: agents admit only the agent gateway the config names", async () => {
  const base = [gw("agents", "agent-gateway", "agentgateway"), gw("agents", "partner-gateway", "agentgateway")];
  const viaOther = await runStack(agentCallGraph, [...base, ap("agents", "bot", allowFrom(principal("agents/partner-gateway")))]);
  assert.deepEqual(viaOther.violations.map((v) => v.message), [
    "AuthorizationPolicy agents/bot admits cluster.local/ns/agents/sa/partner-gateway: only the agent gateway (agents/agent-gateway) may call agents",
  ]);
  const configured = await runStack(agentCallGraph, [...base, ap("agents", "bot", allowFrom(principal("agents/partner-gateway")))], { agentGateway: "agents/partner-gateway" });
  assert.deepEqual(configured.violations, []);
});

test("agent-call-graph: a waypoint's identity counts only while an ALLOW policy guards every enrolled Service behind it", async () => {
  const agentPods = { app: "bot" };
  const fleet = [
    labelledNs("agents", { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" }),
    gw("agents", "agent-gateway", "agentgateway"),
    gw("agents", "waypoint", "istio-waypoint"),
    pods("agents", "bot", agentPods),
    svc("agents", "bot", agentPods),
    sa("inference", "vllm"),
  ];
  const admitsWaypoint = selectorAllow("agents", "bot", agentPods, "agents/agent-gateway", "agents/waypoint");
  // Istio ambient: a waypoint with no ALLOW policy for the Service lets every mesh workload through.
  const open = await runStack(agentCallGraph, [...fleet, admitsWaypoint]);
  assert.equal(open.violations.length, 1);
  assert.match(
    open.violations[0].message,
    /^AuthorizationPolicy agents\/bot admits cluster\.local\/ns\/agents\/sa\/waypoint: only the agent gateway \(agents\/agent-gateway\) may call agents: waypoint agents\/waypoint .*no ALLOW AuthorizationPolicy bound to the waypoint or to Service agents\/bot \(enrolled with it\)/,
  );
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, admitsWaypoint, serviceAllow("agents", "bot-l7", "bot", "agents/agent-gateway")])).violations, []);
  const toWaypoint = ap("agents", "waypoint-callers", { ...allowFrom(principal("agents/agent-gateway")), targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }] });
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, admitsWaypoint, toWaypoint])).violations, []);
  // A guard that lets others in guards nothing (and is reported itself).
  const leaky = await runStack(agentCallGraph, [...fleet, admitsWaypoint, serviceAllow("agents", "bot-l7", "bot", "inference/vllm")]);
  assert.deepEqual(leaky.violations.map((v) => v.message.split(":")[0]).sort(), ["AuthorizationPolicy agents/bot admits cluster.local/ns/agents/sa/waypoint", "AuthorizationPolicy agents/bot-l7 admits cluster.local/ns/inference/sa/vllm"]);
  // A Service opted out of the waypoint never sends traffic through it.
  const optedOut = [...fleet.filter((r) => !r.urn.endsWith("agents-svc-bot")), svc("agents", "bot", agentPods, { "istio.io/use-waypoint": "none" })];
  assert.deepEqual((await runStack(agentCallGraph, [...optedOut, admitsWaypoint])).violations, []);
});

test("agent-call-graph: tools trust their waypoint only behind a targetRefs ALLOW per tool Service that exists", async () => {
  const calc = { app: "calculator" };
  const fleet = [
    labelledNs("tools", { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" }),
    gw("tools", "waypoint", "istio-waypoint"),
    pods("tools", "calculator", calc),
    svc("tools", "calculator", calc),
    sa("agents", "research-agent-v1"),
  ];
  const ztunnel = selectorAllow("tools", "calculator", calc, "tools/waypoint");
  const ok = await runStack(agentCallGraph, [...fleet, ztunnel, serviceAllow("tools", "calculator-agents", "calculator", "agents/research-agent-v1")]);
  assert.deepEqual(ok.violations, []);
  const missing = await runStack(agentCallGraph, [...fleet, ztunnel]);
  assert.match(missing.violations[0].message, /admits cluster\.local\/ns\/tools\/sa\/waypoint: only agents may call tools: waypoint tools\/waypoint .*Service tools\/calculator/);
  const typo = await runStack(agentCallGraph, [...fleet, ztunnel, serviceAllow("tools", "calculator-agents", "calculater", "agents/research-agent-v1")]);
  assert.equal(typo.violations.length, 1);
  assert.match(typo.violations[0].message, /tools\/calculator-agents binds Service calculater, which does not exist/);
  // The guard's callers must be agents: the agent gateway is not one.
  const gatewayGuard = await runStack(agentCallGraph, [...fleet, ztunnel, serviceAllow("tools", "calculator-agents", "calculator", "agents/agent-gateway"), gw("agents", "agent-gateway", "agentgateway")]);
  assert.equal(gatewayGuard.violations.length, 2);
  // Preview: a Service whose selector is not known yet may or may not sit in front of the pods: can't judge, no crash.
  const unknownSvc = on("kubernetes:core/v1:Service", "tools-svc-calculator", { metadata: { name: "calculator", namespace: "tools" }, spec: UNKNOWN });
  const preview = await runStack(agentCallGraph, [...fleet.filter((r) => !r.urn.endsWith("tools-svc-calculator")), unknownSvc, ztunnel]);
  assert.deepEqual(preview.violations, []);
  assert.equal(preview.unknown.length, 1);
});

test("agent-call-graph: tools trust the MCP gateway only while its agentgateway authorization admits agents alone", async () => {
  const fleet = [gw("tools", "mcp-gateway", "agentgateway"), gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1")];
  const ztunnel = ap("tools", "calculator", allowFrom(principal("tools/mcp-gateway")));
  const callers = agwPolicy("tools", "mcp-gateway-callers", agwAuthz({ kind: "Gateway", name: "mcp-gateway" }, [agentsCel]));
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, ztunnel, callers])).violations, []);
  const none = await runStack(agentCallGraph, [...fleet, ztunnel]);
  assert.deepEqual(none.violations.map((v) => v.message), [
    "AuthorizationPolicy tools/calculator admits cluster.local/ns/tools/sa/mcp-gateway: only agents may call tools: no AgentgatewayPolicy with traffic.authorization targets Gateway tools/mcp-gateway to restrict its callers to agent identities (source.identity namespace and serviceAccount), so every mesh workload reaches the tools through it",
  ]);
  // Each matchExpression is its own Allow rule and any matching one allows: one open expression opens the gateway.
  for (const extra of ["true", 'source.identity.namespace == "agents"', `${agentsCel} || true`, 'source.identity.serviceAccount == "agent-gateway" && source.identity.namespace == "agents"']) {
    const opened = await runStack(agentCallGraph, [...fleet, ztunnel, agwPolicy("tools", "mcp-gateway-callers", agwAuthz({ kind: "Gateway", name: "mcp-gateway" }, [agentsCel, extra]))]);
    assert.equal(opened.violations.length, 1, extra);
    assert.match(opened.violations[0].message, /AgentgatewayPolicy tools\/mcp-gateway-callers allows .* which does not restrict callers to agent identities/);
  }
  // Policies on the routes attached to the gateway merge with the gateway's.
  const route = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "tools-route-mcp", { metadata: { name: "mcp", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [] } });
  const onRoute = agwPolicy("tools", "route-open", agwAuthz({ kind: "HTTPRoute", name: "mcp" }, ['source.identity.namespace == "inference"']));
  const viaRoute = await runStack(agentCallGraph, [...fleet, ztunnel, callers, route, onRoute]);
  assert.match(viaRoute.violations[0].message, /AgentgatewayPolicy tools\/route-open allows/);
  // A Require rule pinning the caller to agents holds whatever the Allow rules say.
  const required = agwPolicy("tools", "agents-required", agwAuthz({ kind: "Gateway", name: "mcp-gateway" }, [agentsCel], "Require"));
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, ztunnel, required, route, onRoute])).violations, []);
  // An agentgateway proxy elsewhere, or an Istio gateway in tools, is not the MCP gateway.
  const sideDoor = await runStack(agentCallGraph, [...fleet, gw("tools", "side-door", "istio"), ap("tools", "calculator", allowFrom(principal("tools/side-door-istio")))]);
  assert.deepEqual(sideDoor.violations.map((v) => v.message), [
    "AuthorizationPolicy tools/calculator admits cluster.local/ns/tools/sa/side-door-istio: only agents may call tools (tools/side-door-istio is the proxy of Gateway tools/side-door, class istio, not an agent)",
  ]);
});

test("agent-call-graph: sources naming namespaces, trust domains or addresses are callers only when extraCallers lists them", async () => {
  const byNamespace = ap("tools", "calculator", { action: "ALLOW", rules: [{ from: [{ source: { namespaces: ["inference"] } }] }] });
  const breach = await runStack(agentCallGraph, [byNamespace]);
  assert.deepEqual(breach.violations.map((v) => v.message), [
    'AuthorizationPolicy tools/calculator admits namespaces inference: only agents may call tools, and a source naming callers by namespace, trust domain, address or request principal admits every workload there, not identities the call graph knows; name principals, or list "namespaces:inference" in extraCallers.tools',
  ]);
  assert.deepEqual((await runStack(agentCallGraph, [byNamespace], { extraCallers: { tools: ["namespaces:inference"] } })).violations, []);
  // Fields are ANDed: one listed field bounds the source.
  const anded = ap("tools", "calculator", { action: "ALLOW", rules: [{ from: [{ source: { namespaces: ["inference"], ipBlocks: ["10.42.0.0/16"] } }] }] });
  assert.deepEqual((await runStack(agentCallGraph, [anded], { extraCallers: { tools: ["ipBlocks:10.42.0.0/16"] } })).violations, []);
  const anyone = await runStack(agentCallGraph, [ap("agents", "bot", { action: "ALLOW", rules: [{ to: [{ operation: { ports: ["8080"] } }] }] })]);
  assert.match(anyone.violations[0].message, /admits every caller \(a rule without from\): only the agent gateway \(agents\/agent-gateway\) may call agents, and this admits everyone/);
  // A wildcard principal beside a namespace admits that namespace: a place, whatever requirePrincipals says.
  const starInNamespace = await runStack(agentCallGraph, [ap("tools", "calculator", { action: "ALLOW", rules: [{ from: [{ source: { principals: ["*"], namespaces: ["inference"] } }] }] })]);
  assert.match(starInNamespace.violations[0].message, /AuthorizationPolicy tools\/calculator admits namespaces inference: only agents may call tools/);
  assert.deepEqual((await runStack(agentCallGraph, [ap("tools", "calculator", { action: "ALLOW", rules: [{ from: [{ source: { principals: ["*"], namespaces: ["inference"] } }] }] })], { extraCallers: { tools: ["namespaces:inference"] } })).violations, []);
  // A wildcard ServiceAccount of the agents' namespace matches the agent gateway too.
  const wildcard = await runStack(agentCallGraph, [ap("tools", "calculator", allowFrom(`${td}/ns/agents/sa/*`))]);
  assert.match(wildcard.violations[0].message, /a wildcard identity matches workloads the call graph does not allow/);
});

test("agent-call-graph: a root-namespace policy with a selector is judged where it selects workloads", async () => {
  const fleet = [gw("agents", "agent-gateway", "agentgateway"), pods("agents", "bot", { app: "bot" }), pods("tools", "calculator", { app: "calculator" })];
  const rooted = (app: string) => selectorAllow("istio-system", `only-${app}`, { app }, "agents/agent-gateway");
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, rooted("bot")])).violations, []);
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, rooted("calculator")])).violations.map((v) => v.message), [
    "AuthorizationPolicy istio-system/only-calculator admits cluster.local/ns/agents/sa/agent-gateway (policies in istio-system apply in tools too): only agents may call tools (the agent gateway is not an agent)",
  ]);
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, rooted("nothing")])).violations, []);
});

test("celIdentityBound: the identities an agentgateway CEL expression can match at most", () => {
  const ids = (e: string) => { const s = celIdentityBound(e); return s && [...s].sort(); };
  assert.deepEqual(ids(agentsCel), ["agents/research-agent-v1"]);
  assert.deepEqual(ids(`${agentsCel} || (source.identity.namespace == 'batch' && source.identity.serviceAccount == 'indexer' && mcp.tool.target == "calc")`), ["agents/research-agent-v1", "batch/indexer"]);
  assert.deepEqual(ids(`mcp.tool.target == "calc" && (${agentsCel})`), ["agents/research-agent-v1"]);
  for (const open of ["true", 'source.identity.namespace == "agents"', `${agentsCel} || true`, `!(${agentsCel})`, `${agentsCel} ? true : true`, 'source.identity.namespace == "agents" && source.identity.serviceAccount != "x"', "(unbalanced"]) {
    assert.equal(celIdentityBound(open), undefined, open);
  }
});

test("agent-call-graph: a guard not known in this preview is given no verdict yet, and crashes nothing", async () => {
  const fleet = [gw("tools", "mcp-gateway", "agentgateway"), ap("tools", "calculator", allowFrom(principal("tools/mcp-gateway")))];
  const agwUnknown = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", "tools-agpol-callers", { metadata: { name: "mcp-gateway-callers", namespace: "tools" }, spec: UNKNOWN });
  assert.deepEqual((await runStack(agentCallGraph, [...fleet, agwUnknown])).violations, []);
  // Only its authorization and targets matter: an unknown value elsewhere in the spec hides nothing.
  const partlyKnown = agwPolicy("tools", "mcp-gateway-callers", { ...agwAuthz({ kind: "Gateway", name: "mcp-gateway" }, ["true"]), traffic: { authorization: { action: "Allow", policy: { matchExpressions: ["true"] } }, jwtAuthentication: { providers: [{ jwks: { inline: UNKNOWN } }] } } });
  assert.equal((await runStack(agentCallGraph, [...fleet, partlyKnown])).violations.length, 1);
  // An AuthorizationPolicy not known yet may be the waypoint's guard.
  const calc = { app: "calculator" };
  const waypointFleet = [labelledNs("tools", { "istio.io/use-waypoint": "waypoint" }), gw("tools", "waypoint", "istio-waypoint"), pods("tools", "calculator", calc), svc("tools", "calculator", calc), selectorAllow("tools", "calculator", calc, "tools/waypoint")];
  const apUnknown = on(AP, "tools-ap-calculator-agents", { metadata: { name: "calculator-agents", namespace: "tools" }, spec: UNKNOWN });
  assert.deepEqual((await runStack(agentCallGraph, [...waypointFleet, apUnknown])).violations, []);
  assert.equal((await runStack(agentCallGraph, waypointFleet)).violations.length, 1);
});

test("workload-namespaces-authorized: every namespace the stack creates that runs workloads is judged, except exempt ones", async () => {
  const covered = await runStack(workloadNamespacesAuthorized, [
    ns("rag"), deploy("rag", "retriever"), ap("rag", "retriever", allowFrom("cluster.local/ns/agents/sa/bot")),
    // Controllers installed outside the mesh need no ALLOW policy.
    ns("agentgateway-system"), deploy("agentgateway-system", "controller"), ns("kube-system"), deploy("kube-system", "nvidia-device-plugin"),
  ]);
  assert.deepEqual(covered.violations, []);
  const open = await runStack(workloadNamespacesAuthorized, [ns("rag"), deploy("rag", "retriever")]);
  assert.equal(open.violations.length, 1);
  assert.match(open.violations[0].message, /namespace rag on cluster a runs 1 workload\(s\) but has no ALLOW AuthorizationPolicy .* list the namespace in exemptNamespaces/);
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [ns("rag"), deploy("rag", "retriever")], { exemptNamespaces: ["rag"] })).violations, []);
});

test("workload-namespaces-authorized: mesh-wide policies live in istiod's root namespace (meshConfig.rootNamespace)", async () => {
  const istiod = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values });
  const global = (namespace: string) => ap(namespace, "global", allowFrom("cluster.local/ns/agents/sa/bot"));
  const elsewhere = [istiod({ meshConfig: { rootNamespace: "mesh-root" } }), ns("agents"), deploy("agents", "bot")];
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [...elsewhere, global("mesh-root")])).violations, []);
  // istio-system is then an ordinary namespace: its policies bind only its own workloads.
  const wrongRoot = await runStack(workloadNamespacesAuthorized, [...elsewhere, global("istio-system")]);
  assert.equal(wrongRoot.violations.length, 1);
  assert.match(wrongRoot.violations[0].message, /namespace agents on cluster a runs 1 workload\(s\) but has no ALLOW/);
  // Without an istiod release the configured root namespace decides.
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [ns("agents"), deploy("agents", "bot"), global("istio-system")])).violations, []);
});

test("authorization-principals-known: notPrincipals and notServiceAccounts entries must name rendered ServiceAccounts too (a typo there makes a DENY exempt nobody, an ALLOW admit everybody)", async () => {
  const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { meshConfig: { trustDomain: "cluster.local" } } });
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

test("workload-namespaces-authorized: an action, selector or pod labels unknown in a preview give no verdict on what they decide (can't judge), and known verdicts still stand", async () => {
  const withLabels = (namespace: string, name: string, labels: unknown) =>
    on("kubernetes:apps/v1:Deployment", `${namespace}-${name}`, { metadata: { name, namespace }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } });
  const selectorPolicy = ap("inference", "vllm", { ...allowFrom("cluster.local/ns/inference/sa/gw"), selector: { matchLabels: { app: "vllm" } } });
  const open = [ns("tools"), deploy("tools", "calculator")];
  const openMessage = /namespace tools on cluster a runs 1 workload\(s\) but has no ALLOW/;
  // Pod labels not known yet: the selector may select the pods (before: judged as unlabelled, a violation).
  const labels = await runStack(workloadNamespacesAuthorized, [ns("inference"), withLabels("inference", "vllm", UNKNOWN), selectorPolicy, ...open]);
  assert.equal(labels.violations.length, 1);
  assert.match(labels.violations[0].message, openMessage);
  assert.equal(labels.unknown.length, 1);
  assert.match(labels.unknown[0], /whether an ALLOW AuthorizationPolicy selects Deployment inference\/vllm on cluster a/);
  // A selector not known yet may select other pods (before: taken to select every pod, a silent pass).
  const selector = await runStack(workloadNamespacesAuthorized, [ns("inference"), withLabels("inference", "epp", { app: "epp" }), ap("inference", "vllm", { ...allowFrom("cluster.local/ns/inference/sa/gw"), selector: UNKNOWN }), ...open]);
  assert.equal(selector.violations.length, 1);
  assert.match(selector.unknown[0], /selects Deployment inference\/epp/);
  // An action not known yet may be DENY (before: taken for ALLOW, a silent pass).
  const action = await runStack(workloadNamespacesAuthorized, [ns("inference"), deploy("inference", "vllm"), ap("inference", "vllm", { action: UNKNOWN, rules: [{}] }), ...open]);
  assert.equal(action.violations.length, 1);
  assert.match(action.unknown[0], /selects Deployment inference\/vllm/);
  // A root-namespace policy whose selector is not known yet may be mesh-wide (before: a violation for every namespace without its own).
  const meshWide = await runStack(workloadNamespacesAuthorized, [ns("agents"), deploy("agents", "bot"), ap("istio-system", "global", { ...allowFrom("cluster.local/ns/agents/sa/bot"), selector: UNKNOWN })]);
  assert.deepEqual(meshWide.violations, []);
  assert.match(meshWide.unknown[0], /whether a mesh-wide ALLOW AuthorizationPolicy covers namespace agents on cluster a/);
  // Unknowns that cannot change the verdict block nothing: a namespace-wide ALLOW covers pods whatever their labels,
  // and a second policy not known yet cannot uncover them.
  const covered = await runStack(workloadNamespacesAuthorized, [ns("inference"), withLabels("inference", "vllm", UNKNOWN), ap("inference", "all", allowFrom("cluster.local/ns/inference/sa/gw")), ap("inference", "other", UNKNOWN as unknown as Record<string, unknown>)]);
  assert.deepEqual([covered.violations, covered.unknown], [[], []]);
  // Known: the same pods with known labels no policy selects are still a violation.
  const known = await runStack(workloadNamespacesAuthorized, [ns("inference"), withLabels("inference", "vllm", { app: "epp" }), selectorPolicy]);
  assert.deepEqual([known.violations.map((v) => v.message), known.unknown], [["Deployment inference/vllm on cluster a is selected by no ALLOW AuthorizationPolicy: its pods admit every mesh identity"], []]);
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
  assert.match(gwClass.unknown[0], /whether inference\/edge-istio, named by AuthorizationPolicy agents\/edge-proxy, is the proxy of a Gateway whose class is not known yet/);
  assert.match(gwClass.unknown[0], /whether AuthorizationPolicy inference\/edge on cluster a binds only Istio ingress Gateways/);
  // Known: with the class known, the same principal is the violation it was.
  const istioEdge = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "inference-gw-edge", { metadata: { name: "edge", namespace: "inference" }, spec: { gatewayClassName: "istio", listeners: [] } });
  const known = await runStack(authorizationPrincipalsKnown, [...base, istioEdge, ap("inference", "edge", toEdge)]);
  assert.deepEqual(known.unknown, []);
  assert.match(known.violations[0].message, /AuthorizationPolicy inference\/edge rule 0: names callers by principals, but it binds only Gateway edge \(class istio\)/);
});

test("authorization-sources-restricted: an action, rules or gateway class unknown in a preview is can't judge for what it decides; known findings stand", async () => {
  const open = { rules: [{ to: [{ operation: { ports: ["8080"] } }] }] };
  const openMessage = "AuthorizationPolicy tools/open rule 0: ALLOW without from: every caller is allowed";
  // A policy not known yet (before: skipped, a silent pass).
  const unread = await runStack(authorizationSourcesRestricted, [ap("tools", "unread", UNKNOWN as unknown as Record<string, unknown>), ap("tools", "open", open)]);
  assert.deepEqual(unread.violations.map((v) => v.message), [openMessage]);
  assert.match(unread.unknown[0], /the rules of AuthorizationPolicy tools\/unread on cluster a/);
  // An action not known yet: an open rule is a finding only for ALLOW (before: the whole policy was skipped).
  const action = await runStack(authorizationSourcesRestricted, [ap("tools", "open", { ...open, action: UNKNOWN })]);
  assert.deepEqual(action.violations, []);
  assert.match(action.unknown[0], /the action of AuthorizationPolicy tools\/open on cluster a, which decides: .*ALLOW without from/);
  // Unknowns that cannot change the verdict block nothing: restricted rules pass whatever the action,
  // and an open rule fails whatever the selector.
  const restricted = await runStack(authorizationSourcesRestricted, [ap("tools", "named", { ...allowFrom("cluster.local/ns/agents/sa/bot"), action: UNKNOWN })]);
  assert.deepEqual([restricted.violations, restricted.unknown], [[], []]);
  const selector = await runStack(authorizationSourcesRestricted, [ap("tools", "open", { ...open, selector: UNKNOWN })]);
  assert.deepEqual([selector.violations.map((v) => v.message), selector.unknown], [[openMessage], []]);
  // Unauthenticated callers at a Gateway whose class is not known yet: it may be an ingress (before: the class read crashed the policy).
  const ingress = { action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "edge" }], rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }] };
  const edge = (gatewayClassName: unknown) => on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "inference-gw-edge", { metadata: { name: "edge", namespace: "inference" }, spec: { gatewayClassName, listeners: [] } });
  const unknownClass = await runStack(authorizationSourcesRestricted, [edge(UNKNOWN), ap("inference", "callers", ingress), ap("tools", "open", open)]);
  assert.deepEqual(unknownClass.violations.map((v) => v.message), [openMessage]);
  assert.match(unknownClass.unknown[0], /whether AuthorizationPolicy inference\/callers on cluster a binds only ingress Gateways/);
  // Known: at a waypoint the same source is the violation it was.
  assert.equal((await runStack(authorizationSourcesRestricted, [edge("istio-waypoint"), ap("inference", "callers", ingress)])).violations.length, 1);
});

test("agent-call-graph: a policy, guard, label, selector or gateway class unknown in a preview is can't judge where it decides; known verdicts stand", async () => {
  const known = ap("agents", "bot", allowFrom(principal("inference/vllm")));
  const knownMessage = "AuthorizationPolicy agents/bot admits cluster.local/ns/inference/sa/vllm: only the agent gateway (agents/agent-gateway) may call agents";
  const judge = async (resources: ReturnType<typeof on>[], unknown: RegExp) => {
    const out = await runStack(agentCallGraph, [...resources, known]);
    assert.deepEqual(out.violations.map((v) => v.message), [knownMessage]);
    assert.equal(out.unknown.length, 1, JSON.stringify(out.unknown));
    assert.match(out.unknown[0], unknown);
  };
  // An AuthorizationPolicy not known yet in the tools namespace may admit anyone (before: no verdict, a silent pass).
  await judge([ap("tools", "calculator", UNKNOWN as unknown as Record<string, unknown>)], /AuthorizationPolicy tools\/calculator on cluster a/);
  // A waypoint guard not known yet (before: the waypoint passed as a caller).
  const calc = { app: "calculator" };
  const waypointFleet = [labelledNs("tools", { "istio.io/use-waypoint": "waypoint" }), gw("tools", "waypoint", "istio-waypoint"), pods("tools", "calculator", calc), svc("tools", "calculator", calc), selectorAllow("tools", "calculator", calc, "tools/waypoint")];
  await judge([...waypointFleet, ap("tools", "calculator-agents", UNKNOWN as unknown as Record<string, unknown>)], /the AuthorizationPolicies that may guard waypoint tools\/waypoint, which decides whether AuthorizationPolicy tools\/calculator admits cluster\.local\/ns\/tools\/sa\/waypoint/);
  // The namespace's waypoint enrolment not known yet (before: taken as not enrolled, a silent pass).
  const unlabelled = on("kubernetes:core/v1:Namespace", "ns-tools", { metadata: { name: "tools", labels: UNKNOWN } });
  await judge([unlabelled, ...waypointFleet.slice(1)], /which Services behind waypoint tools\/waypoint are enrolled with it/);
  // The MCP gateway's authorization not known yet (before: no verdict, a silent pass).
  const mcp = [gw("tools", "mcp-gateway", "agentgateway"), ap("tools", "calculator", allowFrom(principal("tools/mcp-gateway")))];
  await judge([...mcp, agwPolicy("tools", "mcp-gateway-callers", UNKNOWN as unknown as Record<string, unknown>)], /the AgentgatewayPolicies that may reach Gateway tools\/mcp-gateway/);
  // A route whose parents are not known yet may carry an open Allow rule to the MCP gateway (before: ignored, a silent pass).
  const callers = agwPolicy("tools", "mcp-gateway-callers", agwAuthz({ kind: "Gateway", name: "mcp-gateway" }, [agentsCel]));
  const route = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "tools-route-mcp", { metadata: { name: "mcp", namespace: "tools" }, spec: { parentRefs: UNKNOWN, rules: [] } });
  const onRoute = agwPolicy("tools", "route-open", agwAuthz({ kind: "HTTPRoute", name: "mcp" }, ["true"]));
  await judge([...mcp, callers, route, onRoute], /the AgentgatewayPolicies that may reach Gateway tools\/mcp-gateway/);
  // Pod labels not known yet: a root-namespace policy's selector may or may not select the tools (before: taken to select them, a violation).
  const rooted = [gw("agents", "agent-gateway", "agentgateway"), pods("agents", "bot", { app: "bot" }), on("kubernetes:apps/v1:Deployment", "tools-deploy-calculator", { metadata: { name: "calculator", namespace: "tools" }, spec: { template: { metadata: { labels: UNKNOWN }, spec: { containers: [] } } } }), selectorAllow("istio-system", "only-bot", { app: "bot" }, "agents/agent-gateway")];
  await judge(rooted, /which workloads it selects in tools, which decide whether AuthorizationPolicy istio-system\/only-bot admits cluster\.local\/ns\/agents\/sa\/agent-gateway/);
  // A Gateway whose class is not known yet: its proxy may be a waypoint, the MCP gateway or an Istio gateway (before: the policy crashed).
  const mystery = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "tools-gw-edge", { metadata: { name: "edge", namespace: "tools" }, spec: { gatewayClassName: UNKNOWN, listeners: [] } });
  await judge([mystery, ap("tools", "calculator", allowFrom(principal("tools/edge-istio")))], /whether tools\/edge-istio is the proxy of a Gateway whose class is not known yet/);
  // Known: with the guard, the labels and the classes known, the same fleets are judged (no can't judge).
  const guarded = await runStack(agentCallGraph, [...waypointFleet, serviceAllow("tools", "calculator-agents", "calculator", "agents/research-agent-v1"), sa("agents", "research-agent-v1")]);
  assert.deepEqual([guarded.violations, guarded.unknown], [[], []]);
  const open = await runStack(agentCallGraph, [...mcp, callers, on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "tools-route-mcp", { metadata: { name: "mcp", namespace: "tools" }, spec: { parentRefs: [{ name: "mcp-gateway" }], rules: [] } }), onRoute]);
  assert.deepEqual(open.unknown, []);
  assert.match(open.violations[0].message, /AgentgatewayPolicy tools\/route-open allows "true"/);
});

test("authorization-sources-restricted and -principals-known: an AuthorizationPolicyPatch's rules are judged with the action and targets the policy keeps", async () => {
  const APP = "kubernetes:security.istio.io/v1:AuthorizationPolicyPatch";
  const patch = (namespace: string, name: string, spec: Record<string, unknown>) => on(APP, `${namespace}-app-${name}`, { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace }, spec });
  // Before: no policy judged a patch, so this opened the model servers to every caller.
  const opened = await runStack(authorizationSourcesRestricted, [ap("inference", "ms", allowFrom("cluster.local/ns/inference/sa/gw")), patch("inference", "ms", { rules: [{}] })]);
  assert.deepEqual(opened.violations.map((v) => v.message), ["AuthorizationPolicyPatch inference/ms rule 0: ALLOW without from: every caller is allowed"]);
  const fine = await runStack(authorizationSourcesRestricted, [
    ap("inference", "ms", allowFrom("cluster.local/ns/inference/sa/gw")),
    // A patch that sets no rules changes none.
    patch("inference", "ms", { selector: { matchLabels: { app: "vllm" } } }),
    // The patched policy denies: its open rules deny everyone, which opens nothing.
    ap("inference", "deny", { action: "DENY", rules: [{ from: [{ source: { principals: ["cluster.local/ns/x/sa/y"] } }] }] }),
    patch("inference", "deny", { rules: [{}] }),
    // The patched policy binds an ingress Gateway: unauthenticated clients are its callers.
    gw("inference", "inference-gateway", "istio"),
    ap("inference", "ingress", { action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway" }], rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }] }),
    patch("inference", "ingress", { rules: [{ from: [{ source: { notPrincipals: ["*"] } }], to: [{ operation: { ports: ["80"] } }] }] }),
  ]);
  assert.deepEqual(fine.violations, []);
  const unknownName = await runStack(authorizationPrincipalsKnown, [sa("agents", "bot"), patch("inference", "ms", allowFrom("cluster.local/ns/agents/sa/bto"))]);
  assert.deepEqual(unknownName.violations.map((v) => v.message), ["AuthorizationPolicyPatch inference/ms: principal cluster.local/ns/agents/sa/bto names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)"]);
});

// Principals as Istio 1.30.3 matches them (stringToMatch / StringMatcherWithPrefix): `*` alone is
// every identity, a leading `*` a suffix match, a trailing `*` a prefix match, any other `*` literal.
test("authorization-sources-restricted: a suffix or prefix principal is judged by what it can match", async () => {
  // One ServiceAccount in any trust domain; before: "matches every caller".
  const oneSa = await runStack(authorizationSourcesRestricted, [ap("inference", "ms", allowFrom("*/ns/inference/sa/inference-gateway-istio", "cluster.local/ns/inference/sa/epp"))]);
  assert.deepEqual(oneSa.violations, []);
  // Callers across namespaces stay open.
  const across = await runStack(authorizationSourcesRestricted, [ap("inference", "any-default", allowFrom("*/sa/default")), ap("inference", "td", allowFrom("cluster.local/ns/*"))]);
  assert.deepEqual(across.violations.map((v) => v.message), [
    'AuthorizationPolicy inference/any-default rule 0 from 0: principals "*/sa/default" matches ServiceAccount default in every namespace (every trust domain)',
    'AuthorizationPolicy inference/td rule 0 from 0: principals "cluster.local/ns/*" matches every identity in every namespace (trust domain cluster.local)',
  ]);
  // Every identity of one namespace is a namespace source: a finding only while principals are required.
  const wide = [ap("tools", "from-agents", allowFrom("cluster.local/ns/agents/*")), ap("tools", "from-some", allowFrom("cluster.local/ns/agents/sa/research-*"))];
  const strict = await runStack(authorizationSourcesRestricted, wide);
  assert.deepEqual(strict.violations.map((v) => v.message), [
    'AuthorizationPolicy tools/from-agents rule 0 from 0: principals "cluster.local/ns/agents/*" matches every ServiceAccount of namespace agents: that admits a namespace, not named identities; name their principals (ServiceAccounts)',
    'AuthorizationPolicy tools/from-some rule 0 from 0: principals "cluster.local/ns/agents/sa/research-*" matches every ServiceAccount of namespace agents whose name starts with "research-": that admits a namespace, not named identities; name their principals (ServiceAccounts)',
  ]);
  assert.deepEqual((await runStack(authorizationSourcesRestricted, wide, { requirePrincipals: false })).violations, []);
  // `*/ns/*` is a suffix match on the literal "/ns/*": it matches nobody (principals-known reports it).
  assert.deepEqual((await runStack(authorizationSourcesRestricted, [ap("tools", "literal", allowFrom("*/ns/*"))])).violations, []);
});

test("authorization-principals-known: a suffix principal names its ServiceAccount in any trust domain; a prefix one the ServiceAccounts of a namespace", async () => {
  const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { meshConfig: { trustDomain: "cluster.local" } } });
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

test("workload-namespaces-authorized: a pod enrolled in ambient by its own label is judged in any namespace but the exempt ones", async () => {
  const selfEnrolled = (namespace: string, name: string, labels: Record<string, unknown> = { app: name, "istio.io/dataplane-mode": "ambient" }) =>
    on("kubernetes:apps/v1:Deployment", `${namespace}-${name}`, { metadata: { name, namespace }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } });
  // Before: namespaces the stack does not create were never looked at.
  const open = await runStack(workloadNamespacesAuthorized, [selfEnrolled("default", "rogue"), selfEnrolled("rag", "indexer")]);
  assert.deepEqual(open.violations.map((v) => v.message), [
    "Deployment default/rogue on cluster a enrolls its pods in ambient (istio.io/dataplane-mode=ambient on the pod template), so they join the mesh in namespace default, but no ALLOW AuthorizationPolicy selects them: they admit every mesh identity (add one there or in Istio's root namespace, or list default in exemptNamespaces if it is meant to stay open)",
    "Deployment rag/indexer on cluster a enrolls its pods in ambient (istio.io/dataplane-mode=ambient on the pod template), so they join the mesh in namespace rag, but no ALLOW AuthorizationPolicy selects them: they admit every mesh identity (add one there or in Istio's root namespace, or list rag in exemptNamespaces if it is meant to stay open)",
  ]);
  const covered = await runStack(workloadNamespacesAuthorized, [
    selfEnrolled("default", "rogue"),
    ap("default", "rogue", { ...allowFrom("cluster.local/ns/agents/sa/bot"), selector: { matchLabels: { app: "rogue" } } }),
    selfEnrolled("rag", "indexer"),
    ap("istio-system", "rag", { ...allowFrom("cluster.local/ns/agents/sa/bot"), selector: { matchLabels: { app: "indexer" } } }),
    // Not enrolled by its own label, or in an exempt namespace: outside this rule.
    selfEnrolled("default", "plain", { app: "plain" }),
    selfEnrolled("kube-system", "agent"),
  ]);
  assert.deepEqual(covered.violations, []);
  // A pod label not known in a preview is can't judge, not a pass.
  const preview = await runStack(workloadNamespacesAuthorized, [selfEnrolled("default", "rogue", UNKNOWN as unknown as Record<string, unknown>)]);
  assert.deepEqual(preview.violations, []);
  assert.match(preview.unknown[0], /whether Deployment default\/rogue on cluster a enrolls itself in ambient/);
});
