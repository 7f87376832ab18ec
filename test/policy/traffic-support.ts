/** Fixtures shared by the traffic-*.test.ts policy tests. */
import { k8sProvider, stackResource } from "../support/policy";
import { clusterInferenceManifests } from "../../components/inference";
import { spec } from "../inference/support";

export const on = (type: string, name: string, props: Record<string, unknown>, cluster = "a") => stackResource({ type, name: `${cluster}-${name}`, props, provider: k8sProvider(cluster) });

export const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";

export const https = { name: "https", port: 443, protocol: "HTTPS", hostname: "inference.example.com", tls: { mode: "Terminate", certificateRefs: [{ name: "tls" }] } };

/** A Gateway in namespace `inference` of class `gatewayClassName`, with `extra` metadata and spec merged in. */
export const gateway = (name: string, gatewayClassName: string, listeners: unknown[], extra: Record<string, unknown> = {}) =>
  on(GW, `gw-${name}`, { metadata: { name, namespace: "inference", ...((extra.metadata as object) ?? {}) }, spec: { gatewayClassName, listeners, ...((extra.spec as object) ?? {}) } });

export const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";

/** A manifest object as the inference component renders it. */
export type InferenceObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

/** prod's aws-use1 inference objects (edited by `edit`, on a deep copy) as stack resources of cluster "a". */
export function prodInference(edit: (objects: InferenceObject[]) => void = () => {}) {
  const objects = JSON.parse(JSON.stringify(clusterInferenceManifests(spec("prod"), "aws-use1"))) as InferenceObject[];
  edit(objects);
  return objects.map((o) => {
    const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["core", o.apiVersion];
    return on(`kubernetes:${group}/${version}:${o.kind}`, `${o.kind}-${o.metadata.name}`, o);
  });
}
