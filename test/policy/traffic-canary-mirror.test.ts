/**
 * canary-weight-limit on Gateway API's RequestMirror filter: a mirrored request is served in full
 * by the mirror's backend (agentgateway v1.4.1 translator CreateAgwMirrorFilter, Istio 1.30.3
 * createMirrorFilter), so mirroring the stable version's traffic to the agent canary sends it more
 * than its weight, past the canary maximum.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { canaryWeightLimit } from "../../policy/rules/canary-weight-limit";
import { canaryWeightAcrossRoutes } from "../../policy/rules/canary-weight-across-routes";
import { runResource, runStack } from "../support/policy";
import { on, ROUTE } from "./traffic-support";

const svc = (version: string, weight?: number) => ({ name: `research-agent-${version}`, port: 8080, ...(weight === undefined ? {} : { weight }) });
const door = { matches: [{ headers: [{ type: "Exact", name: "x-canary", value: "true" }] }], backendRefs: [svc("v2", 1)] };
const mirror = (extra: Record<string, unknown> = {}) => ({ type: "RequestMirror", requestMirror: { backendRef: { name: "research-agent-v2", port: 8080 }, ...extra } });
const route = (...rules: unknown[]) => ({ type: ROUTE, props: { metadata: { name: "research-agent", namespace: "agents" }, spec: { parentRefs: [{ name: "agent-gateway" }], rules } } });
const messages = async (...rules: unknown[]) => (await runResource(canaryWeightLimit, route(...rules))).violations.map((v) => v.message);

test("canary-weight-limit: a RequestMirror filter copying requests to the canary counts toward its limit", async () => {
  // The shipped shape, and a mirror within the limit, pass.
  assert.deepEqual(await messages(door, { backendRefs: [svc("v1", 95), svc("v2", 5)] }), []);
  assert.deepEqual(await messages(door, { filters: [mirror({ percent: 5 })], backendRefs: [svc("v1", 95), svc("v2", 5)] }), []);
  // Before: every request of the stable version's rule copied to the canary passed.
  assert.deepEqual(await messages(door, { filters: [mirror()], backendRefs: [svc("v1", 100)] }), [
    "agents/research-agent rule 1: canary research-agent-v2 receives a copy of 100% of the rule's requests through the rule's RequestMirror filter (100%); a mirrored request is served in full (only its response is dropped), so a canary may receive at most 10% this way too",
  ]);
  // A fraction on top of the canary's weight.
  assert.deepEqual(await messages(door, { filters: [mirror({ fraction: { numerator: 1, denominator: 10 } })], backendRefs: [svc("v1", 95), svc("v2", 5)] }), [
    "agents/research-agent rule 1: canary research-agent-v2 receives a copy of 10% of the rule's requests through the rule's RequestMirror filter (10%) on top of its 5% by weight, 15% in all; a mirrored request is served in full (only its response is dropped), so a canary may receive at most 10% this way too",
  ]);
  // On the stable version's backendRef: its share of the rule times the mirror's.
  assert.deepEqual(await messages(door, { backendRefs: [{ ...svc("v1", 95), filters: [mirror({ percent: 50 })] }, svc("v2", 5)] }), [
    "agents/research-agent rule 1: canary research-agent-v2 receives a copy of 47.5% of the rule's requests through the RequestMirror filter of backendRef research-agent-v1 (50%) on top of its 5% by weight, 52.5% in all; a mirrored request is served in full (only its response is dropped), so a canary may receive at most 10% this way too",
  ]);
  // A mirror to a backend that is no canary (a shadow service), and percent 0, are not judged.
  assert.deepEqual(await messages(door, { filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "shadow", port: 8080 } } }], backendRefs: [svc("v1", 95), svc("v2", 5)] }), []);
  assert.deepEqual(await messages(door, { filters: [mirror({ percent: 0 })], backendRefs: [svc("v1", 100)] }), []);
});

test("canary-weight-across-routes: another route mirroring the canary's requests to it counts toward its limit", async () => {
  const declaring = on(ROUTE, "route-research-agent", route(door, { backendRefs: [svc("v1", 95), svc("v2", 5)] }).props);
  const other = (rule: unknown) => on(ROUTE, "route-shadow", { metadata: { name: "shadow", namespace: "agents" }, spec: { parentRefs: [{ name: "agent-gateway" }], rules: [rule] } });
  const run = async (rule: unknown) => (await runStack(canaryWeightAcrossRoutes, [declaring, other(rule)])).violations.map((v) => v.message);
  assert.deepEqual(await run({ backendRefs: [svc("v1", 100)] }), []);
  // Before: a second route sending the stable version everything and mirroring all of it to the canary passed.
  assert.deepEqual(await run({ filters: [mirror()], backendRefs: [svc("v1", 100)] }), [
    "agents/shadow rule 0 on a: canary research-agent-v2 receives a copy of 100% of the rule's requests through the rule's RequestMirror filter (100%); a mirrored request is served in full (only its response is dropped), so a canary may receive at most 10% this way too, whichever route holds the filter (it is the canary of route agents/research-agent)",
  ]);
});
