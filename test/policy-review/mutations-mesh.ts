/** Policy-review mutations of mesh-wide STRICT mTLS and PeerAuthentication, ambient enrollment and sidecar injection, one mesh identity and root CA across clusters (continued in mutations-mesh-capture.ts, registered right after). */
import { Mutation, resources, isKind, edit, onFirst, removeAll, istiod, cacerts, ambientDeployment } from "./mutations-support";

export const meshMutations: Mutation[] = [
  {
    name: "a port-level PERMISSIVE exception",
    policy: "peer-authentication-strict",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "PeerAuthentication"), (o) => (o.spec.portLevelMtls = { "8080": { mode: "PERMISSIVE" } })),
  },
  {
    name: "the mesh-wide PeerAuthentication removed",
    policy: "mesh-mtls-strict",
    apply: (doc) => removeAll(doc, (r) => isKind(r, "PeerAuthentication") && (r.inputs as any)?.metadata?.namespace === "istio-system"),
  },
  {
    // A mesh-level PeerAuthentication without a mode is UNSET, which Istio reads as PERMISSIVE.
    name: "the mesh-wide PeerAuthentication's spec removed",
    policy: "mesh-mtls-strict",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "PeerAuthentication") && (r.inputs as any)?.metadata?.namespace === "istio-system", (o) => delete o.spec),
  },
  {
    name: "a workload namespace taken out of ambient",
    policy: "mesh-mtls-strict",
    apply: (doc) => {
      const withWorkloads = new Set(resources(doc).filter((r) => isKind(r, "Deployment")).map((r) => (r.inputs as any)?.metadata?.namespace));
      return onFirst(doc, (r) => isKind(r, "Namespace") && (r.inputs as any).metadata.labels?.["istio.io/dataplane-mode"] === "ambient" && withWorkloads.has((r.inputs as any).metadata.name), (o) => delete o.metadata.labels["istio.io/dataplane-mode"]);
    },
  },
  {
    name: "a workload opting out of ambient",
    policy: "mesh-mtls-strict",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "Deployment") && ["inference", "agents", "tools"].includes((r.inputs as any).metadata.namespace), (o) => {
        o.spec.template.metadata = { ...o.spec.template.metadata, labels: { ...o.spec.template.metadata?.labels, "istio.io/dataplane-mode": "none" } };
      }),
  },
  {
    name: "sidecar injection enabled on an ambient namespace",
    policy: "ambient-no-sidecar-injection",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "Namespace") && (r.inputs as any).metadata.name === "inference", (o) => (o.metadata.labels = { ...o.metadata.labels, "istio-injection": "enabled" })),
  },
  {
    name: "a cluster with another meshID",
    policy: "mesh-identity-consistent",
    apply: (doc) => {
      const all = resources(doc).filter(istiod);
      return all.length > 1 ? edit(all[all.length - 1], (o) => (o.values.global.meshID = "other-mesh")) : undefined;
    },
  },
  {
    name: "ztunnel registering under another cluster name than istiod",
    policy: "mesh-identity-consistent",
    apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "ztunnel", (o) => (o.values = { ...o.values, multiCluster: { clusterName: "someone-else" } })),
  },
  {
    // ztunnel looks Service addresses up in its NETWORK (ztunnel 1.30.3 proxy/outbound.rs): unset, it skips every waypoint.
    name: "ztunnel without the cluster's network",
    policy: "mesh-identity-consistent",
    apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "ztunnel", (o) => delete o.values.global.network),
  },
  {
    // istiod takes the cluster's network from this label alone (Istio 1.30.3 ambient networks.go LocalSystemNamespaceNetwork).
    name: "istio-system's topology.istio.io/network label removed",
    policy: "mesh-identity-consistent",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "Namespace") && (r.inputs as any)?.metadata?.labels?.["topology.istio.io/network"] !== undefined, (o) => delete o.metadata.labels["topology.istio.io/network"]),
  },
  {
    name: "a cluster with another trust domain",
    policy: "mesh-identity-consistent",
    apply: (doc) => {
      const all = resources(doc).filter(istiod);
      return all.length > 1 ? edit(all[all.length - 1], (o) => (o.values.meshConfig = { ...o.values.meshConfig, trustDomain: "evil.local" })) : undefined;
    },
  },
  {
    // mergeOverwrite renders it; istiod refuses that mesh config whole and runs on Istio's defaults (1.30.3 ApplyMeshConfig).
    name: "an istiod's meshConfig.trustDomain emptied",
    policy: "mesh-identity-consistent",
    apply: (doc) => onFirst(doc, istiod, (o) => (o.values.meshConfig = { ...o.values.meshConfig, trustDomain: "" })),
  },
  {
    name: "two clusters on one network",
    policy: "mesh-identity-consistent",
    apply: (doc) => {
      const networks = resources(doc).filter(istiod).map((r) => (r.inputs as any).values.global.network as string);
      if (networks.length < 2) return undefined;
      const [keep, dup] = [networks[0], networks[networks.length - 1]];
      for (const r of resources(doc)) {
        for (const key of ["inputs", "outputs"] as const) {
          const text = JSON.stringify(r[key] ?? null);
          if (text.includes(`"${dup}"`)) r[key] = JSON.parse(text.split(`"${dup}"`).join(`"${keep}"`));
        }
      }
      return resources(doc).filter(istiod)[networks.length - 1].urn;
    },
  },
  {
    name: "a pod labelled with an Istio revision (its injector adds a sidecar) in an ambient namespace",
    policy: "ambient-no-sidecar-injection",
    apply: (doc) =>
      onFirst(doc, ambientDeployment, (o) => {
        o.spec.template.metadata.labels = { ...o.spec.template.metadata.labels, "istio.io/rev": "default" };
      }),
  },
  // A single cluster may let istiod mint its own root; these apply to multi-cluster meshes.
  {
    name: "a cluster's cacerts under another root",
    policy: "mesh-root-ca-shared",
    apply: (doc) =>
      resources(doc).filter(istiod).length > 1
        ? onFirst(doc, cacerts, (o) => (o.metadata.annotations = { ...o.metadata.annotations, "inference-mesh.io/root-cert-sha256": "0".repeat(64) }))
        : undefined,
  },
  {
    name: "a cluster without cacerts",
    policy: "mesh-root-ca-shared",
    apply: (doc) => {
      const first = resources(doc).find(cacerts);
      return first && resources(doc).filter(istiod).length > 1 ? removeAll(doc, (r) => r.urn === first.urn) : undefined;
    },
  },
  {
    name: "a cluster's meshID overridden through meshConfig.defaultConfig.meshId (it wins over global.meshID)",
    policy: "mesh-identity-consistent",
    apply: (doc) => {
      const all = resources(doc).filter(istiod);
      return all.length > 1 ? edit(all[all.length - 1], (o) => (o.values.meshConfig = { ...o.values.meshConfig, defaultConfig: { ...o.values.meshConfig?.defaultConfig, meshId: "other-mesh" } })) : undefined;
    },
  },
  {
    name: "a second istiod release (a revision) with another trust domain",
    policy: "mesh-identity-consistent",
    apply: (doc) => {
      const first = resources(doc).find(istiod);
      if (!first) return undefined;
      const copy = JSON.parse(JSON.stringify(first));
      copy.urn = first.urn.replace(/::([^:]+)$/, "::$1-canary");
      for (const props of [copy.inputs, copy.outputs]) {
        if (!props) continue;
        props.name = "istiod-canary";
        props.values = { ...props.values, revision: "canary", meshConfig: { ...props.values?.meshConfig, trustDomain: "evil.local" } };
      }
      doc.deployment.resources!.push(copy);
      return copy.urn;
    },
  },
];
