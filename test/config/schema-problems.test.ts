/**
 * The platform config schema, how problems are reported: every problem at once, one line per root
 * cause, field errors beside the cross-field problems they do not hide, knock-ons left out. Each
 * broken config is rejected with a message naming its config path (expectProblem, ./support).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";
import { expectProblem, pathsOf, RejectCase, testRejections } from "./support";
import { noteDefaultedValues } from "../../infra/default-notes";

const cases: RejectCase[] = [
  {
    name: "an unknown key (a typo)",
    mutate: (p) => (p.models[0].replica = 3),
    path: "inference-mesh:platform.models[0]",
    message: /unknown key\(s\) 'replica' \(did you mean 'replicas'\?\)/,
  },
  // The message says what the object takes, so the fix of a typo is on the line that reports it.
  {
    name: "an unknown key, listing the keys the object takes",
    mutate: (p) => (p.clusters[0].vpcCIDR = "10.10.0.0/16"),
    path: "inference-mesh:platform.clusters[0]",
    message: /unknown key\(s\) 'vpcCIDR' \(did you mean 'vpcCidr'\?\): remove or fix the spelling; allowed here: name, .*\bvpcCidr\b/,
  },
  // A key a few edits from one the object takes is named with it, as the policy config's typos are.
  {
    name: "a misspelt key, naming the key it is closest to",
    mutate: (p) => (p.models[0].versions[0].wieght = 90),
    path: "inference-mesh:platform.models[0].versions[0]",
    message: /^inference-mesh:platform\.models\[0\]\.versions\[0\]: unknown key\(s\) 'wieght' \(did you mean 'weight'\?\): remove or fix the spelling; allowed here: name, image, weight, canary, replicas, revision$/,
  },
  {
    name: "a misspelt key in a section, naming the key it is closest to",
    mutate: (p) => (p.policy.maxCanaryWieght = 5),
    path: "inference-mesh:platform.policy",
    message: /unknown key\(s\) 'maxCanaryWieght' \(did you mean 'maxCanaryWeight'\?\)/,
  },
  // A short stray key is not offered an unrelated one a few edits away (`spot` is a node group's, not a cluster's).
  {
    name: "a stray short key, with no unrelated key suggested",
    mutate: (p) => (p.clusters[0].spot = true),
    path: "inference-mesh:platform.clusters[0]",
    message: /unknown key\(s\) 'spot': remove or fix the spelling; allowed here: /,
  },
  {
    // The keys of the union member the discriminator chose: a self-signed listener takes only `mode`.
    name: "an unknown key in a union member, listing that member's keys",
    mutate: (p) => (p.gateways.inference.tls = { mode: "selfSigned", secretName: "x" }),
    path: "inference-mesh:platform.gateways.inference.tls",
    message: /unknown key\(s\) 'secretName': remove or fix the spelling; allowed here: mode$/,
  },
];

testRejections(cases);

test("every problem is reported at once, one per line", () => {
  const p = shippedPlatform("prod");
  p.clusters[1].network = p.clusters[0].network;
  p.models[0].versions[0].weight = 50;
  p.agents[0].tools.push("shell");
  const problems = problemsOf(p);
  assert.ok(problems.length >= 3, problems.join("\n"));
  assert.ok(problems.every((line) => line.startsWith("inference-mesh:platform")));
});

test("field errors do not hide the cross-field problems of the same config", () => {
  // The shipped models omit loraAdapters: a field error elsewhere must not drop the rest.
  const p = shippedPlatform("prod");
  p.mesh.trustDomain = "Not A Domain";
  p.clusters[1].name = p.clusters[0].name;
  p.models[0].versions[0].weight = 50;
  p.agents[0].model = "no-such-model";
  const problems = problemsOf(p);
  for (const expected of [/mesh\.trustDomain/, /clusters\[1\]\.name: duplicate cluster name/, /models\[0\]\.versions: weights sum to/, /agents\[0\]\.model/]) {
    assert.ok(problems.some((l) => expected.test(l)), `${expected} in:\n${problems.join("\n")}`);
  }
});

test("a field error does not hide where agents run: the k3s gateway port clash is still reported", () => {
  const p = shippedPlatform("local");
  delete p.gateways.agents.port;
  p.models[0].maxModelLen = "x";
  const problems = problemsOf(p);
  assert.ok(problems.some((l) => l.startsWith("inference-mesh:platform.models[0].maxModelLen")), problems.join("\n"));
  assert.ok(problems.some((l) => /gateways\.agents\.port: port 443 \(the default\) is also the inference gateway's/.test(l)), problems.join("\n"));
});

test("a field error elsewhere does not hide a model that does not fit (items valid on their own keep their defaults)", () => {
  const p = shippedPlatform("dev");
  p.models[0].parametersBillions = 70;
  p.gateways.inference.hostname = "Bad..host";
  const problems = problemsOf(p);
  assert.ok(problems.some((l) => l.startsWith("inference-mesh:platform.gateways.inference.hostname")), problems.join("\n"));
  assert.ok(problems.some((l) => /models\[0\]\.clusters\[0\]: model 'llama-3-1-8b' does not fit cluster 'dev-usw2'/.test(l)), problems.join("\n"));
});

test("a misspelt or uncatalogued GPU type is the one problem reported, not the GPU placement and capacity it hides", () => {
  for (const type of ["g6.2xlage", "g4dn.xlarge"]) {
    const p = shippedPlatform("dev");
    p.clusters[0].nodeGroups[0].instanceType = type;
    assert.deepEqual(problemsOf(p).map((l) => l.split(":")[0] + ":" + l.split(":")[1]), ["inference-mesh:platform.clusters[0].nodeGroups[0].instanceType"], type);
  }
});

test("a model with a field error adds no knock-on GPU capacity problem on its clusters", () => {
  for (const mutate of [(p: any) => (p.models[0].dtype = "fp4"), (p: any) => (p.models[0].gpusPerReplica = "two"), (p: any) => (p.models[0].parametersBillions = -5)]) {
    const p = shippedPlatform("prod");
    mutate(p);
    const problems = problemsOf(p);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.ok(problems[0].startsWith("inference-mesh:platform.models[0]."), problems[0]);
  }
});

test("a policy knob with a field error is the one problem reported, not the rules it tunes", () => {
  const p = shippedPlatform("dev");
  p.policy = { ...(p.policy ?? {}), allowPublicApiEndpoints: "x", maxCanaryWeight: "ten" };
  const problems = problemsOf(p);
  assert.deepEqual(problems.map((l) => l.split(":")[0] + ":" + l.split(":")[1]).sort(), ["inference-mesh:platform.policy.allowPublicApiEndpoints", "inference-mesh:platform.policy.maxCanaryWeight"], problems.join("\n"));
  // A `policy:` left empty in YAML (null) or given a string: nothing of the block is known.
  for (const policy of [null, "strict"]) {
    const q = shippedPlatform("dev");
    q.policy = policy;
    assert.deepEqual(problemsOf(q).map((l) => l.split(":")[0] + ":" + l.split(":")[1]), ["inference-mesh:platform.policy"], String(policy));
  }
});

test("a duplicate cluster name is reported once, without knock-on capacity or derived-name problems", () => {
  const p = shippedPlatform("prod");
  p.clusters[1].name = p.clusters[0].name;
  const problems = problemsOf(p);
  assert.ok(problems.some((l) => /clusters\[1\]\.name: duplicate cluster name/.test(l)), problems.join("\n"));
  assert.ok(!problems.some((l) => /cannot hold every model replica|derives the/.test(l)), problems.join("\n"));
});

test("a field error in an item keeps that item's cross-field problems that do not read the broken field", () => {
  const cases: { mutate: (p: any) => void; field: string; crossField: RegExp; stack?: "prod" | "local" }[] = [
    { mutate: (p) => ((p.models[0].priority = "high"), (p.models[0].versions[0].weight = 85)), field: "models[0].priority", crossField: /models\[0\]\.versions: weights sum to 90/ },
    { mutate: (p) => ((p.models[0].priority = "high"), (p.models[0].clusters = ["aws-use1", "nowhere"])), field: "models[0].priority", crossField: /models\[0\]\.clusters\[1\]: unknown cluster 'nowhere'/ },
    { mutate: (p) => ((p.clusters[0].vpcCidr = "10.10.0.0/33"), (p.clusters[0].nodeGroups[0].minSize = 9)), field: "clusters[0].vpcCidr", crossField: /clusters\[0\]\.nodeGroups\[0\]: sizes must satisfy/ },
    { mutate: (p) => ((p.agents[0].port = 15001), (p.agents[0].model = "nope")), field: "agents[0].port", crossField: /agents\[0\]\.model: unknown model 'nope'/ },
    { mutate: (p) => ((p.models[0].versions[0].image = "x:latest"), (p.models[0].versions[1].weight = 50)), field: "models[0].versions[0].image", crossField: /models\[0\]\.versions: weights sum to 145/ },
    { mutate: (p) => ((p.gateways.agents.jwt = { issuer: "x" }), (p.gateways.agents.port = 443)), field: "gateways.agents.jwt.audiences", crossField: /gateways\.agents\.port: port 443 is also the inference gateway's/ },
    // An absent inference tls is valid (selfSigned): the gateway rules still read it with its default.
    { mutate: (p) => (delete p.gateways.inference.tls, (p.gateways.agents.port = 443), (p.environment = "BAD")), field: "environment", crossField: /gateways\.agents\.port: port 443 is also the inference gateway's/ },
    // A list that is not a list counts as empty for the other rules.
    { mutate: (p) => ((p.tools = {}), (p.clusters[1].name = "aws-use1")), field: "tools", crossField: /clusters\[1\]\.name: duplicate cluster name 'aws-use1'/ },
    { mutate: (p) => ((p.agents = "x"), (p.models[0].versions[0].weight = 85)), field: "agents", crossField: /models\[0\]\.versions: weights sum to 90/ },
    // An item that is not an item at all is skipped; the other items are still checked.
    { mutate: (p) => ((p.clusters[1] = null), (p.clusters[2].subnetCidr = "10.12.0.0/29")), field: "clusters[1]", crossField: /clusters\[2\]\.subnetCidr: .* use a \/28 or larger/ },
  ];
  for (const c of cases) {
    const p = shippedPlatform(c.stack ?? "prod");
    c.mutate(p);
    const problems = problemsOf(p);
    assert.ok(problems.some((l) => l.startsWith(`inference-mesh:platform.${c.field}:`)), `${c.field} in:\n${problems.join("\n")}`);
    assert.ok(problems.some((l) => c.crossField.test(l)), `${c.crossField} in:\n${problems.join("\n")}`);
  }
  // Compliant: the field error alone is the one problem.
  const p = shippedPlatform("prod");
  p.models[0].priority = "high";
  assert.deepEqual(pathsOf(p), ["models[0].priority"]);
});

test("a cross-field problem that reads a broken field, or lies under it, is left out as its knock-on", () => {
  // The weights cannot be summed with one of them broken; the broken list's items are not "unknown".
  const p = shippedPlatform("prod");
  p.models[0].versions[0].weight = "ninety-five";
  assert.deepEqual(pathsOf(p), ["models[0].versions[0].weight"]);
  const q = shippedPlatform("prod");
  q.tools = {};
  assert.deepEqual(pathsOf(q), ["tools"]);
  const r = shippedPlatform("prod");
  r.clusters[0].nodeGroups[0].maxSize = "four";
  assert.deepEqual(pathsOf(r), ["clusters[0].nodeGroups[0].maxSize"]);
  // An unknown key is its own field: the rest of its item is still checked.
  const s = shippedPlatform("prod");
  s.models[0].replica = 2;
  s.models[0].versions[0].weight = 85;
  assert.deepEqual(pathsOf(s), ["models[0]", "models[0].versions"]);
});

test("one root cause, one line: duplicates without their derived-name clashes, unknown clusters once, known lists of valid names", () => {
  const once: [(p: any) => void, string[]][] = [
    [(p) => (p.agents[1].name = "research-agent"), ["agents[1].name"]],
    [(p) => (p.tools[1].name = "web-search"), ["tools[1].name", "agents[0].tools[1]"]], // calculator is gone: a real unknown reference
    // qwen3-32b is gone: a real unknown reference; no capacity problem from the two models' fits under one name.
    [(p) => (p.models[1].name = "llama-3-1-8b"), ["models[1].name", "agents[1].model"]],
    [(p) => (p.models[0].versions[1].name = "v1"), ["models[0].versions[1].name"]],
    [(p) => (p.agents[0].versions[1].name = "v1"), ["agents[0].versions[1].name"]],
    [(p) => (p.clusters[0].nodeGroups[1].name = "gpu-l40s"), ["clusters[0].nodeGroups[1].name"]],
    [(p) => (p.agents[1].clusters = ["nowhere"]), ["agents[1].clusters[0]"]],
    // The empty name is the one problem: one line, and the tool looked for may be the broken one.
    [(p) => (p.tools[0].name = ""), ["tools[0].name"]],
    [(p) => (p.models[1] = null), ["models[1]"]],
  ];
  for (const [mutate, paths] of once) {
    const p = shippedPlatform("prod");
    mutate(p);
    assert.deepEqual(pathsOf(p), paths, problemsOf(p).join("\n"));
  }
  // Still reported: a model not served where the agent runs, and a real derived-name clash.
  const p = shippedPlatform("prod");
  p.agents[1].clusters = ["aws-euw1"];
  expectProblem(p, "inference-mesh:platform.agents[1].clusters[0]", /model 'qwen3-32b' is not served on cluster 'aws-euw1'/);
  const q = shippedPlatform("prod");
  q.agents[0].versions[1].name = "v1-x";
  q.agents.push({ ...structuredClone(q.agents[0]), name: "research-agent-v1", versions: [{ ...q.agents[0].versions[0], name: "x", weight: 100, canary: false }] });
  expectProblem(q, "inference-mesh:platform.agents[2].versions[0].name", /derives the workload name 'research-agent-v1-x'/);
  // A cluster name with a field error: no reference is called unknown (and no blank "known:" entry)
  // until it is fixed; then the unknown one is named with the valid names.
  const r = shippedPlatform("prod");
  r.clusters[1].name = "";
  r.models[0].clusters[0] = "zzz";
  assert.deepEqual(pathsOf(r), ["clusters[1].name"]);
  r.clusters[1].name = "aws-euw1";
  expectProblem(r, "inference-mesh:platform.models[0].clusters[0]", /unknown cluster 'zzz'; known: aws-use1, aws-euw1, gcp-usc1$/);
  const none = shippedPlatform("prod");
  none.models = [];
  expectProblem(none, "inference-mesh:platform.agents[0].model", /unknown model 'llama-3-1-8b'; known: \(none\)$/);
});

test("a problem on a value the stack file leaves out says the default was checked, and which", () => {
  const p = shippedPlatform("prod");
  // Two EKS clusters on the default vpcCidr: the second's problem points at a key its file lacks.
  delete p.clusters[0].vpcCidr;
  delete p.clusters[1].vpcCidr;
  const cidr = problemsOf(p).filter((l) => l.startsWith("inference-mesh:platform.clusters[1].vpcCidr: "));
  assert.equal(cidr.length, 1, cidr.join("\n"));
  assert.match(cidr[0], /overlaps 10\.0\.0\.0\/16 .*\(not in the stack file: the default, "10\.0\.0\.0\/16", was checked; write the value meant\)$/);
  // Beside an unrelated field error the cross-field rules run on the part that parses: the same note.
  p.models[0].dtype = "bf16";
  const besideFieldError = problemsOf(p);
  assert.ok(besideFieldError.some((l) => l.startsWith("inference-mesh:platform.models[0].dtype: ")), besideFieldError.join("\n"));
  assert.deepEqual(besideFieldError.filter((l) => l.startsWith("inference-mesh:platform.clusters[1].vpcCidr: ")), cidr);

  // A value the file writes gets no note.
  const r = shippedPlatform("prod");
  r.clusters[1].vpcCidr = r.clusters[0].vpcCidr;
  const written = problemsOf(r).filter((l) => l.startsWith("inference-mesh:platform.clusters[1].vpcCidr: "));
  assert.equal(written.length, 1, written.join("\n"));
  assert.doesNotMatch(written[0], /not in the stack file/);
});

test("a problem inside a block the stack file leaves out names the block", () => {
  const written = { clusters: [{ name: "a" }] };
  const validated = { clusters: [{ name: "a", systemNodeGroup: { instanceType: "m6i.xlarge", minSize: 2 } }] };
  const [noted, kept, unknown] = noteDefaultedValues(written, validated, [
    { path: ["clusters", 0, "systemNodeGroup", "minSize"], message: "is too small" },
    { path: ["clusters", 0, "name"], message: "is taken" },
    { path: ["clusters", 0, "nodeGroups"], message: "is missing" },
  ]);
  assert.equal(noted.message, "is too small (clusters[0].systemNodeGroup is not in the stack file: its defaults were checked; write the values meant)");
  assert.equal(kept.message, "is taken");
  assert.equal(unknown.message, "is missing");
});
