/**
 * Renders stacks for tests by running the real CLI (`scripts/render.ts`) in a child process, as a
 * user would. Pulumi's runtime is process-global, so one render needs one process. Results are
 * cached under `.test-cache/render/<hash>/`, keyed by the sources and the stack config, so the
 * suite renders each distinct stack once even across test files.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import * as yaml from "js-yaml";
import type { CapturedResource, DeploymentExport } from "../../scripts/lib/engine";
import { manifestsByCluster, KubernetesObject, releasesByCluster, ReleaseSummary } from "../../scripts/lib/outputs";
import { tempDir } from "./tmp";

export const repoRoot = path.resolve(__dirname, "..", "..");

const sourceDirs = ["infra", "components", "scripts", "policy", "stacks"];

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === "node_modules") return [];
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p) : [p];
  });
}

let sourceHash: string | undefined;
function sourcesDigest(): string {
  if (sourceHash) return sourceHash;
  const h = createHash("sha256");
  for (const f of [...sourceDirs.flatMap((d) => listFiles(path.join(repoRoot, d))), path.join(repoRoot, "Pulumi.yaml")].sort()) {
    h.update(f).update(fs.readFileSync(f));
  }
  // The pack a render reviews with is part of its output (policy.json).
  h.update(`pack:${process.env.INFERENCE_MESH_POLICY_PACK ?? ""}`);
  sourceHash = h.digest("hex").slice(0, 16);
  return sourceHash;
}

export interface RenderRun {
  code: number;
  stdout: string;
  stderr: string;
  /** `<out>/<stack>` */
  dir: string;
}

/** Runs the render CLI; `outDir` is the parent of `<stack>/`. */
export function runRender(args: string[], outDir: string): RenderRun & { stack: string } {
  const stack = args[args.indexOf("--stack") + 1];
  const res = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "scripts", "render.ts"), ...args, "--out", outDir], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: res.status ?? 1, stdout: res.stdout, stderr: res.stderr, dir: path.join(outDir, stack), stack };
}

export class Rendered {
  readonly resources: CapturedResource[];
  constructor(readonly run: RenderRun, readonly exported: DeploymentExport) {
    this.resources = exported.deployment.resources;
  }
  ofType(type: string): CapturedResource[] {
    return this.resources.filter((r) => r.type === type);
  }
  /** Kubernetes objects applied on `cluster`, in apply order. */
  objects(cluster: string): KubernetesObject[] {
    return manifestsByCluster(this.resources).get(cluster)?.objects ?? [];
  }
  allObjects(): { cluster: string; object: KubernetesObject }[] {
    return [...manifestsByCluster(this.resources).values()].flatMap((m) => m.objects.map((object) => ({ cluster: m.cluster, object })));
  }
  releases(cluster: string): ReleaseSummary[] {
    return releasesByCluster(this.resources).get(cluster) ?? [];
  }
  clusters(): string[] {
    return [...manifestsByCluster(this.resources).keys()];
  }
  file(rel: string): string {
    return fs.readFileSync(path.join(this.run.dir, rel), "utf8");
  }
}

function cached(key: string, args: string[]): Rendered {
  const cacheDir = path.join(repoRoot, ".test-cache", "render", key);
  const stack = args[args.indexOf("--stack") + 1];
  const dir = path.join(cacheDir, stack);
  let run: RenderRun;
  const meta = path.join(cacheDir, `${stack}.run.json`);
  if (fs.existsSync(meta) && fs.existsSync(path.join(dir, "stack.json"))) {
    run = JSON.parse(fs.readFileSync(meta, "utf8"));
  } else {
    run = runRender(args, cacheDir);
    if (run.code !== 0 && !fs.existsSync(path.join(dir, "stack.json"))) {
      throw new Error(`render ${args.join(" ")} failed (exit ${run.code}):\n${run.stderr}\n${run.stdout}`);
    }
    fs.writeFileSync(meta, JSON.stringify(run));
  }
  return new Rendered(run, JSON.parse(fs.readFileSync(path.join(dir, "stack.json"), "utf8")));
}

/** A shipped stack, rendered once per source revision. */
export function renderShipped(stack: "local" | "dev" | "prod"): Rendered {
  return cached(`${sourcesDigest()}-${stack}`, ["--stack", stack]);
}

/** A platform config of the test's own, rendered as a stack named `stack`. */
export function renderPlatform(stack: string, platform: unknown): Rendered {
  const body = yaml.dump({ config: { "inference-mesh:platform": platform } });
  const key = `${sourcesDigest()}-${createHash("sha256").update(stack + body).digest("hex").slice(0, 16)}`;
  const file = path.join(tempDir("inference-mesh-stack-"), `Pulumi.${stack}.yaml`);
  fs.writeFileSync(file, body);
  return cached(key, ["--stack", stack, "--stack-file", file]);
}

/** Runs the CLI on a config without caching, for failure cases; returns the run and out dir. */
export function renderConfigExpectingFailure(stack: string, platform: unknown): RenderRun & { outDir: string } {
  const outDir = tempDir("inference-mesh-bad-");
  const file = path.join(outDir, "Pulumi.bad.yaml");
  fs.writeFileSync(file, yaml.dump({ config: { "inference-mesh:platform": platform } }));
  return { ...runRender(["--stack", stack, "--stack-file", file], outDir), outDir };
}

/** The platform config of a shipped stack, as a plain object tests can mutate. */
export function shippedPlatform(stack: "local" | "dev" | "prod"): any {
  const doc = yaml.load(fs.readFileSync(path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as any;
  return structuredClone(doc.config["inference-mesh:platform"]);
}
