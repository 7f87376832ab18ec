import type { StackValidationPolicy } from "@pulumi/policy";
import { actionOf, AuthzSpec } from "../lib/authz";
import { byCluster, isAuthorizationPolicy, isWorkload, matchesLabels, meta, PLATFORM_NAMESPACES, podMetadata, T } from "../lib/k8s";
import { configWithDefaults, orUnknown } from "../lib/values";

interface Config {
  /** Namespaces whose workloads must be reachable only as an ALLOW policy says. */
  workloadNamespaces: string[];
  /** Istio's root namespace: an ALLOW policy there without a selector covers every namespace. */
  rootNamespace: string;
}
const defaults: Config = { workloadNamespaces: PLATFORM_NAMESPACES, rootNamespace: "istio-system" };

/**
 * With no ALLOW policy in a namespace Istio allows every authenticated caller; one ALLOW policy
 * flips the namespace's workloads to deny-by-default, so each workload namespace needs one.
 */
export const workloadNamespacesAuthorized: StackValidationPolicy = {
  name: "workload-namespaces-authorized",
  description:
    "Every workload in the workload namespaces (inference, agents, tools) is selected by an ALLOW AuthorizationPolicy that ztunnel enforces (by selector or namespace-wide, there or in the root namespace; not targetRefs), so it is deny-by-default instead of open to the whole mesh.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      workloadNamespaces: {
        type: "array",
        items: { type: "string" },
        default: defaults.workloadNamespaces,
        description: "Namespaces that must be covered by an ALLOW AuthorizationPolicy.",
      },
      rootNamespace: { type: "string", default: defaults.rootNamespace, description: "Istio's root namespace (mesh-wide policies)." },
    },
  },
  validateStack: (args, report) => {
    const { workloadNamespaces, rootNamespace } = configWithDefaults(args, defaults);
    for (const [cluster, resources] of byCluster(args.resources)) {
      // Only policies ztunnel enforces make the pods deny-by-default: one bound through
      // targetRef(s) is enforced by a waypoint or gateway, and the pods stay open to direct calls.
      const allows = resources.filter(
        (r) =>
          isAuthorizationPolicy(r.type) &&
          orUnknown(() => actionOf((r.props.spec ?? {}) as AuthzSpec) === "ALLOW" && !r.props.spec?.targetRef && !r.props.spec?.targetRefs, true),
      );
      const meshWide = allows.some((r) => meta(r.props).namespace === rootNamespace && orUnknown(() => !r.props.spec?.selector, false));
      // ALLOW policies bind per workload: a pod no ALLOW policy selects admits every caller.
      const selects = (policy: (typeof allows)[number], labels: Record<string, string>) =>
        orUnknown(() => {
          const wanted = policy.props.spec?.selector?.matchLabels as Record<string, string> | undefined;
          return !wanted || matchesLabels(wanted, labels);
        }, true);
      for (const ns of resources.filter((r) => r.type === T.namespace && workloadNamespaces.includes(meta(r.props).name))) {
        const name = meta(ns.props).name;
        // A namespace with no workloads on this cluster exposes nothing yet.
        const workloads = resources.filter((r) => isWorkload(r.type) && meta(r.props).namespace === name);
        if (workloads.length === 0 || meshWide) continue;
        const binding = allows.filter((r) => meta(r.props).namespace === name || meta(r.props).namespace === rootNamespace);
        if (!binding.some((r) => meta(r.props).namespace === name)) {
          report(
            `namespace ${name} on cluster ${cluster} runs ${workloads.length} workload(s) but has no ALLOW AuthorizationPolicy bound by selector or namespace (policies attached through targetRefs bind waypoints and gateways, not ztunnel): every mesh identity can call them`,
            ns.urn,
          );
          continue;
        }
        for (const w of workloads) {
          const labels = orUnknown(() => podMetadata(w.type, w.props).labels ?? {}, {} as Record<string, string>);
          if (!binding.some((p) => selects(p, labels))) {
            report(`${w.type.split(":").pop()} ${name}/${meta(w.props).name} on cluster ${cluster} is selected by no ALLOW AuthorizationPolicy: its pods admit every mesh identity`, w.urn);
          }
        }
      }
    }
  },
};
