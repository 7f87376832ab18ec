/**
 * Policy tests for authorization-sources-restricted (ALLOW rules name their callers by principal,
 * as Istio 1.30 matches sources and principals; AuthorizationPolicyPatch rules) and
 * l7-authorization-target-refs (L7 rules attach through targetRefs).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { authorizationSourcesRestricted } from "../../policy/rules/authorization-sources-restricted";
import { authorizationPrincipalsKnown } from "../../policy/rules/authorization-principals-known";
import { l7AuthorizationTargetRefs } from "../../policy/rules/l7-authorization-target-refs";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { runResource, runStack, UNKNOWN } from "../support/policy";
import { AP, on, sa, ap, gw, allowFrom } from "./authz-support";

test("authorization-sources-restricted: ALLOW rules name their callers", async () => {
  // Without rules an ALLOW policy never matches (Istio's allow-nothing `spec: {}`): deny-all, not open.
  const ok = await runStack(authorizationSourcesRestricted, [
    ap("inference", "vllm", allowFrom("cluster.local/ns/inference/sa/gw")),
    ap("inference", "allow-nothing", {}),
    ap("inference", "deny-all", { action: "ALLOW", rules: [] }),
    ap("inference", "deny", { action: "DENY", rules: [{}] }),
  ]);
  assert.deepEqual(ok.violations, []);
  const open = await runStack(authorizationSourcesRestricted, [
    ap("inference", "no-from", { rules: [{ to: [{ operation: { ports: ["8000"] } }] }] }),
    ap("inference", "star", allowFrom("*")),
    ap("inference", "td-wide", allowFrom("cluster.local/*")),
    ap("inference", "any-ip", { rules: [{ from: [{ source: { ipBlocks: ["0.0.0.0/0"] } }] }] }),
    ap("inference", "only-not", { rules: [{ from: [{ source: { notNamespaces: ["kube-system"] } }] }] }),
  ]);
  assert.equal(open.violations.length, 5, JSON.stringify(open.violations, null, 1));
  assert.match(open.violations.map((v) => v.message).join("\n"), /ALLOW without from: every caller is allowed/);
  // Callers named only in `when`: still a rule without sources, but not one open to everyone.
  const byWhen = await runStack(authorizationSourcesRestricted, [
    ap("tools", "when-only", { rules: [{ when: [{ key: "source.principal", values: ["cluster.local/ns/agents/sa/agent"] }, { key: "destination.port", values: ["8080"] }] }] }),
  ]);
  assert.deepEqual(byWhen.violations.map((v) => v.message), [
    "AuthorizationPolicy tools/when-only rule 0: ALLOW without from: its callers are bounded only by when conditions (source.principal); name them in from.source principals",
  ]);
});

test("authorization-sources-restricted: an action outside the CRD's enum (another case, a number) is reported as refused, whatever its rules", async () => {
  // Before, `allow` read as not ALLOW and its open rule passed; the API server refuses the policy.
  const odd = await runStack(authorizationSourcesRestricted, [
    ap("tools", "open", { action: "allow", rules: [{}] }),
    ap("tools", "deny", { action: "Deny", rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/a"] } }] }] }),
    ap("tools", "zero", { action: 0, rules: [{}] }),
  ]);
  assert.deepEqual(odd.violations.map((v) => v.message.replace(/ \(ALLOW, .*$/, "")), [
    'AuthorizationPolicy tools/open: action "allow" is not an action Istio knows',
    'AuthorizationPolicy tools/deny: action "Deny" is not an action Istio knows',
    "AuthorizationPolicy tools/zero: action 0 is not an action Istio knows",
  ]);
  // The fix named is the action meant: `Deny` is no ALLOW to write.
  assert.match(odd.violations[0].message, /; write ALLOW \(or leave action unset\)$/);
  assert.match(odd.violations[1].message, /; write DENY$/);
  // A null action is pruned by the API server: Istio's default, ALLOW, judged as such.
  const pruned = await runStack(authorizationSourcesRestricted, [ap("tools", "pruned", { action: null, rules: [{}] }), ap("tools", "audit", { action: "AUDIT", rules: [{}] })]);
  assert.deepEqual(pruned.violations.map((v) => v.message), ["AuthorizationPolicy tools/pruned rule 0: ALLOW without from: every caller is allowed"]);
});

test("authorization-sources-restricted: callers are named by principal, not only by namespace or address", async () => {
  const byPlace = [
    ap("tools", "from-ns", { rules: [{ from: [{ source: { namespaces: ["inference"] } }] }] }),
    ap("tools", "from-range", { rules: [{ from: [{ source: { ipBlocks: ["10.42.0.0/16"] } }] }] }),
  ];
  const strict = await runStack(authorizationSourcesRestricted, byPlace);
  assert.equal(strict.violations.length, 2);
  assert.match(strict.violations[0].message, /callers are named only by namespaces, which admits every workload there/);
  assert.deepEqual((await runStack(authorizationSourcesRestricted, byPlace, { requirePrincipals: false })).violations, []);
  // A namespace narrowing a principal list is fine.
  const narrowed = await runStack(authorizationSourcesRestricted, [ap("tools", "both", { rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/bot"], namespaces: ["agents"] } }] }] })]);
  assert.deepEqual(narrowed.violations, []);
  // Source fields are ANDed: a wildcard namespace beside a named principal admits only the principal.
  const anded = await runStack(authorizationSourcesRestricted, [ap("tools", "and", { rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/bot"], namespaces: ["*"] } }] }] })]);
  assert.deepEqual(anded.violations, []);
  const bothOpen = await runStack(authorizationSourcesRestricted, [ap("tools", "open", { rules: [{ from: [{ source: { principals: ["*"], ipBlocks: ["0.0.0.0/0"] } }] }] })]);
  assert.match(bothOpen.violations[0].message, /principals "\*" matches every caller and ipBlocks 0\.0\.0\.0\/0 matches every address/);
});

// Istio 1.30.3 ANDs a source's fields and ORs a field's values (ztunnel: authorization.go builds one
// Match per source; `*` is a presence match): a wildcard principal beside a namespace or address
// bounds nothing, so the source is that namespace or range, which namespaces alone already fails.
test("authorization-sources-restricted: a wildcard principal ANDed with namespaces or addresses names callers by place", async () => {
  const wildcardBeside = [
    ap("tools", "star-ns", { rules: [{ from: [{ source: { principals: ["*"], namespaces: ["agents"] } }] }] }),
    ap("tools", "td-range", { rules: [{ from: [{ source: { principals: ["cluster.local/*"], ipBlocks: ["10.42.0.0/16"] } }] }] }),
    ap("tools", "one-of-two", { rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/bot", "*/sa/default"], namespaces: ["agents"] } }] }] }),
  ];
  const strict = await runStack(authorizationSourcesRestricted, wildcardBeside);
  assert.deepEqual(strict.violations.map((v) => v.message), [
    'AuthorizationPolicy tools/star-ns rule 0 from 0: principals "*" matches every identity, so callers are named only by namespaces, which admits every workload there; name their principals (ServiceAccounts)',
    'AuthorizationPolicy tools/td-range rule 0 from 0: principals "cluster.local/*" matches every identity in every namespace (trust domain cluster.local), so callers are named only by ipBlocks, which admits every workload there; name their principals (ServiceAccounts)',
    'AuthorizationPolicy tools/one-of-two rule 0 from 0: principals "*/sa/default" matches ServiceAccount default in every namespace (every trust domain), so callers are named only by namespaces, which admits every workload there; name their principals (ServiceAccounts)',
  ]);
  assert.deepEqual((await runStack(authorizationSourcesRestricted, wildcardBeside, { requirePrincipals: false })).violations, []);
  // Named principals (one ServiceAccount, in any trust domain too) beside a namespace stay identities.
  const named = ap("tools", "named", { rules: [{ from: [{ source: { principals: ["*/ns/agents/sa/bot", "cluster.local/ns/agents/sa/x"], namespaces: ["agents"] } }] }] });
  assert.deepEqual((await runStack(authorizationSourcesRestricted, [named])).violations, []);
});

test("authorization-sources-restricted: only ingress Gateways may admit unauthenticated external clients", async () => {
  const ingress = { action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway" }], rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }] };
  const onIngress = await runStack(authorizationSourcesRestricted, [gw("inference", "inference-gateway", "istio"), ap("inference", "callers", ingress)]);
  assert.deepEqual(onIngress.violations, []);
  const onWaypoint = await runStack(authorizationSourcesRestricted, [
    gw("inference", "inference-gateway", "istio-waypoint"),
    ap("inference", "callers", ingress),
  ]);
  assert.equal(onWaypoint.violations.length, 1);
  const onWorkload = await runStack(authorizationSourcesRestricted, [ap("inference", "callers", { action: "ALLOW", selector: { matchLabels: { app: "x" } }, rules: ingress.rules })]);
  assert.equal(onWorkload.violations.length, 1);
});

test("l7-authorization-target-refs: L7 rules attach through targetRefs", async () => {
  const l7 = { rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/a"] } }], to: [{ operation: { methods: ["POST"], paths: ["/v1/*"] } }] }] };
  const ok = await runResource(l7AuthorizationTargetRefs, [
    { type: AP, props: { metadata: { name: "l7", namespace: "tools" }, spec: { ...l7, targetRefs: [{ kind: "Service", group: "", name: "calc" }] } } },
    { type: AP, props: { metadata: { name: "l4", namespace: "tools" }, spec: { selector: { matchLabels: { app: "calc" } }, rules: [{ from: l7.rules[0].from, to: [{ operation: { ports: ["8000"] } }] }] } } },
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(l7AuthorizationTargetRefs, [
    { type: AP, props: { metadata: { name: "l7", namespace: "tools" }, spec: { ...l7, selector: { matchLabels: { app: "calc" } } } } },
    { type: AP, props: { metadata: { name: "when", namespace: "tools" }, spec: { rules: [{ when: [{ key: "request.headers[x-tenant]", values: ["a"] }] }] } } },
  ]);
  assert.equal(bad.violations.length, 2);
  assert.match(bad.violations[0].message, /uses to\.operation\.paths, to\.operation\.methods but attaches through a selector/);
  assert.match(bad.violations[1].message, /when request\.headers\[x-tenant\] but attaches namespace-wide/);
});

test("l7-authorization-target-refs: when keys ztunnel cannot evaluate and remote IP blocks are L7 too", async () => {
  const sel = (rule: Record<string, unknown>) => ({ type: AP, props: { metadata: { name: "x", namespace: "agents" }, spec: { selector: { matchLabels: { app: "a" } }, rules: [rule] } } });
  const l4 = await runResource(l7AuthorizationTargetRefs, [sel({ when: [{ key: "source.ip", values: ["10.0.0.1"] }] }), sel({ when: [{ key: "destination.port", values: ["8080"] }] })]);
  assert.deepEqual(l4.violations, []);
  const l7 = await runResource(l7AuthorizationTargetRefs, [
    sel({ when: [{ key: "connection.sni", values: ["x"] }] }),
    sel({ when: [{ key: "remote.ip", values: ["1.2.3.4"] }] }),
    sel({ from: [{ source: { remoteIpBlocks: ["10.0.0.0/8"] } }] }),
  ]);
  assert.equal(l7.violations.length, 3);
});

test("Istio 1.30 serviceAccounts sources are identities: known, restricted, and part of the call graph", async () => {
  const fleet = [gw("agents", "agent-gateway", "agentgateway"), sa("agents", "research-agent-v1"), sa("inference", "vllm")];
  const bySa = (namespace: string, serviceAccounts: string[]) => ap(namespace, `sa-${serviceAccounts.join("-").replace(/\W/g, "")}`, { action: "ALLOW", rules: [{ from: [{ source: { serviceAccounts } }] }] });
  assert.deepEqual((await runStack(authorizationSourcesRestricted, [...fleet, bySa("agents", ["agents/agent-gateway"])])).violations, [], "a named ServiceAccount restricts the source");
  const ghost = await runStack(authorizationPrincipalsKnown, [...fleet, bySa("agents", ["ghost"])]);
  assert.match(ghost.violations[0].message, /serviceAccounts entry "ghost" names no ServiceAccount/);
  const breach = await runStack(agentCallGraph, [...fleet, bySa("agents", ["inference/vllm"])]);
  assert.match(breach.violations[0].message, /admits serviceAccount inference\/vllm: only the agent gateway \(agents\/agent-gateway\) may call agents/);
});

test("authorization-sources-restricted: an action, rules or gateway class unknown in a preview is can't judge for what it decides; known findings stand", async () => {
  const open = { rules: [{ to: [{ operation: { ports: ["8080"] } }] }] };
  const openMessage = "AuthorizationPolicy tools/open rule 0: ALLOW without from: every caller is allowed";
  // A policy not known yet (before: skipped, a silent pass).
  const unread = await runStack(authorizationSourcesRestricted, [ap("tools", "unread", UNKNOWN as unknown as Record<string, unknown>), ap("tools", "open", open)]);
  assert.deepEqual(unread.violations.map((v) => v.message), [openMessage]);
  assert.match(unread.unknown[0], /the rules of AuthorizationPolicy tools\/unread on cluster a/);
  // An action not known yet: an open rule is a finding only for ALLOW (before: the whole policy was skipped).
  const action = await runStack(authorizationSourcesRestricted, [ap("tools", "open", { ...open, action: UNKNOWN })]);
  assert.deepEqual(action.violations, []);
  assert.match(action.unknown[0], /the action of AuthorizationPolicy tools\/open on cluster a, which decides: .*ALLOW without from/);
  // Unknowns that cannot change the verdict block nothing: restricted rules pass whatever the action,
  // and an open rule fails whatever the selector.
  const restricted = await runStack(authorizationSourcesRestricted, [ap("tools", "named", { ...allowFrom("cluster.local/ns/agents/sa/bot"), action: UNKNOWN })]);
  assert.deepEqual([restricted.violations, restricted.unknown], [[], []]);
  const selector = await runStack(authorizationSourcesRestricted, [ap("tools", "open", { ...open, selector: UNKNOWN })]);
  assert.deepEqual([selector.violations.map((v) => v.message), selector.unknown], [[openMessage], []]);
  // Unauthenticated callers at a Gateway whose class is not known yet: it may be an ingress (before: the class read crashed the policy).
  const ingress = { action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "edge" }], rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }] };
  const edge = (gatewayClassName: unknown) => on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "inference-gw-edge", { metadata: { name: "edge", namespace: "inference" }, spec: { gatewayClassName, listeners: [] } });
  const unknownClass = await runStack(authorizationSourcesRestricted, [edge(UNKNOWN), ap("inference", "callers", ingress), ap("tools", "open", open)]);
  assert.deepEqual(unknownClass.violations.map((v) => v.message), [openMessage]);
  assert.match(unknownClass.unknown[0], /whether AuthorizationPolicy inference\/callers on cluster a binds only ingress Gateways/);
  // Known: at a waypoint the same source is the violation it was.
  assert.equal((await runStack(authorizationSourcesRestricted, [edge("istio-waypoint"), ap("inference", "callers", ingress)])).violations.length, 1);
});

test("authorization-sources-restricted and -principals-known: an AuthorizationPolicyPatch's rules are judged with the action and targets the policy keeps", async () => {
  const APP = "kubernetes:security.istio.io/v1:AuthorizationPolicyPatch";
  const patch = (namespace: string, name: string, spec: Record<string, unknown>) => on(APP, `${namespace}-app-${name}`, { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace }, spec });
  // Before: no policy judged a patch, so this opened the model servers to every caller.
  const opened = await runStack(authorizationSourcesRestricted, [ap("inference", "ms", allowFrom("cluster.local/ns/inference/sa/gw")), patch("inference", "ms", { rules: [{}] })]);
  assert.deepEqual(opened.violations.map((v) => v.message), ["AuthorizationPolicyPatch inference/ms rule 0: ALLOW without from: every caller is allowed"]);
  const fine = await runStack(authorizationSourcesRestricted, [
    ap("inference", "ms", allowFrom("cluster.local/ns/inference/sa/gw")),
    // A patch that sets no rules changes none.
    patch("inference", "ms", { selector: { matchLabels: { app: "vllm" } } }),
    // The patched policy denies: its open rules deny everyone, which opens nothing.
    ap("inference", "deny", { action: "DENY", rules: [{ from: [{ source: { principals: ["cluster.local/ns/x/sa/y"] } }] }] }),
    patch("inference", "deny", { rules: [{}] }),
    // The patched policy binds an ingress Gateway: unauthenticated clients are its callers.
    gw("inference", "inference-gateway", "istio"),
    ap("inference", "ingress", { action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway" }], rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }] }),
    patch("inference", "ingress", { rules: [{ from: [{ source: { notPrincipals: ["*"] } }], to: [{ operation: { ports: ["80"] } }] }] }),
  ]);
  assert.deepEqual(fine.violations, []);
  const unknownName = await runStack(authorizationPrincipalsKnown, [sa("agents", "bot"), patch("inference", "ms", allowFrom("cluster.local/ns/agents/sa/bto"))]);
  assert.deepEqual(unknownName.violations.map((v) => v.message), ["AuthorizationPolicyPatch inference/ms: principal cluster.local/ns/agents/sa/bto names no ServiceAccount of this stack (add it to allowedServiceAccounts if a controller creates it)"]);
});

// Principals as Istio 1.30.3 matches them (stringToMatch / StringMatcherWithPrefix): `*` alone is
// every identity, a leading `*` a suffix match, a trailing `*` a prefix match, any other `*` literal.
test("authorization-sources-restricted: a suffix or prefix principal is judged by what it can match", async () => {
  // One ServiceAccount in any trust domain; before: "matches every caller".
  const oneSa = await runStack(authorizationSourcesRestricted, [ap("inference", "ms", allowFrom("*/ns/inference/sa/inference-gateway-istio", "cluster.local/ns/inference/sa/epp"))]);
  assert.deepEqual(oneSa.violations, []);
  // Callers across namespaces stay open.
  const across = await runStack(authorizationSourcesRestricted, [ap("inference", "any-default", allowFrom("*/sa/default")), ap("inference", "td", allowFrom("cluster.local/ns/*"))]);
  assert.deepEqual(across.violations.map((v) => v.message), [
    'AuthorizationPolicy inference/any-default rule 0 from 0: principals "*/sa/default" matches ServiceAccount default in every namespace (every trust domain)',
    'AuthorizationPolicy inference/td rule 0 from 0: principals "cluster.local/ns/*" matches every identity in every namespace (trust domain cluster.local)',
  ]);
  // Every identity of one namespace is a namespace source: a finding only while principals are required.
  const wide = [ap("tools", "from-agents", allowFrom("cluster.local/ns/agents/*")), ap("tools", "from-some", allowFrom("cluster.local/ns/agents/sa/research-*"))];
  const strict = await runStack(authorizationSourcesRestricted, wide);
  assert.deepEqual(strict.violations.map((v) => v.message), [
    'AuthorizationPolicy tools/from-agents rule 0 from 0: principals "cluster.local/ns/agents/*" matches every ServiceAccount of namespace agents: that admits a namespace, not named identities; name their principals (ServiceAccounts)',
    'AuthorizationPolicy tools/from-some rule 0 from 0: principals "cluster.local/ns/agents/sa/research-*" matches every ServiceAccount of namespace agents whose name starts with "research-": that admits a namespace, not named identities; name their principals (ServiceAccounts)',
  ]);
  assert.deepEqual((await runStack(authorizationSourcesRestricted, wide, { requirePrincipals: false })).violations, []);
  // `*/ns/*` is a suffix match on the literal "/ns/*": it matches nobody (principals-known reports it).
  assert.deepEqual((await runStack(authorizationSourcesRestricted, [ap("tools", "literal", allowFrom("*/ns/*"))])).violations, []);
});

test("authorization-sources-restricted: a selector or namespace policy is judged as ztunnel reads it, without trustDomains", async () => {
  const source = (s: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({ action: "ALLOW", rules: [{ from: [{ source: s }] }], ...spec });
  const wildcard = { principals: ["*"], trustDomains: ["cluster.local"] };
  // istiod hands ztunnel no trust domains: the source is `principals: ["*"]`, every caller. Before:
  // with requirePrincipals false, a source bounded by its trust domain passed.
  const lenient = await runStack(authorizationSourcesRestricted, [ap("inference", "td", source(wildcard))], { requirePrincipals: false });
  assert.deepEqual(lenient.violations.map((v) => v.message), [
    'AuthorizationPolicy inference/td rule 0 from 0: principals "*" matches every caller (ztunnel, which enforces this policy, does not read trustDomains)',
  ]);
  // The default config names the real opening too, not a place-based source (before: "callers
  // are named only by trustDomains").
  const strict = await runStack(authorizationSourcesRestricted, [ap("inference", "td", source(wildcard))]);
  assert.deepEqual(strict.violations.map((v) => v.message), lenient.violations.map((v) => v.message));
  // An opening that is one without them is reported as before.
  const open = await runStack(authorizationSourcesRestricted, [ap("inference", "td", source({ namespaces: ["*"], notTrustDomains: ["evil.example"] }))]);
  assert.deepEqual(open.violations.map((v) => v.message), ['AuthorizationPolicy inference/td rule 0 from 0: namespaces "*" matches every caller']);
  // A waypoint or gateway (Envoy) matches trust domains: judged as written there.
  const atWaypoint = await runStack(authorizationSourcesRestricted, [ap("inference", "td", source(wildcard, { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }] }))], { requirePrincipals: false });
  assert.deepEqual(atWaypoint.violations, []);
  // Beside a named principal, dropping them leaves a named caller.
  assert.deepEqual((await runStack(authorizationSourcesRestricted, [ap("inference", "td", source({ principals: ["cluster.local/ns/inference/sa/gw"], trustDomains: ["cluster.local"] }))])).violations, []);
  // Targets not known in a preview decide whether ztunnel enforces it: can't judge.
  const preview = await runStack(authorizationSourcesRestricted, [ap("inference", "td", source(wildcard, { targetRefs: UNKNOWN }))], { requirePrincipals: false });
  assert.deepEqual(preview.violations, []);
  assert.match(preview.unknown[0], /whether AuthorizationPolicy inference\/td on cluster a is enforced by ztunnel/);
});

// Istio 1.30.3: a selector without matchLabels is a WORKLOAD_SELECTOR policy with no label selector
// (ambient/authorization.go convertAuthorizationPolicy), which buildWorkloadPolicies (workloads.go)
// attaches to no workload, while Envoy's isSelected (model/policyattachment.go) reads an empty
// matchLabels as a subset of every pod's labels; an empty matchLabels selects every workload there
// and at ztunnel (krt FilterSelects: an empty selector matches).
test("l7-authorization-target-refs: an empty selector is named for what it binds, not as a selector", async () => {
  const l7 = (selector: unknown) => ({ type: AP, props: { metadata: { name: "l7", namespace: "tools" }, spec: { selector, rules: [{ to: [{ operation: { methods: ["POST"] } }] }] } } });
  const bad = await runResource(l7AuthorizationTargetRefs, [l7({}), l7({ matchLabels: {} })]);
  assert.deepEqual(bad.violations.map((v) => v.message), [
    "AuthorizationPolicy tools/l7 uses to.operation.methods but attaches through an empty selector (no matchLabels), which ztunnel enforces on no workload (istiod hands it only to the workloads a matchLabels selects) while the Envoy of an Istio gateway in namespace tools reads it as selecting every pod: it guards none of the namespace's ambient workloads; attach it with targetRefs to the waypoint or Gateway",
    "AuthorizationPolicy tools/l7 uses to.operation.methods but attaches through an empty selector (matchLabels {}), which selects every workload in namespace tools: ztunnel enforces it on each of them at L4 only (istiod drops an ALLOW rule's L7 attributes with the rule, a DENY rule's HTTP fields alone); attach it with targetRefs to the waypoint or Gateway",
  ]);
});
