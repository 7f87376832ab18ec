import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { createHash } from "crypto";
import { byCluster, cannotJudge, helmChartName, isHelmInstall, meta, T } from "../lib/k8s";
import { orUnknown, probe, someTri, Tri } from "../lib/values";

const rootHashAnnotation = "inference-mesh.io/root-cert-sha256";

/** sha256 of the DER of cacerts' root-cert.pem when readable, else the hash the trust component annotates. */
function rootFingerprint(secret: PolicyResource): string | undefined {
  const pem = probe(() => {
    const s = secret.props.stringData?.["root-cert.pem"];
    if (typeof s === "string") return s;
    const d = secret.props.data?.["root-cert.pem"];
    return typeof d === "string" ? Buffer.from(d, "base64").toString("utf8") : undefined;
  });
  if (pem.known && pem.value) {
    // The certificate's DER, the same fingerprint the trust component annotates.
    const first = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem.value);
    const der = Buffer.from((first ? first[1] : pem.value).replace(/\s+/g, ""), "base64");
    return createHash("sha256").update(der).digest("hex");
  }
  return orUnknown(() => meta(secret.props).annotations[rootHashAnnotation]?.toLowerCase(), undefined);
}

/**
 * Workloads in different clusters authenticate each other only if their certificates chain to
 * the same root: a cluster with its own root (or istiod's self-signed one) is cut off from the mesh.
 */
export const meshRootCaShared: StackValidationPolicy = {
  name: "mesh-root-ca-shared",
  description:
    "In a multi-cluster mesh every cluster plugs in a cacerts Secret (istio-system) and all of them carry the same root-cert.pem, so certificates from any cluster verify everywhere.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const roots = new Map<string, string[]>();
    const clusters = [...byCluster(args.resources)];
    const runsIstiod = (rs: PolicyResource[]): Tri => someTri(rs.filter((r) => isHelmInstall(r.type)), (r) => helmChartName(r.props) === "istiod");
    const meshClusters = clusters.filter(([, rs]) => runsIstiod(rs) === true);
    // A cluster whose charts are not known yet may run an istiod too: with it the stack may be a
    // multi-cluster mesh (before, such a cluster was taken to have none).
    const maybe = clusters.filter(([, rs]) => runsIstiod(rs) === "unknown").map(([c]) => c);
    if (meshClusters.length < 2) {
      if (meshClusters.length + maybe.length >= 2) cannotJudge(maybe.map((c) => `the Helm charts of cluster ${c} (whether it runs an istiod of the mesh)`));
      return;
    }
    for (const [cluster, resources] of meshClusters) {
      const cacerts = resources.find((r) => r.type === T.secret && meta(r.props).name === "cacerts" && meta(r.props).namespace === "istio-system");
      if (!cacerts) {
        report(`cluster ${cluster} has no istio-system/cacerts: istiod would mint its own root and the cluster could not talk to the others`);
        continue;
      }
      const root = rootFingerprint(cacerts);
      if (!root) continue; // not readable during this preview
      roots.set(root, [...(roots.get(root) ?? []), cluster]);
    }
    if (roots.size > 1) {
      report(`clusters use different root CAs: ${[...roots].map(([h, cs]) => `${h.slice(0, 12)}… (${cs.join(", ")})`).join("; ")}`);
    }
    // A cluster that may run an istiod passes only with the mesh's one root; otherwise its verdict waits for its charts.
    const undecided = clusters.filter(([c]) => maybe.includes(c)).filter(([, resources]) => {
      const cacerts = resources.find((r) => r.type === T.secret && meta(r.props).name === "cacerts" && meta(r.props).namespace === "istio-system");
      const root = cacerts && rootFingerprint(cacerts);
      return !(root && roots.size === 1 && roots.has(root));
    });
    if (undecided.length > 0) cannotJudge(undecided.map(([c]) => `the Helm charts of cluster ${c} (whether it runs an istiod of the mesh)`));
  },
};
