/**
 * The pack reads a Helm release's values as its chart does, its valueYamlFiles merged under them
 * (policy/lib/helm-values.ts), for every rule: through `policies`, as the pack serves them, with
 * the assets deserialized and proxied as the pack server hands them over.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import { effectiveHelmProps } from "../../policy/lib/helm-values";
import { SIG_KEY, ASSET_SIG } from "../../scripts/lib/state-signatures";
import { k8sProvider, runStack, stackResource } from "../support/policy";
import { REL, provider, messages } from "./mesh-support";
import { gpuToleration } from "./workloads-support";

const { deserializeProperties } = require("@pulumi/policy/deserialize") as { deserializeProperties: (s: { toJavaScript(): unknown }) => any };
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy: <T>(o: T) => T };

const pack = (name: string) => policies.find((p) => p.name === name)!;
const ASSET = { [SIG_KEY]: ASSET_SIG };
const text = (yaml: string) => ({ text: yaml });
const file = (path: string) => ({ path });
/** Props as the server hands them: assets deserialized, the whole behind the unknown-checking proxy. */
const served = (props: Record<string, unknown>, files: Record<string, string>[]) =>
  unknownCheckingProxy(deserializeProperties({ toJavaScript: () => ({ ...props, valueYamlFiles: files.map((f) => ({ ...ASSET, ...f })) }) }));
const withFiles = (r: PolicyResource, ...files: Record<string, string>[]): PolicyResource => ({ ...r, props: served((r.props as any).__getSpecialProxyTarget, files) });

const istiod = (cluster: string, values: Record<string, unknown>) =>
  stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "mesh", network: `net-${cluster}`, multiCluster: { clusterName: cluster } }, ...values } }, provider: k8sProvider(cluster) });

test("mesh-identity-consistent: a trust domain set only in istiod's valueYamlFiles is the one istiod runs with", async () => {
  const rule = pack("mesh-identity-consistent") as StackValidationPolicy;
  const a = istiod("a", { meshConfig: { trustDomain: "cluster.local" } });
  const b = istiod("b", {});
  assert.deepEqual(messages(await runStack(rule, [a, b])), []);
  const renamed = await runStack(rule, [a, withFiles(b, text("meshConfig:\n  trustDomain: corp.example\n"))]);
  assert.match(messages(renamed).join("\n"), /trust domain differs across clusters/);
  // values win over the file, as helm merges them.
  const overridden = await runStack(rule, [a, withFiles(istiod("b", { meshConfig: { trustDomain: "cluster.local" } }), text("meshConfig:\n  trustDomain: corp.example\n"))]);
  assert.deepEqual(messages(overridden), []);
  // A file the state holds by path may set it: can't judge, naming the file, not a pass or a violation.
  const unread = await runStack(rule, [a, withFiles(b, file("values/istiod.yaml"))]);
  assert.deepEqual(messages(unread), []);
  assert.match(unread.unknown.join("\n"), /the trust domain \(meshConfig\.trustDomain\) of istiod release b-istiod on cluster b/);
});

const gpuGroup = stackResource({ type: "aws:eks/nodeGroup:NodeGroup", name: "a-gpu", props: { labels: { "inference-mesh.io/node-group": "gpu-a10g", "nvidia.com/gpu.present": "true" }, instanceTypes: ["g5.12xlarge"], taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }] }, provider: null });
const on = (type: string, name: string, props: Record<string, unknown>) => stackResource({ type, name, props, provider: k8sProvider("a") });
const vllm = on("kubernetes:apps/v1:Deployment", "a-vllm", {
  metadata: { name: "vllm", namespace: "inference" },
  spec: { template: { spec: { tolerations: [gpuToleration], containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", resources: { limits: { "nvidia.com/gpu": "1" } } }] } } },
});
const operator = on(REL, "a-gpu-operator", { name: "gpu-operator", chart: "gpu-operator", namespace: "gpu-operator", values: {} });

test("gpu-device-plugin: a GPU Operator whose valueYamlFiles turn its device plugin off leaves the GPUs unadvertised", async () => {
  const rule = pack("gpu-device-plugin") as StackValidationPolicy;
  const cluster = (op: PolicyResource) => [provider("a"), gpuGroup, vllm, op];
  assert.deepEqual(messages(await runStack(rule, cluster(operator))), []);
  const off = await runStack(rule, cluster(withFiles(operator, text("devicePlugin:\n  enabled: false\n"))));
  assert.match(messages(off)[0] ?? "", /its device plugin never runs on the GPU nodes \(Helm release gpu-operator\/gpu-operator \(chart gpu-operator\): devicePlugin\.enabled is off/);
  // A later file turns it back on; a file read by path only may turn it off: can't judge.
  assert.deepEqual(messages(await runStack(rule, cluster(withFiles(operator, text("devicePlugin:\n  enabled: false\n"), text("devicePlugin:\n  enabled: true\n"))))), []);
  const unread = await runStack(rule, cluster(withFiles(operator, file("gpu-operator.yaml"))));
  assert.deepEqual(messages(unread), []);
  assert.equal(unread.unknown.length, 1);
  assert.match(unread.unknown[0], /the values or pod spec of Helm release gpu-operator\/gpu-operator/);
  // The rule's own message names what it read; the file that may set it is named after it.
  assert.match(unread.unknown[0], /which may be set by valueYamlFiles\[0\] \(file gpu-operator\.yaml: the state records its path, not its content\) of Helm release gpu-operator/);
});

/** A resource policy of the pack on one release, as the server calls it. */
async function judge(name: string, props: Record<string, unknown>, files: Record<string, string>[], additionalSecretOutputs: string[] = []) {
  const violations: string[] = [];
  let unknown = "";
  try {
    await ((pack(name) as ResourceValidationPolicy).validateResource as any)({ type: REL, props: served(props, files), urn: "urn", name: "app", opts: { additionalSecretOutputs } }, (m: string) => violations.push(m));
  } catch (err) {
    unknown = String((err as { message?: string }).message ?? err);
  }
  return { violations, unknown };
}

test("sensitive-values-secret: a credential in a StringAsset values file sits in state in plaintext", async () => {
  const release = { name: "grafana", chart: "grafana", namespace: "monitoring", version: "1.0.0", values: {} };
  const bad = await judge("sensitive-values-secret", release, [text("adminPassword: hunter2-Plain\n")]);
  assert.equal(bad.violations.length, 1);
  assert.match(bad.violations[0], /^Helm release monitoring\/grafana \(app\): valueYamlFiles\[0\]\.adminPassword holds .* in plaintext .*valueYamlFiles is not declared secret/);
  // Declared secret, or only a path in state: nothing in clear.
  assert.deepEqual((await judge("sensitive-values-secret", release, [text("adminPassword: hunter2-Plain\n")], ["valueYamlFiles"])).violations, []);
  assert.deepEqual(await judge("sensitive-values-secret", release, [file("grafana.yaml")]), { violations: [], unknown: "" });
  // A credential in values is still named where it sits, not where the merge puts it.
  const inValues = await judge("sensitive-values-secret", { ...release, values: { adminPassword: "hunter2-Plain" } }, [text("persistence:\n  enabled: true\n")]);
  assert.match(inValues.violations.join("\n"), /: values\.adminPassword holds/);
});

test("images-pinned through the pack: the release's own values and its files are judged once, files read by path named", async () => {
  const release = { name: "app", chart: "app", version: "1.0.0", values: {} };
  assert.deepEqual((await judge("images-pinned", release, [text("image:\n  tag: latest\n")])).violations, ["Helm release app (app): values.image.tag is 'latest' (the newest image, not a reviewed one); pin a version tag or digest"]);
  const unread = await judge("images-pinned", { ...release, values: { image: { tag: "latest" } } }, [file("values/prod.yaml")]);
  assert.equal(unread.violations.length, 1);
  assert.match(unread.unknown, /valueYamlFiles\[0\] \(file values\/prod\.yaml: the state records its path, not its content\)/);
});

test("effective values: no valueYamlFiles hands the props over as they were; an unread file leaves only what values set readable", async () => {
  const plain = unknownCheckingProxy({ chart: "istiod", values: { a: 1 } });
  assert.equal(await effectiveHelmProps(plain), plain);
  const empty = served({ chart: "istiod", values: { a: 1 } }, []);
  assert.equal(await effectiveHelmProps(empty), empty);
  const merged = await effectiveHelmProps(served({ values: { meshConfig: { trustDomain: "x" } } }, [text("meshConfig:\n  trustDomain: y\n  accessLogFile: /dev/stdout\nglobal:\n  meshID: m\n")]));
  assert.deepEqual(JSON.parse(JSON.stringify(merged.values)), { meshConfig: { trustDomain: "x", accessLogFile: "/dev/stdout" }, global: { meshID: "m" } });
  const open = await effectiveHelmProps(served({ values: { meshConfig: { trustDomain: "x" }, list: [1] } }, [text("global:\n  meshID: m\n"), file("x.yaml")]));
  assert.equal(open.values.meshConfig.trustDomain, "x");
  assert.deepEqual([...open.values.list], [1]);
  // The earlier file may be overridden by the unread one: not known.
  for (const read of [() => open.values.global, () => open.values.meshConfig.accessLogFile, () => Object.keys(open.values.meshConfig), () => JSON.stringify(open.values)]) {
    assert.throws(read, (err: Error) => err.constructor.name === "UnknownValueError" && /x\.yaml/.test(err.message));
  }
});

// Before, a release naming no namespace was named `default/<name>` in messages, though
// pulumi-kubernetes installs it into its provider's default namespace.
test("sensitive-values-secret names a release without a namespace in its provider's namespace, or ? where it cannot be known", async () => {
  const release = { name: "grafana", chart: "grafana", version: "1.0.0", values: { adminPassword: "hunter2-Plain" } };
  const judgeOn = async (providerProps: Record<string, unknown>) => {
    const violations: string[] = [];
    const provider = { type: "pulumi:providers:kubernetes", props: providerProps, urn: "urn:p", name: "p" };
    await ((pack("sensitive-values-secret") as ResourceValidationPolicy).validateResource as any)({ type: REL, props: served(release, []), urn: "urn", name: "app", provider, opts: {} }, (m: string) => violations.push(m));
    return violations;
  };
  assert.match((await judgeOn({ namespace: "monitoring" }))[0] ?? "", /^Helm release monitoring\/grafana \(app\): values\.adminPassword holds/);
  assert.match((await judgeOn({ kubeconfig: "/home/me/.kube/config" }))[0] ?? "", /^Helm release \?\/grafana \(app\): values\.adminPassword holds/);
});

test("inference-pool-epp: a chart picker's flags set only in a release's valueYamlFiles are the ones it runs with", async () => {
  const rule = pack("inference-pool-epp") as StackValidationPolicy;
  const router = on(REL, "a-router", { name: "llama", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-standalone", version: "v0.10.0", namespace: "inference", values: { router: { modelServers: { matchLabels: { app: "llama" } }, inferencePool: { create: false } } } });
  assert.deepEqual(messages(await runStack(rule, [router])), []);
  // routerlib renders router.epp.flags after the chart's own args; a file's flags are as good as the values'.
  const listed = await runStack(rule, [withFiles(router, text("router:\n  epp:\n    flags:\n      secure-serving: \"False\"\n"))]);
  assert.match(messages(listed).join("\n"), /router.epp.flags.secure-serving "False" makes the picker serve ext-proc in plaintext/);
  const both = await runStack(rule, [withFiles(router, text("router:\n  epp:\n    flags:\n      config-text: \"apiVersion: llm-d.ai/v1alpha1\\nkind: EndpointPickerConfig\\n\"\n"))]);
  assert.match(messages(both).join("\n"), /router.epp.flags.config-text gives the picker --config-text beside the --config-file \/config\/default-plugins.yaml/);
  // A file held by path may set them: can't judge, not a pass.
  const unread = await runStack(rule, [withFiles(router, file("values/router.yaml"))]);
  assert.deepEqual(messages(unread), []);
  assert.ok(unread.unknown.length > 0, "a values file the state holds by path leaves the picker's flags unknown");
});
