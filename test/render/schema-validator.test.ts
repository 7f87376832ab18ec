/**
 * The schema checker every "validates against the upstream schemas" test relies on
 * (test/support/schemas.ts). Those tests only ever see valid objects, so they would pass just the
 * same with a checker that accepts anything: here it must refuse what the API server refuses.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { validateObject } from "../support/schemas";

const pool = {
  apiVersion: "inference.networking.k8s.io/v1",
  kind: "InferencePool",
  metadata: { name: "llama-v1", namespace: "inference" },
  spec: {
    selector: { matchLabels: { app: "llama-v1" } },
    targetPorts: [{ number: 8000 }],
    endpointPickerRef: { name: "llama-v1-epp", port: { number: 9002 }, failureMode: "FailOpen" },
  },
};

const deployment = (replicas: unknown) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "d", namespace: "inference" },
  spec: { replicas, selector: { matchLabels: { app: "d" } }, template: { metadata: { labels: { app: "d" } }, spec: { containers: [{ name: "c", image: "busybox:1.37" }] } } },
});

test("custom kinds: the upstream CRD's unknown fields, enums and required fields are refused, a valid object passes", async () => {
  assert.deepEqual(await validateObject(pool), { ok: true, schema: "crd:gie/inference.networking.k8s.io_inferencepools.yaml", errors: [] });
  const { targetPorts: _, ...withoutPorts } = pool.spec;
  const refused = [
    [{ ...pool.spec, targetPort: 8000 }, /^\/spec must NOT have additional properties 'targetPort'$/],
    [{ ...pool.spec, endpointPickerRef: { ...pool.spec.endpointPickerRef, failureMode: "failopen" } }, /^\/spec\/endpointPickerRef\/failureMode must be equal to one of the allowed values$/],
    [withoutPorts, /^\/spec must have required property 'targetPorts'$/],
  ] as const;
  for (const [spec, error] of refused) {
    const r = await validateObject({ ...pool, spec });
    assert.equal(r.ok, false, JSON.stringify(spec));
    assert.equal(r.errors.length, 1, r.errors.join("; "));
    assert.match(r.errors[0], error);
  }
  const pa = { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: "Strict" } } };
  assert.deepEqual((await validateObject(pa)).errors, ["/spec/mtls/mode must be equal to one of the allowed values"]);
});

test("core kinds are checked against Kubernetes' OpenAPI schemas, and a kind without a schema fails", async () => {
  assert.deepEqual((await validateObject(deployment(2))).errors, []);
  assert.deepEqual(await validateObject(deployment("two")), { ok: false, schema: "kubernetes-models/apps/v1/Deployment", errors: ["data/spec/replicas must be integer"] });
  const widget = await validateObject({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } });
  assert.deepEqual([widget.ok, widget.errors], [false, ["no upstream schema for example.com/v1 Widget"]]);
});
