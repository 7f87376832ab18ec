import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, clusters, isPeerAuthentication, isWorkload, meta, PLATFORM_NAMESPACES, podMetadata, T } from "../lib/k8s";
import { configWithDefaults, orUnknown } from "../lib/values";

interface Config {
  /** Istio's root namespace, where a PeerAuthentication named `default` applies mesh-wide. */
  rootNamespace: string;
  /** Namespaces whose workloads must be in the ambient data plane (ztunnel), where STRICT applies. */
  ambientNamespaces: string[];
}
const defaults: Config = { rootNamespace: "istio-system", ambientNamespaces: PLATFORM_NAMESPACES };

const DATAPLANE_MODE = "istio.io/dataplane-mode";

/**
 * Every cluster carries the mesh-wide `default` PeerAuthentication in Istio's root namespace with
 * mode STRICT; without it ztunnel and the waypoints accept plaintext from anything in the cluster.
 * STRICT only binds workloads ztunnel captures, so the platform's namespaces must stay enrolled in
 * ambient and no pod may opt out: an unenrolled pod sends and accepts plaintext.
 */
export const meshMtlsStrict: StackValidationPolicy = {
  name: "mesh-mtls-strict",
  description:
    "Every cluster has a mesh-wide PeerAuthentication `default` in istio-system with mtls.mode STRICT, and the workload namespaces (inference, agents, tools) stay in the ambient data plane (istio.io/dataplane-mode=ambient, no pod opting out), so no workload accepts plaintext or unauthenticated traffic.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      rootNamespace: { type: "string", default: defaults.rootNamespace, description: "Istio's root namespace (meshConfig.rootNamespace)." },
      ambientNamespaces: {
        type: "array",
        items: { type: "string" },
        default: defaults.ambientNamespaces,
        description: "Namespaces whose workloads must be enrolled in ambient.",
      },
    },
  },
  validateStack: (args, report) => {
    const { rootNamespace, ambientNamespaces } = configWithDefaults(args, defaults);
    const perCluster = byCluster(args.resources);
    for (const cluster of clusters(args.resources)) {
      // Istio treats every root-namespace PeerAuthentication without a selector (or with empty
      // matchLabels) as mesh-level, the oldest winning, and UNSET there as PERMISSIVE: each one
      // must be STRICT, and `default` must be one of them.
      const inRoot = (perCluster.get(cluster.name) ?? []).filter((r) => isPeerAuthentication(r.type) && meta(r.props).namespace === rootNamespace);
      const selectorless = (r: PolicyResource) => orUnknown(() => Object.keys(r.props.spec?.selector?.matchLabels ?? {}).length === 0, true);
      const meshLevel = inRoot.filter(selectorless);
      const named = inRoot.find((r) => meta(r.props).name === "default");
      if (!named) {
        report(`cluster ${cluster.name} has no PeerAuthentication ${rootNamespace}/default: set spec.mtls.mode STRICT mesh-wide`, cluster.urn);
        continue;
      }
      if (!selectorless(named)) report(`cluster ${cluster.name}: mesh-wide PeerAuthentication has a selector, so it is not mesh-wide`, named.urn);
      for (const pa of meshLevel) {
        const mode = orUnknown(() => pa.props.spec?.mtls?.mode as string | undefined, "STRICT");
        const which = meta(pa.props).name === "default" ? "mesh-wide PeerAuthentication" : `mesh-level PeerAuthentication ${rootNamespace}/${meta(pa.props).name} (no selector in the root namespace)`;
        if (mode !== "STRICT") report(`cluster ${cluster.name}: ${which} mode is ${mode ?? "unset"}, not STRICT`, pa.urn);
      }
      reportUnenrolled(cluster.name, perCluster.get(cluster.name) ?? [], ambientNamespaces, report);
    }
  },
};

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
