/**
 * The platform config schema, agents and tools: the models, tools and clusters they name, their
 * ports and the names derived from them. Each broken config is rejected with a message naming its
 * config path (testRejections, ./support).
 */
import { RejectCase, testRejections } from "./support";

const cases: RejectCase[] = [
  {
    name: "an agent using an unknown tool",
    mutate: (p) => p.agents[1].tools.push("shell"),
    path: "inference-mesh:platform.agents[1].tools[1]",
    message: /unknown tool 'shell'/,
  },
  {
    name: "an agent using an unknown model",
    mutate: (p) => (p.agents[0].model = "gpt-5"),
    path: "inference-mesh:platform.agents[0].model",
    message: /unknown model 'gpt-5'/,
  },
  {
    name: "a tool listening on a port ztunnel owns",
    mutate: (p) => (p.tools[0].port = 15008),
    path: "inference-mesh:platform.tools[0].port",
    message: /is reserved by Istio/,
  },
  {
    name: "an agent listening on Istio's health port",
    mutate: (p) => (p.agents[0].port = 15021),
    path: "inference-mesh:platform.agents[0].port",
    message: /is reserved by Istio/,
  },
  {
    name: "two agents whose versions derive one name (research-agent v2 vs research-agent-v2 v…)",
    mutate: (p) => {
      p.agents[1].name = "research";
      p.agents[1].versions[0].name = "agent-v2";
    },
    path: "inference-mesh:platform.agents[1].versions[0].name",
    message: /agent 'research' version 'agent-v2' derives the workload name 'research-agent-v2', which is already the workload name of agent 'research-agent' version 'v2'/,
  },
  {
    name: "a tool named like the MCP gateway's proxy (it would wear the gateway's mesh identity)",
    mutate: (p) => (p.tools[2].name = "mcp-gateway"),
    path: "inference-mesh:platform.tools[2].name",
    message: /tool 'mcp-gateway' derives the workload name 'mcp-gateway', which is already the MCP gateway's proxy/,
  },
  {
    name: "an agent named like the agent gateway's LLM host",
    mutate: (p) => (p.agents[1].name = "llm"),
    path: "inference-mesh:platform.agents[1].name",
    message: /'llm' is the agent gateway's LLM host \(llm\.agents\.example\.com, gateways\.agents\.llm\.subdomain\)/,
  },
  {
    name: "an LLM subdomain an agent already holds",
    mutate: (p) => (p.gateways.agents.llm = { subdomain: "research-agent" }),
    path: "inference-mesh:platform.agents[0].name",
    message: /'research-agent' is the agent gateway's LLM host \(research-agent\.agents\.example\.com/,
  },
  {
    name: "a tool named like another tool's agents policy",
    mutate: (p) => (p.tools[2].name = "web-search-agents"),
    path: "inference-mesh:platform.tools[2].name",
    message: /derives the workload name 'web-search-agents', which is already the AuthorizationPolicy for its agents of tool 'web-search'/,
  },
  {
    name: "an agent cluster listed twice",
    mutate: (p) => (p.agents[1].clusters = ["aws-euw1", "aws-euw1"]),
    path: "inference-mesh:platform.agents[1].clusters[1]",
    message: /cluster 'aws-euw1' listed twice/,
  },
  {
    name: "an empty agent cluster list (the agent would run nowhere)",
    mutate: (p) => (p.agents[0].clusters = []),
    path: "inference-mesh:platform.agents[0].clusters",
    message: /omit it to follow its model's clusters/,
  },
  {
    name: "agents without an agent gateway",
    mutate: (p) => delete p.gateways.agents,
    path: "inference-mesh:platform.gateways.agents",
    message: /: agents are configured, so the agent gateway \(hostname, tls, jwt\) is required$/,
  },
  {
    name: "a tool named like an agent",
    mutate: (p) => p.tools.push({ name: "research-agent", image: "ghcr.io/inference-mesh/examples/mcp-calculator:0.1.0", port: 8000 }),
    path: "inference-mesh:platform.tools[3].name",
    message: /: 'research-agent' is also an agent name; agents and tools need distinct names$/,
  },
  {
    name: "a tool listed twice in an agent's tools",
    mutate: (p) => p.agents[0].tools.push("web-search"),
    path: "inference-mesh:platform.agents[0].tools[2]",
    message: /: tool 'web-search' listed twice$/,
  },
  {
    name: "an agent whose host is the inference gateway's hostname (one DNS name, two load balancers)",
    mutate: (p) => {
      p.gateways.agents.hostname = "example.com";
      p.agents[1].name = "inference";
    },
    path: "inference-mesh:platform.agents[1].name",
    message: /: agent 'inference' would be served at inference\.example\.com, which is gateways\.inference\.hostname: DNS resolves a name to one gateway's load balancer/,
  },
  {
    name: "LLM routes whose host is the inference gateway's hostname",
    mutate: (p) => {
      p.gateways.agents.hostname = "example.com";
      p.gateways.agents.llm = { subdomain: "inference" };
    },
    path: "inference-mesh:platform.gateways.agents.llm.subdomain",
    message: /: the LLM routes would be served at inference\.example\.com, which is gateways\.inference\.hostname/,
  },
];

testRejections(cases);
