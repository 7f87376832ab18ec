import { PlatformConfig } from "./schema";
import { agentGateway, mcpGateway } from "../components/agents/names";
import { eppName, gatewayServiceName, modelServerServiceAccount, poolName } from "../components/inference/names";
import { bbrName } from "../components/inference/bbr";
import { waypointName } from "../components/mesh/waypoints";
import { eachUniquelyNamed, Report, unlessBroken } from "./validate-support";

/**
 * Names the program derives from config (`<agent>-<version>`, `<model>-<version>-epp`,
 * `<cluster>-<group>`, …) must not collide with each other nor with the objects the controllers
 * create (the gateway proxies, waypoints): two objects with one name in one namespace are one
 * object in Kubernetes and one URN in Pulumi, and a workload named like a gateway proxy wears its
 * mesh identity, which the authorization policies trust.
 */
export function checkGeneratedNames(report: Report, cfg: PlatformConfig): void {
  // Per `<namespace>/<kind>/<name>`: objects of different kinds may share a name.
  const claims = new Map<string, { owner: string; kind: string }>();
  const reportedPaths = new Set<string>();
  const claim = (ns: string, kinds: string[], name: string, path: (string | number)[], owner: string, what: string) => {
    const other = kinds.map((k) => claims.get(`${ns}/${k}/${name}`)).find((c) => c);
    if (other) {
      // One report per config item: a colliding pool name makes its picker's name collide too.
      if (reportedPaths.has(path.join("/"))) return;
      reportedPaths.add(path.join("/"));
      const theirs = other.kind ? `${other.kind} of ${other.owner}` : other.owner;
      report(path, `${owner} derives the ${what} '${name}', which is already the ${theirs}; rename one of them (they would be one object)`);
      return;
    }
    for (const k of kinds) claims.set(`${ns}/${k}/${name}`, { owner, kind: what });
  };
  const workload = ["Deployment", "ServiceAccount", "Service"];
  const reserved: [string, string, string][] = [
    ["agents", agentGateway.name, "agent gateway's proxy (its mesh identity)"],
    ["agents", waypointName, "agents' waypoint"],
    ["tools", mcpGateway.name, "MCP gateway's proxy (its mesh identity)"],
    ["tools", waypointName, "tools' waypoint"],
    ["inference", gatewayServiceName, "inference gateway's proxy (its mesh identity)"],
    ["inference", bbrName, "body-based router"],
  ];
  for (const [ns, name, owner] of reserved) for (const k of workload) claims.set(`${ns}/${k}/${name}`, { owner, kind: "" });
  // An item (agent, tool, model, version, cluster, node group) whose own name another already has
  // is reported as the duplicate it is; the names derived from it would only collide as a
  // consequence, so it claims none. An item whose name has a field error claims none either.
  eachUniquelyNamed(cfg.agents, (a, ai) => {
    eachUniquelyNamed(a.versions, (v, vi) => {
      claim("agents", [...workload, "AuthorizationPolicy"], `${a.name}-${v.name}`, ["agents", ai, "versions", vi, "name"], `agent '${a.name}' version '${v.name}'`, "workload name");
    });
  });
  eachUniquelyNamed(cfg.tools, (t, ti) => {
    claim("tools", [...workload, "AuthorizationPolicy"], t.name, ["tools", ti, "name"], `tool '${t.name}'`, "workload name");
    // With a waypoint in front of tools, agents are admitted by a second policy `<tool>-agents`.
    claim("tools", ["AuthorizationPolicy"], `${t.name}-agents`, ["tools", ti, "name"], `tool '${t.name}'`, "AuthorizationPolicy for its agents");
  });
  eachUniquelyNamed(cfg.models, (m, mi) => {
    eachUniquelyNamed(m.versions, (v, vi) => {
      const pool = poolName(m, v);
      const owner = `model '${m.name}' version '${v.name}'`;
      const at = ["models", mi, "versions", vi, "name"];
      claim("inference", ["Deployment", "InferencePool"], pool, at, owner, "pool");
      claim("inference", [...workload, "AuthorizationPolicy"], eppName(pool), at, owner, "endpoint picker");
      claim("inference", ["ServiceAccount"], modelServerServiceAccount(pool), at, owner, "model-server ServiceAccount");
    });
  });
  eachUniquelyNamed(cfg.clusters, (c, ci) => {
    unlessBroken(() => {
      if (c.cloud === "aws") claim("cloud", ["NodeGroup"], `${c.name}-system`, ["clusters", ci, "systemNodeGroup"], `cluster '${c.name}'`, "system node group resource");
    });
    eachUniquelyNamed(c.nodeGroups, (g, gi) => {
      claim("cloud", ["NodeGroup"], `${c.name}-${g.name}`, ["clusters", ci, "nodeGroups", gi, "name"], `cluster '${c.name}' node group '${g.name}'`, "node group resource");
    });
  });
}
