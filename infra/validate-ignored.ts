/**
 * Settings that another setting makes dead: written in the stack file, read by nothing, because
 * what reads them is off or of another kind (an RSA key size on an ECDSA CA, a token budget on
 * disabled LLM routes, GPU sizing on the CPU-only simulator). Accepting them would let a reviewer
 * believe a setting is in force that is not, so each is refused where it is written.
 *
 * Judged on the config as written: the schema's defaults fill in these fields, so the validated
 * config cannot tell a written `rsaBits: 4096` from the default one.
 */
import { isRecord } from "./record";
import { isObjectStoreUri } from "./object-store-model";
import { Report } from "./validate-support";

/** The CA's key algorithm as the schema reads it (RSA when left out); undefined when it is no algorithm the schema takes. */
function caAlgorithm(ca: Record<string, unknown>): "RSA" | "ECDSA" | undefined {
  const algorithm = ca.algorithm ?? "RSA";
  return algorithm === "RSA" || algorithm === "ECDSA" ? algorithm : undefined;
}

function checkCaKey(report: Report, mesh: unknown): void {
  if (!isRecord(mesh) || !isRecord(mesh.ca)) return;
  const ca = mesh.ca;
  const algorithm = caAlgorithm(ca);
  const at = ["mesh", "ca"];
  const named = ca.algorithm === undefined ? "algorithm is RSA (its default)" : `algorithm is ${algorithm}`;
  // components/mesh/trust.ts hands the TLS provider rsaBits for RSA keys only, ecdsaCurve for ECDSA keys only.
  if (algorithm === "ECDSA" && ca.rsaBits !== undefined) {
    report([...at, "rsaBits"], `is set but ${named}: the CA keys are ECDSA (curve ecdsaCurve), and the RSA key size is read by nothing; remove rsaBits, or set algorithm: RSA`);
  }
  if (algorithm === "RSA" && ca.ecdsaCurve !== undefined) {
    report([...at, "ecdsaCurve"], `is set but ${named}: the CA keys are RSA (size rsaBits), and the ECDSA curve is read by nothing; remove ecdsaCurve, or set algorithm: ECDSA`);
  }
}

/** LLM route settings the agent gateway reads only while its LLM routes are on. */
const LLM_ROUTE_SETTINGS = ["subdomain", "tokensPerMinute"] as const;

function checkLlmRoutes(report: Report, gateways: unknown): void {
  if (!isRecord(gateways) || !isRecord(gateways.agents) || !isRecord(gateways.agents.llm)) return;
  const llm = gateways.agents.llm;
  if (llm.enabled !== false) return;
  for (const key of LLM_ROUTE_SETTINGS) {
    if (llm[key] === undefined) continue;
    report(["gateways", "agents", "llm", key], `is set but llm.enabled is false: no LLM routes are rendered, so ${key} is read by nothing; remove it, or set enabled: true`);
  }
}

/**
 * Model settings only vLLM reads: the simulator (components/inference/model-server.ts
 * simulatorArgs) loads no weights and takes no GPUs, so their sizing and the weights' revision
 * change nothing it runs.
 */
const VLLM_ONLY_MODEL_SETTINGS = ["gpusPerReplica", "gpuMemoryUtilization", "dtype", "architecture"] as const;

function checkSimulatorModels(report: Report, models: unknown): void {
  if (!Array.isArray(models)) return;
  models.forEach((m, mi) => {
    if (isRecord(m) && m.server === "vllm" && typeof m.servedModelName === "string" && isObjectStoreUri(m.servedModelName)) checkObjectStoreRevisions(report, mi, m);
    if (!isRecord(m) || m.server !== "simulator") return;
    for (const key of VLLM_ONLY_MODEL_SETTINGS) {
      if (m[key] === undefined) continue;
      report(["models", mi, key], `is set but server is 'simulator', which loads no weights and takes no GPUs: only server 'vllm' reads ${key}; remove it, or use server 'vllm'`);
    }
    // The simulator registers its adapters by name only (--lora-modules '{"name": …}'): no LoRA slots to size.
    if (Array.isArray(m.loraAdapters)) {
      m.loraAdapters.forEach((a, ai) => {
        if (isRecord(a) && a.rank !== undefined) {
          report(["models", mi, "loraAdapters", ai, "rank"], "is set but server is 'simulator', which registers adapters by name and loads none: only server 'vllm' reads rank (--max-lora-rank); remove it, or use server 'vllm'");
        }
      });
    }
    if (!Array.isArray(m.versions)) return;
    m.versions.forEach((v, vi) => {
      if (isRecord(v) && v.revision !== undefined) {
        report(["models", mi, "versions", vi, "revision"], "is set but server is 'simulator', which downloads no weights: only server 'vllm' reads revision (--revision); remove it, or use server 'vllm'");
      }
    });
  });
}

/**
 * The agent layer renders only on the clusters its agents run on (components/agents
 * agentClusterManifests): with no agents, the agent gateway block configures nothing. (Tools no
 * agent lists stay allowed: a catalogue of tools ahead of the agents that will call them.)
 */
function checkAgentGateway(report: Report, written: Record<string, unknown>): void {
  // Agents that are no list have a field error of their own: whether any run is not known.
  const noAgents = written.agents === undefined || (Array.isArray(written.agents) && written.agents.length === 0);
  if (noAgents && isRecord(written.gateways) && written.gateways.agents !== undefined) {
    report(["gateways", "agents"], "is set but agents is empty: the agent gateway (its listener, TLS, JWT and LLM routes) is deployed only where agents run, so this block is read by nothing; remove it, or add agents");
  }
}

/** The inference gateway likewise renders only on the clusters a model is placed on (components/inference clusterInferenceManifests). */
function checkInferenceGateway(report: Report, written: Record<string, unknown>): void {
  const noModels = written.models === undefined || (Array.isArray(written.models) && written.models.length === 0);
  if (noModels && isRecord(written.gateways) && written.gateways.inference !== undefined) {
    report(["gateways", "inference"], "is set but models is empty: the inference gateway (its listener and TLS) is deployed only where models are served, so this block is read by nothing; remove it, or add models");
  }
}

/**
 * vLLM passes `--revision` to the Hugging Face Hub; a model streamed from object storage has no
 * branches, tags or commits to pick, so a revision there is read by nothing.
 */
function checkObjectStoreRevisions(report: Report, mi: number, model: Record<string, unknown>): void {
  if (!Array.isArray(model.versions)) return;
  model.versions.forEach((v, vi) => {
    if (isRecord(v) && v.revision !== undefined) {
      report(["models", mi, "versions", vi, "revision"], `is set but servedModelName '${String(model.servedModelName)}' is an object-store path, which has no Hugging Face branches, tags or commits: revision is read by nothing; remove it (the versions of such a model differ by image only)`);
    }
  });
}

/** Every written setting that another setting leaves unread, reported at its own path. */
export function checkIgnoredSettings(report: Report, written: unknown): void {
  if (!isRecord(written)) return;
  checkCaKey(report, written.mesh);
  checkLlmRoutes(report, written.gateways);
  checkSimulatorModels(report, written.models);
  checkAgentGateway(report, written);
  checkInferenceGateway(report, written);
}
