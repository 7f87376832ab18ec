/**
 * gateway-listeners-tls: a terminating listener's certificate in another namespace counts only
 * where a ReferenceGrant there opens it to the listener's Gateway or ListenerSet (Gateway API
 * RefNotPermitted; Istio 1.30.3 buildTLS drops the reference and keeps no certificate).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gatewayListenersTls } from "../../policy/rules/gateway-listeners-tls";
import { runStack } from "../support/policy";
import { on, GW, https } from "./traffic-support";

const GRANT = "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant";
const fromCerts = (certificateRefs: unknown[]) => on(GW, "gw", { metadata: { name: "inference-gateway", namespace: "inference" }, spec: { gatewayClassName: "istio", listeners: [{ ...https, tls: { mode: "Terminate", certificateRefs } }] } });
const grant = (from: Record<string, unknown>, to: Record<string, unknown>, namespace = "certs") =>
  on(GRANT, `grant-${namespace}-${JSON.stringify(from).length}-${JSON.stringify(to).length}`, { metadata: { name: "gateways", namespace }, spec: { from: [from], to: [to] } });
const gatewayFrom = { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "inference" };
const secret = { group: "", kind: "Secret" };
const elsewhere = [{ name: "tls", namespace: "certs" }];

test("gateway-listeners-tls: a certificate in another namespace needs a ReferenceGrant there", async () => {
  const refused = (await runStack(gatewayListenersTls, [fromCerts(elsewhere)])).violations;
  assert.equal(refused.length, 1);
  assert.match(refused[0].message, /listener https \(port 443\) is HTTPS but its tls.certificateRefs all name Secrets in other namespaces that no ReferenceGrant there opens to it/);
  const granted: [string, unknown[]][] = [
    ["same namespace", [{ name: "tls" }, { name: "tls", namespace: "inference" }]],
    ["every Secret of certs", [grant(gatewayFrom, secret)]],
    ["the Secret by name", [grant(gatewayFrom, { ...secret, name: "tls" })]],
  ];
  for (const [what, extra] of granted) {
    const stack = what === "same namespace" ? [fromCerts(extra)] : [fromCerts(elsewhere), ...(extra as ReturnType<typeof on>[])];
    assert.deepEqual((await runStack(gatewayListenersTls, stack)).violations, [], what);
  }
  const notGranted: [string, ReturnType<typeof on>][] = [
    ["another Secret by name", grant(gatewayFrom, { ...secret, name: "other" })],
    ["Gateways of another namespace", grant({ ...gatewayFrom, namespace: "agents" }, secret)],
    ["HTTPRoutes, not Gateways", grant({ ...gatewayFrom, kind: "HTTPRoute" }, secret)],
    ["a grant in the Gateway's namespace", grant(gatewayFrom, secret, "inference")],
  ];
  for (const [what, g] of notGranted) {
    assert.equal((await runStack(gatewayListenersTls, [fromCerts(elsewhere), g])).violations.length, 1, what);
  }
  // One usable certificate is enough: Istio keeps the references it may use.
  assert.deepEqual((await runStack(gatewayListenersTls, [fromCerts([...elsewhere, { name: "tls" }])])).violations, []);
});
