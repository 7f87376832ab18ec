import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { isLeaderWorkerSet, podTemplatesOf } from "../lib/leader-worker-sets";
import { dig, helmChartName, isHelmInstall, isKind, isWorkload, kindName, meta, PLATFORM_NAMESPACES, podSpecOf, T } from "../lib/k8s";
import { isPatch, patchedType } from "../lib/patches";
import { injectingLabels, MESH_EXEMPT_NAMESPACES } from "../lib/istio";
import { configWithDefaults, goTruthy, list, orUnknown } from "../lib/values";
import { namespaceName, setOf } from "../lib/config-schema";

interface Config {
  /** Namespaces the platform enrolls in ambient, whose pods must not ask for a sidecar either. */
  ambientNamespaces: string[];
  /** Namespaces outside the mesh; pods in every other namespace are judged too (a fork's own, labelled ambient). */
  exemptNamespaces: string[];
}
const defaults: Config = { ambientNamespaces: PLATFORM_NAMESPACES, exemptNamespaces: MESH_EXEMPT_NAMESPACES };

/**
 * Whether a Namespace (or NamespacePatch) is in the ambient data plane: by its label. A
 * NamespacePatch that leaves the label out leaves the namespace's own: one of ambientNamespaces is
 * ambient then (a namespace the platform enrolls; mesh-mtls-strict holds it to that).
 */
function ambientNamespace(type: string, labels: Record<string, string>, name: () => string, ambientNamespaces: string[]): boolean {
  const mode = labels["istio.io/dataplane-mode"];
  // The name is read only where it decides: one not known yet must not block a labelled namespace.
  return mode === "ambient" || (isPatch(type) && mode === undefined && ambientNamespaces.includes(name()));
}

/**
 * Judges one pod template's labels: Istio's injector webhooks select pods by label, so a pod in an
 * ambient (or not exempt) namespace asking for a sidecar gets one beside ztunnel's redirection.
 * `of` names the template within the resource (a LeaderWorkerSet's leader or worker).
 */
function judgePodLabels(args: ResourceValidationArgs, pod: { labels?: Record<string, string> }, of: string, report: ReportViolation): void {
  const { ambientNamespaces, exemptNamespaces } = configWithDefaults(args, defaults);
  const { namespace, name } = meta(args.props);
  const labels = pod.labels ?? {};
  // A resource policy cannot see the namespace's labels: a namespace a fork adds with
  // istio.io/dataplane-mode=ambient (say `rag`) is ambient all the same, and Istio's `object.`
  // webhook injects a pod labelled inject=true there, since the namespace has no injection
  // label. Every namespace but the exempt ones runs in ambient on this platform
  // (mesh-mtls-strict holds it to that), so only those are left out; a pod can also enroll
  // itself in ambient with the label, wherever its namespace is.
  const listed = ambientNamespaces.includes(namespace);
  if (!listed && exemptNamespaces.includes(namespace) && labels["istio.io/dataplane-mode"] !== "ambient") return;
  const where = listed || labels["istio.io/dataplane-mode"] === "ambient" ? `ambient namespace ${namespace}` : `namespace ${namespace}, which is not exempt from ambient (exemptNamespaces)`;
  const kind = kindName(args.type);
  // The injector's webhooks select pods by label (Istio 1.30 mutatingwebhook.yaml): the
  // `object.` one `sidecar.istio.io/inject=true`; the `rev.object.` one a revision label unless
  // the pod also says `sidecar.istio.io/inject=false`.
  const inject = labels["sidecar.istio.io/inject"];
  if (inject === "true") report(`${kind} ${namespace}/${name}${of} asks for a sidecar (sidecar.istio.io/inject=true) in ${where}`);
  const rev = labels["istio.io/rev"];
  if (rev !== undefined && inject !== "false") {
    report(`${kind} ${namespace}/${name}${of} is labelled istio.io/rev=${rev}, which has the revision's injector add a sidecar, in ${where}`);
  }
}

/**
 * An ambient namespace must not also ask for sidecars: pods would get both a sidecar and ztunnel
 * redirection, which Istio does not support and which breaks HBONE to waypoints.
 */
export const ambientNoSidecarInjection: ResourceValidationPolicy = {
  name: "ambient-no-sidecar-injection",
  description:
    "Namespaces in the ambient data plane (istio.io/dataplane-mode=ambient) carry no sidecar-injection label (istio-injection=enabled, the only value the webhooks inject for; istio.io/rev where no istio-injection label overrides it, as Istio's revision webhook requires); pods in the ambient namespaces (ambientNamespaces, every other namespace not in exemptNamespaces, such as a fork's own labelled ambient, or labelled ambient themselves; a LeaderWorkerSet's leader and worker templates too) neither ask for a sidecar (sidecar.istio.io/inject=true) nor carry a revision label (istio.io/rev); istiod does not inject namespaces by default (sidecarInjectorWebhook.enableNamespacesByDefault false or unset; any non-empty string counts as true to the chart; rendered as objects, such as a Helm v4 Chart's, no MutatingWebhookConfiguration holds its auto.sidecar-injector.istio.io webhook): mixing both modes breaks traffic capture. NamespacePatch and workload <Kind>Patch resources are judged for the labels they set (a NamespacePatch of one of ambientNamespaces that leaves dataplane-mode alone patches an ambient namespace).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ambientNamespaces: {
        ...setOf(namespaceName),
        default: defaults.ambientNamespaces,
        description: "Ambient namespaces whose pod templates must not set sidecar.istio.io/inject=true.",
      },
      exemptNamespaces: {
        ...setOf(namespaceName),
        default: defaults.exemptNamespaces,
        description: "Namespaces outside the mesh whose pods may ask for a sidecar; pods in every other namespace may not.",
      },
    },
  },
  validateResource: (args, report) => {
    if (isHelmInstall(args.type) && helmChartName(args.props) === "istiod") {
      // The injector's `auto.` webhook then injects every pod of every namespace without an
      // injection label: exactly the ambient ones (istio-discovery templates/mutatingwebhook.yaml).
      // The template tests the value with Helm's `if`, so a non-empty string ("true", even
      // "false") turns it on as well as `true` does.
      const byDefault = dig(args.props.values, "sidecarInjectorWebhook.enableNamespacesByDefault");
      // The release's name only labels the message: one not known yet must not hide the finding.
      if (goTruthy(byDefault)) {
        report(
          `Helm release ${orUnknown(() => (args.props.name as string | undefined) ?? args.name, args.name)} (istiod) sets sidecarInjectorWebhook.enableNamespacesByDefault: every pod in the ambient namespaces gets a sidecar (the chart tests it with Helm's if, so ${JSON.stringify(byDefault)} turns it on); leave it unset or false`,
        );
      }
      return;
    }
    // The same setting rendered (a v4 Chart's MutatingWebhookConfiguration, whose values never
    // reach state): only enableNamespacesByDefault renders the `auto.` webhook.
    if (isKind(args.type, "admissionregistration.k8s.io", "MutatingWebhookConfiguration")) {
      const auto = list(args.props.webhooks as { name?: unknown }[]).find((w) => w?.name === "auto.sidecar-injector.istio.io");
      if (auto) {
        report(
          `MutatingWebhookConfiguration ${meta(args.props).name} has Istio's auto.sidecar-injector.istio.io webhook (istiod's sidecarInjectorWebhook.enableNamespacesByDefault): every pod of every namespace without an injection label, the ambient ones too, gets a sidecar; render istiod without it`,
        );
      }
      return;
    }
    // A workload's <Kind>Patch sets labels on the pod template it patches (it may carry no pod spec).
    const type = patchedType(args.type);
    // A LeaderWorkerSet (multi-node vLLM) labels its leader and worker pods from its two templates.
    const lws = isLeaderWorkerSet(args.type);
    if (lws || (isWorkload(type) && (isPatch(args.type) || podSpecOf(type, args.props)))) {
      for (const t of podTemplatesOf(type, args.props)) judgePodLabels(args, t.metadata(), t.path ? ` (${t.path})` : "", report);
      return;
    }
    if (type !== T.namespace) return;
    const { name, labels } = meta(args.props);
    if (!ambientNamespace(args.type, labels, () => name, configWithDefaults(args, defaults).ambientNamespaces)) return;
    const by = isPatch(args.type) ? ` (set by ${args.name}, a NamespacePatch)` : "";
    for (const label of injectingLabels(labels)) report(`ambient namespace ${name} also has ${label}=${labels[label]}${by}; remove the sidecar-injection label`);
  },
  // Dropping the injection label keeps the namespace in ambient, which is what it declares. The
  // labels are deleted through the SDK's props proxy, so a secret value stays secret and every
  // other value (an unknown annotation, say) goes back as it came; all is read before the first
  // delete, so a label not known yet (the SDK then reports that the remediation cannot run)
  // leaves the props untouched.
  remediateResource: (args) => {
    if (patchedType(args.type) !== T.namespace) return undefined;
    const labels = args.props.metadata?.labels ?? {};
    if (!ambientNamespace(args.type, labels, () => meta(args.props).name, configWithDefaults(args, defaults).ambientNamespaces)) return undefined;
    // A revision label that istio-injection overrode injects once that label is gone: both go.
    const drop = injectingLabels(labels);
    if (drop.includes("istio-injection") && "istio.io/rev" in labels) drop.push("istio.io/rev");
    for (const label of drop) delete labels[label];
    return drop.length > 0 ? args.props : undefined;
  },
};
