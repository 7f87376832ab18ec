/**
 * The platform config schema, stack-wide settings: the shipped stacks parse with their defaults;
 * the mesh's trust domain, pinned versions and their overrides, image references. Each broken
 * config is rejected with a message naming its config path (expectProblem, ./support).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";
import { RejectCase, testRejections } from "./support";

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

test("a stack may override a pinned version", () => {
  const p = shippedPlatform("local");
  p.versions = { istio: "1.29.6", k3s: "v1.34.1+k3s1", vllmImage: "vllm/vllm-openai:v0.21.1" };
  const spec = parsePlatform(p, "local");
  assert.equal(spec.versions.istio, "1.29.6");
  assert.equal(spec.versions.k3s, "v1.34.1+k3s1");
  assert.equal(spec.versions.vllmImage, "vllm/vllm-openai:v0.21.1");
});

const cases: RejectCase[] = [
  {
    // The GPU agents run `ubuntu-drivers install --gpgpu nvidia:<branch>-server` (components/cloud/gcp/nvidia.ts).
    name: "a full NVIDIA driver version where the install takes a branch",
    mutate: (p) => (p.versions = { nvidiaDriver: "570.133.20" }),
    path: "inference-mesh:platform.versions.nvidiaDriver",
    message: /must be an NVIDIA driver branch, its three digits such as 535, 550, 570 or 580: .*'570\.133\.20' is a full driver version, give its branch 570$/,
  },
  {
    name: "an NVIDIA driver branch spelt as NVIDIA or the package names write it",
    mutate: (p) => (p.versions = { nvidiaDriver: "R580" }),
    path: "inference-mesh:platform.versions.nvidiaDriver",
    message: /\(the install adds nvidia: and -server itself\): give 580$/,
  },
  {
    // YAML reads an unquoted 570.86 as a float; the refusal still names the branch.
    name: "an unquoted NVIDIA driver version (a YAML float)",
    mutate: (p) => (p.versions = { nvidiaDriver: 570.86 }),
    path: "inference-mesh:platform.versions.nvidiaDriver",
    message: /'570\.86' is a full driver version, give its branch 570$/,
  },
  {
    name: "an NVIDIA driver branch with the package flavour",
    mutate: (p) => (p.versions = { nvidiaDriver: "580-server" }),
    path: "inference-mesh:platform.versions.nvidiaDriver",
    message: /give 580$/,
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
    name: "an image whose repository has uppercase letters",
    mutate: (p) => (p.tools[0].image = "ghcr.io/Inference-Mesh/tool:1.0.0"),
    path: "inference-mesh:platform.tools[0].image",
    message: /invalid repository 'Inference-Mesh\/tool'/,
  },
  {
    // distribution/reference v0.6.0 ErrNameTooLong: the kubelet's ParseNormalizedNamed refuses it (InvalidImageName).
    name: "an image whose repository path, without its registry, is over 255 characters",
    mutate: (p) => (p.tools[0].image = `ghcr.io/inference-mesh/${"t".repeat(242)}:1.0.0`),
    path: "inference-mesh:platform.tools[0].image",
    message: /has a repository path of 257 characters \(the name without its registry\); container runtimes take at most 255/,
  },
  {
    name: "a one-part Docker Hub image, which the kubelet reads under library/, over 255 characters",
    mutate: (p) => (p.agents[0].versions[0].image = `${"a".repeat(250)}:1.0.0`),
    path: "inference-mesh:platform.agents[0].versions[0].image",
    message: /has a repository path of 258 characters \(the name without its registry, with the library\/ the kubelet puts before a one-part Docker Hub name\)/,
  },
  {
    name: "an image with a malformed digest",
    mutate: (p) => (p.agents[0].versions[0].image = "ghcr.io/x/agent@sha256:abc"),
    path: "inference-mesh:platform.agents[0].versions[0].image",
    message: /malformed digest/,
  },
];

test("image references: registries with ports, nested paths, digests; latest is allowed only behind a digest", () => {
  // 255 characters of path are taken, however long the registry (distribution/reference counts the path alone).
  const longest = [`ghcr.io/${"p".repeat(255)}:1.0`, `${"r".repeat(60)}.example.com/${"p".repeat(255)}:1.0`, `docker.io/${"p".repeat(247)}:1.0`];
  for (const ok of ["localhost:5000/team/img:1.2.3", "registry.k8s.io/pause:3.10", "a/b__c/d--e:1.0", `busybox:latest@sha256:${"a".repeat(64)}`, ...longest]) {
    const p = shippedPlatform("prod");
    p.tools[0].image = ok;
    assert.doesNotThrow(() => parsePlatform(p, "test"), ok);
  }
  for (const bad of ["busybox:LATEST", "Foo/bar:1", "a/-b:1", "a:b:c", `docker.io/${"p".repeat(248)}:1`, `index.docker.io/${"p".repeat(248)}:1`]) {
    const p = shippedPlatform("prod");
    p.tools[0].image = bad;
    assert.ok(problemsOf(p).some((l) => l.startsWith("inference-mesh:platform.tools[0].image")), bad);
  }
});

testRejections(cases);
