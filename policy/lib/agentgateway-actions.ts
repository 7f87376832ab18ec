import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta } from "./k8s";
import { probe } from "./values";

/**
 * The authorization blocks of an AgentgatewayPolicy and the actions agentgateway v1.4.1's CRD
 * takes there (an enum, matched exactly): the API server refuses a policy with any other action
 * (`allow`, `ALLOW`), so neither its grants nor its restrictions ever apply.
 */
const AUTHORIZATIONS = ["traffic.authorization", "backend.mcp.authorization", "frontend.networkAuthorization"] as const;
const ACTIONS = ["Allow", "Deny", "Require"];

/** One message per authorization block of `r` whose action the API server refuses (unset is Allow). */
export function refusedAgentgatewayActions(r: PolicyResource): string[] {
  if (!isKind(r.type, "agentgateway.dev", "AgentgatewayPolicy")) return [];
  const out: string[] = [];
  for (const path of AUTHORIZATIONS) {
    // Values not known in this preview are judged by the next run.
    const read = probe(() => path.split(".").reduce<any>((v, key) => (v && typeof v === "object" ? v[key] : undefined), r.props.spec)?.action);
    if (!read.known || read.value === undefined || read.value === null) continue;
    if (typeof read.value === "string" && ACTIONS.includes(read.value)) continue;
    const { namespace, name } = meta(r.props);
    out.push(
      `AgentgatewayPolicy ${namespace}/${name} sets ${path}.action ${JSON.stringify(read.value)}, which is not an action agentgateway knows (Allow, Deny or Require, capitalised so): the API server refuses the policy, so the authorization it declares never applies`,
    );
  }
  return out;
}
