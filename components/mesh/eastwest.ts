/**
 * The ambient east-west gateway of one cluster: what `gen-eastwest-gateway.sh --network <n>
 * --ambient` prints (istio/istio@1.30.3 samples/multicluster). istiod deploys it (class
 * `istio-east-west`) as a LoadBalancer Service that the other networks must reach on 15008; it
 * carries HBONE ("double HBONE") between networks, terminating the outer mTLS with mesh identities.
 */
import { Manifest, appLabels } from "../k8s/apply";
import { ClusterSpec } from "../../infra/schema";

export const eastWestGatewayName = "istio-eastwestgateway";

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
    },
    spec: {
      gatewayClassName: "istio-east-west",
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
