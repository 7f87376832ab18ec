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

/** The AWS cloud provider's load balancer type annotation (cloud-provider-aws, pkg/providers/v1/aws.go). */
export const awsLoadBalancerTypeAnnotation = "service.beta.kubernetes.io/aws-load-balancer-type";

/**
 * The Service patch asking EKS's AWS cloud provider for a Network Load Balancer (instance targets
 * on the node ports, internet-facing unless `…-aws-load-balancer-internal` is set) rather than
 * the Classic ELB it makes for an unannotated LoadBalancer Service; undefined off AWS.
 */
export function awsNlbServicePatch(cluster: ClusterSpec): { metadata: { annotations: Record<string, string> } } | undefined {
  return cluster.cloud === "aws" ? { metadata: { annotations: { [awsLoadBalancerTypeAnnotation]: "nlb" } } } : undefined;
}

/**
 * What the east-west gateway's Service needs beyond Istio's default, per platform (undefined:
 * nothing). Istio applies the options ConfigMap's `service` to the Service it generates as a
 * strategic merge patch.
 *
 * - k3s ServiceLB binds every LoadBalancer port as a host port of the node: the inference
 *   gateway's Service and this one would both ask for Istio's status port 15021, and the second
 *   would never get an address. The east-west gateway drops it (nothing probes it through ServiceLB).
 * - EKS (no AWS Load Balancer Controller installed): the AWS cloud provider makes a Classic ELB for
 *   a LoadBalancer Service unless it is annotated `nlb`. An NLB forwards the HBONE connections at
 *   L4, internet-facing (the provider's default scheme; the other networks reach it over the
 *   internet). Its status is a DNS name, which istiod hands to the other clusters as a hostname
 *   network gateway and their ztunnels resolve (README, "The mesh").
 */
export function eastWestServicePatch(cluster: ClusterSpec): object | undefined {
  if (usesK3sServiceLb(cluster)) return { spec: { ports: [{ port: istioGatewayStatusPort, $patch: "delete" }] } };
  return awsNlbServicePatch(cluster);
}

export function eastWestOptionsManifest(cluster: ClusterSpec, istioVersion: string): Manifest | undefined {
  const patch = eastWestServicePatch(cluster);
  if (!patch) return undefined;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: eastWestOptionsName,
      namespace: "istio-system",
      labels: appLabels({ name: eastWestGatewayName, instance: `${cluster.name}-${eastWestGatewayName}`, version: istioVersion, component: "east-west-gateway" }),
    },
    data: { service: yaml.dump(patch) },
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
      ...(eastWestServicePatch(cluster) ? { infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: eastWestOptionsName } } } : {}),
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
