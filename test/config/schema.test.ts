/**
 * The platform config schema: shipped stacks parse, and each broken config is rejected with a
 * message naming the exact config path and what is allowed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";
import { tempDir } from "../support/tmp";

function expectProblem(platform: unknown, path: string, fragment: RegExp): void {
  const problems = problemsOf(platform);
  const hit = problems.find((p) => p.startsWith(`${path}:`) && fragment.test(p));
  assert.ok(hit, `no problem at ${path} matching ${fragment}; got:\n${problems.join("\n")}`);
}

for (const stack of ["local", "dev", "prod"] as const) {
  test(`shipped stack ${stack} is a valid platform`, () => {
    const spec = parsePlatform(shippedPlatform(stack), stack);
    assert.equal(spec.stack, stack);
    assert.ok(spec.clusters.length >= 1);
  });
}

test("defaults are applied: versions pinned, policy knobs, EPP weights", () => {
  const spec = parsePlatform(shippedPlatform("local"), "local");
  assert.equal(spec.versions.istio, "1.30.3");
  assert.equal(spec.policy.maxCanaryWeight, 10);
  assert.deepEqual(spec.models[0].epp.scorerWeights, { queue: 2, kvCacheUtilization: 2, prefixCache: 3 });
  assert.equal(spec.models[0].epp.failureMode, "FailOpen");
});

test("a version may be parked at 0 replicas with weight 0", () => {
  const p = shippedPlatform("prod");
  p.agents[0].versions = [{ ...p.agents[0].versions[0], weight: 100 }, { ...p.agents[0].versions[1], weight: 0, replicas: 0 }];
  assert.doesNotThrow(() => parsePlatform(p, "test"));
});

test("a stack may override a pinned version", () => {
  const p = shippedPlatform("local");
  p.versions = { istio: "1.29.6", k3s: "v1.34.1+k3s1", vllmImage: "vllm/vllm-openai:v0.21.1" };
  const spec = parsePlatform(p, "local");
  assert.equal(spec.versions.istio, "1.29.6");
  assert.equal(spec.versions.k3s, "v1.34.1+k3s1");
  assert.equal(spec.versions.vllmImage, "vllm/vllm-openai:v0.21.1");
});

test("the k3s API may be public when the policy allows public API endpoints; an in-cluster JWKS over https is allowed", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].apiAllowedCidrs = ["0.0.0.0/0"];
  p.policy.allowPublicApiEndpoints = true;
  p.gateways.agents.jwt.jwksUri = "https://keycloak.auth.svc.cluster.local:8443/realms/agents/protocol/openid-connect/certs";
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});

// `stack`: the shipped stack the case mutates (prod unless given).
const cases: { name: string; mutate: (p: any) => void; path: string; message: RegExp; stack?: "prod" | "local" }[] = [
  {
    name: "duplicated cluster name",
    mutate: (p) => p.clusters.push({ ...p.clusters[0], network: "net-other" }),
    path: "inference-mesh:platform.clusters[3].name",
    message: /duplicate cluster name 'aws-use1'.*must be unique/,
  },
  {
    name: "duplicated network name",
    mutate: (p) => (p.clusters[1].network = p.clusters[0].network),
    path: "inference-mesh:platform.clusters[1].network",
    message: /duplicate network name 'net-aws-use1'/,
  },
  {
    name: "weights that do not sum to 100",
    mutate: (p) => (p.models[1].versions[1].weight = 0) ,
    path: "inference-mesh:platform.models[1].versions",
    message: /weights sum to 95, must be 100/,
  },
  {
    name: "a 50/50 canary above policy.maxCanaryWeight",
    mutate: (p) => {
      p.models[0].versions[0].weight = 50;
      p.models[0].versions[1].weight = 50;
    },
    path: "inference-mesh:platform.models[0].versions[1].weight",
    message: /canary weight 50 exceeds policy.maxCanaryWeight 10/,
  },
  {
    name: "an agent canary above a lowered policy.maxCanaryWeight",
    mutate: (p) => (p.policy = { ...(p.policy ?? {}), maxCanaryWeight: 2 }),
    path: "inference-mesh:platform.agents[0].versions[1].weight",
    message: /canary weight 5 exceeds policy.maxCanaryWeight 2/,
  },
  {
    name: "a split without a canary",
    mutate: (p) => (p.models[0].versions[1].canary = false),
    path: "inference-mesh:platform.models[0].versions",
    message: /has 0 canaries, must have exactly one/,
  },
  {
    name: "two canaries in one split",
    mutate: (p) => (p.agents[0].versions[0].canary = true),
    path: "inference-mesh:platform.agents[0].versions",
    message: /has 2 canaries, must have exactly one/,
  },
  {
    name: "a model placed on an unknown cluster",
    mutate: (p) => (p.models[0].clusters[2] = "gcp-euw4"),
    path: "inference-mesh:platform.models[0].clusters[2]",
    message: /unknown cluster 'gcp-euw4'; known: aws-use1, aws-euw1, gcp-usc1/,
  },
  {
    name: "an agent using an unknown tool",
    mutate: (p) => p.agents[1].tools.push("shell"),
    path: "inference-mesh:platform.agents[1].tools[1]",
    message: /unknown tool 'shell'/,
  },
  {
    name: "an agent using an unknown model",
    mutate: (p) => (p.agents[0].model = "gpt-5"),
    path: "inference-mesh:platform.agents[0].model",
    message: /unknown model 'gpt-5'/,
  },
  {
    name: "a cloud the platform does not know",
    mutate: (p) => (p.clusters[0].cloud = "azure"),
    path: "inference-mesh:platform.clusters[0].cloud",
    message: /aws \(kind eks\), gcp \(kind k3s\), existing/,
  },
  {
    name: "a kind that does not match the cloud",
    mutate: (p) => (p.clusters[0].kind = "k3s"),
    path: "inference-mesh:platform.clusters[0].kind",
    message: /eks/,
  },
  {
    name: "a cluster name that is not DNS-1123",
    mutate: (p) => (p.clusters[0].name = "AWS_use1"),
    path: "inference-mesh:platform.clusters[0].name",
    message: /DNS-1123/,
  },
  {
    name: "an image pinned to latest",
    mutate: (p) => (p.tools[0].image = "ghcr.io/example/tool:latest"),
    path: "inference-mesh:platform.tools[0].image",
    message: /must not use the 'latest' tag/,
  },
  {
    name: "an image without a tag",
    mutate: (p) => (p.agents[0].versions[0].image = "ghcr.io/example/agent"),
    path: "inference-mesh:platform.agents[0].versions[0].image",
    message: /must pin a tag or a digest/,
  },
  {
    name: "a vLLM model on a cluster without GPUs",
    mutate: (p) => {
      p.clusters[0].nodeGroups = [];
      p.models = p.models.map((m: any) => ({ ...m, clusters: ["aws-use1"] }));
    },
    path: "inference-mesh:platform.models[0].clusters[0]",
    message: /needs GPUs, but cluster 'aws-use1' has no GPU node groups/,
  },
  {
    name: "a GPU count that contradicts the catalog",
    mutate: (p) => (p.clusters[0].nodeGroups[0].gpuCount = 8),
    path: "inference-mesh:platform.clusters[0].nodeGroups[0].gpuCount",
    message: /g6e.12xlarge has 4 GPUs per node, not 8/,
  },
  {
    name: "node group sizes out of order",
    mutate: (p) => (p.clusters[2].nodeGroups[1].desiredSize = 9),
    path: "inference-mesh:platform.clusters[2].nodeGroups[1]",
    message: /minSize ≤ desiredSize ≤ maxSize, got 1 ≤ 9 ≤ 3/,
  },
  {
    name: "a GCP machine type on an AWS cluster",
    mutate: (p) => (p.clusters[1].nodeGroups[0].instanceType = "a2-highgpu-1g"),
    path: "inference-mesh:platform.clusters[1].nodeGroups[0].instanceType",
    message: /is a gcp instance type, but cluster 'aws-euw1' is on aws/,
  },
  {
    name: "a model that does not fit its GPUs",
    mutate: (p) => {
      p.models[1].parametersBillions = 405;
    },
    path: "inference-mesh:platform.models[1].clusters[0]",
    message: /model 'qwen3-32b' does not fit cluster 'aws-use1'.*GiB/,
  },
  {
    name: "an unknown key (a typo)",
    mutate: (p) => (p.models[0].replica = 3),
    path: "inference-mesh:platform.models[0]",
    message: /unknown key\(s\) 'replica'/,
  },
  {
    name: "a public EKS endpoint without allowed CIDRs",
    mutate: (p) => (p.clusters[0].endpointPublicAccess = true),
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs",
    message: /public EKS endpoint needs the CIDRs/,
  },
  {
    name: "a missing mesh trust domain",
    mutate: (p) => delete p.mesh.trustDomain,
    path: "inference-mesh:platform.mesh.trustDomain",
    message: /./,
  },
  {
    // Istio 1.30's ValidateTrustDomain: every dot-separated label a DNS-1123 label; istiod refuses the mesh config otherwise.
    name: "a trust domain with an empty label",
    mutate: (p) => (p.mesh.trustDomain = "mesh..example.com"),
    path: "inference-mesh:platform.mesh.trustDomain",
    message: /dot-separated labels of a-z, 0-9 and inner '-'/,
  },
  {
    name: "a trust domain label ending in '-'",
    mutate: (p) => (p.mesh.trustDomain = "mesh-.example.com"),
    path: "inference-mesh:platform.mesh.trustDomain",
    message: /dot-separated labels/,
  },
  {
    name: "a trust domain label over 63 characters",
    mutate: (p) => (p.mesh.trustDomain = `${"m".repeat(64)}.example.com`),
    path: "inference-mesh:platform.mesh.trustDomain",
    message: /label over 63 characters/,
  },
  {
    // agentgateway v1.4.1 AgentgatewayPolicy jwtAuthentication.providers[]: issuer maxLength 256, audiences maxItems 64.
    name: "a JWT issuer agentgateway's CRD refuses (over 256 characters)",
    mutate: (p) => (p.gateways.agents.jwt.issuer = `https://auth.example.com/${"i".repeat(240)}`),
    path: "inference-mesh:platform.gateways.agents.jwt.issuer",
    message: /at most 256 characters/,
  },
  {
    name: "more JWT audiences than agentgateway's CRD takes (64)",
    mutate: (p) => (p.gateways.agents.jwt.audiences = Array.from({ length: 65 }, (_, i) => `aud-${i}`)),
    path: "inference-mesh:platform.gateways.agents.jwt.audiences",
    message: /at most 64 audiences/,
  },
  {
    name: "TLS off while the policy requires it",
    mutate: (p) => (p.gateways.inference.tls = { mode: "none" }),
    path: "inference-mesh:platform.gateways.inference.tls.mode",
    message: /only allowed when policy.requireTls is false/,
  },
  {
    name: "a canary weight given as a fraction",
    mutate: (p) => (p.models[0].versions[1].weight = 0.05),
    path: "inference-mesh:platform.models[0].versions[1].weight",
    message: /int/i,
  },
  {
    name: "a CIDR with an octet over 255",
    mutate: (p) => (p.clusters[0].vpcCidr = "10.300.0.0/16"),
    path: "inference-mesh:platform.clusters[0].vpcCidr",
    message: /'10\.300\.0\.0\/16' octet 300 is over 255/,
  },
  {
    name: "a CIDR with host bits set",
    mutate: (p) => (p.clusters[2].apiAllowedCidrs = ["198.51.100.7/24"]),
    path: "inference-mesh:platform.clusters[2].apiAllowedCidrs[0]",
    message: /host bits set; the network is 198\.51\.100\.0\/24/,
  },
  {
    name: "a prefix over /32",
    mutate: (p) => (p.clusters[0].publicAccessCidrs = ["203.0.113.0/33"]),
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs[0]",
    message: /prefix \/33 is over \/32/,
  },
  {
    name: "two clusters' address ranges overlapping",
    mutate: (p) => (p.clusters[2].subnetCidr = "10.11.128.0/20"),
    path: "inference-mesh:platform.clusters[2].subnetCidr",
    message: /10\.11\.128\.0\/20 overlaps 10\.11\.0\.0\/16 of cluster 'aws-euw1' \(clusters\[1\]\.vpcCidr\)/,
  },
  {
    name: "a k3s subnet over k3s's own pod range",
    mutate: (p) => (p.clusters[2].subnetCidr = "10.42.0.0/20"),
    path: "inference-mesh:platform.clusters[2].subnetCidr",
    message: /overlaps k3s's pod range \(cluster-cidr\) 10\.42\.0\.0\/16/,
  },
  {
    name: "an EKS VPC inside a k3s cluster's pod range (its pods route those addresses into flannel's overlay, unmasqueraded)",
    mutate: (p) => (p.clusters[0].vpcCidr = "10.42.0.0/16"),
    path: "inference-mesh:platform.clusters[0].vpcCidr",
    message: /10\.42\.0\.0\/16 overlaps the pod range \(cluster-cidr\) 10\.42\.0\.0\/16 of the k3s cluster\(s\) 'gcp-usc1', whose pods could not reach this network/,
  },
  {
    name: "an EKS VPC over both of a k3s cluster's ranges (one problem naming both)",
    mutate: (p) => (p.clusters[1].vpcCidr = "10.42.0.0/15"),
    path: "inference-mesh:platform.clusters[1].vpcCidr",
    message: /overlaps the pod range \(cluster-cidr\) 10\.42\.0\.0\/16 and service range \(service-cidr\) 10\.43\.0\.0\/16 of the k3s cluster\(s\) 'gcp-usc1'.*outside 10\.42\.0\.0\/15/,
  },
  {
    name: "an HBONE peer range inside k3s's service range (replies would go to its own Services)",
    mutate: (p) => (p.clusters[2].hbonePeerCidrs = ["192.0.2.0/24", "10.43.128.0/20"]),
    path: "inference-mesh:platform.clusters[2].hbonePeerCidrs[1]",
    message: /10\.43\.128\.0\/20 overlaps k3s's service range \(service-cidr\) 10\.43\.0\.0\/16: this cluster routes those addresses to its own pods and Services/,
  },
  {
    name: "a typo in a GPU instance type (it would pass as a CPU node group)",
    mutate: (p) => (p.clusters[0].nodeGroups[0].instanceType = "g6e.12xlage"),
    path: "inference-mesh:platform.clusters[0].nodeGroups[0].instanceType",
    message: /'g6e\.12xlage' is not a catalogued size of the GPU family g6e: use one of .*g6e\.12xlarge/,
  },
  {
    name: "a typo in a GCP GPU machine type (it would pass as a CPU agent group)",
    mutate: (p) => (p.clusters[2].nodeGroups[1].instanceType = "a2-ultragpu-3g"),
    path: "inference-mesh:platform.clusters[2].nodeGroups[1].instanceType",
    message: /'a2-ultragpu-3g' is not a catalogued size of the GPU family a2: use one of .*a2-ultragpu-4g/,
  },
  {
    name: "something that is not a GCE machine type",
    mutate: (p) => (p.clusters[2].nodeGroups[0].instanceType = "e2.standard.8"),
    path: "inference-mesh:platform.clusters[2].nodeGroups[0].instanceType",
    message: /not a GCE machine type \(family-series-size/,
  },
  {
    name: "the agent gateway on the inference gateway's port on a k3s cluster (ServiceLB host ports)",
    mutate: (p) => delete p.gateways.agents.port,
    path: "inference-mesh:platform.gateways.agents.port",
    message: /port 443 \(the default\) is also the inference gateway's on k3s cluster\(s\) 'gcp-usc1'.*ServiceLB.*e\.g\. 8443/,
  },
  {
    name: "the agent gateway on the inference gateway's in-mesh port on a k3s cluster",
    mutate: (p) => (p.gateways.agents.port = 80),
    path: "inference-mesh:platform.gateways.agents.port",
    message: /port 80 is also the inference gateway's/,
  },
  {
    name: "something that is not an EC2 instance type",
    mutate: (p) => (p.clusters[0].nodeGroups[0].instanceType = "large-gpu-box"),
    path: "inference-mesh:platform.clusters[0].nodeGroups[0].instanceType",
    message: /not an EC2 instance type/,
  },
  {
    name: "a LoRA source that is neither a Hugging Face repo nor a path",
    mutate: (p) => (p.models[0].loraAdapters[0].source = "support tone adapter"),
    path: "inference-mesh:platform.models[0].loraAdapters[0].source",
    message: /must be a Hugging Face repo/,
  },
  {
    // vLLM's --lora-modules reads `name=path` by splitting on '=' (too many values: it exits).
    name: "a LoRA path with '=' that vLLM's name=path parser splits apart",
    mutate: (p) => (p.models[0].loraAdapters[0].source = "/adapters/run=3"),
    path: "inference-mesh:platform.models[0].loraAdapters[0].source",
    message: /must not contain ',' or '=': vLLM parses --lora-modules name=path/,
  },
  {
    name: "a LoRA path with ',' that vLLM would read as JSON",
    mutate: (p) => (p.models[0].loraAdapters[0].source = "/adapters/a,b"),
    path: "inference-mesh:platform.models[0].loraAdapters[0].source",
    message: /must not contain ',' or '='/,
  },
  {
    // BBR (GIE v1.5.0) trims the model name before writing X-Gateway-Base-Model-Name; the route matches it exactly.
    name: "a simulator's served model name padded with whitespace",
    stack: "local",
    mutate: (p) => (p.models[0].servedModelName = " Qwen/Qwen3-0.6B"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /must not start or end with whitespace: the body-based router trims/,
  },
  {
    name: "a simulator's served model name that reads as a flag",
    stack: "local",
    mutate: (p) => (p.models[0].servedModelName = "--demo"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /must not start with '-'/,
  },
  {
    name: "a served model name longer than an HTTPRoute header match takes",
    stack: "local",
    mutate: (p) => (p.models[0].servedModelName = "m".repeat(4097)),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /4096/,
  },
  {
    name: "a served model name with a control character (a header value cannot carry it)",
    stack: "local",
    mutate: (p) => (p.models[0].servedModelName = "org/m\n%%{x"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /must not contain control characters .*X-Gateway-Base-Model-Name header/,
  },
  {
    name: "a LoRA path that is the root directory",
    mutate: (p) => (p.models[0].loraAdapters[0].source = "/"),
    path: "inference-mesh:platform.models[0].loraAdapters[0].source",
    message: /must name the adapter's directory/,
  },
  {
    // agentgateway v1.4.1's controller fetches the JWKS from agentgateway-system, which is not in
    // the ambient mesh: nothing encrypts a plain-http fetch, in-cluster or not.
    name: "a JWKS fetched over plain http from an in-cluster Service",
    mutate: (p) => (p.gateways.agents.jwt.jwksUri = "http://keycloak.auth.svc.cluster.local:8080/realms/agents/protocol/openid-connect/certs"),
    path: "inference-mesh:platform.gateways.agents.jwt.jwksUri",
    message: /must be https:\/\/: agentgateway's controller fetches the keys from agentgateway-system, outside the ambient mesh/,
  },
  {
    name: "a JWKS fetched over plain http from outside the cluster",
    mutate: (p) => (p.gateways.agents.jwt.jwksUri = "http://auth.example.com/.well-known/jwks.json"),
    path: "inference-mesh:platform.gateways.agents.jwt.jwksUri",
    message: /must be https:\/\//,
  },
  {
    name: "both gateways on one hostname",
    mutate: (p) => (p.gateways.agents.hostname = p.gateways.inference.hostname),
    path: "inference-mesh:platform.gateways.agents.hostname",
    message: /also gateways\.inference\.hostname/,
  },
  {
    name: "a GCP zone outside the cluster's region",
    mutate: (p) => (p.clusters[2].zone = "europe-west4-a"),
    path: "inference-mesh:platform.clusters[2].zone",
    message: /zone 'europe-west4-a' is not in region 'us-central1'/,
  },
  {
    name: "the k3s API open to the internet while public endpoints are not allowed",
    mutate: (p) => (p.clusters[2].apiAllowedCidrs = ["0.0.0.0/0"]),
    path: "inference-mesh:platform.clusters[2].apiAllowedCidrs[0]",
    message: /opens the k3s API to the whole internet.*allowPublicApiEndpoints is false/,
  },
  {
    name: "a version override that is a moving tag",
    mutate: (p) => (p.versions = { istio: "latest" }),
    path: "inference-mesh:platform.versions.istio",
    message: /must be one exact release/,
  },
  {
    name: "a chart version Helm would read as a range",
    mutate: (p) => (p.versions = { nvidiaDevicePlugin: "0.20" }),
    path: "inference-mesh:platform.versions.nvidiaDevicePlugin",
    message: /must be one exact release, major\.minor\.patch/,
  },
  {
    name: "a non-chart version that is a moving tag",
    mutate: (p) => (p.versions = { k3s: "stable" }),
    path: "inference-mesh:platform.versions.k3s",
    message: /must be a k3s release such as v1\.33\.5\+k3s1/,
  },
  {
    name: "a release-manifest version without the tag's v (the download URL would not exist)",
    mutate: (p) => (p.versions = { gatewayApi: "1.5.1" }),
    path: "inference-mesh:platform.versions.gatewayApi",
    message: /must be the release tag, 'v' \+ major\.minor\.patch/,
  },
  {
    name: "an agentgateway version without the v its images are tagged with",
    mutate: (p) => (p.versions = { agentgateway: "1.4.1" }),
    path: "inference-mesh:platform.versions.agentgateway",
    message: /must be the release tag, 'v' \+ major\.minor\.patch/,
  },
  {
    name: "an EKS version with a patch level",
    mutate: (p) => (p.versions = { eksKubernetes: "1.33.5" }),
    path: "inference-mesh:platform.versions.eksKubernetes",
    message: /EKS Kubernetes minor version/,
  },
  {
    name: "an image override at :latest",
    mutate: (p) => (p.versions = { vllmImage: "vllm/vllm-openai:latest" }),
    path: "inference-mesh:platform.versions.vllmImage",
    message: /must not use the 'latest' tag/,
  },
  {
    name: "an unknown TLS mode (the message lists the modes, not the clouds)",
    mutate: (p) => (p.gateways.inference.tls = { mode: "magic" }),
    path: "inference-mesh:platform.gateways.inference.tls.mode",
    message: /must be one of 'selfSigned', 'secret', 'none'$/,
  },
  {
    name: "a tool listening on a port ztunnel owns",
    mutate: (p) => (p.tools[0].port = 15008),
    path: "inference-mesh:platform.tools[0].port",
    message: /is reserved by Istio/,
  },
  {
    name: "an agent listening on Istio's health port",
    mutate: (p) => (p.agents[0].port = 15021),
    path: "inference-mesh:platform.agents[0].port",
    message: /is reserved by Istio/,
  },
  {
    name: "a LoRA adapter name used twice",
    mutate: (p) => p.models[0].loraAdapters.push({ ...p.models[0].loraAdapters[0], source: "org/other-adapter" }),
    path: "inference-mesh:platform.models[0].loraAdapters[1].name",
    message: /duplicate adapter name 'support-tone'/,
  },
  {
    name: "a LoRA adapter named like another model",
    mutate: (p) => (p.models[0].loraAdapters[0].name = p.models[1].servedModelName),
    path: "inference-mesh:platform.models[0].loraAdapters[0].name",
    message: /is the servedModelName of models\[1\]/,
  },
  {
    name: "an image whose repository has uppercase letters",
    mutate: (p) => (p.tools[0].image = "ghcr.io/Inference-Mesh/tool:1.0.0"),
    path: "inference-mesh:platform.tools[0].image",
    message: /invalid repository 'Inference-Mesh\/tool'/,
  },
  {
    name: "an image with a malformed digest",
    mutate: (p) => (p.agents[0].versions[0].image = "ghcr.io/x/agent@sha256:abc"),
    path: "inference-mesh:platform.agents[0].versions[0].image",
    message: /malformed digest/,
  },
  {
    name: "a GCP project that is not a project ID",
    mutate: (p) => (p.clusters[2].project = "My_Project"),
    path: "inference-mesh:platform.clusters[2].project",
    message: /must be a GCP project ID/,
  },
  {
    name: "an agent version scaled to zero that still receives traffic",
    mutate: (p) => (p.agents[0].versions[1].replicas = 0),
    path: "inference-mesh:platform.agents[0].versions[1].replicas",
    message: /version 'v2' has 0 replicas but receives 5% of the traffic/,
  },
  {
    name: "two agents whose versions derive one name (research-agent v2 vs research-agent-v2 v…)",
    mutate: (p) => {
      p.agents[1].name = "research";
      p.agents[1].versions[0].name = "agent-v2";
    },
    path: "inference-mesh:platform.agents[1].versions[0].name",
    message: /agent 'research' version 'agent-v2' derives the workload name 'research-agent-v2', which is already the workload name of agent 'research-agent' version 'v2'/,
  },
  {
    name: "a tool named like the MCP gateway's proxy (it would wear the gateway's mesh identity)",
    mutate: (p) => (p.tools[2].name = "mcp-gateway"),
    path: "inference-mesh:platform.tools[2].name",
    message: /tool 'mcp-gateway' derives the workload name 'mcp-gateway', which is already the MCP gateway's proxy/,
  },
  {
    name: "a model version whose endpoint picker is named like another model's pool",
    mutate: (p) => {
      p.models[1].name = "llama-3-1-8b-v1";
      p.models[1].versions[0].name = "epp";
    },
    path: "inference-mesh:platform.models[1].versions[0].name",
    message: /derives the pool 'llama-3-1-8b-v1-epp', which is already the endpoint picker of model 'llama-3-1-8b' version 'v1'/,
  },
  {
    name: "node groups of two clusters that derive one resource name",
    mutate: (p) => {
      p.clusters[0].name = "aws";
      p.clusters[0].nodeGroups[0].name = "euw1-gpu-a10g";
      p.models.forEach((m: any) => (m.clusters = m.clusters.map((c: string) => (c === "aws-use1" ? "aws" : c))));
    },
    path: "inference-mesh:platform.clusters[1].nodeGroups[0].name",
    message: /cluster 'aws-euw1' node group 'gpu-a10g' derives the node group resource 'aws-euw1-gpu-a10g', which is already the node group resource of cluster 'aws' node group 'euw1-gpu-a10g'/,
  },
  {
    name: "an EKS node group named like the system group",
    mutate: (p) => (p.clusters[1].nodeGroups[1].name = "system"),
    path: "inference-mesh:platform.clusters[1].nodeGroups[1].name",
    message: /derives the node group resource 'aws-euw1-system', which is already the system node group resource of cluster 'aws-euw1'/,
  },
  {
    name: "a GCP cluster name too long for the GCE names derived from it",
    mutate: (p) => {
      const long = "gcp-" + "a".repeat(28);
      p.models.forEach((m: any) => (m.clusters = m.clusters.map((c: string) => (c === p.clusters[2].name ? long : c))));
      p.clusters[2].name = long;
    },
    path: "inference-mesh:platform.clusters[2].name",
    message: /'gcp-a+' is 32 characters; gcp cluster names may have at most 31/,
  },
  {
    name: "more vLLM GPUs on a cluster than its GPU node groups have at desiredSize (no autoscaler)",
    mutate: (p) => (p.clusters[2].nodeGroups[1].desiredSize = 2),
    path: "inference-mesh:platform.clusters[2].nodeGroups",
    message: /cluster 'gcp-usc1' at desiredSize cannot hold every model replica placed there .*1 of 1 replica\(s\) of 'llama-3-1-8b' v2 .* would stay Pending; GPU nodes: 'gpu-a100' 2 × a2-ultragpu-4g/,
  },
  {
    name: "enough GPUs in all but per node: two replicas that each need most of a node's disk",
    mutate: (p) => {
      const qwen = p.models.find((m: any) => m.name === "qwen3-32b");
      qwen.versions = [{ name: "v1", weight: 100, replicas: 2 }];
      const group = p.clusters[0].nodeGroups.find((g: any) => g.instanceType === "p5.48xlarge");
      group.diskSizeGiB = 120;
      p.clusters[0].nodeGroups = [group];
      p.models.forEach((m: any) => (m.clusters = m.clusters.filter((c: string) => c !== "aws-use1").concat(m === qwen ? ["aws-use1"] : [])));
    },
    path: "inference-mesh:platform.clusters[0].nodeGroups",
    message: /1 of 2 replica\(s\) of 'qwen3-32b' v1 \(2 × NVIDIA-H100-80GB-HBM3, 67 GiB disk\) would stay Pending; GPU nodes: 'gpu-h100' 1 × p5\.48xlarge \(8 GPUs, 120 GiB disk\)/,
  },
  {
    name: "an agent gateway port the nodes already use",
    mutate: (p) => (p.gateways.agents.port = 6443),
    path: "inference-mesh:platform.gateways.agents.port",
    message: /is taken on the nodes/,
  },
  {
    name: "an EKS node group name too long for its generated name",
    mutate: (p) => (p.clusters[0].nodeGroups[0].name = "n".repeat(37)),
    path: "inference-mesh:platform.clusters[0].nodeGroups[0].name",
    message: /EKS node group names .* at most 36/,
  },
  {
    name: "an agent hostname over Gateway API's 253 characters",
    mutate: (p) => (p.gateways.agents.hostname = Array.from({ length: 4 }, () => "a".repeat(60)).join(".") + ".com"),
    path: "inference-mesh:platform.gateways.agents.hostname",
    message: /Gateway API allows 253/,
  },
  {
    name: "an agent named like the agent gateway's LLM host",
    mutate: (p) => (p.agents[1].name = "llm"),
    path: "inference-mesh:platform.agents[1].name",
    message: /'llm' is the agent gateway's LLM host \(llm\.agents\.example\.com, gateways\.agents\.llm\.subdomain\)/,
  },
  {
    name: "an LLM subdomain an agent already holds",
    mutate: (p) => (p.gateways.agents.llm = { subdomain: "research-agent" }),
    path: "inference-mesh:platform.agents[0].name",
    message: /'research-agent' is the agent gateway's LLM host \(research-agent\.agents\.example\.com/,
  },
  {
    name: "an LLM host over Gateway API's 253 characters",
    mutate: (p) => {
      // 215 characters: every agent's host fits, the LLM host (41 more) does not.
      p.gateways.agents.hostname = Array.from({ length: 4 }, () => "a".repeat(50)).join(".") + ".example.com";
      p.gateways.agents.llm = { subdomain: "l".repeat(40) };
    },
    path: "inference-mesh:platform.gateways.agents.hostname",
    message: /the LLM routes \(gateways\.agents\.llm\.subdomain 'l{40}'\) would be served at a 256-character hostname; Gateway API allows 253/,
  },
  {
    name: "an LLM token budget of zero",
    mutate: (p) => (p.gateways.agents.llm = { tokensPerMinute: 0 }),
    path: "inference-mesh:platform.gateways.agents.llm.tokensPerMinute",
    message: />=\s*1|at least 1|too small/i,
  },
  {
    name: "an LLM subdomain that is not a DNS label",
    mutate: (p) => (p.gateways.agents.llm = { subdomain: "LLM.api" }),
    path: "inference-mesh:platform.gateways.agents.llm.subdomain",
    message: /DNS-1123 label/,
  },
  {
    name: "a vLLM servedModelName that vLLM cannot load",
    mutate: (p) => (p.models[0].servedModelName = "Llama 3.1 8B"),
    path: "inference-mesh:platform.models[0].servedModelName",
    message: /is what vLLM loads \(--model\)/,
  },
  {
    name: "a tool named like another tool's agents policy",
    mutate: (p) => (p.tools[2].name = "web-search-agents"),
    path: "inference-mesh:platform.tools[2].name",
    message: /derives the workload name 'web-search-agents', which is already the AuthorizationPolicy for its agents of tool 'web-search'/,
  },
  {
    name: "a JWT block with both a JWKS URI and a self-signed key",
    mutate: (p) => (p.gateways.agents.jwt.selfSigned = true),
    path: "inference-mesh:platform.gateways.agents.jwt",
    message: /set exactly one of jwksUri .* and selfSigned: true/,
  },
  {
    name: "a public agent gateway without JWT authentication",
    mutate: (p) => delete p.gateways.agents.jwt,
    path: "inference-mesh:platform.gateways.agents.jwt",
    message: /is required: on 'aws-use1', 'aws-euw1', 'gcp-usc1' the agent gateway is a public load balancer/,
  },
  {
    name: "a hostname with an empty label (Gateway API rejects it)",
    mutate: (p) => (p.gateways.inference.hostname = "inference..example.com"),
    path: "inference-mesh:platform.gateways.inference.hostname",
    message: /must be a lowercase DNS hostname/,
  },
  {
    name: "a hostname label starting with '-'",
    mutate: (p) => (p.gateways.agents.hostname = "agents.-x.example.com"),
    path: "inference-mesh:platform.gateways.agents.hostname",
    message: /must be a lowercase DNS hostname/,
  },
  {
    name: "a JWKS URI without the document's path",
    mutate: (p) => (p.gateways.agents.jwt.jwksUri = "https://auth.example.com/"),
    path: "inference-mesh:platform.gateways.agents.jwt.jwksUri",
    message: /must include the JWKS document's path/,
  },
  {
    name: "a public EKS endpoint the stack's policy forbids",
    mutate: (p) => {
      p.clusters[0].endpointPublicAccess = true;
      p.clusters[0].publicAccessCidrs = ["203.0.113.0/24"];
    },
    path: "inference-mesh:platform.clusters[0].endpointPublicAccess",
    message: /needs policy\.allowPublicApiEndpoints: true/,
  },
  {
    name: "a public EKS endpoint open to the whole internet",
    mutate: (p) => {
      p.clusters[0].endpointPublicAccess = true;
      p.clusters[0].publicAccessCidrs = ["0.0.0.0/0"];
      p.policy.allowPublicApiEndpoints = true;
    },
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs[0]",
    message: /opens the EKS API to the whole internet/,
  },
  {
    name: "a third version above the canary limit beside the primary",
    mutate: (p) => {
      p.models[0].versions[0].weight = 50;
      p.models[0].versions.push({ name: "v1b", weight: 45, replicas: 1 });
    },
    path: "inference-mesh:platform.models[0].versions[2].weight",
    message: /version 'v1b' gets 45% beside the primary 'v1'/,
  },
  {
    name: "system node group sizes out of order",
    mutate: (p) => (p.clusters[0].systemNodeGroup = { instanceType: "m6i.2xlarge", minSize: 3, desiredSize: 2, maxSize: 1 }),
    path: "inference-mesh:platform.clusters[0].systemNodeGroup",
    message: /minSize ≤ desiredSize ≤ maxSize, got 3 ≤ 2 ≤ 1/,
  },
  {
    name: "a k3s server machine type that is not one",
    mutate: (p) => (p.clusters[2].serverMachineType = "Huge Machine"),
    path: "inference-mesh:platform.clusters[2].serverMachineType",
    message: /not a GCE machine type/,
  },
  {
    name: "GCE names too long once cluster and group are joined",
    mutate: (p) => {
      const long = "gcp-us-central1-" + "a".repeat(15);
      p.models.forEach((m: any) => (m.clusters = m.clusters.map((c: string) => (c === p.clusters[2].name ? long : c))));
      p.agents.forEach((a: any) => a.clusters && (a.clusters = a.clusters.map((c: string) => (c === p.clusters[2].name ? long : c))));
      p.clusters[2].name = long;
      p.clusters[2].nodeGroups[1].name = "gpu-" + "a".repeat(19);
    },
    path: "inference-mesh:platform.clusters[2].nodeGroups[1].name",
    message: /GCE instance templates and groups take at most 53/,
  },
  {
    name: "an agent cluster listed twice",
    mutate: (p) => (p.agents[1].clusters = ["aws-euw1", "aws-euw1"]),
    path: "inference-mesh:platform.agents[1].clusters[1]",
    message: /cluster 'aws-euw1' listed twice/,
  },
  {
    name: "an empty agent cluster list (the agent would run nowhere)",
    mutate: (p) => (p.agents[0].clusters = []),
    path: "inference-mesh:platform.agents[0].clusters",
    message: /omit it to follow its model's clusters/,
  },
  {
    name: "an Arm (Graviton) system node group, which EKS refuses with the x86_64 AMI",
    mutate: (p) => (p.clusters[0].systemNodeGroup.instanceType = "m7g.xlarge"),
    path: "inference-mesh:platform.clusters[0].systemNodeGroup.instanceType",
    message: /'m7g\.xlarge' is an Arm \(Graviton\) type; the nodes boot x86_64 images/,
  },
  {
    name: "an Arm CPU node group on EKS",
    mutate: (p) => p.clusters[0].nodeGroups.push({ name: "cpu", instanceType: "c7gn.2xlarge", minSize: 1, desiredSize: 1, maxSize: 2 }),
    path: "inference-mesh:platform.clusters[0].nodeGroups[2].instanceType",
    message: /Arm \(Graviton\)/,
  },
  {
    name: "an Arm k3s server",
    mutate: (p) => (p.clusters[2].serverMachineType = "t2a-standard-4"),
    path: "inference-mesh:platform.clusters[2].serverMachineType",
    message: /'t2a-standard-4' is an Arm \(Axion\/Ampere\/Grace\) type/,
  },
  {
    name: "a GPU instance type the catalog lacks (it would pass as a CPU group)",
    mutate: (p) => (p.clusters[0].nodeGroups[0].instanceType = "g4dn.12xlarge"),
    path: "inference-mesh:platform.clusters[0].nodeGroups[0].instanceType",
    message: /'g4dn\.12xlarge' has GPUs, but the GPU catalog \(components\/gpu\/catalog\.ts\) does not know them.*catalogued aws GPU families: g5, g6, g6e, p4d, p4de, p5, p5e, p5en; add the type to the catalog/,
  },
  {
    name: "a GCE GPU series the catalog lacks",
    mutate: (p) => (p.clusters[2].nodeGroups[1].instanceType = "a4-highgpu-8g"),
    path: "inference-mesh:platform.clusters[2].nodeGroups[1].instanceType",
    message: /'a4-highgpu-8g' has GPUs.*catalogued gcp GPU families: a2, a3, g2;/,
  },
  {
    name: "a TLS secret mode without its secret name",
    mutate: (p) => delete p.gateways.inference.tls.secretName,
    path: "inference-mesh:platform.gateways.inference.tls.secretName",
    message: /is required \(string\)/,
  },
  {
    name: "two models serving one servedModelName (requests for it would be ambiguous)",
    mutate: (p) => (p.models[1].servedModelName = p.models[0].servedModelName),
    path: "inference-mesh:platform.models[1].servedModelName",
    message: /: duplicate served model name 'meta-llama\/Llama-3\.1-8B-Instruct' \(also at models\[0\]\) on clusters 'aws-use1', 'gcp-usc1'; each cluster's router maps a requested name to one model, so models sharing a cluster serve distinct names$/,
  },
  {
    name: "a model serving the name of an earlier model's adapter on a shared cluster",
    mutate: (p) => (p.models[1].servedModelName = p.models[0].loraAdapters[0].name),
    path: "inference-mesh:platform.models[0].loraAdapters[0].name",
    message: /adapter name 'support-tone' is the servedModelName of models\[1\] on clusters 'aws-use1', 'gcp-usc1'; requests for it would be ambiguous/,
  },
  {
    name: "agents without an agent gateway",
    mutate: (p) => delete p.gateways.agents,
    path: "inference-mesh:platform.gateways.agents",
    message: /: agents are configured, so the agent gateway \(hostname, tls, jwt\) is required$/,
  },
  {
    name: "a tool named like an agent",
    mutate: (p) => p.tools.push({ name: "research-agent", image: "ghcr.io/inference-mesh/examples/mcp-calculator:0.1.0", port: 8000 }),
    path: "inference-mesh:platform.tools[3].name",
    message: /: 'research-agent' is also an agent name; agents and tools need distinct names$/,
  },
  {
    name: "a tool listed twice in an agent's tools",
    mutate: (p) => p.agents[0].tools.push("web-search"),
    path: "inference-mesh:platform.agents[0].tools[2]",
    message: /: tool 'web-search' listed twice$/,
  },
  {
    name: "node groups on an existing cluster",
    stack: "local",
    mutate: (p) => (p.clusters[0].nodeGroups = [{ name: "cpu", instanceType: "m6i.2xlarge", minSize: 1, desiredSize: 1, maxSize: 2 }]),
    path: "inference-mesh:platform.clusters[0].nodeGroups[0].instanceType",
    message: /: existing clusters bring their own nodes: remove nodeGroups or use cloud aws\|gcp$/,
  },
  {
    name: "more availability zones than the region offers an EKS cluster (us-west-1: newer accounts see two, EKS refuses usw1-az2)",
    mutate: (p) => (p.clusters[1].region = "us-west-1"),
    path: "inference-mesh:platform.clusters[1].availabilityZones",
    message: /: 3 is more than the 2 availability zones us-west-1 offers an EKS cluster \(newer accounts see two of its three, and EKS refuses usw1-az2\); use 2 \(the table is infra\/regions\.ts\)$/,
  },
  {
    name: "more availability zones than the region has (awsx fails the preview)",
    mutate: (p) => (p.clusters[1].availabilityZones = 4),
    path: "inference-mesh:platform.clusters[1].availabilityZones",
    message: /: 4 is more than the 3 availability zones eu-west-1 offers an EKS cluster; use 2 to 3 \(the table is infra\/regions\.ts\)$/,
  },
  {
    name: "all six us-east-1 zones (EKS refuses use1-az3)",
    mutate: (p) => (p.clusters[0].availabilityZones = 6),
    path: "inference-mesh:platform.clusters[0].availabilityZones",
    message: /: 6 is more than the 5 availability zones us-east-1 offers an EKS cluster \(EKS refuses use1-az3, its sixth\); use 2 to 5/,
  },
  {
    name: "a misspelt EC2 size on the system node group",
    mutate: (p) => (p.clusters[0].systemNodeGroup.instanceType = "m6i.2xlage"),
    path: "inference-mesh:platform.clusters[0].systemNodeGroup.instanceType",
    message: /: 'm6i\.2xlage' has no EC2 size '2xlage': sizes are nano, micro, small, medium, large, xlarge, <n>xlarge \(n = 2, 3, 4, .*\), metal and metal-<n>xl/,
  },
  {
    name: "an EC2 size that does not exist on a CPU node group",
    mutate: (p) => p.clusters[0].nodeGroups.push({ name: "cpu", instanceType: "m6i.huge", minSize: 1, desiredSize: 1, maxSize: 2 }),
    path: "inference-mesh:platform.clusters[0].nodeGroups[2].instanceType",
    message: /: 'm6i\.huge' has no EC2 size 'huge'/,
  },
  {
    name: "a misspelt GCE machine class on a CPU agent group",
    mutate: (p) => (p.clusters[2].nodeGroups[0].instanceType = "e2-standrd-8"),
    path: "inference-mesh:platform.clusters[2].nodeGroups[0].instanceType",
    message: /: 'e2-standrd-8' is not a GCE machine type: E2 types are e2-standard-\{2,4,8,16,32\}, e2-highmem-\{2,4,8,16\}, e2-highcpu-\{2,4,8,16,32\}, e2-micro, e2-small, e2-medium or e2-custom-<vCPUs>-<MB> \(Google's machine-type tables, kept in components\/cloud\/machine-types\.ts/,
  },
  {
    name: "a GCE vCPU count its series does not offer on the k3s server",
    mutate: (p) => (p.clusters[2].serverMachineType = "e2-standard-3"),
    path: "inference-mesh:platform.clusters[2].serverMachineType",
    message: /: 'e2-standard-3' is not a GCE machine type: e2-standard types are e2-standard-\{2,4,8,16,32\}/,
  },
  {
    name: "a GCE custom type with a vCPU count its series refuses",
    mutate: (p) => (p.clusters[2].nodeGroups[0].instanceType = "n2-custom-34-8192"),
    path: "inference-mesh:platform.clusters[2].nodeGroups[0].instanceType",
    message: /: 'n2-custom-34-8192' is not a GCE machine type: N2 custom types take 2 to 80 vCPUs \(an even count up to 32, a multiple of 4 above\), not 34$/,
  },
  {
    name: "a custom type of a GCE series that has none",
    mutate: (p) => (p.clusters[2].serverMachineType = "c3-custom-4-8192"),
    path: "inference-mesh:platform.clusters[2].serverMachineType",
    message: /: 'c3-custom-4-8192' is not a GCE machine type: C3 has no custom machine types; its types are c3-standard-\{4,8,22,44,88,176\}/,
  },
];

test("image references: registries with ports, nested paths, digests; latest is allowed only behind a digest", () => {
  for (const ok of ["localhost:5000/team/img:1.2.3", "registry.k8s.io/pause:3.10", "a/b__c/d--e:1", `busybox:latest@sha256:${"a".repeat(64)}`]) {
    const p = shippedPlatform("prod");
    p.tools[0].image = ok;
    assert.doesNotThrow(() => parsePlatform(p, "test"), ok);
  }
  for (const bad of ["busybox:LATEST", "Foo/bar:1", "a/-b:1", "a:b:c"]) {
    const p = shippedPlatform("prod");
    p.tools[0].image = bad;
    assert.ok(problemsOf(p).some((l) => l.startsWith("inference-mesh:platform.tools[0].image")), bad);
  }
});

for (const c of cases) {
  test(`rejects ${c.name}, naming ${c.path}`, () => {
    const p = shippedPlatform(c.stack ?? "prod");
    c.mutate(p);
    expectProblem(p, c.path, c.message);
  });
}

test("k3s's pod and service ranges bind only where a k3s cluster reaches the network: an EKS-only stack may use 10.42.0.0/16", () => {
  const p = shippedPlatform("dev");
  p.clusters[0].vpcCidr = "10.42.0.0/16";
  assert.doesNotThrow(() => parsePlatform(p, "dev"));
  const prod = shippedPlatform("prod");
  prod.clusters[0].vpcCidr = "10.42.0.0/16";
  // Reported once, on the VPC, not again on the k3s cluster.
  assert.deepEqual(problemsOf(prod).filter((l) => /10\.42\.0\.0\/16/.test(l)).map((l) => l.split(": ")[0]), ["inference-mesh:platform.clusters[0].vpcCidr"]);
});

test("every problem is reported at once, one per line", () => {
  const p = shippedPlatform("prod");
  p.clusters[1].network = p.clusters[0].network;
  p.models[0].versions[0].weight = 50;
  p.agents[0].tools.push("shell");
  const problems = problemsOf(p);
  assert.ok(problems.length >= 3, problems.join("\n"));
  assert.ok(problems.every((line) => line.startsWith("inference-mesh:platform")));
});

test("field errors do not hide the cross-field problems of the same config", () => {
  // The shipped models omit loraAdapters: a field error elsewhere must not drop the rest.
  const p = shippedPlatform("prod");
  p.mesh.trustDomain = "Not A Domain";
  p.clusters[1].name = p.clusters[0].name;
  p.models[0].versions[0].weight = 50;
  p.agents[0].model = "no-such-model";
  const problems = problemsOf(p);
  for (const expected of [/mesh\.trustDomain/, /clusters\[1\]\.name: duplicate cluster name/, /models\[0\]\.versions: weights sum to/, /agents\[0\]\.model/]) {
    assert.ok(problems.some((l) => expected.test(l)), `${expected} in:\n${problems.join("\n")}`);
  }
});

test("an existing cluster's kubeconfig that is here is read at validation: a directory, bad YAML or a missing context names its path", () => {
  const dir = tempDir("kubeconfig-");
  const file = path.join(dir, "config");
  fs.writeFileSync(file, "apiVersion: v1\nkind: Config\ncontexts:\n- name: laptop\n  context: {cluster: k3s}\nclusters:\n- name: k3s\n  cluster: {server: https://127.0.0.1:6443}\n");
  const local = (extra: Record<string, unknown>) => {
    const p = shippedPlatform("local");
    Object.assign(p.clusters[0], extra);
    return p;
  };
  assert.doesNotThrow(() => parsePlatform(local({ kubeconfig: file, context: "laptop" }), "local"));
  expectProblem(local({ kubeconfig: file, context: "work" }), "inference-mesh:platform.clusters[0].context", /has no context 'work' \(contexts: laptop\)/);
  expectProblem(local({ kubeconfig: dir }), "inference-mesh:platform.clusters[0].kubeconfig", /is a directory, not a kubeconfig file/);
  fs.writeFileSync(path.join(dir, "broken"), "clusters: [\n");
  expectProblem(local({ kubeconfig: path.join(dir, "broken") }), "inference-mesh:platform.clusters[0].kubeconfig", /is not valid YAML/);
});

test("derived names of different kinds may coincide: a version named like another's ServiceAccount suffix is fine", () => {
  const p = shippedPlatform("local");
  // Pool 'qwen3-0-6b-v1-server' (Deployment, InferencePool) vs the v1 server's ServiceAccount of that name.
  p.models[0].versions[1].name = "v1-server";
  assert.doesNotThrow(() => parsePlatform(p, "local"));
});

test("a field error does not hide where agents run: the k3s gateway port clash is still reported", () => {
  const p = shippedPlatform("local");
  delete p.gateways.agents.port;
  p.models[0].maxModelLen = "x";
  const problems = problemsOf(p);
  assert.ok(problems.some((l) => l.startsWith("inference-mesh:platform.models[0].maxModelLen")), problems.join("\n"));
  assert.ok(problems.some((l) => /gateways\.agents\.port: port 443 \(the default\) is also the inference gateway's/.test(l)), problems.join("\n"));
});

test("a field error elsewhere does not hide a model that does not fit (items valid on their own keep their defaults)", () => {
  const p = shippedPlatform("dev");
  p.models[0].parametersBillions = 70;
  p.gateways.inference.hostname = "Bad..host";
  const problems = problemsOf(p);
  assert.ok(problems.some((l) => l.startsWith("inference-mesh:platform.gateways.inference.hostname")), problems.join("\n"));
  assert.ok(problems.some((l) => /models\[0\]\.clusters\[0\]: model 'llama-3-1-8b' does not fit cluster 'dev-usw2'/.test(l)), problems.join("\n"));
});

test("a misspelt or uncatalogued GPU type is the one problem reported, not the GPU placement and capacity it hides", () => {
  for (const type of ["g6.2xlage", "g4dn.xlarge"]) {
    const p = shippedPlatform("dev");
    p.clusters[0].nodeGroups[0].instanceType = type;
    assert.deepEqual(problemsOf(p).map((l) => l.split(":")[0] + ":" + l.split(":")[1]), ["inference-mesh:platform.clusters[0].nodeGroups[0].instanceType"], type);
  }
});

test("a model with a field error adds no knock-on GPU capacity problem on its clusters", () => {
  for (const mutate of [(p: any) => (p.models[0].dtype = "fp4"), (p: any) => (p.models[0].gpusPerReplica = "two"), (p: any) => (p.models[0].parametersBillions = -5)]) {
    const p = shippedPlatform("prod");
    mutate(p);
    const problems = problemsOf(p);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.ok(problems[0].startsWith("inference-mesh:platform.models[0]."), problems[0]);
  }
});

test("a policy knob with a field error is the one problem reported, not the rules it tunes", () => {
  const p = shippedPlatform("dev");
  p.policy = { ...(p.policy ?? {}), allowPublicApiEndpoints: "x", maxCanaryWeight: "ten" };
  const problems = problemsOf(p);
  assert.deepEqual(problems.map((l) => l.split(":")[0] + ":" + l.split(":")[1]).sort(), ["inference-mesh:platform.policy.allowPublicApiEndpoints", "inference-mesh:platform.policy.maxCanaryWeight"], problems.join("\n"));
  // A `policy:` left empty in YAML (null) or given a string: nothing of the block is known.
  for (const policy of [null, "strict"]) {
    const q = shippedPlatform("dev");
    q.policy = policy;
    assert.deepEqual(problemsOf(q).map((l) => l.split(":")[0] + ":" + l.split(":")[1]), ["inference-mesh:platform.policy"], String(policy));
  }
});

test("a duplicate cluster name is reported once, without knock-on capacity or derived-name problems", () => {
  const p = shippedPlatform("prod");
  p.clusters[1].name = p.clusters[0].name;
  const problems = problemsOf(p);
  assert.ok(problems.some((l) => /clusters\[1\]\.name: duplicate cluster name/.test(l)), problems.join("\n"));
  assert.ok(!problems.some((l) => /cannot hold every model replica|derives the/.test(l)), problems.join("\n"));
});

// ---- Field errors beside cross-field problems; config-time checks for what failed only at run time ----
import { Region as PulumiAwsRegion } from "@pulumi/aws/types/enums";
import { awsRegions, gcpRegions, zonesOf } from "../../infra/regions";

/** The config paths of a rejected config's problems, `inference-mesh:platform.` left out. */
const pathsOf = (platform: unknown) => problemsOf(platform).map((l) => l.slice("inference-mesh:platform.".length).split(": ")[0]);

test("a field error in an item keeps that item's cross-field problems that do not read the broken field", () => {
  const cases: { mutate: (p: any) => void; field: string; crossField: RegExp; stack?: "prod" | "local" }[] = [
    { mutate: (p) => ((p.models[0].priority = "high"), (p.models[0].versions[0].weight = 85)), field: "models[0].priority", crossField: /models\[0\]\.versions: weights sum to 90/ },
    { mutate: (p) => ((p.models[0].priority = "high"), (p.models[0].clusters = ["aws-use1", "nowhere"])), field: "models[0].priority", crossField: /models\[0\]\.clusters\[1\]: unknown cluster 'nowhere'/ },
    { mutate: (p) => ((p.clusters[0].vpcCidr = "10.10.0.0/33"), (p.clusters[0].nodeGroups[0].minSize = 9)), field: "clusters[0].vpcCidr", crossField: /clusters\[0\]\.nodeGroups\[0\]: sizes must satisfy/ },
    { mutate: (p) => ((p.agents[0].port = 15001), (p.agents[0].model = "nope")), field: "agents[0].port", crossField: /agents\[0\]\.model: unknown model 'nope'/ },
    { mutate: (p) => ((p.models[0].versions[0].image = "x:latest"), (p.models[0].versions[1].weight = 50)), field: "models[0].versions[0].image", crossField: /models\[0\]\.versions: weights sum to 145/ },
    { mutate: (p) => ((p.gateways.agents.jwt = { issuer: "x" }), (p.gateways.agents.port = 443)), field: "gateways.agents.jwt.audiences", crossField: /gateways\.agents\.port: port 443 is also the inference gateway's/ },
    // An absent inference tls is valid (selfSigned): the gateway rules still read it with its default.
    { mutate: (p) => (delete p.gateways.inference.tls, (p.gateways.agents.port = 443), (p.environment = "BAD")), field: "environment", crossField: /gateways\.agents\.port: port 443 is also the inference gateway's/ },
    // A list that is not a list counts as empty for the other rules.
    { mutate: (p) => ((p.tools = {}), (p.clusters[1].name = "aws-use1")), field: "tools", crossField: /clusters\[1\]\.name: duplicate cluster name 'aws-use1'/ },
    { mutate: (p) => ((p.agents = "x"), (p.models[0].versions[0].weight = 85)), field: "agents", crossField: /models\[0\]\.versions: weights sum to 90/ },
    // An item that is not an item at all is skipped; the other items are still checked.
    { mutate: (p) => ((p.clusters[1] = null), (p.clusters[2].subnetCidr = "10.12.0.0/29")), field: "clusters[1]", crossField: /clusters\[2\]\.subnetCidr: .* use a \/28 or larger/ },
  ];
  for (const c of cases) {
    const p = shippedPlatform(c.stack ?? "prod");
    c.mutate(p);
    const problems = problemsOf(p);
    assert.ok(problems.some((l) => l.startsWith(`inference-mesh:platform.${c.field}:`)), `${c.field} in:\n${problems.join("\n")}`);
    assert.ok(problems.some((l) => c.crossField.test(l)), `${c.crossField} in:\n${problems.join("\n")}`);
  }
  // Compliant: the field error alone is the one problem.
  const p = shippedPlatform("prod");
  p.models[0].priority = "high";
  assert.deepEqual(pathsOf(p), ["models[0].priority"]);
});

test("a cross-field problem that reads a broken field, or lies under it, is left out as its knock-on", () => {
  // The weights cannot be summed with one of them broken; the broken list's items are not "unknown".
  const p = shippedPlatform("prod");
  p.models[0].versions[0].weight = "ninety-five";
  assert.deepEqual(pathsOf(p), ["models[0].versions[0].weight"]);
  const q = shippedPlatform("prod");
  q.tools = {};
  assert.deepEqual(pathsOf(q), ["tools"]);
  const r = shippedPlatform("prod");
  r.clusters[0].nodeGroups[0].maxSize = "four";
  assert.deepEqual(pathsOf(r), ["clusters[0].nodeGroups[0].maxSize"]);
  // An unknown key is its own field: the rest of its item is still checked.
  const s = shippedPlatform("prod");
  s.models[0].replica = 2;
  s.models[0].versions[0].weight = 85;
  assert.deepEqual(pathsOf(s), ["models[0]", "models[0].versions"]);
});

test("a k3s subnet must hold the server's fixed host and every agent at maxSize", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].subnetCidr = "10.12.0.0/28"; // 12 VM addresses up to host 13; 1 server + 4 + 3 agents
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  p.clusters[2].subnetCidr = "10.12.0.0/29";
  expectProblem(p, "inference-mesh:platform.clusters[2].subnetCidr", /holds 4 VM address\(es\).*the k3s server takes host 10.*8 in all; use a \/28 or larger/);
  const q = shippedPlatform("prod");
  q.clusters[2].subnetCidr = "10.12.0.0/28";
  q.clusters[2].nodeGroups[0].maxSize = 8; // 1 + 8 + 3 = 12 still fits, 13 does not
  assert.doesNotThrow(() => parsePlatform(q, "prod"));
  q.clusters[2].nodeGroups[0].maxSize = 9;
  expectProblem(q, "inference-mesh:platform.clusters[2].subnetCidr", /13 in all; use a \/27 or larger/);
  // Beside another problem: both reported at once.
  q.models[0].versions[0].weight = 85;
  assert.deepEqual(pathsOf(q), ["clusters[2].subnetCidr", "models[0].versions"]);
});

test("existing clusters of a multi-cluster stack: an API server URL the others can use, never loopback, every cluster named", () => {
  const dir = tempDir("apiserver-");
  const loopback = path.join(dir, "loopback");
  fs.writeFileSync(loopback, "contexts:\n- name: laptop\n  context: {cluster: k3s}\ncurrent-context: laptop\nclusters:\n- name: k3s\n  cluster: {server: https://127.0.0.1:6443}\n");
  const lan = path.join(dir, "lan");
  fs.writeFileSync(lan, "contexts:\n- name: laptop\n  context: {cluster: k3s}\ncurrent-context: laptop\nclusters:\n- name: k3s\n  cluster: {server: https://192.168.1.20:6443}\n");
  const pair = (a: Record<string, unknown>, b: Record<string, unknown>) => {
    const p = shippedPlatform("local");
    const first = { ...p.clusters[0], ...a };
    const second = { ...p.clusters[0], name: "local-b", network: "net-local-b", ...b };
    p.clusters = [first, second];
    return p;
  };
  const missing = path.join(dir, "no-such-kubeconfig");
  // Compliant: apiServer set, or a kubeconfig server that is not loopback; one cluster needs neither.
  assert.doesNotThrow(() => parsePlatform(pair({ kubeconfig: missing, apiServer: "https://a.example.internal:6443" }, { kubeconfig: lan }), "pair"));
  const single = shippedPlatform("local");
  single.clusters[0].kubeconfig = loopback;
  assert.doesNotThrow(() => parsePlatform(single, "local"));
  // Violating: unreadable here without apiServer (both clusters named), and loopback either way.
  const both = pair({ kubeconfig: missing }, { kubeconfig: missing });
  assert.deepEqual(pathsOf(both), ["clusters[0].apiServer", "clusters[1].apiServer"]);
  expectProblem(both, "inference-mesh:platform.clusters[1].apiServer", /is required in a multi-cluster stack here: the kubeconfig .* is not on this machine/);
  expectProblem(pair({ kubeconfig: lan }, { kubeconfig: loopback }), "inference-mesh:platform.clusters[1].apiServer", /'https:\/\/127\.0\.0\.1:6443' \(the kubeconfig's server for its current context\) is a loopback address/);
  expectProblem(pair({ kubeconfig: lan, apiServer: "https://localhost:6443" }, { kubeconfig: lan }), "inference-mesh:platform.clusters[0].apiServer", /'https:\/\/localhost:6443' \(apiServer\) is a loopback address/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("an AWS VPC is a /16 to a /28 and large enough for a private and a public subnet per availability zone", () => {
  for (const [vpcCidr, zones] of [["10.10.0.0/16", 3], ["10.10.0.0/25", 3], ["10.10.0.0/26", 2]] as const) {
    const p = shippedPlatform("prod");
    Object.assign(p.clusters[0], { vpcCidr, availabilityZones: zones });
    assert.doesNotThrow(() => parsePlatform(p, "prod"), vpcCidr);
  }
  const p = shippedPlatform("prod");
  p.clusters[0].vpcCidr = "10.10.0.0/15";
  expectProblem(p, "inference-mesh:platform.clusters[0].vpcCidr", /is a \/15; AWS VPCs take a \/16 to a \/28/);
  p.clusters[0].vpcCidr = "10.10.0.0/26";
  expectProblem(p, "inference-mesh:platform.clusters[0].vpcCidr", /3 availability zones are \/29 each.*use a \/25 or larger/);
});

test("a GPU machine type is refused as the k3s server", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].serverMachineType = "n2-standard-8";
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  for (const type of ["a2-ultragpu-4g", "g2-standard-8"]) {
    p.clusters[2].serverMachineType = type;
    expectProblem(p, "inference-mesh:platform.clusters[2].serverMachineType", /is a GPU machine type; the k3s server runs the control plane/);
  }
});

test("numbers Kubernetes stores as int32 are bounded, and node group sizes and disks stay within the clouds' limits", () => {
  const p = shippedPlatform("prod");
  p.models[0].priority = -2147483648;
  p.models[1].priority = 2147483647;
  p.clusters[2].nodeGroups[0].diskSizeGiB = 20000; // a GCE disk may be larger than an EBS volume
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  const big = 3000000000;
  const cases: [(p: any) => void, string, RegExp][] = [
    [(p) => (p.models[0].priority = big), "models[0].priority", /at most 2147483647: an InferenceObjective priority is a 32-bit integer/],
    [(p) => (p.models[0].priority = -big), "models[0].priority", /at least -2147483648/],
    [(p) => (p.tools[0].replicas = big), "tools[0].replicas", /a replica count is a 32-bit integer/],
    [(p) => (p.agents[0].versions[0].replicas = big), "agents[0].versions[0].replicas", /32-bit integer/],
    [(p) => (p.models[1].epp.replicas = big), "models[1].epp.replicas", /32-bit integer/],
    [(p) => (p.models[0].replicas = big), "models[0].replicas", /32-bit integer/],
    [(p) => (p.mesh.istiodReplicas = big), "mesh.istiodReplicas", /32-bit integer/],
    [(p) => (p.models[1].epp.scorerWeights.queue = big), "models[1].epp.scorerWeights.queue", /a scorer weight is a 32-bit integer/],
    [(p) => (p.clusters[2].nodeGroups[0].maxSize = 1001), "clusters[2].nodeGroups[0].maxSize", /at most 1000/],
    [(p) => (p.clusters[0].systemNodeGroup.desiredSize = 5000), "clusters[0].systemNodeGroup.desiredSize", /at most 1000/],
    [(p) => (p.clusters[0].nodeGroups[0].diskSizeGiB = 70000), "clusters[0].nodeGroups[0].diskSizeGiB", /at most 65536/],
    [(p) => (p.clusters[0].nodeGroups[0].diskSizeGiB = 20000), "clusters[0].nodeGroups[0].diskSizeGiB", /over 16384: EKS nodes boot from an EBS/],
  ];
  for (const [mutate, at, message] of cases) {
    const q = shippedPlatform("prod");
    mutate(q);
    expectProblem(q, `inference-mesh:platform.${at}`, message);
  }
});

test("regions and zones come from infra/regions.ts and are refused with the allowed list", () => {
  // Every commercial region the installed AWS provider knows is allowed.
  // Other partitions: China, GovCloud, the ISO regions and the European Sovereign Cloud.
  const commercial = Object.values(PulumiAwsRegion).filter((r) => !/^(cn-|us-gov-|us-iso|eu-iso|eusc-)/.test(r));
  assert.deepEqual(commercial.filter((r) => !awsRegions.includes(r)), []);
  assert.deepEqual(zonesOf("us-central1"), ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"]);
  assert.deepEqual(zonesOf("toString"), []);
  const ok = shippedPlatform("prod");
  ok.clusters[0].region = "eu-central-2";
  Object.assign(ok.clusters[2], { region: "europe-west1", zone: "europe-west1-b" });
  assert.doesNotThrow(() => parsePlatform(ok, "prod"));
  const cases: [(p: any) => void, string, RegExp][] = [
    [(p) => (p.clusters[0].region = "us-east-9"), "clusters[0].region", /must be an AWS commercial region: af-south-1, .*us-west-2 \(the table is infra\/regions\.ts/],
    [(p) => (p.clusters[0].region = "us-central1"), "clusters[0].region", /must be an AWS commercial region/],
    [(p) => Object.assign(p.clusters[2], { region: "mars-north9", zone: "mars-north9-a" }), "clusters[2].region", new RegExp(`must be a GCP region: ${gcpRegions[0]}, `)],
    [(p) => (p.clusters[2].zone = "us-central1-z"), "clusters[2].zone", /'us-central1-z' is not a zone of us-central1; its zones are us-central1-a, us-central1-b, us-central1-c, us-central1-f/],
    [(p) => Object.assign(p.clusters[2], { region: "europe-west1", zone: "europe-west1-a" }), "clusters[2].zone", /its zones are europe-west1-b, europe-west1-c, europe-west1-d/],
  ];
  for (const [mutate, at, message] of cases) {
    const p = shippedPlatform("prod");
    mutate(p);
    expectProblem(p, `inference-mesh:platform.${at}`, message);
  }
});

test("one root cause, one line: duplicates without their derived-name clashes, unknown clusters once, known lists of valid names", () => {
  const once: [(p: any) => void, string[]][] = [
    [(p) => (p.agents[1].name = "research-agent"), ["agents[1].name"]],
    [(p) => (p.tools[1].name = "web-search"), ["tools[1].name", "agents[0].tools[1]"]], // calculator is gone: a real unknown reference
    [(p) => (p.models[0].versions[1].name = "v1"), ["models[0].versions[1].name"]],
    [(p) => (p.agents[0].versions[1].name = "v1"), ["agents[0].versions[1].name"]],
    [(p) => (p.clusters[0].nodeGroups[1].name = "gpu-l40s"), ["clusters[0].nodeGroups[1].name"]],
    [(p) => (p.agents[1].clusters = ["nowhere"]), ["agents[1].clusters[0]"]],
    // The empty name is the one problem: one line, and the tool looked for may be the broken one.
    [(p) => (p.tools[0].name = ""), ["tools[0].name"]],
    [(p) => (p.models[1] = null), ["models[1]"]],
  ];
  for (const [mutate, paths] of once) {
    const p = shippedPlatform("prod");
    mutate(p);
    assert.deepEqual(pathsOf(p), paths, problemsOf(p).join("\n"));
  }
  // Still reported: a model not served where the agent runs, and a real derived-name clash.
  const p = shippedPlatform("prod");
  p.agents[1].clusters = ["aws-euw1"];
  expectProblem(p, "inference-mesh:platform.agents[1].clusters[0]", /model 'qwen3-32b' is not served on cluster 'aws-euw1'/);
  const q = shippedPlatform("prod");
  q.agents[0].versions[1].name = "v1-x";
  q.agents.push({ ...structuredClone(q.agents[0]), name: "research-agent-v1", versions: [{ ...q.agents[0].versions[0], name: "x", weight: 100, canary: false }] });
  expectProblem(q, "inference-mesh:platform.agents[2].versions[0].name", /derives the workload name 'research-agent-v1-x'/);
  // A cluster name with a field error: no reference is called unknown (and no blank "known:" entry)
  // until it is fixed; then the unknown one is named with the valid names.
  const r = shippedPlatform("prod");
  r.clusters[1].name = "";
  r.models[0].clusters[0] = "zzz";
  assert.deepEqual(pathsOf(r), ["clusters[1].name"]);
  r.clusters[1].name = "aws-euw1";
  expectProblem(r, "inference-mesh:platform.models[0].clusters[0]", /unknown cluster 'zzz'; known: aws-use1, aws-euw1, gcp-usc1$/);
  const none = shippedPlatform("prod");
  none.models = [];
  expectProblem(none, "inference-mesh:platform.agents[0].model", /unknown model 'llama-3-1-8b'; known: \(none\)$/);
});

test("gateway hostnames are DNS names: no IP address, labels of at most 63 characters", () => {
  const p = shippedPlatform("prod");
  p.gateways.inference.hostname = `${"a".repeat(63)}.example.com`;
  p.gateways.agents.hostname = "10.0.0.1.example.com";
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  for (const [hostname, message] of [["10.0.0.1", /not an IP address/], [`${"a".repeat(64)}.example.com`, /label over 63 characters/]] as const) {
    const q = shippedPlatform("prod");
    q.gateways.inference.hostname = hostname;
    expectProblem(q, "inference-mesh:platform.gateways.inference.hostname", message);
  }
});

test("models on different clusters may serve the same name: vLLM on the GPU clusters, the simulator on a CPU-only one", () => {
  const p = shippedPlatform("prod");
  p.models[0].clusters = ["aws-use1", "aws-euw1"];
  p.models.push({
    name: "llama-3-1-8b-sim",
    servedModelName: p.models[0].servedModelName,
    server: "simulator",
    parametersBillions: 8,
    maxModelLen: 4096,
    clusters: ["gcp-usc1"],
    versions: [{ name: "v1", image: "ghcr.io/llm-d/llm-d-inference-sim:v0.10.2", weight: 100 }],
    loraAdapters: [{ name: "support-tone", source: p.models[0].loraAdapters[0].source }],
  });
  for (const a of p.agents) if (a.model === p.models[0].name) a.clusters = ["aws-use1", "aws-euw1"];
  const spec = parsePlatform(p, "test");
  assert.equal(spec.models.filter((m) => m.servedModelName === p.models[0].servedModelName).length, 2);
  // Once they share a cluster, the second is refused, naming the cluster.
  p.models[2].clusters = ["gcp-usc1", "aws-euw1"];
  expectProblem(p, "inference-mesh:platform.models[2].servedModelName", /duplicate served model name .* \(also at models\[0\]\) on cluster 'aws-euw1'/);
  expectProblem(p, "inference-mesh:platform.models[2].loraAdapters[0].name", /duplicate adapter name 'support-tone' \(also at models\[0\]\.loraAdapters\[0\]\) on cluster 'aws-euw1'/);
});

test("availability zones up to what the region offers an EKS cluster pass", () => {
  const p = shippedPlatform("prod");
  p.clusters[0].availabilityZones = 5; // us-east-1
  p.clusters[1].region = "us-west-1";
  p.clusters[1].availabilityZones = 2;
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  p.clusters[1].region = "us-west-2";
  p.clusters[1].availabilityZones = 4;
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});

test("real machine types pass: EC2 sizes incl. metal-<n>xl, GCE predefined, shared-core, -lssd/-metal, custom types; an uncatalogued GCE series is format-checked only", () => {
  for (const type of ["m6i.large", "c7i.metal-24xl", "mac2-m2.metal", "u-12tb1.112xlarge", "m7i-flex.large", "t3.nano", "r7i.48xlarge"]) {
    const p = shippedPlatform("prod");
    p.clusters[0].systemNodeGroup.instanceType = type;
    p.clusters[0].nodeGroups.push({ name: "cpu", instanceType: type, minSize: 1, desiredSize: 1, maxSize: 1 });
    assert.doesNotThrow(() => parsePlatform(p, "prod"), type);
  }
  const gce = ["e2-micro", "e2-medium", "f1-micro", "g1-small", "n1-standard-1", "n2d-standard-224", "n4-highmem-80", "c2d-highcpu-112", "c3-standard-8-lssd",
    "c3-highmem-192-metal", "c4-standard-288-lssd-metal", "c4d-highmem-384-lssd", "t2d-standard-60", "m3-megamem-64", "n1-megamem-96", "z3-highmem-8-highlssd",
    "custom-1-1024", "custom-6-23040-ext", "e2-custom-4-8192", "e2-custom-medium-4096", "n2-custom-36-18432-ext", "n2d-custom-48-49152", "n4-custom-2-14336",
    "e3-standard-8"];
  for (const type of gce) {
    const p = shippedPlatform("prod");
    p.clusters[2].serverMachineType = type;
    p.clusters[2].nodeGroups[0].instanceType = type;
    assert.doesNotThrow(() => parsePlatform(p, "prod"), type);
  }
});

test("values as `pulumi config set --path` and unquoted YAML write them: digits in a text field, a decimal string in a number field; other wrong types say what the field takes", () => {
  // The CLI stores base-10 digits as an integer (config/object.go coerce) and 0.92 as a string without --type float.
  const p = shippedPlatform("prod");
  p.versions = { nvidiaDriver: 570 };
  p.models[0].versions[0].name = 1;
  p.models[0].versions[1].name = 2;
  p.models[0].versions[0].revision = 20240723;
  p.models[0].gpuMemoryUtilization = "0.92";
  p.models[1].parametersBillions = "32.8";
  p.agents[0].versions[1].name = 2;
  p.tools[0].description = 42;
  p.gateways.agents.jwt.audiences = [1234567890];
  p.policy.minKvCacheFraction = "0.15";
  const spec = parsePlatform(p, "prod");
  assert.equal(spec.versions.nvidiaDriver, "570");
  assert.deepEqual(spec.models[0].versions.map((v) => [v.name, v.revision]), [["1", "20240723"], ["2", undefined]]);
  assert.equal(spec.models[0].gpuMemoryUtilization, 0.92);
  assert.equal(spec.models[1].parametersBillions, 32.8);
  assert.equal(spec.agents[0].versions[1].name, "2");
  assert.equal(spec.tools[0].description, "42");
  assert.deepEqual(spec.gateways.agents!.jwt!.audiences, ["1234567890"]);
  assert.equal(spec.policy.minKvCacheFraction, 0.15);
  // A float cannot be read back as the text it was (1.30 is 1.3), nor can digits beyond 2^53: quote them.
  const bad = shippedPlatform("dev");
  bad.versions = { eksKubernetes: 1.34 };
  bad.gateways.inference.tls.secretName = true;
  bad.models[0].replicas = "two";
  bad.policy.requireTls = "no";
  assert.deepEqual(problemsOf(bad), [
    "inference-mesh:platform.versions.eksKubernetes: must be text, not the number 1.34: quote it ('1.34'), since YAML reads unquoted digits and true/false as numbers and booleans (and 1.30 as 1.3)",
    "inference-mesh:platform.models[0].replicas: must be a number, not the string 'two'",
    "inference-mesh:platform.gateways.inference.tls.secretName: must be text, not the boolean true: quote it ('true'), since YAML reads unquoted digits and true/false as numbers and booleans (and 1.30 as 1.3)",
    "inference-mesh:platform.policy.requireTls: must be true or false, not the string 'no'",
  ]);
});

test("an unquoted YAML date is named as one: one problem per field, with the text the program received", () => {
  // `name: 2024-06-01` is a timestamp to YAML: the CLI hands over Go's text of it, the render its ISO form.
  const p = shippedPlatform("local");
  p.models[0].versions[0].name = "2024-06-01 00:00:00 +0000 UTC";
  p.models[0].versions[1].name = "2025-01-15T00:00:00.000Z";
  assert.deepEqual(problemsOf(p), [
    "inference-mesh:platform.models[0].versions[0].name: must be lowercase letters, digits and '-' ('2024-06-01 00:00:00 +0000 UTC': YAML reads an unquoted date such as 2024-06-01 as a timestamp; quote it)",
    "inference-mesh:platform.models[0].versions[1].name: must be lowercase letters, digits and '-' ('2025-01-15T00:00:00.000Z': YAML reads an unquoted date such as 2025-01-15 as a timestamp; quote it)",
  ]);
  // A field that takes any text takes the timestamp's text, as `pulumi up` would.
  const q = shippedPlatform("local");
  q.tools[0].description = "2024-06-01 00:00:00 +0000 UTC";
  assert.equal(parsePlatform(q, "local").tools[0].description, "2024-06-01 00:00:00 +0000 UTC");
});

import { loadStackConfig } from "../../scripts/lib/stack-config";
import { CONFIG_ROOT, platformFromConfigString } from "../../infra/config";

test("a stack file with unquoted digits and decimals renders as the CLI would run it", () => {
  const dir = tempDir("cli-values-");
  const file = path.join(dir, "Pulumi.fork.yaml");
  const text = fs.readFileSync(path.join(__dirname, "..", "..", "stacks", "Pulumi.prod.yaml"), "utf8")
    .replace("    environment: prod\n", "    environment: prod\n    versions:\n      nvidiaDriver: 570\n")
    .replace("        gpuMemoryUtilization: 0.92\n", "        gpuMemoryUtilization: '0.92'\n")
    .replace("          - name: v2\n            image: ghcr.io/inference-mesh/examples/support-agent:0.2.0", "          - name: 2\n            image: ghcr.io/inference-mesh/examples/support-agent:0.2.0");
  assert.match(text, /nvidiaDriver: 570\n/);
  assert.match(text, /- name: 2\n/);
  fs.writeFileSync(file, text);
  const spec = parsePlatform(platformFromConfigString(loadStackConfig("fork", file).config[CONFIG_ROOT], "test"), "fork");
  assert.equal(spec.versions.nvidiaDriver, "570");
  assert.equal(spec.models[1].gpuMemoryUtilization, 0.92);
  assert.deepEqual(spec.agents[1].versions.map((v) => v.name), ["v1", "2"]);
});
