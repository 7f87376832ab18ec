import type { StackValidationPolicy } from "@pulumi/policy";
import { byCluster, clusters, isPeerAuthentication, meta } from "../lib/k8s";
import { configWithDefaults, orUnknown } from "../lib/values";

interface Config {
  /** Istio's root namespace, where a PeerAuthentication named `default` applies mesh-wide. */
  rootNamespace: string;
}
const defaults: Config = { rootNamespace: "istio-system" };

/**
 * Every cluster carries the mesh-wide `default` PeerAuthentication in Istio's root namespace with
 * mode STRICT; without it ztunnel and the waypoints accept plaintext from anything in the cluster.
 */
export const meshMtlsStrict: StackValidationPolicy = {
  name: "mesh-mtls-strict",
  description:
    "Every cluster has a mesh-wide PeerAuthentication `default` in istio-system with mtls.mode STRICT, so no workload accepts plaintext or unauthenticated traffic.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      rootNamespace: { type: "string", default: defaults.rootNamespace, description: "Istio's root namespace (meshConfig.rootNamespace)." },
    },
  },
  validateStack: (args, report) => {
    const { rootNamespace } = configWithDefaults(args, defaults);
    const perCluster = byCluster(args.resources);
    for (const cluster of clusters(args.resources)) {
      const meshWide = (perCluster.get(cluster.name) ?? []).filter((r) => {
        if (!isPeerAuthentication(r.type)) return false;
        const m = meta(r.props);
        return m.name === "default" && m.namespace === rootNamespace;
      });
      if (meshWide.length === 0) {
        report(`cluster ${cluster.name} has no PeerAuthentication ${rootNamespace}/default: set spec.mtls.mode STRICT mesh-wide`, cluster.urn);
        continue;
      }
      for (const pa of meshWide) {
        const mode = orUnknown(() => pa.props.spec?.mtls?.mode as string | undefined, "STRICT");
        const hasSelector = orUnknown(() => !!pa.props.spec?.selector, false);
        if (mode !== "STRICT") report(`cluster ${cluster.name}: mesh-wide PeerAuthentication mode is ${mode ?? "unset"}, not STRICT`, pa.urn);
        if (hasSelector) report(`cluster ${cluster.name}: mesh-wide PeerAuthentication has a selector, so it is not mesh-wide`, pa.urn);
      }
    }
  },
};
