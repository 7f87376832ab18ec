/**
 * `npm run crds` (scripts/fetch-crds.ts) reads its command line before it downloads anything:
 * `--help` prints the usage and exits 0, an unknown option or argument exits 2 naming it. Run in a
 * throwaway fork of the checkout (its own scripts/, so its `.crd-cache/` is the fork's) with
 * `fetch` replaced by one that records the URL and fails, so no case reaches the network.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";
import { repoRoot } from "../support/render";
import { tempDir } from "../support/tmp";

const fork = tempDir("im-crds-fork-");
// scripts/ is copied, so that the cache the script writes (beside its own directory) is the fork's.
fs.cpSync(path.join(repoRoot, "scripts"), path.join(fork, "scripts"), { recursive: true });
for (const dir of ["infra", "node_modules"]) fs.symlinkSync(path.join(repoRoot, dir), path.join(fork, dir));
for (const file of ["package.json", "tsconfig.json"]) fs.copyFileSync(path.join(repoRoot, file), path.join(fork, file));
const noNetwork = path.join(tempDir("im-crds-no-network-"), "no-network.mjs");
fs.writeFileSync(noNetwork, 'globalThis.fetch = async (url) => { process.stderr.write(`network: ${url}\\n`); throw new Error("no network in this test"); };\n');

function crds(args: string[]) {
  const res = spawnSync(process.execPath, ["--import", "tsx", "--import", pathToFileURL(noNetwork).href, path.join(fork, "scripts", "fetch-crds.ts"), ...args], {
    cwd: fork,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "", INIT_CWD: fork },
    timeout: 60_000,
  });
  assert.doesNotMatch(res.stderr, /^network: /m, `${args.join(" ")}: nothing is fetched`);
  assert.deepEqual(fs.readdirSync(fork).filter((f) => f.startsWith(".crd-cache")), [], `${args.join(" ")}: no cache, not even a temporary one`);
  return res;
}

test("the fork's fetch is the one that fails: without options npm run crds would download, and says it could not", () => {
  const res = spawnSync(process.execPath, ["--import", "tsx", "--import", pathToFileURL(noNetwork).href, path.join(fork, "scripts", "fetch-crds.ts")], {
    cwd: fork, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", INIT_CWD: fork }, timeout: 60_000,
  });
  assert.equal(res.status, 1, res.stderr);
  assert.match(res.stderr, /^network: https:\/\//m);
  assert.match(res.stderr, /could not download the CRD bundles: no network in this test/);
});

test("npm run crds -- --help (or -h) prints the usage and exits 0 without downloading anything", () => {
  for (const flag of ["--help", "-h"]) {
    const res = crds([flag]);
    assert.equal(res.status, 0, `${flag}: ${res.stderr}`);
    assert.match(res.stdout, /^usage: npm run crds\n/, flag);
    assert.match(res.stdout, /\.crd-cache\//, `${flag}: says where the bundles go`);
    assert.match(res.stdout, /infra\/versions\.ts/, `${flag}: says which versions`);
    assert.equal(res.stderr, "", flag);
  }
});

test("npm run crds with an unknown option or an argument exits 2 naming it, before any network access", () => {
  for (const [args, message] of [
    [["--bogus"], /^crds: Unknown option '--bogus'/],
    [["--out", "dir"], /^crds: Unknown option '--out'/],
    [["gateway-api"], /^crds: Unexpected argument 'gateway-api'/],
  ] as const) {
    const res = crds([...args]);
    assert.equal(res.status, 2, `${args.join(" ")}: ${res.stderr}`);
    assert.match(res.stderr, message, args.join(" "));
    assert.match(res.stderr, /\nusage: npm run crds\n/, `${args.join(" ")}: the usage follows`);
    assert.equal(res.stdout, "", args.join(" "));
  }
});
