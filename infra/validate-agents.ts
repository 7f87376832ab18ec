/**
 * Cross-field rules of the agent layer and the gateways: agents and tools (unique names, the
 * models, tools and clusters they name, their splits and ports) and the two gateways (TLS where
 * policy requires it, ports that do not collide on k3s ServiceLB, JWT settings).
 */
import { isDnsSubdomain, PlatformConfig } from "./schema";
import { agentPublicPort, inferenceMeshPort, inferencePublicPort, usesK3sServiceLb } from "./gateway-ports";
import { duplicates, eachItem, knownList, namesKnown, readable, readableItems, readableNames, Report, requireUnique, unlessBroken } from "./validate-support";
import { checkSplit } from "./validate-split";
import { hostUnder } from "../components/agents/names";
import { jwksSource } from "../components/agents/security";
import { selfSignedSecretName as agentsSelfSignedSecret } from "../components/agents/gateway";
import { selfSignedSecretName as inferenceSelfSignedSecret } from "../components/inference/gateway";

/** Clusters an agent runs on: its own `clusters`, else its model's, else every cluster. */
export function agentClustersOf(cfg: PlatformConfig, agent: PlatformConfig["agents"][number]): string[] {
  const model = cfg.models[readableNames(cfg.models).indexOf(agent.model)];
  return agent.clusters ?? model?.clusters ?? readableNames(cfg.clusters).filter((n): n is string => n !== undefined);
}

/** Agents and tools: unique names, the models, tools and clusters they name, their ports. */
export function checkAgentsAndTools(report: Report, cfg: PlatformConfig): void {
  const modelNames = readableNames(cfg.models);
  const toolNames = readableNames(cfg.tools);
  const clusterNames = readableNames(cfg.clusters);
  const agentNames = readableNames(cfg.agents);
  const models = new Set(modelNames);
  const tools = new Set(toolNames);
  const clusters = new Set(clusterNames);
  requireUnique(report, "agents", "agent name", agentNames);
  requireUnique(report, "tools", "tool name", toolNames);
  toolNames.forEach((name, ti) => {
    if (name !== undefined && agentNames.includes(name)) report(["tools", ti, "name"], `'${name}' is also an agent name; agents and tools need distinct names`);
  });
  eachItem(cfg.agents, (a, ai) => {
    const at = ["agents", ai];
    unlessBroken(() => checkSplit(report, at, a.versions, cfg.policy.maxCanaryWeight));
    // A list with a field error (not a list, a broken item or name) may hold the name looked for.
    unlessBroken(() => {
      if (namesKnown(cfg, "models") && !models.has(a.model)) report([...at, "model"], `unknown model '${a.model}'; known: ${knownList(modelNames)}`);
    });
    unlessBroken(() => {
      a.tools.forEach((t, i) => {
        if (namesKnown(cfg, "tools") && !tools.has(t)) report([...at, "tools", i], `unknown tool '${t}'; known: ${knownList(toolNames)}`);
      });
    });
    unlessBroken(() => {
      for (const [name, idx] of duplicates(a.tools)) report([...at, "tools", idx[1]], `tool '${name}' listed twice`);
    });
    unlessBroken(() => {
      const model = cfg.models[modelNames.indexOf(a.model)];
      (a.clusters ?? []).forEach((c, i) => {
        if (!clusters.has(c)) {
          if (namesKnown(cfg, "clusters")) report([...at, "clusters", i], `unknown cluster '${c}'; known: ${knownList(clusterNames)}`);
          return; // an unknown cluster serves nothing: that is the one problem
        }
        // Each cluster's agents route to that cluster's own inference pools.
        if (model && !model.clusters.includes(c)) {
          report([...at, "clusters", i], `model '${model.name}' is not served on cluster '${c}' (each cluster routes to its own pools); serve it there or drop the cluster`);
        }
      });
    });
    unlessBroken(() => {
      for (const [name, idx] of duplicates(a.clusters ?? [])) report([...at, "clusters", idx[1]], `cluster '${name}' listed twice`);
    });
  });
  unlessBroken(() => {
    if (cfg.models.length > 0 && !cfg.gateways.inference) {
      report(["gateways", "inference"], "models are configured, so the inference gateway (hostname, tls) is required: it serves them, to callers outside and to the agents");
    }
  });
  unlessBroken(() => {
    if (cfg.agents.length > 0 && !cfg.gateways.agents) {
      report(["gateways", "agents"], "agents are configured, so the agent gateway (hostname, tls, jwt) is required");
    }
  });
}

/** The gateways: TLS where policy requires it, ports that do not collide on k3s ServiceLB, JWT settings. */
export function checkGateways(report: Report, cfg: PlatformConfig): void {
  for (const key of ["inference", "agents"] as const) {
    unlessBroken(() => {
      const gw = cfg.gateways[key];
      if (gw && gw.tls.mode === "none" && cfg.policy.requireTls) {
        report(["gateways", key, "tls", "mode"], "TLS mode 'none' is only allowed when policy.requireTls is false");
      }
      const generated = { inference: inferenceSelfSignedSecret, agents: agentsSelfSignedSecret }[key];
      if (gw && gw.tls.mode === "secret" && gw.tls.secretName === generated) {
        report(
          ["gateways", key, "tls", "secretName"],
          `'${generated}' is the Secret tls.mode selfSigned generates, which Pulumi deletes by name when the gateway leaves that mode (yours, by then); choose another name`,
        );
      }
    });
  }
  // The gateways block itself has a field error: every rule below reads it.
  const gateways = readable(() => cfg.gateways);
  if (!gateways) return;
  const inference = readable(() => gateways.inference);
  const agents = readable(() => gateways.agents);
  // Agents whose placement cannot be read (a field error) add no cluster.
  const agentClusters = new Set(readableItems(cfg.agents).flatMap((a) => readable(() => agentClustersOf(cfg, a)) ?? []));
  unlessBroken(() => {
    if (inference && agents && inference.hostname === agents.hostname) {
      report(["gateways", "agents", "hostname"], `'${agents.hostname}' is also gateways.inference.hostname; each gateway has its own address, so each needs its own hostname`);
    }
  });
  unlessBroken(() => {
    if (inference && agents && cfg.agents.length > 0) {
      // k3s ServiceLB binds every port of every LoadBalancer Service on the node (hostPort): the
      // second gateway asking for a port the first holds stays <pending> forever.
      const taken = new Set([inferencePublicPort(gateways), inferenceMeshPort]);
      const port = agentPublicPort(gateways);
      const shared = readableItems(cfg.clusters).filter((c) =>
        readable(() => usesK3sServiceLb(c) && agentClusters.has(c.name) && readableItems(cfg.models).some((m) => readable(() => m.clusters.includes(c.name)))),
      );
      if (taken.has(port) && shared.length > 0) {
        report(
          ["gateways", "agents", "port"],
          `port ${port}${agents.port === undefined ? " (the default)" : ""} is also the inference gateway's on k3s cluster(s) ${shared.map((c) => `'${c.name}'`).join(", ")}: ` +
            `k3s ServiceLB binds each LoadBalancer port on the node, so the two gateways need different ports (e.g. 8443); the inference gateway holds ${[...taken].sort((a, b) => a - b).join(" and ")}`,
        );
      }
    }
  });
  // Each agent is served at `<agent>.<hostname>`, the LLM routes at `<llm.subdomain>.<hostname>`,
  // and Gateway API caps a hostname at 253 characters.
  unlessBroken(() => {
    if (!agents) return;
    const llm = agents.llm.enabled ? [{ what: `the LLM routes (gateways.agents.llm.subdomain '${agents.llm.subdomain}')`, label: agents.llm.subdomain }] : [];
    const served = [...readableNames(cfg.agents).filter((n): n is string => n !== undefined).map((n) => ({ what: `agent '${n}'`, label: n })), ...llm];
    const longest = served.sort((a, b) => b.label.length - a.label.length)[0];
    const host = longest ? hostUnder(agents.hostname, longest.label) : undefined;
    if (host && host.length > 253) {
      report(["gateways", "agents", "hostname"], `${longest.what} would be served at a ${host.length}-character hostname; Gateway API allows 253: shorten the hostname`);
    }
  });
  // The LLM routes own their host under the agents hostname; an agent of that name would share it.
  unlessBroken(() => {
    if (!agents?.llm.enabled) return;
    readableNames(cfg.agents).forEach((name, ai) => {
      if (name === agents.llm.subdomain) {
        report(["agents", ai, "name"], `'${name}' is the agent gateway's LLM host (${hostUnder(agents.hostname, name)}, gateways.agents.llm.subdomain); rename the agent, or set another llm.subdomain`);
      }
    });
  });
  // The agent gateway serves `<agent>.<hostname>` and `<llm.subdomain>.<hostname>`; one of those
  // equal to the inference gateway's hostname names two load balancers, and DNS resolves a name to
  // one of them, so the other gateway's clients never reach it.
  unlessBroken(() => {
    if (!agents || !inference || inference.hostname.startsWith("*.")) return;
    const clash = (label: string) => hostUnder(agents.hostname, label) === inference.hostname;
    const why = `which is gateways.inference.hostname: DNS resolves a name to one gateway's load balancer, so the other gateway's callers never reach it`;
    readableNames(cfg.agents).forEach((name, ai) => {
      if (name !== undefined && clash(name)) report(["agents", ai, "name"], `agent '${name}' would be served at ${inference.hostname}, ${why}; rename the agent, or change one gateway's hostname`);
    });
    if (agents.llm.enabled && clash(agents.llm.subdomain)) {
      report(["gateways", "agents", "llm", "subdomain"], `the LLM routes would be served at ${inference.hostname}, ${why}; pick another llm.subdomain, or change one gateway's hostname`);
    }
  });
  // On a cloud cluster the agent gateway is an internet-facing load balancer; an existing cluster
  // (a laptop) is left to its owner.
  unlessBroken(() => {
    const cloudAgentClusters = readableItems(cfg.clusters).filter((c) => readable(() => c.cloud !== "existing" && agentClusters.has(c.name)));
    if (agents && cloudAgentClusters.length > 0 && !agents.jwt && cfg.policy.requireAgentJwt !== false) {
      report(
        ["gateways", "agents", "jwt"],
        `is required: on ${cloudAgentClusters.map((c) => `'${c.name}'`).join(", ")} the agent gateway is a public load balancer, and without JWT authentication anyone can call the agents; set issuer, audiences and jwksUri (or policy.requireAgentJwt: false)`,
      );
    }
  });
  // agentgateway v1.4.1's controller fetches a remote JWKS itself and hands the keys to the proxies
  // inline (controller/pkg/agentgateway/jwks/fetcher.go, plugins/traffic_plugin.go). It runs in
  // agentgateway-system, which is not in the ambient mesh, so nothing encrypts a plain-http fetch,
  // not even from an in-cluster Service (and an ambient one under STRICT mTLS refuses it).
  unlessBroken(() => {
    const jwks = agents?.jwt?.jwksUri;
    if (jwks && !/^https:\/\//i.test(jwks)) {
      report(
        ["gateways", "agents", "jwt", "jwksUri"],
        "must be https://: agentgateway's controller fetches the keys from agentgateway-system, outside the ambient mesh, so a plain-http JWKS (even an in-cluster *.svc one) travels unencrypted and can be swapped in transit",
      );
      return;
    }
    const problem = jwks ? jwksBackendProblem(jwks) : undefined;
    if (problem) report(["gateways", "agents", "jwt", "jwksUri"], problem);
  });
}

/**
 * The JWKS URI becomes the static AgentgatewayBackend `agent-gateway-jwks` (host, port, TLS SNI =
 * the host) and the policy's `jwksPath` (components/agents/security.ts jwksSource); agentgateway
 * v1.4.1's CRDs take an SNI of DNS labels of at most 253 characters, a port from 1 to 65535 and a
 * jwksPath of at most 2000 characters, and the backend has no place for user:password@.
 */
function jwksBackendProblem(jwksUri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(jwksUri);
  } catch {
    return undefined; // the schema reports a URL that does not parse
  }
  const src = jwksSource(jwksUri);
  if (url.username || url.password) return "must not carry credentials (user:password@): agentgateway fetches the JWKS from a static backend of host and port only, so they would be dropped";
  if (src.host.length > 253 || !isDnsSubdomain(src.host)) {
    return `has the host '${src.host}'; agentgateway's TLS SNI (AgentgatewayBackend policies.tls.sni) takes a DNS name or IPv4 address of at most 253 characters, not an IPv6 literal`;
  }
  if (src.port < 1 || src.port > 65535) return `has port ${src.port}; the JWKS backend's port is 1 to 65535`;
  if (src.path.length > 2000) return `has a ${src.path.length}-character path and query; agentgateway's jwksPath takes at most 2000`;
  return undefined;
}

