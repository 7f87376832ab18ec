/**
 * peer-authentication-strict on the modes a PeerAuthentication (or a PeerAuthenticationPatch) sets:
 * no PERMISSIVE or DISABLE, rule-wide or per port, nor a mode outside the CRD's enum; each remediated
 * to STRICT. Its shapes the API server refuses are in mesh-peer-authentication-refused.test.ts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { peerAuthenticationStrict } from "../../policy/rules/peer-authentication-strict";
import { resourceArgs, runResource } from "../support/policy";
import { PA, messages } from "./mesh-support";

test("peer-authentication-strict: no PERMISSIVE/DISABLE, including portLevelMtls; remediates to STRICT", async () => {
  const strict = await runResource(peerAuthenticationStrict, { type: PA, props: { metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: "STRICT" } } } });
  assert.deepEqual(strict.violations, []);
  const inherit = await runResource(peerAuthenticationStrict, { type: PA, props: { metadata: { name: "x", namespace: "inference" }, spec: {} } });
  assert.deepEqual(inherit.violations, []);
  const weak = await runResource(peerAuthenticationStrict, {
    type: PA,
    props: { metadata: { name: "legacy", namespace: "inference" }, spec: { selector: { matchLabels: { app: "vllm" } }, mtls: { mode: "PERMISSIVE" }, portLevelMtls: { "8000": { mode: "DISABLE" } } } },
  });
  assert.equal(weak.violations.length, 2);
  assert.match(weak.violations[1].message, /portLevelMtls\[8000\]\.mode DISABLE/);
  const fixed = await peerAuthenticationStrict.remediateResource!(
    resourceArgs({ type: PA, props: { metadata: { name: "legacy" }, spec: { mtls: { mode: "PERMISSIVE" }, portLevelMtls: { "8000": { mode: "DISABLE" } } } } }),
  );
  assert.deepEqual((fixed as any).spec, { mtls: { mode: "STRICT" }, portLevelMtls: { "8000": { mode: "STRICT" } } });
});

test("peer-authentication-strict: a mode outside the CRD's enum (another case, a stray space) is reported and remediated; UNSET and null inherit", async () => {
  const legacy = (spec: unknown) => ({ type: PA, props: { metadata: { name: "legacy", namespace: "agents" }, spec } });
  const odd = await runResource(peerAuthenticationStrict, [legacy({ mtls: { mode: "Permissive" } }), legacy({ selector: { matchLabels: { app: "agent" } }, mtls: { mode: "STRICT " }, portLevelMtls: { "8080": { mode: "disable" } } })]);
  assert.deepEqual(messages(odd).map((m) => m.replace(/, which .*; use/, "; use")), [
    'PeerAuthentication agents/legacy sets mtls.mode "Permissive"; use STRICT (or leave it unset to inherit)',
    'PeerAuthentication agents/legacy sets mtls.mode "STRICT "; use STRICT (or leave it unset to inherit)',
    'PeerAuthentication agents/legacy sets portLevelMtls[8080].mode "disable"; use STRICT',
  ]);
  assert.deepEqual((await runResource(peerAuthenticationStrict, [legacy({ mtls: { mode: "UNSET" } }), legacy({ selector: { matchLabels: { app: "agent" } }, mtls: { mode: null }, portLevelMtls: { "8080": { mode: "STRICT" } } })])).violations, []);
  const fixed = await peerAuthenticationStrict.remediateResource!(resourceArgs(legacy({ mtls: { mode: "permissive" } })));
  assert.equal((fixed as any).spec.mtls.mode, "STRICT");
});
test("peer-authentication-strict: a PeerAuthenticationPatch is judged for the mode it sets", async () => {
  const patch = (spec: unknown) => ({ type: "kubernetes:security.istio.io/v1:PeerAuthenticationPatch", name: "a-pa-patch", props: { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "istio-system" }, spec } });
  // Before: no policy judged a patch, so this turned the mesh PERMISSIVE unseen.
  const weak = await runResource(peerAuthenticationStrict, [patch({ mtls: { mode: "PERMISSIVE" } }), patch({ portLevelMtls: { "8080": { mode: "DISABLE" } } })]);
  assert.deepEqual(messages(weak), [
    "PeerAuthenticationPatch istio-system/default sets mtls.mode PERMISSIVE; use STRICT (or leave it unset to inherit)",
    "PeerAuthenticationPatch istio-system/default sets portLevelMtls[8080].mode DISABLE; use STRICT",
  ]);
  // A patch that sets STRICT, or leaves the mode alone, weakens nothing.
  assert.deepEqual((await runResource(peerAuthenticationStrict, [patch({ mtls: { mode: "STRICT" } }), patch(undefined)])).violations, []);
  const fixed = await peerAuthenticationStrict.remediateResource!(resourceArgs(patch({ mtls: { mode: "PERMISSIVE" } })));
  assert.equal((fixed as any).spec.mtls.mode, "STRICT");
});
