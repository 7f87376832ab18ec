/**
 * Mutations of how a Gateway's Service reaches past the cluster, as Istio 1.30.3 builds it
 * (gatewaycommon/deploymentcontroller.go): the `service` overlay of the Gateway's parametersRef
 * ConfigMap patches the Service after the networking.istio.io/service-type annotation is read.
 */
import { Mutation, resources, isKind, edit, gatewayOptions } from "./mutations-support";

export const exposureMutations: Mutation[] = [
  {
    name: "the inference gateway annotated ClusterIP while its options patch the Service to a LoadBalancer, with a plaintext listener added",
    policy: "gateway-listeners-tls",
    apply: (doc) => {
      const options = resources(doc).find(gatewayOptions);
      const gw = resources(doc).find((r) => isKind(r, "Gateway") && r.provider === options?.provider && (r.inputs as any)?.spec?.infrastructure?.parametersRef?.name === (options?.inputs as any)?.metadata?.name);
      if (!options || !gw) return undefined;
      edit(options, (o) => (o.data.service = "spec:\n  type: LoadBalancer\n  externalTrafficPolicy: Local\n"));
      return edit(gw, (o) => {
        o.metadata.annotations = { ...o.metadata.annotations, "networking.istio.io/service-type": "ClusterIP" };
        o.spec.listeners.push({ name: "http-alt", port: 8080, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } });
      });
    },
  },
];
