/**
 * `npm run policy` run as a user runs it: scripts/policy.ts in a child process from the
 * repository root, without the test runner's NODE_OPTIONS.
 */
import * as path from "node:path";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { repoRoot } from "./render";

export function runPolicyCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "scripts", "policy.ts"), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: options.env ?? { ...process.env, NODE_OPTIONS: "" },
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  });
}
