/**
 * Policy-review mutations of the mesh's capture, registered right after mutations-mesh.ts's: pods
 * ztunnel never captures although their namespace is ambient, a fork's own namespaces, istiod
 * settings the mesh policies hinge on, PeerAuthentications and objects a user adds beside the
 * platform's, istio-cni and ztunnel releases, and a trust domain only the MCP gateway accepts.
 */
import type { ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, resources, isKind, onFirst, removeAll, istiod, ambientDeployment, addLike, addNamespaceWithWorkload, istiodLeftToProvider } from "./mutations-support";

const istioCni = (r: ExportedResource) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "cni";

export const meshCaptureMutations: Mutation[] = [
  // Pods that ztunnel never captures although their namespace is ambient, a namespace a fork
  // adds outside the default list, and istiod settings the mesh policies hinge on.
  {
    name: "an ambient pod bypassing inbound capture (ambient.istio.io/bypass-inbound-capture)",
    policy: "mesh-mtls-strict",
    apply: (doc) =>
      onFirst(doc, ambientDeployment, (o) => {
        o.spec.template.metadata = { ...o.spec.template.metadata, annotations: { ...o.spec.template.metadata?.annotations, "ambient.istio.io/bypass-inbound-capture": "true" } };
      }),
  },
  {
    name: "an ambient workload on the host network",
    policy: "mesh-mtls-strict",
    apply: (doc) => onFirst(doc, ambientDeployment, (o) => (o.spec.template.spec.hostNetwork = true)),
  },
  {
    name: "an ambient pod template carrying a sidecar status (istio-cni never enrolls it)",
    policy: "mesh-mtls-strict",
    apply: (doc) =>
      onFirst(doc, ambientDeployment, (o) => {
        o.spec.template.metadata = { ...o.spec.template.metadata, annotations: { ...o.spec.template.metadata?.annotations, "sidecar.istio.io/status": "{}" } };
      }),
  },
  {
    name: "a fork's new namespace (rag) running a workload outside ambient",
    policy: "mesh-mtls-strict",
    apply: (doc) => addNamespaceWithWorkload(doc, "rag", {}),
  },
  {
    name: "istiod given another root namespace (the mesh-wide PeerAuthentication no longer is)",
    policy: "mesh-mtls-strict",
    apply: (doc) => onFirst(doc, istiod, (o) => (o.values = { ...o.values, meshConfig: { ...o.values?.meshConfig, rootNamespace: "mesh-root" } })),
  },
  {
    name: "istiod injecting every unlabelled namespace, given as the string \"true\"",
    policy: "ambient-no-sidecar-injection",
    apply: (doc) => onFirst(doc, istiod, (o) => (o.values = { ...o.values, sidecarInjectorWebhook: { ...o.values?.sidecarInjectorWebhook, enableNamespacesByDefault: "true" } })),
  },
  {
    name: "a NamespacePatch adding istio-injection=enabled to an ambient namespace",
    policy: "ambient-no-sidecar-injection",
    apply: (doc) => {
      const ns = resources(doc).find((r) => isKind(r, "Namespace") && (r.inputs as any)?.metadata?.name === "inference");
      if (!ns) return undefined;
      const patch = { apiVersion: "v1", kind: "Namespace", metadata: { name: "inference", labels: { "istio-injection": "enabled" } } };
      const type = "kubernetes:core/v1:NamespacePatch";
      const parts = ns.urn.split("::");
      const urn = [...parts.slice(0, 2), parts[2].replace(/kubernetes:core\/v1:Namespace$/, type), `${parts[3]}-injection-patch`].join("::");
      resources(doc).push({ ...ns, urn, type, id: "inference-injection-patch", inputs: patch, outputs: patch, dependencies: [], propertyDependencies: {} } as ExportedResource);
      return urn;
    },
  },
  // Breakages written as a user adds something new beside what the platform renders (the cases
  // above mostly edit the platform's own objects).
  {
    name: "a second PeerAuthentication in a workload namespace, mode UNSET with one port PERMISSIVE",
    policy: "peer-authentication-strict",
    apply: (doc) => {
      const mesh = resources(doc).find((r) => isKind(r, "PeerAuthentication") && (r.inputs as any)?.metadata?.namespace === "istio-system");
      return mesh && addLike(doc, mesh, "agents-metrics", mesh.type, {
        apiVersion: "security.istio.io/v1", kind: "PeerAuthentication",
        metadata: { name: "metrics", namespace: "agents" },
        spec: { selector: { matchLabels: { app: "research-agent" } }, mtls: { mode: "UNSET" }, portLevelMtls: { 9090: { mode: "PERMISSIVE" } } },
      });
    },
  },
  {
    // The CRD's enum is matched exactly: the API server refuses the policy, so no intended mode applies.
    name: "a namespace's PeerAuthentication with its mode written in lower case (permissive)",
    policy: "peer-authentication-strict",
    apply: (doc) => {
      const mesh = resources(doc).find((r) => isKind(r, "PeerAuthentication") && (r.inputs as any)?.metadata?.namespace === "istio-system");
      return mesh && addLike(doc, mesh, "tools-legacy", mesh.type, { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "legacy", namespace: "tools" }, spec: { mtls: { mode: "permissive" } } });
    },
  },
  {
    // pulumi-kubernetes puts an object without a namespace in `default`, which nothing enrolls in ambient.
    name: "a tool's Deployment without a namespace (it lands in default, outside the mesh)",
    policy: "mesh-mtls-strict",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "Deployment") && (r.inputs as any)?.metadata?.namespace === "tools", (o) => delete o.metadata.namespace),
  },
  // Found by an adversarial sweep: a fork's own ambient namespace, and agents reaching tools
  // they are not configured for (only "agents may call tools" was checked, not which agent).
  {
    name: "a fork's new ambient namespace (rag) whose workload asks for a sidecar (sidecar.istio.io/inject=true)",
    policy: "ambient-no-sidecar-injection",
    apply: (doc) => addNamespaceWithWorkload(doc, "rag", { "istio.io/dataplane-mode": "ambient" }, { "sidecar.istio.io/inject": "true" }),
  },
  {
    // Istio 1.30.3's `namespace.` injector webhook selects the namespace by istio-injection=enabled
    // and the pod only by sidecar.istio.io/inject (mutatingwebhook.yaml), and the injector ignores
    // dataplane-mode: the pod gets a sidecar, which istio-cni then never enrolls in ambient.
    name: "a fork's namespace (rag) labelled istio-injection=enabled whose pods enroll themselves in ambient",
    policy: "mesh-mtls-strict",
    apply: (doc) => addNamespaceWithWorkload(doc, "rag", { "istio-injection": "enabled" }, { "istio.io/dataplane-mode": "ambient" }),
  },
  // Only istio-cni's node agent redirects a pod into ztunnel (Istio 1.30.3 cni/pkg/cmd/root.go):
  // a pod it does not enroll speaks plaintext, however STRICT the mesh is.
  {
    name: "a cluster's istio-cni release removed (nothing redirects its pods into ztunnel)",
    policy: "mesh-mtls-strict",
    apply: (doc) => {
      const first = resources(doc).find(istioCni);
      return first && removeAll(doc, (r) => r === first);
    },
  },
  // istio-cni redirects an enrolled pod to ztunnel's ports and hands it to the node's ztunnel, failing
  // the pod's CNI add while none is connected (Istio 1.30.3 cni/pkg/nodeagent/net_linux.go AddPodToMesh).
  {
    name: "a cluster's ztunnel release removed (istio-cni redirects its pods to a ztunnel that never comes)",
    policy: "mesh-mtls-strict",
    apply: (doc) => {
      const first = resources(doc).find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "ztunnel");
      return first && removeAll(doc, (r) => r === first);
    },
  },
  {
    // The ambient profile sets cni.ambient.enabled, which zzy_descope_legacy.yaml lays over the top level: only cni.* turns it off.
    name: "istio-cni's ambient redirection turned off (cni.ambient.enabled false beside profile ambient)",
    policy: "mesh-mtls-strict",
    apply: (doc) => onFirst(doc, istioCni, (o) => (o.values.cni = { ambient: { enabled: false } })),
  },
  {
    // Istio 1.30.3 istio-cni files/profile-platform-k3s.yaml moves cniConfDir to where k3s's containerd reads it; without it the plugin is never chained.
    name: "istio-cni on a k3s cluster without global.platform k3s (its CNI config in /etc/cni/net.d)",
    policy: "mesh-mtls-strict",
    apply: (doc) => onFirst(doc, (r) => istioCni(r) && (r.inputs as any)?.values?.global?.platform === "k3s", (o) => (o.values.global = { ...o.values.global, platform: undefined })),
  },
  {
    name: "a workload namespace (tools) listed in istio-cni's excludeNamespaces",
    policy: "mesh-mtls-strict",
    apply: (doc) => onFirst(doc, istioCni, (o) => (o.values.excludeNamespaces = ["kube-system", "tools"])),
  },
  {
    // ztunnel's DaemonSet takes values.nodeSelector (1.30.3 daemonset.yaml): the GPU groups' nodes get no ztunnel.
    name: "ztunnel pinned to the system node group by nodeSelector (the GPU nodes' pods outside ambient)",
    policy: "mesh-mtls-strict",
    apply: (doc) => {
      // The ztunnel of a cluster with EKS node groups (`<cluster>-ztunnel` beside `<cluster>-<group>`).
      const groups = resources(doc).filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup").map((r) => r.urn.split("::").pop()!);
      const onEks = (r: ExportedResource) => groups.some((g) => g.startsWith(r.urn.split("::").pop()!.replace(/ztunnel$/, "")));
      return onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "ztunnel" && onEks(r), (o) => (o.values.nodeSelector = { "inference-mesh.io/node-group": "system" }));
    },
  },
  {
    // pulumi-kubernetes v4.34.2 helm_release.go setDefaults: a Release naming no namespace installs
    // into its provider's default namespace, so istiod (and its Service) lands in inference while
    // ztunnel still dials istiod.istio-system.svc (ztunnel templates/daemonset.yaml).
    name: "istiod's release namespace left to a provider whose default namespace is inference",
    policy: "mesh-mtls-strict",
    apply: (doc) => istiodLeftToProvider(doc, "inference"),
  },
  {
    // Istio 1.30.3 ztunnel daemonset.yaml takes caAddress/xdsAddress as given; istiod renders istiod[-<revision>] (service.yaml).
    name: "ztunnel's caAddress and xdsAddress naming an istiod revision its cluster does not install",
    policy: "mesh-mtls-strict",
    apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "ztunnel", (o) => (o.values = { ...o.values, caAddress: "istiod-1-31.istio-system.svc:15012", xdsAddress: "istiod-1-31.istio-system.svc:15012" })),
  },
  {
    name: "the MCP gateway's proxy accepting a trust domain istiod does not (istio.additionalTrustDomains)",
    policy: "mesh-identity-consistent",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "AgentgatewayParameters") && (r.inputs as any)?.metadata?.name === "mcp-gateway", (o) => (o.spec.istio.additionalTrustDomains = ["staging.example"])),
  },
];
