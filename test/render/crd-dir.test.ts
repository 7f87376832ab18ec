/**
 * Where the schema tests read upstream CRDs (README "Upstream CRDs"): `$CRD_DIR`, else
 * `../shared/crds` beside the checkout, else `.crd-cache/` (`npm run crds`), else a failure that
 * says so. Checked on throwaway checkouts, so the answer does not depend on this machine's layout.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { crdDir } from "../support/schemas";
import { tempDir } from "../support/tmp";

/** A checkout at `<tmp>/repo`, optionally with `../shared/crds` and `.crd-cache/` holding a file. */
function checkout(opts: { shared?: boolean; cache?: boolean }): { root: string; shared: string; cache: string } {
  const base = tempDir("crd-dir-");
  const root = path.join(base, "repo");
  const shared = path.join(base, "shared", "crds");
  const cache = path.join(root, ".crd-cache");
  fs.mkdirSync(root);
  for (const [want, dir] of [[opts.shared, shared], [opts.cache, cache]] as const) {
    if (!want) continue;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "crd.yaml"), "kind: CustomResourceDefinition\n");
  }
  return { root, shared, cache };
}

test("CRDs come from ../shared/crds, else .crd-cache/, else a failure naming both and npm run crds", () => {
  const both = checkout({ shared: true, cache: true });
  assert.equal(crdDir({}, both.root), both.shared);
  const forked = checkout({ cache: true });
  assert.equal(crdDir({}, forked.root), forked.cache);
  assert.throws(() => crdDir({}, checkout({}).root), /no upstream CRDs found: set CRD_DIR, keep \.\.\/shared\/crds beside the checkout, or run `npm run crds`/);
});

test("a CRD_DIR that is set is used, and one that holds no CRDs fails instead of falling back to ../shared or the cache", () => {
  const { root, shared } = checkout({ shared: true, cache: true });
  // A directory of its own: ../shared/crds as CRD_DIR would pass even if CRD_DIR were ignored.
  const own = checkout({ shared: true }).shared;
  assert.equal(crdDir({ CRD_DIR: own }, root), own);
  const misspelt = path.join(path.dirname(shared), "crdz");
  assert.throws(() => crdDir({ CRD_DIR: misspelt }, root), new RegExp(`CRD_DIR=${misspelt} is not a directory of upstream CRD YAML files`));
  const empty = tempDir("crd-dir-empty-");
  assert.throws(() => crdDir({ CRD_DIR: empty }, root), /CRD_DIR=.* is not a directory of upstream CRD YAML files/);
});
