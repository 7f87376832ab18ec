/**
 * The transpiled pack the offline review starts (scripts/lib/pack-build.ts): built once per
 * source state and reused, rebuilt when a source changes, started with plain node, and a pack
 * that does not compile fails naming the file and line.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { packEntry } from "../../scripts/lib/pack-build";
import { PolicyPackProcess } from "../../scripts/lib/policy-pack";
import { repoRoot } from "../support/render";
import { packDir as fixture } from "../support/review-fixture";

fs.mkdirSync(path.join(repoRoot, ".test-cache"), { recursive: true });
// Inside the repository, so that the copy resolves @pulumi/policy as the fixture does.
const work = fs.mkdtempSync(path.join(repoRoot, ".test-cache", "pack-build-"));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function copyOfFixture(name: string): string {
  const dir = path.join(work, name);
  fs.cpSync(fixture, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
  return dir;
}

test("built once per source state, rebuilt on change, and it boots with plain node", async () => {
  const dir = copyOfFixture("ok");
  const first = packEntry(dir);
  assert.ok(first.startsWith(path.join(dir, "node_modules", ".cache")), first);
  assert.match(fs.readFileSync(first, "utf8"), /require\(/, "CommonJS output");
  assert.equal(packEntry(dir), first, "same sources, same build");
  fs.appendFileSync(path.join(dir, "policies.ts"), "\n// changed\n");
  const second = packEntry(dir);
  assert.notEqual(second, first);
  assert.ok(fs.existsSync(first), "a recent build stays for reviews that may still be starting it");
  const pack = await PolicyPackProcess.start(dir, { stack: "staging", project: "shop" });
  try {
    const info = await pack.info();
    assert.equal(info.name, "review-fixture");
  } finally {
    await pack.close();
  }
});

test("a pack that does not compile fails naming the file and line", async () => {
  const dir = copyOfFixture("broken");
  fs.writeFileSync(path.join(dir, "policies.ts"), "export const x = ;\n");
  assert.throws(() => packEntry(dir), (err: Error) => err.message.includes(`${path.join(dir, "policies.ts")}:1:`) && /Expression expected/.test(err.message));
  await assert.rejects(PolicyPackProcess.start(dir, { stack: "s", project: "p" }), /policy pack does not compile/);
});

test("a reused build counts as fresh, so another checkout's build does not sweep it away while a review starts it", () => {
  const dir = copyOfFixture("reuse");
  const entry = packEntry(dir);
  const build = path.dirname(entry);
  const longAgo = new Date(Date.now() - 60 * 60_000);
  fs.utimesSync(build, longAgo, longAgo);
  assert.equal(packEntry(dir), entry);
  assert.ok(Date.now() - fs.statSync(build).mtimeMs < 60_000, "reuse refreshes the build's mtime");
  // A change builds anew and sweeps builds idle for ten minutes: the one just reused stays.
  fs.appendFileSync(path.join(dir, "index.ts"), "\n// changed\n");
  const rebuilt = packEntry(dir);
  assert.notEqual(rebuilt, entry);
  assert.ok(fs.existsSync(entry), "the reused build survives the sweep");
});
