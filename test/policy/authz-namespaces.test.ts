/**
 * Policy tests for workload-namespaces-authorized: every namespace (and every pod enrolled in
 * ambient by its own label) running workloads is covered by an ALLOW AuthorizationPolicy, mesh-wide
 * ones in istiod's root namespace.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { workloadNamespacesAuthorized } from "../../policy/rules/workload-namespaces-authorized";
import { runStack, UNKNOWN } from "../support/policy";
import { on, ap, allowFrom } from "./authz-support";

const ns = (name: string, cluster = "a") => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name } }, cluster);

const deploy = (namespace: string, name: string, cluster = "a") => on("kubernetes:apps/v1:Deployment", `${namespace}-${name}`, { metadata: { name, namespace }, spec: { template: { spec: { containers: [] } } } }, cluster);

test("workload-namespaces-authorized: a namespace running workloads needs an ALLOW policy", async () => {
  const covered = await runStack(workloadNamespacesAuthorized, [ns("inference"), deploy("inference", "vllm"), ap("inference", "vllm", allowFrom("cluster.local/ns/inference/sa/gw")), ns("tools")]);
  assert.deepEqual(covered.violations, []);
  const open = await runStack(workloadNamespacesAuthorized, [ns("inference"), deploy("inference", "vllm"), ap("inference", "deny", { action: "DENY", rules: [{}] })], null);
  assert.equal(open.violations.length, 1);
  assert.match(open.violations[0].message, /namespace inference on cluster a runs 1 workload\(s\) but has no ALLOW/);
  // Coverage is per cluster: a policy on cluster a does not cover cluster b.
  const otherCluster = await runStack(workloadNamespacesAuthorized, [ns("agents", "b"), deploy("agents", "bot", "b"), ap("agents", "bot", allowFrom("x/ns/y/sa/z"), "a")]);
  assert.equal(otherCluster.violations.length, 1);
  // A mesh-wide ALLOW policy in the root namespace covers every namespace.
  const meshWide = await runStack(workloadNamespacesAuthorized, [ns("agents"), deploy("agents", "bot"), ap("istio-system", "global", allowFrom("cluster.local/ns/agents/sa/bot"))]);
  assert.deepEqual(meshWide.violations, []);
  // Policies bound through targetRefs are the waypoint's or gateway's: ztunnel leaves the pods open.
  const viaTargetRefs = await runStack(workloadNamespacesAuthorized, [
    ns("inference"),
    deploy("inference", "vllm"),
    ap("inference", "gw-callers", { ...allowFrom("cluster.local/ns/agents/sa/bot"), targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway" }] }),
    ap("inference", "svc-callers", { ...allowFrom("cluster.local/ns/agents/sa/bot"), targetRef: { group: "", kind: "Service", name: "vllm" } }),
  ]);
  assert.equal(viaTargetRefs.violations.length, 1);
  assert.match(viaTargetRefs.violations[0].message, /no ALLOW AuthorizationPolicy bound by selector or namespace/);
  // Per workload: a second Deployment no policy selects is open even though its namespace has policies.
  const labelled = (name: string, labels: Record<string, string>) =>
    on("kubernetes:apps/v1:Deployment", `inference-${name}`, { metadata: { name, namespace: "inference" }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } });
  const selectorPolicy = ap("inference", "vllm", { ...allowFrom("cluster.local/ns/inference/sa/gw"), selector: { matchLabels: { app: "vllm" } } });
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [ns("inference"), labelled("vllm", { app: "vllm" }), selectorPolicy])).violations, []);
  const uncovered = await runStack(workloadNamespacesAuthorized, [ns("inference"), labelled("vllm", { app: "vllm" }), labelled("epp", { app: "epp" }), selectorPolicy]);
  assert.deepEqual(uncovered.violations.map((v) => v.message), ["Deployment inference/epp on cluster a is selected by no ALLOW AuthorizationPolicy: its pods admit every mesh identity"]);
});

test("workload-namespaces-authorized: every namespace the stack creates that runs workloads is judged, except exempt ones", async () => {
  const covered = await runStack(workloadNamespacesAuthorized, [
    ns("rag"), deploy("rag", "retriever"), ap("rag", "retriever", allowFrom("cluster.local/ns/agents/sa/bot")),
    // Controllers installed outside the mesh need no ALLOW policy.
    ns("agentgateway-system"), deploy("agentgateway-system", "controller"), ns("kube-system"), deploy("kube-system", "nvidia-device-plugin"),
  ]);
  assert.deepEqual(covered.violations, []);
  const open = await runStack(workloadNamespacesAuthorized, [ns("rag"), deploy("rag", "retriever")]);
  assert.equal(open.violations.length, 1);
  assert.match(open.violations[0].message, /namespace rag on cluster a runs 1 workload\(s\) but has no ALLOW AuthorizationPolicy .* list the namespace in exemptNamespaces/);
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [ns("rag"), deploy("rag", "retriever")], { exemptNamespaces: ["rag"] })).violations, []);
});

test("workload-namespaces-authorized: mesh-wide policies live in istiod's root namespace (meshConfig.rootNamespace)", async () => {
  const istiod = (values: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "istiod", { chart: "istiod", values });
  const global = (namespace: string) => ap(namespace, "global", allowFrom("cluster.local/ns/agents/sa/bot"));
  const elsewhere = [istiod({ meshConfig: { rootNamespace: "mesh-root" } }), ns("agents"), deploy("agents", "bot")];
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [...elsewhere, global("mesh-root")])).violations, []);
  // istio-system is then an ordinary namespace: its policies bind only its own workloads.
  const wrongRoot = await runStack(workloadNamespacesAuthorized, [...elsewhere, global("istio-system")]);
  assert.equal(wrongRoot.violations.length, 1);
  assert.match(wrongRoot.violations[0].message, /namespace agents on cluster a runs 1 workload\(s\) but has no ALLOW/);
  // Without an istiod release the configured root namespace decides.
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [ns("agents"), deploy("agents", "bot"), global("istio-system")])).violations, []);
});

test("workload-namespaces-authorized: an action, selector or pod labels unknown in a preview give no verdict on what they decide (can't judge), and known verdicts still stand", async () => {
  const withLabels = (namespace: string, name: string, labels: unknown) =>
    on("kubernetes:apps/v1:Deployment", `${namespace}-${name}`, { metadata: { name, namespace }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } });
  const selectorPolicy = ap("inference", "vllm", { ...allowFrom("cluster.local/ns/inference/sa/gw"), selector: { matchLabels: { app: "vllm" } } });
  const open = [ns("tools"), deploy("tools", "calculator")];
  const openMessage = /namespace tools on cluster a runs 1 workload\(s\) but has no ALLOW/;
  // Pod labels not known yet: the selector may select the pods (before: judged as unlabelled, a violation).
  const labels = await runStack(workloadNamespacesAuthorized, [ns("inference"), withLabels("inference", "vllm", UNKNOWN), selectorPolicy, ...open]);
  assert.equal(labels.violations.length, 1);
  assert.match(labels.violations[0].message, openMessage);
  assert.equal(labels.unknown.length, 1);
  assert.match(labels.unknown[0], /whether an ALLOW AuthorizationPolicy selects Deployment inference\/vllm on cluster a/);
  // A selector not known yet may select other pods (before: taken to select every pod, a silent pass).
  const selector = await runStack(workloadNamespacesAuthorized, [ns("inference"), withLabels("inference", "epp", { app: "epp" }), ap("inference", "vllm", { ...allowFrom("cluster.local/ns/inference/sa/gw"), selector: UNKNOWN }), ...open]);
  assert.equal(selector.violations.length, 1);
  assert.match(selector.unknown[0], /selects Deployment inference\/epp/);
  // An action not known yet may be DENY (before: taken for ALLOW, a silent pass).
  const action = await runStack(workloadNamespacesAuthorized, [ns("inference"), deploy("inference", "vllm"), ap("inference", "vllm", { action: UNKNOWN, rules: [{}] }), ...open]);
  assert.equal(action.violations.length, 1);
  assert.match(action.unknown[0], /selects Deployment inference\/vllm/);
  // A root-namespace policy whose selector is not known yet may be mesh-wide, or select the pods (before: a violation for every
  // namespace without its own): whether it covers each workload is not known.
  const meshWide = await runStack(workloadNamespacesAuthorized, [ns("agents"), deploy("agents", "bot"), ap("istio-system", "global", { ...allowFrom("cluster.local/ns/agents/sa/bot"), selector: UNKNOWN })]);
  assert.deepEqual(meshWide.violations, []);
  assert.match(meshWide.unknown[0], /whether an ALLOW AuthorizationPolicy selects Deployment agents\/bot on cluster a/);
  // Unknowns that cannot change the verdict block nothing: a namespace-wide ALLOW covers pods whatever their labels,
  // and a second policy not known yet cannot uncover them.
  const covered = await runStack(workloadNamespacesAuthorized, [ns("inference"), withLabels("inference", "vllm", UNKNOWN), ap("inference", "all", allowFrom("cluster.local/ns/inference/sa/gw")), ap("inference", "other", UNKNOWN as unknown as Record<string, unknown>)]);
  assert.deepEqual([covered.violations, covered.unknown], [[], []]);
  // Known: the same pods with known labels no policy selects are still a violation.
  const known = await runStack(workloadNamespacesAuthorized, [ns("inference"), withLabels("inference", "vllm", { app: "epp" }), selectorPolicy]);
  assert.deepEqual([known.violations.map((v) => v.message), known.unknown], [["Deployment inference/vllm on cluster a is selected by no ALLOW AuthorizationPolicy: its pods admit every mesh identity"], []]);
});

test("workload-namespaces-authorized: a pod enrolled in ambient by its own label is judged in any namespace but the exempt ones", async () => {
  const selfEnrolled = (namespace: string, name: string, labels: Record<string, unknown> = { app: name, "istio.io/dataplane-mode": "ambient" }) =>
    on("kubernetes:apps/v1:Deployment", `${namespace}-${name}`, { metadata: { name, namespace }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } });
  // Before: namespaces the stack does not create were never looked at.
  const open = await runStack(workloadNamespacesAuthorized, [selfEnrolled("default", "rogue"), selfEnrolled("rag", "indexer")]);
  assert.deepEqual(open.violations.map((v) => v.message), [
    "Deployment default/rogue on cluster a enrolls its pods in ambient (istio.io/dataplane-mode=ambient on the pod template), so they join the mesh in namespace default, but no ALLOW AuthorizationPolicy selects them: they admit every mesh identity (add one there or in Istio's root namespace, or list default in exemptNamespaces if it is meant to stay open)",
    "Deployment rag/indexer on cluster a enrolls its pods in ambient (istio.io/dataplane-mode=ambient on the pod template), so they join the mesh in namespace rag, but no ALLOW AuthorizationPolicy selects them: they admit every mesh identity (add one there or in Istio's root namespace, or list rag in exemptNamespaces if it is meant to stay open)",
  ]);
  const covered = await runStack(workloadNamespacesAuthorized, [
    selfEnrolled("default", "rogue"),
    ap("default", "rogue", { ...allowFrom("cluster.local/ns/agents/sa/bot"), selector: { matchLabels: { app: "rogue" } } }),
    selfEnrolled("rag", "indexer"),
    ap("istio-system", "rag", { ...allowFrom("cluster.local/ns/agents/sa/bot"), selector: { matchLabels: { app: "indexer" } } }),
    // Not enrolled by its own label, or in an exempt namespace: outside this rule.
    selfEnrolled("default", "plain", { app: "plain" }),
    selfEnrolled("kube-system", "agent"),
  ]);
  assert.deepEqual(covered.violations, []);
  // A pod label not known in a preview is can't judge, not a pass.
  const preview = await runStack(workloadNamespacesAuthorized, [selfEnrolled("default", "rogue", UNKNOWN as unknown as Record<string, unknown>)]);
  assert.deepEqual(preview.violations, []);
  assert.match(preview.unknown[0], /whether Deployment default\/rogue on cluster a enrolls itself in ambient/);
});

test("workload-namespaces-authorized: an istio.io/dry-run ALLOW policy or a selector without matchLabels covers nothing, as ztunnel enforces them", async () => {
  const labelled = (namespace: string, name: string) =>
    on("kubernetes:apps/v1:Deployment", `${namespace}-${name}`, { metadata: { name, namespace }, spec: { template: { metadata: { labels: { app: name } }, spec: { containers: [] } } } });
  const annotated = (namespace: string, name: string, spec: Record<string, unknown>, annotations: Record<string, string>) =>
    on("kubernetes:security.istio.io/v1:AuthorizationPolicy", `${namespace}-ap-${name}`, { metadata: { name, namespace, annotations }, spec });
  const allow = allowFrom("cluster.local/ns/inference/sa/gw");
  // istiod drops a dry-run policy for ztunnel (AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY off) or
  // ztunnel only logs it (on): the pods stay open. Before: counted as coverage.
  const dryRun = await runStack(workloadNamespacesAuthorized, [ns("inference"), labelled("inference", "vllm"), annotated("inference", "vllm", allow, { "istio.io/dry-run": "true" })]);
  assert.deepEqual(dryRun.violations.map((v) => v.message), [
    "namespace inference on cluster a runs 1 workload(s) but has no ALLOW AuthorizationPolicy bound by selector or namespace (policies attached through targetRefs bind waypoints and gateways, not ztunnel; inference/vllm is istio.io/dry-run, which ztunnel does not enforce): every mesh identity can call them",
  ]);
  // Mesh-wide from the root namespace too; Go's ParseBool reads "1" and "True" as true.
  const rootDryRun = await runStack(workloadNamespacesAuthorized, [ns("inference"), labelled("inference", "vllm"), annotated("istio-system", "all", allow, { "istio.io/dry-run": "1" })]);
  assert.equal(rootDryRun.violations.length, 1);
  assert.match(rootDryRun.violations[0].message, /namespace inference on cluster a runs 1 workload\(s\) but has no ALLOW/);
  // Beside another policy of the namespace, the pods the dry-run one selects are named with it.
  const beside = await runStack(workloadNamespacesAuthorized, [
    ns("inference"), labelled("inference", "vllm"), labelled("inference", "epp"),
    annotated("inference", "vllm", { ...allow, selector: { matchLabels: { app: "vllm" } } }, { "istio.io/dry-run": "true" }),
    ap("inference", "epp", { ...allow, selector: { matchLabels: { app: "epp" } } }),
  ]);
  assert.deepEqual(beside.violations.map((v) => v.message), [
    "Deployment inference/vllm on cluster a is selected by no ALLOW AuthorizationPolicy (inference/vllm is istio.io/dry-run, which ztunnel does not enforce): its pods admit every mesh identity",
  ]);
  // A value ParseBool rejects leaves the policy enforced, as does "false".
  for (const value of ["false", "yes"]) {
    assert.deepEqual((await runStack(workloadNamespacesAuthorized, [ns("inference"), labelled("inference", "vllm"), annotated("inference", "vllm", allow, { "istio.io/dry-run": value })])).violations, [], value);
  }
  // `selector: {}` is a selector (scope WORKLOAD_SELECTOR) that istiod binds to no workload; before: read as namespace-wide.
  const emptySelector = await runStack(workloadNamespacesAuthorized, [ns("inference"), labelled("inference", "vllm"), ap("inference", "vllm", { ...allow, selector: {} })]);
  assert.deepEqual(emptySelector.violations.map((v) => v.message), [
    "Deployment inference/vllm on cluster a is selected by no ALLOW AuthorizationPolicy (inference/vllm has a selector without matchLabels, which istiod binds to no workload): its pods admit every mesh identity",
  ]);
  // So is a self-enrolled pod elsewhere with only a root-namespace `selector: {}` policy.
  const enrolled = on("kubernetes:apps/v1:Deployment", "default-rogue", { metadata: { name: "rogue", namespace: "default" }, spec: { template: { metadata: { labels: { app: "rogue", "istio.io/dataplane-mode": "ambient" } }, spec: { containers: [] } } } });
  const rootEmpty = await runStack(workloadNamespacesAuthorized, [enrolled, ap("istio-system", "all", { ...allow, selector: {} })]);
  assert.equal(rootEmpty.violations.length, 1);
  assert.match(rootEmpty.violations[0].message, /^Deployment default\/rogue on cluster a enrolls its pods in ambient/);
  // matchLabels present but empty selects every pod of the namespace (a subset match).
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [ns("inference"), labelled("inference", "vllm"), ap("inference", "vllm", { ...allow, selector: { matchLabels: {} } })])).violations, []);
});

test("workload-namespaces-authorized: root-namespace selector policies cover the workloads they select in every namespace, and `targetRefs: []` binds by selector", async () => {
  const labelled = (namespace: string, name: string, labels: Record<string, string>) =>
    on("kubernetes:apps/v1:Deployment", `${namespace}-${name}`, { metadata: { name, namespace }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } });
  // Istio 1.30.3 buildWorkloadPolicies binds a root-namespace selector policy to the workloads it selects, whatever their namespace.
  const fromRoot = ap("istio-system", "tools-calculator", { ...allowFrom("cluster.local/ns/tools/sa/mcp-gateway"), selector: { matchLabels: { app: "calculator" } } });
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [ns("tools"), labelled("tools", "calculator", { app: "calculator" }), fromRoot])).violations, []);
  // A workload the root policy does not select is open, and named.
  const partly = await runStack(workloadNamespacesAuthorized, [ns("tools"), labelled("tools", "calculator", { app: "calculator" }), labelled("tools", "search", { app: "search" }), fromRoot]);
  assert.deepEqual(partly.violations.map((v) => v.message), ["Deployment tools/search on cluster a is selected by no ALLOW AuthorizationPolicy: its pods admit every mesh identity"]);
  // Without any policy there or in the root namespace, the namespace itself is reported.
  const none = await runStack(workloadNamespacesAuthorized, [ns("tools"), labelled("tools", "calculator", { app: "calculator" })]);
  assert.match(none.violations[0].message, /namespace tools on cluster a runs 1 workload\(s\) but has no ALLOW AuthorizationPolicy/);
  // Istio reads targetRefs by length (model.GetTargetRefs): an empty list leaves the policy ztunnel's.
  const emptyRefs = ap("tools", "calculator", { ...allowFrom("cluster.local/ns/tools/sa/mcp-gateway"), selector: { matchLabels: { app: "calculator" } }, targetRefs: [] });
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [ns("tools"), labelled("tools", "calculator", { app: "calculator" }), emptyRefs])).violations, []);
});
