/**
 * The inference gateway of one cluster: a Gateway of class `istio` (Istio deploys
 * `inference-gateway-istio`) with an HTTPS listener for clients outside the mesh, and an HTTP
 * listener bound to the gateway's in-cluster host for in-mesh callers (ztunnel already carries
 * that hop over mTLS, and authorization decides who may use it).
 */
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import type { ClusterSpec, GatewaySpec } from "../../infra/schema";
import { Manifest, appLabels } from "../k8s/apply";
import { selfSignedTlsSecret } from "../k8s/tls-secret";
import { gatewayClusterHost, gatewayName, inferenceNamespace, ports } from "./names";
import { awsNlbServicePatch, programmedWaitFor } from "../mesh/eastwest";

/**
 * Secret holding the listener certificate when the stack asks for a self-signed one. Never a name
 * the user's own Secret takes (config validation refuses it as `tls.secretName`): pulumi-kubernetes
 * deletes a removed object by name, so leaving `selfSigned` would delete the user's Secret.
 */
export const selfSignedSecretName = `${gatewayName}-self-signed`;

/** Name of the certificate Secret the HTTPS listener uses, or undefined without TLS. */
export function certificateSecretName(spec: GatewaySpec): string | undefined {
  if (spec.tls.mode === "secret") return spec.tls.secretName;
  if (spec.tls.mode === "selfSigned") return selfSignedSecretName;
  return undefined;
}

const labels = appLabels({ name: gatewayName, instance: gatewayName, component: "inference-gateway" });

export function gatewayListeners(spec: GatewaySpec): Record<string, unknown>[] {
  const secret = certificateSecretName(spec);
  const sameNamespace = { namespaces: { from: "Same" } };
  const mesh = { name: "http-mesh", hostname: gatewayClusterHost, port: ports.http, protocol: "HTTP", allowedRoutes: sameNamespace };
  if (!secret) return [{ name: "http", hostname: spec.hostname, port: ports.http, protocol: "HTTP", allowedRoutes: sameNamespace }, mesh];
  return [
    {
      name: "https",
      hostname: spec.hostname,
      port: ports.https,
      protocol: "HTTPS",
      tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: secret }] },
      allowedRoutes: sameNamespace,
    },
    mesh,
  ];
}

export const gatewayOptionsName = `${gatewayName}-options`;

/**
 * The gateway's Service keeps the client's source address (`externalTrafficPolicy: Local`; Istio
 * applies the ConfigMap's `service` as a strategic merge patch to the Service it generates). With
 * the default `Cluster`, kube-proxy rewrites load-balancer traffic to the receiving node's
 * address, which NetworkPolicy implementations always admit to that node's pods: outside clients
 * would pass the NetworkPolicy that keeps the in-mesh listener to the agents.
 *
 * On EKS the patch also annotates the Service for a Network Load Balancer, as the east-west
 * gateway's ({@link awsNlbServicePatch}): the program installs no AWS Load Balancer Controller, and
 * the AWS cloud provider would otherwise make a Classic ELB. With `externalTrafficPolicy: Local`
 * the provider health-checks the NLB's targets on the Service's `healthCheckNodePort` over HTTP
 * (cloud-provider-aws v1.33.4 `pkg/providers/v1/aws.go`), so only nodes running a gateway pod
 * receive traffic. Istio 1.30.3 strategic-merges the `service` overlay into the Service it
 * renders, annotations included (`gatewaycommon/deploymentcontroller.go` `applyOverlay`).
 */
export function gatewayOptionsManifest(cluster: ClusterSpec): Manifest {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: gatewayOptionsName, namespace: inferenceNamespace, labels },
    data: { service: yaml.dump({ ...awsNlbServicePatch(cluster), spec: { externalTrafficPolicy: "Local" } }) },
  };
}

export function gatewayManifest(spec: GatewaySpec, cluster: ClusterSpec): Manifest {
  const annotations = programmedWaitFor(cluster);
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: gatewayName, namespace: inferenceNamespace, labels, ...(annotations ? { annotations } : {}) },
    spec: {
      gatewayClassName: "istio",
      infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: gatewayOptionsName } },
      listeners: gatewayListeners(spec),
    },
  };
}

/** A self-signed certificate for the listener hostname (`tls.mode: selfSigned`, local stacks). */
export function selfSignedCertificateSecret(cluster: string, hostname: string, parent: pulumi.Resource): Manifest {
  return selfSignedTlsSecret(
    { logicalName: `${cluster}-inference-gateway`, dnsNames: [hostname], secretName: selfSignedSecretName, namespace: inferenceNamespace, labels },
    parent,
  );
}
