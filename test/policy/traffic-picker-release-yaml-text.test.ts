/**
 * Policy tests for inference-pool-epp's reading of text a GIE v1.5.0 chart release writes unquoted
 * into its picker's Deployment (epplib _deployment.yaml `name:`/`image:` of the Envoy sidecar) holding
 * YAML indicators: how go-yaml v2's scanner reads `key: <text>` (go-yaml-scalar.ts blockValue) and
 * what of it Helm cannot parse or the API server cannot decode.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { runStack } from "../support/policy";
import { on } from "./traffic-support";
import { blockValue } from "../../policy/lib/go-yaml-scalar";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const gie = (sidecar: Record<string, unknown>) =>
  on(RELEASE, "gie", { name: "llama", namespace: "inference", chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/standalone", version: "v1.5.0", values: { inferencePool: { modelServers: { matchLabels: { app: "llama" } } }, inferenceExtension: { sidecar } } });
const messages = async (sidecar: Record<string, unknown>) => (await runStack(inferencePoolEpp, [gie(sidecar)] as any)).violations.map((v) => v.message);

test("go-yaml v2 reads a block mapping's one-line value by its scanner's rules", () => {
  const table: [string, unknown][] = [
    ["envoyproxy/envoy:v1.33.2", { read: "scalar", text: "envoyproxy/envoy:v1.33.2", type: "string" }],
    ["envoy@sha256:ab", { read: "scalar", text: "envoy@sha256:ab", type: "string" }],
    ["envoy #sidecar", { read: "scalar", text: "envoy", type: "string" }],
    ["envoy#1", { read: "scalar", text: "envoy#1", type: "string" }],
    ["a[b]{c},d", { read: "scalar", text: "a[b]{c},d", type: "string" }],
    ["-x", { read: "scalar", text: "-x", type: "string" }],
    [":x", { read: "scalar", text: ":x", type: "string" }],
    ["&a envoy", { read: "scalar", text: "envoy", type: "string" }],
    ["&a 123", { read: "scalar", text: "123", type: "int" }],
    ["#x", { read: "scalar", text: "", type: "null" }],
    ["&a", { read: "scalar", text: "", type: "null" }],
    ["{envoy}", { read: "flow", what: "mapping" }],
    ["[envoy", { read: "flow", what: "sequence" }],
    ["*envoy", { read: "alias", anchor: "envoy" }],
    ["envoy: v1", { read: "error", error: "mapping values are not allowed in this context" }],
    ["envoy:", { read: "error", error: "mapping values are not allowed in this context" }],
    ["envoy: #x", { read: "error", error: "mapping values are not allowed in this context" }],
    ["- envoy", { read: "error", error: "block sequence entries are not allowed in this context" }],
    ["? envoy", { read: "error", error: "mapping keys are not allowed in this context" }],
    ["}", { read: "error", error: "did not find expected node content" }],
    ["@envoy", { read: "error", error: "found character that cannot start any token" }],
    ["`envoy`", { read: "error", error: "found character that cannot start any token" }],
    ["%envoy", { read: "error", error: "found character that cannot start any token" }],
    ["*", { read: "error", error: "did not find expected alphabetic or numeric character" }],
    ["&a.b c", { read: "error", error: "did not find expected alphabetic or numeric character" }],
  ];
  for (const [text, read] of table) assert.deepEqual(blockValue(text), read, text);
  // Not read here: a tag, quoted and block scalars, a line break.
  for (const text of ["!!str 1", "'envoy'", "\"envoy\"", "|", ">-", "a\nb"]) assert.equal(blockValue(text), undefined, text);
});

test("inference-pool-epp: a GIE chart sidecar's name or image holding YAML indicators, written unquoted", async () => {
  // Helm cannot parse the Deployment: `: ` in the image, a leading @ or backtick, an alias of no anchor.
  const colon = await messages({ image: "envoyproxy/envoy: v1.33.2" });
  assert.equal(colon.length, 1, colon.join("\n"));
  assert.match(colon[0], /inferenceExtension.sidecar.image "envoyproxy\/envoy: v1.33.2" is written unquoted \(image: envoyproxy\/envoy: v1.33.2\), which YAML cannot parse there \(yaml: mapping values are not allowed in this context; .*\), so Helm cannot parse the chart's Deployment \(YAML parse error\)/);
  for (const image of ["@sha256:abc", "`envoy`", "*envoy", "- envoy"]) assert.match((await messages({ image })).join("\n"), /sidecar.image .* so Helm cannot parse the chart's Deployment/, image);
  // A flow collection: a map or list, no string.
  for (const image of ["{envoy}", "[envoy]"]) assert.match((await messages({ image })).join("\n"), /sidecar.image .* which YAML reads as a flow (mapping|sequence)/, image);
  // A comment-only or anchor-only text reads as null: no image.
  assert.match((await messages({ image: "#envoy" })).join("\n"), /sidecar.image "#envoy" is written unquoted \(image: #envoy\), which YAML reads as null .*containers\[0\].image: Required value/);
  // What YAML reads is the name: " #..." is a comment, so "envoy #sidecar" is the name envoy; "epp #x" the picker's.
  assert.deepEqual(await messages({ name: "envoy #sidecar", image: "envoyproxy/envoy:v1.33.2 # pinned" }), []);
  assert.match((await messages({ name: "epp #x" })).join("\n"), /Duplicate value: "epp"/);
  assert.match((await messages({ name: "&a 123" })).join("\n"), /which YAML reads as a number/);
  // An alias of an anchor the values define, text that stays one string (`#` not after a blank, `[` inside): quiet.
  assert.deepEqual(await messages({ name: "&img envoy", image: "*img" }), []);
  assert.deepEqual(await messages({ image: "envoy#1" }), []);
  assert.deepEqual(await messages({ image: "envoy[1]:v1" }), []);
});
