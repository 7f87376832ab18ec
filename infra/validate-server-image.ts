/**
 * A model version runs the image of its model's server. vLLM's container runs
 * `python3 -m vllm.entrypoints.openai.api_server` (components/inference/model-server.ts), which
 * the simulator's distroless image (llm-d-inference-sim's Dockerfile: gcr.io/distroless/static,
 * entrypoint the Go binary) does not have. The simulator's container runs the image's entrypoint
 * with simulator flags (`--force-dummy-tokenizer`…), which vLLM's CLI refuses (its
 * vllm/entrypoints/cli/main.py calls `parse_args`, which exits on unrecognized arguments). Either
 * swap leaves the pods crash-looping and `pulumi up` waiting for them. Only the upstream
 * repositories' own names are recognised (a mirror keeps them as its last path segment); any
 * other image is the operator's to vouch for.
 */
import { PlatformConfig } from "./schema";
import { defaultVersions } from "./versions";
import { eachItem, Report, unlessBroken } from "./validate-support";

/** The repository's last path segment: `ghcr.io/llm-d/llm-d-inference-sim:v0.10.2` → `llm-d-inference-sim`. */
export function imageRepositoryName(ref: string): string {
  const last = ref.split("@")[0].split("/").pop() ?? "";
  return last.split(":")[0];
}

const simulatorRepository = /^llm-d-inference-sim$/;
const vllmRepository = /^vllm-openai(-[a-z0-9]+)?$/;

/** Why `image` cannot run server `server`, or undefined when nothing says it cannot. */
export function serverImageProblem(server: "vllm" | "simulator", image: string): string | undefined {
  const repo = imageRepositoryName(image);
  if (server === "vllm" && simulatorRepository.test(repo)) {
    return `'${image}' is the llm-d inference simulator, which has no python3 to run vLLM's server (a distroless image): use a vLLM image (vllm/vllm-openai), or server 'simulator'`;
  }
  if (server === "simulator" && vllmRepository.test(repo)) {
    return `'${image}' is a vLLM image, whose argument parser exits on the simulator's flags (--force-dummy-tokenizer): use the simulator image (ghcr.io/llm-d/llm-d-inference-sim), or server 'vllm'`;
  }
  return undefined;
}

export function checkServerImages(report: Report, cfg: PlatformConfig): void {
  // A stack-wide default that no version of that server uses is not reported: nothing runs it.
  const reportedDefaults = new Set<string>();
  eachItem(cfg.models, (m, mi) => {
    unlessBroken(() => {
      const key = m.server === "vllm" ? "vllmImage" : "simulatorImage";
      eachItem(m.versions, (v, vi) => {
        if (v.image !== undefined) {
          const problem = serverImageProblem(m.server, v.image);
          if (problem) report(["models", mi, "versions", vi, "image"], `${problem} (model '${m.name}' runs server '${m.server}')`);
          return;
        }
        const image = cfg.versions[key] ?? defaultVersions[key];
        const problem = serverImageProblem(m.server, image);
        if (problem && !reportedDefaults.has(key)) {
          reportedDefaults.add(key);
          report(["versions", key], `${problem} (model '${m.name}' runs server '${m.server}' from this default)`);
        }
      });
    });
  });
}
