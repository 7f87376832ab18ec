/**
 * Where the schema tests read upstream CRDs (README "Upstream CRDs"): `$CRD_DIR`, else
 * `../shared/crds` beside the checkout, else `.crd-cache/` (`npm run crds`), else a failure that
 * says so. Checked on throwaway checkouts, so the answer does not depend on this machine's layout.
 * The live exports read bundles' objects from there in either layout.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { crdDir, upstreamCrd } from "../support/schemas";
import { liveExport } from "../support/live-export";
import { defaultVersions, upstreamSources } from "../../infra/versions";
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

test("a live export finds each CRD bundle's objects in ../shared/crds's layout (a file per CRD) and in npm run crds's (the release bundles)", () => {
  const shared = crdDir();
  // The cache as `npm run crds` writes it (scripts/fetch-crds.ts: each URL's base name under its
  // bundle's directory), built from the CRDs at hand.
  const cache = tempDir("crd-cache-layout-");
  fs.mkdirSync(path.join(cache, "gie"));
  fs.mkdirSync(path.join(cache, "gateway-api"));
  fs.writeFileSync(path.join(cache, "gie", path.basename(upstreamSources.gieCrds(defaultVersions.gie))), yaml.dump(upstreamCrd("inferencepools.inference.networking.k8s.io")));
  const llmd = ["inferenceobjectives.llm-d.ai", "inferencemodelrewrites.llm-d.ai"].map((n) => yaml.dump(upstreamCrd(n))).join("---\n");
  fs.writeFileSync(path.join(cache, "gie", path.basename(upstreamSources.llmdRouterCrds(defaultVersions.llmdRouter)[0])), llmd);
  fs.copyFileSync(path.join(shared, "gateway-api", "standard-install.yaml"), path.join(cache, "gateway-api", "standard-install.yaml"));
  const configFile = (name: string, file: string) => ({
    urn: `urn:pulumi:prod::inference-mesh::kubernetes:yaml/v2:ConfigFile::${name}`,
    custom: false,
    type: "kubernetes:yaml/v2:ConfigFile",
    inputs: { file },
  });
  const doc = {
    version: 3,
    deployment: {
      resources: [
        configFile("gie", upstreamSources.gieCrds(defaultVersions.gie)),
        configFile("llmd", upstreamSources.llmdRouterCrds(defaultVersions.llmdRouter)[0]),
        configFile("gwapi", upstreamSources.gatewayApiCrds(defaultVersions.gatewayApi)),
      ],
    },
  };
  const children = (dir: string) => {
    const saved = process.env.CRD_DIR;
    process.env.CRD_DIR = dir;
    try {
      const out = liveExport(doc as never).deployment.resources!;
      return Object.fromEntries(["gie", "llmd", "gwapi"].map((n) => [n, out.filter((r) => r.parent?.endsWith(`::${n}`)).map((r) => `${r.type}/${r.id}`).sort()]));
    } finally {
      if (saved === undefined) delete process.env.CRD_DIR;
      else process.env.CRD_DIR = saved;
    }
  };
  const fromShared = children(shared);
  // GIE v1.6.0's v1-manifests.yaml holds the CRDs serving v1 (its Makefile's `artifacts`): InferencePool, not InferencePoolImport.
  assert.deepEqual(fromShared.gie, ["kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition/inferencepools.inference.networking.k8s.io"]);
  assert.deepEqual(fromShared.llmd, [
    "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition/inferencemodelrewrites.llm-d.ai",
    "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition/inferenceobjectives.llm-d.ai",
  ]);
  assert.ok(fromShared.gwapi.includes("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition/httproutes.gateway.networking.k8s.io"));
  assert.deepEqual(children(cache), fromShared);
});
