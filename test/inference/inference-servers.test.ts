/**
 * Inference pure cores, the model servers and their pickers: EPP config and args, vLLM and
 * simulator args, Pulumi waits and rollout strategies that let `pulumi up` finish, a picker's
 * restart on new scorer weights, version labels (pure, no render).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { endpointPickerConfig, eppArgs, eppReplicas, eppRoleRules } from "../../components/inference/epp";
import { vllmArgs, simulatorArgs, loraSource, vllmResources } from "../../components/inference/model-server";
import { bbrManifests } from "../../components/inference/bbr";
import { clusterInferenceManifests } from "../../components/inference";
import { imageVersionLabel } from "../../components/k8s/apply";
import { spec, model } from "./support";

const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

test("EPP config: default profile scores queue, KV-cache and prefix-cache with the configured weights", () => {
  const cfg = endpointPickerConfig({ queue: 2, kvCacheUtilization: 2, prefixCache: 3 }) as any;
  assert.equal(cfg.apiVersion, "llm-d.ai/v1alpha1");
  assert.equal(cfg.kind, "EndpointPickerConfig");
  assert.deepEqual(cfg.schedulingProfiles, [
    {
      name: "default",
      plugins: [
        { pluginRef: "queue-scorer", weight: 2 },
        { pluginRef: "kv-cache-utilization-scorer", weight: 2 },
        { pluginRef: "prefix-cache-scorer", weight: 3 },
      ],
    },
  ]);
  const types = cfg.plugins.map((p: any) => p.type);
  assert.deepEqual(types, ["queue-scorer", "kv-cache-utilization-scorer", "prefix-cache-scorer", "metrics-data-source", "core-metrics-extractor"]);
  // Every profile reference names a declared plugin.
  for (const ref of cfg.schedulingProfiles[0].plugins) assert.ok(types.includes(ref.pluginRef));
});

test("EPP config: a zero weight drops that scorer; prod's qwen weights come through", () => {
  const cfg = endpointPickerConfig({ queue: 0, kvCacheUtilization: 1, prefixCache: 2 }) as any;
  assert.deepEqual(cfg.schedulingProfiles[0].plugins.map((p: any) => p.pluginRef), ["kv-cache-utilization-scorer", "prefix-cache-scorer"]);
  assert.ok(!cfg.plugins.some((p: any) => p.type === "queue-scorer"));
  const qwen = model(spec("prod"), "qwen3-32b");
  const prod = endpointPickerConfig(qwen.epp.scorerWeights) as any;
  assert.deepEqual(prod.schedulingProfiles[0].plugins.map((p: any) => p.weight), [1, 1, 2]);
});

test("EPP args and RBAC: pool flags, ports, leader election only when replicated", () => {
  const one = eppArgs("m-v1", 1);
  assert.equal(argAfter(one, "--pool-name"), "m-v1");
  assert.equal(argAfter(one, "--pool-namespace"), "inference");
  assert.equal(argAfter(one, "--pool-group"), "inference.networking.k8s.io");
  assert.equal(argAfter(one, "--grpc-port"), "9002");
  assert.equal(argAfter(one, "--grpc-health-port"), "9003");
  assert.equal(argAfter(one, "--metrics-port"), "9090");
  assert.ok(!one.includes("--ha-enable-leader-election"));
  assert.ok(eppArgs("m-v1", 2).includes("--ha-enable-leader-election"));
  assert.ok(!eppRoleRules(1).some((r: any) => (r.resources as string[]).includes("leases")));
  assert.ok(eppRoleRules(2).some((r: any) => (r.resources as string[]).includes("leases")));
  const prod = spec("prod");
  assert.equal(eppReplicas(model(prod, "qwen3-32b")), 2);
  assert.equal(eppReplicas(model(prod, "llama-3-1-8b")), 2, "two replicas in front of GPUs by default");
  assert.equal(eppReplicas(model(spec("local"), "qwen3-0-6b")), 1);
});

test("vLLM args follow the fit arithmetic, with prefix caching and LoRA when configured", () => {
  const prod = spec("prod");
  const llama = model(prod, "llama-3-1-8b");
  const a = vllmArgs(llama, llama.versions[0]);
  assert.equal(argAfter(a, "--model"), "meta-llama/Llama-3.1-8B-Instruct");
  assert.equal(argAfter(a, "--served-model-name"), "meta-llama/Llama-3.1-8B-Instruct");
  assert.equal(argAfter(a, "--port"), "8000");
  assert.equal(argAfter(a, "--tensor-parallel-size"), "1");
  assert.equal(argAfter(a, "--gpu-memory-utilization"), "0.9");
  assert.equal(argAfter(a, "--max-model-len"), "16384");
  assert.ok(a.includes("--enable-prefix-caching"));
  assert.ok(a.includes("--enable-lora"));
  assert.equal(argAfter(a, "--lora-modules"), "support-tone=inference-mesh/llama-3.1-8b-support-tone-lora");
  const qwen = model(prod, "qwen3-32b");
  const q = vllmArgs(qwen, qwen.versions[1]);
  assert.equal(argAfter(q, "--tensor-parallel-size"), "2");
  assert.equal(argAfter(q, "--gpu-memory-utilization"), "0.92");
  assert.equal(argAfter(q, "--max-model-len"), "16000");
  assert.ok(!q.includes("--enable-lora"));
  assert.equal(loraSource("https://huggingface.co/org/adapter/"), "org/adapter");
  assert.equal(loraSource("org/adapter"), "org/adapter");
});

test("vLLM streams an s3:// or gs:// model with the Run:ai Model Streamer's load format; a Hub model keeps the default", () => {
  const llama = model(spec("prod"), "llama-3-1-8b");
  assert.ok(!vllmArgs(llama, llama.versions[0]).includes("--load-format"));
  for (const uri of ["s3://acme-models/llama-3.1-8b", "gs://acme-models/llama-3.1-8b"]) {
    // The args are the same on every cluster (only the store's credentials differ), so the prod
    // model is re-pointed here without placing it anew.
    const m = { ...llama, servedModelName: uri };
    const a = vllmArgs(m, m.versions[0]);
    assert.equal(argAfter(a, "--model"), uri);
    assert.equal(argAfter(a, "--load-format"), "runai_streamer");
  }
});

test("vLLM --max-lora-rank: the smallest rank vLLM takes that holds every stated adapter rank, else vLLM's default", () => {
  const llama = model(spec("prod"), "llama-3-1-8b");
  // No rank stated: vLLM's default (16) stays, as before.
  assert.ok(!vllmArgs(llama, llama.versions[0]).includes("--max-lora-rank"));
  const withRanks = (...ranks: (number | undefined)[]) => {
    const p = shippedPlatform("prod");
    p.models[0].loraAdapters = ranks.map((rank, i) => ({ name: `a${i}`, source: `org/a${i}`, ...(rank === undefined ? {} : { rank }) }));
    const m = parsePlatform(p, "prod").models[0];
    return vllmArgs(m, m.versions[0]);
  };
  // A rank-64 adapter would exceed the default 16 and vLLM would exit at startup.
  const a = withRanks(64);
  assert.equal(argAfter(a, "--max-lora-rank"), "64");
  assert.ok(a.indexOf("--max-lora-rank") < a.indexOf("--lora-modules"), "the flag does not land among the --lora-modules values");
  assert.equal(argAfter(withRanks(8, 24), "--max-lora-rank"), "32");
  assert.equal(argAfter(withRanks(300), "--max-lora-rank"), "320");
  assert.equal(argAfter(withRanks(4), "--max-lora-rank"), "8");
  // An adapter without a rank keeps the default's 16 slots.
  assert.equal(argAfter(withRanks(8, undefined), "--max-lora-rank"), "16");
  // The simulator takes no such flag.
  const sim = model(spec("local"), "qwen3-0-6b");
  assert.ok(!simulatorArgs({ ...sim, loraAdapters: [{ name: "x", source: "org/x", rank: 64 }] }).includes("--max-lora-rank"));
});

test("simulator args: same served model name, port and context length", () => {
  const m = model(spec("local"), "qwen3-0-6b");
  const a = simulatorArgs(m);
  assert.equal(argAfter(a, "--served-model-name"), "Qwen/Qwen3-0.6B");
  assert.equal(argAfter(a, "--port"), "8000");
  assert.equal(argAfter(a, "--max-model-len"), "4096");
  // Without it a real HF model name sends every tokenization to a render service the pod lacks.
  assert.ok(a.includes("--force-dummy-tokenizer"));
});

test("pulumi up can finish: replicated pickers are awaited on their leader, vLLM gets time to load and rolls one pod at a time", () => {
  const seen = { replicatedPickers: 0, singlePickers: 0, gpuServers: 0, simulators: 0 };
  for (const stack of ["prod", "local"] as const) {
    const s = spec(stack);
    for (const c of s.clusters) {
      const objects = clusterInferenceManifests(s, c.name) as any[];
      for (const d of objects.filter((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-epp"))) {
        const service = objects.find((o) => o.kind === "Service" && o.metadata.name === d.metadata.name);
        if (d.spec.replicas > 1) {
          // Only the leader is ever Ready: the default wait (every replica Ready) would never end.
          // …and an update must replace the leader too: all updated, one Ready; all replaced at once.
          assert.deepEqual(JSON.parse(d.metadata.annotations["pulumi.com/waitFor"]), [
            `jsonpath={.status.updatedReplicas}=${d.spec.replicas}`,
            `jsonpath={.status.replicas}=${d.spec.replicas}`,
            "jsonpath={.status.readyReplicas}=1",
          ], d.metadata.name);
          assert.deepEqual(d.spec.strategy.rollingUpdate, { maxSurge: 0, maxUnavailable: "100%" });
          assert.equal(service.metadata.annotations["pulumi.com/skipAwait"], "true");
          seen.replicatedPickers++;
        } else {
          seen.singlePickers++;
          assert.equal(d.metadata.annotations, undefined, d.metadata.name);
          assert.equal(service.metadata.annotations, undefined);
        }
      }
      for (const d of objects.filter((o) => o.kind === "Deployment" && o.spec.template.metadata.labels["llm-d.ai/engine-type"] === "vllm" && !o.metadata.name.endsWith("-epp"))) {
        const gpu = d.spec.template.spec.containers[0].resources?.limits?.["nvidia.com/gpu"];
        if (gpu) {
          assert.ok(Number(d.metadata.annotations["pulumi.com/timeoutSeconds"]) >= 2400 + (d.spec.replicas - 1) * 730, d.metadata.name);
          assert.deepEqual(d.spec.strategy.rollingUpdate, { maxSurge: 0, maxUnavailable: 1 }, "no surge pod waiting for a GPU");
          seen.gpuServers++;
        } else {
          assert.equal(d.metadata.annotations, undefined, "the simulator keeps the default wait");
          seen.simulators++;
        }
      }
    }
  }
  assert.ok(Object.values(seen).every((n) => n > 0), JSON.stringify(seen));
});

test("a picker restarts when its scorer weights change: it reads its config file only at start", () => {
  const hashOf = (weights?: Record<string, number>) => {
    const s = spec("prod");
    const m = s.models.find((x) => x.server === "vllm")!;
    if (weights) m.epp.scorerWeights = { ...m.epp.scorerWeights, ...weights };
    const d = (clusterInferenceManifests(s, m.clusters[0]) as any[]).find((o) => o.kind === "Deployment" && o.metadata.name === `${m.name}-${m.versions[0].name}-epp`);
    return d.spec.template.metadata.annotations["inference-mesh.io/config-sha256"];
  };
  assert.match(hashOf(), /^[0-9a-f]{64}$/);
  assert.equal(hashOf(), hashOf());
  assert.notEqual(hashOf({ prefixCache: 5 }), hashOf());
});

test("version labels come from the images that run: picker and body-based router, digests shortened to a valid label", () => {
  const digest = "sha256:" + "ab".repeat(32);
  assert.equal(imageVersionLabel("ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.1"), "v0.10.1");
  assert.equal(imageVersionLabel("registry.local:5000/team/bbr:v1.5.0"), "v1.5.0");
  assert.equal(imageVersionLabel(`registry.local:5000/team/bbr@${digest}`), "sha256-abababababab");
  assert.equal(imageVersionLabel(`bbr:v1.5.0@${digest}`), "v1.5.0");
  assert.equal(imageVersionLabel(`bbr:${"x".repeat(62)}._`), "x".repeat(62));
  assert.equal(imageVersionLabel("registry.local:5000/team/bbr"), undefined);
  // A tag may start with '_' (the image reference grammar's [\w]); a label value may not.
  assert.equal(imageVersionLabel("ghcr.io/llm-d/llm-d-router-endpoint-picker:_v0.10.0"), "v0.10.0");
  assert.equal(imageVersionLabel(`bbr:__${"x".repeat(70)}`), "x".repeat(63));
  assert.equal(imageVersionLabel("bbr:___"), undefined);
  const platform = shippedPlatform("prod");
  platform.versions = { eppImage: "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.1", bbrImage: `registry.k8s.io/gateway-api-inference-extension/bbr@${digest}` };
  const spec = parsePlatform(platform, "prod");
  const objects = clusterInferenceManifests(spec, "aws-use1") as any[];
  const picker = objects.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-epp"));
  assert.equal(picker.spec.template.spec.containers[0].image, platform.versions.eppImage);
  assert.equal(picker.metadata.labels["app.kubernetes.io/version"], "v0.10.1", "the picker's label follows its image, not versions.llmdRouter");
  const bbr = bbrManifests(spec.models, spec.versions).find((o: any) => o.kind === "Deployment") as any;
  for (const labels of [bbr.metadata.labels, bbr.spec.template.metadata.labels]) {
    const value = labels["app.kubernetes.io/version"];
    assert.equal(value, "sha256-abababababab");
    assert.ok(value.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(value));
  }
});

test("vLLM CPU and memory: the replica's share of the smallest node type its GPU products allow, per cluster, limits equal to requests", () => {
  const s = spec("prod");
  const qwen = model(s, "qwen3-32b");
  const groups = (types: string[]) => ({ ...s.clusters[0], nodeGroups: types.map((t, i) => ({ ...s.clusters[0].nodeGroups[0], name: `g${i}`, instanceType: t })) });
  // Two L40S types: the 2-GPU replica may land on either, so it takes g6e.12xlarge's smaller share
  // (358109 MiB and 46810m of budget over 4 GPUs); the H100 group is outside its products.
  const mixed = vllmResources(qwen, groups(["g6e.48xlarge", "g6e.12xlarge", "p5.48xlarge"]), ["NVIDIA-L40S"]);
  assert.deepEqual(mixed, {
    requests: { "nvidia.com/gpu": "2", cpu: "23405m", memory: "179054Mi", "ephemeral-storage": "67Gi" },
    limits: { "nvidia.com/gpu": "2", cpu: "23405m", memory: "179054Mi" },
  });
  // Only the H100 product: a quarter of p5.48xlarge's budget (190450m, 1936252 MiB over 8 GPUs).
  assert.deepEqual(vllmResources(qwen, groups(["g6e.12xlarge", "p5.48xlarge"]), ["NVIDIA-H100-80GB-HBM3"]).limits, { "nvidia.com/gpu": "2", cpu: "47612m", memory: "484063Mi" });
  // No product named (no fit): every GPU type the nodeSelector allows, CPU groups ignored.
  assert.deepEqual(vllmResources(qwen, groups(["m6i.2xlarge", "p5.48xlarge", "g6e.12xlarge"]), []).limits, mixed.limits);
  // A smaller type kept at desiredSize 0 has no node to land on: the running g6e.48xlarge's quarter
  // (192 vCPUs less 550m kube-reserved and 1000m for node agents; 1454899 MiB MemTotal less 5667 MiB
  // kube-reserved at 492 pods, 100 Mi eviction and 2048 for node agents), unless every group is at 0.
  const parked = (sizes: number[]) => {
    const c = groups(["g6e.48xlarge", "g6e.12xlarge"]);
    return { ...c, nodeGroups: c.nodeGroups.map((g, i) => ({ ...g, desiredSize: sizes[i] })) };
  };
  assert.deepEqual(vllmResources(qwen, parked([1, 0]), ["NVIDIA-L40S"]).limits, { "nvidia.com/gpu": "2", cpu: "47612m", memory: "361771Mi" });
  assert.deepEqual(vllmResources(qwen, parked([0, 0]), ["NVIDIA-L40S"]).limits, mixed.limits);
  // Likewise a group the fit rejected (its disk too small for the weights): the pod's
  // ephemeral-storage request keeps the replica off it.
  assert.deepEqual(vllmResources(qwen, parked([1, 1]), ["NVIDIA-L40S"], ["g1"]).limits, { "nvidia.com/gpu": "2", cpu: "47612m", memory: "361771Mi" });
  // No catalogued GPU node at all: GPU and disk only, rather than a guess.
  assert.deepEqual(vllmResources(qwen, groups(["m6i.2xlarge"]), []), { requests: { "nvidia.com/gpu": "2", "ephemeral-storage": "67Gi" }, limits: { "nvidia.com/gpu": "2" } });
});
