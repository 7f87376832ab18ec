/**
 * Policy tests for authorization-principals-known: principals a rule names in `when` conditions on
 * `source.principal` (values and notValues). Istio 1.30.3 matches them exactly as it matches
 * from.source.principals: ztunnel gets both as the same StringMatch list (ambient/authorization.go
 * handleRule: whenMatch("source.principal", …, stringToMatch), matched by ztunnel 1.30.3 rbac.rs
 * matches_principal), and a waypoint's or gateway's Envoy builds both with srcPrincipalGenerator
 * and rewrites both for trust domain aliases (security/authz/model/model.go New, MigrateTrustDomain).
 * `request.auth.principal` is a JWT's `iss/sub`, not a mesh identity: not read here.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { authorizationPrincipalsKnown } from "../../policy/rules/authorization-principals-known";
import { runStack } from "../support/policy";
import { on, sa, ap, gw } from "./authz-support";

const istiod = on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values: { profile: "ambient", meshConfig: { trustDomain: "prod.example", trustDomainAliases: ["old.example"] } } });
const base = [istiod, sa("agents", "research-agent-v1"), gw("tools", "waypoint", "istio-waypoint"), gw("inference", "inference-gateway", "istio")];
const when = (key: string, values: string[], notValues?: string[]) => ({ action: "ALLOW", rules: [{ to: [{ operation: { ports: ["8080"] } }], when: [{ key, values, ...(notValues ? { notValues } : {}) }] }] });
const messages = (r: { violations: { message: string }[] }) => r.violations.map((v) => v.message);

test("authorization-principals-known: when source.principal values and notValues name rendered ServiceAccounts in the trust domain, like principals", async () => {
  const ok = await runStack(authorizationPrincipalsKnown, [...base, ap("tools", "callers", { ...when("source.principal", ["prod.example/ns/agents/sa/research-agent-v1"], ["prod.example/ns/agents/*"]), selector: { matchLabels: { app: "calculator" } } })]);
  assert.deepEqual(ok.violations, []);
  const bad = await runStack(authorizationPrincipalsKnown, [
    ...base,
    ap("tools", "callers", { ...when("source.principal", ["prod.example/ns/agents/sa/research-agnet-v1", "corp.example/ns/agents/sa/research-agent-v1"], ["prod.example/ns/agents/sa/re*ch", "prod.example/ns/ghosts/*"]), selector: { matchLabels: { app: "calculator" } } }),
  ]);
  assert.deepEqual(messages(bad), [
    "AuthorizationPolicy tools/callers rule 0 when source.principal: principal prod.example/ns/agents/sa/research-agnet-v1 names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)",
    "AuthorizationPolicy tools/callers rule 0 when source.principal: principal corp.example/ns/agents/sa/research-agent-v1 is outside the mesh trust domain (prod.example)",
    'AuthorizationPolicy tools/callers rule 0 when source.principal: principal "prod.example/ns/agents/sa/re*ch" matches no identity: Istio reads `*` as a wildcard only as the whole value or its first or last character, and no identity has a literal `*`',
    "AuthorizationPolicy tools/callers rule 0 when source.principal: principal prod.example/ns/ghosts/* matches every ServiceAccount of namespace ghosts, and this stack has none (add one to allowedServiceAccounts if a controller creates it)",
  ]);
  // Other keys are not principals: request.auth.principal is a JWT's iss/sub.
  const jwt = await runStack(authorizationPrincipalsKnown, [...base, ap("tools", "callers", { ...when("request.auth.principal", ["https://issuer.example/some-user"]), targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }] })]);
  assert.deepEqual(jwt.violations, []);
});

test("authorization-principals-known: a when source.principal in cluster.local or an alias is the mesh's at a waypoint, not at ztunnel", async () => {
  const values = ["cluster.local/ns/agents/sa/research-agent-v1", "old.example/ns/agents/sa/research-agent-v1"];
  const atWaypoint = await runStack(authorizationPrincipalsKnown, [...base, ap("tools", "callers", { ...when("source.principal", values), targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }] })]);
  assert.deepEqual(atWaypoint.violations, []);
  const atZtunnel = await runStack(authorizationPrincipalsKnown, [...base, ap("tools", "callers", { ...when("source.principal", values), selector: { matchLabels: { app: "calculator" } } })]);
  assert.equal(atZtunnel.violations.length, 2, messages(atZtunnel).join("\n"));
  for (const m of messages(atZtunnel)) assert.match(m, /rule 0 when source\.principal: principal .* is outside the mesh trust domain \(prod\.example\): ztunnel, which enforces this policy/);
});

test("authorization-principals-known: a when on the caller's identity at an Istio ingress Gateway never matches ambient callers", async () => {
  const toGateway = { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway" }] };
  for (const key of ["source.principal", "source.namespace"]) {
    const value = key === "source.principal" ? "prod.example/ns/agents/sa/research-agent-v1" : "agents";
    const r = await runStack(authorizationPrincipalsKnown, [...base, ap("inference", "callers", { ...when(key, [value]), ...toGateway })]);
    assert.deepEqual(messages(r), [
      `AuthorizationPolicy inference/callers rule 0: names callers by when ${key}, but it binds only Istio ingress Gateway inference-gateway (class istio), which Istio keeps out of the ambient data plane: in-mesh callers reach it without a mesh identity, so the rule never matches them (restrict who reaches the gateway's pods with a NetworkPolicy instead)`,
    ]);
  }
});

// Istio 1.30.3 builds a when condition on source.serviceAccount with the generator of
// from.source.serviceAccounts (security/authz/model/model.go New, srcServiceAccountGenerator):
// `<namespace>/<name>`, or a bare name in the policy's namespace (generator.go serviceAccountRegex).
test("authorization-principals-known: when source.serviceAccount values and notValues name rendered ServiceAccounts, like serviceAccounts", async () => {
  const atWaypoint = { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }] };
  const ok = await runStack(authorizationPrincipalsKnown, [...base, sa("tools", "calculator"), ap("tools", "callers", { ...when("source.serviceAccount", ["agents/research-agent-v1"], ["calculator"]), ...atWaypoint })]);
  assert.deepEqual(ok.violations, []);
  const bad = await runStack(authorizationPrincipalsKnown, [...base, ap("tools", "callers", { ...when("source.serviceAccount", ["agents/research-agnet-v1"], ["research-agent-v1"]), ...atWaypoint })]);
  assert.deepEqual(messages(bad), [
    'AuthorizationPolicy tools/callers rule 0 when source.serviceAccount: serviceAccount "agents/research-agnet-v1" names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)',
    'AuthorizationPolicy tools/callers rule 0 when source.serviceAccount: serviceAccount "research-agent-v1" names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)',
  ]);
  // allowedServiceAccounts vouches for it as for principals.
  const allowed = await runStack(authorizationPrincipalsKnown, [...base, ap("tools", "callers", { ...when("source.serviceAccount", ["agents/research-agnet-v1"]), ...atWaypoint })], { allowedServiceAccounts: ["agents/research-agnet-v1"] });
  assert.deepEqual(allowed.violations, []);
});
