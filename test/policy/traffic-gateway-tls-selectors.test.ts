/**
 * Policy tests for gateway-listeners-tls: which AuthorizationPolicies bind an Envoy gateway's pods
 * besides its targetRefs (selector-bound ones its pods match, the root namespace's), and so may
 * admit outside callers to an in-mesh plaintext listener.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gatewayListenersTls } from "../../policy/rules/gateway-listeners-tls";
import { exposingServices } from "../../policy/lib/gateway-exposure";
import { runStack, UNKNOWN } from "../support/policy";
import { on, https, gateway } from "./traffic-support";

const AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
/** The inference gateway with an in-mesh plaintext listener, and its own policy admitting outsiders on 443 only. */
const mesh = { name: "http-mesh", port: 80, protocol: "HTTP", hostname: "inference-gateway-istio.inference.svc.cluster.local" };
const gwMesh = gateway("inference-gateway", "istio", [https, mesh]);
const callers = on(AP, "callers", {
  metadata: { name: "inference-gateway-callers", namespace: "inference" },
  spec: { targetRefs: [{ kind: "Gateway", name: "inference-gateway" }], rules: [{ from: [{ source: { notPrincipals: ["*"] } }], to: [{ operation: { ports: ["443"] } }] }] },
});

// An Envoy gateway takes selector-bound policies too: istiod attaches a policy without targetRefs
// to a Gateway API gateway's pods when its matchLabels are a subset of their labels (an empty or
// absent matchLabels is), unless istiod's ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY is false (Istio
// 1.30.3 pilot/pkg/model/policyattachment.go ShouldAttachPolicy, isSelected). ztunnel binds
// `selector: {}` to no workload, but the gateway's Envoy is not ztunnel.
test("gateway-listeners-tls: an ALLOW policy bound by a selector the gateway's pods match (selector: {} too) admits outsiders to the in-mesh listener", async () => {
  const open = (selector: unknown, rules: unknown[] = [{ from: [{ source: { notPrincipals: ["*"] } }] }]) => on(AP, "open", { metadata: { name: "open", namespace: "inference" }, spec: { selector, rules } });
  for (const selector of [{}, { matchLabels: {} }, { matchLabels: { "gateway.networking.k8s.io/gateway-name": "inference-gateway" } }]) {
    const r = await runStack(gatewayListenersTls, [gwMesh, callers, open(selector)]);
    assert.equal(r.violations.length, 1, JSON.stringify(selector));
    assert.match(r.violations[0].message, /listener http-mesh \(port 80\) is HTTP for in-mesh callers, but AuthorizationPolicy inference-gateway-callers, open admits callers without a mesh identity on every port/);
  }
  // A selector the gateway's pods do not match binds other workloads only.
  assert.deepEqual((await runStack(gatewayListenersTls, [gwMesh, callers, open({ matchLabels: { app: "vllm" } })])).violations, []);
  // Alone and admitting only mesh identities, `selector: {}` binds the gateway: Istio no longer admits everyone.
  const meshOnly = open({}, [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/bot"] } }] }]);
  assert.deepEqual((await runStack(gatewayListenersTls, [gwMesh, meshOnly])).violations, []);
  // istiod told to ignore selector-bound policies at Gateway API gateways.
  const off = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", namespace: "istio-system", values: { profile: "ambient", pilot: { env: { ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY: "false" } } } });
  assert.deepEqual((await runStack(gatewayListenersTls, [gwMesh, callers, open({}), off])).violations, []);
  const on_ = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", namespace: "istio-system", values: { profile: "ambient" } });
  assert.equal((await runStack(gatewayListenersTls, [gwMesh, callers, open({}), on_])).violations.length, 1);
});

// Istio 1.30.3's gateway templates (istio-discovery files/kube-gateway.yaml, waypoint.yaml,
// agentgateway.yaml) label the proxy pods service.istio.io/canonical-name with the Deployment's
// name (the gateway.istio.io/name-override annotation, else GetDefaultName: `<name>-<class>` for the
// ingress kind, the bare name for the others) and canonical-revision `latest`, both overridden by
// the Gateway's own (infrastructure) labels; istio.io/rev goes on the pods as an annotation only.
test("gateway-listeners-tls: a selector on the gateway pods' canonical-name, canonical-revision or istio.io/rev label is judged from Istio's template", async () => {
  const open = (matchLabels: Record<string, string>) => on(AP, "open", { metadata: { name: "open", namespace: "inference" }, spec: { selector: { matchLabels }, rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }] } });
  const verdicts = async (matchLabels: Record<string, string>, gw = gwMesh) => (await runStack(gatewayListenersTls, [gw, callers, open(matchLabels)])).violations.length;
  // The ingress kind's Deployment is <name>-<class>; every gateway's canonical revision is latest.
  assert.equal(await verdicts({ "service.istio.io/canonical-name": "inference-gateway-istio" }), 1);
  assert.equal(await verdicts({ "service.istio.io/canonical-name": "inference-gateway-istio", "service.istio.io/canonical-revision": "latest" }), 1);
  assert.equal(await verdicts({ "service.istio.io/canonical-name": "inference-gateway" }), 0);
  assert.equal(await verdicts({ "service.istio.io/canonical-revision": "v2" }), 0);
  // gateway.istio.io/name-override renames the Deployment; the Gateway's own label overrides the template's.
  const renamed = gateway("inference-gateway", "istio", [https, mesh], { metadata: { annotations: { "gateway.istio.io/name-override": "edge" } } });
  assert.equal(await verdicts({ "service.istio.io/canonical-name": "edge" }, renamed), 1);
  assert.equal(await verdicts({ "service.istio.io/canonical-name": "inference-gateway-istio" }, renamed), 0);
  const labelled = gateway("inference-gateway", "istio", [https, mesh], { metadata: { labels: { "service.istio.io/canonical-name": "edge", "istio.io/rev": "canary" } } });
  assert.equal(await verdicts({ "service.istio.io/canonical-name": "edge" }, labelled), 1);
  // istio.io/rev is a label of the pods only when the Gateway's labels carry it.
  assert.equal(await verdicts({ "istio.io/rev": "canary" }), 0);
  assert.equal(await verdicts({ "istio.io/rev": "canary" }, labelled), 1);
  // A class renamed by istiod's env not known yet: the Deployment's name is not known either.
  const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", namespace: "istio-system", values: { profile: "ambient", pilot: { env: { PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME: UNKNOWN } } } });
  const later = await runStack(gatewayListenersTls, [gwMesh, callers, open({ "service.istio.io/canonical-name": "inference-gateway-istio" }), istiod]);
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /http-mesh/);
});

// Envoy reads the policies of Istio's root namespace beside its own (Istio 1.30.3
// pilot/pkg/model/authorization.go ListAuthorizationPolicies): namespace-wide or selector-bound
// ones there bind every gateway they select.
test("gateway-listeners-tls: a root-namespace ALLOW admitting outsiders binds the gateway's Envoy too", async () => {
  const open = (namespace: string) => on(AP, `open-${namespace}`, { metadata: { name: "open", namespace }, spec: { rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }] } });
  const root = await runStack(gatewayListenersTls, [gwMesh, callers, open("istio-system")]);
  assert.equal(root.violations.length, 1);
  assert.match(root.violations[0].message, /AuthorizationPolicy inference-gateway-callers, open admits callers without a mesh identity on every port/);
  // istiod moving the root elsewhere: istio-system is then an ordinary namespace.
  const moved = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", namespace: "istio-system", values: { profile: "ambient", meshConfig: { rootNamespace: "mesh-root" } } });
  assert.deepEqual((await runStack(gatewayListenersTls, [gwMesh, callers, open("istio-system"), moved])).violations, []);
  assert.equal((await runStack(gatewayListenersTls, [gwMesh, callers, open("mesh-root"), moved])).violations.length, 1);
  // Another ordinary namespace's policy binds nothing here.
  assert.deepEqual((await runStack(gatewayListenersTls, [gwMesh, callers, open("agents")])).violations, []);
});

// The same template labels select the pods for NetworkPolicies (and for Services added beside the Gateway).
test("gateway-listeners-tls: a NetworkPolicy or a LoadBalancer Service selecting the gateway's pods by canonical-name applies to them", async () => {
  const options = { spec: { infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: "options" } } } };
  const gw = gateway("inference-gateway", "istio", [https, mesh], options);
  const local = on("kubernetes:core/v1:ConfigMap", "options", { metadata: { name: "options", namespace: "inference" }, data: { service: "spec:\n  externalTrafficPolicy: Local\n" } });
  const open = on(AP, "open", { metadata: { name: "open", namespace: "inference" }, spec: { targetRefs: [{ kind: "Gateway", name: "inference-gateway" }], rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }] } });
  const byName = (name: string) => ({ "service.istio.io/canonical-name": name });
  const netpol = (name: string) => on("kubernetes:networking.k8s.io/v1:NetworkPolicy", "np", { metadata: { name: "np", namespace: "inference" }, spec: { podSelector: { matchLabels: byName(name) }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] } });
  assert.deepEqual((await runStack(gatewayListenersTls, [gw, local, open, netpol("inference-gateway-istio")])).violations, []);
  assert.match((await runStack(gatewayListenersTls, [gw, local, open, netpol("inference-gateway")])).violations[0]?.message ?? "", /no NetworkPolicy keeps the port to pods inside the cluster/);
  // A LoadBalancer Service beside the Gateway selecting its pods by canonical-name exposes them.
  const lb = (name: string) => on("kubernetes:core/v1:Service", "lb", { metadata: { name: "lb", namespace: "inference" }, spec: { type: "LoadBalancer", selector: byName(name), ports: [{ port: 80, targetPort: 80 }] } });
  assert.deepEqual(exposingServices(gw, [gw, lb("inference-gateway-istio")]).services, ["lb (LoadBalancer)"]);
  assert.deepEqual(exposingServices(gw, [gw, lb("inference-gateway")]).services, []);
});
