/**
 * The pack over the shipped stacks' rendered stack.json, in process: no mandatory violation, and
 * each classic mistake, applied to the prod render, is caught by the policy that owns it.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../policy/policies";
import { renderShipped, repoRoot } from "../support/render";
import { reviewExport, Finding } from "../support/policy";
import { parsePolicyConfig } from "../../scripts/lib/policy-config";

/** The pack config the render reviews a stack with (`policy/config.<stack>.json`), as name → properties. */
function packConfig(stack: string): Record<string, Record<string, unknown>> {
  const file = path.join(repoRoot, "policy", `config.${stack}.json`);
  if (!fs.existsSync(file)) return {};
  const parsed = parsePolicyConfig(JSON.parse(fs.readFileSync(file, "utf8")), file);
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, { ...(v.properties ?? {}), ...(v.enforcementLevel ? { enforcementLevel: v.enforcementLevel } : {}) }]));
}

const mandatory = (findings: Finding[]) => findings.filter((f) => f.level === "mandatory");
const show = (findings: Finding[]) => findings.map((f) => `${f.policy}: ${f.message}`).join("\n");

for (const stack of ["local", "dev", "prod"] as const) {
  test(`shipped stack ${stack}: no mandatory violation`, async () => {
    const rendered = renderShipped(stack);
    const findings = await reviewExport(rendered.exported, policies, packConfig(stack));
    assert.deepEqual(mandatory(findings), [], show(findings));
    // The render's own review (the pack over gRPC) agrees.
    // The pack is in this tree (its policies are imported above): a render that ran no review
    // (policy.json "not-evaluated") has nothing to agree with.
    const report = JSON.parse(rendered.file("policy.json"));
    assert.ok(report.summary, rendered.file("policy.json"));
    assert.equal(report.summary.mandatory, 0, rendered.file("policy.json"));
    // It judged the secrets' content, as a preview does after decrypting the state, while
    // stack.json keeps them as ciphertext.
    assert.equal(report.summary.undecryptableSecrets, 0);
    assert.match(rendered.file("stack.json"), /"ciphertext": "v1:/);
  });
}

type Mutation = (resources: any[]) => void;
const find = (resources: any[], pred: (r: any) => boolean, what: string) => {
  const r = resources.find(pred);
  assert.ok(r, `prod render has no ${what}`);
  return r;
};
const both = (r: any, edit: (props: any) => void) => [r.inputs, r.outputs].forEach((p) => p && edit(p));

const mutations: Record<string, { policies: string[]; apply: Mutation }> = {
  "STRICT turned PERMISSIVE": {
    policies: ["mesh-mtls-strict", "peer-authentication-strict"],
    apply: (rs) => both(find(rs, (r) => r.type.endsWith(":PeerAuthentication"), "PeerAuthentication"), (p) => (p.spec.mtls.mode = "PERMISSIVE")),
  },
  "an ALLOW rule opened to everyone": {
    policies: ["authorization-sources-restricted"],
    apply: (rs) => both(find(rs, (r) => r.type.endsWith(":AuthorizationPolicy"), "AuthorizationPolicy"), (p) => (p.spec.rules[0].from = [{ source: { principals: ["*"] } }])),
  },
  "a 50/50 canary": {
    policies: ["canary-weight-limit"],
    apply: (rs) =>
      both(find(rs, (r) => r.type.endsWith(":HTTPRoute") && r.inputs.spec.rules.some((x: any) => (x.backendRefs ?? []).length === 2), "split HTTPRoute"), (p) => {
        const rule = p.spec.rules.find((x: any) => (x.backendRefs ?? []).length === 2);
        rule.backendRefs[0].weight = 50;
        rule.backendRefs[1].weight = 50;
      }),
  },
  "an image at latest": {
    policies: ["images-pinned"],
    apply: (rs) => both(find(rs, (r) => r.type === "kubernetes:apps/v1:Deployment", "Deployment"), (p) => (p.spec.template.spec.containers[0].image = "vllm/vllm-openai:latest")),
  },
  "a GPU toleration removed": {
    policies: ["gpu-scheduling"],
    apply: (rs) => both(find(rs, (r) => r.type === "kubernetes:apps/v1:Deployment" && JSON.stringify(r.inputs).includes("nvidia.com/gpu"), "GPU Deployment"), (p) => delete p.spec.template.spec.tolerations),
  },
  "a provider dropped": {
    policies: ["explicit-kubernetes-provider"],
    apply: (rs) => delete find(rs, (r) => r.type === "kubernetes:apps/v1:Deployment", "Deployment").provider,
  },
};

for (const [what, m] of Object.entries(mutations)) {
  test(`prod with ${what}: mandatory violation of ${m.policies.join(", ")}`, async () => {
    const exported = structuredClone(renderShipped("prod").exported);
    m.apply(exported.deployment.resources);
    const failing = new Set(mandatory(await reviewExport(exported, policies, packConfig("prod"))).map((f) => f.policy));
    assert.deepEqual([...failing].sort(), [...m.policies].sort());
  });
}
