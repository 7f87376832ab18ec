import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, clusters, isPeerAuthentication, isWorkload, kindName, meta, PLATFORM_NAMESPACES, podMetadata, podSpecOf, T } from "../lib/k8s";
import { isPatch, patchedType } from "../lib/patches";
import { injectingLabels, istioRootNamespaces, judgedNamespaces, MESH_EXEMPT_NAMESPACES, parseGoBool } from "../lib/istio";
import { reportCniEnrolment } from "../lib/istio-cni";
import { reportZtunnelIstiod } from "../lib/ztunnel-istiod";
import { clusterNodes, reportAgentNodeCoverage } from "../lib/ambient-nodes";
import { isIstioInstallObject, withRenderedIstio } from "../lib/istio-rendered";
import { configWithDefaults, orUnknown, Probe, probe } from "../lib/values";
import { namespaceName, setOf } from "../lib/config-schema";
import { GCE_NODE_TYPES, gpuKnobDefaults, gpuKnobProperties, type GpuKnobs } from "../lib/gpu-nodes";

/** Only the taint key: it tells GPU node groups (where mesh workloads land) from groups dedicated to other work. */
interface Config extends Pick<GpuKnobs, "gpuTaintKey"> {
  /** Istio's root namespace, where a PeerAuthentication without a selector applies mesh-wide; an istiod release's own setting wins. */
  rootNamespace: string;
  /** Namespaces whose workloads must be in the ambient data plane (ztunnel), where STRICT applies, created by the stack or not. */
  ambientNamespaces: string[];
  /** Namespaces whose workloads may stay outside the mesh (every other one is judged, created by the stack or not). */
  exemptNamespaces: string[];
}
const defaults: Config = { rootNamespace: "istio-system", ambientNamespaces: PLATFORM_NAMESPACES, exemptNamespaces: MESH_EXEMPT_NAMESPACES, gpuTaintKey: gpuKnobDefaults.gpuTaintKey };

const DATAPLANE_MODE = "istio.io/dataplane-mode";
const BYPASS_INBOUND = "ambient.istio.io/bypass-inbound-capture";
const SIDECAR_STATUS = "sidecar.istio.io/status";

/**
 * Every cluster carries a mesh-wide PeerAuthentication (`default` by convention) in Istio's root
 * namespace with mode STRICT; without it ztunnel and the waypoints accept plaintext from anything
 * in the cluster. STRICT only binds traffic ztunnel captures, so the workload namespaces must stay
 * enrolled in ambient and no pod may opt out or escape capture: such a pod accepts plaintext.
 */
export const meshMtlsStrict: StackValidationPolicy = {
  name: "mesh-mtls-strict",
  description:
    "Every cluster has a mesh-wide PeerAuthentication (no selector) in Istio's root namespace (istiod's meshConfig.rootNamespace, istio-system by default) with mtls.mode STRICT, and every such one is STRICT; the workload namespaces (inference, agents, tools, and every other namespace the stack creates that runs workloads, except exempt system and controller namespaces) stay in the ambient data plane (istio.io/dataplane-mode=ambient), a workload in a namespace the stack neither creates nor lists nor exempts (default, where an object without a namespace lands) enrolls its pods itself (Istio's own istiod, ztunnel and istio-cni applied as objects excepted), and no pod there opts out (dataplane-mode none), bypasses inbound capture (ambient.istio.io/bypass-inbound-capture), uses the host network or carries a sidecar (sidecar.istio.io/status, or one the namespace's injection label gets it: the injector ignores dataplane-mode), and where the stack installs an ambient istiod a ztunnel runs (a ztunnel release, or its DaemonSet as objects) and an istio-cni release of the stack enrolls those pods (Istio installed as objects, such as a Helm v4 Chart's, is read from them: istiod's values ConfigMap, istio-cni-config, the node agents' DaemonSets) (ambient enabled, their namespace not in excludeNamespaces, its enablementSelectors taking them in, and on a cluster its istiod, ztunnel or base release declares global.platform k3s, or, none declaring it, one whose GCE VMs install k3s (their boot script: embedded flannel and containerd, under its data-dir; one not fully known is can't judge), its cniConfDir k3s's, which global.platform k3s sets: k3s's containerd reads no other) and each ztunnel Helm release dials an istiod Service the stack renders on its cluster (the chart builds CA_ADDRESS and XDS_ADDRESS as istiod[-<revision>].<istioNamespace>.svc:15012 unless caAddress/xdsAddress are set, and istiod renders istiod[-<revision>] in its release's namespace: a ztunnel without the istiod's revision gets no certificates) and ztunnel and istio-cni run on every node pool of the cluster that mesh workloads land on (EKS node groups, @pulumi/eks ManagedNodeGroups too, whose nodes carry node.kubernetes.io/instance-type and its beta spelling as each EC2 type of the group's instanceTypes (EKS's default t3.medium where it names none and no launchTemplate, amiId or non-x86_64 amiType may decide another, undecided where the group's own labels give another), every type to be selected, and GCE VMs joining k3s, read from their boot script's node-label/node-taint, where a k3s server VM of the cluster in the stack keeps k3s's own cloud controller with the node.kubernetes.io/instance-type it sets, k3s unless a node-label gives one, and the topology zone and region only a node-label gives; a VM whose kubelet-arg sets cloud-provider=external where k3s's controller does not run has all three undecided, another cloud controller setting them, while without it, where the server disables the controller, the VM's kubelet gets no cloud provider and sets none of the three: the VM carries only those its node-label gives; untainted, tainted only with the GPU key, gpuTaintKey, nvidia.com/gpu by default, or with other taints a workload of a judged namespace tolerates, since a group tainted for other work that no mesh workload tolerates holds only pods placed there on purpose): their nodeSelector and required node affinity select the pool's labels and their tolerations (the charts' defaults tolerate every taint) admit its taints other than the GPU one, which gpu-scheduling judges (a selection such an undecided label, or one Kubernetes, EKS or k3s sets itself, decides is can't judge), so no workload accepts plaintext or unauthenticated traffic; NamespacePatch and workload <Kind>Patch resources there are judged for what they set (a dataplane-mode other than ambient, the bypass annotation, hostNetwork, a sidecar status).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      rootNamespace: { ...namespaceName, default: defaults.rootNamespace, description: "Istio's root namespace (meshConfig.rootNamespace) where no istiod Helm release on the cluster sets it." },
      ambientNamespaces: {
        ...setOf(namespaceName),
        default: defaults.ambientNamespaces,
        description: "Namespaces whose workloads must be enrolled in ambient, whether or not the stack creates them.",
      },
      exemptNamespaces: {
        ...setOf(namespaceName),
        default: defaults.exemptNamespaces,
        description: "Namespaces whose workloads may stay outside the mesh (system and controller namespaces), created by the stack or not.",
      },
      gpuTaintKey: gpuKnobProperties.gpuTaintKey,
    },
  },
  validateStack: (args, report) => {
    const config = configWithDefaults(args, defaults);
    const perCluster = byCluster(args.resources);
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    for (const cluster of clusters(args.resources)) {
      const resources = withRenderedIstio(perCluster.get(cluster.name) ?? []);
      const { roots, unknown } = istioRootNamespaces(resources, config.rootNamespace);
      for (const release of unknown) pending.push(`the root namespace set by istiod release ${release} on cluster ${cluster.name}`);
      for (const root of roots) reportMeshPolicy(cluster, root, resources, report, pending);
      const exemptNamespaces = [...config.exemptNamespaces, ...roots.map((r) => r.namespace)];
      // Istio's own pods (a v4 Chart's istiod, ztunnel, istio-cni) stay out of ambient wherever they run.
      reportUnenrolled(cluster.name, resources.filter((r) => !isIstioInstallObject(r)), { ...config, exemptNamespaces }, report, pending);
      const vms = clusterNodes(cluster, args.resources, (t) => GCE_NODE_TYPES.has(t));
      reportCniEnrolment(cluster.name, resources, (ns) => !exemptNamespaces.includes(ns), report, pending, vms);
      reportZtunnelIstiod(cluster.name, perCluster.get(cluster.name) ?? [], report, pending);
      reportAgentNodeCoverage(cluster, args.resources, resources, config.gpuTaintKey, (ns) => !exemptNamespaces.includes(ns), report, pending);
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

/** Workloads in the ambient namespaces (listed, or created by the stack and not exempt) that ztunnel would not capture. */
function reportUnenrolled(cluster: string, resources: PolicyResource[], config: Config, report: ReportViolation, pending: string[]): void {
  const { ambientNamespaces, exemptNamespaces } = config;
  // A workload namespace the stack does not create carries no ambient label of ours.
  const created = new Set(resources.filter((r) => r.type === T.namespace).map((r) => meta(r.props).name));
  for (const name of ambientNamespaces.filter((n) => !created.has(n))) {
    const orphans = resources.filter((r) => isWorkload(r.type) && meta(r.props).namespace === name);
    if (orphans.length > 0) {
      report(`cluster ${cluster} runs ${orphans.length} workload(s) in namespace ${name}, which this stack does not create with ${DATAPLANE_MODE}=ambient: they may be outside the mesh`, orphans[0].urn);
    }
  }
  reportStrays(cluster, resources, created, config, report, pending);
  for (const ns of judgedNamespaces(resources, ambientNamespaces, exemptNamespaces)) {
    const name = meta(ns.props).name;
    const mode = probe(() => meta(ns.props).labels[DATAPLANE_MODE] as string | undefined);
    const workloads = resources.filter((r) => isWorkload(r.type) && meta(r.props).namespace === name);
    const podMode = (w: PolicyResource) => probe(() => podMetadata(w.type, w.props).labels?.[DATAPLANE_MODE] as string | undefined);
    const kindOf = (w: PolicyResource) => `${kindName(w.type)} ${name}/${meta(w.props).name}`;
    const isMode = (p: Probe<string | undefined>, value: string) => p.known && p.value === value;
    // A pod whose own label is not known yet may opt out or enroll itself: its escapes are judged
    // (a violation either way), otherwise its verdict waits for the label.
    const undecided = (w: PolicyResource) => {
      if (reportEscapes(w, kindOf(w), cluster, report, pending) === 0) pending.push(`the ${DATAPLANE_MODE} label of ${kindOf(w)} on cluster ${cluster}`);
    };
    const optsOut = (w: PolicyResource) => report(`${kindOf(w)} on cluster ${cluster} opts out of ambient (${DATAPLANE_MODE}=none): it speaks plaintext`, w.urn);
    if (!mode.known) {
      // Whether the namespace is enrolled is not known yet: pods that say ambient or none decide for
      // themselves, the others wait for the namespace's label.
      for (const w of workloads) {
        const own = podMode(w);
        if (isMode(own, "ambient")) reportEscapes(w, kindOf(w), cluster, report, pending);
        else if (isMode(own, "none")) optsOut(w);
        else pending.push(`the ${DATAPLANE_MODE} label of namespace ${name} on cluster ${cluster}, which decides whether ${kindOf(w)} is in the mesh`);
      }
      continue;
    }
    if (mode.value !== "ambient") {
      const uncaptured = workloads.filter((w) => podMode(w).known && !isMode(podMode(w), "ambient"));
      if (uncaptured.length > 0) {
        const listed = ambientNamespaces.includes(name) ? "" : ` (label it, or list it in exemptNamespaces if it is meant to stay outside the mesh)`;
        report(`namespace ${name} on cluster ${cluster} has ${DATAPLANE_MODE}=${mode.value ?? "unset"}, not ambient: its ${uncaptured.length} workload(s) are outside the mesh and speak plaintext${listed}`, ns.urn);
      }
      // Pods that enroll themselves can still escape capture, also by the namespace's injection
      // label: Istio 1.30.3's namespace webhooks select them by it and by sidecar.istio.io/inject
      // alone (mutatingwebhook.yaml; the injector never reads dataplane-mode), and istio-cni never
      // enrolls a pod that got a sidecar.
      const injecting = probe(() => injectingLabels(meta(ns.props).labels).map((l) => `${l}=${meta(ns.props).labels[l]}`));
      for (const w of workloads) {
        if (!isMode(podMode(w), "ambient")) {
          if (!podMode(w).known) undecided(w);
          continue;
        }
        reportEscapes(w, kindOf(w), cluster, report, pending);
        const optOut = probe(() => podMetadata(w.type, w.props).labels?.["sidecar.istio.io/inject"]);
        if (!injecting.known || !optOut.known) pending.push(`whether namespace ${name} on cluster ${cluster} injects a sidecar into ${kindOf(w)}`);
        else if (injecting.value.length > 0 && optOut.value !== "false") {
          report(`${kindOf(w)} on cluster ${cluster} enrolls its pods in ambient, but namespace ${name} has ${injecting.value.join(", ")}: the injector adds a sidecar all the same, and istio-cni never enrolls a pod with one, so ztunnel does not capture it; remove the injection label (or label the pods sidecar.istio.io/inject=false)`, w.urn);
        }
      }
      continue;
    }
    for (const w of workloads) {
      const own = podMode(w);
      if (isMode(own, "none")) optsOut(w);
      else if (!own.known) undecided(w);
      else reportEscapes(w, kindOf(w), cluster, report, pending);
    }
  }
  reportPatches(cluster, resources, (name) => ambientNamespaces.includes(name) || (created.has(name) && !exemptNamespaces.includes(name)), report, pending);
}

/**
 * Workloads in a namespace that is neither created by the stack, nor listed, nor exempt: `default`,
 * where an object without a namespace lands (pulumi-kubernetes uses the provider's namespace, else
 * `default`), a misspelt one, or one made outside the stack. Nothing of the stack enrolls such a
 * namespace in ambient, and istio-cni captures a pod only when its namespace or the pod itself is
 * labelled (Istio 1.30.3 istio-cni values.yaml ambient.enablementSelectors): unless its pods enroll
 * themselves, the workload is outside the mesh, where STRICT and every ALLOW policy do not reach
 * it. Pods that enroll themselves are in the mesh and judged for escapes like any other.
 */
function reportStrays(cluster: string, resources: PolicyResource[], created: Set<string>, config: Config, report: ReportViolation, pending: string[]): void {
  const strays = new Map<string, PolicyResource[]>();
  for (const w of resources.filter((r) => isWorkload(r.type))) {
    const where = probe(() => meta(w.props).namespace);
    const what = `${kindName(w.type)} ${where.known ? where.value : "?"}/${orUnknown(() => meta(w.props).name, w.name)}`;
    if (!where.known) {
      pending.push(`the namespace of ${what} on cluster ${cluster}, which decides whether it is in the mesh`);
      continue;
    }
    const ns = where.value;
    if (created.has(ns) || config.ambientNamespaces.includes(ns) || config.exemptNamespaces.includes(ns)) continue;
    const own = probe(() => podMetadata(w.type, w.props).labels?.[DATAPLANE_MODE] as string | undefined);
    if (!own.known) pending.push(`the ${DATAPLANE_MODE} label of ${what} on cluster ${cluster}, whose namespace the stack does not enroll in ambient`);
    else if (own.value === "ambient") reportEscapes(w, what, cluster, report, pending);
    else strays.set(ns, [...(strays.get(ns) ?? []), w]);
  }
  for (const [ns, workloads] of strays) {
    const named = workloads.map((w) => `${kindName(w.type)} ${orUnknown(() => meta(w.props).name, w.name)}`).join(", ");
    report(
      `cluster ${cluster} runs ${named} in namespace ${ns}, which this stack neither creates with ${DATAPLANE_MODE}=ambient nor lists: outside the mesh, ${workloads.length === 1 ? "it accepts" : "they accept"} plaintext from any caller, past STRICT and every ALLOW policy; run ${workloads.length === 1 ? "it" : "them"} in a workload namespace${ns === "default" ? " (an object without a namespace lands in default)" : ""}, label ${workloads.length === 1 ? "its" : "their"} pods ${DATAPLANE_MODE}=ambient, or list ${ns} in exemptNamespaces if it is meant to stay outside the mesh`,
      workloads[0].urn,
    );
  }
}

/**
 * `<Kind>Patch` resources on objects of the judged namespaces, for what they set: a NamespacePatch
 * setting istio.io/dataplane-mode to anything but ambient takes the namespace out of the mesh; a
 * workload's patch setting its pods' label to something else opts them out, and one setting the
 * bypass annotation, hostNetwork or a sidecar status lets them escape capture. A field a patch
 * leaves out keeps the object's own (judged on the object), so nothing is missing from a patch.
 */
function reportPatches(cluster: string, resources: PolicyResource[], judged: (namespace: string) => boolean, report: ReportViolation, pending: string[]): void {
  for (const r of resources.filter((x) => isPatch(x.type))) {
    const type = patchedType(r.type);
    if (type !== T.namespace && !isWorkload(type)) continue;
    const where = probe(() => (type === T.namespace ? meta(r.props).name : meta(r.props).namespace));
    if (!where.known) {
      pending.push(`the namespace ${r.name} patches on cluster ${cluster}`);
      continue;
    }
    if (!judged(where.value)) continue;
    if (type === T.namespace) {
      const mode = probe(() => meta(r.props).labels[DATAPLANE_MODE] as string | undefined);
      if (!mode.known) pending.push(`the ${DATAPLANE_MODE} label NamespacePatch ${r.name} sets on namespace ${where.value} on cluster ${cluster}`);
      else if (mode.value !== undefined && mode.value !== "ambient") {
        report(`NamespacePatch ${r.name} sets ${DATAPLANE_MODE}=${mode.value} on namespace ${where.value} on cluster ${cluster}, not ambient: its workloads leave the mesh and speak plaintext`, r.urn);
      }
      continue;
    }
    const what = `${kindName(r.type)} ${where.value}/${orUnknown(() => meta(r.props).name, r.name)}`;
    const own = probe(() => podMetadata(type, r.props).labels?.[DATAPLANE_MODE] as string | undefined);
    if (!own.known) pending.push(`the ${DATAPLANE_MODE} label ${what} sets on its pods on cluster ${cluster}`);
    else if (own.value !== undefined && own.value !== "ambient") {
      report(`${what} on cluster ${cluster} sets ${DATAPLANE_MODE}=${own.value} on its pods, not ambient: they leave the mesh and speak plaintext`, r.urn);
    }
    reportEscapes(r, what, cluster, report, pending);
  }
}

/** An enrolled pod that ztunnel still does not (fully) capture. */
function reportEscapes(w: PolicyResource, what: string, cluster: string, report: ReportViolation, pending: string[]): number {
  let reported = 0;
  const found: ReportViolation = (message, urn) => {
    reported++;
    report(message, urn);
  };
  // istio-cni reads the annotation with strconv.ParseBool (1, t, T, TRUE, true, True) and then
  // installs no inbound redirect to ztunnel (cni/pkg/nodeagent/net.go, cni/pkg/iptables/iptables.go):
  // plaintext reaches the pod directly, past STRICT and every ALLOW policy ztunnel enforces.
  const type = patchedType(w.type);
  const bypass = probe(() => podMetadata(type, w.props).annotations?.[BYPASS_INBOUND]);
  if (!bypass.known) pending.push(`the ${BYPASS_INBOUND} annotation of ${what} on cluster ${cluster}`);
  else if (parseGoBool(bypass.value) === true) {
    found(`${what} on cluster ${cluster} sets ${BYPASS_INBOUND}=${bypass.value}: ztunnel does not capture its inbound traffic, so it accepts plaintext past STRICT and its ALLOW policies`, w.urn);
  }
  // Host-network pods share the node's network namespace: nothing redirects their traffic, and
  // istiod marks them HOST_NETWORK (pilot/pkg/serviceregistry/ambient/workloads.go).
  const hostNetwork = probe(() => podSpecOf(type, w.props)?.hostNetwork);
  if (!hostNetwork.known) pending.push(`the hostNetwork of ${what} on cluster ${cluster}`);
  else if (hostNetwork.value === true) {
    found(`${what} on cluster ${cluster} uses the host network (hostNetwork: true): ztunnel cannot capture it, so it speaks plaintext; run it on the pod network`, w.urn);
  }
  // istio-cni never enrolls a pod that carries a sidecar's status annotation
  // (cni/pkg/util/enablement_selector.go, podHasSidecar), whatever its value.
  const sidecar = probe(() => podMetadata(type, w.props).annotations?.[SIDECAR_STATUS]);
  if (!sidecar.known) pending.push(`the ${SIDECAR_STATUS} annotation of ${what} on cluster ${cluster}`);
  else if (sidecar.value !== undefined) {
    found(`${what} on cluster ${cluster} carries ${SIDECAR_STATUS}, which keeps istio-cni from enrolling it in ambient: ztunnel does not capture it; remove the annotation`, w.urn);
  }
  return reported;
}
