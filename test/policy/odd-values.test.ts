/**
 * The pack on odd values a hand-edited or foreign stack can hold (a null or number where the CRD
 * has a string or object, an entry without its required fields, one object managed twice): each
 * is judged on the resource that holds it, with a message that reads, never by a policy failing
 * (lib/guard.ts's "could not be judged") nor one saying `undefined`.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { policies } from "../../policy/policies";
import { renderShipped } from "../support/render";
import { reviewExport, Finding } from "../support/policy";

type Stack = "local" | "dev" | "prod";
/** The stack's export with `edit` applied to one resource's inputs and outputs, reviewed by the whole pack. */
async function review(stack: Stack, edit: (rs: any[]) => void): Promise<Finding[]> {
  const doc = structuredClone(renderShipped(stack).exported) as any;
  edit(doc.deployment.resources);
  return reviewExport(doc, policies);
}
const both = (rs: any[], name: string, edit: (props: any) => void) => {
  const r = rs.find((x) => x.urn.endsWith(`::${name}`));
  assert.ok(r, name);
  for (const p of [r.inputs, r.outputs]) if (p) edit(p);
};
const messages = (fs: Finding[], policy: string) => fs.filter((f) => f.policy === policy).map((f) => f.message);
function noCrash(fs: Finding[]): void {
  for (const f of fs) {
    assert.doesNotMatch(f.message, /could not (be judged|finish judging)/, `${f.policy}: ${f.message}`);
    assert.doesNotMatch(f.message, /undefined|\[object Object\]|NaN/, `${f.policy}: ${f.message}`);
  }
}

test("a principal that is not a string is reported on its policy, and the stack policies reading it still judge the rest", async () => {
  // Before: principalReach called startsWith on it, and three stack policies gave up, agent-call-graph
  // blaming an AgentgatewayPolicy it happened to read last.
  const fs = await review("local", (rs) => both(rs, "local-tools-authorizationpolicy-calculator-agents", (p) => (p.spec.rules[0].from[0].source.principals[0] = null)));
  noCrash(fs);
  assert.deepEqual(messages(fs, "authorization-principals-known"), [
    "AuthorizationPolicy tools/calculator-agents: principal null is not a string: the AuthorizationPolicy CRD types principals as a list of strings, so the API server refuses it",
  ]);
  assert.deepEqual(messages(fs, "authorization-sources-restricted"), []);
  // The agent whose principal it replaced is no longer granted the tool by the mesh: a real finding, not a crash.
  assert.ok(messages(fs, "agent-call-graph").some((m) => /lets agent agents\/research-agent-v1 call tool calculator/.test(m)), messages(fs, "agent-call-graph").join("\n"));
});

test("a targetRef that is not an object, or has no kind and name, binds nothing and reads in the message", async () => {
  for (const ref of [null, "x", {}]) {
    const fs = await review("prod", (rs) => both(rs, "aws-euw1-tools-authorizationpolicy-web-search-agents", (p) => (p.spec.targetRefs[0] = ref)));
    noCrash(fs);
    assert.deepEqual(messages(fs, "authorization-targets-enforced"), [
      'AuthorizationPolicy tools/web-search-agents: targetRef (no kind) (no name) is not a target Istio 1.30 binds (core Service, networking.istio.io ServiceEntry, gateway.networking.k8s.io Gateway or GatewayClass): istiod\'s validation webhook refuses the policy (groups are compared with "" read as core)',
    ], JSON.stringify(ref));
  }
});

test("null rules, to, from and when entries set no L7 attribute (l7-authorization-target-refs does not fail)", async () => {
  for (const edit of [(p: any) => (p.spec.rules = [null]), (p: any) => (p.spec.rules[0].to = [null]), (p: any) => (p.spec.rules[0].from = [null]), (p: any) => (p.spec.rules[0].when = [null])]) {
    const fs = await review("dev", (rs) => both(rs, "dev-usw2-inference-authorizationpolicy-llama-3-1-8b-v1-epp", edit));
    // Only this policy's reading is fixed here: stack policies reading a null rule still fail into lib/guard.ts's finding.
    noCrash(fs.filter((f) => f.policy === "l7-authorization-target-refs"));
    assert.deepEqual(messages(fs, "l7-authorization-target-refs"), []);
  }
});

test("a Gateway listener that is empty or null is plaintext without a protocol, named as such", async () => {
  for (const listener of [{}, null]) {
    const fs = await review("local", (rs) => both(rs, "local-inference-gateway-inference-gateway", (p) => (p.spec.listeners[1] = listener)));
    noCrash(fs);
    assert.deepEqual(messages(fs, "gateway-listeners-tls"), [
      "Gateway inference/inference-gateway on local: listener (unnamed) (port none) is without a protocol; external listeners must be HTTPS or TLS",
    ]);
  }
});

test("a container without a name is named by its place", async () => {
  const fs = await review("local", (rs) => both(rs, "local-tools-deployment-calculator", (p) => (p.spec.template.spec.containers[0] = {})));
  noCrash(fs);
  assert.deepEqual(messages(fs, "images-pinned"), ["Deployment tools/calculator container #0: has no image; pin a version tag or digest"]);
});

test("an InferencePool target port without a number says so", async () => {
  const fs = await review("dev", (rs) => both(rs, "dev-usw2-inference-inferencepool-llama-3-1-8b-v2", (p) => (p.spec.targetPorts[0] = true)));
  noCrash(fs);
  assert.deepEqual(messages(fs, "inference-pool-epp"), [
    "InferencePool inference/llama-3-1-8b-v2 on dev-usw2: target port null (not a port number) is not a containerPort of the selected pods (8000)",
  ]);
});

test("one InferencePool managed by two resources is one pool: the duplicate is kubernetes-cluster-binding's finding, not an overlap with itself", async () => {
  const fs = await review("dev", (rs) => {
    const pool = rs.find((x) => x.urn.endsWith("::dev-usw2-inference-inferencepool-llama-3-1-8b-v1"));
    rs.push({ ...structuredClone(pool), urn: `${pool.urn}-dup` });
  });
  noCrash(fs);
  assert.deepEqual(messages(fs, "inference-pool-epp"), []);
  assert.equal(messages(fs, "kubernetes-cluster-binding").length, 2);
  // Two distinct pools selecting one workload still overlap.
  const overlap = await review("dev", (rs) => {
    const pool = structuredClone(rs.find((x) => x.urn.endsWith("::dev-usw2-inference-inferencepool-llama-3-1-8b-v1")));
    pool.urn += "-other";
    for (const p of [pool.inputs, pool.outputs]) p.metadata.name = "llama-3-1-8b-v1-other";
    rs.push(pool);
  });
  assert.ok(messages(overlap, "inference-pool-epp").some((m) => /also selects/.test(m)), messages(overlap, "inference-pool-epp").join("\n"));
});
