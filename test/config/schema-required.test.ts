/**
 * A required key left out, and a value outside a fixed list, are refused saying what the field
 * takes: zod's own words ("expected string, received undefined", `Invalid option: expected one of
 * "vllm"|"simulator"`) named neither the allowed values nor, for a list, the value given.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";

/** The one problem the shipped stack, mutated, is refused with. */
function onlyProblem(stack: "prod" | "local", mutate: (p: any) => void): string {
  const p = shippedPlatform(stack);
  mutate(p);
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  return problems[0];
}

test("a required text key left out is refused with what the field takes, from the field's own rule", () => {
  const cases: [(p: any) => void, string, RegExp][] = [
    [(p) => delete p.clusters[0].region, "clusters[0].region", /^is required \(text\): it must be an AWS commercial region: .*us-east-1/],
    [(p) => delete p.clusters[2].region, "clusters[2].region", /^is required \(text\): it must be a GCP region: .*us-central1/],
    [(p) => delete p.clusters[2].zone, "clusters[2].zone", /^is required \(text\): it must be a GCP zone such as us-central1-a/],
    [(p) => delete p.clusters[2].project, "clusters[2].project", /^is required \(text\): it must be a GCP project ID: 6 to 30 lowercase letters/],
    [(p) => delete p.mesh.trustDomain, "mesh.trustDomain", /^is required \(text\): it must be a DNS-style trust domain such as cluster\.local/],
    [(p) => delete p.mesh.meshId, "mesh.meshId", /^is required \(text\): it must be a DNS-1123 label of at most 40 characters/],
    [(p) => delete p.gateways.inference.hostname, "gateways.inference.hostname", /^is required \(text\): it must be a lowercase DNS hostname/],
    [(p) => delete p.tools[0].image, "tools[0].image", /^is required \(text\): it must pin a tag or a digest/],
  ];
  for (const [mutate, at, message] of cases) {
    const problem = onlyProblem("prod", mutate);
    const prefix = `inference-mesh:platform.${at}: `;
    assert.ok(problem.startsWith(prefix), problem);
    assert.match(problem.slice(prefix.length), message);
  }
});

test("a required key whose rule says no more than 'not empty' gives its schema's example, and a rule quoting the empty value back is read without the quote", () => {
  assert.equal(onlyProblem("prod", (p) => delete p.models[0].servedModelName), "inference-mesh:platform.models[0].servedModelName: is required (text, such as 'Qwen/Qwen3-32B')");
  assert.equal(onlyProblem("prod", (p) => delete p.clusters[0].systemNodeGroup.instanceType), "inference-mesh:platform.clusters[0].systemNodeGroup.instanceType: is required (text, such as 'm6i.xlarge')");
  // The kubeconfig rule quotes the value it refuses ("not ''"), which would read as if one were given.
  const kubeconfig = onlyProblem("local", (p) => delete p.clusters[0].kubeconfig);
  assert.match(kubeconfig, /^inference-mesh:platform\.clusters\[0\]\.kubeconfig: is required \(text\): it must be an absolute path or start with ~\/ \(such as ~\/\.kube\/config\): /);
  assert.doesNotMatch(kubeconfig, /''/);
});

// Before, a required list or mapping said only "is required (array)" / "(object)": not what goes in it.
test("a required list or mapping left out is refused with what it holds: its keys, its least length, its items' rule", () => {
  assert.equal(onlyProblem("prod", (p) => delete p.mesh), "inference-mesh:platform.mesh: is required (a mapping): it takes the keys meshId, trustDomain (required) and ca, istiodReplicas");
  assert.equal(
    onlyProblem("prod", (p) => delete p.models[0].versions),
    "inference-mesh:platform.models[0].versions: is required (a list, at least 1 item): each item a mapping of name, weight (required) and image, canary, replicas, revision",
  );
  assert.equal(onlyProblem("prod", (p) => delete p.clusters[2].apiAllowedCidrs), "inference-mesh:platform.clusters[2].apiAllowedCidrs: is required (a list of text, at least 1 item): each must be an IPv4 CIDR such as 10.0.0.0/16");
  assert.match(onlyProblem("prod", (p) => delete p.clusters), /^inference-mesh:platform\.clusters: is required \(a list, at least 1 item\): each item a mapping with cloud: one of 'aws', 'gcp', 'existing'/);
  assert.equal(onlyProblem("prod", (p) => delete p.clusters[1].cloud), "inference-mesh:platform.clusters[1].cloud: is required: one of 'aws' (kind 'eks'), 'gcp' (kind 'k3s'), 'existing' (kind 'existing')");
});

test("a value outside a fixed list is refused with the list and the value given, or as missing", () => {
  assert.equal(onlyProblem("prod", (p) => (p.models[0].server = "vLLM")), "inference-mesh:platform.models[0].server: must be one of 'vllm', 'simulator', not 'vLLM'");
  assert.equal(onlyProblem("prod", (p) => delete p.models[0].server), "inference-mesh:platform.models[0].server: is required: one of 'vllm', 'simulator'");
  assert.equal(
    onlyProblem("prod", (p) => (p.models[0].dtype = "bf16")),
    "inference-mesh:platform.models[0].dtype: must be one of 'float32', 'bfloat16', 'float16', 'fp8', 'int8', 'int4', not 'bf16'",
  );
  assert.equal(onlyProblem("prod", (p) => (p.models[1].epp.failureMode = true)), "inference-mesh:platform.models[1].epp.failureMode: must be one of 'FailOpen', 'FailClose', not true");
  assert.match(onlyProblem("prod", (p) => (p.mesh.ca.algorithm = null)), /^inference-mesh:platform\.mesh\.ca\.algorithm: is empty \(a key left without a value in YAML reads as null\): it takes one of 'RSA', 'ECDSA'$/);
  // A literal with a message of its own (kind beside cloud) keeps it.
  assert.equal(onlyProblem("prod", (p) => (p.clusters[0].kind = "k3s")), "inference-mesh:platform.clusters[0].kind: must be 'eks' when cloud is 'aws'");
});

// Before, a required number left out said only "is required (number)": nothing of the range its
// rule holds it to, which the next run would then refuse one value at a time.
test("a required number key left out is refused with the range and the whole-number rule its own rule holds", () => {
  const cases: [(p: any) => void, string, string][] = [
    [(p) => delete p.models[0].maxModelLen, "models[0].maxModelLen", "is required (number): it must be a whole number, at least 256"],
    [(p) => delete p.models[0].parametersBillions, "models[0].parametersBillions", "is required (number): it must be a number, more than 0"],
    [(p) => delete p.models[0].architecture.layers, "models[0].architecture.layers", "is required (number): it must be a whole number, at least 1"],
    [(p) => delete p.clusters[0].nodeGroups[0].minSize, "clusters[0].nodeGroups[0].minSize", "is required (number): it must be a whole number from 0 to 1000"],
  ];
  for (const [mutate, at, message] of cases) assert.equal(onlyProblem("prod", mutate), `inference-mesh:platform.${at}: ${message}`);
});
