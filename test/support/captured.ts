/** Captured resources (as the render records them) built from plain Kubernetes objects, for topology tests. */
import type { CapturedResource } from "../../scripts/lib/engine";

/** A Kubernetes object on cluster `cluster`'s provider, named as the program names it. */
export function capturedObject(cluster: string, obj: any): CapturedResource {
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["core", obj.apiVersion];
  const type = `kubernetes:${group}/${version}:${obj.kind}`;
  return {
    urn: `urn:pulumi:prod::inference-mesh::${type}::${cluster}-${obj.metadata.namespace ?? ""}-${obj.kind.toLowerCase()}-${obj.metadata.name}`,
    custom: true, id: obj.metadata.name, type, inputs: obj, outputs: obj,
    provider: `urn:pulumi:prod::inference-mesh::pulumi:providers:kubernetes::${cluster}-k8s::pid`,
    dependencies: [], propertyDependencies: {},
  };
}
