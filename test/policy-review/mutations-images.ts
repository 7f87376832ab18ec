/**
 * Policy-review mutations of image pins beyond `latest` (policy/lib/image-tags.ts): the moving tags
 * the platform's upstreams publish, prefixed or suffixed, and a nightly chart version.
 */
import { Mutation, isKind, podSpecs, onFirst, gpuDeployment, istiod } from "./mutations-support";

/** The image with its tag or digest replaced by `tag`. */
const retag = (image: string, tag: string) => `${image.replace(/[:@][^/]*$/, "")}:${tag}`;

export const imageMutations: Mutation[] = [
  {
    // vLLM publishes `nightly` (and `nightly-aarch64`) from its main branch, moved on every build.
    name: "a model server on vLLM's nightly tag",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, gpuDeployment, (o) => podSpecs(o).forEach((s: any) => (s.containers[0].image = "vllm/vllm-openai:nightly"))),
  },
  {
    name: "a workload image on a suffixed moving tag (latest-gpu)",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "Deployment"), (o) => podSpecs(o).forEach((s: any) => (s.containers[0].image = retag(s.containers[0].image, "latest-gpu")))),
  },
  {
    // agentgateway v1.4.1 .github/workflows/nightly.yml: image `latest-dev`, chart `0.0.0-latest-dev`, every night.
    name: "an AgentgatewayParameters proxy image on agentgateway's latest-dev",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "AgentgatewayParameters"), (o) => (o.spec.image = { registry: "cr.agentgateway.dev", repository: "agentgateway", tag: "latest-dev" })),
  },
  {
    name: "the agentgateway chart at its nightly version 0.0.0-latest-dev",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "oci://cr.agentgateway.dev/charts/agentgateway", (o) => (o.version = "0.0.0-latest-dev")),
  },
  {
    // Istio's branch builds are tagged `<minor>-dev` (gcr.io/istio-testing), moved on every merge.
    name: "istiod's image tag at a branch build (1.30-dev) through Helm values",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, istiod, (o) => (o.values = { ...o.values, global: { ...o.values?.global, tag: "1.30-dev" } })),
  },
];
