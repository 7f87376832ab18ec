/**
 * Settings another setting leaves unread (infra/validate-ignored.ts): refused where they are
 * written, naming what makes them dead; the same settings where they are read still pass.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";
import { pathsOf, RejectCase, testRejections } from "./support";

const cases: RejectCase[] = [
  {
    name: "an RSA key size on an ECDSA CA",
    stack: "local",
    mutate: (p) => (p.mesh.ca.rsaBits = 2048),
    path: "inference-mesh:platform.mesh.ca.rsaBits",
    message: /is set but algorithm is ECDSA: .*read by nothing; remove rsaBits, or set algorithm: RSA$/,
  },
  {
    name: "an ECDSA curve on an RSA CA",
    mutate: (p) => (p.mesh.ca.ecdsaCurve = "P384"),
    path: "inference-mesh:platform.mesh.ca.ecdsaCurve",
    message: /is set but algorithm is RSA: .*read by nothing; remove ecdsaCurve, or set algorithm: ECDSA$/,
  },
  {
    name: "an ECDSA curve on a CA whose algorithm is left at its default",
    mutate: (p) => (p.mesh.ca = { ecdsaCurve: "P256" }),
    path: "inference-mesh:platform.mesh.ca.ecdsaCurve",
    message: /is set but algorithm is RSA \(its default\)/,
  },
  {
    name: "a token budget on disabled LLM routes",
    mutate: (p) => (p.gateways.agents.llm = { enabled: false, tokensPerMinute: 200000 }),
    path: "inference-mesh:platform.gateways.agents.llm.tokensPerMinute",
    message: /is set but llm\.enabled is false: no LLM routes are rendered, so tokensPerMinute is read by nothing; remove it, or set enabled: true$/,
  },
  {
    name: "a subdomain on disabled LLM routes",
    mutate: (p) => (p.gateways.agents.llm = { enabled: false, subdomain: "openai" }),
    path: "inference-mesh:platform.gateways.agents.llm.subdomain",
    message: /is set but llm\.enabled is false: .*subdomain is read by nothing/,
  },
  ...(["gpusPerReplica", "gpuMemoryUtilization", "dtype", "architecture"] as const).map((key): RejectCase => ({
    name: `${key} on a simulator model`,
    stack: "local",
    mutate: (p) => (p.models[0][key] = { gpusPerReplica: 2, gpuMemoryUtilization: 0.8, dtype: "float16", architecture: { layers: 28, kvHeads: 8, headDim: 128 } }[key]),
    path: `inference-mesh:platform.models[0].${key}`,
    message: new RegExp(`is set but server is 'simulator', which loads no weights and takes no GPUs: only server 'vllm' reads ${key}; remove it, or use server 'vllm'$`),
  })),
  {
    name: "a weights revision on a simulator version",
    stack: "local",
    mutate: (p) => (p.models[0].versions[1].revision = "main"),
    path: "inference-mesh:platform.models[0].versions[1].revision",
    message: /is set but server is 'simulator', which downloads no weights: only server 'vllm' reads revision/,
  },
  {
    name: "a LoRA adapter rank on a simulator model",
    stack: "local",
    mutate: (p) => (p.models[0].loraAdapters = [{ name: "tone", source: "org/tone-lora", rank: 32 }]),
    path: "inference-mesh:platform.models[0].loraAdapters[0].rank",
    message: /is set but server is 'simulator', which registers adapters by name and loads none: only server 'vllm' reads rank/,
  },
  {
    name: "an agent gateway without agents",
    stack: "local",
    mutate: (p) => (p.agents = []),
    path: "inference-mesh:platform.gateways.agents",
    message: /is set but agents is empty: the agent gateway .* is deployed only where agents run, so this block is read by nothing; remove it, or add agents$/,
  },
  {
    name: "an inference gateway without models",
    stack: "local",
    mutate: (p) => ((p.models = []), (p.agents = []), delete p.gateways.agents),
    path: "inference-mesh:platform.gateways.inference",
    message: /is set but models is empty: the inference gateway .* is deployed only where models are served, so this block is read by nothing; remove it, or add models$/,
  },
];

testRejections(cases);

test("the same settings pass where what reads them is on", () => {
  const ecdsa = shippedPlatform("local");
  ecdsa.mesh.ca.ecdsaCurve = "P384";
  assert.equal(parsePlatform(ecdsa, "local").mesh.ca.ecdsaCurve, "P384");
  const rsa = shippedPlatform("prod");
  rsa.mesh.ca.rsaBits = 3072;
  assert.equal(parsePlatform(rsa, "prod").mesh.ca.rsaBits, 3072);
  const off = shippedPlatform("prod");
  off.gateways.agents.llm = { enabled: false };
  assert.equal(parsePlatform(off, "prod").gateways.agents!.llm.enabled, false);
  const on = shippedPlatform("prod");
  on.gateways.agents.llm = { enabled: true, subdomain: "openai", tokensPerMinute: 1000 };
  assert.equal(parsePlatform(on, "prod").gateways.agents!.llm.tokensPerMinute, 1000);
  const noAgents = shippedPlatform("local");
  noAgents.agents = [];
  delete noAgents.gateways.agents;
  assert.doesNotThrow(() => parsePlatform(noAgents, "local"));
  const nothingServed = shippedPlatform("local");
  nothingServed.models = [];
  nothingServed.agents = [];
  delete nothingServed.gateways;
  assert.doesNotThrow(() => parsePlatform(nothingServed, "local"));
});

test("a dead setting is reported beside the field errors of the same run, and not again where its own value is broken", () => {
  const p = shippedPlatform("local");
  p.mesh.ca.rsaBits = 1000; // a field error of its own: one problem there, not a second
  p.models[0].gpusPerReplica = 2;
  p.clusters[0].network = "Net_Local";
  assert.deepEqual(pathsOf(p).sort(), ["clusters[0].network", "mesh.ca.rsaBits", "models[0].gpusPerReplica"]);
  assert.equal(problemsOf(p).filter((l) => l.includes("mesh.ca.rsaBits")).length, 1);
});
