/**
 * The pack's remediations as `pulumi preview`/`up` run them at level `remediate`: through
 * @pulumi/policy 1.21.0's Remediate handler, which hands a remediation the inputs with secrets
 * wrapped and unknowns in place (the engine marshals them with KeepSecrets and KeepUnknowns,
 * sdk/go/common/resource/plugin/analyzer_plugin.go Remediate) and reads what it returns back the
 * same way: the returned props become the resource's inputs. A remediation changes exactly the
 * fields its violation names; a secret stays secret and an unknown stays unknown.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { peerAuthenticationStrict } from "../../policy/rules/peer-authentication-strict";
import { ambientNoSidecarInjection } from "../../policy/rules/ambient-no-sidecar-injection";
import { remediateWire, runResource, secret, UNKNOWN } from "../support/policy";
import { PA, NS } from "./mesh-support";

const PA_PATCH = "kubernetes:security.istio.io/v1:PeerAuthenticationPatch";

test("peer-authentication-strict remediation: secrets stay secret, unknowns elsewhere stay unknown and do not stop it", async () => {
  // Before: the props were copied through JSON, which unwrapped every secret (the engine then
  // stored them in plaintext) and stopped at the first unknown anywhere ("can't run remediation").
  const secretMeta = await remediateWire(peerAuthenticationStrict, {
    type: PA,
    props: { metadata: secret({ name: "legacy", namespace: "inference" }), spec: { mtls: { mode: "PERMISSIVE" } } },
  });
  assert.deepEqual(secretMeta, { properties: { metadata: secret({ name: "legacy", namespace: "inference" }), spec: { mtls: { mode: "STRICT" } } }, diagnostic: undefined });
  const secretMode = await remediateWire(peerAuthenticationStrict, { type: PA, props: { metadata: { name: "legacy" }, spec: { mtls: { mode: secret("DISABLE") }, portLevelMtls: secret({ "8000": { mode: "PERMISSIVE" } }) } } });
  assert.deepEqual(secretMode.properties, { metadata: { name: "legacy" }, spec: { mtls: { mode: secret("STRICT") }, portLevelMtls: secret({ "8000": { mode: "STRICT" } }) } });
  const unknownLabel = await remediateWire(peerAuthenticationStrict, {
    type: PA,
    props: { metadata: { name: "legacy", labels: { team: UNKNOWN } }, spec: { selector: { matchLabels: { app: UNKNOWN } }, mtls: { mode: "PERMISSIVE" } } },
  });
  assert.deepEqual(unknownLabel, { properties: { metadata: { name: "legacy", labels: { team: UNKNOWN } }, spec: { selector: { matchLabels: { app: UNKNOWN } }, mtls: { mode: "STRICT" } } }, diagnostic: undefined });
});

test("peer-authentication-strict remediation: a mode not known yet is not claimed fixed, and nothing else is changed", async () => {
  const unknownMode = await remediateWire(peerAuthenticationStrict, { type: PA, props: { metadata: { name: "legacy" }, spec: { mtls: { mode: UNKNOWN }, portLevelMtls: { "8000": { mode: "DISABLE" } } } } });
  assert.equal(unknownMode.properties, undefined);
  assert.match(unknownMode.diagnostic ?? "", /can't run remediation 'peer-authentication-strict' .* during preview: string value at \.spec\.mtls\.mode/);
  // STRICT, UNSET, null and absent modes (and null fields) are left alone: no remediation claimed.
  for (const spec of [{ mtls: { mode: "STRICT" } }, { mtls: { mode: "UNSET" } }, { mtls: null, portLevelMtls: null }, { mtls: { mode: null }, portLevelMtls: { "80": null } }, null]) {
    assert.deepEqual(await remediateWire(peerAuthenticationStrict, { type: PA, props: { metadata: { name: "x" }, spec } }), {}, JSON.stringify(spec));
  }
  // Only portLevelMtls (with the selector Istio requires for it), and a patch: each weak port raised, every other field kept.
  const ports = { selector: { matchLabels: { app: "vllm" } }, portLevelMtls: { "8000": { mode: "PERMISSIVE" }, "9090": { mode: "STRICT" }, "9091": { mode: "UNSET" } } };
  const fixed = await remediateWire(peerAuthenticationStrict, { type: PA_PATCH, props: { metadata: { name: "vllm", namespace: "inference" }, spec: ports } });
  assert.deepEqual(fixed.properties, { metadata: { name: "vllm", namespace: "inference" }, spec: { ...ports, portLevelMtls: { ...ports.portLevelMtls, "8000": { mode: "STRICT" } } } });
  assert.deepEqual((await runResource(peerAuthenticationStrict, { type: PA_PATCH, props: fixed.properties! })).violations, [], "the remediated props pass");
});

test("ambient-no-sidecar-injection remediation: drops exactly the injection labels it reports, keeping secrets and unknowns", async () => {
  const labels = { "istio.io/dataplane-mode": "ambient", "istio-injection": "enabled", "istio.io/rev": "1-30", team: secret("ml") };
  const both = await remediateWire(ambientNoSidecarInjection, { type: NS, props: { metadata: { name: "agents", labels, annotations: { owner: UNKNOWN } } } });
  assert.deepEqual(both, { properties: { metadata: { name: "agents", labels: { "istio.io/dataplane-mode": "ambient", team: secret("ml") }, annotations: { owner: UNKNOWN } } }, diagnostic: undefined });
  // A name not known yet does not matter to a namespace labelled ambient (before: "can't run").
  const unnamed = await remediateWire(ambientNoSidecarInjection, { type: NS, props: { metadata: { name: UNKNOWN, labels: secret({ "istio.io/dataplane-mode": "ambient", "istio.io/rev": "1-30" }) } } });
  assert.deepEqual(unnamed.properties, { metadata: { name: UNKNOWN, labels: secret({ "istio.io/dataplane-mode": "ambient" }) } });
  // istio-injection=disabled keeps every webhook off the namespace, the revision's too (it requires
  // no istio-injection label): nothing injects, so nothing is dropped (dropping disabled would widen injection).
  const disabled = await remediateWire(ambientNoSidecarInjection, { type: NS, props: { metadata: { name: "tools", labels: { "istio.io/dataplane-mode": "ambient", "istio-injection": "disabled", "istio.io/rev": "1-30" } } } });
  assert.deepEqual(disabled, {});
  // An injection label not known yet cannot be judged, so nothing is claimed; neither is a namespace outside ambient, nor a pod asking for a sidecar.
  assert.match((await remediateWire(ambientNoSidecarInjection, { type: NS, props: { metadata: { name: "agents", labels: { "istio.io/dataplane-mode": "ambient", "istio-injection": UNKNOWN } } } })).diagnostic ?? "", /can't run remediation/);
  assert.deepEqual(await remediateWire(ambientNoSidecarInjection, { type: NS, props: { metadata: { name: "legacy", labels: { "istio-injection": "enabled" } } } }), {});
  const pod = { metadata: { name: "agent", namespace: "agents" }, spec: { template: { metadata: { labels: { "sidecar.istio.io/inject": "true" }, annotations: { "sidecar.istio.io/inject": "true" } }, spec: { containers: [] } } } };
  assert.deepEqual(await remediateWire(ambientNoSidecarInjection, { type: "kubernetes:apps/v1:Deployment", props: pod }), {});
});
