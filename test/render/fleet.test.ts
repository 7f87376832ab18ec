/**
 * The benchmark's generated fleets must stay valid platforms as the config rules tighten: every
 * shipped stack grown at the bench's factors parses, with the expected number of placements.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { fleetSize, growFleet } from "../../scripts/lib/fleet";
import { shippedPlatform } from "../support/render";

for (const stack of ["local", "dev", "prod"] as const) {
  test(`${stack} grown to 4× and 16× is a valid platform`, () => {
    const base = shippedPlatform(stack);
    for (const factor of [4, 16]) {
      const size = fleetSize(factor);
      const spec = parsePlatform(growFleet(base, size), stack);
      assert.equal(spec.clusters.length, base.clusters.length * size.clusterCopies, `${stack} ${factor}×: clusters`);
      assert.equal(spec.models.length, base.models.length * size.modelCopies, `${stack} ${factor}×: models`);
      const adapters = spec.models.flatMap((m) => m.loraAdapters.map((a) => a.name));
      assert.equal(new Set(adapters).size, adapters.length, `${stack} ${factor}×: adapter names are unique`);
    }
  });
}
