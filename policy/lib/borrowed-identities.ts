/**
 * The fleet trusts two proxy identities as gateways: the agent gateway's (every agent admits it;
 * JWTs and routes apply there) and the MCP gateway's (every tool admits it; per-tool authorization
 * applies there). A mesh identity is a ServiceAccount, so any other pod running under one of them
 * is admitted as that gateway, past what the gateway checks: a workload of the stack with that
 * `serviceAccountName`, or another agentgateway Gateway whose AgentgatewayParameters overlay sets
 * it (agentgateway v1.4.1 takes the proxy's identity from the pod's spec.serviceAccountName:
 * controller/pkg/helm/agentgateway/templates/_helpers.tpl, fieldPath spec.serviceAccountName; the
 * `deployment`/`daemonSet` overlays are strategic merge patches of the pod template), its own or
 * its class's, which apply to every Gateway of the class (agentgateway-params.ts), or a Gateway
 * of Istio's whose gateway.istio.io/service-account annotation names it (Istio 1.30.3
 * gatewaycommon/deploymentcontroller.go runs the proxy under that account).
 */
import type { PolicyResource } from "@pulumi/policy";
import { isWorkload, kindName, meta } from "./k8s";
import { gatewayResource, isGateway } from "./gateways";
import { layeredServiceAccount, parameterLayers } from "./agentgateway-params";
import { gatewayProxies, gatewayProxiesSharing } from "./gateway-proxies";
import { agentgatewayProxyName } from "./authz-targets";
import { orUnknown, probe } from "./values";
import { workloadIdentity, type Config } from "./call-graph";

/** The gateway identities the fleet trusts, each with what it is, for messages. */
function trustedGatewayIdentities(resources: PolicyResource[], config: Config): Map<string, string> {
  const out = new Map<string, string>([[config.agentGateway, "the agent gateway's proxy identity: every agent admits it"]]);
  for (const p of gatewayProxies(resources).values()) {
    if (p.namespace === config.toolsNamespace && p.byAgentgateway) out.set(p.identity, "the MCP gateway's proxy identity: every tool admits it");
  }
  return out;
}

/** Reports workloads and other Gateways' proxies that run under a gateway identity the fleet trusts. */
export function reportBorrowedGatewayIdentities(resources: PolicyResource[], config: Config, cluster: string, report: (message: string, urn?: string) => void, pending: string[]): void {
  const trusted = trustedGatewayIdentities(resources, config);
  const proxies = gatewayProxies(resources);
  const fix = "which skips what that gateway checks; give it a ServiceAccount of its own";
  for (const r of resources.filter((x) => isWorkload(x.type))) {
    const id = probe(() => workloadIdentity(r));
    if (!id.known) {
      pending.push(`the ServiceAccount of ${kindName(r.type)} ${r.name} on cluster ${cluster}`);
      continue;
    }
    const what = trusted.get(id.value);
    if (what) report(`${kindName(r.type)} ${meta(r.props).namespace}/${meta(r.props).name} on cluster ${cluster} runs as ${id.value}, ${what} as that gateway, ${fix}`, r.urn);
  }
  for (const gw of resources.filter((x) => isGateway(x.type))) {
    const layers = parameterLayers(gw, resources);
    const read = layers.known
      ? probe(() => {
          const { namespace, name } = meta(gw.props);
          const set = layeredServiceAccount(layers.value);
          const id = set && `${namespace}/${set.sa}`;
          // The Gateway holding the identity (its own overlay may name it) borrows nothing.
          const holder = id ? proxies.get(id) : undefined;
          const holds = holder?.namespace === namespace && holder.name === name;
          return id && id !== `${namespace}/${agentgatewayProxyName(name)}` && !holds && trusted.has(id) ? { namespace, name, id, from: set!.from, what: trusted.get(id)! } : undefined;
        })
      : layers;
    if (!read.known) pending.push(`the parameters of Gateway ${gw.name} on cluster ${cluster}, which may run its proxy under a trusted gateway identity`);
    else if (read.value) {
      const v = read.value;
      report(`Gateway ${v.namespace}/${v.name} on cluster ${cluster} runs its proxy as ${v.id} (${v.from} sets the pods' serviceAccountName), ${v.what} as that gateway, ${fix}`, gw.urn);
    }
  }
  // Other controllers' Gateways sharing the account (Istio's gateway.istio.io/service-account
  // annotation, or a `<name>-<class>` that happens to be it), past the Gateway holding it.
  for (const [id, sharers] of gatewayProxiesSharing(resources)) {
    const what = trusted.get(id);
    if (!what) continue;
    for (const p of sharers.slice(1).filter((x) => !x.byAgentgateway)) {
      const gw = gatewayResource(resources, p.namespace, p.name);
      const annotated = orUnknown(() => !!meta(gw!.props).annotations?.["gateway.istio.io/service-account"], false);
      const how = annotated ? "its gateway.istio.io/service-account annotation names it" : `its controller names the proxy's account so for class ${p.gatewayClassName}`;
      report(`Gateway ${p.namespace}/${p.name} on cluster ${cluster} runs its proxy as ${id} (${how}), ${what} as that gateway, ${fix}`, gw?.urn);
    }
  }
}
