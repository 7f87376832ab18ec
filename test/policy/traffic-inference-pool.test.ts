/**
 * Policy tests for inference-pool-epp (the pool's model servers, the endpoint picker's Service and
 * pods) and inference-pool-failure-mode; the picker's TLS DestinationRule as istiod looks it up is in
 * traffic-inference-pool-tls.test.ts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { inferencePoolFailureMode } from "../../policy/rules/inference-pool-failure-mode";
import { runResource, runStack, UNKNOWN } from "../support/policy";
import { on } from "./traffic-support";
import { servers, pool, modelServer, eppLabels, eppService, eppPods, eppRbac, eppRule, eppStack } from "./traffic-inference-pool-support";

test("inference-pool-epp: EPP Service on the referenced port, TLS DestinationRule", async () => {
  const ok = await runStack(inferencePoolEpp, [pool("FailClose"), modelServer(), eppService(), eppPods(), ...eppRbac(), eppRule("SIMPLE")]);
  assert.deepEqual(ok.violations, []);
  // The failure mode is judged on the inputs, by inference-pool-failure-mode.
  assert.deepEqual((await runStack(inferencePoolEpp, [pool(undefined), modelServer(), eppService(), eppPods(), ...eppRbac(), eppRule("SIMPLE")])).violations, []);
  const wrongPort = await runStack(inferencePoolEpp, [pool("FailOpen", 9003), modelServer(), eppService(), eppPods(), ...eppRbac(), eppRule("SIMPLE")]);
  assert.match(wrongPort.violations[0].message, /does not expose port 9003/);
  const elsewhere = await runStack(inferencePoolEpp, [pool("FailOpen"), eppService("b"), eppRule("DISABLE")]);
  const messages = elsewhere.violations.map((v) => v.message).join("\n");
  assert.match(messages, /endpoint picker Service inference\/llama-v1-epp is not in the stack/);
  assert.match(messages, /DestinationRule inference\/llama-v1-epp applies and gives it tls\.mode DISABLE/);
  // Port-level settings override the rule-wide TLS for the picker's port.
  const portLevel = on("kubernetes:networking.istio.io/v1:DestinationRule", "epp-dr", {
    metadata: { name: "llama-v1-epp", namespace: "inference" },
    spec: { host: "llama-v1-epp.inference.svc.cluster.local", trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: true }, portLevelSettings: [{ port: { number: 9002 }, tls: { mode: "DISABLE" } }] } },
  });
  // A DestinationRule bound to other workloads does not reach the gateway.
  const elsewhereDr = on("kubernetes:networking.istio.io/v1:DestinationRule", "epp-dr", {
    metadata: { name: "llama-v1-epp", namespace: "inference" },
    spec: { host: "llama-v1-epp.inference.svc.cluster.local", workloadSelector: { matchLabels: { app: "nothing" } }, trafficPolicy: { tls: { mode: "SIMPLE" } } },
  });
  assert.equal((await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), eppService(), eppPods(), ...eppRbac(), elsewhereDr])).violations.length, 1);
  const overridden = await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), eppService(), eppPods(), ...eppRbac(), portLevel]);
  assert.match(overridden.violations[0].message, /picker llama-v1-epp\.inference\.svc\.cluster\.local port 9002, .* gives it tls\.mode DISABLE/);
});

test("inference-pool-epp: the pool selects model-server pods that listen on its target port", async () => {
  const wired = [eppService(), eppPods(), ...eppRbac(), eppRule("SIMPLE")];
  const noServers = await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer("other"), ...wired]);
  assert.match(noServers.violations[0].message, /selector .* matches no workload's pods in inference, so the pool has no endpoints/);
  const helmServers = on("kubernetes:helm.sh/v3:Release", "vllm-chart", { chart: "vllm", version: "1.0.0", namespace: "inference", values: {} });
  assert.deepEqual((await runStack(inferencePoolEpp, [pool("FailOpen"), helmServers, ...wired])).violations, [], "servers a chart installs are not visible: no verdict");
  const noSelector = await runStack(inferencePoolEpp, [pool("FailOpen", 9002, {}), modelServer(), ...wired]);
  assert.match(noSelector.violations[0].message, /has no spec.selector.matchLabels/);
  const wrongTarget = await runStack(inferencePoolEpp, [pool("FailOpen", 9002, servers, 8080), modelServer(), ...wired]);
  assert.match(wrongTarget.violations[0].message, /target port 8080 is not a containerPort of the selected pods \(8000\)/);
});

test("inference-pool-epp: v1alpha2 pools (extensionRef, selector map, targetPortNumber) are checked with their own fields", async () => {
  const alpha = (extensionRef: Record<string, unknown>, selector: Record<string, string> = servers.matchLabels) =>
    on("kubernetes:inference.networking.x-k8s.io/v1alpha2:InferencePool", "pool-alpha", { metadata: { name: "llama-v1", namespace: "inference" }, spec: { selector, targetPortNumber: 8000, extensionRef } });
  const wired = [modelServer(), eppService(), eppPods(), ...eppRbac(), eppRule("SIMPLE")];
  assert.deepEqual((await runStack(inferencePoolEpp, [alpha({ name: "llama-v1-epp", portNumber: 9002, failureMode: "FailClose" }), ...wired])).violations, []);
  const bad = await runStack(inferencePoolEpp, [alpha({ name: "llama-v1-epp", portNumber: 9009 }, { app: "nothing" }), ...wired]);
  const messages = bad.violations.map((v) => v.message).join("\n");
  assert.match(messages, /selector \{"app":"nothing"\} matches no workload's pods/);
  assert.match(messages, /does not expose port 9009/);
});

test("inference-pool-epp: the picker Service selects the picker's pods and targets one of their container ports", async () => {
  const rule = eppRule("SIMPLE");
  const base = [pool("FailOpen"), modelServer(), eppPods(), ...eppRbac(), rule];
  for (const port of [{ targetPort: 9002 }, { targetPort: "grpc" }, {}]) {
    assert.deepEqual((await runStack(inferencePoolEpp, [...base, eppService("a", port)])).violations, [], JSON.stringify(port));
  }
  const wrongTarget = await runStack(inferencePoolEpp, [...base, eppService("a", { targetPort: 9999 })]);
  assert.equal(wrongTarget.violations.length, 1);
  assert.match(wrongTarget.violations[0].message, /Service inference\/llama-v1-epp port 9002 targets port 9999, which is not a containerPort of the endpoint picker's pods \(9002 \(grpc\), 9003 \(grpc-health\)\)/);
  const wrongName = await runStack(inferencePoolEpp, [...base, eppService("a", { targetPort: "ext-proc" })]);
  assert.match(wrongName.violations[0].message, /targets the port named ext-proc, which no selected pod declares/);
  const noPods = await runStack(inferencePoolEpp, [...base, eppService("a", { targetPort: 9002 }, { "app.kubernetes.io/instance": "other-epp" })]);
  assert.equal(noPods.violations.length, 1);
  assert.match(noPods.violations[0].message, /Service inference\/llama-v1-epp selector \{"app.kubernetes.io\/instance":"other-epp"\} matches no workload's pods in inference, so the endpoint picker has no endpoints/);
  const noSelector = await runStack(inferencePoolEpp, [...base, eppService("a", { targetPort: 9002 }, null)]);
  assert.match(noSelector.violations[0].message, /has no spec\.selector \(and no EndpointSlice names it\)/);
  const slice = on("kubernetes:discovery.k8s.io/v1:EndpointSlice", "slice", { metadata: { name: "llama-v1-epp-x", namespace: "inference", labels: { "kubernetes.io/service-name": "llama-v1-epp" } }, addressType: "IPv4", endpoints: [] });
  assert.deepEqual((await runStack(inferencePoolEpp, [...base, eppService("a", { targetPort: 9002 }, null), slice])).violations, []);
  // Picker pods a chart installs are not visible: no verdict on the selector.
  const chart = on("kubernetes:helm.sh/v3:Release", "epp-chart", { chart: "llm-d-router-gateway", version: "0.10.0", namespace: "inference", values: {} });
  assert.deepEqual((await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), rule, chart, eppService("a", { targetPort: 9002 }, { app: "chart-epp" })])).violations, []);
});

test("inference-pool-failure-mode: judged on the inputs, where a missing failureMode is not yet defaulted to FailClose", async () => {
  const POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool";
  const input = (ref: Record<string, unknown> | undefined, type = POOL) => ({
    type,
    props: { metadata: { name: "llama-v1", namespace: "inference" }, spec: { selector: servers, targetPorts: [{ number: 8000 }], ...(ref ? { endpointPickerRef: ref, extensionRef: ref } : {}) } },
  });
  const ref = { kind: "Service", name: "llama-v1-epp", port: { number: 9002 } };
  assert.deepEqual((await runResource(inferencePoolFailureMode, [input({ ...ref, failureMode: "FailOpen" }), input({ ...ref, failureMode: "FailClose" }), input(undefined)])).violations, []);
  const unset = await runResource(inferencePoolFailureMode, input(ref));
  assert.equal(unset.violations.length, 1);
  assert.match(unset.violations[0].message, /InferencePool inference\/llama-v1: endpointPickerRef\.failureMode is unset; choose FailOpen or FailClose explicitly/);
  assert.match((await runResource(inferencePoolFailureMode, input({ ...ref, failureMode: "FailSometimes" }))).violations[0].message, /failureMode is "FailSometimes"; choose FailOpen or FailClose explicitly \(the API server refuses any other value, so the pool would not be created\)/);
  const alpha = await runResource(inferencePoolFailureMode, input({ name: "llama-v1-epp", portNumber: 9002 }, "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferencePool"));
  assert.match(alpha.violations[0].message, /extensionRef\.failureMode is unset/);
  // Unknown in a preview: can't judge (the next run decides), neither a pass nor a violation.
  const unknown = await runResource(inferencePoolFailureMode, input({ ...ref, failureMode: UNKNOWN }));
  assert.deepEqual(unknown.violations, []);
  assert.equal(unknown.unknown.length, 1);
  // The stack policy reads outputs, where the API server has filled in FailClose: not its business.
  assert.deepEqual((await runStack(inferencePoolEpp, eppStack(eppRule("SIMPLE")).map((r, i) => (i === 0 ? pool(undefined) : r)))).violations, []);
});

test("inference-pool-failure-mode: a picker reference or failure mode unknown in a preview is can't judge, not a pass", async () => {
  const POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool";
  const input = (ref: unknown, name = "llama-v1") => ({ type: POOL, name, props: { metadata: { name, namespace: "inference" }, spec: { selector: servers, targetPorts: [{ number: 8000 }], endpointPickerRef: ref } } });
  const ref = { kind: "Service", name: "llama-v1-epp", port: { number: 9002 } };
  // Before: both passed silently ("decided on the next run").
  const preview = await runResource(inferencePoolFailureMode, [input(UNKNOWN), input({ ...ref, failureMode: UNKNOWN }, "llama-v2"), input(ref, "llama-v3")]);
  assert.deepEqual(preview.unknown.map((u) => u.replace(/^.*<|>.*$/g, "")), ["endpointPickerRef of InferencePool inference/llama-v1", "endpointPickerRef.failureMode of InferencePool inference/llama-v2"]);
  // Known: the pool that left it unset is still reported beside them.
  assert.deepEqual(preview.violations.map((v) => v.message), ["InferencePool inference/llama-v3: endpointPickerRef.failureMode is unset; choose FailOpen or FailClose explicitly (the API server would default it to FailClose)"]);
  // Unknowns elsewhere in the reference do not block a known choice.
  assert.deepEqual(await runResource(inferencePoolFailureMode, input({ ...ref, name: UNKNOWN, failureMode: "FailClose" })), { violations: [], unknown: [], notApplicable: [] });
});

test("inference-pool-epp: a value unknown in a preview makes only the check that reads it can't judge; the pool's other checks still report", async () => {
  const wired = [modelServer(), eppService(), eppPods(), ...eppRbac()];
  const tlsDisabled = /DestinationRule inference\/llama-v1-epp applies and gives it tls\.mode DISABLE/;
  // A selector not known yet (before: the whole pool was skipped, its TLS violation with it).
  const selector = await runStack(inferencePoolEpp, [pool("FailOpen", 9002, UNKNOWN), ...wired, eppRule("DISABLE")]);
  assert.equal(selector.violations.length, 1);
  assert.match(selector.violations[0].message, tlsDisabled);
  assert.match(selector.unknown[0], /the model servers it selects of InferencePool inference\/llama-v1 on a/);
  // A DestinationRule not known yet may or may not give the port TLS (before: a silent pass).
  const unreadRule = on("kubernetes:networking.istio.io/v1:DestinationRule", "epp-dr", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: UNKNOWN });
  const rule = await runStack(inferencePoolEpp, [pool("FailOpen", 9002, servers, 8001), ...wired, unreadRule]);
  assert.match(rule.violations[0].message, /target port 8001 is not a containerPort of the selected pods/);
  assert.match(rule.unknown[0], /the TLS its gateways speak to the endpoint picker llama-v1-epp of InferencePool inference\/llama-v1 on a/);
  // The picker Service's spec not known yet.
  const svc = on("kubernetes:core/v1:Service", "epp-svc", { metadata: { name: "llama-v1-epp", namespace: "inference" }, spec: UNKNOWN });
  const service = await runStack(inferencePoolEpp, [pool("FailOpen"), modelServer(), svc, eppPods(), ...eppRbac(), eppRule("SIMPLE")]);
  assert.deepEqual(service.violations, []);
  assert.match(service.unknown[0], /the endpoint picker Service inference\/llama-v1-epp of InferencePool/);
  // Known: everything wired, nothing pending.
  assert.deepEqual(await runStack(inferencePoolEpp, [pool("FailOpen"), ...wired, eppRule("SIMPLE")]), { violations: [], unknown: [], notApplicable: [] });
});

test("inference-pool-epp: the picker is a Service, and the pods it reaches were started for this pool (--pool-name, --pool-namespace)", async () => {
  // NAMESPACE from the pod's namespace, as the chart sets it: a picker without --pool-namespace reads its pool there.
  const pickerFor = (args: string[], env: unknown[] = [{ name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }]) =>
    on("kubernetes:apps/v1:Deployment", "epp", {
      metadata: { name: "llama-v1-epp", namespace: "inference" },
      spec: { template: { metadata: { labels: eppLabels }, spec: { containers: [{ name: "epp", image: "e:1", args, env, ports: [{ name: "grpc", containerPort: 9002 }] }] } } },
    });
  for (const args of [["--pool-name", "llama-v1", "--pool-namespace", "inference"], ["--pool-name=llama-v1"], ["--grpc-port", "9002"]]) {
    assert.deepEqual((await runStack(inferencePoolEpp, [pool("FailClose"), modelServer(), eppService(), pickerFor(args), ...eppRbac(), eppRule("SIMPLE")])).violations, [], args.join(" "));
  }
  // The canary's picker behind the stable pool's Service: the stable's requests go to the canary's servers.
  for (const args of [["--pool-name", "llama-v2"], ["--pool-name=llama-v1", "--pool-namespace", "agents"]]) {
    const r = await runStack(inferencePoolEpp, [pool("FailClose"), modelServer(), eppService(), pickerFor(args), ...eppRbac(), eppRule("SIMPLE")]);
    assert.equal(r.violations.length, 1, args.join(" "));
    assert.match(r.violations[0].message, /Service inference\/llama-v1-epp reaches the endpoint picker of inference\/llama-v1-epp, started for InferencePool (inference\/llama-v2|agents\/llama-v1) \(--pool-name\), so it picks that pool's model servers/);
  }
  const kind = on("kubernetes:inference.networking.k8s.io/v1:InferencePool", "pool", {
    metadata: { name: "llama-v1", namespace: "inference" },
    spec: { selector: servers, targetPorts: [{ number: 8000 }], endpointPickerRef: { kind: "Deployment", name: "llama-v1-epp", port: { number: 9002 }, failureMode: "FailClose" } },
  });
  const wrongKind = await runStack(inferencePoolEpp, [kind, modelServer(), eppService(), eppPods(), ...eppRbac(), eppRule("SIMPLE")]);
  assert.match(wrongKind.violations[0]?.message ?? "", /endpointPickerRef\.kind is "Deployment"; the endpoint picker must be a Service/);
});
