/**
 * `npm run crds`: downloads the upstream CRD bundles this platform installs, at the pinned
 * versions of infra/versions.ts, into `.crd-cache/` (git-ignored). The schema tests read CRDs
 * from `$CRD_DIR`, else `../shared/crds`, else this cache (the render and the review read none).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultVersions, upstreamSources } from "../infra/versions";
import { forCaller, parseCommandLine } from "./lib/cli";

const cache = path.resolve(__dirname, "..", ".crd-cache");

function bundles(): { dir: string; url: string }[] {
  const v = defaultVersions;
  return [
    { dir: "gateway-api", url: upstreamSources.gatewayApiCrds(v.gatewayApi) },
    { dir: "gie", url: upstreamSources.gieCrds(v.gie) },
    ...upstreamSources.llmdRouterCrds(v.llmdRouter).map((url) => ({ dir: "gie", url })),
    { dir: "istio", url: upstreamSources.istioCrds(v.istio) },
    ...upstreamSources.agentgatewayCrds(v.agentgateway).map((url) => ({ dir: "agentgateway", url })),
  ];
}

/** Every bundle it downloads and where it goes: `--help` tells a fork what it is about to fetch. */
function usage(): string {
  return [
    "usage: npm run crds",
    `Downloads the upstream CRD bundles at the versions pinned in infra/versions.ts into ${forCaller(cache)}/ (replacing it;`,
    "the schema tests read it when neither $CRD_DIR nor ../shared/crds is there):",
    ...bundles().map((b) => `  ${`${b.dir}/`.padEnd(14)}${b.url}`),
    "Options:",
    "  -h, --help  print this and exit, downloading nothing",
  ].join("\n");
}

async function main(): Promise<number> {
  // Before anything is downloaded or the cache is touched: `--help` and a mistyped option fetch nothing.
  const values = parseCommandLine("crds", usage(), {});
  if (typeof values === "number") return values;
  const tmp = fs.mkdtempSync(path.join(path.dirname(cache), ".crd-cache.tmp-"));
  try {
    for (const b of bundles()) {
      const res = await fetch(b.url);
      if (!res.ok) throw new Error(`${b.url}: HTTP ${res.status}`);
      fs.mkdirSync(path.join(tmp, b.dir), { recursive: true });
      fs.writeFileSync(path.join(tmp, b.dir, path.basename(new URL(b.url).pathname)), await res.text());
      console.log(`fetched ${b.url}`);
    }
    fs.rmSync(cache, { recursive: true, force: true });
    fs.renameSync(tmp, cache);
    console.log(`CRDs written to ${forCaller(cache)}/`);
    return 0;
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    console.error(`could not download the CRD bundles: ${err instanceof Error ? err.message : err}`);
    console.error("Set CRD_DIR to a directory of upstream CRD YAML files instead.");
    return 1;
  }
}

main().then((code) => process.exit(code));
