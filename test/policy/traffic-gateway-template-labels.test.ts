/**
 * Policy tests for the labels Istio 1.30.3's deployment controller gives a Gateway's proxy pods per
 * template (istio-discovery files/kube-gateway.yaml for the ingress kind, waypoint.yaml for the
 * waypoint and east-west kinds, agentgateway.yaml; gatewaycommon/classinfo.go picks the template
 * and the `gateway.istio.io/managed` value, deploymentcontroller.go setLabelOverrides adds
 * `istio.io/dataplane-mode: none` to the other classes only under an ambient istiod).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gatewayListenersTls } from "../../policy/rules/gateway-listeners-tls";
import { istioGatewayPodLabels } from "../../policy/lib/istio-classes";
import { runStack, UNKNOWN } from "../support/policy";
import { on, https, gateway } from "./traffic-support";

const AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const mesh = { name: "http-mesh", port: 80, protocol: "HTTP", hostname: "inference-gateway-istio.inference.svc.cluster.local" };
const callers = on(AP, "callers", {
  metadata: { name: "inference-gateway-callers", namespace: "inference" },
  spec: { targetRefs: [{ kind: "Gateway", name: "inference-gateway" }], rules: [{ from: [{ source: { notPrincipals: ["*"] } }], to: [{ operation: { ports: ["443"] } }] }] },
});
const open = (matchLabels: Record<string, string>) => on(AP, "open", { metadata: { name: "open", namespace: "inference" }, spec: { selector: { matchLabels }, rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }] } });
const istiod = (values: Record<string, unknown>) => on(RELEASE, "istiod", { chart: "istiod", namespace: "istio-system", values });
const ambient = istiod({ profile: "ambient", pilot: { env: { AMBIENT_ENABLE_MULTI_NETWORK: "true" } } });
const verdicts = async (gw: ReturnType<typeof gateway>, matchLabels: Record<string, string>, extra: ReturnType<typeof on>[] = []) =>
  (await runStack(gatewayListenersTls, [gw, callers, open(matchLabels), ...extra])).violations.length;

// waypoint.yaml labels the pods gateway.istio.io/managed with the class's ControllerLabel
// (istio.io-eastwest-controller for istio-east-west) and istio.io/dataplane-mode none, which the
// Gateway's own labels override.
test("gateway-listeners-tls: an east-west gateway's pods carry the waypoint template's managed value and dataplane-mode none", async () => {
  const ew = gateway("inference-gateway", "istio-east-west", [https, mesh]);
  for (const extra of [[], [ambient]]) {
    assert.equal(await verdicts(ew, { "gateway.istio.io/managed": "istio.io-eastwest-controller" }, extra), 1);
    assert.equal(await verdicts(ew, { "istio.io/dataplane-mode": "none" }, extra), 1);
    assert.equal(await verdicts(ew, { "gateway.istio.io/managed": "istio.io-gateway-controller" }, extra), 0);
  }
  const enrolled = gateway("inference-gateway", "istio-east-west", [https, mesh], { metadata: { labels: { "istio.io/dataplane-mode": "ambient" } } });
  assert.equal(await verdicts(enrolled, { "istio.io/dataplane-mode": "none" }), 0);
  assert.equal(await verdicts(enrolled, { "istio.io/dataplane-mode": "ambient" }), 1);
});

test("istioGatewayPodLabels: each kind's template and controller label", () => {
  const labels = (cls: string, extra: Record<string, unknown> = {}, resources: ReturnType<typeof on>[] = []) => {
    const gw = gateway("gw", cls, [], extra);
    return istioGatewayPodLabels(gw, [gw, ...resources]).labels;
  };
  const waypoint = labels("istio-waypoint");
  assert.equal(waypoint["gateway.istio.io/managed"], "istio.io-mesh-controller");
  assert.equal(waypoint["istio.io/dataplane-mode"], "none");
  assert.equal(labels("istio-waypoint", { spec: { infrastructure: { labels: { "istio.io/dataplane-mode": "ambient" } } } })["istio.io/dataplane-mode"], "ambient");
  assert.equal(labels("istio-agentgateway")["gateway.istio.io/managed"], "istio.io-agentgateway-controller");
  assert.equal(labels("istio")["gateway.istio.io/managed"], "istio.io-gateway-controller");
  assert.equal(labels("istio")["istio.io/dataplane-mode"], "none");
});

// setLabelOverrides adds dataplane-mode none only when istiod runs ambient waypoints
// (PILOT_ENABLE_AMBIENT, then PILOT_ENABLE_AMBIENT_WAYPOINTS), for a class whose name contains
// neither "waypoint" nor "east-west", and only when neither the Gateway's labels nor its
// infrastructure labels set the key; kube-gateway.yaml itself sets no such label.
test("gateway-listeners-tls: an ingress gateway's pods are labelled dataplane-mode none only under an ambient istiod", async () => {
  const gw = gateway("inference-gateway", "istio", [https, mesh]);
  const none = { "istio.io/dataplane-mode": "none" };
  assert.equal(await verdicts(gw, none, [ambient]), 1);
  assert.equal(await verdicts(gw, none, [istiod({})]), 0);
  assert.equal(await verdicts(gw, none, [istiod({ profile: "ambient", pilot: { env: { PILOT_ENABLE_AMBIENT_WAYPOINTS: "false" } } })]), 0);
  // The Gateway's own label keeps the override away even where infrastructure.labels leaves it out.
  const own = gateway("inference-gateway", "istio", [https, mesh], { metadata: { labels: { "istio.io/dataplane-mode": "ambient" } }, spec: { infrastructure: { labels: { team: "ml" } } } });
  assert.equal(await verdicts(own, none, [ambient]), 0);
  assert.equal(await verdicts(own, { "istio.io/dataplane-mode": "ambient" }, [ambient]), 0);
  assert.equal(await verdicts(own, { team: "ml" }, [ambient]), 1);
});

// setLabelOverrides (Istio 1.30.3 deploymentcontroller.go) adds `topology.istio.io/network:
// <global.network>` to the infrastructure labels of a class whose name contains "waypoint" or
// "east-west", when the injection values' global.network is set and the Gateway's own labels lack
// the key (an infrastructure label of that key is overwritten); waypoint.yaml copies the
// infrastructure labels onto the pods. kube-gateway.yaml's pods get no such label.
test("istioGatewayPodLabels: waypoint and east-west pods carry the istiod's global.network as topology.istio.io/network", () => {
  const NET = "topology.istio.io/network";
  const networked = istiod({ profile: "ambient", global: { network: "net-a" }, pilot: { env: { AMBIENT_ENABLE_MULTI_NETWORK: "true" } } });
  const pods = (cls: string, extra: Record<string, unknown> = {}, resources = [networked]) => {
    const gw = gateway("gw", cls, [], extra);
    return istioGatewayPodLabels(gw, [gw, ...resources]);
  };
  assert.equal(pods("istio-waypoint").labels[NET], "net-a");
  assert.equal(pods("istio-east-west").labels[NET], "net-a");
  assert.equal(pods("istio").labels[NET], undefined);
  assert.equal(pods("istio-waypoint", {}, [ambient]).labels[NET], undefined, "no global.network, no label");
  assert.equal(pods("istio-waypoint", { metadata: { labels: { [NET]: "net-b" } } }).labels[NET], "net-b");
  assert.equal(pods("istio-waypoint", { spec: { infrastructure: { labels: { [NET]: "net-b" } } } }).labels[NET], "net-a", "only the Gateway's own label keeps it");
  // An istiod whose values are not known yet: the key is not known either.
  const pending = istiod({ profile: "ambient", global: { network: UNKNOWN } });
  assert.ok(pods("istio-waypoint", {}, [pending]).unknown.includes(NET));
});

test("gateway-listeners-tls: a selector on the network label binds an east-west gateway's pods", async () => {
  const ew = gateway("inference-gateway", "istio-east-west", [https, mesh]);
  const networked = istiod({ profile: "ambient", global: { network: "net-a" }, pilot: { env: { AMBIENT_ENABLE_MULTI_NETWORK: "true" } } });
  assert.equal(await verdicts(ew, { "topology.istio.io/network": "net-a" }, [networked]), 1);
  assert.equal(await verdicts(ew, { "topology.istio.io/network": "net-b" }, [networked]), 0);
});

// extractInfrastructureMetadata copies the Gateway's own labels (without spec.infrastructure.labels)
// only while PILOT_ENABLE_GATEWAY_API_COPY_LABELS_ANNOTATIONS is true (pilot/pkg/features
// experimental.go: true by default; the platform's istiod values leave it unset).
test("gateway-listeners-tls: the Gateway's own labels reach its pods only while istiod copies them", async () => {
  const gw = gateway("inference-gateway", "istio", [https, mesh], { metadata: { labels: { team: "ml" } } });
  const copying = (v?: string) => istiod({ profile: "ambient", ...(v === undefined ? {} : { pilot: { env: { PILOT_ENABLE_GATEWAY_API_COPY_LABELS_ANNOTATIONS: v } } }) });
  assert.equal(await verdicts(gw, { team: "ml" }, [copying()]), 1);
  assert.equal(await verdicts(gw, { team: "ml" }, [copying("true")]), 1);
  assert.equal(await verdicts(gw, { team: "ml" }, [copying("false")]), 0);
  // Infrastructure labels are the template's input either way.
  const infra = gateway("inference-gateway", "istio", [https, mesh], { metadata: { labels: { team: "ml" } }, spec: { infrastructure: { labels: { tier: "edge" } } } });
  assert.equal(await verdicts(infra, { tier: "edge" }, [copying("false")]), 1);
  // Not copied, the Gateway's dataplane-mode label still keeps the `none` override away.
  const own = gateway("inference-gateway", "istio", [https, mesh], { metadata: { labels: { "istio.io/dataplane-mode": "ambient" } } });
  assert.equal(await verdicts(own, { "istio.io/dataplane-mode": "none" }, [copying("false")]), 0);
  assert.equal(await verdicts(own, { "istio.io/dataplane-mode": "ambient" }, [copying("false")]), 0);
});
