/**
 * Istio's charts installed as objects instead of Helm Releases. pulumi-kubernetes registers a Helm
 * v4 Chart from its provider's Construct with no inputs and no provider, so in a real export or
 * preview only its rendered children, each on its cluster's provider, say what it installs (the
 * same holds for the charts' output applied as a yaml/v2 ConfigGroup). The mesh rules read Istio
 * installs as Helm releases (chart, namespace, values): each install recognised here stands in as
 * one on its objects' cluster, with the values read back from where Istio 1.30.3's templates write
 * them verbatim. A value the objects do not hold is not known (the rules' "can't judge"), never guessed.
 */
import type { PolicyResource } from "@pulumi/policy";
import * as yaml from "js-yaml";
import { cannotJudge, containersOf, isKind, meta, podSpecOf, T } from "./k8s";
import { repositoryOf } from "./device-plugin";
import { isObject, orUnknown, probe } from "./values";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const DAEMONSET = "kubernetes:apps/v1:DaemonSet";

const imageName = (c: { image?: unknown } | undefined) => repositoryOf(c?.image).split("/").pop() ?? "";

/**
 * The node agent image every container of a pod spec runs (the same one), any hub: ztunnel's chart
 * renders one container of `<hub>/ztunnel:<tag>`, istio-cni's one of `<hub>/install-cni:<tag>`
 * (manifests/charts/ztunnel and istio-cni templates/daemonset.yaml).
 */
export function istioNodeAgentImage(spec: Record<string, any> | undefined): "ztunnel" | "install-cni" | undefined {
  const names = new Set(containersOf(spec).map(imageName));
  const [only] = [...names];
  return names.size === 1 && (only === "ztunnel" || only === "install-cni") ? only : undefined;
}

/**
 * istio-discovery deployment.yaml: Deployment `istiod` (`istiod-<revision>`) whose `discovery`
 * container runs `<hub>/pilot:<tag>`: its revision (undefined for the default), null when the
 * Deployment is not istiod. Shared with topology.md (scripts/lib/topology-model.ts), which reads
 * istiod's values as the pack does.
 */
export function istiodRevisionOf(name: unknown, podSpec: Record<string, any> | undefined): string | undefined | null {
  const m = /^istiod(?:-(.+))?$/.exec(String(name));
  if (!m || !containersOf(podSpec).some((c) => imageName(c) === "pilot")) return null;
  return m[1];
}

function istiodRevision(r: PolicyResource): string | undefined | null {
  return r.type === DEPLOYMENT ? istiodRevisionOf(meta(r.props).name, podSpecOf(r.type, r.props)) : null;
}

/** The ConfigMap istio-discovery configmap-values.yaml writes istiod's values into. */
export const istiodValuesConfigMap = (revision: string | undefined) => (revision ? `values-${revision}` : "values");

/** The values in a values ConfigMap's data (`original-values`, JSON); undefined when it holds none the chart wrote. */
export function originalValues(data: unknown): unknown {
  const text = isObject(data) ? data["original-values"] : undefined;
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // Not the chart's JSON: read as missing.
    return undefined;
  }
}

/**
 * istiod's values from plain Kubernetes objects (a Helm v4 Chart's children, which record no
 * values), for readers outside the pack: those of the first istiod Deployment whose values
 * ConfigMap holds them; undefined when there is none.
 */
export function istiodValuesOfObjects(objects: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; spec?: unknown; data?: unknown }[]): unknown {
  for (const d of objects.filter((o) => o.apiVersion === "apps/v1" && o.kind === "Deployment")) {
    const revision = istiodRevisionOf(d.metadata?.name, (d.spec as Record<string, any> | undefined)?.template?.spec);
    if (revision === null) continue;
    const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata?.name === istiodValuesConfigMap(revision) && o.metadata?.namespace === d.metadata?.namespace);
    const values = originalValues(cm?.data);
    if (values !== undefined) return values;
  }
  return undefined;
}

const configMap = (resources: PolicyResource[], namespace: string, name: string) =>
  resources.find((r) => isKind(r.type, "core", "ConfigMap") && meta(r.props).namespace === namespace && meta(r.props).name === name);

/**
 * istiod's values: configmap-values.yaml writes `original-values`, the values the chart was given
 * (zzz_profile.yaml's `_original`, taken before the profile and defaults are laid under them), as
 * JSON into ConfigMap `values` (`values-<revision>`) of istiod's namespace: what a Release holds.
 */
function istiodValues(resources: PolicyResource[], namespace: string, revision: string | undefined, what: string): unknown {
  const name = istiodValuesConfigMap(revision);
  const values = originalValues(configMap(resources, namespace, name)?.props.data);
  if (values !== undefined) return values;
  return cannotJudge([`the values of ${what}: the stack holds no ConfigMap ${namespace}/${name} with the chart's original-values`]);
}

/**
 * istio-cni's ambient settings as configmap-cni.yaml writes them (after the profile and cni.* are
 * laid over the values) into ConfigMap `istio-cni-config`, which the node agent reads as its
 * environment: AMBIENT_ENABLED, AMBIENT_ENABLEMENT_SELECTOR (the selectors as YAML) and
 * EXCLUDE_NAMESPACES (comma-separated).
 */
function cniConfig(resources: PolicyResource[], namespace: string, what: string): Record<string, unknown> {
  const data = configMap(resources, namespace, "istio-cni-config")?.props.data;
  return isObject(data) ? data : cannotJudge([`the ambient settings of ${what}: the stack holds no ConfigMap ${namespace}/istio-cni-config`]);
}

/** AMBIENT_ENABLEMENT_SELECTOR as the node agent parses it (YAML); text it cannot parse is not judged. */
function selectorsOf(text: string, what: string): unknown {
  try {
    return yaml.load(text);
  } catch {
    return cannotJudge([`the ambient.enablementSelectors of ${what}: its istio-cni-config AMBIENT_ENABLEMENT_SELECTOR is not YAML`]);
  }
}

/**
 * An env var's literal value in the pod's containers (undefined when none sets it): the last entry
 * of a container naming it, which the kubelet takes (the ztunnel chart lists its `env` values after
 * the NETWORK and ISTIO_META_CLUSTER_ID it renders). One set by `valueFrom` comes from an object or
 * field the stack does not render: not known, not the chart's default.
 */
function envValue(spec: Record<string, any> | undefined, name: string, what: string): unknown {
  for (const c of containersOf(spec) as { env?: { name?: unknown; value?: unknown; valueFrom?: unknown }[] }[]) {
    const e = (Array.isArray(c.env) ? c.env : []).filter((x) => x?.name === name).pop();
    if (e) return e.value === undefined && e.valueFrom != null ? cannotJudge([`the ${name} of ${what}: set by valueFrom`]) : e.value;
  }
  return undefined;
}

/** The stand-in Release for one rendered install: the owning v4 Chart's name and URN where there is one, the object's provider. */
function standIn(r: PolicyResource, chart: string, values: Record<string, unknown> | (() => unknown)): PolicyResource {
  const owner = r.parent?.type === T.helmChart ? r.parent : undefined;
  return {
    ...r,
    type: T.helmRelease,
    name: owner?.name ?? r.name,
    urn: owner?.urn ?? r.urn,
    props: {
      chart,
      get namespace() {
        return meta(r.props).namespace;
      },
      get values() {
        return typeof values === "function" ? values() : values;
      },
    },
  };
}

function standInFor(r: PolicyResource, resources: PolicyResource[]): PolicyResource | undefined {
  // A Chart registered with its inputs (a program's own, not a real run's) is read as a release itself.
  if (r.parent?.type === T.helmChart && typeof r.parent.props?.chart === "string") return undefined;
  const namespace = () => meta(r.props).namespace;
  const spec = () => podSpecOf(r.type, r.props);
  const revision = istiodRevision(r);
  if (revision !== null) return standIn(r, "istiod", () => istiodValues(resources, namespace(), revision, `istiod ${namespace()}/${meta(r.props).name}`));
  if (r.type !== DAEMONSET) return undefined;
  const agent = istioNodeAgentImage(spec());
  const what = `${agent} DaemonSet ${namespace()}/${meta(r.props).name}`;
  if (agent === "install-cni") {
    return standIn(r, "cni", {
      get ambient() {
        const data = cniConfig(resources, namespace(), what);
        const selectors = data.AMBIENT_ENABLEMENT_SELECTOR;
        return { enabled: data.AMBIENT_ENABLED, ...(typeof selectors === "string" ? { enablementSelectors: selectorsOf(selectors, what) } : {}) };
      },
      get excludeNamespaces() {
        const list = cniConfig(resources, namespace(), what).EXCLUDE_NAMESPACES;
        return String(list ?? "").split(",").filter((ns) => ns !== "");
      },
      get affinity() {
        return spec()?.affinity;
      },
      get tolerations() {
        return spec()?.tolerations;
      },
      // daemonset.yaml mounts cniConfDir as hostPath volume cni-net-dir.
      get cniConfDir() {
        const volume = (Array.isArray(spec()?.volumes) ? spec()!.volumes : []).find((v: any) => v?.name === "cni-net-dir");
        return volume?.hostPath?.path;
      },
    });
  }
  if (agent === "ztunnel") {
    // daemonset.yaml: NETWORK from `network` (global.* merged onto it), ISTIO_META_CLUSTER_ID from multiCluster.clusterName.
    return standIn(r, "ztunnel", {
      get nodeSelector() {
        return spec()?.nodeSelector;
      },
      get affinity() {
        return spec()?.affinity;
      },
      get tolerations() {
        return spec()?.tolerations;
      },
      get network() {
        return envValue(spec(), "NETWORK", what);
      },
      multiCluster: {
        get clusterName() {
          return envValue(spec(), "ISTIO_META_CLUSTER_ID", what);
        },
      },
    });
  }
  return undefined;
}

/**
 * Whether an object is one of Istio's own installs applied as objects (istiod's Deployment, ztunnel's
 * or istio-cni's DaemonSet). Its charts label these pods istio.io/dataplane-mode=none (and run
 * istio-cni on the host network): Istio's control and data plane, never workloads to enroll, as
 * the pods of its Helm releases are not.
 */
export function isIstioInstallObject(r: PolicyResource): boolean {
  return orUnknown(() => istiodRevision(r) !== null || (r.type === DAEMONSET && istioNodeAgentImage(podSpecOf(r.type, r.props)) !== undefined), false);
}

/**
 * A stand-in Helm Release for each Istio install (istiod, istio-cni, ztunnel) that one cluster's
 * resources hold as rendered objects (its values are looked up among them: never pass several
 * clusters at once). An object whose name or image is not known in this preview is not recognised.
 */
export function renderedIstio(resources: PolicyResource[]): PolicyResource[] {
  return resources.flatMap((r) => {
    const s = probe(() => standInFor(r, resources));
    return s.known && s.value ? [s.value] : [];
  });
}

/** Per list of a cluster's resources (one policy's, one call each): what {@link withRenderedIstio} made of it. */
const withStandIns = new WeakMap<PolicyResource[], PolicyResource[]>();

/**
 * A cluster's resources with {@link renderedIstio}'s stand-ins beside them. Made once per list: the
 * rules ask for each pool, route and gateway (through istiodsOf), and each time read every object.
 */
export function withRenderedIstio(resources: PolicyResource[]): PolicyResource[] {
  const made = withStandIns.get(resources);
  if (made) return made;
  const standIns = renderedIstio(resources);
  const out = standIns.length > 0 ? [...resources, ...standIns] : resources;
  withStandIns.set(resources, out);
  return out;
}
