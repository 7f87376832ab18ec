/**
 * The render's RegisterResource path (scripts/lib/monitor.ts) hands the SDK and stack.json the
 * state exactly as Pulumi's MockMonitor would: `serializeProperties` then a Struct round trip.
 * Checked here against those SDK functions on seeded random data (key order included), and the
 * fallback for values only the SDK's serializer can convert.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { plainRoundTrip, NOT_PLAIN } from "../../scripts/lib/monitor";
import { stableOrder, CapturedResource } from "../../scripts/lib/engine";

const rpc = require("@pulumi/pulumi/runtime/rpc");

async function viaSdk(value: Record<string, unknown>): Promise<unknown> {
  return Struct.fromJavaScript(await rpc.serializeProperties("", value)).toJavaScript();
}

function randomState(seed: number): Record<string, unknown> {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const keys = ["b", "a", "Z", "_k", "10", "2", "ä", "metadata", "spec"];
  const value = (depth: number): unknown => {
    switch (Math.floor(rnd() * (depth > 3 ? 7 : 9))) {
      case 0: return null;
      case 1: return undefined;
      case 2: return Math.floor(rnd() * 1000) - 500;
      case 3: return rnd();
      case 4: return "v".repeat(Math.floor(rnd() * 5));
      case 5: return rnd() < 0.5;
      case 6: return () => "functions are dropped";
      case 7: return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, () => [keys[Math.floor(rnd() * keys.length)], value(depth + 1)]));
    }
  };
  return Object.fromEntries(keys.map((k) => [k, value(0)]));
}

test("plain state reads back as serializeProperties + Struct round trip would return it, key order included", async () => {
  for (let seed = 1; seed <= 200; seed++) {
    const state = randomState(seed);
    const ours = plainRoundTrip(state);
    assert.notEqual(ours, NOT_PLAIN);
    assert.equal(JSON.stringify(ours), JSON.stringify(await viaSdk(state)), `seed ${seed}`);
  }
  const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: { z: 1, a: [undefined, 2] } };
  assert.equal(JSON.stringify(plainRoundTrip({ s: secret })), JSON.stringify(await viaSdk({ s: secret })));
});

test("values that need the SDK's serializer are left to it", () => {
  for (const v of [pulumi.output("x"), Promise.resolve(1), new pulumi.asset.StringAsset("a"), new Date(0), Buffer.from("x"), 1n]) {
    assert.equal(plainRoundTrip({ nested: [{ v }] }), NOT_PLAIN, String(v));
  }
});

test("stack.json order: parents, providers and dependencies first, otherwise by URN, whatever the completion order", () => {
  const r = (urn: string, extra: Partial<CapturedResource> = {}): CapturedResource => ({ urn, custom: true, type: "t", inputs: {}, outputs: {}, dependencies: [], propertyDependencies: {}, ...extra });
  const stack = r("urn:s", { custom: false });
  const prov = r("urn:p", { parent: "urn:s" });
  const a = r("urn:a", { parent: "urn:s", provider: "urn:p::id", dependencies: ["urn:z"] });
  const z = r("urn:z", { parent: "urn:s" });
  const b = r("urn:b", { parent: "urn:s" });
  const expected = ["urn:s", "urn:p", "urn:z", "urn:a", "urn:b"];
  for (const order of [[a, b, z, prov, stack], [stack, prov, z, a, b], [b, z, a, stack, prov]]) {
    assert.deepEqual(stableOrder(order).map((x) => x.urn), expected);
  }
});
