/**
 * The schema checker every "validates against the upstream schemas" test relies on
 * (test/support/schemas.ts). Those tests only ever see valid objects, so they would pass just the
 * same with a checker that accepts anything: here it must refuse what the API server refuses.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { crdDir, validateObject } from "../support/schemas";

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

test("custom kinds: metadata is ObjectMeta whatever the CRD says, an unknown field and a non-string annotation refused", async () => {
  const meta = { ...pool.metadata, labels: { "app.kubernetes.io/part-of": "inference-mesh" }, annotations: { "example.com/any-key": "v" } };
  assert.deepEqual((await validateObject({ ...pool, metadata: meta })).errors, []);
  const r = await validateObject({ ...pool, metadata: { ...pool.metadata, lables: { app: "llama-v1" }, annotations: { replicas: 2 } } });
  assert.deepEqual(r, {
    ok: false,
    schema: "crd:gie/inference.networking.k8s.io_inferencepools.yaml",
    errors: ["/metadata/annotations/replicas must be string", "/metadata must NOT have additional properties 'lables'"],
  });
});

test("core kinds are checked against Kubernetes' OpenAPI schemas, and a kind without a schema fails", async () => {
  assert.deepEqual((await validateObject(deployment(2))).errors, []);
  assert.deepEqual(await validateObject(deployment("two")), { ok: false, schema: "kubernetes-models/apps/v1/Deployment", errors: ["data/spec/replicas must be integer"] });
  const widget = await validateObject({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } });
  assert.deepEqual([widget.ok, widget.errors], [false, ["no upstream schema for example.com/v1 Widget"]]);
});

test("core kinds: a field Kubernetes' schema does not declare is refused, as strict field validation refuses it; maps take any key", async () => {
  const d = deployment(2) as any;
  d.spec.replica = 2;
  d.spec.template.spec.containers[0].imagePullPolicyy = "Always";
  assert.deepEqual(await validateObject(d), {
    ok: false,
    schema: "kubernetes-models/apps/v1/Deployment",
    // In the object's key order: replica was added after template.
    errors: ["data/spec/template/spec/containers/0 must NOT have additional properties 'imagePullPolicyy'", "data/spec must NOT have additional properties 'replica'"],
  });
  const service = { apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "inference" }, spec: { selector: { app: "d" }, ports: [{ name: "http", port: 80, targetport: 8080 }] } };
  assert.deepEqual((await validateObject(service)).errors, ["data/spec/ports/0 must NOT have additional properties 'targetport'"]);
  const netpol = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "n", namespace: "inference" }, spec: { podSelector: {}, ingress: [{ form: [{ podSelector: {} }] }] } };
  assert.deepEqual((await validateObject(netpol)).errors, ["data/spec/ingress/0 must NOT have additional properties 'form'"]);
  const lables = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", lables: { app: "d" } }, data: {} };
  assert.deepEqual((await validateObject(lables)).errors, ["data/metadata must NOT have additional properties 'lables'"]);

  // Maps (labels, annotations, ConfigMap and Secret data, selectors, nodeSelector, resource limits)
  // and free-form objects (a ControllerRevision's RawExtension data) take any key.
  const meta = { name: "m", namespace: "inference", labels: { "app.kubernetes.io/name": "m", "istio.io/dataplane-mode": "ambient" }, annotations: { "example.com/any-key": "v" } };
  const open = [
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta, data: { "config.yaml": "a: 1", "any-key": "" } },
    { apiVersion: "v1", kind: "Secret", metadata: meta, data: { "tls.crt": "eA==" }, stringData: { "any-key": "x" } },
    { ...service, spec: { ...service.spec, ports: [{ name: "http", port: 80, targetPort: 8080 }] }, metadata: meta },
    { apiVersion: "apps/v1", kind: "ControllerRevision", metadata: meta, revision: 1, data: { spec: { anything: { goes: true } } } },
  ];
  const gpu = deployment(1) as any;
  gpu.metadata = meta;
  Object.assign(gpu.spec.template.spec, { nodeSelector: { "nvidia.com/gpu.present": "true" } });
  gpu.spec.template.spec.containers[0].resources = { limits: { "nvidia.com/gpu": 1, memory: "8Gi" }, requests: { cpu: "500m" } };
  for (const obj of [...open, gpu]) assert.deepEqual((await validateObject(obj)).errors, [], obj.kind);
});

test("CustomResourceDefinitions: every upstream CRD the checker reads is one the API server takes, and a misspelt field is refused", async () => {
  const dir = crdDir();
  const files = fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /\.ya?ml$/.test(f));
  let crds = 0;
  for (const file of files) {
    for (const doc of yaml.loadAll(fs.readFileSync(path.join(dir, file), "utf8")) as any[]) {
      if (doc?.kind !== "CustomResourceDefinition") continue;
      crds++;
      assert.deepEqual((await validateObject(doc)).errors, [], `${file}: ${doc.metadata.name}`);
    }
  }
  assert.ok(crds >= 20, `${crds} CRDs`);
  const pools: any = yaml.load(fs.readFileSync(path.join(dir, "gie", "inference.networking.k8s.io_inferencepools.yaml"), "utf8"));
  pools.spec.scpoe = pools.spec.scope;
  pools.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.targetPorts.x_kubernetes_list_type = "atomic";
  assert.deepEqual((await validateObject(pools)).errors, [
    "data/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/targetPorts must NOT have additional properties 'x_kubernetes_list_type'",
    "data/spec must NOT have additional properties 'scpoe'",
  ]);
});
