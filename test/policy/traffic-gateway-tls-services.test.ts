/**
 * Policy tests for gateway-listeners-tls: whether a Gateway's listeners are exposed outside the
 * cluster, by its Service's type as Istio patches it (the annotation, the `service` overlays of its
 * class defaults and parametersRef ConfigMap, where istiod reads the defaults) and by Services added
 * beside it.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gatewayListenersTls } from "../../policy/rules/gateway-listeners-tls";
import { k8sProvider, runStack, stackResource } from "../support/policy";
import { on, gateway } from "./traffic-support";
import { v4Chart, istiodObjects } from "./mesh-support";

const http = { name: "http", port: 80, protocol: "HTTP" };

test("gateway-listeners-tls: a LoadBalancer or NodePort Service added beside a ClusterIP Gateway exposes the listeners on the ports it targets", async () => {
  const params = on("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters", "params", { metadata: { name: "mcp", namespace: "inference" }, spec: { service: { spec: { type: "ClusterIP" } } } });
  const mcp = gateway("mcp-gateway", "agentgateway", [http, { name: "hbone", port: 15008, protocol: "HBONE" }], { spec: { infrastructure: { parametersRef: { group: "agentgateway.dev", kind: "AgentgatewayParameters", name: "mcp" } } } });
  const internal = gateway("internal", "istio", [http], { metadata: { annotations: { "networking.istio.io/service-type": "ClusterIP" } } });
  const service = (name: string, spec: Record<string, unknown>) => on("kubernetes:core/v1:Service", `svc-${name}`, { metadata: { name, namespace: "inference" }, spec });
  const byName = (gw: string) => ({ "gateway.networking.k8s.io/gateway-name": gw });
  // ClusterIP Services, Services selecting other pods, and a public Service on the HBONE port only stay fine.
  const ok = await runStack(gatewayListenersTls, [
    params, mcp, internal,
    service("mcp-internal", { selector: byName("mcp-gateway"), ports: [{ port: 80 }] }),
    service("web", { type: "LoadBalancer", selector: { app: "web" }, ports: [{ port: 80 }] }),
    service("mcp-hbone", { type: "LoadBalancer", selector: byName("mcp-gateway"), ports: [{ port: 15008 }] }),
  ]);
  assert.deepEqual(ok.violations, []);
  const exposed = await runStack(gatewayListenersTls, [
    params, mcp, internal,
    service("mcp-public", { type: "LoadBalancer", selector: { ...byName("mcp-gateway"), "app.kubernetes.io/name": "mcp-gateway" }, ports: [{ port: 8080, targetPort: 80 }] }),
    service("internal-nodeport", { type: "NodePort", selector: { ...byName("internal"), "gateway.istio.io/managed": "istio.io-gateway-controller" }, ports: [{ port: 80 }] }),
  ]);
  assert.equal(exposed.violations.length, 2, JSON.stringify(exposed.violations));
  assert.match(exposed.violations[0].message, /^Gateway inference\/mcp-gateway, exposed outside the cluster by Service mcp-public \(LoadBalancer\) on a: listener http \(port 80\) is HTTP; external listeners must be HTTPS or TLS/);
  assert.match(exposed.violations[1].message, /^Gateway inference\/internal, exposed outside the cluster by Service internal-nodeport \(NodePort\) on a: listener http/);
});

test("gateway-listeners-tls: Istio patches a Gateway's Service with the `service` overlays of its class defaults and parametersRef ConfigMap, whose type wins over the annotation", async () => {
  const CM = "kubernetes:core/v1:ConfigMap";
  const optionsRef = { spec: { infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: "options" } } } };
  const options = (service: string, namespace = "inference") => on(CM, `options-${namespace}`, { metadata: { name: "options", namespace }, data: { service } });
  const classDefaults = (service: string, namespace = "istio-system") =>
    on(CM, `defaults-${namespace}`, { metadata: { name: "istio-default-gatewayclass-istio", namespace, labels: { "gateway.istio.io/defaults-for-class": "istio" } }, data: { service } });
  const annotated = { metadata: { annotations: { "networking.istio.io/service-type": "ClusterIP" } } };
  const istiod = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", namespace: "istio-system", values });
  const istiodOnProvider = (namespace: string) =>
    stackResource({ type: "kubernetes:helm.sh/v3:Release", name: "a-istiod", props: { chart: "istiod", values: {} }, provider: { ...k8sProvider("a"), props: { namespace } } });
  const plainOn80 = /Gateway inference\/internal on a: listener http \(port 80\) is HTTP; external listeners must be HTTPS or TLS/;
  const cases: [string, ReturnType<typeof on>[], RegExp | undefined][] = [
    ["options making the Service ClusterIP, without the annotation", [gateway("internal", "istio", [http], optionsRef), options("spec:\n  type: ClusterIP\n")], undefined],
    ["the same options as JSON", [gateway("internal", "istio", [http], optionsRef), options('{"spec": {"type": "ClusterIP"}}')], undefined],
    ["the annotation, but options patching the Service back to a LoadBalancer", [gateway("internal", "istio", [http], { ...annotated, ...optionsRef }), options("spec:\n  type: LoadBalancer\n")], plainOn80],
    ["the annotation, but options adding externalIPs", [gateway("internal", "istio", [http], { ...annotated, ...optionsRef }), options("spec:\n  externalIPs: [203.0.113.7]\n")], plainOn80],
    ["the annotation, but the class's defaults making every istio Service a NodePort", [gateway("internal", "istio", [http], annotated), classDefaults("spec:\n  type: NodePort\n")], plainOn80],
    ["class defaults outside istiod's namespace (Istio reads none there)", [gateway("internal", "istio", [http], annotated), classDefaults("spec:\n  type: NodePort\n", "inference")], undefined],
    // istiod as a v4 Chart in its own namespace: its class defaults are read there, not in istio-system.
    ["class defaults in the namespace of an istiod installed as a v4 Chart", [gateway("internal", "istio", [http]), ...v4Chart("a", "istiod", istiodObjects({}, "istio-control")), classDefaults("spec:\n  type: ClusterIP\n", "istio-control")], undefined],
    ["class defaults in istio-system, where an istiod installed as a v4 Chart in istio-control reads none", [gateway("internal", "istio", [http]), ...v4Chart("a", "istiod", istiodObjects({}, "istio-control")), classDefaults("spec:\n  type: ClusterIP\n")], plainOn80],
    // A release naming no namespace installs into its provider's (pulumi-kubernetes v4.34.2 helm_release.go setDefaults).
    ["class defaults in the provider's namespace, where an istiod release naming none installs", [gateway("internal", "istio", [http]), istiodOnProvider("istio-control"), classDefaults("spec:\n  type: ClusterIP\n", "istio-control")], undefined],
    ["istiod's gatewayClasses values making the class ClusterIP", [gateway("internal", "istio", [http]), istiod({ gatewayClasses: { istio: { service: { spec: { type: "ClusterIP" } } } } })], undefined],
    ["the Gateway's options winning over the class's defaults", [gateway("internal", "istio", [http], optionsRef), classDefaults("spec:\n  type: ClusterIP\n"), options("spec:\n  type: LoadBalancer\n")], plainOn80],
    ["options Istio cannot read (it deploys nothing from them): the annotation stands", [gateway("internal", "istio", [http], { ...annotated, ...optionsRef }), options("spec: [unclosed\n")], undefined],
  ];
  for (const [what, resources, message] of cases) {
    const result = await runStack(gatewayListenersTls, resources);
    assert.deepEqual(result.unknown, [], what);
    if (!message) {
      assert.deepEqual(result.violations, [], what);
      continue;
    }
    assert.equal(result.violations.length, 1, what);
    assert.match(result.violations[0].message, message, what);
  }
});

// Where istiod's namespace is not known in this run (an istiod release naming none on a provider
// whose kubeconfig is a path), neither is where its class defaults live, so a Gateway annotated
// ClusterIP is not taken as internal: its plain listener is can't judge, not passed.
test("gateway-listeners-tls: a Gateway's Service type is can't judge while the namespace of istiod's class defaults is", async () => {
  const istiodByPath = stackResource({ type: "kubernetes:helm.sh/v3:Release", name: "a-istiod", props: { chart: "istiod", values: {} }, provider: { ...k8sProvider("a"), props: { kubeconfig: "/home/ci/.kube/config" } } });
  const annotated = { metadata: { annotations: { "networking.istio.io/service-type": "ClusterIP" } } };
  const result = await runStack(gatewayListenersTls, [gateway("internal", "istio", [http], annotated), istiodByPath]);
  assert.deepEqual(result.violations, []);
  assert.notDeepEqual(result.unknown, []);
});
