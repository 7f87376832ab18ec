import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { createHash } from "crypto";
import { byCluster, helmChartName, isHelmInstall, meta, T } from "../lib/k8s";
import { orUnknown, probe } from "../lib/values";

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
    const meshClusters = [...byCluster(args.resources)].filter(([, rs]) => rs.some((r) => isHelmInstall(r.type) && orUnknown(() => helmChartName(r.props), undefined) === "istiod"));
    if (meshClusters.length < 2) return;
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
  },
};
