/**
 * The platform pack's knobs as `pulumi preview --policy-pack-config` checks them: gojsonschema
 * v1.2.0 against each policy's configSchema (pkg/resource/analyzer/config.go), which the offline
 * review reproduces with Ajv. A knob naming Kubernetes objects refuses what can name none, so a
 * slip fails the preview instead of matching nothing and showing up as extra violations.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../policy/policies";
import { ineffectiveExtraCallers, parsePolicyConfig, reconcilePolicyConfig } from "../../scripts/lib/policy-config";
import type { AnalyzerInfo } from "../../scripts/lib/analyzer-types";
import { tempDir } from "../support/tmp";
import { runPolicyCli } from "../support/policy-cli";

/** The pack's info as GetAnalyzerInfo hands it over (schemas pass through a protobuf Struct: JSON values). */
const info: AnalyzerInfo = {
  name: "inference-mesh",
  version: "0.1.0",
  initialConfig: {},
  policies: policies.map((p) => ({
    name: p.name,
    description: p.description,
    enforcementLevel: p.enforcementLevel!,
    type: "stack" as const,
    ...(p.configSchema ? { configSchema: { properties: JSON.parse(JSON.stringify(p.configSchema.properties)), required: p.configSchema.required ?? [] } } : {}),
  })),
};
const configure = (doc: unknown) => reconcilePolicyConfig(info, parsePolicyConfig(doc), "policy config cfg.json");
/** The problems a config is refused for, one a line, without the heading. */
function refusals(doc: unknown): string[] {
  try {
    configure(doc);
  } catch (err) {
    return (err as Error).message.split("\n").slice(1).map((l) => l.trim());
  }
  return [];
}

test("knobs naming namespaces, namespace/name objects, classes, keys and headers refuse what names no object", () => {
  const bad: [string, string, unknown][] = [
    ["gpu-scheduling", "allowedTolerators", ["istio-system"]],
    ["gpu-scheduling", "allowedTolerators", ["istio-system/"]],
    ["gpu-scheduling", "allowedTolerators", ["Istio-System/istiod"]],
    ["gpu-scheduling", "allowedTolerators", [""]],
    ["gpu-scheduling", "gpuResource", "nvidia gpu"],
    ["gpu-scheduling", "gpuResource", "gpu"],
    ["gpu-scheduling", "gpuTaintKey", ""],
    ["gpu-scheduling", "gpuTaintValue", "not present"],
    ["authorization-principals-known", "allowedServiceAccounts", ["cluster.local/ns/ops/sa/runner"]],
    ["agent-call-graph", "agentGateway", "agent-gateway"],
    ["agent-call-graph", "agentsNamespace", ""],
    ["agent-call-graph", "extraCallers", { tools: ["namespace:batch"] }],
    ["agent-call-graph", "extraCallers", { tools: ["batch"] }],
    ["agent-call-graph", "extraCallers", { Tools: ["batch/runner"] }],
    ["mesh-mtls-strict", "rootNamespace", "Istio-System"],
    ["mesh-mtls-strict", "exemptNamespaces", ["kube_system"]],
    ["workload-namespaces-authorized", "workloadNamespaces", ["a".repeat(64)]],
    ["ambient-no-sidecar-injection", "ambientNamespaces", ["inference "]],
    ["authorization-targets-enforced", "rootNamespace", ""],
    ["inference-pool-epp", "rootNamespace", "istio system"],
    ["authorization-sources-restricted", "ingressGatewayClasses", ["Istio"]],
    ["gateway-listeners-tls", "internalGatewayClasses", [""]],
    ["gateway-listeners-tls", "inMeshHostnameSuffixes", [""]],
    ["canary-weight-limit", "canaryHeader", ""],
    ["canary-weight-across-routes", "canaryHeader", "x canary"],
    ["mesh-multicluster-wiring", "externalClusters", ["old cluster"]],
    ["kubernetes-cluster-binding", "allowedCrossClusterNames", [""]],
  ];
  for (const [policy, knob, value] of bad) {
    const problems = refusals({ [policy]: { [knob]: value } });
    assert.equal(problems.length, 1, `${policy}.${knob} = ${JSON.stringify(value)}: ${problems.join("; ")}`);
    assert.ok(problems[0].startsWith(`${policy}.${knob}`), problems[0]);
  }
});

test("a knob's list holds each entry once: a repeat is refused, as uniqueItems makes the engine refuse it", () => {
  assert.deepEqual(refusals({ "mesh-mtls-strict": { ambientNamespaces: ["inference", "agents", "inference"] } }).map((p) => p.split(":")[0]), ["mesh-mtls-strict.ambientNamespaces"]);
  assert.match(refusals({ "agent-call-graph": { extraCallers: { tools: ["batch/runner", "batch/runner"] } } })[0], /^agent-call-graph\.extraCallers\.tools: must NOT have duplicate items/);
});

test("what a knob can use stays accepted: the defaults, wildcards the call graph reads, place sources, an empty taint value", () => {
  assert.deepEqual(refusals({}), []);
  assert.deepEqual(
    refusals({
      "agent-call-graph": { extraCallers: { tools: ["batch/runner", "batch/*", "namespaces:batch", "ipBlocks:10.0.0.0/8", "requestPrincipals:https://issuer.example/sub"], agents: ["ops/deploy-bot.v2"] } },
      "gpu-scheduling": { gpuTaintValue: "", gpuResource: "amd.com/gpu", gpuTaintKey: "sku", allowedTolerators: ["monitoring/dcgm-exporter", "kube-system/node.agent"] },
      "gateway-listeners-tls": { inMeshHostnameSuffixes: [".svc.cluster.local", "mesh.internal"], internalGatewayClasses: ["istio-waypoint", "example.com.internal"] },
      "canary-weight-limit": { canaryHeader: "X-Canary" },
      "mesh-multicluster-wiring": { externalClusters: ["on-prem_1.dc"] },
      "kubernetes-cluster-binding": { allowedCrossClusterNames: ["aws-use1-dns for gcp"] },
    }),
    [],
  );
});

test("extraCallers under a namespace agent-call-graph does not judge allows nothing: noted with the namespace meant", () => {
  assert.equal(ineffectiveExtraCallers(configure({})), undefined);
  assert.equal(ineffectiveExtraCallers(configure({ "agent-call-graph": { extraCallers: { tools: ["batch/runner"], agents: ["ops/bot"] } } })), undefined);
  assert.equal(
    ineffectiveExtraCallers(configure({ "agent-call-graph": { extraCallers: { tool: ["batch/runner"], tools: ["ops/bot"] } } })),
    "agent-call-graph judges the callers of namespaces agents and tools only (agentsNamespace, toolsNamespace), so extraCallers.tool (did you mean tools?) allows nothing, in pulumi preview as in this review",
  );
  // A renamed tools namespace leaves the old key behind.
  assert.match(ineffectiveExtraCallers(configure({ "agent-call-graph": { toolsNamespace: "mcp", extraCallers: { tools: ["batch/runner"] } } }))!, /namespaces agents and mcp only .*so extraCallers\.tools allows nothing/);
});

test("CLI: a malformed namespace/name in --config exits 2 naming the policy, the entry and what the knob takes", () => {
  const dir = tempDir("review-config-schema-");
  const config = path.join(dir, "cfg.json");
  fs.writeFileSync(config, JSON.stringify({ "gpu-scheduling": { allowedTolerators: ["monitoring"] } }));
  fs.writeFileSync(path.join(dir, "state.json"), JSON.stringify({ version: 3, deployment: { manifest: { time: "2026-11-01T10:00:00Z", magic: "", version: "v3.200.0" } } }));
  const res = runPolicyCli(["--state", path.join(dir, "state.json"), "--config", config, "--out", "-"]);
  assert.equal(res.status, 2, res.stdout + res.stderr);
  assert.match(res.stderr, /is invalid for policy pack inference-mesh:\n  gpu-scheduling\.allowedTolerators\.0: must match pattern "\^.*\$" \(is "monitoring"\); allowedTolerators: `namespace\/name` of non-GPU workloads/);
});

/** Keywords gojsonschema v1.2.0 (the engine) and Ajv (this review) both enforce, and read alike. */
const SHARED_KEYWORDS = new Set(["type", "items", "properties", "additionalProperties", "propertyNames", "pattern", "minLength", "maxLength", "minimum", "maximum", "uniqueItems", "enum", "default", "description"]);

/** What Go's RE2 and a JS `u` RegExp read differently: `.` and `\s` (line and white-space sets), `\b`, lookaround (RE2 has none). */
function divergentRegexp(pattern: string): string | undefined {
  if (/\(\?[=!<]/.test(pattern)) return "lookaround";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      if (/[dDwWsSbB]/.test(pattern[++i])) return `\\${pattern[i]}`;
    } else if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "." && !inClass) return "an unescaped .";
  }
  return undefined;
}

test("the pack's schemas use only keywords the engine and the review enforce alike, and patterns both regexp engines read alike", () => {
  const walk = (schema: Record<string, unknown>, where: string): void => {
    for (const [k, v] of Object.entries(schema)) {
      assert.ok(SHARED_KEYWORDS.has(k), `${where}: ${k} (gojsonschema ignores or reads it otherwise than Ajv, e.g. format, a boolean exclusiveMinimum)`);
      if (k === "pattern") assert.equal(divergentRegexp(v as string), undefined, `${where}: pattern ${v as string}`);
      if (["items", "additionalProperties", "propertyNames"].includes(k) && typeof v === "object") walk(v as Record<string, unknown>, `${where}.${k}`);
      // An object knob's own fields are schemas too (the key is allowed, so its contents must be walked).
      if (k === "properties" && typeof v === "object") for (const [field, child] of Object.entries(v as object)) walk(child as Record<string, unknown>, `${where}.${field}`);
    }
  };
  for (const p of policies) for (const [knob, schema] of Object.entries(p.configSchema?.properties ?? {})) walk(schema as Record<string, unknown>, `${p.name}.${knob}`);
  assert.equal(divergentRegexp("^a.b$"), "an unescaped .");
  assert.equal(divergentRegexp("^[.]\\.\\*$"), undefined);
});
