/**
 * peer-authentication-strict on PeerAuthentications the API server refuses for their shape rather
 * than their modes (Istio 1.30.3 CRD x-kubernetes-validations, pkg/config/validation
 * ValidatePeerAuthentication): a refused mesh-wide STRICT policy never lands, so the cluster keeps
 * Istio's PERMISSIVE default while every mode in it reads STRICT.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { peerAuthenticationStrict } from "../../policy/rules/peer-authentication-strict";
import { runResource } from "../support/policy";
import { PA, messages } from "./mesh-support";

const paIn = (namespace: string, spec: unknown) => ({ type: PA, props: { metadata: { name: "default", namespace }, spec } });

test("peer-authentication-strict: portLevelMtls without a selector (mesh-wide or namespace-wide) is refused, however STRICT", async () => {
  const refused = await runResource(peerAuthenticationStrict, [
    paIn("istio-system", { mtls: { mode: "STRICT" }, portLevelMtls: { "15021": { mode: "STRICT" } } }),
    paIn("agents", { selector: { matchLabels: {} }, mtls: { mode: "STRICT" }, portLevelMtls: { "8080": { mode: "STRICT" } } }),
  ]);
  assert.equal(refused.violations.length, 2);
  assert.match(messages(refused)[0], /^PeerAuthentication istio-system\/default sets portLevelMtls without a selector \(matchLabels\): the API server refuses it \(portLevelMtls requires selector\), so its mtls\.mode STRICT never applies/);
  assert.match(messages(refused)[1], /^PeerAuthentication agents\/default sets portLevelMtls without a selector/);
  // An empty portLevelMtls is refused too (minProperties 1), and so is a port outside 1..65535.
  const empty = await runResource(peerAuthenticationStrict, [
    { type: PA, props: { metadata: { name: "w", namespace: "agents" }, spec: { selector: { matchLabels: { app: "a" } }, mtls: { mode: "STRICT" }, portLevelMtls: {} } } },
    { type: PA, props: { metadata: { name: "w", namespace: "agents" }, spec: { selector: { matchLabels: { app: "a" } }, portLevelMtls: { "0": { mode: "STRICT" } } } } },
  ]);
  assert.equal(empty.violations.length, 2);
  assert.match(messages(empty)[0], /sets an empty portLevelMtls: the API server refuses it/);
  assert.match(messages(empty)[1], /sets portLevelMtls\[0\], a port outside 1\.\.65535: the API server refuses it/);
  // A workload policy with its selector and STRICT ports, or none at all, is taken.
  const ok = await runResource(peerAuthenticationStrict, [
    { type: PA, props: { metadata: { name: "w", namespace: "agents" }, spec: { selector: { matchLabels: { app: "a" } }, portLevelMtls: { "8080": { mode: "STRICT" } } } } },
    paIn("istio-system", { mtls: { mode: "STRICT" } }),
    paIn("istio-system", { mtls: { mode: "STRICT" }, portLevelMtls: null }),
  ]);
  assert.deepEqual(ok.violations, []);
});

test("peer-authentication-strict: a PeerAuthenticationPatch setting ports but leaving the selector out keeps the object's selector", async () => {
  const patch = (spec: unknown) => ({ type: "kubernetes:security.istio.io/v1:PeerAuthenticationPatch", props: { metadata: { name: "w", namespace: "agents" }, spec } });
  assert.deepEqual((await runResource(peerAuthenticationStrict, patch({ portLevelMtls: { "8080": { mode: "STRICT" } } }))).violations, []);
  const cleared = await runResource(peerAuthenticationStrict, patch({ selector: { matchLabels: {} }, portLevelMtls: { "8080": { mode: "STRICT" } } }));
  assert.match(messages(cleared)[0] ?? "", /^PeerAuthenticationPatch agents\/w sets portLevelMtls without a selector/);
});
