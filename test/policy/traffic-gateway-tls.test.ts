/**
 * Policy tests for gateway-listeners-tls: external listeners are HTTPS/TLS; which gateways are
 * external, and in-mesh plaintext listeners while no outside caller is admitted on their port. How
 * a Gateway's Service type is decided is in traffic-gateway-tls-services.test.ts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gatewayListenersTls } from "../../policy/rules/gateway-listeners-tls";
import { runStack, UNKNOWN } from "../support/policy";
import { on, https, gateway } from "./traffic-support";

const http = { name: "http", port: 80, protocol: "HTTP" };

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

test("gateway-listeners-tls: a tls.mode outside Gateway API's enum (another case) is reported as refused, not read as passthrough", async () => {
  // Before, `terminate` was not Terminate, so a TLS listener without a certificate passed.
  const odd = await runStack(gatewayListenersTls, [
    gateway("inference-gateway", "istio", [{ name: "tls", port: 8443, protocol: "TLS", tls: { mode: "terminate" } }, { ...https, tls: { ...https.tls, mode: "passthrough" } }]),
  ]);
  assert.deepEqual(odd.violations.map((v) => v.message.replace(/, which .*$/, "")), [
    'Gateway inference/inference-gateway on a: listener tls (port 8443) sets tls.mode "terminate"',
    'Gateway inference/inference-gateway on a: listener https (port 443) sets tls.mode "passthrough"',
  ]);
  assert.match(odd.violations[0].message, /not a mode Gateway API knows \(Terminate or Passthrough\): the API server refuses the Gateway$/);
  // The enum's own values (and none, Terminate by default) are judged as before.
  const ok = await runStack(gatewayListenersTls, [gateway("inference-gateway", "istio", [{ name: "tls", port: 8443, protocol: "TLS", tls: { mode: "Passthrough" } }, { ...https, tls: { ...https.tls, mode: null } }])]);
  assert.deepEqual(ok.violations, []);
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
  // Listeners are TCP: a rule opening port 80 to everyone over UDP or SCTP opens none of them.
  const otherProtocols = { ports: [{ protocol: "UDP", port: 80 }, { protocol: "SCTP", port: 80 }] };
  assert.deepEqual((await runStack(gatewayListenersTls, [gw, open, keepClientAddress, netpol([publicRule, agentsOn80, otherProtocols])])).violations, []);
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
    ["a rule without peers covering 80 with the protocol left to its default (TCP)", [netpol([publicRule, { ports: [{ port: 80 }] }])], /admits addresses outside the cluster on it/],
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
  // listener whatever the ConfigMap's externalTrafficPolicy says; an HTTPS Gateway of an unknown class passes whatever it is.
  // Options not known at all may also patch the Service to ClusterIP (Istio applies their `service` overlay), which decides.
  const allOpen = netpol({ podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] });
  const failing = await runStack(gatewayListenersTls, [gw, openOn80, options({ service: UNKNOWN }), allOpen]);
  assert.deepEqual(failing.violations, []);
  assert.match(failing.unknown[0], /whether Gateway inference\/inference-gateway on a is exposed outside the cluster .* listener http-mesh \(port 80\)/);
  const cluster = options({ service: "spec:\n  externalTrafficPolicy: Cluster\n" });
  const known = await runStack(gatewayListenersTls, [gw, openOn80, cluster, allOpen]);
  assert.deepEqual(known.unknown, []);
  assert.match(known.violations[0].message, /listener http-mesh \(port 80\) is HTTP for in-mesh callers, but AuthorizationPolicy callers admits .* NetworkPolicy gw admits addresses outside the cluster on it/);
  assert.deepEqual(await runStack(gatewayListenersTls, [gateway("mystery", UNKNOWN, [https])]), { violations: [], unknown: [], notApplicable: [] });
});
