/**
 * The platform config schema, values as the CLI and YAML write them (digits, decimals, dates, wrong
 * types) and the bounds of numbers Kubernetes and the clouds store. Each broken config is rejected
 * with a message naming its config path (expectProblem, ./support).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";
import { tempDir } from "../support/tmp";
import { loadStackConfig } from "../../scripts/lib/stack-config";
import { CONFIG_ROOT, platformFromConfigString } from "../../infra/config";
import { expectEachRejected, Rejection } from "./support";

test("numbers Kubernetes stores as int32 are bounded, and node group sizes and disks stay within the clouds' limits", () => {
  const p = shippedPlatform("prod");
  p.models[0].priority = -2147483648;
  p.models[1].priority = 2147483647;
  p.clusters[2].nodeGroups[0].diskSizeGiB = 20000; // a GCE disk may be larger than an EBS volume
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  const big = 3000000000;
  const cases: Rejection[] = [
    [(p) => (p.models[0].priority = big), "models[0].priority", /at most 2147483647: an InferenceObjective priority is a 32-bit integer/],
    [(p) => (p.models[0].priority = -big), "models[0].priority", /at least -2147483648/],
    [(p) => (p.tools[0].replicas = big), "tools[0].replicas", /a replica count is a 32-bit integer/],
    [(p) => (p.agents[0].versions[0].replicas = big), "agents[0].versions[0].replicas", /32-bit integer/],
    [(p) => (p.models[1].epp.replicas = big), "models[1].epp.replicas", /32-bit integer/],
    [(p) => (p.models[0].replicas = big), "models[0].replicas", /32-bit integer/],
    [(p) => (p.mesh.istiodReplicas = big), "mesh.istiodReplicas", /32-bit integer/],
    [(p) => (p.models[1].epp.scorerWeights.queue = big), "models[1].epp.scorerWeights.queue", /a scorer weight is a 32-bit integer/],
    [(p) => (p.clusters[2].nodeGroups[0].maxSize = 1001), "clusters[2].nodeGroups[0].maxSize", /at most 1000/],
    [(p) => (p.clusters[0].systemNodeGroup.desiredSize = 5000), "clusters[0].systemNodeGroup.desiredSize", /at most 1000/],
    [(p) => (p.clusters[0].nodeGroups[0].diskSizeGiB = 70000), "clusters[0].nodeGroups[0].diskSizeGiB", /at most 65536/],
    [(p) => (p.clusters[0].nodeGroups[0].diskSizeGiB = 20000), "clusters[0].nodeGroups[0].diskSizeGiB", /over 16384: EKS nodes boot from an EBS/],
  ];
  expectEachRejected(cases);
});

test("values as `pulumi config set --path` and unquoted YAML write them: digits in a text field, a decimal string in a number field; other wrong types say what the field takes", () => {
  // The CLI stores base-10 digits as an integer (config/object.go coerce) and 0.92 as a string without --type float.
  const p = shippedPlatform("prod");
  p.versions = { nvidiaDriver: 590 };
  p.models[0].versions[0].name = 1;
  p.models[0].versions[1].name = 2;
  p.models[0].versions[0].revision = 20240723;
  p.models[0].gpuMemoryUtilization = "0.92";
  p.models[1].parametersBillions = "32.8";
  p.agents[0].versions[1].name = 2;
  p.tools[0].description = 42;
  p.gateways.agents.jwt.audiences = [1234567890];
  p.policy.minKvCacheFraction = "0.15";
  const spec = parsePlatform(p, "prod");
  assert.equal(spec.versions.nvidiaDriver, "590");
  assert.deepEqual(spec.models[0].versions.map((v) => [v.name, v.revision]), [["1", "20240723"], ["2", undefined]]);
  assert.equal(spec.models[0].gpuMemoryUtilization, 0.92);
  assert.equal(spec.models[1].parametersBillions, 32.8);
  assert.equal(spec.agents[0].versions[1].name, "2");
  assert.equal(spec.tools[0].description, "42");
  assert.deepEqual(spec.gateways.agents!.jwt!.audiences, ["1234567890"]);
  assert.equal(spec.policy.minKvCacheFraction, 0.15);
  // A float cannot be read back as the text it was (1.30 is 1.3), nor can digits beyond 2^53: quote them.
  const bad = shippedPlatform("dev");
  bad.versions = { eksKubernetes: 1.34 };
  bad.gateways.inference.tls.secretName = true;
  bad.models[0].replicas = "two";
  bad.policy.requireTls = "no";
  assert.deepEqual(problemsOf(bad), [
    "inference-mesh:platform.versions.eksKubernetes: must be text, not the number 1.34: quote it ('1.34'), since YAML reads unquoted digits and true/false as numbers and booleans (and 1.30 as 1.3)",
    "inference-mesh:platform.models[0].replicas: must be a number, not the string 'two'",
    "inference-mesh:platform.gateways.inference.tls.secretName: must be text, not the boolean true: quote it ('true'), since YAML reads unquoted digits and true/false as numbers and booleans (and 1.30 as 1.3)",
    "inference-mesh:platform.policy.requireTls: must be true or false, not the string 'no'",
  ]);
});

test("a fraction where a whole number belongs is named as such, not as zod's 'expected int, received number'", () => {
  const p = shippedPlatform("prod");
  p.models[0].versions[0].weight = 94.5;
  p.tools[0].replicas = 1.5;
  assert.deepEqual(problemsOf(p), [
    "inference-mesh:platform.models[0].versions[0].weight: must be a whole number (an integer), not 94.5",
    "inference-mesh:platform.tools[0].replicas: must be a whole number (an integer), not 1.5",
  ]);
});

test("an unquoted YAML date is named as one: one problem per field, with the text the program received", () => {
  // `name: 2024-06-01` is a timestamp to YAML: the CLI hands over Go's text of it, the render its ISO form.
  const p = shippedPlatform("local");
  p.models[0].versions[0].name = "2024-06-01 00:00:00 +0000 UTC";
  p.models[0].versions[1].name = "2025-01-15T00:00:00.000Z";
  assert.deepEqual(problemsOf(p), [
    "inference-mesh:platform.models[0].versions[0].name: must be lowercase letters, digits and '-' ('2024-06-01 00:00:00 +0000 UTC': YAML reads an unquoted date such as 2024-06-01 as a timestamp; quote it)",
    "inference-mesh:platform.models[0].versions[1].name: must be lowercase letters, digits and '-' ('2025-01-15T00:00:00.000Z': YAML reads an unquoted date such as 2025-01-15 as a timestamp; quote it)",
  ]);
  // A field that takes any text takes the timestamp's text, as `pulumi up` would.
  const q = shippedPlatform("local");
  q.tools[0].description = "2024-06-01 00:00:00 +0000 UTC";
  assert.equal(parsePlatform(q, "local").tools[0].description, "2024-06-01 00:00:00 +0000 UTC");
});

test("a stack file with unquoted digits and decimals renders as the CLI would run it", () => {
  const dir = tempDir("cli-values-");
  const file = path.join(dir, "Pulumi.fork.yaml");
  const text = fs.readFileSync(path.join(__dirname, "..", "..", "stacks", "Pulumi.prod.yaml"), "utf8")
    .replace("    environment: prod\n", "    environment: prod\n    versions:\n      nvidiaDriver: 590\n")
    .replace("        gpuMemoryUtilization: 0.92\n", "        gpuMemoryUtilization: '0.92'\n")
    .replace("          - name: v2\n            image: ghcr.io/inference-mesh/examples/support-agent:0.2.0", "          - name: 2\n            image: ghcr.io/inference-mesh/examples/support-agent:0.2.0");
  assert.match(text, /nvidiaDriver: 590\n/);
  assert.match(text, /- name: 2\n/);
  fs.writeFileSync(file, text);
  const spec = parsePlatform(platformFromConfigString(loadStackConfig("fork", file).config[CONFIG_ROOT], "test"), "fork");
  assert.equal(spec.versions.nvidiaDriver, "590");
  assert.equal(spec.models[1].gpuMemoryUtilization, 0.92);
  assert.deepEqual(spec.agents[1].versions.map((v) => v.name), ["v1", "2"]);
});

test("an empty value (YAML null) and a list written as index keys say what the field takes, not zod's 'expected …, received null'", () => {
  const emptyKey = "is empty (a key left without a value in YAML reads as null): it takes";
  const cases: [(p: any) => void, string, string][] = [
    [(p) => (p.models = null), "models", `${emptyKey} a list ([] for none); give it a value, or remove the key where the field is optional`],
    [(p) => (p.gateways.agents = null), "gateways.agents", `${emptyKey} a mapping of keys to values; give it a value, or remove the key where the field is optional`],
    [(p) => (p.clusters[1].nodeGroups[0].instanceType = null), "clusters[1].nodeGroups[0].instanceType", `${emptyKey} text; give it a value, or remove the key where the field is optional`],
    [(p) => (p.clusters[1].nodeGroups[1].spot = null), "clusters[1].nodeGroups[1].spot", `${emptyKey} true or false; give it a value, or remove the key where the field is optional`],
    // `pulumi config set --path 'platform.clusters[3].name' …` on a list of one leaves null items beside it.
    [(p) => (p.clusters[1] = null), "clusters[1]", "is empty (an empty list item, such as `pulumi config set --path` leaves when it sets an index past the list's end): it takes a mapping of keys to values; give it a value, or remove the item"],
    [
      (p) => (p.clusters[0].nodeGroups = { 0: p.clusters[0].nodeGroups[0], 1: p.clusters[0].nodeGroups[1] }),
      "clusters[0].nodeGroups",
      "must be a list, not a mapping with the keys '0', '1': write it as a YAML list (`- …` items); with `pulumi config set --path`, an item is nodeGroups[0], since nodeGroups.0 sets a key named '0'",
    ],
  ];
  for (const [mutate, at, message] of cases) {
    const p = shippedPlatform("prod");
    mutate(p);
    assert.deepEqual(problemsOf(p), [`inference-mesh:platform.${at}: ${message}`]);
  }
  // A mapping that is not index keys gets no such hint.
  const q = shippedPlatform("prod");
  q.models = { llama: q.models[0] };
  assert.deepEqual(problemsOf(q).filter((l) => l.startsWith("inference-mesh:platform.models:")), ["inference-mesh:platform.models: must be a list, not a mapping"]);
});

test("lists and text out of their size say how many they hold and the field takes, not zod's 'expected array to have >=1 items'", () => {
  const cases: [(p: any) => void, string, string][] = [
    [(p) => (p.clusters = []), "clusters", "is an empty list: list at least one"],
    [(p) => (p.models[0].clusters = []), "models[0].clusters", "is an empty list: list at least one"],
    [(p) => (p.models[1].versions = [1, 2, 3, 4, 5].map((i) => ({ name: `v${i}`, weight: i === 1 ? 96 : 1 }))), "models[1].versions", "lists 5; at most 4 are allowed"],
    [(p) => (p.clusters[1].nodeGroups[0].instanceType = ""), "clusters[1].nodeGroups[0].instanceType", "must not be empty"],
  ];
  for (const [mutate, at, message] of cases) {
    const p = shippedPlatform("prod");
    mutate(p);
    assert.ok(problemsOf(p).includes(`inference-mesh:platform.${at}: ${message}`), problemsOf(p).join("\n"));
  }
});
