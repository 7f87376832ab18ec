/**
 * A rendered `stack.json` turned into what `pulumi stack export` prints after `pulumi up`: the
 * inputs stay what the program declared, the outputs become the live objects the API server
 * returned, as pulumi-kubernetes checkpoints them (provider/pkg/provider/provider.go
 * checkpointObject: the live object, `__inputs`, `__initialApiVersion`, `__fieldManager`; a
 * Secret's `data` always secret, annotateSecrets) and its Helm Release (helm_release.go
 * checkpointRelease/setReleaseAttributes: the Release struct's omitempty JSON, `values` merged with
 * the release's config, `resourceNames`, `status`, `__inputs` secret).
 *
 * Defaults are the API server's, at the pinned versions:
 * - custom resources: the served CRD's structural `default`s (apiextensions-apiserver
 *   pkg/apiserver/schema/defaulting/algorithm.go: an absent property, or a null one that is not
 *   nullable, gets its default, applied top-down), from ../shared/crds;
 * - built-in kinds: pkg/apis/{core,apps,networking,rbac}/v1 defaults.go (and the declarative
 *   `+default` of ContainerPort/ServicePort protocol), plus what their registries allocate (a
 *   Service's clusterIP(s) and IP families, node ports; a Namespace's spec.finalizers and
 *   kubernetes.io/metadata.name label).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import type { ExportedDeployment, ExportedResource } from "../../scripts/lib/review-wire";
import { encryptValue } from "../../scripts/lib/export-secrets";
import { crdDir, crdSchema, upstreamCrd } from "./schemas";
import { decrypt, SECRET_SIG } from "./secrets";

type Obj = Record<string, any>;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const hash = (s: string) => createHash("sha256").update(s).digest("hex");
const setDefault = (o: Obj, key: string, value: unknown) => {
  if (o[key] === undefined || o[key] === null) o[key] = value;
};

/** The structural defaulting algorithm of the apiextensions API server, on one CRD schema node. */
function crdDefault(x: unknown, s: Obj | undefined): void {
  if (!s) return;
  if (isObj(x)) {
    for (const [k, prop] of Object.entries((s.properties ?? {}) as Obj)) {
      if (prop.default === undefined) continue;
      if (!(k in x) || (x[k] === null && !prop.nullable)) x[k] = clone(prop.default);
    }
    for (const k of Object.keys(x)) {
      const prop = s.properties?.[k] ?? (isObj(s.additionalProperties) ? s.additionalProperties : undefined);
      crdDefault(x[k], prop);
    }
  } else if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      if (x[i] === null && s.items && !s.items.nullable && s.items.default !== undefined) x[i] = clone(s.items.default);
      crdDefault(x[i], s.items);
    }
  }
}

/** core/v1 SetDefaults_Container, SetDefaults_Probe, SetDefaults_HTTPGetAction; ContainerPort protocol. */
function containerDefaults(c: Obj): void {
  const tag = /:([^/:@]+)$/.exec(String(c.image ?? "").split("@")[0])?.[1];
  setDefault(c, "imagePullPolicy", tag === "latest" ? "Always" : "IfNotPresent");
  setDefault(c, "terminationMessagePath", "/dev/termination-log");
  setDefault(c, "terminationMessagePolicy", "File");
  for (const p of c.ports ?? []) setDefault(p, "protocol", "TCP");
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe].filter(isObj)) {
    for (const [k, v] of [["timeoutSeconds", 1], ["periodSeconds", 10], ["successThreshold", 1], ["failureThreshold", 3]] as const) setDefault(probe, k, v);
    if (isObj(probe.httpGet)) {
      setDefault(probe.httpGet, "path", "/");
      setDefault(probe.httpGet, "scheme", "HTTP");
    }
  }
  for (const e of c.env ?? []) if (isObj(e.valueFrom?.fieldRef)) setDefault(e.valueFrom.fieldRef, "apiVersion", "v1");
}

/** core/v1 SetDefaults_PodSpec (every PodSpec, templates too) and the volume sources' modes. */
function podSpecDefaults(spec: Obj): void {
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "restartPolicy", "Always");
  setDefault(spec, "securityContext", {});
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefault(spec, "schedulerName", "default-scheduler");
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) containerDefaults(c);
  for (const v of spec.volumes ?? []) {
    for (const source of [v.configMap, v.secret, v.projected, v.downwardAPI].filter(isObj)) setDefault(source, "defaultMode", 420);
    for (const s of v.projected?.sources ?? []) if (isObj(s.serviceAccountToken)) setDefault(s.serviceAccountToken, "expirationSeconds", 3600);
  }
}

function serviceDefaults(o: Obj, seed: string): void {
  const spec = (o.spec ??= {});
  setDefault(spec, "type", "ClusterIP");
  setDefault(spec, "sessionAffinity", "None");
  const ip = `10.100.${parseInt(seed.slice(0, 2), 16)}.${parseInt(seed.slice(2, 4), 16)}`;
  if (spec.type !== "ExternalName") {
    setDefault(spec, "clusterIP", ip);
    setDefault(spec, "clusterIPs", [spec.clusterIP]);
    setDefault(spec, "ipFamilies", ["IPv4"]);
    setDefault(spec, "ipFamilyPolicy", "SingleStack");
    setDefault(spec, "internalTrafficPolicy", "Cluster");
  }
  const external = spec.type === "LoadBalancer" || spec.type === "NodePort";
  spec.ports?.forEach((p: Obj, i: number) => {
    setDefault(p, "protocol", "TCP");
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port;
    if (external) setDefault(p, "nodePort", 30000 + ((parseInt(seed.slice(4, 8), 16) + i) % 2767));
  });
  if (external) setDefault(spec, "externalTrafficPolicy", "Cluster");
  if (spec.type === "LoadBalancer") {
    setDefault(spec, "allocateLoadBalancerNodePorts", true);
    o.status = { loadBalancer: { ingress: [{ hostname: `a${seed.slice(0, 12)}.elb.amazonaws.com` }] } };
  } else o.status = { loadBalancer: {} };
}

function builtInDefaults(o: Obj, seed: string): void {
  const spec = o.spec;
  switch (`${o.apiVersion}/${o.kind}`) {
    case "v1/Namespace":
      (o.metadata.labels ??= {})["kubernetes.io/metadata.name"] = o.metadata.name;
      o.spec = { finalizers: ["kubernetes"], ...(spec ?? {}) };
      o.status = { phase: "Active" };
      return;
    case "v1/Service":
      return serviceDefaults(o, seed);
    case "apps/v1/Deployment":
      setDefault(spec, "replicas", 1);
      setDefault(spec, "strategy", { type: "RollingUpdate" });
      if (spec.strategy.type === "RollingUpdate") spec.strategy.rollingUpdate = { maxUnavailable: "25%", maxSurge: "25%", ...(spec.strategy.rollingUpdate ?? {}) };
      setDefault(spec, "revisionHistoryLimit", 10);
      setDefault(spec, "progressDeadlineSeconds", 600);
      // The deployment controller's (pkg/controller/deployment/util RevisionAnnotation), there once pulumi-kubernetes' await sees the rollout.
      (o.metadata.annotations ??= {})["deployment.kubernetes.io/revision"] = "1";
      o.status = { observedGeneration: 1, replicas: spec.replicas, readyReplicas: spec.replicas, availableReplicas: spec.replicas, updatedReplicas: spec.replicas };
      break;
    case "apps/v1/DaemonSet":
      setDefault(spec, "updateStrategy", { type: "RollingUpdate" });
      if (spec.updateStrategy.type === "RollingUpdate") spec.updateStrategy.rollingUpdate = { maxUnavailable: 1, maxSurge: 0, ...(spec.updateStrategy.rollingUpdate ?? {}) };
      setDefault(spec, "revisionHistoryLimit", 10);
      break;
    case "apps/v1/StatefulSet":
      setDefault(spec, "replicas", 1);
      setDefault(spec, "podManagementPolicy", "OrderedReady");
      setDefault(spec, "updateStrategy", { type: "RollingUpdate", rollingUpdate: { partition: 0 } });
      setDefault(spec, "revisionHistoryLimit", 10);
      break;
    case "networking.k8s.io/v1/NetworkPolicy":
      for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])]) for (const p of rule.ports ?? []) setDefault(p, "protocol", "TCP");
      setDefault(spec, "policyTypes", spec.egress?.length ? ["Ingress", "Egress"] : ["Ingress"]);
      return;
    case "rbac.authorization.k8s.io/v1/RoleBinding":
    case "rbac.authorization.k8s.io/v1/ClusterRoleBinding":
      setDefault((o.roleRef ??= {}), "apiGroup", "rbac.authorization.k8s.io");
      for (const s of o.subjects ?? []) if (s.kind === "User" || s.kind === "Group") setDefault(s, "apiGroup", "rbac.authorization.k8s.io");
      return;
  }
  if (isObj(spec?.template?.spec)) podSpecDefaults(spec.template.spec);
}

/** A Secret as read back: type Opaque by default, stringData folded into base64 data, data secret. */
function liveSecret(o: Obj): void {
  setDefault(o, "type", "Opaque");
  const reveal = (v: unknown) => (isObj(v) && v[SECRET_SIG] ? (typeof v.ciphertext === "string" ? decrypt(v.ciphertext) : v.plaintext !== undefined ? JSON.parse(v.plaintext) : v.value) : v) as Obj | undefined;
  const data: Obj = { ...(reveal(o.data) ?? {}) };
  for (const [k, v] of Object.entries(reveal(o.stringData) ?? {})) data[k] = Buffer.from(String(v)).toString("base64");
  if (o.type === "kubernetes.io/service-account-token") {
    // Filled in by the token controller.
    Object.assign(data, { "ca.crt": Buffer.from("ca").toString("base64"), namespace: Buffer.from(o.metadata.namespace ?? "default").toString("base64"), token: Buffer.from("token").toString("base64") });
  }
  delete o.stringData;
  if (Object.keys(data).length) o.data = { [SECRET_SIG]: SECRET_SIG_VALUE, ciphertext: encryptValue(JSON.stringify(data)) };
}
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** The live object pulumi-kubernetes checkpoints for `inputs`. */
export function liveObject(inputs: Obj, urn: string): Obj {
  const o = clone(inputs);
  const seed = hash(urn);
  const [group, version] = String(o.apiVersion).includes("/") ? String(o.apiVersion).split("/") : ["", o.apiVersion];
  const schema = group ? crdSchema(group, version, o.kind) : undefined;
  if (schema) crdDefault(o, schema);
  else if (o.apiVersion === "v1" && o.kind === "Secret") liveSecret(o);
  else builtInDefaults(o, seed);
  const custom = !!schema;
  o.metadata = {
    ...o.metadata,
    uid: `${seed.slice(0, 8)}-${seed.slice(8, 12)}-4${seed.slice(13, 16)}-8${seed.slice(17, 20)}-${seed.slice(20, 32)}`,
    resourceVersion: String(parseInt(seed.slice(0, 6), 16)),
    creationTimestamp: "2026-08-01T12:00:00Z",
    managedFields: [{ apiVersion: o.apiVersion, fieldsType: "FieldsV1", fieldsV1: { "f:metadata": {} }, manager: "pulumi-kubernetes-8f3d1c2a", operation: "Apply", time: "2026-08-01T12:00:00Z" }],
    ...(custom || o.spec ? { generation: 1 } : {}),
  };
  if (custom && o.kind === "Gateway") o.status = { addresses: [{ type: "Hostname", value: `a${seed.slice(0, 12)}.elb.amazonaws.com` }], conditions: [{ type: "Programmed", status: "True", reason: "Programmed", message: "", lastTransitionTime: "2026-08-01T12:00:00Z", observedGeneration: 1 }] };
  if (custom && (o.kind === "HTTPRoute" || o.kind === "InferencePool")) o.status = { parents: [] };
  o.__inputs = clone(inputs);
  o.__initialApiVersion = o.apiVersion;
  o.__fieldManager = "pulumi-kubernetes-8f3d1c2a";
  return o;
}

/** A Helm Release's outputs: the Release struct's JSON (omitempty drops false and empty), status, resourceNames. */
export function liveRelease(inputs: Obj): Obj {
  const o: Obj = {};
  for (const [k, v] of Object.entries(clone(inputs))) {
    if (v === false || v === "" || v === null || (isObj(v) && Object.keys(v).length === 0 && k !== "values") || k === "compat" || k === "valueYamlFiles") continue;
    o[k] = v;
  }
  const ns = inputs.namespace ?? "default";
  o.resourceNames = { "Deployment.apps/apps/v1": [`${ns}/${inputs.name}`] };
  o.status = { appVersion: inputs.version, chart: inputs.chart, name: inputs.name, namespace: ns, revision: 1, status: "deployed", version: inputs.version };
  o.__inputs = { [SECRET_SIG]: SECRET_SIG_VALUE, ciphertext: encryptValue(JSON.stringify(inputs)) };
  return o;
}

/** Whether a resource is one whose live object pulumi-kubernetes records as its outputs. */
export const isLiveKubernetes = (r: ExportedResource) =>
  r.type.startsWith("kubernetes:") && r.custom !== false && r.inputs !== undefined && r.outputs !== undefined && Object.keys(r.outputs).length > 0;

/**
 * What each pinned CRD bundle a ConfigFile applies holds: Gateway API's standard-install.yaml (its
 * CRDs and the safe-upgrades ValidatingAdmissionPolicy, the same file name in ../shared/crds and
 * `npm run crds`'s cache), and the CRDs, by name, of GIE's v1-manifests.yaml (v1.6.0 Makefile
 * `artifacts`: the CRDs serving v1, so InferencePool without InferencePoolImport, which serves
 * v1alpha1 only) and llm-d-router's manifests.yaml (v0.10.0 Makefile: the llm-d.ai group).
 */
const BUNDLES: [RegExp, { file: string } | { crds: string[] }][] = [
  [/gateway-api\/releases\/download\/[^/]+\/standard-install\.yaml$/, { file: "gateway-api/standard-install.yaml" }],
  [/gateway-api-inference-extension\/releases\/download\/[^/]+\/v1-manifests\.yaml$/, { crds: ["inferencepools.inference.networking.k8s.io"] }],
  [/llm-d-router\/releases\/download\/[^/]+\/manifests\.yaml$/, { crds: ["inferenceobjectives.llm-d.ai", "inferencemodelrewrites.llm-d.ai"] }],
];

/** A bundle's objects, from the CRD directory whichever layout it has. */
function bundleObjects(bundle: { file: string } | { crds: string[] }): Obj[] {
  if ("file" in bundle) return (yaml.loadAll(fs.readFileSync(path.join(crdDir(), bundle.file), "utf8")) as Obj[]).filter(isObj);
  return bundle.crds.map((name) => clone(upstreamCrd(name)));
}

/**
 * What a yaml/v2 ConfigFile registers in a real run (it is a multi-language component the mock
 * engine sees as one opaque resource): each object of its file as a child, named
 * `<ConfigFile name>:[<namespace>/]<name>`, on the component's provider (yaml/v2 yaml.go register).
 */
function configFileChildren(r: ExportedResource): ExportedResource[] {
  const bundle = BUNDLES.find(([re]) => re.test(String(r.inputs?.file ?? "")))?.[1];
  if (!bundle) return [];
  const [stack, project, types, name] = r.urn.split("::");
  return bundleObjects(bundle).map((obj) => {
    const type = `kubernetes:${obj.apiVersion.includes("/") ? obj.apiVersion : `core/${obj.apiVersion}`}:${obj.kind}`;
    const urn = [stack, project, `${types}$${type}`, `${name}:${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata.name}`].join("::");
    return { urn, custom: true, id: obj.metadata.name, type, inputs: obj, outputs: liveObject(obj, urn), parent: r.urn, provider: r.provider, dependencies: [] };
  });
}

/** The export a `pulumi up` of this render would leave: every Kubernetes object's outputs live, inputs as declared. */
export function liveExport(doc: ExportedDeployment): ExportedDeployment {
  const out = clone(doc);
  const resources: ExportedResource[] = [];
  for (const r of out.deployment.resources ?? []) {
    resources.push(r);
    if (r.type === "kubernetes:yaml/v2:ConfigFile") {
      const children = configFileChildren(r);
      resources.push(...children);
      r.outputs = { resources: children.map((c) => ({ [RESOURCE_REF]: RESOURCE_REF_SIG, urn: c.urn, id: c.id, packageVersion: "4.34.2" })) };
    }
    if (!isLiveKubernetes(r)) continue;
    r.outputs = r.type === "kubernetes:helm.sh/v3:Release" ? liveRelease(r.inputs!) : liveObject(r.inputs!, r.urn);
  }
  out.deployment.resources = resources;
  return out;
}
const RESOURCE_REF = SECRET_SIG;
const RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
