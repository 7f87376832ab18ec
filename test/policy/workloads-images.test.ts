/**
 * Policy tests for images-pinned: images, Helm charts and their image values,
 * AgentgatewayParameters and Istio gateway overlays are pinned (never latest);
 * ReplicationController as a workload kind of every workload check.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gpuScheduling } from "../../policy/rules/gpu-scheduling";
import { imagesPinned, unpinned, unpinnedHelmValues } from "../../policy/rules/images-pinned";
import { workloadNamespacesAuthorized } from "../../policy/rules/workload-namespaces-authorized";
import { ambientNoSidecarInjection } from "../../policy/rules/ambient-no-sidecar-injection";
import { SIG_KEY, ASSET_SIG } from "../../scripts/lib/state-signatures";
// Untyped modules of @pulumi/policy 1.21 (their .d.ts export nothing): how its server reads a request's properties.
const { deserializeProperties } = require("@pulumi/policy/deserialize") as { deserializeProperties: (s: { toJavaScript(): unknown }) => any };
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy: <T>(o: T) => T };
import { k8sProvider, runResource, runStack, stackResource, UNKNOWN } from "../support/policy";
import { deployment, gpuToleration, agwParams, helmRelease, configMap, deploymentPatch } from "./workloads-support";

test("images-pinned: a tag other than latest, or a digest", async () => {
  assert.equal(unpinned("ghcr.io/llm-d/llm-d-inference-sim:v0.10.2"), undefined);
  assert.equal(unpinned("localhost:5000/vllm@sha256:" + "a".repeat(64)), undefined);
  assert.match(unpinned("localhost:5000/vllm")!, /no tag or digest/);
  assert.match(unpinned("vllm/vllm-openai:latest")!, /latest/);
  // A digest pins only when whole; a short one is not a digest at all.
  assert.equal(unpinned("vllm/vllm-openai:v0.21.0@sha256:" + "b".repeat(64)), undefined);
  assert.match(unpinned("repo@sha256:abc123")!, /malformed digest 'sha256:abc123'/);
  assert.match(unpinned("repo:0.1.0@sha256:abc")!, /malformed digest/);
  const ok = await runResource(imagesPinned, deployment("vllm", { initContainers: [{ name: "init", image: "busybox:1.37" }], containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0" }] }));
  assert.deepEqual(ok.violations, []);
  const job = { type: "kubernetes:batch/v1:CronJob", props: { metadata: { name: "warm", namespace: "inference" }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "w", image: "curl" }] } } } } } } };
  const bad = await runResource(imagesPinned, [deployment("vllm", { containers: [{ name: "vllm", image: "vllm/vllm-openai:latest" }] }), job]);
  assert.equal(bad.violations.length, 2);
});

test("images-pinned: Helm releases pin their chart version and set no image tag to latest", async () => {
  const release = (props: Record<string, unknown>) => ({ type: "kubernetes:helm.sh/v3:Release", props: { name: "istiod", chart: "istiod", ...props } });
  const ok = await runResource(imagesPinned, [
    release({ version: "1.30.3", values: { global: { hub: "docker.io/istio" }, pilot: { replicaCount: 2 } } }),
    release({ name: "agentgateway", version: "v1.4.1", values: { controller: { image: { repository: "controller", tag: "v1.4.1" } } } }),
    // An empty tag is the charts' "use appVersion": pinned by the chart version.
    release({ name: "device-plugin", version: "0.20.0", values: { image: { tag: "" } } }),
    // A chart from the repository's own files has no registry version to pin.
    release({ name: "local", chart: "./charts/model-server", values: {} }),
  ]);
  assert.deepEqual(ok.violations, []);
  // A bare name (Istio's `pilot.image: pilot`) takes its tag from elsewhere (`global.tag`).
  assert.deepEqual(unpinnedHelmValues({ a: [{ image: "docker.io/library/busybox" }], pilot: { image: "pilot" }, global: { tag: "latest" } }), [
    "values.a[0].image: docker.io/library/busybox has no tag or digest (resolves to latest)",
    "values.global.tag is 'latest' (the newest image, not a reviewed one)",
  ]);
  const bad = await runResource(imagesPinned, [
    release({ values: {} }),
    release({ version: "1.30.3", values: { global: { tag: "latest" } } }),
    { type: "kubernetes:helm.sh/v4:Chart", props: { chart: "oci://cr.agentgateway.dev/charts/agentgateway", version: "v1.4.1", values: { proxy: { image: { tag: "LATEST" } } } } },
  ]);
  assert.equal(bad.violations.length, 3);
  assert.match(bad.violations[0].message, /no chart version/);
  // Helm reads the version as a constraint: a range installs whatever is newest.
  const ranges = await runResource(imagesPinned, ["*", ">=0.17.0", "^1.4", "~1.4.0", "1.4", "1.x", "=1.4"].map((version) => release({ version, values: {} })));
  assert.equal(ranges.violations.length, 7);
  assert.match(ranges.violations[1].message, /chart version '>=0\.17\.0' is a range/);
  assert.deepEqual((await runResource(imagesPinned, ["1.30.3", "v1.4.1", "2.0.0-rc.1", "1.0.0+build.5", "=1.30.3", "= v1.4.1"].map((version) => release({ version, values: {} })))).violations, []);
});

test("images-pinned: AgentgatewayParameters pin the proxy image and their overlays' containers", async () => {
  const digest = "sha256:" + "c".repeat(64);
  const ok = await runResource(imagesPinned, [
    // The shipped parameters set no image: the controller's own release is the tag.
    agwParams({ deployment: { spec: { replicas: 2 } }, istio: { enabled: true } }),
    agwParams({ image: { registry: "cr.agentgateway.dev", repository: "agentgateway", tag: "v1.4.1" } }),
    agwParams({ image: { repository: "agentgateway" } }),
    agwParams({ image: { tag: "latest", digest } }),
    agwParams({ image: { tag: UNKNOWN } }),
    // Overlay containers without an image only patch the generated container.
    agwParams({ deployment: { spec: { template: { spec: { containers: [{ name: "agentgateway", resources: { limits: { memory: "1Gi" } } }], initContainers: [{ name: "init", image: "busybox:1.37" }] } } } } }),
  ]);
  assert.deepEqual(ok.violations, []);
  const bad = await runResource(imagesPinned, [
    agwParams({ image: { tag: "latest" } }, "latest"),
    agwParams({ image: { repository: "agentgateway", tag: "" } }, "untagged"),
    agwParams({ image: { digest: "sha256:abc" } }, "short-digest"),
    agwParams({ deployment: { spec: { template: { spec: { containers: [{ name: "sidecar", image: "ghcr.io/x/log-shipper" }] } } } } }, "overlay"),
    agwParams({ daemonSet: { spec: { template: { spec: { containers: [{ name: "agentgateway", image: "cr.agentgateway.dev/agentgateway:latest" }] } } } } }, "ds-overlay"),
  ]);
  assert.equal(bad.violations.length, 5, JSON.stringify(bad.violations, null, 1));
  assert.match(bad.violations[0].message, /^AgentgatewayParameters agents\/latest: spec\.image\.tag is 'latest'/);
  assert.match(bad.violations[1].message, /agents\/untagged: spec\.image\.tag is empty: the proxy image is pulled without a tag/);
  assert.match(bad.violations[2].message, /spec\.image\.digest 'sha256:abc' is malformed/);
  assert.match(bad.violations[3].message, /agents\/overlay deployment overlay container sidecar: ghcr\.io\/x\/log-shipper has no tag or digest/);
  assert.match(bad.violations[4].message, /agents\/ds-overlay daemonSet overlay container agentgateway: .* uses the latest tag/);
});

test("images-pinned: a Helm image string is pinned by a sibling tag, version or digest (never latest)", async () => {
  assert.deepEqual(unpinnedHelmValues({ image: "ghcr.io/x/app", tag: "1.2.3" }), []);
  assert.deepEqual(unpinnedHelmValues({ sim: { image: "ghcr.io/x/app", version: 1.2 } }), []);
  assert.deepEqual(unpinnedHelmValues({ image: "ghcr.io/x/app", digest: "sha256:" + "d".repeat(64) }), []);
  assert.deepEqual(unpinnedHelmValues({ image: "ghcr.io/x/app", tag: "latest" }), ["values.tag is 'latest' (the newest image, not a reviewed one)"]);
  assert.deepEqual(unpinnedHelmValues({ image: "ghcr.io/x/app", version: "Latest" }), ["values.version is 'Latest' (the newest image, not a reviewed one)"]);
  assert.deepEqual(unpinnedHelmValues({ image: "ghcr.io/x/app", digest: "sha256:abc" }), ["values.image: ghcr.io/x/app: the digest 'sha256:abc' beside it is malformed (sha256: and 64 hex digits)"]);
  // An empty sibling sets nothing: the bare image string stands alone.
  assert.deepEqual(unpinnedHelmValues({ image: "ghcr.io/x/app", tag: "" }), ["values.image: ghcr.io/x/app has no tag or digest (resolves to latest)"]);
  // A `version` key away from an image string is not an image version.
  assert.deepEqual(unpinnedHelmValues({ schema: { version: "latest" } }), []);
  const release = (values: Record<string, unknown>) => ({ type: "kubernetes:helm.sh/v3:Release", props: { name: "app", chart: "app", version: "1.0.0", values } });
  assert.deepEqual((await runResource(imagesPinned, release({ image: "ghcr.io/x/app", tag: "1.2.3" }))).violations, []);
  assert.equal((await runResource(imagesPinned, release({ image: "ghcr.io/x/app" }))).violations.length, 1);
});

test("images-pinned: an image, chart version or Helm value unknown in a preview is can't judge, and hides no known finding", async () => {
  const release = (props: Record<string, unknown>) => ({ type: "kubernetes:helm.sh/v3:Release", props: { name: "istiod", chart: "istiod", version: "1.30.3", ...props } });
  // AgentgatewayParameters: the image or an overlay container's image not known yet (before: silent passes).
  const agw = await runResource(imagesPinned, [
    agwParams({ image: { tag: UNKNOWN } }, "tag"),
    agwParams({ deployment: { spec: { template: { spec: { containers: [{ name: "sidecar", image: UNKNOWN }] } } } } }, "overlay"),
    agwParams({ daemonSet: UNKNOWN }, "ds"),
    agwParams({ image: { tag: UNKNOWN, digest: "sha256:" + "c".repeat(64) } }, "digest"),
  ]);
  assert.deepEqual(agw.violations, []);
  assert.deepEqual(agw.unknown.map((u) => u.replace(/^.*<|>.*$/g, "")), [
    "spec.image of AgentgatewayParameters agents/tag",
    "the image of AgentgatewayParameters agents/overlay deployment overlay container sidecar",
    "its daemonSet overlay of AgentgatewayParameters agents/ds",
  ]);
  // Helm values: a known latest tag is reported beside a value not known yet (before: the unknown value hid it).
  const values = await runResource(imagesPinned, release({ values: { global: { tag: "latest", remotePilotAddress: UNKNOWN } } }));
  assert.deepEqual(values.violations.map((v) => v.message), ["Helm release istiod (istiod): values.global.tag is 'latest' (the newest image, not a reviewed one); pin a version tag or digest"]);
  assert.match(values.unknown[0], /values\.global\.remotePilotAddress of Helm release istiod/);
  // An image whose sibling tag is not known yet may be pinned by it.
  const sibling = await runResource(imagesPinned, release({ values: { sim: { image: "ghcr.io/x/app", tag: UNKNOWN } } }));
  assert.deepEqual(sibling.violations, []);
  assert.match(sibling.unknown[0], /values\.sim\.tag/);
  // A chart version, or the chart deciding whether a range matters, not known yet.
  const version = await runResource(imagesPinned, [release({ version: UNKNOWN, values: {} }), release({ chart: UNKNOWN, version: "^1.4", values: {} })]);
  assert.deepEqual(version.violations, []);
  assert.equal(version.unknown.length, 2);
  assert.match(version.unknown[1], /the chart of Helm release istiod \(chart not known yet\) \(a local chart carries its own version\), which decides: .* is a range/);
  // Workloads: one container's image not known yet hides no other's (before: judged up to the unknown one).
  const workload = await runResource(imagesPinned, deployment("vllm", { initContainers: [{ name: "init", image: UNKNOWN }], containers: [{ name: "vllm", image: "vllm/vllm-openai:latest" }] }));
  assert.deepEqual(workload.violations.map((v) => v.message), ["Deployment inference/vllm container vllm: vllm/vllm-openai:latest uses the latest tag; pin a version tag or digest"]);
  assert.match(workload.unknown[0], /the image of Deployment inference\/vllm container init/);
});

test("images-pinned: containers of Istio gateway deployment overlays (ConfigMaps, istiod gatewayClasses) are pinned", async () => {
  const containers = (image: string) => `spec:\n  template:\n    spec:\n      containers:\n      - name: istio-proxy\n        image: ${image}\n      - name: istio-proxy-resources\n`;
  const ok = await runResource(imagesPinned, [
    configMap("inference-gateway-options", { service: "spec:\n  externalTrafficPolicy: Local\n" }),
    configMap("gw-options", { deployment: containers("docker.io/istio/proxyv2:1.30.3") }),
    helmRelease("istiod", { gatewayClasses: { istio: { deployment: { spec: { template: { spec: { containers: [{ name: "istio-proxy", resources: { limits: { cpu: "2" } } }] } } } } } } }),
  ]);
  assert.deepEqual(ok.violations, []);
  // Before: neither overlay was judged (a bare `image: busybox` in gatewayClasses was read as a chart repository name).
  const bad = await runResource(imagesPinned, [
    configMap("gw-options", { deployment: containers("docker.io/istio/proxyv2:latest") }),
    helmRelease("istiod", {
      gatewayClasses: { istio: { deployment: { spec: { template: { spec: { initContainers: [{ name: "init", image: "busybox" }], containers: [{ name: "istio-proxy", image: "docker.io/istio/proxyv2:latest" }] } } } } } },
    }),
  ]);
  // Each image once: the overlay is judged as containers, not also as chart image values.
  assert.deepEqual(bad.violations.map((v) => v.message), [
    "ConfigMap inference/gw-options (Istio gateway overlay) data.deployment container istio-proxy: docker.io/istio/proxyv2:latest uses the latest tag; pin a version tag or digest",
    "Helm release istiod (istiod) gateway deployment overlay (values.gatewayClasses.istio.deployment) container init: busybox has no tag or digest (resolves to latest); pin a version tag or digest",
    "Helm release istiod (istiod) gateway deployment overlay (values.gatewayClasses.istio.deployment) container istio-proxy: docker.io/istio/proxyv2:latest uses the latest tag; pin a version tag or digest",
  ]);
});

test("ReplicationController is a workload kind: its pod template is judged by every workload check", async () => {
  const rc = (podSpec: Record<string, unknown>, namespace = "tools", labels: Record<string, string> = {}) => ({
    type: "kubernetes:core/v1:ReplicationController",
    props: { metadata: { name: "legacy", namespace }, spec: { replicas: 1, template: { metadata: { labels }, spec: podSpec } } },
  });
  const ok = [
    await runResource(imagesPinned, rc({ containers: [{ name: "a", image: "a:1.0" }] })),
    await runResource(gpuScheduling, rc({ tolerations: [gpuToleration], containers: [{ name: "a", image: "a:1.0", resources: { limits: { "nvidia.com/gpu": 1 } } }] })),
  ];
  for (const outcome of ok) assert.deepEqual(outcome.violations, []);
  // Before: a ReplicationController was no workload, so none of these was seen.
  assert.match((await runResource(imagesPinned, rc({ containers: [{ name: "a", image: "a:latest" }] }))).violations[0].message, /^ReplicationController tools\/legacy container a: a:latest uses the latest tag/);
  assert.match((await runResource(gpuScheduling, rc({ containers: [{ name: "a", image: "a:1", resources: { limits: { "nvidia.com/gpu": 1 } } }] }))).violations[0].message, /^ReplicationController tools\/legacy uses GPUs but does not tolerate/);
  assert.match((await runResource(gpuScheduling, rc({ tolerations: [gpuToleration], containers: [{ name: "a", image: "a:1" }] }))).violations[0].message, /^ReplicationController tools\/legacy requests no GPU but tolerates/);
  const injected = await runResource(ambientNoSidecarInjection, rc({ containers: [{ name: "a", image: "a:1" }] }, "agents", { "sidecar.istio.io/inject": "true" }));
  assert.equal(injected.violations.length, 1);
  assert.match(injected.violations[0].message, /^ReplicationController agents\/legacy asks for a sidecar/);
  // ALLOW coverage: a namespace running only a ReplicationController runs a workload.
  const on = (type: string, name: string, props: Record<string, unknown>) => stackResource({ type, name: `a-${name}`, props, provider: k8sProvider("a") });
  const tools = on("kubernetes:core/v1:Namespace", "ns-tools", { metadata: { name: "tools", labels: { "istio.io/dataplane-mode": "ambient" } } });
  const legacy = on("kubernetes:core/v1:ReplicationController", "tools-legacy", rc({ containers: [{ name: "a", image: "a:1" }] }, "tools", { app: "legacy" }).props);
  const allow = on("kubernetes:security.istio.io/v1:AuthorizationPolicy", "tools-ap", { metadata: { name: "legacy", namespace: "tools" }, spec: { selector: { matchLabels: { app: "legacy" } }, action: "ALLOW", rules: [{ from: [{ source: { principals: ["cluster.local/ns/agents/sa/bot"] } }] }] } });
  assert.deepEqual((await runStack(workloadNamespacesAuthorized, [tools, legacy, allow])).violations, []);
  const uncovered = await runStack(workloadNamespacesAuthorized, [tools, legacy]);
  assert.equal(uncovered.violations.length, 1);
  assert.match(uncovered.violations[0].message, /^namespace tools on cluster a runs 1 workload\(s\) but has no ALLOW AuthorizationPolicy/);
});

test("images-pinned: a DeploymentPatch's images are judged; its containers without one patch other fields", async () => {
  // Before: no policy judged a patch, so :latest reached the model server unseen.
  const latest = await runResource(imagesPinned, deploymentPatch({ spec: { containers: [{ name: "vllm", image: "vllm/vllm-openai:latest" }] } }));
  assert.deepEqual(latest.violations.map((v) => v.message), ["DeploymentPatch inference/vllm container vllm: vllm/vllm-openai:latest uses the latest tag; pin a version tag or digest"]);
  const fine = await runResource(imagesPinned, [
    deploymentPatch({ spec: { containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0" }] } }),
    // Merged by name: resources only, the image stays the Deployment's.
    deploymentPatch({ spec: { containers: [{ name: "vllm", resources: { limits: { cpu: "4" } } }] } }),
    deploymentPatch({ metadata: { labels: { team: "ml" } } }),
  ]);
  assert.deepEqual(fine.violations, []);
});

test("images-pinned: a Helm v4 Chart as a real state holds it (no inputs: its Construct registers the component without them) is not judged unpinned; the review says it could not judge its version", async () => {
  const chart = { type: "kubernetes:helm.sh/v4:Chart", name: "aws-use1-ztunnel", props: {} };
  const out = await runResource(imagesPinned, chart);
  assert.deepEqual(out.violations, []);
  assert.equal(out.unknown.length, 1);
  assert.match(out.unknown[0], /the chart version of Helm v4 Chart aws-use1-ztunnel: its state records none of its inputs/);
  // With its inputs (a program's mock, a hand-written state), it is judged as a release is.
  assert.match((await runResource(imagesPinned, { ...chart, props: { chart: "ztunnel", values: {} } })).violations[0].message, /no chart version/);
});

test("images-pinned: a Helm release's valueYamlFiles are judged under its values, merged as pulumi-kubernetes merges them; files the state holds only by path are named", async () => {
  // As the pack receives them: @pulumi/policy deserializes the state's asset objects (deserialize.js)
  // and hands the props behind its unknown-checking proxy (proxy.js).
  const ASSET = { [SIG_KEY]: ASSET_SIG };
  const judge = async (values: Record<string, unknown>, ...files: Record<string, string>[]) => {
    const props = deserializeProperties({ toJavaScript: () => ({ name: "app", chart: "app", version: "1.0.0", values, valueYamlFiles: files.map((f) => ({ ...ASSET, ...f })) }) });
    const violations: string[] = [];
    let unknown = "";
    try {
      await (imagesPinned.validateResource as any)({ type: "kubernetes:helm.sh/v3:Release", props: unknownCheckingProxy(props), urn: "urn", name: "app" }, (m: string) => violations.push(m));
    } catch (err) {
      unknown = String((err as { message?: string }).message ?? err);
    }
    return { violations, unknown };
  };
  const latest = { text: "image:\n  repository: ghcr.io/acme/app\n  tag: latest\n" };
  assert.deepEqual((await judge({}, latest)).violations, ["Helm release app (app): values.image.tag is 'latest' (the newest image, not a reviewed one); pin a version tag or digest"]);
  // values are merged over the files: a tag there wins; a later file wins over an earlier one.
  assert.deepEqual(await judge({ image: { tag: "1.2.3" } }, latest), { violations: [], unknown: "" });
  assert.deepEqual(await judge({}, latest, { text: "image:\n  tag: '1.2.3'\n" }), { violations: [], unknown: "" });
  // A FileAsset's content is not in the state: not judged, and said so.
  const file = await judge({}, { path: "values/prod.yaml" });
  assert.deepEqual(file.violations, []);
  assert.match(file.unknown, /valueYamlFiles\[0\] \(file values\/prod\.yaml: the state records its path, not its content\) of Helm release app/);
});
