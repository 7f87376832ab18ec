/**
 * `npm run policy` run as a user runs it: scripts/policy.ts in a child process from the
 * repository root, without the test runner's NODE_OPTIONS.
 */
import * as path from "node:path";
import { spawnSync, type SpawnSyncOptionsWithStringEncoding, type SpawnSyncReturns } from "node:child_process";
import { repoRoot } from "./render";

/** `env` replaces the default environment (the runner's, NODE_OPTIONS emptied); `input`/`stdio` feed its standard input. */
export type PolicyCliOptions = Pick<SpawnSyncOptionsWithStringEncoding, "env" | "timeout" | "input" | "stdio">;

export function runPolicyCli(args: string[], options: PolicyCliOptions = {}): SpawnSyncReturns<string> {
  const { env, ...rest } = options;
  return spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "scripts", "policy.ts"), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: env ?? { ...process.env, NODE_OPTIONS: "" },
    ...rest,
  });
}
