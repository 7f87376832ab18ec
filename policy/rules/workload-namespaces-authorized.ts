import type { StackValidationPolicy } from "@pulumi/policy";
import { actionOf, AuthzSpec, targetRefsOf } from "../lib/authz";
import { byCluster, cannotJudge, isAuthorizationPolicy, isWorkload, kindName, matchesLabels, meta, PLATFORM_NAMESPACES, podMetadata } from "../lib/k8s";
import { istioRootNamespaces, judgedNamespaces, MESH_EXEMPT_NAMESPACES } from "../lib/istio";
import { isIstioInstallObject } from "../lib/istio-rendered";
import { andTri, configWithDefaults, everyTri, orTri, orUnknown, probe, someTri, tri, Tri } from "../lib/values";
import { isDryRun, selectorBindsNothing } from "../lib/ztunnel";
import { namespaceName, setOf } from "../lib/config-schema";

interface Config {
  /** Namespaces whose workloads must be reachable only as an ALLOW policy says. */
  workloadNamespaces: string[];
  /** Istio's root namespace: an ALLOW policy there without a selector covers every namespace (an istiod release's own setting wins). */
  rootNamespace: string;
  /** Namespaces the stack creates whose workloads may stay outside the mesh (every other one it creates is judged too). */
  exemptNamespaces: string[];
}
const defaults: Config = { workloadNamespaces: PLATFORM_NAMESPACES, rootNamespace: "istio-system", exemptNamespaces: MESH_EXEMPT_NAMESPACES };

/**
 * With no ALLOW policy in a namespace Istio allows every authenticated caller; one ALLOW policy
 * flips the namespace's workloads to deny-by-default, so each workload namespace needs one.
 */
export const workloadNamespacesAuthorized: StackValidationPolicy = {
  name: "workload-namespaces-authorized",
  description:
    "Every workload in the workload namespaces (inference, agents, tools, and every other namespace the stack creates, except exempt system and controller namespaces; Istio's own istiod, ztunnel and istio-cni applied as objects are not workloads here), and every workload whose pod template enrolls itself in ambient (istio.io/dataplane-mode=ambient, which istio-cni honours in any namespace) wherever else it runs (default, a namespace the stack does not create) unless its namespace is exempt, is selected by an ALLOW AuthorizationPolicy that ztunnel enforces (by selector or namespace-wide, there or in Istio's root namespace, istiod's meshConfig.rootNamespace; not targetRefs, not istio.io/dry-run, not a selector without matchLabels, which binds no workload), so it is deny-by-default instead of open to the whole mesh.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      workloadNamespaces: {
        ...setOf(namespaceName),
        default: defaults.workloadNamespaces,
        description: "Namespaces that must be covered by an ALLOW AuthorizationPolicy.",
      },
      rootNamespace: { ...namespaceName, default: defaults.rootNamespace, description: "Istio's root namespace (mesh-wide policies) where no istiod Helm release on the cluster sets it." },
      exemptNamespaces: {
        ...setOf(namespaceName),
        default: defaults.exemptNamespaces,
        description: "Namespaces the stack creates whose workloads need no ALLOW policy (system and controller namespaces outside the mesh).",
      },
    },
  },
  validateStack: (args, report) => {
    const { workloadNamespaces, rootNamespace: configured, exemptNamespaces } = configWithDefaults(args, defaults);
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    for (const [cluster, objects] of byCluster(args.resources)) {
      // Istio's own pods (a v4 Chart's istiod, ztunnel, istio-cni) stay out of ambient: no workload to cover.
      const resources = objects.filter((r) => !isIstioInstallObject(r));
      // Policies in Istio's root namespace bind every namespace; an istiod release sets which one it is.
      const { roots: rootList, unknown } = istioRootNamespaces(objects, configured);
      const roots = rootList.map((r) => r.namespace);
      if (unknown.length > 0) {
        pending.push(...unknown.map((release) => `the root namespace set by istiod release ${release} on cluster ${cluster}`));
        continue;
      }
      // Every AuthorizationPolicy, read apart: a value this preview cannot know (an action, a
      // targetRef, a selector) makes only the verdicts it could change "can't judge".
      const policies = resources.filter((r) => isAuthorizationPolicy(r.type)).map((r) => ({ r, namespace: probe(() => meta(r.props).namespace) }));
      type Policy = (typeof policies)[number];
      const inNamespace = (p: Policy, ns: string): Tri => (p.namespace.known ? p.namespace.value === ns : "unknown");
      const inRoot = (p: Policy): Tri => (p.namespace.known ? roots.includes(p.namespace.value) : "unknown");
      // Only policies ztunnel enforces make the pods deny-by-default: one bound through
      // targetRef(s) is enforced by a waypoint or gateway, and the pods stay open to direct calls;
      // an `istio.io/dry-run` one is dropped (or only logged) by ztunnel.
      // Istio reads targetRefs by length (model.GetTargetRefs): `targetRefs: []` binds by selector.
      const enforcedAllow = (p: Policy): Tri =>
        tri(() => actionOf((p.r.props.spec ?? {}) as AuthzSpec) === "ALLOW" && targetRefsOf(JSON.parse(JSON.stringify({ targetRef: p.r.props.spec?.targetRef, targetRefs: p.r.props.spec?.targetRefs })) as AuthzSpec).length === 0 && !isDryRun(p.r.props));
      // ALLOW policies bind per workload: a pod no ALLOW policy selects admits every caller. A
      // selector without matchLabels is not namespace-wide: istiod binds it to no workload.
      const selects = (p: Policy, labels: Record<string, string> | undefined): Tri =>
        tri(() => {
          if (selectorBindsNothing(p.r.props.spec)) return false;
          const wanted = p.r.props.spec?.selector?.matchLabels as Record<string, string> | undefined;
          if (!wanted) return true;
          return labels === undefined ? "unknown" : matchesLabels(wanted, labels);
        });
      // With several istiod revisions, a policy covers the whole cluster only when every root has one.
      const meshWide = everyTri(roots, (root) => someTri(policies, (p) => andTri(inNamespace(p, root), enforcedAllow(p), tri(() => !p.r.props.spec?.selector))));
      if (meshWide === true) continue;
      const judged = judgedNamespaces(resources, workloadNamespaces, [...exemptNamespaces, ...roots]);
      // A pod labelled istio.io/dataplane-mode=ambient joins the mesh wherever it runs: istio-cni's
      // default enablement selectors match that pod label in any namespace (Istio 1.30.3
      // manifests/charts/istio-cni/values.yaml ambient.enablementSelectors, whose first entry has no
      // namespaceSelector; cni/pkg/util/enablement_selector.go Matches). One outside the judged
      // namespaces (in `default`, or a namespace the stack does not create) is judged as a workload.
      const judgedNames = new Set(judged.map((r) => meta(r.props).name));
      for (const w of resources.filter((r) => isWorkload(r.type))) {
        const where = probe(() => meta(w.props).namespace);
        const what = `${kindName(w.type)} ${where.known ? where.value : "?"}/${orUnknown(() => meta(w.props).name, w.name)}`;
        if (!where.known) {
          pending.push(`the namespace of ${what} on cluster ${cluster}, which decides whether an ALLOW AuthorizationPolicy must select it`);
          continue;
        }
        const name = where.value;
        if (judgedNames.has(name) || exemptNamespaces.includes(name)) continue;
        const labels = probe(() => ({ ...(podMetadata(w.type, w.props).labels ?? {}) }) as Record<string, string>);
        if (!labels.known) {
          pending.push(`whether ${what} on cluster ${cluster} enrolls itself in ambient (its pod labels), which decides whether an ALLOW AuthorizationPolicy must select it`);
          continue;
        }
        if (labels.value["istio.io/dataplane-mode"] !== "ambient") continue;
        const covered = orTri(meshWide, someTri(policies, (p) => andTri(orTri(inNamespace(p, name), inRoot(p)), enforcedAllow(p), selects(p, labels.value))));
        if (covered === "unknown") pending.push(`whether an ALLOW AuthorizationPolicy selects ${what} on cluster ${cluster}`);
        else if (!covered) {
          report(
            `${what} on cluster ${cluster} enrolls its pods in ambient (istio.io/dataplane-mode=ambient on the pod template), so they join the mesh in namespace ${name}, but no ALLOW AuthorizationPolicy selects them: they admit every mesh identity (add one there or in Istio's root namespace, or list ${name} in exemptNamespaces if it is meant to stay open)`,
            w.urn,
          );
        }
      }
      for (const ns of judged) {
        const name = meta(ns.props).name;
        // A namespace with no workloads on this cluster exposes nothing yet.
        const workloads = resources.filter((r) => isWorkload(r.type) && meta(r.props).namespace === name);
        if (workloads.length === 0) continue;
        // A root-namespace policy with a selector binds the workloads it selects in every namespace
        // (Istio 1.30.3 ambient/workloads.go buildWorkloadPolicies): then each workload is judged.
        const own = someTri(policies, (p) => andTri(orTri(inNamespace(p, name), inRoot(p)), enforcedAllow(p)));
        if (own === false) {
          if (meshWide === "unknown") pending.push(`whether a mesh-wide ALLOW AuthorizationPolicy covers namespace ${name} on cluster ${cluster}`);
          else {
            // Named so the reviewer sees why a policy that looks like coverage is none.
            const dryRuns = policies.filter((p) => inNamespace(p, name) === true && tri(() => isDryRun(p.r.props)) === true).map((p) => `${name}/${meta(p.r.props).name}`);
            const dryRunNote = dryRuns.length ? `; ${dryRuns.join(", ")} ${dryRuns.length > 1 ? "are" : "is"} istio.io/dry-run, which ztunnel does not enforce` : "";
            report(
              `namespace ${name} on cluster ${cluster} runs ${workloads.length} workload(s) but has no ALLOW AuthorizationPolicy bound by selector or namespace (policies attached through targetRefs bind waypoints and gateways, not ztunnel${dryRunNote}): every mesh identity can call them${workloadNamespaces.includes(name) ? "" : " (or list the namespace in exemptNamespaces if it is meant to stay outside the mesh)"}`,
              ns.urn,
            );
          }
          continue;
        }
        for (const w of workloads) {
          const labels = probe(() => podMetadata(w.type, w.props).labels ?? {});
          const what = `${kindName(w.type)} ${name}/${meta(w.props).name}`;
          const covered = orTri(meshWide, someTri(policies, (p) => andTri(orTri(inNamespace(p, name), inRoot(p)), enforcedAllow(p), selects(p, labels.known ? labels.value : undefined))));
          if (covered === "unknown") pending.push(`whether an ALLOW AuthorizationPolicy selects ${what} on cluster ${cluster}`);
          else if (!covered) {
            // Named, so the reviewer sees why policies that look like coverage are none.
            const here = policies.filter((p) => orTri(inNamespace(p, name), inRoot(p)) === true);
            const named = (ps: Policy[]) => ps.map((p) => `${p.namespace.known ? p.namespace.value : "?"}/${meta(p.r.props).name}`);
            const empty = named(here.filter((p) => tri(() => selectorBindsNothing(p.r.props.spec)) === true));
            const dryRuns = named(here.filter((p) => tri(() => isDryRun(p.r.props)) === true && selects(p, labels.known ? labels.value : undefined) === true));
            const notes = [
              ...(empty.length ? [`${empty.join(", ")} ${empty.length > 1 ? "have" : "has"} a selector without matchLabels, which istiod binds to no workload`] : []),
              ...(dryRuns.length ? [`${dryRuns.join(", ")} ${dryRuns.length > 1 ? "are" : "is"} istio.io/dry-run, which ztunnel does not enforce`] : []),
            ];
            const note = notes.length ? ` (${notes.join("; ")})` : "";
            report(`${what} on cluster ${cluster} is selected by no ALLOW AuthorizationPolicy${note}: its pods admit every mesh identity`, w.urn);
          }
        }
      }
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};

