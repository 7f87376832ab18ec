/**
 * What llm-d-router v0.10.0 makes of token-producer's parameters (and of its deprecated type
 * `tokenizer`, the same factory): requestcontrol/dataproducer/tokenizer tokenizer.go
 * tokenizerPluginConfig and PluginFactory, vllm_http.go vllmConfig and newVLLMHTTPRenderer.
 * One backend: `estimate` (byte-packing, the default), `vllm` or `modelName` (vLLM's /render
 * endpoint), or the deprecated `udsTokenizerConfig`, a type of llm-d-kv-cache v0.9.0 not in reach
 * here, so neither its fields nor whether it is enabled are judged. Pure: parameters in, problems out.
 */
import type { Field } from "./go-json-decode";
import { goDuration, param } from "./go-json-decode";
import { isObject } from "./values";

const RESOLUTION: Field = { fields: { width: "int", height: "int" } };
const MODES = { image: ["dynamic", "static"], tokensPerFrame: ["dynamic", "static"], frames: ["sampled", "strided"] };

export const TOKEN_PRODUCER_FIELDS: Record<string, Field> = {
  udsTokenizerConfig: "any",
  vllm: { fields: { url: "string", timeout: "string", mmTimeout: "string" } },
  estimate: {
    fields: {
      image: { fields: { mode: "string", defaultResolution: RESOLUTION, static: { fields: { staticToken: "int" } }, dynamic: { fields: { factor: "int" } } } },
      video: {
        fields: {
          defaultResolution: RESOLUTION,
          defaultDuration: "float",
          tokensPerFrame: { fields: { mode: "string", static: { fields: { numTokensPerFrame: "int" } }, dynamic: { fields: { factor: "int" } } } },
          frames: {
            fields: {
              mode: "string", minFrames: "int", maxFrames: "int",
              sampled: { fields: { sampleFPS: "float", temporalPatchSize: "int" } },
              strided: { fields: { defaultSourceFPS: "float", frameStride: "int" } },
            },
          },
          maxVideoTokens: "int",
        },
      },
    },
  },
  modelName: "string",
};

const obj = (o: unknown, name: string): Record<string, unknown> | undefined => {
  const v = isObject(o) ? param(o as Record<string, unknown>, name) : undefined;
  return isObject(v) ? (v as Record<string, unknown>) : undefined;
};

/** PluginFactory's checks and the vLLM renderer's, after a clean decode (`at` is plugins[i].parameters). */
export function tokenProducerProblems(type: string, p: Record<string, unknown>, at: string): string[] {
  const out: string[] = [];
  const factory = `${type}'s factory`;
  const vllm = obj(p, "vllm");
  const model = param(p, "modelName");
  const named = typeof model === "string" && model !== "";
  // A `vllm` object (`{}` included: a non-nil pointer) or a modelName selects the vLLM backend.
  if (obj(p, "estimate") && (vllm || named)) out.push(`${at} sets estimate beside ${vllm ? "vllm" : "modelName"}, which ${factory} refuses ("only one of 'estimate', 'vllm', or 'udsTokenizerConfig' may be set"; a modelName selects vllm)`);
  if (vllm && !named) out.push(`${at}.vllm is set without a modelName, which ${factory} refuses ("'modelName' must be specified"): the vLLM backend renders for that model`);
  for (const key of ["timeout", "mmTimeout"]) {
    const d = vllm ? param(vllm, key) : undefined;
    if (typeof d === "string" && d !== "" && !goDuration(d).ok) out.push(`${at}.vllm.${key} ${JSON.stringify(d)} is not a Go duration (a number with a unit: ms, s, m, like "5s"), which ${factory} refuses`);
  }
  const estimate = obj(p, "estimate");
  const modes: [string, Record<string, unknown> | undefined, string[]][] = [
    ["estimate.image", obj(estimate, "image"), MODES.image],
    ["estimate.video.tokensPerFrame", obj(obj(estimate, "video"), "tokensPerFrame"), MODES.tokensPerFrame],
    ["estimate.video.frames", obj(obj(estimate, "video"), "frames"), MODES.frames],
  ];
  for (const [path, section, allowed] of modes) {
    const mode = section ? param(section, "mode") : undefined;
    if (typeof mode === "string" && mode !== "" && !allowed.includes(mode)) out.push(`${at}.${path}.mode ${JSON.stringify(mode)} is neither ${allowed.join(" nor ")}, which ${factory} refuses`);
  }
  return out;
}
