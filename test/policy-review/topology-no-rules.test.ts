/**
 * topology.md's who-may-call-whom section for a stack whose AuthorizationPolicies all lack rules:
 * a DENY, CUSTOM or AUDIT policy without rules never matches (istio/api 1.30.3
 * authorization_policy.proto `rules`: "If not set, the match will never occur"), so every call is
 * still open, but the policies are rendered and must not be reported as absent.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { capturedObject } from "../support/captured";
import { topologyMarkdown } from "../../scripts/lib/topology";
import { ns, sa } from "../support/topology-fleet";
import { deployment, policy } from "../support/topology-matrix";

const workload = (): any[] => [ns("agents", { "istio.io/dataplane-mode": "ambient" }), sa("agents", "a"), deployment("agents", "a")];
const whoMayCall = (objects: any[]) => topologyMarkdown({ deployment: { resources: objects.map((o) => capturedObject("c1", o)) } }, "prod").split("## Who may call whom")[1];

test("DENY and CUSTOM policies without rules are named as rendered (they never match, so every call stays open), not reported as no policy at all", () => {
  const section = whoMayCall([...workload(), policy("agents", "deny-none", { action: "DENY" }), policy("agents", "ext", { action: "CUSTOM", provider: { name: "opa" }, rules: [] })]);
  assert.match(section, /2 AuthorizationPolicies are rendered \(`agents\/deny-none` on `c1`, `agents\/ext` on `c1`\), but none has rules, and a DENY, CUSTOM or AUDIT policy without rules never matches: ambient allows every mesh workload to call every other\./);
  assert.doesNotMatch(section, /No AuthorizationPolicy is rendered/);
  assert.match(section, /Any mesh workload may call these:\n\n- `agents\/a` on `c1`/);
});

test("a stack without AuthorizationPolicies still says none is rendered", () => {
  assert.match(whoMayCall(workload()), /No AuthorizationPolicy is rendered: without one, ambient allows every mesh workload to call every other\./);
  assert.match(whoMayCall([...workload(), policy("agents", "audit", { action: "AUDIT" })]), /An AuthorizationPolicy is rendered \(`agents\/audit` on `c1`\), but it has no rules/);
});
