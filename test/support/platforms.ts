/**
 * Valid platforms beyond the three shipped stacks, as a fork writes them: one existing cluster,
 * existing + GCP, EKS only in three regions, five clusters mixed; no models or no agents, one
 * model without a canary, all-simulator fleets, FailClose pools, self-signed or own-secret
 * gateway certificates, JWT on or off, an agent with several tools beside one allowed none,
 * CPU-only clusters next to GPU ones, an existing cluster with or without a declared platform,
 * the agent gateway on its default port. `platformRows` picks a pairwise covering set of the
 * dimensions; `buildPlatform` turns a row into a platform config written as a user writes one
 * (defaults left out), sized so that every cross-field rule holds. */
import { clusterSchema, modelSchema, platformSchema } from "../../infra/schema";
import { pairwise, PairwiseRules, Row } from "./pairwise";

/**
 * The enums the rows vary, read from the schema: a value added there becomes a level here, and
 * fails the combos test until `buildPlatform` builds a valid platform with it.
 */
export const schemaEnums = {
  server: modelSchema.shape.server.options,
  failureMode: modelSchema.shape.epp.unwrap().shape.failureMode.unwrap().options,
  tls: platformSchema.shape.gateways.unwrap().shape.inference.unwrap().shape.tls.unwrap().options.map((o) => o.shape.mode.value),
  ca: platformSchema.shape.mesh.shape.ca.unwrap().shape.algorithm.unwrap().options,
  cloud: clusterSchema.options.map((o) => o.shape.cloud.value),
};

export const dimensions = {
  topology: ["existing", "existing-gcp", "eks3", "mixed5"],
  models: ["none", "single", "two"],
  /** Each model on the schema's servers, or (two models) one vLLM and one simulator. */
  server: [...schemaEnums.server, "mixed"],
  failureMode: schemaEnums.failureMode,
  agents: ["none", "many-tools", "no-tools"],
  tls: schemaEnums.tls,
  jwt: ["jwks", "selfSigned", "off"],
  llm: ["on", "off"],
  /** One cloud cluster of the topology has CPU node groups only. */
  cpuOnly: ["no", "yes"],
  ca: schemaEnums.ca,
  /** The existing cluster's `platform`: k3s (ServiceLB), or none declared (no load balancer assumed). */
  existingPlatform: ["k3s", "none"],
  /** The agent gateway's port: 8443, or its default (443, 80 without TLS) where no k3s ServiceLB binds both gateways. */
  agentPort: ["8443", "default"],
} as const;

export type PlatformRow = Row<typeof dimensions>;

type Cluster = { name: string; cloud: "aws" | "gcp" | "existing"; gpu: boolean; [k: string]: unknown };

const eks = (name: string, region: string, vpc: number): Cluster => ({
  name, cloud: "aws", kind: "eks", region, network: `net-${name}`, vpcCidr: `10.${vpc}.0.0/16`,
  systemNodeGroup: { instanceType: "m6i.2xlarge", minSize: 2, desiredSize: 2, maxSize: 4 }, gpu: true,
});
const k3s = (name: string, region: string, subnet: number): Cluster => ({
  name, cloud: "gcp", kind: "k3s", region, zone: `${region}-a`, project: "inference-mesh-fork", network: `net-${name}`,
  subnetCidr: `10.${subnet}.0.0/20`, apiAllowedCidrs: ["198.51.100.0/24"], gpu: true,
});
const existing = (multi: boolean, platform: PlatformRow["existingPlatform"]): Cluster => ({
  name: "edge", cloud: "existing", kind: "existing", network: "net-edge", ...(platform === "k3s" ? { platform } : {}), gpu: false,
  ...(multi ? { kubeconfig: "~/.kube/edge.yaml", apiServer: "https://edge.example.internal:6443" } : { kubeconfig: "~/.kube/config" }),
});

export function topology(row: PlatformRow): Cluster[] {
  const clusters = {
    existing: () => [existing(false, row.existingPlatform)],
    "existing-gcp": () => [existing(true, row.existingPlatform), k3s("gcp-euw4", "europe-west4", 14)],
    eks3: () => [eks("aws-use1", "us-east-1", 10), eks("aws-usw2", "us-west-2", 11), eks("aws-euw1", "eu-west-1", 13)],
    mixed5: () => [eks("aws-use1", "us-east-1", 10), eks("aws-euw1", "eu-west-1", 13), k3s("gcp-usc1", "us-central1", 12), k3s("gcp-euw4", "europe-west4", 14), existing(true, row.existingPlatform)],
  }[row.topology]();
  if (row.cpuOnly === "yes") [...clusters].reverse().find((c) => c.cloud !== "existing")!.gpu = false;
  return clusters;
}

/** Topologies where one cloud cluster can be CPU-only with a GPU cluster beside it, or where it is the only one. */
const cpuOnlyMeaningful = (t: PlatformRow["topology"]) => t === "eks3" || t === "mixed5" || t === "existing-gcp";

const hasGpuCluster = (row: PlatformRow) => topology(row).some((c) => c.gpu);

export const rules: PairwiseRules<typeof dimensions> = {
  valid: (row) => {
    if (row.cpuOnly === "yes" && !cpuOnlyMeaningful(row.topology)) return false;
    if (row.existingPlatform === "none" && row.topology === "eks3") return false;
    if (row.agentPort === "default" && (row.agents === "none" || topology(row).some((c) => c.cloud === "gcp" || c.platform === "k3s"))) return false;
    if (row.models === "none" && (row.server !== "simulator" || row.failureMode !== "FailOpen" || row.agents !== "none")) return false;
    if (row.models === "single" && row.server === "mixed") return false;
    if (row.server !== "simulator" && !hasGpuCluster(row)) return false;
    if (row.agents === "none" && (row.jwt !== "jwks" || row.llm !== "on")) return false;
    return true;
  },
  active: (row, d) => {
    // No models means no agents (an agent calls a model): the row covers agents=none too.
    if (d === "server" || d === "failureMode") return row.models !== "none";
    if (d === "jwt" || d === "llm" || d === "agentPort") return row.agents !== "none";
    if (d === "cpuOnly") return cpuOnlyMeaningful(row.topology);
    if (d === "existingPlatform") return row.topology !== "eks3";
    return true;
  },
};

export const platformRows = (): PlatformRow[] => pairwise(dimensions, rules);

/** The row's levels that mean something in it, as `dimension=level`. */
export const rowName = (row: PlatformRow): string =>
  Object.entries(row)
    .filter(([d]) => rules.active!(row, d as keyof typeof dimensions))
    .map(([d, level]) => `${d}=${level}`)
    .join(" ");

type Model = { name: string; server: "vllm" | "simulator"; versions: { name: string; weight: number; canary?: boolean }[]; [k: string]: unknown };

const vllmModels = [
  { name: "llama-3-1-8b", servedModelName: "meta-llama/Llama-3.1-8B-Instruct", parametersBillions: 8, maxModelLen: 8192, architecture: { layers: 32, kvHeads: 8, headDim: 128 } },
  { name: "mistral-7b", servedModelName: "mistralai/Mistral-7B-Instruct-v0.3", parametersBillions: 7.25, maxModelLen: 8192, architecture: { layers: 32, kvHeads: 8, headDim: 128 } },
];
const simulatorModels = [
  { name: "qwen3-0-6b", servedModelName: "Qwen/Qwen3-0.6B", parametersBillions: 0.6, maxModelLen: 4096 },
  { name: "qwen3-1-7b", servedModelName: "Qwen/Qwen3-1.7B", parametersBillions: 1.7, maxModelLen: 4096 },
];

function models(row: PlatformRow, clusters: Cluster[]): Model[] {
  if (row.models === "none") return [];
  const servers: ("vllm" | "simulator")[] = row.models === "single" ? [row.server as "vllm" | "simulator"] : row.server === "mixed" ? ["vllm", "simulator"] : [row.server as "vllm" | "simulator", row.server as "vllm" | "simulator"];
  return servers.map((server, i) => ({
    ...(server === "vllm" ? vllmModels[i] : simulatorModels[i]),
    server,
    // vLLM needs the clusters with GPUs; the simulator runs anywhere.
    clusters: clusters.filter((c) => server === "simulator" || c.gpu).map((c) => c.name),
    ...(row.failureMode === "FailOpen" ? {} : { epp: { failureMode: row.failureMode } }),
    // The first model of two has a canary; one model alone has none.
    versions: row.models === "two" && i === 0 ? [{ name: "v1", weight: 95 }, { name: "v2", weight: 5, canary: true }] : [{ name: "v1", weight: 100 }],
  }));
}

/** One 1-GPU node per vLLM replica placed on the cluster (each version runs one), and CPU nodes for the rest. */
function nodeGroups(cluster: Cluster, fleet: Model[]): Record<string, unknown>[] {
  const gpuReplicas = fleet.filter((m) => m.server === "vllm" && (m.clusters as string[]).includes(cluster.name)).reduce((n, m) => n + m.versions.length, 0);
  const gpu = cluster.cloud === "aws" ? "g5.2xlarge" : "g2-standard-8";
  const cpu = cluster.cloud === "aws" ? "m6i.2xlarge" : "e2-standard-8";
  const groups: Record<string, unknown>[] = [];
  if (cluster.cloud === "gcp" || !cluster.gpu) groups.push({ name: "cpu", instanceType: cpu, minSize: 2, desiredSize: 2, maxSize: 4 });
  if (cluster.gpu) groups.push({ name: "gpu", instanceType: gpu, minSize: 0, desiredSize: Math.max(gpuReplicas, 1), maxSize: Math.max(gpuReplicas, 1) + 1 });
  return groups;
}

const tools = [
  { name: "web-search", image: "ghcr.io/inference-mesh/examples/mcp-web-search:0.1.0" },
  { name: "calculator", image: "ghcr.io/inference-mesh/examples/mcp-calculator:0.1.0" },
  { name: "ticket-lookup", image: "ghcr.io/inference-mesh/examples/mcp-ticket-lookup:0.1.0" },
];
const agentImage = (agent: string, v: string) => `ghcr.io/inference-mesh/examples/${agent}:${v}`;

function agentsOf(row: PlatformRow, fleet: Model[]): { agents: unknown[]; tools: unknown[] } {
  if (row.agents === "none") return { agents: [], tools: [] };
  if (row.agents === "many-tools") {
    return {
      tools,
      agents: [{
        name: "research-agent", model: fleet[0].name, tools: tools.map((t) => t.name),
        versions: [{ name: "v1", image: agentImage("research-agent", "0.1.0"), weight: 95 }, { name: "v2", image: agentImage("research-agent", "0.2.0"), weight: 5, canary: true }],
      }],
    };
  }
  return {
    tools: [tools[1]],
    agents: [
      { name: "plain-agent", model: fleet[0].name, versions: [{ name: "v1", image: agentImage("plain-agent", "0.1.0"), weight: 100 }] },
      { name: "support-agent", model: fleet[fleet.length - 1].name, tools: ["calculator"], versions: [{ name: "v1", image: agentImage("support-agent", "0.1.0"), weight: 100 }] },
    ],
  };
}

const tlsOf = (row: PlatformRow, gateway: string) =>
  row.tls === "secret" ? { mode: "secret", secretName: `${gateway}-gateway-tls` } : { mode: row.tls };

export function buildPlatform(row: PlatformRow): any {
  const clusters = topology(row);
  const fleet = models(row, clusters);
  const { agents, tools: toolList } = agentsOf(row, fleet);
  const jwt = {
    jwks: { issuer: "https://auth.example.com/", audiences: ["agents.example.com"], jwksUri: "https://auth.example.com/.well-known/jwks.json" },
    selfSigned: { issuer: "https://agents.example.com", audiences: ["agents.example.com"], selfSigned: true },
    off: undefined,
  }[row.jwt];
  const policy = { ...(row.tls === "none" ? { requireTls: false } : {}), ...(agents.length > 0 && !jwt ? { requireAgentJwt: false } : {}) };
  return {
    mesh: { meshId: "inference-mesh", trustDomain: "cluster.local", ca: { algorithm: row.ca, ...(row.ca === "RSA" ? { rsaBits: 2048 } : {}) } },
    clusters: clusters.map(({ gpu: _gpu, ...c }) => (c.cloud === "existing" ? c : { ...c, nodeGroups: nodeGroups({ gpu: _gpu, ...c }, fleet) })),
    ...(fleet.length > 0 ? { models: fleet } : {}),
    ...(toolList.length > 0 ? { tools: toolList } : {}),
    ...(agents.length > 0 ? { agents } : {}),
    gateways: {
      // The inference gateway is deployed only where models are served: a stack without models writes none.
      ...(fleet.length > 0 ? { inference: { hostname: "inference.example.com", tls: tlsOf(row, "inference") } } : {}),
      ...(agents.length > 0
        ? { agents: { hostname: "agents.example.com", ...(row.agentPort === "8443" ? { port: 8443 } : {}), tls: tlsOf(row, "agents"), ...(jwt ? { jwt } : {}), ...(row.llm === "off" ? { llm: { enabled: false } } : {}) } }
        : {}),
    },
    ...(Object.keys(policy).length > 0 ? { policy } : {}),
  };
}
