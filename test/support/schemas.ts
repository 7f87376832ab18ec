/**
 * Validates rendered Kubernetes objects against upstream schemas: custom kinds against the
 * upstream CRDs (`$CRD_DIR`, else `../shared/crds`, else the cache `npm run crds` fills), core
 * kinds against the Kubernetes OpenAPI schemas shipped in `kubernetes-models`, with a field the
 * schema does not declare refused as the API server's strict field validation refuses it.
 *
 * CEL rules (`x-kubernetes-validations`) are not evaluated; structural schema, enums, patterns,
 * required fields and unknown-field pruning (`additionalProperties: false` where the CRD is
 * closed) are.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import Ajv, { ValidateFunction } from "ajv";

export const repoRoot = path.resolve(__dirname, "..", "..");

const holdsFiles = (dir: string): boolean => fs.existsSync(dir) && fs.statSync(dir).isDirectory() && fs.readdirSync(dir).length > 0;

/** Where the CRDs come from, in order of preference, or an actionable error. */
export function crdDir(env: NodeJS.ProcessEnv = process.env, root: string = repoRoot): string {
  // A CRD_DIR someone set is the one they mean: falling back past a misspelt or empty one would
  // validate against other CRDs (../shared's, a stale cache) without a word.
  if (env.CRD_DIR) {
    if (holdsFiles(env.CRD_DIR)) return env.CRD_DIR;
    throw new Error(`CRD_DIR=${env.CRD_DIR} is not a directory of upstream CRD YAML files; fix or unset it`);
  }
  const candidates = [path.join(root, "..", "shared", "crds"), path.join(root, ".crd-cache")];
  for (const c of candidates) if (holdsFiles(c)) return c;
  throw new Error(
    "no upstream CRDs found: set CRD_DIR, keep ../shared/crds beside the checkout, or run `npm run crds` " +
      "to download the pinned upstream bundles into .crd-cache/",
  );
}

interface CrdVersionSchema {
  group: string;
  version: string;
  kind: string;
  schema: Record<string, unknown>;
  source: string;
}

function listYaml(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return listYaml(p);
    return /\.ya?ml$/.test(e.name) ? [p] : [];
  });
}

let crdIndex: Map<string, CrdVersionSchema> | undefined;

function loadCrds(): Map<string, CrdVersionSchema> {
  if (crdIndex) return crdIndex;
  // Resolved first: without CRDs every call must fail with crdDir()'s message, not find an empty index.
  const dir = crdDir();
  crdIndex = new Map();
  for (const file of listYaml(dir)) {
    for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8")) as any[]) {
      if (doc?.kind !== "CustomResourceDefinition") continue;
      for (const v of doc.spec.versions ?? []) {
        if (!v.served || !v.schema?.openAPIV3Schema) continue;
        const key = `${doc.spec.group}/${v.name}/${doc.spec.names.kind}`;
        crdIndex.set(key, { group: doc.spec.group, version: v.name, kind: doc.spec.names.kind, schema: v.schema.openAPIV3Schema, source: path.relative(dir, file) });
      }
    }
  }
  return crdIndex;
}

const crdsByName = new Map<string, Map<string, Record<string, unknown>>>();

/**
 * The upstream CustomResourceDefinition named `name` (`<plural>.<group>`), from whichever file
 * holds it: ../shared/crds keeps one file per CRD, while `npm run crds` writes the release bundles
 * as published (GIE's `gie/v1-manifests.yaml`, llm-d-router's `gie/manifests.yaml`), so a file
 * name holds in one layout only.
 */
export function upstreamCrd(name: string): Record<string, unknown> {
  const dir = crdDir();
  let byName = crdsByName.get(dir);
  if (!byName) {
    byName = new Map();
    for (const file of listYaml(dir)) {
      for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8")) as any[]) {
        if (doc?.kind === "CustomResourceDefinition" && !byName.has(doc.metadata?.name)) byName.set(doc.metadata.name, doc);
      }
    }
    crdsByName.set(dir, byName);
  }
  const crd = byName.get(name);
  if (!crd) throw new Error(`no CustomResourceDefinition ${name} in ${dir}`);
  return crd;
}

/** The openAPIV3Schema the upstream CRD serves for `group/version/kind`, or undefined for a kind no CRD defines. */
export function crdSchema(group: string, version: string, kind: string): Record<string, unknown> | undefined {
  return loadCrds().get(`${group}/${version}/${kind}`)?.schema;
}

/** OpenAPI v3 (Kubernetes dialect) → JSON Schema ajv understands. */
function toJsonSchema(node: any): any {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== "object") return node;
  const out: any = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith("x-kubernetes-") || k === "nullable" || k === "format") continue;
    out[k] = k === "properties" || k === "patternProperties" || k === "definitions"
      ? Object.fromEntries(Object.entries(v as object).map(([pk, pv]) => [pk, toJsonSchema(pv)]))
      : toJsonSchema(v);
  }
  if (node["x-kubernetes-int-or-string"]) {
    delete out.type;
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if (node["x-kubernetes-preserve-unknown-fields"] && !out.properties) delete out.additionalProperties;
  if (node.type === "object" && node.properties && node.additionalProperties === undefined && !node["x-kubernetes-preserve-unknown-fields"]) {
    // Structural schemas prune unknown fields; a field we set that the CRD does not know is a bug.
    out.additionalProperties = false;
  }
  if (node.nullable && out.type) out.type = [out.type, "null"];
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

export interface SchemaResult {
  ok: boolean;
  /** Which schema was used: a CRD file or `kubernetes-models`. */
  schema: string;
  errors: string[];
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf("/");
  return i === -1 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/**
 * kubernetes-models ships its OpenAPI schemas only as ajv-compiled validators whose objects are all
 * open (no `additionalProperties: false`), whereas the API server refuses (fieldValidation=Strict,
 * kubectl's default) or drops any field its structural schema does not declare. The validators are
 * the schema, so we watch them read the object: a declared property is looked up by name whether
 * set or not, a map (`additionalProperties`: labels, ConfigMap data, resource limits) has its keys
 * listed, and a free-form object (RawExtension, JSON) is not looked into at all.
 */
interface FieldTrace {
  read: Set<string>;
  listed: boolean;
}

function traced(value: unknown, at: string, traces: Map<string, FieldTrace>): unknown {
  if (!value || typeof value !== "object") return value;
  const trace: FieldTrace = { read: new Set(), listed: false };
  traces.set(at, trace);
  const children = new Map<string, unknown>();
  return new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== "string") return v;
      trace.read.add(key);
      if (!Object.hasOwn(target, key)) return v;
      if (!children.has(key)) children.set(key, traced(v, `${at}/${key}`, traces));
      return children.get(key);
    },
    has(target, key) {
      if (typeof key === "string") trace.read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      trace.listed = true;
      return Reflect.ownKeys(target);
    },
  });
}

/** Keys of objects whose schema declares properties (and no map of extra keys) that it does not declare. */
function unknownFields(value: unknown, at: string, traces: Map<string, FieldTrace>, unread: (key: string) => boolean): { path: string; key: string }[] {
  const trace = traces.get(at);
  // Not reached by the validator: under a field already refused, or a type it already reported.
  if (!trace || !value || typeof value !== "object") return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownFields(v, `${at}/${i}`, traces, unread));
  const closed = !trace.listed && trace.read.size > 0;
  if (!trace.listed && !closed) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    closed && !trace.read.has(k) && !unread(k) ? [{ path: at, key: k }] : unknownFields(v, `${at}/${k}`, traces, unread),
  );
}

/** A kubernetes-models model's verdict on `obj`, unknown fields refused, each path after `prefix`. */
function modelErrors(Model: any, obj: unknown, prefix: string, unread: (key: string) => boolean = () => false): string[] {
  // The model's copy: it drops undefined values, which never reach the API server.
  const data = new Model(obj).toJSON();
  const traces = new Map<string, FieldTrace>();
  const errors: string[] = [];
  try {
    Model.prototype.validate.call(traced(data, "", traces));
  } catch (err: any) {
    const found: any[] | undefined = err.errors;
    errors.push(...(found ? found.map((e) => `${prefix}${e.instancePath} ${e.message}`) : [String(err.message ?? err)]));
  }
  errors.push(...unknownFields(data, "", traces, unread).map((f) => `${prefix}${f.path} must NOT have additional properties '${f.key}'`));
  return errors;
}

/**
 * Properties the package's types declare but its generator left out of the validators: the
 * `description` and `x-kubernetes-*` fields of apiextensions' JSONSchemaProps (and the
 * `description` of CustomResourceColumnDefinition and ExternalDocumentation). Every other type's
 * validator looks up all the properties its .d.ts declares.
 */
const unreadApiextensionsKey = (key: string) => key === "description" || key.startsWith("x-kubernetes-");

async function validateCore(obj: any): Promise<SchemaResult | undefined> {
  const { group, version } = splitApiVersion(obj.apiVersion);
  const modulePath = `kubernetes-models/${group ? `${group}/` : ""}${version}/${obj.kind}`;
  let mod: any;
  try {
    mod = await import(modulePath);
  } catch {
    return undefined;
  }
  const Model = mod[obj.kind] ?? mod.default?.[obj.kind];
  if (!Model) return undefined;
  const errors = modelErrors(Model, obj, "data", group === "apiextensions.k8s.io" ? unreadApiextensionsKey : undefined);
  return { ok: errors.length === 0, schema: modulePath, errors };
}

/** Validates one object; unknown kinds fail (every rendered kind must have an upstream schema). */
export async function validateObject(obj: any): Promise<SchemaResult> {
  const { group, version } = splitApiVersion(obj.apiVersion);
  const crd = loadCrds().get(`${group}/${version}/${obj.kind}`);
  if (crd) {
    const key = `${group}/${version}/${obj.kind}`;
    let validate = compiled.get(key);
    if (!validate) {
      const schema = toJsonSchema(crd.schema);
      // apiVersion/kind/metadata are validated by the API server, not the CRD schema.
      delete schema.required;
      // Some CRDs (Istio's) list only spec/status at the root; the object envelope is always allowed.
      if (schema.properties) {
        schema.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, ...schema.properties };
      }
      validate = ajv.compile({ ...schema, required: crd.schema.required });
      compiled.set(key, validate);
    }
    const errors = validate(obj) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` '${(e.params as any).additionalProperty}'` : ""}`);
    // A custom resource's metadata is ObjectMeta whatever its CRD says; the API server drops (or,
    // strict, refuses) an unknown field there too (apiextensions-apiserver's GetObjectMetaWithOptions).
    if (obj.metadata && typeof obj.metadata === "object") {
      const { ObjectMeta } = await import("@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta");
      errors.push(...modelErrors(ObjectMeta, obj.metadata, "/metadata"));
    }
    return { ok: errors.length === 0, schema: `crd:${crd.source}`, errors };
  }
  // A Secret whose data is secret reaches reviewers masked as a whole ("[secret]"), shape unknown.
  if (obj.apiVersion === "v1" && obj.kind === "Secret") {
    obj = { ...obj };
    for (const field of ["data", "stringData"]) if (obj[field] === "[secret]") obj[field] = {};
  }
  const core = await validateCore(obj);
  return core ?? { ok: false, schema: "none", errors: [`no upstream schema for ${obj.apiVersion} ${obj.kind}`] };
}
