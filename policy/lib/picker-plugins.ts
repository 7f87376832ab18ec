/**
 * The plugin types llm-d-router v0.10.0's endpoint picker knows: the factories its runner registers
 * (cmd/epp/runner/runner.go registerInTreePlugins, each type's constant in its plugin package), by
 * stability. The config loader refuses a plugin of any other type ("plugin type '…' is not
 * registered", pkg/epp/config/loader/validation.go), and the runner refuses an Alpha plugin unless
 * the picker runs with --allow-experimental-plugins (framework/interface/plugin/registry.go
 * ValidatePluginStability): either way the picker exits at start and crash-loops. Another build
 * registers another set, so only this release's image is judged against it.
 */

/** The release whose registry this is; pickers of other minor releases are not judged against it. */
export const PICKER_REGISTRY_TAG = "v0.10.0";

/**
 * The tags judged against this registry: the release and its patch releases (v0.10.1, …), cut from
 * the same release-0.10 branch (.github/ISSUE_TEMPLATE/new-release.md: a patch release checks out
 * the existing release branch). The patches so far only bumped dependencies (v0.6.1: grpc; v0.7.1:
 * the kv-cache module), registering the same plugins. Release candidates and other minors are not.
 */
export const PICKER_REGISTRY_TAGS = new RegExp(`^${PICKER_REGISTRY_TAG.replace(/\.\d+$/, "").replace(/\./g, "\\.")}\\.\\d+$`);

/**
 * The tag of a picker image judged against this registry (the pinned release or one
 * of its patches; a digest beside the tag is the same build), else undefined.
 */
export function judgedPickerTag(image: string): string | undefined {
  const tag = /(?:^|\/)llm-d-router-endpoint-picker:([^@/]+)(@sha256:[0-9a-f]+)?$/.exec(image)?.[1];
  return tag !== undefined && PICKER_REGISTRY_TAGS.test(tag) ? tag : undefined;
}

const BETA = [
  "label-selector-filter", "by-label-selector", "by-label", "encode-filter", "decode-filter", "prefill-filter",
  "data-parallel-profile-handler", "load-aware-scorer", "context-length-aware", "models-data-source", "models-data-extractor",
  "prefix-cache-scorer", "max-score-picker", "random-picker", "weighted-random-picker", "single-profile-handler",
  "disagg-headers-handler", "prefill-header-handler", "pd-profile-handler", "disagg-profile-handler",
  "always-disagg-pd-decider", "prefix-based-pd-decider", "always-disagg-multimodal-decider",
  "kv-cache-utilization-scorer", "queue-scorer", "running-requests-size-scorer", "lora-affinity-scorer", "token-load-scorer",
  "no-hit-lru-scorer", "active-request-scorer", "precise-prefix-cache-scorer", "mm-embeddings-cache-scorer", "precise-prefix-cache-producer",
  "global-strict-fairness-policy", "round-robin-fairness-policy", "program-aware-fairness", "fcfs-ordering-policy", "edf-ordering-policy",
  "slo-deadline-ordering-policy", "static-usage-limit-policy",
  "approx-prefix-cache-producer", "inflight-load-producer", "predicted-latency-producer", "tokenizer", "mm-embeddings-cache-producer",
  "token-producer", "session-id-producer", "latency-slo-admitter", "probabilistic-admitter",
  "prefix-cache-affinity-filter", "slo-headroom-tier-filter", "latency-scorer",
  "header-based-testing-filter", "destination-endpoint-served-verifier",
  "metrics-data-source", "core-metrics-extractor", "k8s-notification-source", "endpoint-notification-source",
  "request-attribute-reporter", "openai-parser", "vllmgrpc-parser", "passthrough-parser", "anthropic-parser", "vllmhttp-parser", "vertexai-parser",
  "concurrency-detector", "utilization-detector", "file-discovery",
];

/** Alpha: loaded only with --allow-experimental-plugins. */
const ALPHA = [
  "disaggregatedset-rollout-screener", "session-affinity-filter", "endpoint-attribute-filter", "topology-affinity-filter", "utilization-filter",
  "session-affinity-scorer", "header-label-affinity-scorer", "topology-extractor", "dcgm-data-source", "dcgm-extractor",
  "header-profile-handler", "endpoint-attribute-scorer", "topology-affinity-scorer", "burst-prefix-cache-producer", "p2p-source-producer",
  "multicluster-session-affinity-filter", "multicluster-queue-scorer", "multicluster-kv-cache-utilization-scorer", "multicluster-prefix-cache-scorer",
  "multicluster-approx-prefix-cache-producer", "sheddable-eviction-filter", "priority-then-time-eviction-order-policy", "priority-holdback-policy",
  "soft-reflective-ceiling-policy", "multicluster-metrics-data-source", "multicluster-metrics-extractor", "multicluster-file-discovery", "agent-identity",
];

export const PICKER_PLUGIN_STABILITY: ReadonlyMap<string, "Alpha" | "Beta"> = new Map([
  ...BETA.map((t) => [t, "Beta"] as const),
  ...ALPHA.map((t) => [t, "Alpha"] as const),
]);

/** Types implementing the scheduling Picker (framework/plugins/scheduling/picker/*): a profile holds at most one. */
export const PICKER_TYPES: ReadonlySet<string> = new Set(["max-score-picker", "random-picker", "weighted-random-picker"]);

/** Types implementing ProfileHandler (framework/plugins/scheduling/profilehandler/*): a config holds at most one. */
export const PROFILE_HANDLER_TYPES: ReadonlySet<string> = new Set([
  "single-profile-handler", "data-parallel-profile-handler", "pd-profile-handler", "disagg-profile-handler", "header-profile-handler",
]);

/** Feature gates the runner registers (cmd/epp/runner/runner.go: flowcontrol.FeatureGate, server HAPopulateNonLeaderDatastoreFeatureGate). */
export const PICKER_FEATURE_GATES: ReadonlySet<string> = new Set(["flowControl", "haPopulateNonLeaderDatastore"]);
