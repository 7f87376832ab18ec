/**
 * The ambient east-west gateway of one cluster: what `gen-eastwest-gateway.sh --network <n>
 * --ambient` prints (istio/istio@1.30.3 samples/multicluster). istiod deploys it (class
 * `istio-east-west`) as a LoadBalancer Service that the other networks must reach on 15008; it
 * carries HBONE ("double HBONE") between networks, terminating the outer mTLS with mesh identities.
 */
import * as yaml from "js-yaml";
import { Manifest, appLabels } from "../k8s/apply";
import { ClusterSpec } from "../../infra/schema";
import { istioGatewayStatusPort, loadBalancerAddressExpected, usesK3sServiceLb } from "../../infra/gateway-ports";

export const eastWestGatewayName = "istio-eastwestgateway";

/**
 * Pulumi waits until Istio has given a LoadBalancer Gateway its address (Programmed), so a gateway
 * that never gets one fails the update instead of passing it; only where an address can come.
 */
export function programmedWaitFor(cluster: ClusterSpec): Record<string, string> | undefined {
  return loadBalancerAddressExpected(cluster) ? { "pulumi.com/waitFor": "condition=Programmed" } : undefined;
}

export const eastWestOptionsName = `${eastWestGatewayName}-options`;

/**
 * On k3s ServiceLB, every LoadBalancer port is a host port of the node: the inference gateway's
 * Service and this one would both ask for Istio's status port 15021, and the second would never
 * get an address. The east-west gateway drops it (nothing probes it through ServiceLB): Istio
 * applies the ConfigMap's `service` as a strategic merge patch to the Service it generates.
 */
export function eastWestOptionsManifest(cluster: ClusterSpec, istioVersion: string): Manifest | undefined {
  if (!usesK3sServiceLb(cluster)) return undefined;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: eastWestOptionsName,
      namespace: "istio-system",
      labels: appLabels({ name: eastWestGatewayName, instance: `${cluster.name}-${eastWestGatewayName}`, version: istioVersion, component: "east-west-gateway" }),
    },
    data: { service: yaml.dump({ spec: { ports: [{ port: istioGatewayStatusPort, $patch: "delete" }] } }) },
  };
}

export function eastWestGatewayManifest(cluster: ClusterSpec, istioVersion: string): Manifest {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: {
      name: eastWestGatewayName,
      namespace: "istio-system",
      labels: {
        ...appLabels({ name: eastWestGatewayName, instance: `${cluster.name}-${eastWestGatewayName}`, version: istioVersion, component: "east-west-gateway" }),
        "topology.istio.io/network": cluster.network,
      },
      ...(programmedWaitFor(cluster) ? { annotations: programmedWaitFor(cluster) } : {}),
    },
    spec: {
      gatewayClassName: "istio-east-west",
      ...(usesK3sServiceLb(cluster) ? { infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: eastWestOptionsName } } } : {}),
      listeners: [
        {
          name: "mesh",
          port: 15008,
          protocol: "HBONE",
          tls: { mode: "Terminate", options: { "gateway.istio.io/tls-terminate-mode": "ISTIO_MUTUAL" } },
        },
      ],
    },
  };
}
