import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, dig, helmChartName, isHelmInstall, meta, T, unconfiguredClusters } from "../lib/k8s";
import { configWithDefaults, probe, Probe } from "../lib/values";
import { allowedOptions, kubeconfigServer, refusedAuth, staticIamToken } from "../lib/remote-kubeconfig";
import { secretDataKey, setOf } from "../lib/config-schema";
import { withRenderedIstio } from "../lib/istio-rendered";
import { checkEastWest, checkMultiNetwork } from "../lib/east-west";
import { unservedGateways, type UnservedFinding } from "../lib/unserved-gateways";
import { checkReaderAccounts, type RemoteRead } from "../lib/reader-accounts";
import { releaseNamespace } from "../lib/release-namespace";
import { asymmetricGlobalWaypoints, globalServicesBehindLocalWaypoints } from "../lib/global-waypoints";
import { checkIngressNetworks } from "../lib/ingress-networks";

/** istiod's secret controller reads only Secrets with this label, in its own namespace (Istio 1.30.3 pkg/kube/multicluster). */
const MULTICLUSTER_LABEL = "istio/multiCluster";

interface MeshCluster {
  cluster: string;
  istiod: PolicyResource;
  /** istiod's cluster ID (global.multiCluster.clusterName, the chart's `Kubernetes` when unset). */
  id: Probe<string>;
  network: Probe<string | undefined>;
  /** The namespace istiod runs in, where it reads remote secrets: its release's, as pulumi-kubernetes resolves it (lib/release-namespace.ts). */
  namespace: Probe<string>;
  resources: PolicyResource[];
}

const stringValue = (r: PolicyResource, path: string): Probe<string | undefined> => {
  const v = probe(() => dig(r.props.values, path));
  return v.known ? { known: true, value: typeof v.value === "string" && v.value !== "" ? v.value : undefined } : v;
};

/**
 * The cluster IDs a remote secret hands istiod: each key of its data is one cluster (secretcontroller
 * addRemoteConfig). Data this run cannot read (ciphertext in an export reviewed without its
 * passphrase) falls back to the `networking.istio.io/cluster` annotation istioctl create-remote-secret
 * (and this program) sets to that key.
 */
function remoteClusterIds(secret: PolicyResource): Probe<string[]> {
  const data = probe(() => {
    const keys = (o: unknown) => (o && typeof o === "object" ? Object.keys(o as object) : []);
    return [...new Set([...keys(secret.props.stringData), ...keys(secret.props.data)])];
  });
  if (data.known) return data;
  const annotated = probe(() => meta(secret.props).annotations["networking.istio.io/cluster"]);
  return annotated.known && typeof annotated.value === "string" && annotated.value !== "" ? { known: true, value: [annotated.value] } : { known: false };
}

/** A remote secret's kubeconfigs by cluster key (data is base64), or undefined when this run cannot read them. */
function remoteKubeconfigs(secret: PolicyResource): Record<string, string> | undefined {
  const read = probe(() => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries((secret.props.data ?? {}) as Record<string, unknown>)) if (typeof v === "string") out[k] = Buffer.from(v, "base64").toString("utf8");
    for (const [k, v] of Object.entries((secret.props.stringData ?? {}) as Record<string, unknown>)) if (typeof v === "string") out[k] = v;
    return out;
  });
  return read.known ? read.value : undefined;
}

/** The API server a cluster's own Kubernetes provider reaches it at, when its kubeconfig is inline and readable. */
function providerServer(istiod: PolicyResource): string | undefined {
  const kc = probe(() => istiod.provider?.props?.kubeconfig as unknown);
  if (!kc.known || typeof kc.value !== "string" || !kc.value.includes("\n")) return undefined;
  const target = kubeconfigServer(kc.value);
  return "server" in target ? target.server : undefined;
}

/**
 * A multi-cluster ambient mesh is wired only if every istiod reads every other cluster (a remote
 * secret per ordered pair) and every cluster offers the others its east-west gateway. A missing
 * remote secret leaves one istiod blind to a cluster's endpoints; one naming a cluster the mesh no
 * longer has keeps istiod dialling it (or importing its endpoints while it lives); a missing or
 * mislabelled east-west gateway leaves its network unreachable.
 */
export const meshMulticlusterWiring: StackValidationPolicy = {
  name: "mesh-multicluster-wiring",
  description:
    "On every cluster a Gateway of Istio's istio-waypoint, istio-east-west or istio-agentgateway class (or a GatewayClass naming their controllers) is of a class its owning istiod registers (PILOT_ENABLE_AMBIENT with PILOT_ENABLE_AMBIENT_WAYPOINTS not false, with AMBIENT_ENABLE_MULTI_NETWORK true, PILOT_ENABLE_AGENTGATEWAY true), else nothing deploys it. In a multi-cluster mesh every ambient istiod serving the cluster's ztunnel (by its revision) or owning one of its Gateways (istio.io/rev, revision tags, the default revision) sets env AMBIENT_ENABLE_MULTI_NETWORK true (env or pilot.env; false by default), each cluster's istiod namespace (its Helm release's; one naming none installs into its provider's default namespace: the Provider's namespace, else its inline kubeconfig context's, else default) holds a remote secret (label istio/multiCluster: \"true\") for every other cluster, keyed by its Istio cluster name, and none for a cluster outside the mesh (unless listed in externalClusters); a readable remote kubeconfig whose only credential is an EKS IAM token (k8s-aws-v1., as aws eks get-token prints it) fails, since EKS refuses it 15 minutes after signing; the account each remote secret's kubeconfig reads a cluster as (the service-account-token Secret there holding its bearer token, else the token's sub claim, else the one account the stack's token Secrets there are for; can't judge where its user presents a client certificate, exec plugin or auth provider beside the token, which the API server may authenticate instead; an inline client certificate alone reads as the user and groups its CN and O name, judged by the stack's bindings naming them, can't judge where none does, system:masters passing) is istio-reader-service-account with that cluster's base and istiod releases keeping global.enableReaderRBAC (and resourceScope all), which render it and bind it to the reader ClusterRole, or is granted list and watch on namespaces, pods, services, nodes, endpointslices, gateways and customresourcedefinitions cluster-wide by ClusterRoleBindings the stack renders to ClusterRoles it renders, an istiod release's reader ClusterRole or cluster-admin (an aggregated ClusterRole, the stack's or view, edit, admin, by the rules of the stack's ClusterRoles it selects and view's bootstrap rules, which the controller-manager writes over its own; what they lack is can't judge), else istiod is refused that cluster's services and endpoints; and each cluster has an east-west Gateway (class istio-east-west, labelled topology.istio.io/network with its network, an HBONE listener on port 15008 terminating TLS; none of that class with such a listener labelled with another network or none, which the other clusters file under that label alone) whose Service other networks can reach (LoadBalancer or external IPs), keeps port 15008 on 15008 through its parametersRef options ConfigMap's service overlay (a strategic merge patch), and whose istio.io/rev (its own, else its namespace's) names a revision or revisionTag of an istiod of the cluster (unlabelled: the tag default or the default revision, the base release's defaultRevision, is one), since only the owning istiod deploys it; a Service labelled istio.io/global: \"true\" whose waypoint the stack renders on that cluster has that waypoint's Service global too (the Gateway's spec.infrastructure.labels, else its labels), else the other clusters' calls skip the waypoint and its L7 policies; a global Service has the same waypoint (or none) in every cluster that renders it (Istio assumes universal waypoints); and a route an Istio ingress Gateway (not a waypoint, east-west or agentgateway one) takes, itself or through a v1 ListenerSet its allowedListeners admits, sending to a global Service of its cluster that a cluster on another network renders too, has every ambient istiod owning that Gateway set env AMBIENT_ENABLE_MULTI_NETWORK_INGRESS true (false by default), else the gateway is handed its own network's endpoints alone.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      externalClusters: { ...setOf(secretDataKey), default: [], description: "Istio cluster names of clusters outside this stack that remote secrets may name." },
    },
  },
  validateStack: (args, report) => {
    const { externalClusters } = configWithDefaults(args, { externalClusters: [] as string[] });
    const unknowns: string[] = [];
    const mesh: MeshCluster[] = [];
    // Gateways no owning istiod deploys, on every cluster (one-cluster stacks included).
    const unserved: UnservedFinding[] = [];
    const gatewayUnknowns: string[] = [];
    for (const [cluster, objects] of byCluster(args.resources)) {
      const resources = withRenderedIstio(objects);
      unserved.push(...unservedGateways(cluster, resources, gatewayUnknowns));
      const releases = resources.filter((r) => isHelmInstall(r.type));
      const charts = releases.map((r) => probe(() => helmChartName(r.props)));
      const istiod = releases.find((_, i) => charts[i].known && (charts[i] as { value?: string }).value === "istiod");
      if (!istiod) {
        if (charts.some((c) => !c.known)) unknowns.push(`the Helm charts of cluster ${cluster} (whether it runs an istiod of the mesh)`);
        continue;
      }
      const id = stringValue(istiod, "global.multiCluster.clusterName");
      mesh.push({
        cluster,
        istiod,
        id: id.known ? { known: true, value: id.value ?? "Kubernetes" } : id,
        network: stringValue(istiod, "global.network"),
        namespace: probe(() => releaseNamespace(istiod)),
        resources,
      });
    }
    // In a multi-cluster mesh an ambient istiod without AMBIENT_ENABLE_MULTI_NETWORK is named below, with its east-west gateway.
    for (const f of unserved) if (mesh.length < 2 || !f.eastWestOfAmbient) report(f.message, f.urn);
    if (mesh.length < 2) {
      if (mesh.length + unknowns.length >= 2 || gatewayUnknowns.length > 0) cannotJudge([...unknowns, ...gatewayUnknowns]);
      return;
    }
    unknowns.push(...gatewayUnknowns);
    // Clusters whose objects this preview cannot see yet (the first preview of a new cluster) may be
    // named by the others' remote secrets: by their cluster's name as this stack names it, else unknown.
    const unseenClusters = unconfiguredClusters(args.resources);
    const unseen = unseenClusters.size > 0;
    const ids = new Set(mesh.flatMap((m) => (m.id.known ? [m.id.value] : [])));
    // Each cluster's API server as its own provider reaches it: a remote secret for one cluster
    // naming another's makes istiod import that other cluster's endpoints under the wrong name.
    const servers = new Map(mesh.map((m) => [m, providerServer(m.istiod)] as const));
    const idsKnown = mesh.every((m) => m.id.known);
    // Each kubeconfig a remote secret holds, by the cluster key it is under.
    const reads = new Map<string, RemoteRead[]>();
    for (const reader of mesh) {
      if (!reader.id.known || !reader.namespace.known) {
        unknowns.push(`the cluster name and namespace of istiod on cluster ${reader.cluster}`);
        continue;
      }
      const namespace = reader.namespace.value;
      const read = new Set<string>();
      const secrets = reader.resources.filter((r) => r.type === T.secret && probe(() => meta(r.props).namespace).known && meta(r.props).namespace === namespace);
      for (const s of secrets) {
        const label = probe(() => meta(s.props).labels[MULTICLUSTER_LABEL]);
        if (!label.known) {
          unknowns.push(`the labels of Secret ${namespace}/${meta(s.props).name} on cluster ${reader.cluster}`);
          continue;
        }
        if (label.value !== "true") continue;
        const keys = remoteClusterIds(s);
        if (!keys.known) {
          unknowns.push(`the keys of remote secret ${namespace}/${meta(s.props).name} on cluster ${reader.cluster}`);
          continue;
        }
        const kubeconfigs = remoteKubeconfigs(s);
        for (const key of keys.value) {
          read.add(key);
          const problem = kubeconfigs?.[key] !== undefined && kubeconfigProblem(kubeconfigs[key], key, reader, mesh, servers);
          if (problem) report(`cluster ${reader.cluster}: remote secret ${namespace}/${meta(s.props).name}: the kubeconfig for cluster ${key} ${problem}`, s.urn);
          reads.set(key, [...(reads.get(key) ?? []), { reader: reader.cluster, secret: s, text: kubeconfigs?.[key], unusable: !!problem }]);
          if (key === reader.id.value || ids.has(key) || unseenClusters.has(key) || externalClusters.includes(key)) continue;
          if (unseen || !idsKnown) unknowns.push(`whether cluster ${key}, named by remote secret ${namespace}/${meta(s.props).name} on cluster ${reader.cluster}, is in the mesh`);
          else {
            report(
              `cluster ${reader.cluster}: remote secret ${namespace}/${meta(s.props).name} names cluster ${key}, which is not in this mesh (${[...ids].sort().join(", ")}): istiod keeps reading a cluster the stack no longer has; drop it (or list it in externalClusters)`,
              s.urn,
            );
          }
        }
      }
      for (const other of mesh) {
        if (other === reader || !other.id.known || other.id.value === reader.id.value || read.has(other.id.value)) continue;
        report(
          `cluster ${reader.cluster} has no remote secret for cluster ${other.cluster} (a Secret in ${namespace} labelled ${MULTICLUSTER_LABEL}: "true" with the key ${other.id.value}): its istiod never sees ${other.cluster}'s services and endpoints`,
          reader.istiod.urn,
        );
      }
    }
    const asymmetric = asymmetricGlobalWaypoints(mesh);
    for (const f of asymmetric.findings) report(f.message, f.service.urn);
    unknowns.push(...asymmetric.unknown);
    for (const m of mesh) {
      checkMultiNetwork(m, report, unknowns);
      // Every other cluster reads this one as the account its remote secret's kubeconfig names.
      if (m.id.known) checkReaderAccounts(m.cluster, m.resources, reads.get(m.id.value) ?? [], report, unknowns);
      const behind = globalServicesBehindLocalWaypoints(m.cluster, m.resources);
      for (const f of behind.findings) report(f.message, f.service.urn);
      unknowns.push(...behind.unknown);
      if (!m.network.known) {
        unknowns.push(`the network (global.network) of istiod on cluster ${m.cluster}`);
        continue;
      }
      const network = m.network.value;
      if (network === undefined) continue; // no network at all: mesh-identity-consistent reports it
      checkEastWest(m, network, report, unknowns);
      checkIngressNetworks(m, network, mesh, report, unknowns);
    }
    if (unknowns.length > 0) cannotJudge(unknowns);
  },
};

/**
 * Why istiod on `reader` cannot use, or misuses, the kubeconfig a remote secret gives for cluster
 * `key` (undefined when it is fine): one it cannot build a client from, or whose authentication it
 * refuses, leaves the cluster out of its registry (logged only), and so, minutes later, does one
 * whose only credential is an EKS IAM token (remote-kubeconfig.ts staticIamToken); one whose
 * server is another mesh cluster's API registers that cluster's services and endpoints as `key`'s.
 */
function kubeconfigProblem(text: string, key: string, reader: MeshCluster, mesh: MeshCluster[], servers: Map<MeshCluster, string | undefined>): string | undefined {
  const target = kubeconfigServer(text);
  if ("problem" in target) return `${target.problem}: istiod cannot build a client for ${key} (Istio 1.30.3 kube.NewUntrustedRestConfig) and never reads its services and endpoints`;
  const allowed = probe(() => allowedOptions(reader.istiod.props.values));
  const refused = allowed.known ? refusedAuth(text, allowed.value) : [];
  if (refused.length > 0) {
    return `authenticates with ${refused.join(", ")}, which istiod refuses unless its env PILOT_INSECURE_MULTICLUSTER_KUBECONFIG_OPTIONS allows it ("kubeconfig is not allowed"): it never reads ${key}'s services and endpoints; use a token (istioctl create-remote-secret's default)`;
  }
  if (staticIamToken(text)) {
    return `authenticates with an EKS IAM token (k8s-aws-v1., as aws eks get-token prints it) as its static bearer token, which EKS's authenticator refuses 15 minutes after it was signed (kubernetes-sigs/aws-iam-authenticator pkg/token/token.go Verify): istiod loses ${key}'s services and endpoints within minutes and never reads them after a restart; use a ServiceAccount token (istioctl create-remote-secret's default)`;
  }
  const owner = mesh.find((m) => m.id.known && m.id.value === key);
  const elsewhere = mesh.find((m) => m !== owner && servers.get(m) === target.server);
  if (elsewhere && (!owner || servers.get(owner) !== target.server)) {
    return `points at ${target.server}, the API server of cluster ${elsewhere.cluster}${owner && servers.get(owner) ? ` (${owner.cluster}'s is ${servers.get(owner)})` : ""}: istiod registers ${elsewhere.cluster}'s services and endpoints as cluster ${key}'s and never reads ${key}`;
  }
  return undefined;
}
