/**
 * mesh-identity-consistent on the trust domains an agentgateway proxy accepts beside its own
 * (AgentgatewayParameters istio.additionalTrustDomains, ADDITIONAL_TRUST_DOMAINS,
 * SKIP_VALIDATE_TRUST_DOMAIN: agentgateway v1.4.1 crates/agentgateway/src/config.rs): one istiod
 * does not count as the mesh's lets foreign peers reach the proxy as the mesh's workloads.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshIdentityConsistent } from "../../policy/rules/mesh-identity-consistent";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { REL } from "./mesh-support";

const istiod = (meshConfig: Record<string, unknown>) =>
  stackResource({ type: REL, name: "a-istiod", props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", network: "net-a", multiCluster: { clusterName: "a" } }, meshConfig } }, provider: k8sProvider("a") });
const params = (istio: Record<string, unknown>, env?: { name: string; value: string }[]) =>
  stackResource({
    type: "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters",
    name: "a-params",
    props: { metadata: { name: "mcp-gateway", namespace: "tools" }, spec: { istio: { enabled: true, ...istio }, ...(env ? { env } : {}) } },
    provider: k8sProvider("a"),
  });
const mesh = istiod({ trustDomain: "prod.example", trustDomainAliases: ["old.example"] });
const run = async (...rs: ReturnType<typeof stackResource>[]) => (await runStack(meshIdentityConsistent, rs)).violations.map((v) => v.message);
const why = "agentgateway then accepts HBONE peers of it (config.rs allowed_trust_domains), and CEL rules pinning only source.identity.namespace and serviceAccount admit them as the mesh's workloads of those names";

test("mesh-identity-consistent: an agentgateway proxy accepts no trust domain istiod does not count as the mesh's", async () => {
  // istiod's own trust domain and its aliases are the mesh's.
  assert.deepEqual(await run(mesh, params({ additionalTrustDomains: ["old.example", "prod.example"] })), []);
  // Before: a foreign trust domain (staging sharing the root CA) passed.
  assert.deepEqual(await run(mesh, params({ additionalTrustDomains: ["old.example", "staging.example"] })), [
    `cluster a: AgentgatewayParameters tools/mcp-gateway accepts trust domain staging.example (istio.additionalTrustDomains or ADDITIONAL_TRUST_DOMAINS), which is neither istiod's trust domain prod.example nor one of its trustDomainAliases: ${why}; list only the mesh's aliases`,
  ]);
  // The env the chart renders from it, set by the parameters' own env, wins over the field.
  assert.equal((await run(mesh, params({ additionalTrustDomains: ["old.example"] }, [{ name: "ADDITIONAL_TRUST_DOMAINS", value: "old.example, staging.example" }]))).length, 1);
  assert.deepEqual(await run(mesh, params({}, [{ name: "SKIP_VALIDATE_TRUST_DOMAIN", value: "true" }])), [
    `cluster a: AgentgatewayParameters tools/mcp-gateway sets SKIP_VALIDATE_TRUST_DOMAIN=true, so its proxy accepts every trust domain, not only istiod's (prod.example, old.example): ${why}`,
  ]);
  // istiod without a trust domain is cluster.local; without aliases it has none.
  assert.equal((await run(istiod({}), params({ additionalTrustDomains: ["old.example"] }))).length, 1);
  assert.deepEqual(await run(istiod({}), params({ additionalTrustDomains: ["cluster.local"] })), []);
  // Aliases not known in a preview: can't judge, not a verdict.
  const later = await runStack(meshIdentityConsistent, [istiod({ trustDomain: "prod.example", trustDomainAliases: UNKNOWN }), params({ additionalTrustDomains: ["old.example"] })]);
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /the trust domains AgentgatewayParameters tools\/mcp-gateway on cluster a accepts beside istiod's/);
});
