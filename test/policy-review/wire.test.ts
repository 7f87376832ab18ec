/**
 * The review's hand-written protobuf encoding (scripts/lib/proto-writer.ts, review-wire.ts) against
 * the messages @pulumi/pulumi's generated classes build from the same export: byte-for-byte equal,
 * so the pack receives exactly what the google-protobuf path (and the engine's marshalling rules)
 * would send. Covered: secrets in all three export forms, pass-through signature objects, internal
 * keys, every JSON value kind, long and non-ASCII strings (multi-byte lengths), resource options,
 * providers, property dependencies, and seeded random documents.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import {
  RequestBuilder, propertiesOf, urnName, providerUrn, isProviderType, sidesDisagree, SIG_KEY, SECRET_SIG, UNKNOWN, RESOURCE_REF_SIG, OUTPUT_VALUE_SIG, BYTE_STRING_SIG, StateFormatError,
  ExportedDeployment, ExportedResource, WireStats,
} from "../../scripts/lib/review-wire";

/** The reference wire form, as a converted copy (what the encoder writes without building one). */
function toWire(value: unknown, stats: WireStats): unknown {
  if (Array.isArray(value)) return value.map((v) => toWire(v, stats));
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  // Resource references without KeepResources: the ID, or the URN of an ID-less (component) resource.
  if (obj[SIG_KEY] === RESOURCE_REF_SIG) return typeof obj.id === "string" && obj.id !== "" ? obj.id : obj.urn;
  // Output values without KeepOutputValues: the value (secret-wrapped if secret), unknown if absent.
  if (obj[SIG_KEY] === OUTPUT_VALUE_SIG) {
    const inner = "value" in obj ? toWire(obj.value, stats) : UNKNOWN;
    return obj.secret === true ? { [SIG_KEY]: SECRET_SIG, value: inner } : inner;
  }
  if (obj[SIG_KEY] === SECRET_SIG) {
    if (typeof obj.plaintext === "string") return { [SIG_KEY]: SECRET_SIG, value: toWire(JSON.parse(obj.plaintext), stats) };
    if ("value" in obj) return { [SIG_KEY]: SECRET_SIG, value: toWire(obj.value, stats) };
    stats.undecryptableSecrets++;
    return { [SIG_KEY]: SECRET_SIG, value: UNKNOWN };
  }
  if (SIG_KEY in obj) return obj;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if ((k.startsWith("__") && !stats.keepInternalKeys) || v === undefined) continue;
    out[k] = toWire(v, stats);
  }
  return out;
}

/** The reference: the same requests built with the generated message classes. */
class ReferenceBuilder {
  readonly stats: WireStats = { undecryptableSecrets: 0 };
  private readonly providers = new Map<string, ExportedResource>();
  readonly resources: ExportedResource[];
  constructor(exported: ExportedDeployment) {
    const all = exported.deployment.resources ?? [];
    this.resources = all.filter((r) => !r.delete);
    for (const r of all) if (isProviderType(r.type)) this.providers.set(r.urn, r);
  }
  private struct(v: unknown, stats: WireStats) {
    return Struct.fromJavaScript(toWire(v ?? {}, stats) as any);
  }
  private options(r: ExportedResource) {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(!!r.protect);
    o.setIgnorechangesList(r.ignoreChanges ?? []);
    o.setAdditionalsecretoutputsList(r.additionalSecretOutputs ?? []);
    o.setAliasesList(r.aliases ?? []);
    const t = new pb.AnalyzerResourceOptions.CustomTimeouts();
    t.setCreate(r.customTimeouts?.create ?? 0);
    t.setUpdate(r.customTimeouts?.update ?? 0);
    t.setDelete(r.customTimeouts?.delete ?? 0);
    o.setCustomtimeouts(t);
    if (r.parent) o.setParent(r.parent);
    return o;
  }
  private provider(r: ExportedResource) {
    const p = r.provider ? this.providers.get(providerUrn(r.provider)) : undefined;
    if (!p) return undefined;
    const out = new pb.AnalyzerProviderResource();
    out.setUrn(p.urn);
    out.setType(p.type);
    out.setName(urnName(p.urn));
    out.setProperties(this.struct(p.inputs, { undecryptableSecrets: 0 }));
    return out;
  }
  analyzeRequest(r: ExportedResource, stats: WireStats = this.stats): Uint8Array {
    const req = new pb.AnalyzeRequest();
    req.setUrn(r.urn);
    req.setType(r.type);
    req.setName(urnName(r.urn));
    req.setProperties(this.struct(r.inputs, stats));
    req.setOptions(this.options(r));
    const p = this.provider(r);
    if (p) req.setProvider(p);
    return req.serializeBinary();
  }
  analyzeStackRequest(): Uint8Array {
    const req = new pb.AnalyzeStackRequest();
    req.setResourcesList(
      this.resources.map((r) => {
        const res = new pb.AnalyzerResource();
        res.setUrn(r.urn);
        res.setType(r.type);
        res.setName(urnName(r.urn));
        res.setProperties(this.struct(propertiesOf(r, "outputs"), { undecryptableSecrets: 0 }));
        res.setOptions(this.options(r));
        const p = this.provider(r);
        if (p) res.setProvider(p);
        if (r.parent) res.setParent(r.parent);
        res.setDependenciesList(r.dependencies ?? []);
        for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
          if (urns.length === 0) continue;
          const deps = new pb.AnalyzerPropertyDependencies();
          deps.setUrnsList(urns);
          res.getPropertydependenciesMap().set(key, deps);
        }
        return res;
      }),
    );
    return req.serializeBinary();
  }
}

const prefix = "urn:pulumi:dev::mesh";
const stackUrn = `${prefix}::pulumi:pulumi:Stack::mesh-dev`;
const provUrn = `${prefix}::pulumi:providers:kubernetes::k8s-east`;
const long = "x".repeat(200) + "é".repeat(9000) + "🚀";

function fixture(): ExportedDeployment {
  const inputs = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "cfg", namespace: "ns", labels: { b: "2", a: "1", "Z-upper": "z" }, annotations: {} },
    data: { long, empty: "", unicode: "naïve — ✓" },
    numbers: [0, -1, 1.5, 2 ** 40, -0.000123, 1e300],
    flags: [true, false, null],
    nested: [[[]], [{}], [{ deep: { deeper: [1, "two", { three: 3 }] } }]],
    __defaults: ["apiVersion"],
    dropped: undefined,
    plain: { [SIG_KEY]: SECRET_SIG, plaintext: JSON.stringify({ token: "t0ken", list: [1, 2] }) },
    wrapped: { [SIG_KEY]: SECRET_SIG, value: { inner: { [SIG_KEY]: SECRET_SIG, ciphertext: "v1:x" } } },
    cipher: { [SIG_KEY]: SECRET_SIG, ciphertext: "v1:abc" },
    asset: { [SIG_KEY]: "c44067f5952c0a294b673a41bacd8c17", text: "hello", __internal: "kept" },
    vpc: { [SIG_KEY]: RESOURCE_REF_SIG, urn: `${prefix}::awsx:ec2:Vpc::vpc`, packageVersion: "3.9.0" },
    subnet: { [SIG_KEY]: RESOURCE_REF_SIG, urn: `${prefix}::aws:ec2/subnet:Subnet::a`, id: "subnet-123" },
    computed: { [SIG_KEY]: OUTPUT_VALUE_SIG, dependencies: [provUrn] },
    known: { [SIG_KEY]: OUTPUT_VALUE_SIG, value: [1, { x: "y" }], secret: true },
  };
  return {
    version: 3,
    deployment: {
      resources: [
        { urn: stackUrn, type: "pulumi:pulumi:Stack", custom: false, outputs: { kubeconfigs: { [SIG_KEY]: SECRET_SIG, ciphertext: "v1:k" } } },
        {
          urn: provUrn, type: "pulumi:providers:kubernetes", custom: true, id: "p1", parent: stackUrn,
          inputs: { kubeconfig: { [SIG_KEY]: SECRET_SIG, value: long }, enableServerSideApply: "true", __internal: 1 },
          outputs: { kubeconfig: { [SIG_KEY]: SECRET_SIG, value: long } },
        },
        {
          urn: `${prefix}::kubernetes:core/v1:ConfigMap::cfg`, type: "kubernetes:core/v1:ConfigMap", custom: true, id: "ns/cfg",
          parent: stackUrn, provider: `${provUrn}::p1`, inputs, outputs: { ...inputs, __initialApiVersion: "v1" },
          protect: true, ignoreChanges: ["data", "metadata.labels"], additionalSecretOutputs: ["data"], aliases: ["urn:old"],
          customTimeouts: { create: 600, update: 0, delete: 1.5 },
          dependencies: [provUrn, stackUrn], propertyDependencies: { metadata: [provUrn], data: [], "": [stackUrn], Zeta: [stackUrn, provUrn] },
        },
        { urn: `${prefix}::kubernetes:core/v1:Namespace::gone`, type: "kubernetes:core/v1:Namespace", delete: true, inputs: { x: 1 } },
        { urn: `${prefix}::kubernetes:core/v1:Namespace::no-inputs`, type: "kubernetes:core/v1:Namespace", provider: `${provUrn}::p1` },
        { urn: `${prefix}::kubernetes:core/v1:Namespace::unknown-provider`, type: "kubernetes:core/v1:Namespace", provider: `${prefix}::pulumi:providers:kubernetes::missing::id`, inputs: {} },
      ],
    },
  };
}

function assertSameRequests(doc: ExportedDeployment): void {
  const ours = new RequestBuilder(doc);
  const ref = new ReferenceBuilder(doc);
  assert.equal(ours.resources.length, ref.resources.length);
  for (const r of ours.resources) {
    assert.deepEqual(Buffer.from(ours.analyzeRequest(r)), Buffer.from(ref.analyzeRequest(r)), `Analyze request of ${r.urn}`);
    assert.deepEqual(Buffer.from(ours.remediateRequest(r)), Buffer.from(ref.analyzeRequest(r, { undecryptableSecrets: 0, keepInternalKeys: true })), `Remediate request of ${r.urn}`);
  }
  assert.deepEqual(Buffer.from(ours.analyzeStackRequest()), Buffer.from(ref.analyzeStackRequest()), "AnalyzeStack request");
  assert.deepEqual(ours.stats, ref.stats);
}

test("analyzer requests are byte-identical to the generated classes' encoding", () => {
  const doc = fixture();
  assertSameRequests(doc);
  const decoded = pb.AnalyzeRequest.deserializeBinary(new RequestBuilder(doc).analyzeRequest(doc.deployment.resources![2]));
  const props = decoded.getProperties()!.toJavaScript() as any;
  assert.equal(props.data.long, long, "a long non-ASCII string survives");
  assert.deepEqual(props.plain, { [SIG_KEY]: SECRET_SIG, value: { token: "t0ken", list: [1, 2] } });
  assert.equal(props.__defaults, undefined);
  assert.equal(props.asset.__internal, "kept", "signature objects other than secrets pass through untouched");
  assert.equal(decoded.getProvider()!.getName(), "k8s-east");
  assert.equal(props.vpc, `${prefix}::awsx:ec2:Vpc::vpc`, "a component reference becomes its URN");
  assert.equal(props.subnet, "subnet-123", "a custom resource reference becomes its ID");
  assert.equal(props.computed, UNKNOWN);
  assert.deepEqual(props.known, { [SIG_KEY]: SECRET_SIG, value: [1, { x: "y" }] });
  const remediate = pb.AnalyzeRequest.deserializeBinary(new RequestBuilder(doc).remediateRequest(doc.deployment.resources![2])).getProperties()!.toJavaScript() as any;
  assert.deepEqual(remediate.__defaults, ["apiVersion"], "Remediate keeps internal keys, as the engine sends them");
});

test("a state the engine could not load fails naming the resource: unknown signatures, broken plaintext", () => {
  const urn = `${prefix}::test:index:R::r`;
  const build = (outputs: Record<string, unknown>) => () => new RequestBuilder({ version: 3, deployment: { resources: [{ urn, type: "test:index:R", outputs }] } }).analyzeStackRequest();
  assert.throws(build({ x: { [SIG_KEY]: "deadbeef" } }), (e: Error) => e instanceof StateFormatError && e.message.startsWith(`${urn} outputs: unrecognized signature "deadbeef"`));
  assert.throws(build({ s: { [SIG_KEY]: SECRET_SIG, plaintext: "apiVersion: v1" } }), /outputs: a secret's plaintext is not JSON/);
  assert.throws(build({ r: { [SIG_KEY]: RESOURCE_REF_SIG, id: "x" } }), /a resource reference has no urn/);
});

test("a byte string (version 4 state, feature byteString) goes as the string its bytes spell; non-UTF-8 bytes fail the review as they fail a preview", () => {
  const urn = `${prefix}::test:index:R::r`;
  const bytes = (value: unknown) => ({ [SIG_KEY]: BYTE_STRING_SIG, value });
  const doc = (outputs: Record<string, unknown>): ExportedDeployment => ({ version: 4, deployment: { resources: [{ urn, type: "test:index:R", inputs: outputs, outputs }] } });
  const wired = (outputs: Record<string, unknown>) => {
    const builder = new RequestBuilder(doc(outputs));
    return pb.AnalyzeRequest.deserializeBinary(builder.analyzeRequest(builder.resources[0])).getProperties()!.toJavaScript();
  };
  assert.deepEqual(wired({ s: bytes(Buffer.from("héllo").toString("base64")), l: [bytes("")] }), { s: "héllo", l: [""] });
  const build = (outputs: Record<string, unknown>) => () => new RequestBuilder(doc(outputs)).analyzeStackRequest();
  assert.throws(build({ s: bytes(Buffer.from([0xff, 0xfe, 0x6f]).toString("base64")) }), (e: Error) => e instanceof StateFormatError && e.message.startsWith(`${urn} outputs: a string that contains non-UTF8 bytes`));
  assert.throws(build({ s: bytes("not base64!") }), /outputs: malformed byte string: 'value' is not base64/);
  assert.throws(build({ s: { [SIG_KEY]: BYTE_STRING_SIG } }), /outputs: malformed byte string: missing or non-string 'value' field/);
});

/** Seeded random JSON documents: every value kind, nesting, and key orders. */
function randomDoc(seed: number): ExportedDeployment {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const key = () => ["a", "B", "_x", "__skip", "zz", "ключ", "k" + Math.floor(rnd() * 50)][Math.floor(rnd() * 7)];
  const value = (depth: number): unknown => {
    const k = Math.floor(rnd() * (depth > 4 ? 5 : 8));
    switch (k) {
      case 0: return null;
      case 1: return rnd() < 0.5 ? Math.floor(rnd() * 1e6) - 5e5 : rnd() * 1e-3;
      case 2: return "s".repeat(Math.floor(rnd() * 300));
      case 3: return rnd() < 0.5;
      case 4: return "";
      case 5: return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
      case 6: return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, () => [key(), value(depth + 1)]));
      default: return { [SIG_KEY]: SECRET_SIG, ...(rnd() < 0.5 ? { value: value(depth + 1) } : { ciphertext: "v1:r" }) };
    }
  };
  const resources: ExportedResource[] = Array.from({ length: 20 }, (_, i) => ({
    urn: `${prefix}::test:index:R::r${i}`, type: "test:index:R",
    inputs: value(0) as any, outputs: { o: value(1) } as any,
    ...(rnd() < 0.5 ? { dependencies: [`${prefix}::test:index:R::r${i + 1}`] } : {}),
  })).map((r) => (r.inputs && typeof r.inputs === "object" && !Array.isArray(r.inputs) ? r : { ...r, inputs: { v: r.inputs } }));
  return { version: 3, deployment: { resources } };
}

test("seeded random documents encode identically", () => {
  for (let seed = 1; seed <= 40; seed++) assertSameRequests(randomDoc(seed));
});

test("sidesDisagree: a render never; live bookkeeping is not a disagreement; an edit on either side is", () => {
  const obj = () => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: "inference", labels: { "istio.io/dataplane-mode": "ambient" } } });
  const r = (inputs: any, outputs: any) => ({ urn: "urn:pulumi:s::p::kubernetes:core/v1:Namespace::ns", type: "kubernetes:core/v1:Namespace", custom: true, inputs, outputs });
  assert.equal(sidesDisagree(r(obj(), obj())), false);
  const live = { ...obj(), metadata: { ...obj().metadata, uid: "u", resourceVersion: "7", managedFields: [{}], creationTimestamp: "t" }, status: { phase: "Active" }, __inputs: {} };
  assert.equal(sidesDisagree(r(obj(), live)), false);
  const labelled = obj();
  (labelled.metadata.labels as Record<string, string>)["istio-injection"] = "enabled";
  assert.equal(sidesDisagree(r(obj(), labelled)), true, "a label only the live object has");
  assert.equal(sidesDisagree(r(labelled, obj())), true, "a label only the inputs have");
  assert.equal(sidesDisagree({ ...r(obj(), labelled), type: "pulumi:providers:kubernetes" }), false, "providers are compared by nobody");
  assert.equal(sidesDisagree({ ...r(obj(), undefined) }), false, "no outputs: reviewed on its inputs anyway");
  assert.equal(sidesDisagree(r(obj(), {})), false, "empty outputs: a preview of an object not created yet");
  assert.equal(sidesDisagree(r(obj(), { ...obj(), data: { token: "filled in by the cluster" } })), false, "a top-level field only the cluster fills in");
  assert.equal(sidesDisagree(r(obj(), { ...obj(), spec: { finalizers: ["kubernetes"] } })), false, "a Namespace's spec, filled in by the API server");
  // A custom resource comes back as sent (plus status): a spec only the outputs have is one the inputs dropped.
  const pa = (spec?: unknown) => ({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "istio-system" }, ...(spec ? { spec } : {}) });
  const cr = (inputs: any, outputs: any) => ({ ...r(inputs, outputs), type: "kubernetes:security.istio.io/v1:PeerAuthentication" });
  assert.equal(sidesDisagree(cr(pa(), pa({ mtls: { mode: "STRICT" } }))), true, "a custom resource's spec removed from its inputs only");
  assert.equal(sidesDisagree(cr(pa({ mtls: { mode: "STRICT" } }), { ...pa({ mtls: { mode: "STRICT" } }), status: {} })), false, "a custom resource's status");
});

test("a Kubernetes object with outputs and no inputs is analyzed on its outputs, on both sides; a component's empty inputs stay empty", () => {
  const live = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "apps" }, spec: { template: { spec: { containers: [{ name: "c", image: "nginx:latest" }] } } } };
  const urn = "urn:pulumi:s::p::kubernetes:apps/v1:Deployment::web";
  const chart = "urn:pulumi:s::p::kubernetes:helm.sh/v4:Chart::redis";
  const resources: ExportedResource[] = [
    { urn, type: "kubernetes:apps/v1:Deployment", custom: true, id: "apps/web", inputs: {}, outputs: live },
    { urn: `${urn}-absent`, type: "kubernetes:apps/v1:Deployment", custom: true, id: "apps/web2", outputs: live },
    { urn: chart, type: "kubernetes:helm.sh/v4:Chart", custom: false, inputs: {}, outputs: { resources: [{ [SIG_KEY]: RESOURCE_REF_SIG, urn, id: "apps/web" }] } },
  ];
  const builder = new RequestBuilder({ version: 3, deployment: { resources } });
  const props = (bytes: Uint8Array) => pb.AnalyzeRequest.deserializeBinary(bytes).getProperties()!.toJavaScript();
  for (const r of resources.slice(0, 2)) {
    assert.deepEqual(props(builder.analyzeRequest(r)), live, r.urn);
    assert.deepEqual(propertiesOf(r, "inputs"), propertiesOf(r, "outputs"));
    assert.equal(sidesDisagree(r), false, "one side only: judged once");
  }
  assert.deepEqual(props(builder.analyzeRequest(resources[2])), {});
});
