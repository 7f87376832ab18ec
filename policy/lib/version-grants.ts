/**
 * The versions of one agent (v1 and its canary) run under ServiceAccounts of their own, and the
 * platform grants each the agent's configured tools: a canary granted a tool its stable version
 * is not (or denied one it has) is no longer the same agent under test, and one of the two uses
 * tools its agent is not configured for. Versions are the workloads of the agents namespace that
 * share `app.kubernetes.io/name` (the agent) under different ServiceAccounts.
 */
import { type Graph, workloadIdentity } from "./call-graph";
import { isWorkload, meta, podMetadata } from "./k8s";
import { orUnknown } from "./values";

const AGENT_LABEL = "app.kubernetes.io/name";

/** Per agent (its `app.kubernetes.io/name`), the `namespace/serviceAccount` identities of its versions; workloads not known yet are left out. */
function agentVersions(g: Graph): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of g.resources.filter((x) => isWorkload(x.type))) {
    const read = orUnknown(() => {
      const namespace = meta(r.props).namespace;
      const agent = podMetadata(r.type, r.props).labels?.[AGENT_LABEL];
      if (namespace !== g.config.agentsNamespace || typeof agent !== "string") return undefined;
      return { agent, id: workloadIdentity(r) };
    }, undefined);
    if (read) out.set(read.agent, new Set([...(out.get(read.agent) ?? []), read.id]));
  }
  return out;
}

/**
 * Reports each tool the mesh admits one version of an agent to and not another (`mesh`: per tool,
 * the agent identities its ALLOW policies admit, with `policy|urn` of the one that does). The MCP
 * gateway's grants are held to the mesh's by the per-tool check, so one layer is enough here.
 */
export function reportVersionGrants(g: Graph, cluster: string, mesh: Map<string, Map<string, string>>, report: (message: string, urn?: string) => void): void {
  for (const [agent, ids] of agentVersions(g)) {
    if (ids.size < 2) continue;
    for (const [tool, admitted] of [...mesh].sort(([a], [b]) => a.localeCompare(b))) {
      const granted = [...ids].filter((id) => admitted.has(id)).sort();
      const missing = [...ids].filter((id) => !admitted.has(id)).sort();
      if (granted.length === 0 || missing.length === 0) continue;
      const [policy, urn] = admitted.get(granted[0])!.split("|");
      report(
        `AuthorizationPolicy ${policy} on cluster ${cluster} admits ${granted.join(", ")} to tool ${tool} but not ${missing.join(", ")}, though they run the same agent, ${agent} (pods labelled ${AGENT_LABEL}=${agent}): an agent's versions (a canary and the version it is compared with) are granted the same tools, its configured ones`,
        urn,
      );
    }
  }
}
