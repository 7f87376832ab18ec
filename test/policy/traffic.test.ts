import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gatewayListenersTls } from "../../policy/rules/gateway-listeners-tls";
import { canaryWeightLimit } from "../../policy/rules/canary-weight-limit";
import { canaryWeightAcrossRoutes } from "../../policy/rules/canary-weight-across-routes";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { inferencePoolFailureMode } from "../../policy/rules/inference-pool-failure-mode";
import { k8sProvider, runResource, runStack, stackResource, UNKNOWN } from "../support/policy";

const on = (type: string, name: string, props: Record<string, unknown>, cluster = "a") => stackResource({ type, name: `${cluster}-${name}`, props, provider: k8sProvider(cluster) });
const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const https = { name: "https", port: 443, protocol: "HTTPS", hostname: "inference.example.com", tls: { mode: "Terminate", certificateRefs: [{ name: "tls" }] } };
const http = { name: "http", port: 80, protocol: "HTTP" };
const gateway = (name: string, gatewayClassName: string, listeners: unknown[], extra: Record<string, unknown> = {}) =>
  on(GW, `gw-${name}`, { metadata: { name, namespace: "inference", ...((extra.metadata as object) ?? {}) }, spec: { gatewayClassName, listeners, ...((extra.spec as object) ?? {}) } });

test("gateway-listeners-tls: external listeners are HTTPS/TLS; waypoints, east-west, in-mesh hostnames and ClusterIP gateways are exempt", async () => {
  const ok = await runStack(gatewayListenersTls, [
    gateway("inference-gateway", "istio", [https, { name: "http-mesh", port: 80, protocol: "HTTP", hostname: "inference-gateway-istio.inference.svc.cluster.local" }]),
    // The in-mesh listener stays in-mesh while the Gateway's ALLOW policy admits outsiders on 443 only.
    on("kubernetes:security.istio.io/v1:AuthorizationPolicy", "gw-callers", {
      metadata: { name: "inference-gateway-callers", namespace: "inference" },
      spec: { targetRefs: [{ kind: "Gateway", name: "inference-gateway" }], rules: [{ from: [{ source: { notPrincipals: ["*"] } }], to: [{ operation: { ports: ["443"] } }] }] },
    }),
    gateway("waypoint", "istio-waypoint", [{ name: "mesh", port: 15008, protocol: "HBONE" }]),
    gateway("eastwest", "istio-east-west", [{ name: "mesh", port: 15008, protocol: "HBONE", tls: { mode: "Terminate", options: { "gateway.istio.io/tls-terminate-mode": "ISTIO_MUTUAL" } } }]),
    gateway("internal", "istio", [http], { metadata: { annotations: { "networking.istio.io/service-type": "ClusterIP" } } }),
    gateway("mcp-gateway", "agentgateway", [http], { spec: { infrastructure: { parametersRef: { group: "agentgateway.dev", kind: "AgentgatewayParameters", name: "mcp" } } } }),
    on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters", "params", { metadata: { name: "mcp", namespace: "inference" }, spec: { service: { spec: { type: "ClusterIP" } } } }),
  ]);
  assert.deepEqual(ok.violations, []);
  const plain = await runStack(gatewayListenersTls, [gateway("inference-gateway", "istio", [https, http]), gateway("agents", "agentgateway", [{ name: "tcp", port: 9000, protocol: "TCP" }])], null);
  assert.equal(plain.violations.length, 2);
  assert.match(plain.violations[0].message, /listener http \(port 80\) is HTTP; external listeners must be HTTPS or TLS/);
  const local = await runStack(gatewayListenersTls, [gateway("inference-gateway", "istio", [http])], { allowPlaintextListeners: true });
  assert.deepEqual(local.violations, []);
  const noCert = await runStack(gatewayListenersTls, [
    gateway("inference-gateway", "istio", [{ ...https, tls: { mode: "Terminate" } }, { name: "tls", port: 8443, protocol: "TLS", tls: { mode: "Passthrough" } }]),
  ]);
  assert.equal(noCert.violations.length, 1);
  assert.match(noCert.violations[0].message, /listener https \(port 443\) is HTTPS but names no tls.certificateRefs/);
});

test("gateway-listeners-tls: every class but waypoints is external, only the Gateway's own annotation makes Istio's Service ClusterIP, and ListenerSets' listeners count", async () => {
  const LS = "kubernetes:gateway.networking.k8s.io/v1:ListenerSet";
  const listenerSet = (name: string, listeners: unknown[], parentRef: Record<string, unknown> = { name: "inference-gateway" }) =>
    on(LS, `ls-${name}`, { metadata: { name, namespace: "inference" }, spec: { parentRef, listeners } });
  const cases: [string, ReturnType<typeof on>[], RegExp | undefined][] = [
    ["a plaintext east-west listener (its Service is a LoadBalancer)", [gateway("eastwest", "istio-east-west", [{ name: "tcp", port: 15443, protocol: "TCP" }])], /Gateway inference\/eastwest on a: listener tcp \(port 15443\) is TCP; external listeners must be HTTPS or TLS/],
    ["Istio's agentgateway class", [gateway("agw", "istio-agentgateway", [http])], /Gateway inference\/agw on a: listener http \(port 80\) is HTTP/],
    ["a class the rule has never heard of", [gateway("nginx", "nginx", [http])], /Gateway inference\/nginx on a: listener http/],
    [
      "ClusterIP asked for under spec.infrastructure.annotations (Istio only copies it onto the Service)",
      [gateway("internal", "istio", [http], { spec: { infrastructure: { annotations: { "networking.istio.io/service-type": "ClusterIP" } } } })],
      /Gateway inference\/internal on a: listener http/,
    ],
    ["the annotation on the Gateway itself", [gateway("internal", "istio", [http], { metadata: { annotations: { "networking.istio.io/service-type": "ClusterIP" } } })], undefined],
    [
      "a ListenerSet's HTTP listener on a Gateway that allows it",
      [gateway("inference-gateway", "istio", [https], { spec: { allowedListeners: { namespaces: { from: "Same" } } } }), listenerSet("extra", [{ name: "plain", port: 8080, protocol: "HTTP" }])],
      /Gateway inference\/inference-gateway \(through ListenerSet inference\/extra\) on a: listener plain \(port 8080\) is HTTP/,
    ],
    ["a ListenerSet the Gateway does not allow (no allowedListeners)", [gateway("inference-gateway", "istio", [https]), listenerSet("extra", [{ name: "plain", port: 8080, protocol: "HTTP" }])], undefined],
    [
      "a ListenerSet naming another Gateway",
      [gateway("inference-gateway", "istio", [https], { spec: { allowedListeners: { namespaces: { from: "All" } } } }), listenerSet("extra", [{ name: "plain", port: 8080, protocol: "HTTP" }], { name: "other" })],
      undefined,
    ],
  ];
  for (const [what, resources, message] of cases) {
    const result = await runStack(gatewayListenersTls, resources);
    if (!message) {
      assert.deepEqual(result.violations, [], what);
      continue;
    }
    assert.equal(result.violations.length, 1, what);
    assert.match(result.violations[0].message, message, what);
  }
});

test("gateway-listeners-tls: an in-mesh plaintext listener stops being in-mesh once outside callers are admitted on its port", async () => {
  const AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
  const mesh = { name: "http-mesh", port: 80, protocol: "HTTP", hostname: "inference-gateway-istio.inference.svc.cluster.local" };
  const callers = (to?: unknown[]) =>
    on(AP, "callers", {
      metadata: { name: "inference-gateway-callers", namespace: "inference" },
      spec: {
        action: "ALLOW",
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway" }],
        rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/bot"] } }] }, { from: [{ source: { notPrincipals: ["*"] } }], ...(to ? { to } : {}) }],
      },
    });
  const gwMesh = gateway("inference-gateway", "istio", [https, mesh]);
  assert.deepEqual((await runStack(gatewayListenersTls, [gwMesh, callers([{ operation: { ports: ["443"] } }])])).violations, []);
  const anyPort = await runStack(gatewayListenersTls, [gwMesh, callers()]);
  assert.equal(anyPort.violations.length, 1);
  assert.match(anyPort.violations[0].message, /listener http-mesh \(port 80\) is HTTP for in-mesh callers, but AuthorizationPolicy inference-gateway-callers admits callers without a mesh identity on every port/);
  const port80 = await runStack(gatewayListenersTls, [gwMesh, callers([{ operation: { ports: ["443", "80"] } }])]);
  assert.match(port80.violations[0].message, /on port 80 and no NetworkPolicy keeps the port to pods inside the cluster;/);
  // A request principal is a token, not a mesh identity: outside clients with one reach port 80.
  const jwt = on(AP, "jwt", {
    metadata: { name: "jwt-callers", namespace: "inference" },
    spec: { targetRefs: [{ kind: "Gateway", name: "inference-gateway" }], rules: [{ from: [{ source: { requestPrincipals: ["https://issuer/client"] } }], to: [{ operation: { ports: ["80"] } }] }] },
  });
  assert.equal((await runStack(gatewayListenersTls, [gwMesh, callers([{ operation: { ports: ["443"] } }]), jwt])).violations.length, 1);
  // No policy binding the Gateway at all: Istio admits everyone.
  const unbound = await runStack(gatewayListenersTls, [gwMesh]);
  assert.match(unbound.violations[0].message, /no ALLOW AuthorizationPolicy binds the Gateway, so Istio admits callers without a mesh identity on every port/);
});

test("gateway-listeners-tls: a NetworkPolicy keeping the in-mesh port to pods makes an open Istio policy safe; an open NetworkPolicy rule does not", async () => {
  const AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
  const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
  const mesh = { name: "http-mesh", port: 80, protocol: "HTTP", hostname: "inference-gateway-istio.inference.svc.cluster.local" };
  const options = { spec: { infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: "inference-gateway-options" } } } };
  const gw = gateway("inference-gateway", "istio", [https, mesh], options);
  const keepClientAddress = on("kubernetes:core/v1:ConfigMap", "options", {
    metadata: { name: "inference-gateway-options", namespace: "inference" },
    data: { service: "spec:\n  externalTrafficPolicy: Local\n" },
  });
  // Istio's gateway sees no mesh identity, so the policy admits identity-less callers on both listeners.
  const open = on(AP, "callers", {
    metadata: { name: "inference-gateway-callers", namespace: "inference" },
    spec: { targetRefs: [{ kind: "Gateway", name: "inference-gateway" }], rules: [{ from: [{ source: { notPrincipals: ["*"] } }], to: [{ operation: { ports: ["443", "80"] } }] }] },
  });
  const agents = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "agents" } }, podSelector: { matchLabels: { "app.kubernetes.io/component": "agent" } } };
  const netpol = (ingress: unknown[], podSelector: unknown = { matchLabels: { "gateway.networking.k8s.io/gateway-name": "inference-gateway" } }, name = "inference-gateway-callers") =>
    on(NP, `np-${name}`, { metadata: { name, namespace: "inference" }, spec: { podSelector, policyTypes: ["Ingress"], ingress } });
  const publicRule = { ports: [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 15021 }] };
  const agentsOn80 = { from: [agents], ports: [{ protocol: "TCP", port: 80 }] };
  assert.deepEqual((await runStack(gatewayListenersTls, [gw, open, keepClientAddress, netpol([publicRule, agentsOn80])])).violations, []);
  // A selector on another label Istio puts on the gateway's pods selects them too.
  const byClass = netpol([publicRule, agentsOn80], { matchLabels: { "gateway.networking.k8s.io/gateway-class-name": "istio" } });
  assert.deepEqual((await runStack(gatewayListenersTls, [gw, open, keepClientAddress, byClass])).violations, []);
  // Without externalTrafficPolicy: Local, load-balancer traffic arrives from the node's address, which NetworkPolicies admit.
  for (const without of [[], [on("kubernetes:core/v1:ConfigMap", "options", { metadata: { name: "inference-gateway-options", namespace: "inference" }, data: { service: "spec:\n  externalTrafficPolicy: Cluster\n" } })]]) {
    const cluster = await runStack(gatewayListenersTls, [gw, open, ...without, netpol([publicRule, agentsOn80])]);
    assert.equal(cluster.violations.length, 1);
    assert.match(cluster.violations[0].message, /cannot tell outside clients apart: the Gateway's Service does not keep client addresses/);
  }
  const cases: [string, ReturnType<typeof on>[], RegExp][] = [
    ["a rule without peers covering 80", [netpol([publicRule, { ports: [{ protocol: "TCP", port: 80 }] }])], /NetworkPolicy inference-gateway-callers admits addresses outside the cluster on it/],
    ["a rule without ports", [netpol([{}])], /NetworkPolicy inference-gateway-callers admits addresses outside the cluster/],
    ["a port range over 80", [netpol([publicRule, { ports: [{ protocol: "TCP", port: 1, endPort: 1024 }] }])], /admits addresses outside the cluster/],
    ["an ipBlock peer", [netpol([publicRule, { from: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ protocol: "TCP", port: 80 }] }])], /admits addresses outside the cluster/],
    ["a second, open policy (policies add up)", [netpol([publicRule, agentsOn80]), netpol([{ ports: [{ port: 80 }] }], {}, "allow-all")], /NetworkPolicy allow-all admits/],
    ["a policy selecting other pods", [netpol([publicRule, agentsOn80], { matchLabels: { app: "other" } })], /no NetworkPolicy keeps the port to pods inside the cluster/],
    ["an egress-only policy", [on(NP, "egress", { metadata: { name: "egress", namespace: "inference" }, spec: { podSelector: {}, policyTypes: ["Egress"] } })], /no NetworkPolicy keeps/],
  ];
  // An allow-all policy selecting the pods by a label the Gateway copies onto them opens the port.
  cases.push(["an open policy selecting the pods by the Gateway's own label", [netpol([publicRule, agentsOn80]), netpol([{}], { matchLabels: { "app.kubernetes.io/part-of": "inference-mesh" } }, "allow-all")], /NetworkPolicy allow-all admits/]);
  const labelled = gateway("inference-gateway", "istio", [https, mesh], { ...options, metadata: { labels: { "app.kubernetes.io/part-of": "inference-mesh" } } });
  for (const [what, extra, message] of cases) {
    const result = await runStack(gatewayListenersTls, [labelled, open, keepClientAddress, ...extra]);
    assert.equal(result.violations.length, 1, what);
    assert.match(result.violations[0].message, message, what);
  }
});

const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const route = (rules: unknown[]) => ({ type: ROUTE, props: { metadata: { name: "llama", namespace: "inference" }, spec: { rules } } });
const refs = (...weights: (number | undefined)[]) => ({ backendRefs: weights.map((weight, i) => ({ kind: "InferencePool", name: `pool-v${i + 1}`, ...(weight === undefined ? {} : { weight }) })) });

test("canary-weight-limit: canaries get at most maxCanaryWeight and splits sum to 100", async () => {
  const ok = await runResource(canaryWeightLimit, [route([refs(1), refs(90, 10)]), route([refs(95, 5)])]);
  assert.deepEqual(ok.violations, []);
  const fifty = await runResource(canaryWeightLimit, route([refs(50, 50)]), null);
  assert.equal(fifty.violations.length, 1);
  assert.match(fifty.violations[0].message, /backend pool-v2 gets 50% of the split; a canary may get at most 10%/);
  const sum = await runResource(canaryWeightLimit, route([refs(90, 5)]));
  assert.match(sum.violations[0].message, /sum to 95, not 100/);
  const implicit = await runResource(canaryWeightLimit, route([refs(undefined, undefined)]));
  assert.equal(implicit.violations.length, 2, "omitted weights are 1 each: sum 2, canary 50%");
  assert.deepEqual((await runResource(canaryWeightLimit, route([refs(75, 25)]), { maxCanaryWeight: 25 })).violations, []);
});

test("canary-weight-limit: a weight Gateway API does not take (a string, a fraction, above 1000000) is named as such, not summed as 1; a null one is the default 1", async () => {
  const strings = await runResource(canaryWeightLimit, route([refs("95" as unknown as number, "5" as unknown as number)]), null);
  assert.equal(strings.violations.length, 1, JSON.stringify(strings.violations));
  assert.match(strings.violations[0].message, /^inference\/llama rule 0: backendRef weight "95" \(pool-v1\), "5" \(pool-v2\) is not an integer from 0 to 1000000, the only weights Gateway API takes/);
  for (const bad of [9.5, 2_000_000, -1]) {
    const r = await runResource(canaryWeightLimit, route([refs(90, bad)]), null);
    assert.match(r.violations[0]?.message ?? "", new RegExp(`backendRef weight ${bad} \\(pool-v2\\) is not an integer`), String(bad));
  }
  const nulls = await runResource(canaryWeightLimit, route([{ backendRefs: [{ kind: "InferencePool", name: "pool-v1", weight: null }] }, refs(95, 5)]));
  assert.deepEqual(nulls.violations, [], "a null weight is pruned by the API server and defaults to 1");
});

test("canary-weight-limit: a backend the x-canary header routes to is the canary, even when it is the heaviest", async () => {
  const pinned = { matches: [{ headers: [{ name: "x-canary", type: "Exact", value: "true" }] }], backendRefs: [{ kind: "InferencePool", name: "pool-v2", weight: 1 }] };
  assert.deepEqual((await runResource(canaryWeightLimit, route([pinned, refs(95, 5)]))).violations, []);
  const swapped = await runResource(canaryWeightLimit, route([pinned, refs(5, 95)]));
  assert.equal(swapped.violations.length, 1);
  assert.match(swapped.violations[0].message, /canary \(x-canary routes to it\) pool-v2 gets 95% of the split/);
  const otherHeader = { ...pinned, matches: [{ headers: [{ name: "X-Preview" }] }] };
  assert.equal((await runResource(canaryWeightLimit, route([otherHeader, refs(5, 95)]), { canaryHeader: "x-preview" })).violations.length, 1);
  assert.deepEqual((await runResource(canaryWeightLimit, route([otherHeader, refs(5, 95)]))).violations, [], "without the header the heaviest is the primary");
});

test("canary-weight-limit: all traffic to the canary, or the canary listed twice, is caught", async () => {
  const pinned = { matches: [{ headers: [{ name: "x-canary", type: "Exact", value: "true" }] }], backendRefs: [{ kind: "InferencePool", name: "pool-v2" }] };
  // The default rule sends everything to the canary: a single backendRef gets 100%.
  const all = await runResource(canaryWeightLimit, route([pinned, { backendRefs: [{ kind: "InferencePool", name: "pool-v2" }] }]));
  assert.equal(all.violations.length, 1);
  assert.match(all.violations[0].message, /canary \(x-canary routes to it\) pool-v2 gets 100% of the rule's traffic/);
  // Gateway API gives each entry weight / sum: v2 listed twice at 10 gets 20%.
  const twice = await runResource(canaryWeightLimit, route([pinned, { backendRefs: [{ kind: "InferencePool", name: "pool-v1", weight: 80 }, { kind: "InferencePool", name: "pool-v2", weight: 10 }, { kind: "InferencePool", name: "pool-v2", weight: 10 }] }]));
  assert.equal(twice.violations.length, 1);
  assert.match(twice.violations[0].message, /pool-v2 gets 20% of the split \(listed 2 times\)/);
  // A single stable backend, and the header rule itself, stay fine.
  assert.deepEqual((await runResource(canaryWeightLimit, route([pinned, { backendRefs: [{ kind: "InferencePool", name: "pool-v1" }] }]))).violations, []);
});

test("canary-weight-across-routes: a canary declared by one route's x-canary rule gets at most maxCanaryWeight from every other route on its cluster", async () => {
  const pool = (name: string, weight?: number, extra: Record<string, unknown> = {}) => ({ kind: "InferencePool", name, ...(weight === undefined ? {} : { weight }), ...extra });
  const door = { matches: [{ headers: [{ name: "x-canary", type: "Exact", value: "true" }] }], backendRefs: [pool("pool-v2")] };
  const httpRoute = (name: string, rules: unknown[], cluster = "a", namespace = "inference", type = ROUTE) => on(type, name, { metadata: { name, namespace }, spec: { rules } }, cluster);
  const declaring = httpRoute("llama", [door, { backendRefs: [pool("pool-v1", 95), pool("pool-v2", 5)] }]);
  // Another route keeping the canary small, one not naming it, and the declaring route itself pass.
  const ok = await runStack(canaryWeightAcrossRoutes, [
    declaring,
    httpRoute("llama-eu", [{ matches: [{ path: { type: "PathPrefix", value: "/eu" } }], backendRefs: [pool("pool-v1", 90), pool("pool-v2", 10)] }]),
    httpRoute("other", [{ backendRefs: [pool("pool-v1")] }]),
  ]);
  assert.deepEqual(ok.violations, []);
  const swapped = await runStack(canaryWeightAcrossRoutes, [declaring, httpRoute("llama-ab", [{ backendRefs: [pool("pool-v1", 5), pool("pool-v2", 95)] }])]);
  assert.equal(swapped.violations.length, 1, JSON.stringify(swapped.violations));
  assert.match(swapped.violations[0].message, /^inference\/llama-ab rule 0 on a: pool-v2 gets 95% of the split, but it is the canary of route inference\/llama \(its x-canary rule routes to it alone\); a canary may get at most 10%/);
  assert.equal(swapped.violations[0].urn, `urn:pulumi:test::inference-mesh::${ROUTE}::a-llama-ab`, "reported on the second route");
  // A path of its own sent only to the canary, from a GRPCRoute in another namespace (a cross-namespace backendRef).
  const GRPC = "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute";
  const path = await runStack(canaryWeightAcrossRoutes, [declaring, httpRoute("preview", [{ backendRefs: [pool("pool-v2", undefined, { namespace: "inference" })] }], "a", "agents", GRPC)]);
  assert.match(path.violations[0]?.message ?? "", /agents\/preview rule 0 on a: pool-v2 gets 100% of the rule's traffic, but it is the canary of route inference\/llama/);
  // Tuned limit; another cluster's pool of the same name; another namespace's pool of the same name; a door naming two backends.
  assert.deepEqual((await runStack(canaryWeightAcrossRoutes, [declaring, httpRoute("llama-ab", [{ backendRefs: [pool("pool-v1", 75), pool("pool-v2", 25)] }])], { maxCanaryWeight: 25 })).violations, []);
  assert.deepEqual((await runStack(canaryWeightAcrossRoutes, [declaring, httpRoute("llama-ab", [{ backendRefs: [pool("pool-v2")] }], "b")])).violations, []);
  assert.deepEqual((await runStack(canaryWeightAcrossRoutes, [declaring, httpRoute("llama-ab", [{ backendRefs: [pool("pool-v2")] }], "a", "agents")])).violations, []);
  const twoDoor = httpRoute("llama", [{ ...door, backendRefs: [pool("pool-v1", 50), pool("pool-v2", 50)] }]);
  assert.deepEqual((await runStack(canaryWeightAcrossRoutes, [twoDoor, httpRoute("llama-ab", [{ backendRefs: [pool("pool-v2")] }])])).violations, [], "which of a two-backend door is the canary is canary-weight-limit's to name");
  // A route whose rules are not known yet cannot be judged.
  const pending = await runStack(canaryWeightAcrossRoutes, [declaring, on(ROUTE, "later", { metadata: { name: "later", namespace: "inference" }, spec: UNKNOWN })]);
  assert.match(pending.unknown.join("\n"), /the rules of route inference\/later on a/);
});

test("canary-weight-limit: a header rule that also matches everything is not the canary's door; x-canary: false pins the stable", async () => {
  const split = { backendRefs: [{ kind: "InferencePool", name: "pool-v1", weight: 95 }, { kind: "InferencePool", name: "pool-v2", weight: 5 }] };
  // Matches are ORed: the second match takes all traffic, and the first rule wins ties.
  const leaky = { matches: [{ headers: [{ name: "x-canary", value: "true" }] }, { path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ kind: "InferencePool", name: "pool-v2" }] };
  const leak = await runResource(canaryWeightLimit, route([leaky, split]), null);
  assert.match(leak.violations.map((v) => v.message).join("\n"), /pool-v2 gets 100% of the rule's traffic/);
  // Pinning the stable with x-canary: false, or listing it at weight 0 in the canary rule, is compliant.
  const door = { matches: [{ headers: [{ name: "x-canary", value: "true" }] }], backendRefs: [{ kind: "InferencePool", name: "pool-v2" }, { kind: "InferencePool", name: "pool-v1", weight: 0 }] };
  const pinStable = { matches: [{ headers: [{ name: "x-canary", value: "false" }] }], backendRefs: [{ kind: "InferencePool", name: "pool-v1" }] };
  assert.deepEqual((await runResource(canaryWeightLimit, route([door, pinStable, split]))).violations, []);
  // Same name, another namespace: another backend.
  const elsewhere = { backendRefs: [{ kind: "InferencePool", name: "pool-v1", weight: 50 }, { kind: "InferencePool", name: "pool-v1", namespace: "canary", weight: 50 }] };
  assert.equal((await runResource(canaryWeightLimit, route([elsewhere]))).violations.length, 1);
});

const servers = { matchLabels: { "app.kubernetes.io/instance": "llama-v1" } };
const pool = (failureMode: string | undefined, port = 9002, selector: unknown = servers, targetPort = 8000) =>
  on("kubernetes:inference.networking.k8s.io/v1:InferencePool", "pool", {
    metadata: { name: "llama-v1", namespace: "inference" },
    spec: { selector, targetPorts: [{ number: targetPort }], endpointPickerRef: { kind: "Service", name: "llama-v1-epp", port: { number: port }, ...(failureMode ? { failureMode } : {}) } },
  });
const modelServer = (namespace = "inference") =>
  on("kubernetes:apps/v1:Deployment", `vllm-${namespace}`, {
    metadata: { name: "llama-v1", namespace },
    spec: { template: { metadata: { labels: { ...servers.matchLabels, "app.kubernetes.io/part-of": "x" } }, spec: { containers: [{ name: "vllm", image: "v:1", ports: [{ containerPort: 8000 }] }] } } },
  });
const eppLabels = { "app.kubernetes.io/instance": "llama-v1-epp" };
const eppService = (cluster = "a", port: Record<string, unknown> = { targetPort: 9002 }, selector: Record<string, string> | null = eppLabels) =>
  on("kubernetes:core/v1:Service", "epp-svc", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: { ...(selector ? { selector } : {}), ports: [{ name: "grpc-ext-proc", port: 9002, ...port }] } }, cluster);
/** The endpoint picker's pods: ext-proc on 9002 (named grpc), health on 9003. */
const eppPods = (cluster = "a") =>
  on("kubernetes:apps/v1:Deployment", "epp", {
    metadata: { name: "llama-v1-epp", namespace: "inference" },
    spec: { template: { metadata: { labels: eppLabels }, spec: { containers: [{ name: "epp", image: "e:1", ports: [{ name: "grpc", containerPort: 9002 }, { name: "grpc-health", containerPort: 9003 }] }] } } },
  }, cluster);
const eppRule = (mode: string) =>
  on("kubernetes:networking.istio.io/v1:DestinationRule", "epp-dr", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: { host: "llama-v1-epp.inference.svc.cluster.local", trafficPolicy: { tls: { mode, insecureSkipVerify: true } } } });

test("inference-pool-epp: EPP Service on the referenced port, TLS DestinationRule", async () => {
  const ok = await runStack(inferencePoolEpp, [pool("FailClose"), modelServer(), eppService(), eppPods(), eppRule("SIMPLE")]);
  assert.deepEqual(ok.violations, []);
  // The failure mode is judged on the inputs, by inference-pool-failure-mode.
  assert.deepEqual((await runStack(inferencePoolEpp, [pool(undefined), modelServer(), eppService(), eppPods(), eppRule("SIMPLE")])).violations, []);
  const wrongPort = await runStack(inferencePoolEpp, [pool("FailOpen", 9003), modelServer(), eppService(), eppPods(), eppRule("SIMPLE")]);
  assert.match(wrongPort.violations[0].message, /does not expose port 9003/);
  const elsewhere = await runStack(inferencePoolEpp, [pool("FailOpen"), eppService("b"), eppRule("DISABLE")]);
  const messages = elsewhere.violations.map((v) => v.message).join("\n");
  assert.match(messages, /endpoint picker Service inference\/llama-v1-epp is not in the stack/);
  assert.match(messages, /DestinationRule inference\/llama-v1-epp applies and gives it tls\.mode DISABLE/);
  // Port-level settings override the rule-wide TLS for the picker's port.
  const portLevel = on("kubernetes:networking.istio.io/v1:DestinationRule", "epp-dr", {
    metadata: { name: "llama-v1-epp", namespace: "inference" },
    spec: { host: "llama-v1-epp.inference.svc.cluster.local", trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: true }, portLevelSettings: [{ port: { number: 9002 }, tls: { mode: "DISABLE" } }] } },
  });
  // A DestinationRule bound to other workloads does not reach the gateway.
  const elsewhereDr = on("kubernetes:networking.istio.io/v1:DestinationRule", "epp-dr", {
    metadata: { name: "llama-v1-epp", namespace: "inference" },
    spec: { host: "llama-v1-epp.inference.svc.cluster.local", workloadSelector: { matchLabels: { app: "nothing" } }, trafficPolicy: { tls: { mode: "SIMPLE" } } },
  });
  assert.equal((await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), eppService(), eppPods(), elsewhereDr])).violations.length, 1);
  const overridden = await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), eppService(), eppPods(), portLevel]);
  assert.match(overridden.violations[0].message, /picker llama-v1-epp\.inference\.svc\.cluster\.local port 9002, .* gives it tls\.mode DISABLE/);
});

test("inference-pool-epp: the pool selects model-server pods that listen on its target port", async () => {
  const wired = [eppService(), eppPods(), eppRule("SIMPLE")];
  const noServers = await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer("other"), ...wired]);
  assert.match(noServers.violations[0].message, /selector .* matches no workload's pods in inference, so the pool has no endpoints/);
  const helmServers = on("kubernetes:helm.sh/v3:Release", "vllm-chart", { chart: "vllm", version: "1.0.0", namespace: "inference", values: {} });
  assert.deepEqual((await runStack(inferencePoolEpp, [pool("FailOpen"), helmServers, ...wired])).violations, [], "servers a chart installs are not visible: no verdict");
  const noSelector = await runStack(inferencePoolEpp, [pool("FailOpen", 9002, {}), modelServer(), ...wired]);
  assert.match(noSelector.violations[0].message, /has no spec.selector.matchLabels/);
  const wrongTarget = await runStack(inferencePoolEpp, [pool("FailOpen", 9002, servers, 8080), modelServer(), ...wired]);
  assert.match(wrongTarget.violations[0].message, /target port 8080 is not a containerPort of the selected pods \(8000\)/);
});

test("inference-pool-epp: v1alpha2 pools (extensionRef, selector map, targetPortNumber) are checked with their own fields", async () => {
  const alpha = (extensionRef: Record<string, unknown>, selector: Record<string, string> = servers.matchLabels) =>
    on("kubernetes:inference.networking.x-k8s.io/v1alpha2:InferencePool", "pool-alpha", { metadata: { name: "llama-v1", namespace: "inference" }, spec: { selector, targetPortNumber: 8000, extensionRef } });
  const wired = [modelServer(), eppService(), eppPods(), eppRule("SIMPLE")];
  assert.deepEqual((await runStack(inferencePoolEpp, [alpha({ name: "llama-v1-epp", portNumber: 9002, failureMode: "FailClose" }), ...wired])).violations, []);
  const bad = await runStack(inferencePoolEpp, [alpha({ name: "llama-v1-epp", portNumber: 9009 }, { app: "nothing" }), ...wired]);
  const messages = bad.violations.map((v) => v.message).join("\n");
  assert.match(messages, /selector \{"app":"nothing"\} matches no workload's pods/);
  assert.match(messages, /does not expose port 9009/);
});

test("inference-pool-epp: the picker Service selects the picker's pods and targets one of their container ports", async () => {
  const rule = eppRule("SIMPLE");
  const base = [pool("FailOpen"), modelServer(), eppPods(), rule];
  for (const port of [{ targetPort: 9002 }, { targetPort: "grpc" }, {}]) {
    assert.deepEqual((await runStack(inferencePoolEpp, [...base, eppService("a", port)])).violations, [], JSON.stringify(port));
  }
  const wrongTarget = await runStack(inferencePoolEpp, [...base, eppService("a", { targetPort: 9999 })]);
  assert.equal(wrongTarget.violations.length, 1);
  assert.match(wrongTarget.violations[0].message, /Service inference\/llama-v1-epp port 9002 targets port 9999, which is not a containerPort of the endpoint picker's pods \(9002 \(grpc\), 9003 \(grpc-health\)\)/);
  const wrongName = await runStack(inferencePoolEpp, [...base, eppService("a", { targetPort: "ext-proc" })]);
  assert.match(wrongName.violations[0].message, /targets the port named ext-proc, which no selected pod declares/);
  const noPods = await runStack(inferencePoolEpp, [...base, eppService("a", { targetPort: 9002 }, { "app.kubernetes.io/instance": "other-epp" })]);
  assert.equal(noPods.violations.length, 1);
  assert.match(noPods.violations[0].message, /Service inference\/llama-v1-epp selector \{"app.kubernetes.io\/instance":"other-epp"\} matches no workload's pods in inference, so the endpoint picker has no endpoints/);
  const noSelector = await runStack(inferencePoolEpp, [...base, eppService("a", { targetPort: 9002 }, null)]);
  assert.match(noSelector.violations[0].message, /has no spec\.selector \(and no EndpointSlice names it\)/);
  const slice = on("kubernetes:discovery.k8s.io/v1:EndpointSlice", "slice", { metadata: { name: "llama-v1-epp-x", namespace: "inference", labels: { "kubernetes.io/service-name": "llama-v1-epp" } }, addressType: "IPv4", endpoints: [] });
  assert.deepEqual((await runStack(inferencePoolEpp, [...base, eppService("a", { targetPort: 9002 }, null), slice])).violations, []);
  // Picker pods a chart installs are not visible: no verdict on the selector.
  const chart = on("kubernetes:helm.sh/v3:Release", "epp-chart", { chart: "llm-d-router-gateway", version: "0.10.0", namespace: "inference", values: {} });
  assert.deepEqual((await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), rule, chart, eppService("a", { targetPort: 9002 }, { app: "chart-epp" })])).violations, []);
});

const DR = "kubernetes:networking.istio.io/v1:DestinationRule";
/** A DestinationRule for the picker, `name` unique per test resource. */
const pickerRule = (name: string, namespace: string, spec: Record<string, unknown>) => on(DR, `dr-${name}`, { metadata: { name, namespace }, spec });
const skipVerify = { tls: { mode: "SIMPLE", insecureSkipVerify: true } };
const eppStack = (...rules: ReturnType<typeof on>[]) => [pool("FailOpen"), modelServer(), eppService(), eppPods(), ...rules];

test("inference-pool-epp: tls SIMPLE must skip verification or name a CA (the picker's certificate is self-signed)", async () => {
  const fqdn = "llama-v1-epp.inference.svc.cluster.local";
  for (const tls of [{ mode: "SIMPLE", insecureSkipVerify: true }, { mode: "SIMPLE", caCertificates: "/etc/epp/ca.crt" }, { mode: "SIMPLE", credentialName: "epp-ca" }]) {
    assert.deepEqual((await runStack(inferencePoolEpp, eppStack(pickerRule("epp", "inference", { host: fqdn, trafficPolicy: { tls } })))).violations, [], JSON.stringify(tls));
  }
  for (const tls of [{ mode: "SIMPLE" }, { mode: "SIMPLE", insecureSkipVerify: false }]) {
    const verified = await runStack(inferencePoolEpp, eppStack(pickerRule("epp", "inference", { host: fqdn, trafficPolicy: { tls } })));
    assert.equal(verified.violations.length, 1, JSON.stringify(tls));
    assert.match(verified.violations[0].message, /DestinationRule inference\/epp sets tls\.mode SIMPLE without insecureSkipVerify: true, caCertificates or credentialName, .*system CAs/);
  }
  // A port-level entry replaces the rule-wide policy without inheriting its tls.
  const portLevel = pickerRule("epp", "inference", { host: fqdn, trafficPolicy: { ...skipVerify, portLevelSettings: [{ port: { number: 9002 }, connectionPool: { tcp: { maxConnections: 100 } } }] } });
  assert.match((await runStack(inferencePoolEpp, eppStack(portLevel))).violations[0].message, /DestinationRule inference\/epp applies and gives it no tls/);
  const otherPort = pickerRule("epp", "inference", { host: fqdn, trafficPolicy: { ...skipVerify, portLevelSettings: [{ port: { number: 9090 }, tls: { mode: "DISABLE" } }] } });
  assert.deepEqual((await runStack(inferencePoolEpp, eppStack(otherPort))).violations, []);
});

test("inference-pool-epp: the DestinationRule host is matched as istiod resolves it (only dotless names are qualified; wildcards apply)", async () => {
  const cases: [string, string, boolean][] = [
    ["inference", "llama-v1-epp.inference.svc.cluster.local", true],
    ["inference", "llama-v1-epp", true],
    ["inference", "*.inference.svc.cluster.local", true],
    ["istio-system", "*.svc.cluster.local", true],
    ["inference", "llama-v1-epp.inference", false],
    ["inference", "llama-v1-epp.inference.svc", false],
    ["istio-system", "llama-v1-epp", false], // qualified with istio-system: another service
    ["inference", "*.agents.svc.cluster.local", false],
  ];
  for (const [namespace, host, applies] of cases) {
    const result = await runStack(inferencePoolEpp, eppStack(pickerRule("epp", namespace, { host, trafficPolicy: skipVerify })));
    if (applies) assert.deepEqual(result.violations, [], `${namespace}: ${host}`);
    else {
      assert.equal(result.violations.length, 1, `${namespace}: ${host}`);
      assert.match(result.violations[0].message, /but for a gateway in inference no DestinationRule applies: one for the host/, `${namespace}: ${host}`);
    }
  }
  // The most specific host wins: an exact rule without TLS hides a wildcard with it.
  const hidden = await runStack(inferencePoolEpp, eppStack(pickerRule("all", "inference", { host: "*.inference.svc.cluster.local", trafficPolicy: skipVerify }), pickerRule("epp", "inference", { host: "llama-v1-epp", trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" } } })));
  assert.match(hidden.violations[0].message, /DestinationRule inference\/epp applies and gives it no tls/);
});

test("inference-pool-epp: a DestinationRule counts only where istiod looks it up for the gateway (its namespace, the service's, the root's, by exportTo)", async () => {
  const fqdn = "llama-v1-epp.inference.svc.cluster.local";
  const rule = (namespace: string, extra: Record<string, unknown> = {}) => pickerRule("epp", namespace, { host: fqdn, trafficPolicy: skipVerify, ...extra });
  // The gateway and the route that sends to the pool: the gateway's proxy runs in `gwNs`.
  const gatewayIn = (gwNs: string) => [
    on(GW, "gw-inference", { metadata: { name: "inference-gateway", namespace: gwNs }, spec: { gatewayClassName: "istio", listeners: [https] } }),
    on(ROUTE, "route", {
      metadata: { name: "llama", namespace: "inference" },
      spec: { parentRefs: [{ name: "inference-gateway", namespace: gwNs }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "llama-v1" }] }] },
    }),
  ];
  const cases: [string, ReturnType<typeof on>[], boolean][] = [
    ["service namespace", [rule("inference")], true],
    ["root namespace, exportTo absent", [rule("istio-system")], true],
    ["root namespace, exportTo *", [rule("istio-system", { exportTo: ["*"] })], true],
    ["root namespace, exported to inference", [rule("istio-system", { exportTo: ["inference"] })], true],
    ["another namespace", [rule("agents")], false],
    ["root namespace, exportTo .", [rule("istio-system", { exportTo: ["."] })], false],
    ["root namespace, exported elsewhere", [rule("istio-system", { exportTo: ["agents"] })], false],
    ["root namespace, workloadSelector", [rule("istio-system", { workloadSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "inference-gateway" } } })], false],
    ["gateway's namespace, workloadSelector on its pods", [...gatewayIn("inference"), rule("inference", { workloadSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "inference-gateway" } } })], true],
    ["gateway's namespace, workloadSelector on other pods", [...gatewayIn("inference"), rule("inference", { workloadSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "other" } } })], false],
    ["gateway elsewhere, the service namespace's rule exported", [...gatewayIn("gateways"), rule("inference")], true],
    ["gateway elsewhere, the service namespace's rule private", [...gatewayIn("gateways"), rule("inference", { exportTo: ["."] })], false],
    ["gateway elsewhere, a rule in the gateway's namespace", [...gatewayIn("gateways"), rule("gateways")], true],
    // istiod stops at the first namespace with a match: a TLS-less rule in the gateway's namespace wins.
    ["gateway's namespace shadows the root's", [...gatewayIn("gateways"), pickerRule("plain", "gateways", { host: fqdn }), rule("istio-system")], false],
  ];
  for (const [what, extra, applies] of cases) {
    const result = await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), eppService(), eppPods(), ...extra]);
    if (applies) assert.deepEqual(result.violations, [], what);
    else assert.equal(result.violations.length, 1, `${what}: ${JSON.stringify(result.violations)}`);
  }
  const elsewhere = await runStack(inferencePoolEpp, eppStack(rule("agents")));
  assert.match(elsewhere.violations[0].message, /in the gateway's namespace, in inference or in istio-system, exported to the gateway's namespace/);
  const selected = await runStack(inferencePoolEpp, eppStack(...gatewayIn("inference"), rule("inference", { workloadSelector: { matchLabels: { app: "nothing" } } })));
  assert.match(selected.violations[0].message, /for Gateway inference\/inference-gateway no DestinationRule applies \(inference\/epp match the host there but select other workloads/);
  // Another root namespace is configurable.
  assert.deepEqual((await runStack(inferencePoolEpp, eppStack(rule("mesh-root")), { rootNamespace: "mesh-root" })).violations, []);
});

test("inference-pool-failure-mode: judged on the inputs, where a missing failureMode is not yet defaulted to FailClose", async () => {
  const POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool";
  const input = (ref: Record<string, unknown> | undefined, type = POOL) => ({
    type,
    props: { metadata: { name: "llama-v1", namespace: "inference" }, spec: { selector: servers, targetPorts: [{ number: 8000 }], ...(ref ? { endpointPickerRef: ref, extensionRef: ref } : {}) } },
  });
  const ref = { kind: "Service", name: "llama-v1-epp", port: { number: 9002 } };
  assert.deepEqual((await runResource(inferencePoolFailureMode, [input({ ...ref, failureMode: "FailOpen" }), input({ ...ref, failureMode: "FailClose" }), input(undefined)])).violations, []);
  const unset = await runResource(inferencePoolFailureMode, input(ref));
  assert.equal(unset.violations.length, 1);
  assert.match(unset.violations[0].message, /InferencePool inference\/llama-v1: endpointPickerRef\.failureMode is unset; choose FailOpen or FailClose explicitly/);
  assert.match((await runResource(inferencePoolFailureMode, input({ ...ref, failureMode: "FailSometimes" }))).violations[0].message, /failureMode is "FailSometimes"/);
  const alpha = await runResource(inferencePoolFailureMode, input({ name: "llama-v1-epp", portNumber: 9002 }, "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferencePool"));
  assert.match(alpha.violations[0].message, /extensionRef\.failureMode is unset/);
  // Unknown in a preview: can't judge (the next run decides), neither a pass nor a violation.
  const unknown = await runResource(inferencePoolFailureMode, input({ ...ref, failureMode: UNKNOWN }));
  assert.deepEqual(unknown.violations, []);
  assert.equal(unknown.unknown.length, 1);
  // The stack policy reads outputs, where the API server has filled in FailClose: not its business.
  assert.deepEqual((await runStack(inferencePoolEpp, eppStack(eppRule("SIMPLE")).map((r, i) => (i === 0 ? pool(undefined) : r)))).violations, []);
});

test("gateway-listeners-tls: a class, annotation, listener list or policy unknown in a preview is can't judge where it decides the verdict; known verdicts stand", async () => {
  const AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
  const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
  const LS = "kubernetes:gateway.networking.k8s.io/v1:ListenerSet";
  const external = gateway("public", "istio", [http]);
  const publicHttp = /Gateway inference\/public on a: listener http \(port 80\) is HTTP; external listeners must be HTTPS or TLS/;
  const judge = async (resources: ReturnType<typeof on>[]) => {
    const out = await runStack(gatewayListenersTls, [...resources, external]);
    // The known external plaintext listener is reported whatever else is unknown.
    assert.equal(out.violations.length, 1, JSON.stringify(out.violations));
    assert.match(out.violations[0].message, publicHttp);
    return out.unknown.join("\n");
  };
  // A class not known yet may be a waypoint's (before: skipped, a silent pass).
  assert.match(await judge([gateway("mystery", UNKNOWN, [http])]), /whether Gateway inference\/mystery on a is exposed outside the cluster .* listener http \(port 80\)/);
  // Annotations not known yet may make Istio's Service ClusterIP (before: judged external, a violation).
  assert.match(await judge([gateway("internal", "istio", [http], { metadata: { annotations: UNKNOWN } })]), /whether Gateway inference\/internal on a is exposed outside the cluster/);
  // Listeners not known yet (before: none, a silent pass).
  assert.match(await judge([gateway("edge", "istio", UNKNOWN as unknown as unknown[])]), /the listeners of Gateway inference\/edge on a/);
  // A ListenerSet whose parentRef is not known yet may attach a plaintext listener; the Gateway's own are still judged
  // (before: one unknown ListenerSet hid every listener of the Gateway).
  const open = gateway("inference-gateway", "istio", [https, http], { spec: { allowedListeners: { namespaces: { from: "All" } } } });
  const set = on(LS, "ls-extra", { metadata: { name: "extra", namespace: "inference" }, spec: { parentRef: UNKNOWN, listeners: [{ name: "plain", port: 8080, protocol: "HTTP" }] } });
  const withSet = await runStack(gatewayListenersTls, [open, set]);
  assert.deepEqual(withSet.violations.map((v) => v.message), ["Gateway inference/inference-gateway on a: listener http (port 80) is HTTP; external listeners must be HTTPS or TLS"]);
  assert.match(withSet.unknown[0], /whether ListenerSet inference\/extra attaches its listener plain \(port 8080\) to Gateway inference\/inference-gateway on a/);
  // In-mesh listeners: what admits outside callers not known yet (before: an unreadable policy counted as admitting no one,
  // an unreadable NetworkPolicy as restricting the port, an unreadable ConfigMap as keeping client addresses: silent passes).
  const mesh = { name: "http-mesh", port: 80, protocol: "HTTP", hostname: "inference-gateway-istio.inference.svc.cluster.local" };
  const gw = gateway("inference-gateway", "istio", [https, mesh], { spec: { infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: "options" } } } });
  const callers = (spec: unknown) => on(AP, "callers", { metadata: { name: "callers", namespace: "inference" }, spec });
  const openOn80 = callers({ targetRefs: [{ kind: "Gateway", name: "inference-gateway" }], rules: [{ from: [{ source: { notPrincipals: ["*"] } }], to: [{ operation: { ports: ["443", "80"] } }] }] });
  const options = (data: unknown) => on("kubernetes:core/v1:ConfigMap", "options", { metadata: { name: "options", namespace: "inference" }, data });
  const local = options({ service: "spec:\n  externalTrafficPolicy: Local\n" });
  const netpol = (spec: unknown) => on(NP, "np", { metadata: { name: "gw", namespace: "inference" }, spec });
  const agentsOnly = netpol({ podSelector: {}, policyTypes: ["Ingress"], ingress: [{ ports: [{ port: 443 }] }, { from: [{ podSelector: {} }], ports: [{ port: 80 }] }] });
  const inMeshUnknown = /what admits outside callers to the port .* of listener http-mesh \(port 80\) of Gateway inference\/inference-gateway on a/;
  assert.match(await judge([gw, callers(UNKNOWN)]), inMeshUnknown);
  assert.match(await judge([gw, openOn80, local, netpol(UNKNOWN)]), inMeshUnknown);
  assert.match(await judge([gw, openOn80, options(UNKNOWN), agentsOnly]), inMeshUnknown);
  assert.deepEqual((await runStack(gatewayListenersTls, [gw, openOn80, local, agentsOnly])).violations, []);
  // An unknown that cannot change the verdict blocks nothing: a NetworkPolicy known to open the port fails the
  // listener whatever the ConfigMap says; an HTTPS Gateway of an unknown class passes whatever it is.
  const allOpen = netpol({ podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] });
  const failing = await runStack(gatewayListenersTls, [gw, openOn80, options(UNKNOWN), allOpen]);
  assert.deepEqual(failing.unknown, []);
  assert.match(failing.violations[0].message, /listener http-mesh \(port 80\) is HTTP for in-mesh callers, but AuthorizationPolicy callers admits .* NetworkPolicy gw admits addresses outside the cluster on it/);
  assert.deepEqual(await runStack(gatewayListenersTls, [gateway("mystery", UNKNOWN, [https])]), { violations: [], unknown: [], notApplicable: [] });
});

test("inference-pool-failure-mode: a picker reference or failure mode unknown in a preview is can't judge, not a pass", async () => {
  const POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool";
  const input = (ref: unknown, name = "llama-v1") => ({ type: POOL, name, props: { metadata: { name, namespace: "inference" }, spec: { selector: servers, targetPorts: [{ number: 8000 }], endpointPickerRef: ref } } });
  const ref = { kind: "Service", name: "llama-v1-epp", port: { number: 9002 } };
  // Before: both passed silently ("decided on the next run").
  const preview = await runResource(inferencePoolFailureMode, [input(UNKNOWN), input({ ...ref, failureMode: UNKNOWN }, "llama-v2"), input(ref, "llama-v3")]);
  assert.deepEqual(preview.unknown.map((u) => u.replace(/^.*<|>.*$/g, "")), ["endpointPickerRef of InferencePool inference/llama-v1", "endpointPickerRef.failureMode of InferencePool inference/llama-v2"]);
  // Known: the pool that left it unset is still reported beside them.
  assert.deepEqual(preview.violations.map((v) => v.message), ["InferencePool inference/llama-v3: endpointPickerRef.failureMode is unset; choose FailOpen or FailClose explicitly (the API server would default it to FailClose)"]);
  // Unknowns elsewhere in the reference do not block a known choice.
  assert.deepEqual(await runResource(inferencePoolFailureMode, input({ ...ref, name: UNKNOWN, failureMode: "FailClose" })), { violations: [], unknown: [], notApplicable: [] });
});

test("inference-pool-epp: a value unknown in a preview makes only the check that reads it can't judge; the pool's other checks still report", async () => {
  const wired = [modelServer(), eppService(), eppPods()];
  const tlsDisabled = /DestinationRule inference\/llama-v1-epp applies and gives it tls\.mode DISABLE/;
  // A selector not known yet (before: the whole pool was skipped, its TLS violation with it).
  const selector = await runStack(inferencePoolEpp, [pool("FailOpen", 9002, UNKNOWN), ...wired, eppRule("DISABLE")]);
  assert.equal(selector.violations.length, 1);
  assert.match(selector.violations[0].message, tlsDisabled);
  assert.match(selector.unknown[0], /the model servers it selects of InferencePool inference\/llama-v1 on a/);
  // A DestinationRule not known yet may or may not give the port TLS (before: a silent pass).
  const unreadRule = on("kubernetes:networking.istio.io/v1:DestinationRule", "epp-dr", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: UNKNOWN });
  const rule = await runStack(inferencePoolEpp, [pool("FailOpen", 9002, servers, 8001), ...wired, unreadRule]);
  assert.match(rule.violations[0].message, /target port 8001 is not a containerPort of the selected pods/);
  assert.match(rule.unknown[0], /the TLS its gateways speak to the endpoint picker llama-v1-epp of InferencePool inference\/llama-v1 on a/);
  // The picker Service's spec not known yet.
  const svc = on("kubernetes:core/v1:Service", "epp-svc", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: UNKNOWN });
  const service = await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), svc, eppPods(), eppRule("SIMPLE")]);
  assert.deepEqual(service.violations, []);
  assert.match(service.unknown[0], /the endpoint picker Service inference\/llama-v1-epp of InferencePool/);
  // Known: everything wired, nothing pending.
  assert.deepEqual(await runStack(inferencePoolEpp, [pool("FailOpen"), ...wired, eppRule("SIMPLE")]), { violations: [], unknown: [], notApplicable: [] });
});

test("canary-weight-limit: the x-canary rule's own split sums to 100, and a stable backend it lists is named as what is wrong", async () => {
  const door = (...backends: [string, number | undefined][]) => ({
    matches: [{ headers: [{ name: "x-canary", type: "Exact", value: "true" }] }],
    backendRefs: backends.map(([name, weight]) => ({ kind: "InferencePool", name, ...(weight === undefined ? {} : { weight }) })),
  });
  const split = { backendRefs: [{ kind: "InferencePool", name: "pool-v2", weight: 5 }, { kind: "InferencePool", name: "pool-v1", weight: 95 }] };
  // Compliant: the door routes to the canary alone (the stable pinned out at weight 0).
  assert.deepEqual((await runResource(canaryWeightLimit, route([door(["pool-v2", 1], ["pool-v1", 0]), split]))).violations, []);
  // Before: the door returned before any check, so 60/50 (sum 110) was never reported as a sum.
  const sum = await runResource(canaryWeightLimit, route([door(["pool-v2", 60], ["pool-v1", 50]), split]));
  const messages = sum.violations.map((v) => v.message);
  assert.ok(messages.some((m) => /^inference\/llama rule 0 \(the x-canary rule\): split weights 60\/50 sum to 110, not 100$/.test(m)), messages.join("\n"));
  // Before: "canary (x-canary routes to it) pool-v1 gets 95%", calling the stable version the canary.
  const both = await runResource(canaryWeightLimit, route([door(["pool-v2", 50], ["pool-v1", 50]), split]));
  assert.equal(both.violations.length, 1);
  assert.match(
    both.violations[0].message,
    /^inference\/llama rule 1: pool-v1 gets 95% of the split, but the x-canary rule \(rule 0\) also routes to it \(beside pool-v2\), which makes it a canary: the header must send requests to the canary alone, so route the x-canary rule only to the canary/,
  );
  assert.doesNotMatch(both.violations[0].message, /canary \(x-canary routes to it\) pool-v1/);
  // A door to the one canary with a swapped split keeps the canary message.
  const swapped = await runResource(canaryWeightLimit, route([door(["pool-v1", 1]), split]));
  assert.match(swapped.violations[0].message, /canary \(x-canary routes to it\) pool-v1 gets 95% of the split/);
});

test("canary-weight-limit: InferenceModelRewrite targets are held to maxCanaryWeight of the rule's weight sum (weights are relative)", async () => {
  const rewrite = (targets: { modelRewrite: string; weight?: number }[], type = "kubernetes:llm-d.ai/v1alpha2:InferenceModelRewrite") => ({
    type,
    props: {
      metadata: { name: "llama-canary", namespace: "inference" },
      spec: { poolRef: { name: "llama-v1" }, rules: [{ matches: [{ model: { value: "meta-llama/Llama-3.1-8B-Instruct" } }], targets }] },
    },
  });
  const ok = await runResource(canaryWeightLimit, [
    rewrite([{ modelRewrite: "llama-v1", weight: 95 }, { modelRewrite: "llama-v2", weight: 5 }]),
    // Relative weights: 19/1 is the same 95/5 split, and the sum need not be 100.
    rewrite([{ modelRewrite: "llama-v1", weight: 19 }, { modelRewrite: "llama-v2", weight: 1 }]),
    // A single target is a rewrite, not a split; an unweighted target beside weighted ones is never picked.
    rewrite([{ modelRewrite: "llama-v2" }]),
    rewrite([{ modelRewrite: "llama-v1", weight: 9 }, { modelRewrite: "llama-v2" }]),
  ]);
  assert.deepEqual(ok.violations, []);
  // Before: not judged at all.
  const fifty = await runResource(canaryWeightLimit, rewrite([{ modelRewrite: "llama-v1", weight: 50 }, { modelRewrite: "support-tone", weight: 50 }]));
  assert.equal(fifty.violations.length, 1, "on a tie the first listed is the primary, the later one a canary");
  assert.match(
    fifty.violations[0].message,
    /^InferenceModelRewrite inference\/llama-canary rule 0: target model support-tone gets 50% of the requests for meta-llama\/Llama-3\.1-8B-Instruct \(weight 50 of 100\); every target but the heaviest \(llama-v1\) is a canary and may get at most 10%/,
  );
  // Unweighted targets share evenly; a model listed twice adds up; the legacy group is judged too.
  assert.equal((await runResource(canaryWeightLimit, rewrite([{ modelRewrite: "a" }, { modelRewrite: "b" }, { modelRewrite: "c" }]))).violations.length, 2);
  const twice = await runResource(canaryWeightLimit, rewrite([{ modelRewrite: "v1", weight: 16 }, { modelRewrite: "v2", weight: 2 }, { modelRewrite: "v2", weight: 2 }]));
  assert.match(twice.violations[0].message, /target model v2 gets 20% .*\(weight 4 of 20, listed 2 times\)/);
  const legacy = await runResource(canaryWeightLimit, rewrite([{ modelRewrite: "v1", weight: 3 }, { modelRewrite: "v2", weight: 1 }], "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceModelRewrite"));
  assert.match(legacy.violations[0].message, /target model v2 gets 25%/);
  assert.deepEqual((await runResource(canaryWeightLimit, rewrite([{ modelRewrite: "v1", weight: 3 }, { modelRewrite: "v2", weight: 1 }]), { maxCanaryWeight: 25 })).violations, []);
  // Targets not known in a preview are can't judge, not a pass.
  const unknown = await runResource(canaryWeightLimit, { type: "kubernetes:llm-d.ai/v1alpha2:InferenceModelRewrite", props: { metadata: { name: "x", namespace: "inference" }, spec: { rules: [{ targets: UNKNOWN }] } } });
  assert.deepEqual(unknown.violations, []);
  assert.match(unknown.unknown[0], /the targets of InferenceModelRewrite inference\/x rule 0/);
});
