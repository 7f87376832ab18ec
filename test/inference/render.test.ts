/**
 * Inference in the rendered stacks: what `pulumi up` would apply, read back from the offline
 * render (cached per source revision), checked against the same invariants as the pure cores,
 * plus ordering (CRDs before the objects that use them) and secrecy of the gateway key.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderShipped, shippedPlatform, Rendered } from "../support/render";
import { checkInferenceInvariants, ofKind } from "./invariants";

function poolsExpected(stack: "local" | "dev" | "prod", cluster: string): string[] {
  return (shippedPlatform(stack).models as any[])
    .filter((m) => m.clusters.includes(cluster))
    .flatMap((m) => m.versions.map((v: any) => `${m.name}-${v.name}`))
    .sort();
}

/** CRD bundles precede every custom inference object of their cluster. */
function checkOrdering(r: Rendered, cluster: string): void {
  const crds = r.ofType("kubernetes:yaml/v2:ConfigFile").filter((x) => x.urn.endsWith(`::${cluster}-gie-crds`) || x.urn.endsWith(`::${cluster}-llm-d-router-crds`));
  assert.equal(crds.length, 2, `${cluster}: GIE and llm-d-router CRD bundles`);
  const users = r.resources.filter((x) => /inference\.networking\.k8s\.io|llm-d\.ai/.test(x.type) && x.urn.includes(`::${cluster}-`));
  assert.ok(users.length > 0);
  for (const u of users) for (const c of crds) assert.ok(u.dependencies.includes(c.urn), `${u.urn} waits for ${c.urn}`);
}

test("local render: simulator behind pools, EPPs and the gateway; no GPU requests; CRDs first", () => {
  const r = renderShipped("local");
  assert.equal(r.run.code, 0, r.run.stderr);
  const objects = r.objects("local") as any[];
  assert.deepEqual(checkInferenceInvariants(objects).sort(), poolsExpected("local", "local"));
  assert.ok(!JSON.stringify(ofKind(objects, "Deployment")).includes("nvidia.com/gpu"));
  checkOrdering(r, "local");
  const gateway = ofKind(objects, "Gateway").find((g) => g.metadata.name === "inference-gateway")!;
  assert.equal(gateway.spec.gatewayClassName, "istio");
  const secret = ofKind(objects, "Secret").find((s) => s.metadata.name === "inference-gateway-self-signed")!;
  assert.equal(secret.type, "kubernetes.io/tls");
  assert.equal(secret.stringData, "[secret]", "the self-signed key stays secret");
  assert.ok(!r.file("stack.json").includes("PRIVATE KEY"));
  const cert = r.ofType("tls:index/selfSignedCert:SelfSignedCert").find((c) => c.urn.endsWith("::local-inference-gateway-cert"));
  assert.deepEqual((cert!.inputs as any).dnsNames, ["inference.localtest.me"]);
});

for (const stack of ["dev", "prod"] as const) {
  // Rendered inside the test: a render that fails is this test's failure, never a skip.
  test(`${stack} render: vLLM on GPUs in every placement cluster, each cluster routing to its own pools`, () => {
    const r = renderShipped(stack);
    assert.equal(r.run.code, 0, r.run.stderr);
    for (const cluster of (shippedPlatform(stack).clusters as any[]).map((c) => c.name)) {
      const objects = r.objects(cluster) as any[];
      assert.deepEqual(checkInferenceInvariants(objects).sort(), poolsExpected(stack, cluster), cluster);
      for (const pool of ofKind(objects, "InferencePool")) {
        const d = ofKind(objects, "Deployment").find((o) => o.metadata.name === pool.metadata.name)!;
        const c = d.spec.template.spec.containers[0];
        assert.match(c.image, /^vllm\/vllm-openai:/);
        assert.ok(Number(c.resources.limits["nvidia.com/gpu"]) >= 1, `${cluster}/${pool.metadata.name} requests GPUs`);
        assert.ok(d.spec.template.spec.tolerations.some((t: any) => t.key === "nvidia.com/gpu"));
      }
      if (poolsExpected(stack, cluster).length > 0) checkOrdering(r, cluster);
    }
  });
}

test("prod render: each vLLM Deployment requests its share of its own cluster's GPU host, Guaranteed (limits = requests)", () => {
  const r = renderShipped("prod");
  assert.equal(r.run.code, 0, r.run.stderr);
  // A replica of g GPUs on a node of G takes g/G of the node's pod budget: vCPUs × 1000 less
  // nodeadm's kube-reserved CPU and 1000m for node agents; MemTotal (nominal × 0.925) less
  // kube-reserved memory (11 MiB × max(110, ENI pods) + 255), 100Mi eviction and 2048Mi agents.
  //   p5.48xlarge (192, 2048 GiB, 8 H100): 190450m, 1936252Mi   g5.12xlarge (48, 192 GiB, 4 A10G): 46810m, 171352Mi
  //   g6e.12xlarge (48, 384 GiB, 4 L40S):  46810m, 358109Mi     a2-ultragpu-4g (48, 680 GiB, 4 A100): 46810m, 640483Mi
  // The same llama replica asks for a different share on each cluster's GPU type.
  const expected: Record<string, Record<string, [string, string]>> = {
    "aws-use1": { llama: ["23806m", "242031Mi"], qwen3: ["23405m", "179054Mi"] },
    "aws-euw1": { llama: ["11702m", "42838Mi"] },
    "gcp-usc1": { llama: ["11702m", "160120Mi"], qwen3: ["23405m", "320241Mi"] },
  };
  for (const [cluster, models] of Object.entries(expected)) {
    const servers = ofKind(r.objects(cluster) as any[], "Deployment").filter((d) => d.spec.template.spec.containers[0].name === "vllm");
    assert.deepEqual([...new Set(servers.map((d) => d.metadata.name.split("-")[0]))].sort(), Object.keys(models).sort(), cluster);
    for (const d of servers) {
      const { requests, limits } = d.spec.template.spec.containers[0].resources;
      const [cpu, memory] = models[d.metadata.name.split("-")[0]];
      assert.deepEqual([requests.cpu, requests.memory], [cpu, memory], `${cluster}/${d.metadata.name}`);
      assert.deepEqual(limits, { "nvidia.com/gpu": requests["nvidia.com/gpu"], cpu, memory }, `${cluster}/${d.metadata.name}: Guaranteed QoS`);
    }
  }
});

// A pod with no ALLOW policy selecting it takes any caller, so a workload started before its
// policies is open until they land; and a policy the Istio webhook refuses while the Deployment
// is created leaves it open until the next `up`. Every Deployment (inference and agents alike)
// must therefore wait for the policies that select its pods.
for (const stack of ["local", "dev", "prod"] as const) {
  test(`${stack} render: every Deployment waits for the ALLOW policies that select its pods`, () => {
    const r = renderShipped(stack);
    assert.equal(r.run.code, 0, r.run.stderr);
    const policies = r.ofType("kubernetes:security.istio.io/v1:AuthorizationPolicy");
    const deployments = r.ofType("kubernetes:apps/v1:Deployment");
    assert.ok(deployments.length > 0);
    for (const d of deployments) {
      const { metadata, spec } = d.inputs as any;
      const labels: Record<string, string> = spec.template.metadata.labels;
      const selecting = policies.filter((p) => {
        const { metadata: pm, spec: ps } = p.inputs as any;
        const sel: Record<string, string> | undefined = ps.selector?.matchLabels;
        return p.provider === d.provider && pm.namespace === metadata.namespace && sel && Object.entries(sel).every(([k, v]) => labels[k] === v);
      });
      assert.ok(selecting.length > 0, `${d.urn}: an ALLOW policy selects its pods`);
      for (const p of selecting) assert.ok(d.dependencies.includes(p.urn), `${d.urn} waits for ${p.urn}`);
    }
  });
}

// Pods that request `nvidia.com/gpu` stay Pending until the device plugin advertises the GPUs.
// Created beside the plugin, each vLLM Deployment spends its readiness timeout (40 minutes and
// more) waiting on a plugin that may have failed to install, and a destroy may remove the plugin
// while they still run: every GPU Deployment waits for its own cluster's plugin release.
for (const stack of ["dev", "prod"] as const) {
  test(`${stack} render: every Deployment requesting GPUs waits for its cluster's NVIDIA device plugin`, () => {
    const r = renderShipped(stack);
    assert.equal(r.run.code, 0, r.run.stderr);
    const plugins = r.ofType("kubernetes:helm.sh/v3:Release").filter((x) => (x.inputs as any).chart === "nvidia-device-plugin");
    const gpuDeployments = r
      .ofType("kubernetes:apps/v1:Deployment")
      .filter((d) => ((d.inputs as any).spec.template.spec.containers as any[]).some((c) => c.resources?.limits?.["nvidia.com/gpu"] !== undefined));
    assert.ok(gpuDeployments.length > 0);
    for (const d of gpuDeployments) {
      const plugin = plugins.filter((p) => p.provider === d.provider);
      assert.equal(plugin.length, 1, `${d.urn}: one device plugin on its cluster`);
      assert.ok(d.dependencies.includes(plugin[0].urn), `${d.urn} waits for ${plugin[0].urn}`);
    }
  });
}

// A picker started before its Role and RoleBinding gets 403s on every watch and crash-loops; one
// started before its ServiceAccount is refused admission. Each inference Deployment that runs as a
// ServiceAccount of its own waits for it, for every RoleBinding naming it and for their Roles.
for (const stack of ["local", "dev", "prod"] as const) {
  test(`${stack} render: every Deployment, each endpoint picker included, waits for its ServiceAccount, Role and RoleBinding`, () => {
    const r = renderShipped(stack);
    assert.equal(r.run.code, 0, r.run.stderr);
    const inInference = (x: { inputs: unknown }) => (x.inputs as any).metadata?.namespace === "inference";
    const deployments = r.ofType("kubernetes:apps/v1:Deployment").filter(inInference);
    const pickers = deployments.filter((d) => (d.inputs as any).metadata.labels?.["app.kubernetes.io/component"] === "endpoint-picker");
    assert.ok(pickers.length > 0, "the stack has pickers");
    let checked = 0;
    for (const d of deployments) {
      const account = (d.inputs as any).spec.template.spec.serviceAccountName as string | undefined;
      const sameCluster = (type: string) => r.ofType(type).filter((x) => x.provider === d.provider && inInference(x));
      const sa = sameCluster("kubernetes:core/v1:ServiceAccount").filter((x) => (x.inputs as any).metadata.name === account);
      if (sa.length === 0) continue;
      const bindings = sameCluster("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").filter((b) =>
        ((b.inputs as any).subjects as any[]).some((s) => s.kind === "ServiceAccount" && s.name === account),
      );
      const roles = sameCluster("kubernetes:rbac.authorization.k8s.io/v1:Role").filter((role) =>
        bindings.some((b) => (b.inputs as any).roleRef.kind === "Role" && (b.inputs as any).roleRef.name === (role.inputs as any).metadata.name),
      );
      if (pickers.includes(d)) assert.ok(bindings.length === 1 && roles.length === 1, `${d.urn}: a Role and a RoleBinding of its own`);
      for (const x of [...sa, ...bindings, ...roles]) assert.ok(d.dependencies.includes(x.urn), `${d.urn} waits for ${x.urn}`);
      checked += pickers.includes(d) ? 1 : 0;
    }
    assert.equal(checked, pickers.length, "every picker runs as a ServiceAccount of its own");
  });
}
