/**
 * Policy tests for inference-pool-epp on the endpoint picker's TLS: the DestinationRule that gives the
 * picker's port its TLS, its host matched and looked up as istiod does for the gateway.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { runStack, UNKNOWN } from "../support/policy";
import { on, GW, https, ROUTE } from "./traffic-support";
import { pool, modelServer, eppService, eppPods, eppRbac, eppStack } from "./traffic-inference-pool-support";

const DR = "kubernetes:networking.istio.io/v1:DestinationRule";

/** A DestinationRule for the picker, `name` unique per test resource. */
const pickerRule = (name: string, namespace: string, spec: Record<string, unknown>) => on(DR, `dr-${name}`, { metadata: { name, namespace }, spec });

const skipVerify = { tls: { mode: "SIMPLE", insecureSkipVerify: true } };

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
