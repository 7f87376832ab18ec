/**
 * inference-pool-epp: how Istio gateways reach a pool's endpoint picker. A Gateway a route names
 * but whose listeners refuse it (allowedRoutes, or a parentRef port or route hostnames selecting none
 * of them) never routes to the pool (Istio 1.30.3 conversion.go referenceAllowed, filteredReferences), so its namespace's DestinationRules do not matter; and the
 * picker's Service port must be TCP (istiod builds no cluster for a UDP port, networking/core/cluster.go).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { runStack, UNKNOWN } from "../support/policy";
import { on, GW, https, ROUTE, pickedPool } from "./traffic-support";

const fqdn = "llama-v1-epp.inference.svc.cluster.local";

const base = [
  ...pickedPool(),
  // The picker's TLS rule, visible to the inference namespace only.
  on("kubernetes:networking.istio.io/v1:DestinationRule", "epp-dr", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: { host: fqdn, exportTo: ["."], trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: true } } } }),
  on(GW, "gw-inference", { metadata: { name: "inference-gateway", namespace: "inference" }, spec: { gatewayClassName: "istio", listeners: [https] } }),
];

/** The route to the pool, attached to the inference gateway and to an `edge` gateway whose listener allows `allowedRoutes`. */
const withEdge = (allowedRoutes: Record<string, unknown> | undefined, sectionName?: string) => [
  ...base,
  on(GW, "gw-edge", { metadata: { name: "edge", namespace: "edge" }, spec: { gatewayClassName: "istio", listeners: [{ ...https, ...(allowedRoutes ? { allowedRoutes } : {}) }] } }),
  on(ROUTE, "route", {
    metadata: { name: "llama", namespace: "inference" },
    spec: {
      parentRefs: [{ name: "inference-gateway" }, { name: "edge", namespace: "edge", ...(sectionName ? { sectionName } : {}) }],
      rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "llama-v1" }] }],
    },
  }),
];

test("inference-pool-epp: a Gateway whose listeners refuse the route does not call the picker", async () => {
  const refusals: [string, Record<string, unknown> | undefined, string?][] = [
    ["allowedRoutes absent (Same namespace)", undefined],
    ["from: Same", { namespaces: { from: "Same" } }],
    ["kinds: GRPCRoute only", { namespaces: { from: "All" }, kinds: [{ kind: "GRPCRoute" }] }],
    ["sectionName naming no listener", { namespaces: { from: "All" } }, "other"],
  ];
  for (const [what, allowed, section] of refusals) {
    assert.deepEqual((await runStack(inferencePoolEpp, withEdge(allowed, section))).violations, [], what);
  }
  // A listener that takes the route makes the edge gateway a caller, and the rule is not exported to it.
  const taken = await runStack(inferencePoolEpp, withEdge({ namespaces: { from: "All" } }));
  assert.equal(taken.violations.length, 1, JSON.stringify(taken.violations));
  assert.match(taken.violations[0].message, /for Gateway edge\/edge no DestinationRule applies/);
});

test("inference-pool-epp: a Gateway the route reaches on no listener (parentRef port, hostnames) does not call the picker", async () => {
  // The edge gateway's listener serves only *.edge.example.com, on port 443, to every namespace.
  const edge = (ref: Record<string, unknown>, hostnames: string[]) =>
    withEdge({ namespaces: { from: "All" } }).map((r) => {
      if (r.name === "a-gw-edge") return { ...r, props: { ...r.props, spec: { gatewayClassName: "istio", listeners: [{ ...https, hostname: "*.edge.example.com", allowedRoutes: { namespaces: { from: "All" } } }] } } };
      if (r.name !== "a-route") return r;
      const spec = (r.props as any).spec;
      return { ...r, props: { ...r.props, spec: { ...spec, hostnames, parentRefs: [spec.parentRefs[0], { ...spec.parentRefs[1], ...ref }] } } };
    });
  const callers = async (ref: Record<string, unknown>, hostnames: string[]) => (await runStack(inferencePoolEpp, edge(ref, hostnames))).violations.map((v) => v.message);
  // Before, a parentRef's port and the hostnames were not read: the edge gateway counted as a caller.
  assert.deepEqual(await callers({ port: 8443 }, ["inference.example.com", "llama.edge.example.com"]), [], "no listener on port 8443");
  assert.deepEqual(await callers({}, ["inference.example.com"]), [], "*.edge.example.com does not overlap inference.example.com");
  assert.deepEqual(await callers({}, ["inference.example.com", "edge.example.com"]), [], "a wildcard does not cover its own suffix");
  // A listener on the ref's port whose hostname overlaps one of the route's takes it.
  for (const [ref, hostnames] of [[{ port: 443 }, ["inference.example.com", "llama.edge.example.com"]], [{}, ["*.example.com"]]] as const) {
    const found = await callers(ref, [...hostnames]);
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.match(found[0], /for Gateway edge\/edge no DestinationRule applies/);
  }
});

test("inference-pool-epp: the picker's Service port must be TCP, the protocol of the gateway's gRPC calls", async () => {
  const withPorts = (ports: unknown[]) => base.map((r) => (r.name.endsWith("epp-svc") ? { ...r, props: { ...r.props, spec: { ...(r.props as any).spec, ports } } } : r));
  assert.deepEqual((await runStack(inferencePoolEpp, withPorts([{ name: "grpc-ext-proc", port: 9002, targetPort: 9002, protocol: "TCP" }]))).violations, []);
  // The same number over TCP and UDP (as DNS does): the TCP entry is the one the gateway calls.
  assert.deepEqual((await runStack(inferencePoolEpp, withPorts([{ port: 9002, protocol: "UDP" }, { name: "grpc-ext-proc", port: 9002, targetPort: 9002 }]))).violations, []);
  const udp = (await runStack(inferencePoolEpp, withPorts([{ port: 9002, targetPort: 9002, protocol: "UDP" }]))).violations;
  assert.equal(udp.length, 1);
  assert.match(udp[0].message, /Service inference\/llama-v1-epp does not expose port 9002 over TCP \(it is UDP\)/);
});

// The DestinationRule istiod applies to a calling gateway is picked by its pods' labels (Istio 1.30.3
// model/sidecar.go DestinationRule: a workloadSelector rule of the gateway's namespace whose
// matchLabels are a labels.Instance SubsetOf the proxy's). Those labels are the ones Istio's
// template for the Gateway's kind gives its pods, under its owning istiod's flags
// (gatewaycommon/deploymentcontroller.go): `service.istio.io/canonical-name` `<name>-<class>` for the
// ingress kind, and the Gateway's own labels only while PILOT_ENABLE_GATEWAY_API_COPY_LABELS_ANNOTATIONS holds.
const selectingRule = (workloadSelector: unknown) =>
  on("kubernetes:networking.istio.io/v1:DestinationRule", "epp-dr", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: { host: fqdn, workloadSelector, trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: true } } } });
const routed = (gwExtra: Record<string, unknown>, rule: ReturnType<typeof on>, more: ReturnType<typeof on>[] = []) => [
  ...base.filter((r) => r.name !== "a-epp-dr" && r.name !== "a-gw-inference"),
  rule,
  on(GW, "gw-inference", { metadata: { name: "inference-gateway", namespace: "inference", ...gwExtra }, spec: { gatewayClassName: "istio", listeners: [https] } }),
  on(ROUTE, "route", { metadata: { name: "llama", namespace: "inference" }, spec: { parentRefs: [{ name: "inference-gateway" }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "llama-v1" }] }] } }),
  ...more,
];
const tlsVerdicts = async (resources: ReturnType<typeof on>[]) => (await runStack(inferencePoolEpp, resources)).violations.map((v) => v.message).filter((m) => /DestinationRule/.test(m));

test("inference-pool-epp: a workloadSelector DestinationRule is matched against the calling Gateway's pod labels as Istio renders them", async () => {
  // Before: the ingress template's labels without canonical-name, so this rule selected no gateway.
  assert.deepEqual(await tlsVerdicts(routed({}, selectingRule({ matchLabels: { "service.istio.io/canonical-name": "inference-gateway-istio" } }))), []);
  const other = await tlsVerdicts(routed({}, selectingRule({ matchLabels: { "service.istio.io/canonical-name": "inference-gateway" } })));
  assert.equal(other.length, 1, other.join("\n"));
  assert.match(other[0], /for Gateway inference\/inference-gateway no DestinationRule applies \(inference\/llama-v1-epp match the host there but select other workloads/);
  // A Gateway label reaches the pods only while istiod copies it.
  const team = selectingRule({ matchLabels: { team: "ml" } });
  const istiod = (env: Record<string, string>) => on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", namespace: "istio-system", values: { profile: "ambient", pilot: { env } } });
  assert.deepEqual(await tlsVerdicts(routed({ labels: { team: "ml" } }, team, [istiod({})])), []);
  assert.equal((await tlsVerdicts(routed({ labels: { team: "ml" } }, team, [istiod({ PILOT_ENABLE_GATEWAY_API_COPY_LABELS_ANNOTATIONS: "false" })]))).length, 1);
  // A Deployment name not known yet (its name-override annotation): which rule applies is can't judge, not a verdict.
  const pending = await runStack(inferencePoolEpp, routed({ annotations: { "gateway.istio.io/name-override": UNKNOWN } }, selectingRule({ matchLabels: { "service.istio.io/canonical-name": "inference-gateway-istio" } })));
  assert.deepEqual(pending.violations, []);
  assert.equal(pending.unknown.length, 1);
});

// An empty workloadSelector (`{}` or `matchLabels: {}`) is still a selector: istiod keeps the rule
// private to its namespace and applies it to every proxy there (labels.Instance SubsetOf: an empty
// map is a subset of any labels; pkg/config/validation only warns "workload selector specified
// without labels").
test("inference-pool-epp: an empty workloadSelector selects every gateway of its namespace", async () => {
  for (const selector of [{}, { matchLabels: {} }]) assert.deepEqual(await tlsVerdicts(routed({}, selectingRule(selector))), [], JSON.stringify(selector));
});
