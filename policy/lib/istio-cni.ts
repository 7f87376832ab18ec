/**
 * Which pods Istio 1.30.3's istio-cni enrolls in ambient, from its Helm values: only its node
 * agent redirects a pod's traffic into ztunnel, so a pod it leaves out speaks plaintext however
 * STRICT the PeerAuthentications are.
 */
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { helmChartName, isHelmInstall, isWorkload, kindName, matchesSelector, meta, podMetadata, T } from "./k8s";
import { isAmbientIstiod, parseGoBool } from "./istio";
import { isObject, orUnknown, probe } from "./values";
import { k3sNodeCniDirs } from "./k3s-nodes";
import { isZtunnelDaemonSet } from "./ztunnel-istiod";

interface EnablementSelector {
  podSelector?: Record<string, any>;
  namespaceSelector?: Record<string, any>;
}

/** manifests/charts/istio-cni/values.yaml `ambient.enablementSelectors`. */
const DEFAULT_SELECTORS: EnablementSelector[] = [
  { podSelector: { matchLabels: { "istio.io/dataplane-mode": "ambient" } } },
  {
    podSelector: { matchExpressions: [{ key: "istio.io/dataplane-mode", operator: "NotIn", values: ["none"] }] },
    namespaceSelector: { matchLabels: { "istio.io/dataplane-mode": "ambient" } },
  },
];

/** Sprig's mergeOverwrite as Helm runs it: maps merge, anything else given (false and lists too) replaces. */
function mergeOverwrite(dst: Record<string, unknown>, src: unknown): Record<string, unknown> {
  if (!isObject(src)) return dst;
  for (const [k, v] of Object.entries(src)) {
    if (v === null || v === undefined) continue;
    dst[k] = isObject(v) && isObject(dst[k]) ? mergeOverwrite({ ...(dst[k] as Record<string, unknown>) }, v) : v;
  }
  return dst;
}

/**
 * The values the cni chart renders its ConfigMap from (configmap-cni.yaml): its defaults, the
 * profile (`profile`, else `global.profile`; only `ambient` sets `cni.ambient.enabled: true`) and
 * the release's values laid over them (zzz_profile.yaml), then `cni.*` laid over the top level
 * (zzy_descope_legacy.yaml), so the profile's `cni.ambient.enabled` wins over a top-level
 * `ambient.enabled`.
 */
export function cniSettings(values: unknown): { enabled: boolean; excludeNamespaces: string[]; selectors: EnablementSelector[]; cniConfDir: string } {
  const given = isObject(values) ? values : {};
  const profile = [given.profile, isObject(given.global) ? given.global.profile : undefined].find((p) => typeof p === "string" && p !== "");
  const defaults = { ambient: { enabled: false, enablementSelectors: DEFAULT_SELECTORS }, excludeNamespaces: ["kube-system"], cniConfDir: DEFAULT_CONF_DIR };
  const merged = mergeOverwrite(defaults, profile === "ambient" ? { cni: { ambient: { enabled: true } } } : {});
  // The platform profile (`platform`, else `global.platform`) is laid over the profile: k3s's CNI paths.
  if (istioPlatform(given) === "k3s") mergeOverwrite(merged, { cni: { cniConfDir: K3S_CONF_DIR } });
  mergeOverwrite(merged, JSON.parse(JSON.stringify(given)));
  const final = mergeOverwrite(merged, merged.cni);
  const ambient = isObject(final.ambient) ? final.ambient : {};
  // The node agent reads AMBIENT_ENABLED (the value quoted) with viper's GetBool: strconv.ParseBool.
  const enabled = parseGoBool(String(ambient.enabled)) === true;
  const excludeNamespaces = Array.isArray(final.excludeNamespaces) ? final.excludeNamespaces.map(String) : [];
  const selectors = Array.isArray(ambient.enablementSelectors) ? (ambient.enablementSelectors as EnablementSelector[]) : [];
  return { enabled, excludeNamespaces, selectors, cniConfDir: String(final.cniConfDir) };
}

/** istio-cni values.yaml's cniConfDir, and files/profile-platform-k3s.yaml's: where k3s's containerd reads CNI configs (Istio 1.30.3). */
const DEFAULT_CONF_DIR = "/etc/cni/net.d";
export const K3S_CONF_DIR = "/var/lib/rancher/k3s/agent/etc/cni/net.d";

/** A release's Istio platform as the charts' zzz_profile.yaml reads it: `platform`, else `global.platform` (sprig's coalesce). */
export function istioPlatform(values: unknown): string | undefined {
  const v = isObject(values) ? values : {};
  const p = [v.platform, isObject(v.global) ? v.global.platform : undefined].find((x) => x !== undefined && x !== null && x !== "");
  return typeof p === "string" ? p : undefined;
}

/** Whether the node agent enrolls a pod (cni/pkg/util/enablement_selector.go: an empty selector selects everything). */
const enrolls = (selectors: EnablementSelector[], pod: Record<string, string>, namespace: Record<string, string>) =>
  selectors.some((s) => matchesSelector(s?.podSelector ?? undefined, pod) && matchesSelector(s?.namespaceSelector ?? undefined, namespace));

/**
 * Where the stack installs an ambient istiod on a cluster, the workloads the namespace and pod
 * labels put in ambient (the chart's default selectors) must be enrolled by an istio-cni release
 * of the stack: one with ambient enabled, not excluding their namespace, whose enablement
 * selectors take them in, writing its CNI config where the cluster's k3s reads it (where a VM of
 * `nodes`, the cluster's GCE VMs, installs k3s, its data-dir's; else, where a release declares
 * the cluster k3s, the chart's k3s path).
 * `judged` says which namespaces hold workloads that must be in the mesh.
 */
export function reportCniEnrolment(cluster: string, resources: PolicyResource[], judged: (namespace: string) => boolean, report: ReportViolation, pending: string[], nodes: PolicyResource[] = []): void {
  const releases = resources.filter((r) => isHelmInstall(r.type));
  const chartOf = (r: PolicyResource) => probe(() => helmChartName(r.props));
  const isChart = (r: PolicyResource, ...names: string[]) => {
    const c = chartOf(r);
    return c.known && names.includes(c.value ?? "");
  };
  const istiods = releases.filter((r) => isChart(r, "istiod"));
  const ambient = istiods.map((r) => probe(() => isAmbientIstiod(r.props.values)));
  if (ambient.some((a) => !a.known)) pending.push(`whether istiod on cluster ${cluster} runs ambient (its values are not known yet)`);
  if (!ambient.some((a) => a.known && a.value)) return;
  // Whether the node agent `what` is missing: reported, or undecided where a release whose chart is not known yet may be it.
  const missing = (what: string, present: boolean, message: string): boolean => {
    if (present) return false;
    const unknown = releases.filter((r) => !chartOf(r).known);
    if (unknown.length > 0) pending.push(`whether Helm release ${unknown.map((r) => r.name).join(", ")} on cluster ${cluster} is ${what} (its chart is not known yet)`);
    else report(message, istiods[0].urn);
    return true;
  };
  // istio-cni's node agent writes each enrolled pod's redirection to ztunnel's ports, then hands the
  // pod to the node's ztunnel, failing the pod's CNI add while none is connected (Istio 1.30.3
  // cni/pkg/nodeagent/net_linux.go AddPodToMesh, ztunnelserver_linux.go PodAdded "no ztunnel connection").
  const ztunnel = resources.some((r) => isChart(r, "ztunnel") || isZtunnelDaemonSet(r));
  missing("ztunnel", ztunnel, `cluster ${cluster} installs an ambient istiod but no ztunnel release (chart ztunnel) nor ztunnel DaemonSet: istio-cni redirects each enrolled pod's traffic to a ztunnel that never comes, so those pods cannot start or reach anything; install ztunnel with profile ambient`);
  const cnis = releases.filter((r) => isChart(r, "cni", "istio-cni"));
  if (missing("istio-cni", cnis.length > 0, `cluster ${cluster} installs an ambient istiod but no istio-cni release (chart cni): nothing redirects a pod's traffic into ztunnel, so every workload accepts plaintext past STRICT and every ALLOW policy; install istio-cni with profile ambient`)) return;
  const others = releases.filter((r) => isChart(r, "istiod", "ztunnel", "base"));
  const nsLabels = new Map(resources.filter((r) => r.type === T.namespace).map((r) => [meta(r.props).name, r]));
  const workloads = resources.filter((r) => isWorkload(r.type) && orUnknown(() => judged(meta(r.props).namespace), false));
  for (const cni of cnis) {
    const settings = probe(() => cniSettings(cni.props.values));
    if (!settings.known) {
      pending.push(`the ambient settings of istio-cni release ${cni.name} on cluster ${cluster}`);
      continue;
    }
    const { enabled, excludeNamespaces, selectors, cniConfDir } = settings.value;
    const k3s = others.find((r) => orUnknown(() => istioPlatform(r.props.values) === "k3s", false));
    // The cluster's own VMs that install k3s say where their containerd reads, a release declaring
    // k3s or not: the platform profile's paths assume k3s's default data-dir.
    const vms = k3sNodeCniDirs(nodes);
    const missed = vms.nodes.find((n) => n.dir !== cniConfDir);
    if (missed) {
      const declared = k3s ?? (orUnknown(() => istioPlatform(cni.props.values) === "k3s", false) ? cni : undefined);
      const platform = declared ? `, while Helm release ${declared.name} declares the cluster k3s (global.platform), whose Istio profile assumes k3s's default data-dir (${K3S_CONF_DIR})` : " and no Istio release declares the cluster k3s (global.platform)";
      const fix = missed.dir === K3S_CONF_DIR ? "set global.platform: k3s on the istio-cni release (Istio 1.30.3 files/profile-platform-k3s.yaml)" : `set cni.cniConfDir: ${missed.dir} on the istio-cni release`;
      report(`istio-cni release ${cni.name} on cluster ${cluster} writes its CNI config to ${cniConfDir}, though ${missed.what}, whose containerd reads only ${missed.dir} (k3s's data-dir/agent/etc/cni/net.d)${platform}: the istio-cni plugin is never chained, so no pod is redirected into ztunnel and every workload accepts plaintext past STRICT and every ALLOW policy; ${fix}`, cni.urn);
      continue;
    }
    // A k3s VM whose data-dir is not fully known reads CNI configs where that value decides: can't judge.
    if (vms.undecided.length > 0) {
      pending.push(`where the containerd of ${vms.undecided.join(", ")} reads CNI configs (its k3s data-dir is not known), which decides whether istio-cni release ${cni.name} on cluster ${cluster} is chained there from ${cniConfDir}`);
      continue;
    }
    // A cluster the other Istio releases declare k3s (its VMs not shown): k3s's containerd never reads /etc/cni/net.d.
    if (k3s && vms.nodes.length === 0 && cniConfDir !== K3S_CONF_DIR) {
      report(`istio-cni release ${cni.name} on cluster ${cluster} writes its CNI config to ${cniConfDir}, though Helm release ${k3s.name} declares the cluster k3s (global.platform), whose containerd reads only ${K3S_CONF_DIR}: the istio-cni plugin is never chained, so no pod is redirected into ztunnel and every workload accepts plaintext past STRICT and every ALLOW policy; set global.platform: k3s on the istio-cni release (Istio 1.30.3 files/profile-platform-k3s.yaml)`, cni.urn);
      continue;
    }
    if (!k3s && vms.nodes.length === 0 && vms.unknown.length > 0 && cniConfDir !== K3S_CONF_DIR) {
      pending.push(`whether cluster ${cluster} runs k3s, whose containerd reads CNI configs only under its data-dir (${vms.unknown.join(", ")}: its boot script is not known), which decides where istio-cni release ${cni.name} must write its CNI config`);
    }
    if (!enabled) {
      report(`istio-cni release ${cni.name} on cluster ${cluster} does not enable ambient (profile ambient, or cni.ambient.enabled true): its node agent redirects no pod into ztunnel, so every workload accepts plaintext past STRICT and every ALLOW policy`, cni.urn);
      continue;
    }
    const left = new Map<string, string[]>();
    for (const w of workloads) {
      const labels = probe(() => {
        const ns = meta(w.props).namespace;
        const own = nsLabels.get(ns);
        // The API server labels every namespace with its name (NamespaceDefaultLabelName).
        return { ns, pod: { ...(podMetadata(w.type, w.props).labels ?? {}) }, namespace: { ...(own ? meta(own.props).labels : {}), "kubernetes.io/metadata.name": ns } };
      });
      if (!labels.known) continue;
      const { ns, pod, namespace } = labels.value;
      if (!enrolls(DEFAULT_SELECTORS, pod, namespace)) continue;
      const why = excludeNamespaces.includes(ns) ? `excludeNamespaces lists ${ns}` : enrolls(selectors, pod, namespace) ? undefined : "its ambient.enablementSelectors select neither the pods nor their namespace";
      if (why) left.set(why, [...(left.get(why) ?? []), `${kindName(w.type)} ${ns}/${meta(w.props).name}`]);
    }
    for (const [why, names] of left) {
      report(`istio-cni release ${cni.name} on cluster ${cluster} leaves ${names.join(", ")} out of ambient (${why}), though labelled for it: ztunnel never captures them, so they accept plaintext past STRICT and every ALLOW policy`, cni.urn);
    }
  }
}
