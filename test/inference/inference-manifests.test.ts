/**
 * Inference pure cores, the per-cluster manifests of the shipped stacks: route rules, the
 * end-to-end pool, port, EPP and route invariants, GPU placement, the body-based router, ALLOW
 * rules and their ports, the gateway and its Service, CRD bundles (pure, no render).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { bbrManifests } from "../../components/inference/bbr";
import { weightsGiB } from "../../components/gpu/fit";
import { modelRouteRules } from "../../components/inference/routes";
import { clusterInferenceManifests, modelsOnCluster } from "../../components/inference";
import { inferenceCrdBundles } from "../../components/inference/crds";
import { gatewayListeners } from "../../components/inference/gateway";
import { inMeshOpenAiBaseUrl } from "../../components/inference/names";
import { checkInferenceInvariants, ofKind } from "./invariants";
import { spec, model } from "./support";

test("body-based router: two replicas behind a PDB where vLLM serves, one for the simulator", () => {
  for (const [stack, replicas] of [["prod", 2], ["local", 1]] as const) {
    const objects = bbrManifests(spec(stack).models, spec(stack).versions);
    const deployment = objects.find((o) => o.kind === "Deployment") as any;
    assert.equal(deployment.spec.replicas, replicas, stack);
    const pdb = objects.find((o) => o.kind === "PodDisruptionBudget") as any;
    if (replicas === 1) assert.equal(pdb, undefined, stack);
    else assert.deepEqual([pdb.spec.minAvailable, pdb.spec.selector.matchLabels], [1, deployment.spec.selector.matchLabels]);
  }
});

test("route rules: the canary header rule first, then the weighted split", () => {
  const m = model(spec("prod"), "llama-3-1-8b");
  const rules = modelRouteRules(m);
  assert.equal(rules.length, 2);
  const [canary, split] = rules;
  const headers = (r: (typeof rules)[number]) => Object.fromEntries(r.matches[0].headers.map((h) => [h.name, h.value]));
  assert.deepEqual(headers(canary), { "X-Gateway-Base-Model-Name": m.servedModelName, "x-canary": "true" });
  assert.deepEqual(canary.backendRefs.map((b) => b.name), ["llama-3-1-8b-v2"]);
  assert.deepEqual(headers(split), { "X-Gateway-Base-Model-Name": m.servedModelName });
  // Heaviest last: Istio 1.30.3 runs the last weighted pool's picker for the whole rule (#61594).
  assert.deepEqual(split.backendRefs.map((b) => [b.name, b.weight]), [["llama-3-1-8b-v2", 5], ["llama-3-1-8b-v1", 95]]);
  for (const r of rules) assert.equal(r.timeouts.request, "300s");
  // On a tie the stable version still goes last, whichever order the config lists them in.
  for (const versions of [
    [{ name: "v1", weight: 50, canary: false }, { name: "v2", weight: 50, canary: true }],
    [{ name: "v2", weight: 50, canary: true }, { name: "v1", weight: 50, canary: false }],
  ]) {
    const tied = modelRouteRules({ ...m, versions })[1];
    assert.deepEqual(tied.backendRefs.map((b) => b.name), ["llama-3-1-8b-v2", "llama-3-1-8b-v1"]);
  }
  // Two versions alike in weight and role (old ones kept dark) go by name, not by config position.
  for (const dark of [["v3", "v4"], ["v4", "v3"]]) {
    const versions = [{ name: "v1", weight: 90, canary: false }, { name: "v2", weight: 10, canary: true }, ...dark.map((name) => ({ name, weight: 0, canary: false }))];
    assert.deepEqual(modelRouteRules({ ...m, versions })[1].backendRefs.map((b) => b.name), ["v3", "v4", "v2", "v1"].map((v) => `llama-3-1-8b-${v}`));
  }
  const single = { ...m, versions: [{ name: "v1", weight: 100, canary: false }] };
  const only = modelRouteRules(single);
  assert.equal(only.length, 1);
  assert.deepEqual(only[0].backendRefs.map((b) => [b.name, b.weight]), [["llama-3-1-8b-v1", 100]]);
});

for (const stack of ["local", "dev", "prod"] as const) {
  test(`${stack}: every cluster's inference objects satisfy the pool, port, EPP and route invariants`, () => {
    const s = spec(stack);
    for (const c of s.clusters) {
      const objects = clusterInferenceManifests(s, c.name) as any[];
      const pools = checkInferenceInvariants(objects);
      const expected = modelsOnCluster(s, c.name).flatMap((m) => m.versions.map((v) => `${m.name}-${v.name}`));
      assert.deepEqual(pools.sort(), expected.sort(), `${stack}/${c.name}: a pool per placed model version, nothing else`);
    }
  });
}

test("prod: vLLM on GPUs in every placement cluster, with toleration and GPU node selection", () => {
  const s = spec("prod");
  for (const m of s.models) {
    for (const cluster of m.clusters) {
      const objects = clusterInferenceManifests(s, cluster) as any[];
      for (const v of m.versions) {
        const d = ofKind(objects, "Deployment").find((o) => o.metadata.name === `${m.name}-${v.name}`)!;
        assert.ok(d, `${cluster}: ${m.name}-${v.name}`);
        const pod = d.spec.template.spec;
        const c = pod.containers[0];
        assert.match(c.image, /^vllm\/vllm-openai:v0\.21\.0$/);
        assert.equal(c.resources.limits["nvidia.com/gpu"], String(m.gpusPerReplica));
        assert.equal(c.resources.requests["nvidia.com/gpu"], String(m.gpusPerReplica));
        // The weights land in an emptyDir: the scheduler must count them against the node disk.
        const weights = weightsGiB(m.parametersBillions, m.dtype);
        assert.ok(parseInt(c.resources.requests["ephemeral-storage"]) > weights, `${m.name}: ${c.resources.requests["ephemeral-storage"]} for ${weights} GiB`);
        assert.deepEqual(pod.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
        const products = pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0];
        assert.equal(products.key, "nvidia.com/gpu.product");
        assert.ok(products.values.length > 0);
        assert.equal(d.spec.replicas, v.replicas ?? m.replicas);
        assert.deepEqual(pod.volumes.find((vol: any) => vol.name === "shm").emptyDir, { medium: "Memory" });
        assert.ok(c.lifecycle.preStop.sleep.seconds < pod.terminationGracePeriodSeconds);
        assert.ok(c.env.some((e: any) => e.name === "HF_TOKEN" && e.valueFrom.secretKeyRef.name === "hf-token"));
      }
    }
  }
  // Failure mode from config: FailClose where configured, FailOpen by default.
  const use1 = clusterInferenceManifests(s, "aws-use1") as any[];
  const failure = Object.fromEntries(ofKind(use1, "InferencePool").map((p) => [p.metadata.name, p.spec.endpointPickerRef.failureMode]));
  assert.deepEqual(failure, { "llama-3-1-8b-v1": "FailOpen", "llama-3-1-8b-v2": "FailOpen", "qwen3-32b-v1": "FailClose", "qwen3-32b-v2": "FailClose" });
  // Only models placed on a cluster are there: aws-euw1 serves llama only.
  const euw1 = clusterInferenceManifests(s, "aws-euw1") as any[];
  assert.deepEqual(ofKind(euw1, "HTTPRoute").map((r) => r.metadata.name), ["llama-3-1-8b"]);
});

test("local: the simulator with no GPU requests or GPU tolerations", () => {
  const objects = clusterInferenceManifests(spec("local"), "local") as any[];
  const deployments = ofKind(objects, "Deployment");
  assert.ok(deployments.length > 0);
  for (const d of deployments) {
    const pod = d.spec.template.spec;
    assert.ok(!JSON.stringify(pod).includes("nvidia.com/gpu"), `${d.metadata.name} asks for no GPU`);
  }
  const servers = deployments.filter((d) => d.spec.template.metadata.labels["app.kubernetes.io/component"] === "model-server");
  assert.deepEqual(servers.map((d) => d.spec.template.spec.containers[0].image), ["ghcr.io/llm-d/llm-d-inference-sim:v0.10.2", "ghcr.io/llm-d/llm-d-inference-sim:v0.10.2"]);
  // The simulator keeps small fixed requests: no GPU host to take a share of.
  for (const d of servers) assert.deepEqual(d.spec.template.spec.containers[0].resources, { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } });
  // llm-d-inference-sim v0.10.2 reads POD_NAME and POD_NAMESPACE (pkg/common/parser.go) for its
  // x-inference-pod / x-inference-namespace response headers, and no other variable.
  for (const d of servers) assert.deepEqual(d.spec.template.spec.containers[0].env.map((e: any) => e.name), ["POD_NAME", "POD_NAMESPACE"]);
});

test("body-based router: ext-proc inserted first on the inference Gateway, models mapped by ConfigMap", () => {
  const s = spec("prod");
  const objects = clusterInferenceManifests(s, "aws-use1") as any[];
  const filter = ofKind(objects, "EnvoyFilter")[0];
  assert.deepEqual(filter.spec.targetRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway" }]);
  const patch = filter.spec.configPatches[0];
  assert.equal(patch.applyTo, "HTTP_FILTER");
  assert.equal(patch.patch.operation, "INSERT_FIRST");
  const cluster = patch.patch.value.typed_config.grpc_service.envoy_grpc.cluster_name;
  assert.equal(cluster, "outbound|9004||body-based-router.inference.svc.cluster.local");
  const svc = ofKind(objects, "Service").find((o) => o.metadata.name === "body-based-router")!;
  assert.equal(svc.spec.ports[0].port, 9004);
  const maps = ofKind(objects, "ConfigMap").filter((o) => o.metadata.labels?.["inference.networking.k8s.io/bbr-managed"] === "true");
  assert.deepEqual(maps.map((m) => m.data.baseModel).sort(), ["Qwen/Qwen3-32B", "meta-llama/Llama-3.1-8B-Instruct"]);
  assert.match(maps.find((m) => m.data.baseModel.startsWith("meta"))!.data.adapters, /- support-tone/);
  assert.ok(ofKind(objects, "DestinationRule").some((d) => d.spec.host === "body-based-router.inference.svc.cluster.local"));
});

test("authorization: model servers accept the gateway and their own EPP, EPPs and BBR only the gateway", () => {
  const s = spec("prod");
  const objects = clusterInferenceManifests(s, "aws-use1") as any[];
  const policies = ofKind(objects, "AuthorizationPolicy");
  const principals = (name: string) => policies.find((p) => p.metadata.name === name)!.spec.rules[0].from[0].source.principals;
  const gw = "cluster.local/ns/inference/sa/inference-gateway-istio";
  assert.deepEqual(principals("qwen3-32b-v1-model-server"), [gw, "cluster.local/ns/inference/sa/qwen3-32b-v1-epp"].sort());
  assert.deepEqual(principals("qwen3-32b-v1-epp"), [gw]);
  assert.deepEqual(principals("body-based-router"), [gw]);
  for (const p of policies) {
    assert.equal(p.spec.action, "ALLOW");
    assert.ok(p.spec.selector, `${p.metadata.name} is an L4 (ztunnel) policy`);
    for (const pr of p.spec.rules.flatMap((r: any) => r.from[0].source.principals)) {
      const sa = pr.split("/sa/")[1];
      assert.ok(sa === "inference-gateway-istio" || ofKind(objects, "ServiceAccount").some((o) => o.metadata.name === sa), `${pr} is a rendered ServiceAccount`);
    }
  }
});

test("gateway: HTTPS listener with the configured or self-signed certificate, plus the in-mesh listener", () => {
  const prod = gatewayListeners(spec("prod").gateways.inference!) as any[];
  assert.equal(prod[0].protocol, "HTTPS");
  assert.equal(prod[0].hostname, "inference.example.com");
  assert.deepEqual(prod[0].tls.certificateRefs, [{ group: "", kind: "Secret", name: "inference-gateway-tls" }]);
  assert.equal(prod[1].hostname, "inference-gateway-istio.inference.svc.cluster.local");
  // Agents' base URL lands on a listener: host and port agree.
  const url = new URL(inMeshOpenAiBaseUrl);
  assert.ok(prod.some((l) => l.hostname === url.hostname && l.port === Number(url.port || 80) && l.protocol === url.protocol.slice(0, -1).toUpperCase()));
  const local = gatewayListeners(spec("local").gateways.inference!) as any[];
  assert.equal(local[0].tls.certificateRefs[0].name, "inference-gateway-self-signed");
});

test("CRD bundles: pinned GIE v1 and llm-d-router release assets", () => {
  assert.deepEqual(inferenceCrdBundles(spec("prod").versions).map((b) => b.url), [
    "https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/download/v1.6.0/v1-manifests.yaml",
    "https://github.com/llm-d/llm-d-router/releases/download/v0.10.0/manifests.yaml",
  ]);
});

test("config: two models whose versions would share a pool name are rejected, naming the version", () => {
  const platform = shippedPlatform("local");
  platform.models.push({ ...platform.models[0], name: "qwen3-0", servedModelName: "other", versions: [{ name: "6b-v1", weight: 100 }] });
  assert.throws(() => parsePlatform(platform, "local"), /models\[1\]\.versions\[0\]\.name: .*the pool 'qwen3-0-6b-v1', which is already the pool of model 'qwen3-0-6b' version 'v1'/);
});

test("authorization: each ALLOW rule is limited to the one port its workload serves to those callers", () => {
  // Without `ports` a rule admits its callers on every port of the pod. The documented ports
  // (README, inference layer): model servers 8000 (vLLM and the simulator), the endpoint picker's
  // ext-proc 9002, the body-based router's ext-proc 9004. Each is also a container port of the
  // pods the policy selects, so the rule names a port that is actually served.
  const gw = "cluster.local/ns/inference/sa/inference-gateway-istio";
  const to = (port: number) => [{ operation: { ports: [String(port)] } }];
  for (const stack of ["prod", "local"] as const) {
    const s = spec(stack);
    for (const cluster of s.clusters.map((c) => c.name)) {
      const objects = clusterInferenceManifests(s, cluster) as any[];
      const pools = ofKind(objects, "InferencePool");
      if (pools.length === 0) continue;
      const policies = ofKind(objects, "AuthorizationPolicy");
      const policy = (name: string) => {
        const p = policies.find((x) => x.metadata.name === name);
        assert.ok(p, `${stack}/${cluster}: AuthorizationPolicy ${name}`);
        return p;
      };
      const servesPort = (p: any, port: number) => {
        const selected = ofKind(objects, "Deployment").filter((d) =>
          Object.entries(p.spec.selector.matchLabels).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
        );
        assert.ok(selected.length > 0, `${p.metadata.name} selects a Deployment`);
        for (const d of selected) {
          assert.ok(d.spec.template.spec.containers.some((c: any) => (c.ports ?? []).some((cp: any) => cp.containerPort === port)), `${d.metadata.name} serves ${port}`);
        }
      };
      const expected: [string, string[], number][] = [["body-based-router", [gw], 9004]];
      for (const pool of pools.map((p) => p.metadata.name as string)) {
        expected.push([`${pool}-model-server`, [gw, `cluster.local/ns/inference/sa/${pool}-epp`].sort(), 8000]);
        expected.push([`${pool}-epp`, [gw], 9002]);
      }
      for (const [name, principals, port] of expected) {
        const p = policy(name);
        assert.deepEqual(p.spec.rules, [{ from: [{ source: { principals } }], to: to(port) }], `${stack}/${cluster}: ${name}`);
        servesPort(p, port);
      }
    }
  }
});

test("the inference gateway's Service keeps client addresses (externalTrafficPolicy Local through its options), so its NetworkPolicy can tell outside clients from agents", () => {
  for (const stack of ["local", "dev", "prod"] as const) {
    const s = parsePlatform(shippedPlatform(stack), stack);
    for (const cluster of s.clusters.filter((c) => modelsOnCluster(s, c.name).length > 0)) {
      const objects = clusterInferenceManifests(s, cluster.name) as any[];
      const gateway = objects.find((o) => o.kind === "Gateway" && o.metadata.name === "inference-gateway");
      assert.deepEqual(gateway.spec.infrastructure, { parametersRef: { group: "", kind: "ConfigMap", name: "inference-gateway-options" } }, `${stack}/${cluster.name}`);
      const options = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "inference-gateway-options");
      assert.equal(options.metadata.namespace, "inference");
      // On EKS also a Network Load Balancer: cloud-provider-aws v1.33.4 (pkg/providers/v1/aws.go,
      // aws_loadbalancer.go isNLB) makes a Classic ELB for a LoadBalancer Service unless
      // `service.beta.kubernetes.io/aws-load-balancer-type` is "nlb"; internet-facing (no `…-internal`).
      const nlb = cluster.kind === "eks" ? { metadata: { annotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" } } } : {};
      assert.deepEqual(yaml.load(options.data.service), { ...nlb, spec: { externalTrafficPolicy: "Local" } }, `${stack}/${cluster.name}`);
      assert.equal(options.data.service.includes("aws-load-balancer-internal"), false, "internet-facing: clients outside the cluster reach it");
    }
  }
});

test("the inference gateway on EKS is an NLB, on every other cluster kind no AWS annotation", () => {
  const prod = parsePlatform(shippedPlatform("prod"), "prod");
  const kinds = new Set<string>();
  for (const cluster of prod.clusters.filter((c) => modelsOnCluster(prod, c.name).length > 0)) {
    kinds.add(cluster.kind);
    const options = (clusterInferenceManifests(prod, cluster.name) as any[]).find((o) => o.kind === "ConfigMap" && o.metadata.name === "inference-gateway-options");
    const annotations = (yaml.load(options.data.service) as any).metadata?.annotations;
    assert.equal(annotations?.["service.beta.kubernetes.io/aws-load-balancer-type"], cluster.kind === "eks" ? "nlb" : undefined, cluster.name);
  }
  assert.ok(kinds.has("eks") && kinds.size > 1, "prod has EKS and other clusters serving models");
});
