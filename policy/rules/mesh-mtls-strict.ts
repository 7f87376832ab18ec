import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import {
  byCluster,
  cannotJudge,
  clusters,
  isPeerAuthentication,
  istioRootNamespaces,
  isWorkload,
  meta,
  PLATFORM_NAMESPACES,
  podMetadata,
  T,
} from "../lib/k8s";
import { configWithDefaults, orUnknown, probe } from "../lib/values";

interface Config {
  /** Istio's root namespace, where a PeerAuthentication without a selector applies mesh-wide; an istiod release's own setting wins. */
  rootNamespace: string;
  /** Namespaces whose workloads must be in the ambient data plane (ztunnel), where STRICT applies. */
  ambientNamespaces: string[];
}
const defaults: Config = { rootNamespace: "istio-system", ambientNamespaces: PLATFORM_NAMESPACES };

const DATAPLANE_MODE = "istio.io/dataplane-mode";

/**
 * Every cluster carries a mesh-wide PeerAuthentication (`default` by convention) in Istio's root
 * namespace with mode STRICT; without it ztunnel and the waypoints accept plaintext from anything
 * in the cluster. STRICT only binds traffic ztunnel captures, so the platform's namespaces must stay
 * enrolled in ambient and no pod may opt out: an unenrolled pod sends and accepts plaintext.
 */
export const meshMtlsStrict: StackValidationPolicy = {
  name: "mesh-mtls-strict",
  description:
    "Every cluster has a mesh-wide PeerAuthentication (no selector) in Istio's root namespace (istiod's meshConfig.rootNamespace, istio-system by default) with mtls.mode STRICT, and every such one is STRICT; the workload namespaces (inference, agents, tools) stay in the ambient data plane (istio.io/dataplane-mode=ambient, no pod opting out), so no workload accepts plaintext or unauthenticated traffic.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      rootNamespace: { type: "string", default: defaults.rootNamespace, description: "Istio's root namespace (meshConfig.rootNamespace) where no istiod Helm release on the cluster sets it." },
      ambientNamespaces: {
        type: "array",
        items: { type: "string" },
        default: defaults.ambientNamespaces,
        description: "Namespaces whose workloads must be enrolled in ambient.",
      },
    },
  },
  validateStack: (args, report) => {
    const config = configWithDefaults(args, defaults);
    const perCluster = byCluster(args.resources);
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    for (const cluster of clusters(args.resources)) {
      const resources = perCluster.get(cluster.name) ?? [];
      const { roots, unknown } = istioRootNamespaces(resources, config.rootNamespace);
      for (const release of unknown) pending.push(`the root namespace set by istiod release ${release} on cluster ${cluster.name}`);
      for (const root of roots) reportMeshPolicy(cluster, root, resources, report, pending);
      reportUnenrolled(cluster.name, resources, config.ambientNamespaces, report);
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};

/**
 * Istio treats every root-namespace PeerAuthentication without a selector (or with empty
 * matchLabels) as mesh-level, the oldest winning, and UNSET there as PERMISSIVE
 * (pilot/pkg/model/authentication.go): one must exist, and each must be STRICT, since which is
 * oldest is not known before they are applied.
 */
function reportMeshPolicy(cluster: { name: string; urn: string }, { namespace: root, release }: { namespace: string; release?: string }, resources: PolicyResource[], report: ReportViolation, pending: string[]): void {
  const inRoot = resources.filter((r) => isPeerAuthentication(r.type) && meta(r.props).namespace === root);
  const meshLevel: PolicyResource[] = [];
  let undecided = false;
  for (const pa of inRoot) {
    const selectorless = probe(() => Object.keys(pa.props.spec?.selector?.matchLabels ?? {}).length === 0);
    if (!selectorless.known) {
      pending.push(`the selector of PeerAuthentication ${root}/${meta(pa.props).name} on cluster ${cluster.name}`);
      undecided = true;
    } else if (selectorless.value) meshLevel.push(pa);
  }
  if (meshLevel.length === 0) {
    if (undecided) return;
    const named = inRoot.find((r) => meta(r.props).name === "default");
    const why = named ? ` (${root}/default has a selector, so it binds only the workloads it selects)` : "";
    const source = release ? ` as istiod release ${release} configures it (meshConfig.rootNamespace, else global.istioNamespace, else istio-system)` : "";
    report(
      `cluster ${cluster.name} has no PeerAuthentication ${root}/default nor any other without a selector in ${root}, Istio's root namespace${source}${why}: add one with spec.mtls.mode STRICT so it applies mesh-wide`,
      named?.urn ?? cluster.urn,
    );
    return;
  }
  for (const pa of meshLevel) {
    const name = meta(pa.props).name;
    const mode = probe(() => pa.props.spec?.mtls?.mode as string | undefined);
    if (!mode.known) {
      pending.push(`the mtls.mode of PeerAuthentication ${root}/${name} on cluster ${cluster.name}`);
      continue;
    }
    const which = name === "default" ? `mesh-wide PeerAuthentication ${root}/default` : `mesh-level PeerAuthentication ${root}/${name} (no selector in the root namespace)`;
    if (mode.value !== "STRICT") report(`cluster ${cluster.name}: ${which} mode is ${mode.value ?? "unset"}, not STRICT`, pa.urn);
  }
}

/** Workloads in the ambient namespaces that ztunnel would not capture. */
function reportUnenrolled(cluster: string, resources: PolicyResource[], ambientNamespaces: string[], report: ReportViolation): void {
  // A workload namespace the stack does not create carries no ambient label of ours.
  const created = new Set(resources.filter((r) => r.type === T.namespace).map((r) => meta(r.props).name));
  for (const name of ambientNamespaces.filter((n) => !created.has(n))) {
    const orphans = resources.filter((r) => isWorkload(r.type) && meta(r.props).namespace === name);
    if (orphans.length > 0) {
      report(`cluster ${cluster} runs ${orphans.length} workload(s) in namespace ${name}, which this stack does not create with ${DATAPLANE_MODE}=ambient: they may be outside the mesh`, orphans[0].urn);
    }
  }
  for (const ns of resources.filter((r) => r.type === T.namespace && ambientNamespaces.includes(meta(r.props).name))) {
    const { name, labels } = meta(ns.props);
    const mode = orUnknown(() => labels[DATAPLANE_MODE], "ambient");
    const workloads = resources.filter((r) => isWorkload(r.type) && meta(r.props).namespace === name);
    const podMode = (w: PolicyResource) => orUnknown(() => podMetadata(w.type, w.props).labels?.[DATAPLANE_MODE], undefined);
    if (mode !== "ambient") {
      const uncaptured = workloads.filter((w) => podMode(w) !== "ambient");
      if (uncaptured.length > 0) {
        report(`namespace ${name} on cluster ${cluster} has ${DATAPLANE_MODE}=${mode ?? "unset"}, not ambient: its ${uncaptured.length} workload(s) are outside the mesh and speak plaintext`, ns.urn);
      }
      continue;
    }
    for (const w of workloads.filter((w) => podMode(w) === "none")) {
      report(`${w.type.split(":").pop()} ${name}/${meta(w.props).name} on cluster ${cluster} opts out of ambient (${DATAPLANE_MODE}=none): it speaks plaintext`, w.urn);
    }
  }
}
