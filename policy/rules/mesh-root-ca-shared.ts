import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, helmChartName, isHelmInstall, meta, T } from "../lib/k8s";
import { istiodNamespaces } from "../lib/istio";
import { withRenderedIstio } from "../lib/istio-rendered";
import { cacertsFiles, cacertsProblems, rootFingerprint } from "../lib/cacerts";
import { orUnknown, someTri, Tri } from "../lib/values";

const rootHashAnnotation = "inference-mesh.io/root-cert-sha256";

/**
 * sha256 of the DER of the root istiod reads from cacerts when its files are readable, else (the
 * Secret encrypted in the state under review, or not known yet) the hash the trust component
 * annotates. Readable files without a root have none: their problems are reported instead.
 */
function rootOf(secret: PolicyResource): string | undefined {
  const files = cacertsFiles(secret);
  if (files) return rootFingerprint(files);
  return orUnknown(() => meta(secret.props).annotations[rootHashAnnotation]?.toLowerCase(), undefined);
}

const cacertsIn = (resources: PolicyResource[], namespace: string) =>
  resources.find((r) => r.type === T.secret && orUnknown(() => meta(r.props).name === "cacerts" && meta(r.props).namespace === namespace, false));

/**
 * Workloads in different clusters authenticate each other only if their certificates chain to
 * the same root: a cluster with its own root (or istiod's self-signed one) is cut off from the mesh.
 */
export const meshRootCaShared: StackValidationPolicy = {
  name: "mesh-root-ca-shared",
  description:
    "A cacerts bundle istiod reads is one it loads (where the Secret's content is readable: all of ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem or tls.crt, tls.key, ca.crt; the CA certificate signed by that root, directly or through the chain, matching its key, and held in cert-chain.pem), or istiod does not start. In a multi-cluster mesh every cluster plugs in a cacerts Secret in the namespace of each of its istiods (the Helm release namespace; one naming none installs into its provider's default namespace: the Provider's namespace, else its inline kubeconfig context's, else default), the one istiod mounts, and all of them carry the same root-cert.pem, so certificates from any cluster verify everywhere.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const roots = new Map<string, string[]>();
    const clusters = [...byCluster(args.resources)].map(([cluster, objects]) => [cluster, withRenderedIstio(objects)] as const);
    const runsIstiod = (rs: PolicyResource[]): Tri => someTri(rs.filter((r) => isHelmInstall(r.type)), (r) => helmChartName(r.props) === "istiod");
    const meshClusters = clusters.filter(([, rs]) => runsIstiod(rs) === true);
    // A cluster whose charts are not known yet may run an istiod too: with it the stack may be a
    // multi-cluster mesh (before, such a cluster was taken to have none).
    const maybe = clusters.filter(([, rs]) => runsIstiod(rs) === "unknown").map(([c]) => c);
    if (meshClusters.length < 2) {
      // One cluster may let istiod mint its root, but a bundle it plugs in must still load.
      for (const [cluster, resources] of meshClusters) {
        for (const namespace of istiodNamespaces(resources) ?? []) {
          const cacerts = cacertsIn(resources, namespace);
          const files = cacerts && cacertsFiles(cacerts);
          for (const problem of files ? cacertsProblems(files, false) : []) report(`cluster ${cluster}: ${namespace}/cacerts ${problem}`, cacerts!.urn);
        }
      }
      if (meshClusters.length + maybe.length >= 2) cannotJudge(maybe.map((c) => `the Helm charts of cluster ${c} (whether it runs an istiod of the mesh)`));
      return;
    }
    const pending: string[] = [];
    for (const [cluster, resources] of meshClusters) {
      // istiod mounts cacerts from its own namespace (optional: without it, it mints its own root).
      const namespaces = istiodNamespaces(resources);
      if (!namespaces) {
        pending.push(`the namespace of istiod on cluster ${cluster} (where it reads cacerts)`);
        continue;
      }
      for (const namespace of namespaces) {
        const cacerts = cacertsIn(resources, namespace);
        if (!cacerts) {
          const where = namespace === "istio-system" ? "" : ` (istiod's namespace, whose cacerts it mounts)`;
          report(`cluster ${cluster} has no ${namespace}/cacerts${where}: istiod would mint its own root and the cluster could not talk to the others`);
          continue;
        }
        // What istiod would make of the bundle, when this run can read it (decrypted).
        const files = cacertsFiles(cacerts);
        for (const problem of files ? cacertsProblems(files) : []) report(`cluster ${cluster}: ${namespace}/cacerts ${problem}`, cacerts.urn);
        const root = rootOf(cacerts);
        if (!root) continue; // not readable during this preview, or reported above
        if (!roots.get(root)?.includes(cluster)) roots.set(root, [...(roots.get(root) ?? []), cluster]);
      }
    }
    if (roots.size > 1) {
      report(`clusters use different root CAs: ${[...roots].map(([h, cs]) => `${h.slice(0, 12)}… (${cs.join(", ")})`).join("; ")}`);
    }
    // A cluster that may run an istiod passes only with the mesh's one root; otherwise its verdict waits for its charts.
    const undecided = clusters.filter(([c]) => maybe.includes(c)).filter(([, resources]) => {
      const cacerts = cacertsIn(resources, "istio-system");
      const root = cacerts && rootOf(cacerts);
      return !(root && roots.size === 1 && roots.has(root));
    });
    pending.push(...undecided.map(([c]) => `the Helm charts of cluster ${c} (whether it runs an istiod of the mesh)`));
    if (pending.length > 0) cannotJudge(pending);
  },
};
