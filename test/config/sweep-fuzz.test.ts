/**
 * Configs a structured fuzz of the shipped stacks found accepted although `pulumi up` fails on
 * them, or refused with a message that names a bound the field does not have or prints
 * "Infinity": each is now refused once, naming its config path and what is allowed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { configSizeProblems, MAX_ENV_STRING_BYTES, pulumiConfigEnvBytes } from "../../infra/validate-size";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";

/** The one problem a mutated shipped stack is refused with. */
function onlyProblem(stack: "local" | "dev" | "prod", mutate: (p: any) => void): string {
  const p = shippedPlatform(stack);
  mutate(p);
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  return problems[0];
}

function accepted(stack: "local" | "dev" | "prod", mutate: (p: any) => void): void {
  const p = shippedPlatform(stack);
  mutate(p);
  assert.doesNotThrow(() => parsePlatform(p, stack));
}

test("a version override whose pre-release Helm's semver cannot parse is refused, once, with the form", () => {
  for (const [key, version] of [["istio", "1.30.3-a."], ["istio", "1.30.3-.a"], ["istio", "1.30.3-rc.01"], ["nvidiaDevicePlugin", "0.20.0-a..b"], ["agentgateway", "v1.4.1-rc..1"], ["gie", "v1.6.0-x."]]) {
    const problem = onlyProblem("local", (p) => (p.versions = { [key]: version }));
    // Each form's example is one it takes: a tag-form key's example keeps its 'v'.
    const example = version.startsWith("v") ? "v1\\.5\\.0-rc\\.1" : "1\\.30\\.0-rc\\.0";
    assert.match(problem, new RegExp(`^inference-mesh:platform\\.versions\\.${key}: must be .*a pre-release is dot-separated identifiers of letters, digits and '-', as in ${example}$`), `${key} ${version}`);
  }
  accepted("local", (p) => (p.versions = { istio: "1.30.0-rc.0", agentgateway: "v1.4.1-alpha.1", gie: "v1.6.0-rc.1" }));
});

test("an Istio or agentgateway version that cannot be a label value is refused: they label the waypoints and gateways", () => {
  const long = `1.30.3-${"a".repeat(60)}`;
  assert.match(onlyProblem("local", (p) => (p.versions = { istio: long })), /^inference-mesh:platform\.versions\.istio: must be at most 63 characters: it becomes the app\.kubernetes\.io\/version label/);
  assert.match(onlyProblem("local", (p) => (p.versions = { agentgateway: "v1.4.1-rc-" })), /^inference-mesh:platform\.versions\.agentgateway: must end with a letter or digit: it becomes the app\.kubernetes\.io\/version label/);
  // Versions that label nothing are not held to it.
  accepted("local", (p) => (p.versions = { gatewayApi: `v1.5.1-${"a".repeat(60)}` }));
});

test("a tool path agentgateway cannot dial or the tools' waypoint policy cannot match is refused on tools[].path", () => {
  const cases: [string, RegExp][] = [
    ["/mcp?session=1", /must not contain '\?' or '#': the waypoint's authorization rule matches the path without query or fragment/],
    ["/mcp#top", /must not contain '\?' or '#'/],
    ["/mcp*", /must not contain '\*', '\{' or '\}': Istio reads them as wildcards and path templates/],
    ["/mcp/{id}", /must not contain '\*', '\{' or '\}'/],
    ["/my tools", /must be URL path characters only .*agentgateway cannot build the tool's URL/],
    ["/outils/é", /must be URL path characters only/],
    ["/a/../mcp", /must not contain '\.' or '\.\.' segments: Istio normalizes them away/],
    [`/${"m".repeat(1024)}`, /is 1025 characters; at most 1024, as agentgateway's MCP target path/],
    ["mcp", /must be an absolute URL path starting with '\/', such as \/mcp/],
  ];
  for (const [path, message] of cases) {
    const problem = onlyProblem("local", (p) => (p.tools[0].path = path));
    assert.ok(problem.startsWith("inference-mesh:platform.tools[0].path: "), problem);
    assert.match(problem, message, path);
  }
  accepted("local", (p) => {
    p.tools[0].path = "/";
    p.tools[1].path = "/v1/mcp%2Fstream";
  });
});

test("a parameter count that overflows the fit arithmetic is refused without 'Infinity' in the message", () => {
  const p = shippedPlatform("dev");
  p.models[0].parametersBillions = 1e300;
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^inference-mesh:platform\.models\[0\]\.clusters\[0\]: model 'llama-3-1-8b' does not fit cluster 'dev-usw2': .*weights need more than 1e308 GiB per GPU/);
  assert.doesNotMatch(problems[0], /Infinity|NaN/);
});

test("an integer beyond 2^53 is refused with the field's own bound, not also with zod's safe-integer bound", () => {
  assert.equal(onlyProblem("local", (p) => (p.models[0].versions[0].weight = 1e20)), "inference-mesh:platform.models[0].versions[0].weight: must be at most 100, not 100000000000000000000");
  assert.match(onlyProblem("prod", (p) => (p.clusters[0].nodeGroups[0].desiredSize = 1e20)), /^inference-mesh:platform\.clusters\[0\]\.nodeGroups\[0\]\.desiredSize: must be at most 1000/);
  // A field with no bound of its own still says the integer range.
  assert.match(onlyProblem("local", (p) => (p.models[0].maxModelLen = 1e20)), /^inference-mesh:platform\.models\[0\]\.maxModelLen: must be at most 9007199254740991, not 100000000000000000000$/);
});

test("a number outside a field's bounds is told the bound in words and the value given", () => {
  assert.equal(onlyProblem("local", (p) => (p.models[0].gpusPerReplica = 0)), "inference-mesh:platform.models[0].gpusPerReplica: must be at least 1, not 0");
  assert.equal(onlyProblem("dev", (p) => (p.models[0].parametersBillions = -8)), "inference-mesh:platform.models[0].parametersBillions: must be more than 0, not -8");
  assert.equal(onlyProblem("prod", (p) => (p.tools[0].port = 70000)), "inference-mesh:platform.tools[0].port: must be at most 65535, not 70000");
});

test("a JWKS URI the agent gateway's static backend or jwksPath cannot hold is refused on jwksUri", () => {
  const jwt = (jwksUri: string) => (p: any) => (p.gateways.agents.jwt = { issuer: "https://auth.example.com/", audiences: ["agents"], jwksUri });
  const at = "inference-mesh:platform.gateways.agents.jwt.jwksUri: ";
  assert.equal(onlyProblem("prod", jwt("https://auth.example.com:0/jwks.json")), `${at}has port 0; the JWKS backend's port is 1 to 65535`);
  assert.match(onlyProblem("prod", jwt("https://[2001:db8::1]/jwks.json")), /jwksUri: has the host '\[2001:db8::1\]'; agentgateway's TLS SNI .* not an IPv6 literal$/);
  assert.match(onlyProblem("prod", jwt("https://reader:s3cret@auth.example.com/jwks.json")), /jwksUri: must not carry credentials \(user:password@\)/);
  assert.equal(onlyProblem("prod", jwt(`https://auth.example.com/${"k".repeat(2001)}`)), `${at}has a 2001-character path and query; agentgateway's jwksPath takes at most 2000`);
  accepted("prod", jwt(`https://192.0.2.10/${"k".repeat(1999)}`));
});

test("a duplicated version is reported as the duplicate, not as a version beside the primary of its own name", () => {
  const p = shippedPlatform("local");
  p.agents[0].versions.push(structuredClone(p.agents[0].versions[0]));
  assert.deepEqual(problemsOf(p), [
    "inference-mesh:platform.agents[0].versions: weights sum to 195, must be 100",
    "inference-mesh:platform.agents[0].versions[2].name: duplicate version 'v1'; version names must be unique",
  ]);
  // A split with no primary at all (every version a canary) and a duplicate still lists its problems.
  const q = shippedPlatform("local");
  q.models[0].versions = [{ name: "v2", weight: 5, canary: true }, { name: "v2", weight: 5, canary: true }];
  assert.deepEqual(problemsOf(q), [
    "inference-mesh:platform.models[0].versions: weights sum to 10, must be 100",
    "inference-mesh:platform.models[0].versions: a split of 2 versions has 2 canaries, must have exactly one (canary: true)",
    "inference-mesh:platform.models[0].versions[1].name: duplicate version 'v2'; version names must be unique",
  ]);
});

test("a stack config too large for PULUMI_CONFIG (MAX_ARG_STRLEN) is named where its bulk is", () => {
  const p = shippedPlatform("local");
  const config = (platform: unknown) => ({ "inference-mesh:platform": JSON.stringify(platform) });
  assert.deepEqual(configSizeProblems(config(p), p), []);
  p.tools[1].description = "x".repeat(MAX_ENV_STRING_BYTES);
  const [problem, ...more] = configSizeProblems(config(p), p);
  assert.equal(more.length, 0);
  // The text's bytes in PULUMI_CONFIG: its quotes escaped there, \" each.
  assert.deepEqual(problem.path, ["tools", 1, "description"]);
  assert.match(problem.message, new RegExp(`^makes the stack's config ${pulumiConfigEnvBytes(config(p))} bytes as PULUMI_CONFIG, .*this value is 131076 of them; Linux takes at most 131072 bytes per variable \\(MAX_ARG_STRLEN\\)`));
  // Many small values: no one field holds the bulk, so the problem is the platform's.
  // (Counted as PULUMI_CONFIG holds them: the clusters 65100 bytes, the tools 64936, of 132745.)
  const q = shippedPlatform("prod");
  q.clusters[2].apiAllowedCidrs = Array.from({ length: 3250 }, (_, i) => `100.${64 + (i >> 8)}.${i & 255}.0/24`);
  for (const t of q.tools) t.description = "d".repeat(21_500);
  assert.deepEqual(configSizeProblems(config(q), q).map((x) => x.path), [[]]);
});

test("a refused value with a newline or another control character keeps its problem on one line, escaped", () => {
  const p = shippedPlatform("dev");
  p.models[0].servedModelName = "meta-llama/Llama-3.1-8B\nInstruct\t";
  p.clusters[0].vpcCidr = "10.20.0.0/16\n";
  const problems = problemsOf(p);
  assert.deepEqual(problems, [
    "inference-mesh:platform.clusters[0].vpcCidr: '10.20.0.0/16\\n' must be an IPv4 CIDR such as 10.0.0.0/16",
    "inference-mesh:platform.models[0].servedModelName: must not start or end with whitespace: the body-based router trims the name it writes into X-Gateway-Base-Model-Name, so the route's exact match on it would never hit",
    "inference-mesh:platform.models[0].servedModelName: must not contain control characters (line breaks, tabs, …): the body-based router writes it into the X-Gateway-Base-Model-Name header, where HTTP allows none",
  ]);
  p.models[0].servedModelName = "meta-llama/Llama\u0000-3.1";
  p.clusters[0].vpcCidr = "10.20.0.0\u0000/16";
  assert.deepEqual(problemsOf(p), [
    "inference-mesh:platform.clusters[0].vpcCidr: '10.20.0.0\\u0000/16' must be an IPv4 CIDR such as 10.0.0.0/16",
    "inference-mesh:platform.models[0].servedModelName: must not contain control characters (line breaks, tabs, …): the body-based router writes it into the X-Gateway-Base-Model-Name header, where HTTP allows none",
  ]);
});

test("a CA validity past what a Go duration holds is refused: the TLS provider's NotAfter would wrap around", () => {
  assert.equal(
    onlyProblem("prod", (p) => (p.mesh.ca.validityHours = 2_562_048)),
    "inference-mesh:platform.mesh.ca.validityHours: must be at most 2562047 (about 292 years): the TLS provider adds it to the issue time as Go nanoseconds (int64), which wrap around beyond it to an arbitrary NotAfter, such as one already past",
  );
  accepted("prod", (p) => (p.mesh.ca.validityHours = 2_562_047));
});

// Before: the capacity check built one object per declared replica, so replicas (any int32) of a
// million or more ran parsePlatform out of memory, and 100000 took over a minute; over a thousand
// GPU nodes, even a few thousand replicas made the exact search spend minutes proving what the GPU
// count already says. The timeout turns a regression into a failure rather than a hang.
test("a replica count in the millions is refused by the capacity check, counting every replica, without running out of memory", { timeout: 60_000 }, () => {
  assert.match(
    onlyProblem("dev", (p) => (p.models[0].replicas = 2_147_483_647)),
    /^inference-mesh:platform\.clusters\[0\]\.nodeGroups: the GPU nodes of cluster 'dev-usw2' at desiredSize cannot hold every model replica placed there \(no autoscaler adds nodes\): 2147483645 of 2147483647 replica\(s\) of 'llama-3-1-8b' v1 \(1 × NVIDIA-L4, 18 GiB disk\); 2147483647 of 2147483647 replica\(s\) of 'llama-3-1-8b' v2 \(1 × NVIDIA-L4, 18 GiB disk\) would stay Pending; GPU nodes: 'gpu-l4' 2 × g6\.2xlarge/,
  );
  const prod = shippedPlatform("prod");
  prod.models[0].versions[1].replicas = 2_000_000_000;
  const problems = problemsOf(prod);
  // One per cluster of the model, each counting what that cluster's GPUs leave out.
  assert.equal(problems.length, 3, problems.join("\n"));
  assert.match(problems[0], /^inference-mesh:platform\.clusters\[0\]\.nodeGroups: .*: 1999999994 of 2000000000 replica\(s\) of 'llama-3-1-8b' v2 \(1 × NVIDIA-H100-80GB-HBM3, 18 GiB disk\) would stay Pending/);
  assert.match(problems[2], /^inference-mesh:platform\.clusters\[2\]\.nodeGroups: .*: 1999999996 of 2000000000 replica\(s\) of 'llama-3-1-8b' v2 \(1 × NVIDIA-A100-SXM4-80GB, 18 GiB disk\) would stay Pending/);
  assert.match(
    onlyProblem("prod", (p) => {
      p.clusters[2].nodeGroups[1].desiredSize = p.clusters[2].nodeGroups[1].maxSize = 1000;
      p.models[1].clusters = ["gcp-usc1"];
      delete p.models[1].gpuTypes;
      p.models[1].replicas = 100_000;
    }),
    /^inference-mesh:platform\.clusters\[2\]\.nodeGroups: .*: 98000 of 100000 replica\(s\) of 'qwen3-32b' v1 \(2 × NVIDIA-A100-SXM4-80GB, 67 GiB disk\); 1 of 1 replica\(s\) of 'qwen3-32b' v2 .* would stay Pending; GPU nodes: 'gpu-a100' 1000 × a2-ultragpu-4g/,
  );
});

test("KV heads in the billions get the tensor-parallel problem without listing 1..n (which ran out of memory)", { timeout: 60_000 }, () => {
  assert.match(
    onlyProblem("prod", (p) => (p.models[1].architecture.kvHeads = 1_000_000_001)),
    /^inference-mesh:platform\.models\[1\]\.gpusPerReplica: tensor-parallel size 2 and the model's 1000000001 KV heads .*use a divisor of 1000000001 \(1, 7, 11, 13, .*, 142857143, 1000000001\) or a multiple of it \(2000000002/,
  );
  // Past 10^12 no divisors are listed (a million trial divisions is the limit).
  assert.match(
    onlyProblem("prod", (p) => (p.models[1].architecture.kvHeads = Number.MAX_SAFE_INTEGER)),
    /^inference-mesh:platform\.models\[1\]\.gpusPerReplica: tensor-parallel size 2 and the model's 9007199254740991 KV heads .*use a divisor of 9007199254740991 or a multiple of it/,
  );
});
