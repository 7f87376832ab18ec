import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { actionOf, AuthzSpec, gatewayProxyIdentities, parsePrincipal, targetRefsOf } from "../lib/authz";
import { byCluster, isAuthorizationPolicy, isGateway, meta } from "../lib/k8s";
import { configWithDefaults, list, probe } from "../lib/values";

interface Config {
  /** Namespace of the agents and of the gateway in front of them. */
  agentsNamespace: string;
  /** Namespace of the MCP tool services. */
  toolsNamespace: string;
  /** Further `namespace/serviceAccount` callers allowed per target namespace (e.g. a batch job calling tools). */
  extraCallers: Record<string, string[]>;
  /** Istio's root namespace: its policies apply in every namespace, the agents' and tools' included. */
  rootNamespace: string;
}
const defaults: Config = { agentsNamespace: "agents", toolsNamespace: "tools", extraCallers: {}, rootNamespace: "istio-system" };

/** Why `caller` may not be admitted into `namespace`, or undefined when the call graph allows it. */
function disallowed(namespace: string, caller: string, config: Config, proxies: Set<string>): string | undefined {
  if (list(config.extraCallers[namespace]).includes(caller)) return undefined;
  const callerNamespace = caller.split("/")[0];
  if (namespace === config.agentsNamespace) {
    if (callerNamespace === config.agentsNamespace && proxies.has(caller)) return undefined;
    return "only the agent gateway may call agents";
  }
  if (namespace === config.toolsNamespace) {
    if (callerNamespace === config.toolsNamespace && proxies.has(caller)) return undefined; // the tools' own waypoint and MCP gateway
    if (callerNamespace === config.agentsNamespace && !proxies.has(caller)) return undefined;
    return proxies.has(caller) ? "only agents may call tools (the agent gateway is not an agent)" : "only agents may call tools";
  }
  return undefined;
}

/**
 * Whether every target of the policy is an ingress Gateway: its callers are ingress clients, not
 * mesh peers. A policy bound to a waypoint is enforced for the workloads behind it, so it counts.
 */
function targetsIngressGatewaysOnly(spec: AuthzSpec, namespace: string, resources: PolicyResource[]): boolean {
  const refs = targetRefsOf(spec);
  const classOf = (name: string) =>
    resources.find((r) => isGateway(r.type) && meta(r.props).namespace === namespace && meta(r.props).name === name)?.props.spec?.gatewayClassName as string | undefined;
  return refs.length > 0 && refs.every((ref) => ref.kind === "Gateway" && classOf(ref.name) !== "istio-waypoint");
}

function checkCluster(resources: PolicyResource[], config: Config, report: (message: string, urn?: string) => void): void {
  const proxies = gatewayProxyIdentities(resources);
  for (const r of resources.filter((x) => isAuthorizationPolicy(x.type))) {
    const { namespace, name } = meta(r.props);
    // A root-namespace policy binds workloads in every namespace (ALLOW policies add up), so it
    // is judged as if it sat in the agents' and the tools' namespaces.
    const applies = namespace === config.rootNamespace ? [config.agentsNamespace, config.toolsNamespace] : [namespace];
    if (!applies.includes(config.agentsNamespace) && !applies.includes(config.toolsNamespace)) continue;
    const read = probe(() => JSON.parse(JSON.stringify(r.props.spec ?? {})) as AuthzSpec);
    if (!read.known || actionOf(read.value) !== "ALLOW" || targetsIngressGatewaysOnly(read.value, namespace, resources)) continue;
    for (const rule of list(read.value.rules)) {
      for (const from of list(rule.from)) {
        // Callers as `namespace/serviceAccount`: from principals, and Istio 1.30's serviceAccounts
        // (a bare name is in the policy's namespace).
        const callers = [
          ...list(from.source?.principals).flatMap((p) => {
            const parsed = parsePrincipal(p);
            return parsed ? [{ shown: p, id: `${parsed.namespace}/${parsed.serviceAccount}` }] : []; // malformed or wildcard: other policies' findings
          }),
          ...list(from.source?.serviceAccounts)
            .filter((sa) => sa !== "*")
            .map((sa) => ({ shown: `serviceAccount ${sa}`, id: sa.includes("/") ? sa : `${namespace}/${sa}` })),
        ];
        for (const caller of callers) {
          for (const target of applies) {
            const why = disallowed(target, caller.id, config, proxies);
            const where = target === namespace ? "" : ` (policies in ${config.rootNamespace} apply in ${target} too)`;
            if (why) report(`AuthorizationPolicy ${namespace}/${name} admits ${caller.shown}${where}: ${why}`, r.urn);
          }
        }
      }
    }
  }
}

/**
 * The agent fleet's trust boundary: clients reach agents only through the agent gateway (where
 * JWTs, routes and rate limits apply), and only agents reach the MCP tools. An ALLOW rule that
 * lets anything else in bypasses the gateway or hands tools to workloads that were never meant
 * to use them.
 */
export const agentCallGraph: StackValidationPolicy = {
  name: "agent-call-graph",
  description:
    "AuthorizationPolicies keep the agent fleet's call graph: workloads in the agents namespace admit only the agent gateway's proxy, and the tools namespace admits only agents (plus its own waypoint and MCP gateway proxies).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      agentsNamespace: { type: "string", default: defaults.agentsNamespace, description: "Namespace of the agents and their gateway." },
      toolsNamespace: { type: "string", default: defaults.toolsNamespace, description: "Namespace of the MCP tool services." },
      extraCallers: {
        type: "object",
        additionalProperties: { type: "array", items: { type: "string" } },
        default: defaults.extraCallers,
        description: "Extra `namespace/serviceAccount` callers allowed per target namespace.",
      },
      rootNamespace: { type: "string", default: defaults.rootNamespace, description: "Istio's root namespace, whose policies apply in every namespace." },
    },
  },
  validateStack: (args, report) => {
    const config = configWithDefaults(args, defaults);
    for (const [, resources] of byCluster(args.resources)) checkCluster(resources, config, report);
  },
};
