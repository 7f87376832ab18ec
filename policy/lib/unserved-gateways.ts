/**
 * Gateways of Istio's waypoint, east-west and agentgateway classes that the istiod owning them
 * does not register (lib/istio-classes.ts unservedIstioGateway), per cluster
 * (mesh-multicluster-wiring): nothing deploys them, so they are reported themselves, not only
 * through a principal naming their proxy.
 */
import type { PolicyResource } from "@pulumi/policy";
import { meta } from "./k8s";
import { isGateway } from "./gateways";
import { orUnknown, probe } from "./values";
import { isAmbientIstiod } from "./istio";
import { istiodRevision } from "./istiod-revisions";
import { unservedIstioGateway } from "./istio-classes";

export interface UnservedFinding {
  message: string;
  urn: string;
  /** An east-west gateway whose owners all run ambient: checkMultiNetwork already names their missing flag in a multi-cluster mesh. */
  eastWestOfAmbient: boolean;
}

/** The Gateways of one cluster no owning istiod deploys, and the ones this run cannot decide (into `unknowns`). */
export function unservedGateways(cluster: string, resources: PolicyResource[], unknowns: string[]): UnservedFinding[] {
  const out: UnservedFinding[] = [];
  for (const gw of resources.filter((r) => isGateway(r.type))) {
    const found = probe(() => unservedIstioGateway(gw, resources));
    const label = orUnknown(() => `${meta(gw.props).namespace}/${meta(gw.props).name}`, gw.name);
    if (!found.known) {
      unknowns.push(`whether Gateway ${label} on cluster ${cluster} is of a class its istiod registers (its class, istio.io/rev or that istiod's env)`);
      continue;
    }
    const u = found.value;
    if (!u) continue;
    // istiod rendered as objects stands in once per object it is read from: one name each.
    const owners = [...new Set(u.owners.map((o) => `${o.name} (revision ${istiodRevision(o.props.values)})`))].join(", ");
    out.push({
      message: `cluster ${cluster}: Gateway ${label} of class ${gw.props.spec?.gatewayClassName} (Istio's ${u.kind} kind) is owned by istiod release ${owners}, whose env does not register that class: Istio 1.30.3 registers it only with ${u.needs} (pilot/pkg/config/kube/gatewaycommon/classinfo.go), and its deployment controller skips a Gateway of a class it does not register, so no proxy, Service or address is ever made for it; set that env on the istiod, or drop the Gateway`,
      urn: gw.urn,
      eastWestOfAmbient: u.kind === "east-west" && u.owners.every((o) => probe(() => isAmbientIstiod(o.props.values)).known && isAmbientIstiod(o.props.values)),
    });
  }
  return out;
}
