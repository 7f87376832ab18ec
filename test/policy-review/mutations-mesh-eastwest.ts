/** Policy-review mutations of the Service Istio deploys for a cluster's east-west gateway, as its options ConfigMap patches it (mesh-multicluster-wiring). */
import * as yaml from "js-yaml";
import type { ExportedDeployment, ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, resources, isKind, edit, withSpec, addLike } from "./mutations-support";

const eastWest = (r: ExportedResource) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "istio-east-west";

/**
 * Adds `ports` to the `service` overlay of the first east-west gateway's options ConfigMap (its
 * parametersRef, on its cluster), giving it one where it has none; returns the ConfigMap's URN.
 */
function patchEastWestPorts(doc: ExportedDeployment, ports: unknown[]): string | undefined {
  const gw = resources(doc).find(eastWest);
  if (!gw) return undefined;
  const ref = withSpec(gw).infrastructure?.parametersRef;
  const own = ref && resources(doc).find((r) => isKind(r, "ConfigMap") && r.provider === gw.provider && (r.inputs as any)?.metadata?.name === ref.name);
  const addPorts = (o: any) => {
    const overlay = (yaml.load(o.data?.service ?? "") ?? {}) as any;
    overlay.spec = { ...overlay.spec, ports: [...(overlay.spec?.ports ?? []), ...ports] };
    o.data = { ...o.data, service: yaml.dump(overlay) };
  };
  if (own) return edit(own, addPorts);
  const { namespace } = (gw.inputs as any).metadata;
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "istio-eastwestgateway-options", namespace }, data: {} };
  addPorts(cm);
  edit(gw, (o) => (o.spec.infrastructure = { parametersRef: { group: "", kind: "ConfigMap", name: cm.metadata.name } }));
  return addLike(doc, gw, "options", "kubernetes:core/v1:ConfigMap", cm);
}

export const meshEastWestMutations: Mutation[] = [
  {
    // Istio 1.30.3 deploymentcontroller.go applyOverlay: a strategic merge patch, Service ports merged by `port`.
    name: "a cluster's east-west gateway options overlay re-targeting Service port 15008 to 15009",
    policy: "mesh-multicluster-wiring",
    apply: (doc) => patchEastWestPorts(doc, [{ port: 15008, targetPort: 15009 }]),
  },
];
