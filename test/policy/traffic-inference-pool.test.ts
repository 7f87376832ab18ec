/**
 * Policy tests for inference-pool-epp (the pool's model servers, the endpoint picker's Service and
 * pods, its TLS DestinationRule as istiod looks it up) and inference-pool-failure-mode.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { inferencePoolFailureMode } from "../../policy/rules/inference-pool-failure-mode";
import { runResource, runStack, UNKNOWN } from "../support/policy";
import { on, GW, https, ROUTE } from "./traffic-support";

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

/** What the picker's default ServiceAccount may watch (its pods, its pool): without it the picker crash-loops. */
const eppRbac = (cluster = "a") => [
  on("kubernetes:rbac.authorization.k8s.io/v1:Role", "epp-role", { metadata: { name: "llama-v1-epp", namespace: "inference" }, rules: [{ apiGroups: ["", "inference.networking.k8s.io", "inference.networking.x-k8s.io"], resources: ["pods", "inferencepools"], verbs: ["get", "list", "watch"] }] }, cluster),
  on("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "epp-rb", { metadata: { name: "llama-v1-epp", namespace: "inference" }, subjects: [{ kind: "ServiceAccount", name: "default", namespace: "inference" }], roleRef: { kind: "Role", name: "llama-v1-epp" } }, cluster),
];

const eppRule = (mode: string) =>
  on("kubernetes:networking.istio.io/v1:DestinationRule", "epp-dr", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: { host: "llama-v1-epp.inference.svc.cluster.local", trafficPolicy: { tls: { mode, insecureSkipVerify: true } } } });

test("inference-pool-epp: EPP Service on the referenced port, TLS DestinationRule", async () => {
  const ok = await runStack(inferencePoolEpp, [pool("FailClose"), modelServer(), eppService(), eppPods(), ...eppRbac(), eppRule("SIMPLE")]);
  assert.deepEqual(ok.violations, []);
  // The failure mode is judged on the inputs, by inference-pool-failure-mode.
  assert.deepEqual((await runStack(inferencePoolEpp, [pool(undefined), modelServer(), eppService(), eppPods(), ...eppRbac(), eppRule("SIMPLE")])).violations, []);
  const wrongPort = await runStack(inferencePoolEpp, [pool("FailOpen", 9003), modelServer(), eppService(), eppPods(), ...eppRbac(), eppRule("SIMPLE")]);
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
  assert.equal((await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), eppService(), eppPods(), ...eppRbac(), elsewhereDr])).violations.length, 1);
  const overridden = await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), eppService(), eppPods(), ...eppRbac(), portLevel]);
  assert.match(overridden.violations[0].message, /picker llama-v1-epp\.inference\.svc\.cluster\.local port 9002, .* gives it tls\.mode DISABLE/);
});

test("inference-pool-epp: the pool selects model-server pods that listen on its target port", async () => {
  const wired = [eppService(), eppPods(), ...eppRbac(), eppRule("SIMPLE")];
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
  const wired = [modelServer(), eppService(), eppPods(), ...eppRbac(), eppRule("SIMPLE")];
  assert.deepEqual((await runStack(inferencePoolEpp, [alpha({ name: "llama-v1-epp", portNumber: 9002, failureMode: "FailClose" }), ...wired])).violations, []);
  const bad = await runStack(inferencePoolEpp, [alpha({ name: "llama-v1-epp", portNumber: 9009 }, { app: "nothing" }), ...wired]);
  const messages = bad.violations.map((v) => v.message).join("\n");
  assert.match(messages, /selector \{"app":"nothing"\} matches no workload's pods/);
  assert.match(messages, /does not expose port 9009/);
});

test("inference-pool-epp: the picker Service selects the picker's pods and targets one of their container ports", async () => {
  const rule = eppRule("SIMPLE");
  const base = [pool("FailOpen"), modelServer(), eppPods(), ...eppRbac(), rule];
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

const eppStack = (...rules: ReturnType<typeof on>[]) => [pool("FailOpen"), modelServer(), eppService(), eppPods(), ...eppRbac(), ...rules];

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
  // The gateway and the route that sends to the pool: the gateway's proxy runs in `gwNs`, its listener takes routes from every namespace.
  const gatewayIn = (gwNs: string) => [
    on(GW, "gw-inference", { metadata: { name: "inference-gateway", namespace: gwNs }, spec: { gatewayClassName: "istio", listeners: [{ ...https, allowedRoutes: { namespaces: { from: "All" } } }] } }),
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
    const result = await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), eppService(), eppPods(), ...eppRbac(), ...extra]);
    if (applies) assert.deepEqual(result.violations, [], what);
    else assert.equal(result.violations.length, 1, `${what}: ${JSON.stringify(result.violations)}`);
  }
  const elsewhere = await runStack(inferencePoolEpp, eppStack(rule("agents")));
  assert.match(elsewhere.violations[0].message, /in the gateway's namespace, in inference or in istio-system, exported to the gateway's namespace/);
  const selected = await runStack(inferencePoolEpp, eppStack(...gatewayIn("inference"), rule("inference", { workloadSelector: { matchLabels: { app: "nothing" } } })));
  assert.match(selected.violations[0].message, /for Gateway inference\/inference-gateway no DestinationRule applies \(inference\/epp match the host there but select other workloads/);
  // Another root namespace is configurable.
  assert.deepEqual((await runStack(inferencePoolEpp, eppStack(rule("mesh-root")), { rootNamespace: "mesh-root" })).violations, []);
  // Before, the knob was the root also where the stack's istiod sets another one (istiod looks in its own
  // ps.Mesh.RootNamespace, Istio 1.30.3 push_context.go), as the other policies' rootNamespace knobs are not.
  const istiod = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", namespace: "istio-system", values });
  const rooted = istiod({ meshConfig: { rootNamespace: "mesh-root" } });
  assert.deepEqual((await runStack(inferencePoolEpp, eppStack(rooted, rule("mesh-root")))).violations, []);
  assert.deepEqual((await runStack(inferencePoolEpp, eppStack(istiod({ global: { istioNamespace: "mesh-root" } }), rule("mesh-root")))).violations, []);
  const stale = await runStack(inferencePoolEpp, eppStack(rooted, rule("istio-system")), { rootNamespace: "istio-system" });
  assert.match(stale.violations[0]?.message ?? "", /in the gateway's namespace, in inference or in mesh-root, exported to/);
  const pending = await runStack(inferencePoolEpp, eppStack(istiod({ meshConfig: UNKNOWN }), rule("mesh-root")));
  assert.deepEqual(pending.violations, []);
  assert.match(pending.unknown[0], /the TLS its gateways speak to the endpoint picker llama-v1-epp of InferencePool inference\/llama-v1 on a \(Istio's root namespace, which an istiod release not known yet sets\)/);
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
  assert.match((await runResource(inferencePoolFailureMode, input({ ...ref, failureMode: "FailSometimes" }))).violations[0].message, /failureMode is "FailSometimes"; choose FailOpen or FailClose explicitly \(the API server refuses any other value, so the pool would not be created\)/);
  const alpha = await runResource(inferencePoolFailureMode, input({ name: "llama-v1-epp", portNumber: 9002 }, "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferencePool"));
  assert.match(alpha.violations[0].message, /extensionRef\.failureMode is unset/);
  // Unknown in a preview: can't judge (the next run decides), neither a pass nor a violation.
  const unknown = await runResource(inferencePoolFailureMode, input({ ...ref, failureMode: UNKNOWN }));
  assert.deepEqual(unknown.violations, []);
  assert.equal(unknown.unknown.length, 1);
  // The stack policy reads outputs, where the API server has filled in FailClose: not its business.
  assert.deepEqual((await runStack(inferencePoolEpp, eppStack(eppRule("SIMPLE")).map((r, i) => (i === 0 ? pool(undefined) : r)))).violations, []);
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
  const wired = [modelServer(), eppService(), eppPods(), ...eppRbac()];
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
  const service = await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), svc, eppPods(), ...eppRbac(), eppRule("SIMPLE")]);
  assert.deepEqual(service.violations, []);
  assert.match(service.unknown[0], /the endpoint picker Service inference\/llama-v1-epp of InferencePool/);
  // Known: everything wired, nothing pending.
  assert.deepEqual(await runStack(inferencePoolEpp, [pool("FailOpen"), ...wired, eppRule("SIMPLE")]), { violations: [], unknown: [], notApplicable: [] });
});

test("inference-pool-epp: the picker is a Service, and the pods it reaches were started for this pool (--pool-name, --pool-namespace)", async () => {
  // NAMESPACE from the pod's namespace, as the chart sets it: a picker without --pool-namespace reads its pool there.
  const pickerFor = (args: string[], env: unknown[] = [{ name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }]) =>
    on("kubernetes:apps/v1:Deployment", "epp", {
      metadata: { name: "llama-v1-epp", namespace: "inference" },
      spec: { template: { metadata: { labels: eppLabels }, spec: { containers: [{ name: "epp", image: "e:1", args, env, ports: [{ name: "grpc", containerPort: 9002 }] }] } } },
    });
  for (const args of [["--pool-name", "llama-v1", "--pool-namespace", "inference"], ["--pool-name=llama-v1"], ["--grpc-port", "9002"]]) {
    assert.deepEqual((await runStack(inferencePoolEpp, [pool("FailClose"), modelServer(), eppService(), pickerFor(args), ...eppRbac(), eppRule("SIMPLE")])).violations, [], args.join(" "));
  }
  // The canary's picker behind the stable pool's Service: the stable's requests go to the canary's servers.
  for (const args of [["--pool-name", "llama-v2"], ["--pool-name=llama-v1", "--pool-namespace", "agents"]]) {
    const r = await runStack(inferencePoolEpp, [pool("FailClose"), modelServer(), eppService(), pickerFor(args), ...eppRbac(), eppRule("SIMPLE")]);
    assert.equal(r.violations.length, 1, args.join(" "));
    assert.match(r.violations[0].message, /Service inference\/llama-v1-epp reaches the endpoint picker of inference\/llama-v1-epp, started for InferencePool (inference\/llama-v2|agents\/llama-v1) \(--pool-name\), so it picks that pool's model servers/);
  }
  const kind = on("kubernetes:inference.networking.k8s.io/v1:InferencePool", "pool", {
    metadata: { name: "llama-v1", namespace: "inference" },
    spec: { selector: servers, targetPorts: [{ number: 8000 }], endpointPickerRef: { kind: "Deployment", name: "llama-v1-epp", port: { number: 9002 }, failureMode: "FailClose" } },
  });
  const wrongKind = await runStack(inferencePoolEpp, [kind, modelServer(), eppService(), eppPods(), ...eppRbac(), eppRule("SIMPLE")]);
  assert.match(wrongKind.violations[0]?.message ?? "", /endpointPickerRef\.kind is "Deployment"; the endpoint picker must be a Service/);
});
