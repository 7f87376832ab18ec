/**
 * Review mutations of the endpoint pickers' configs and Services, and of pickers installed by
 * llm-d-router's own charts (llm-d-router-gateway v0.10.0 Helm releases): each a change
 * inference-pool-epp must fail.
 * Split from mutations-pools-gpu.ts by concept.
 */
import * as yaml from "js-yaml";
import { Mutation, resources, isKind, onFirst, edit, podSpecs, eppService, eppRule, istiod } from "./mutations-support";
import type { ExportedDeployment } from "../../scripts/lib/review-wire";

type PickerConfig = { plugins: { name?: string; type: string; parameters?: unknown }[]; dataLayer?: { sources?: unknown[] } };

/** The first picker ConfigMap's `default-plugins.yaml`, parsed, changed by `change`, written back. */
function editPickerConfig(doc: ExportedDeployment, change: (config: PickerConfig) => void) {
  return onFirst(doc, (r) => isKind(r, "ConfigMap") && typeof (r.inputs as any)?.data?.["default-plugins.yaml"] === "string", (o) => {
    const config = yaml.load(o.data["default-plugins.yaml"]) as PickerConfig;
    change(config);
    o.data["default-plugins.yaml"] = yaml.dump(config);
  });
}

export const pickerMutations: Mutation[] = [
  {
    // Kubernetes ignores an ExternalName Service's selector (k8s.io/api v0.33 ServiceSpec); Istio 1.30.3
    // aliases the Service to its external host, so the gateway's ext-proc calls (request bodies) go there.
    name: "the EPP Service made type ExternalName (its selector and ports kept), aliasing an external host",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, eppService, (o) => Object.assign(o.spec, { type: "ExternalName", externalName: "picker.example.com" })),
  },
  {
    // Istio 1.30.3 applyLoadBalancer makes PASSTHROUGH an ORIGINAL_DST cluster, whose host Envoy's
    // original_dst_cluster.cc chooseHost takes from the downstream connection: the gateway's ext_proc
    // stream (an async client call) has none, so every call to the picker finds no host.
    name: "the first picker's TLS DestinationRule given loadBalancer.simple PASSTHROUGH (an ORIGINAL_DST cluster)",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, eppRule, (o) => (o.spec.trafficPolicy.loadBalancer = { simple: "PASSTHROUGH" })),
  },
  {
    // Istio 1.30.3 applyUpstreamProxyProtocol opens each connection to the picker with a PROXY header,
    // which llm-d-router v0.10.0's gRPC listener (internal/runnable/grpc.go) does not read.
    name: "the first picker's TLS DestinationRule given trafficPolicy.proxyProtocol V2",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, eppRule, (o) => (o.spec.trafficPolicy.proxyProtocol = { version: "V2" })),
  },
  {
    // llm-d-router v0.10.0's loader refuses a type it does not register: the picker exits at start and crash-loops.
    name: "an endpoint picker's EndpointPickerConfig naming a plugin type its release does not register",
    policy: "inference-pool-epp",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "ConfigMap") && typeof (r.inputs as any)?.data?.["default-plugins.yaml"] === "string", (o) => {
        o.data["default-plugins.yaml"] = o.data["default-plugins.yaml"].replace("type: queue-scorer", "type: least-queue-scorer");
      }),
  },
  {
    // prefix-cache-scorer's factory refuses a matchLengthWeight outside 0..1 (v0.10.0 scheduling/scorer/prefix/plugin.go), read here as a profile weight.
    name: "an endpoint picker's prefix-cache scorer given matchLengthWeight 3, which its factory refuses",
    policy: "inference-pool-epp",
    apply: (doc) =>
      editPickerConfig(doc, (config) => {
        for (const p of config.plugins.filter((x) => x.type === "prefix-cache-scorer")) p.parameters = { matchLengthWeight: 3 };
      }),
  },
  {
    // approximateprefix/plugin.go (v0.10.0) newDataProducer refuses blockSizeTokens <= 0 without autoTune: the picker exits at start.
    name: "an endpoint picker's config adding an approx-prefix-cache-producer with autoTune false and blockSizeTokens 0, which its factory refuses",
    policy: "inference-pool-epp",
    apply: (doc) =>
      editPickerConfig(doc, (config) => {
        config.plugins.push({ type: "approx-prefix-cache-producer", parameters: { autoTune: false, blockSizeTokens: 0 } });
      }),
  },
  {
    // A legacy precise-prefix-cache-scorer config moved onto the producer: v0.10.0 dataproducer/preciseprefixcache/producer.go
    // PluginFactory refuses indexerConfig.tokenizersPoolConfig (tokens come only from a token-producer), so the picker exits at start.
    name: "an endpoint picker's config adding a precise-prefix-cache-producer with the legacy scorer's indexerConfig.tokenizersPoolConfig, which its factory refuses",
    policy: "inference-pool-epp",
    apply: (doc) =>
      editPickerConfig(doc, (config) => {
        config.plugins.push({ type: "precise-prefix-cache-producer", parameters: { indexerConfig: { tokenizersPoolConfig: { modelName: "meta-llama/Llama-3.1-8B-Instruct" } } } });
      }),
  },
  {
    // v0.10.0 scheduling/filter/sloheadroomtier/plugin.go Factory refuses an epsilonExploreNeg outside [0, 1]: the picker exits at start.
    name: "an endpoint picker's config adding a slo-headroom-tier-filter with epsilonExploreNeg 1.5, which its factory refuses",
    policy: "inference-pool-epp",
    apply: (doc) =>
      editPickerConfig(doc, (config) => {
        config.plugins.push({ type: "slo-headroom-tier-filter", parameters: { epsilonExploreNeg: 1.5 } });
      }),
  },
  {
    // v0.10.0 dataproducer/preciseprefixcache/producer.go: JSON null sets the default KVEventsConfig pointer to nil, and New reads its EngineType: a panic at start.
    name: "an endpoint picker's config adding a precise-prefix-cache-producer with kvEventsConfig null, on which it panics at start",
    policy: "inference-pool-epp",
    apply: (doc) =>
      editPickerConfig(doc, (config) => {
        config.plugins.push({ type: "precise-prefix-cache-producer", parameters: { kvEventsConfig: null } });
      }),
  },
  {
    // v0.10.0 dataproducer/tokenizer/tokenizer.go PluginFactory: a `vllm` backend without modelName is refused ("'modelName' must be specified").
    name: "an endpoint picker's config adding a token-producer with a vllm render backend but no modelName, which its factory refuses",
    policy: "inference-pool-epp",
    apply: (doc) =>
      editPickerConfig(doc, (config) => {
        config.plugins.push({ type: "token-producer", parameters: { vllm: { url: "http://localhost:8000" } } });
      }),
  },
  {
    // v0.10.0 datalayer/source/notifications/factory.go NotificationSourceFactory refuses a GVK without version or kind: the picker exits at start.
    name: "an endpoint picker's config adding a k8s-notification-source without a version, which its factory refuses",
    policy: "inference-pool-epp",
    apply: (doc) =>
      editPickerConfig(doc, (config) => {
        config.plugins.push({ type: "k8s-notification-source", parameters: { group: "apps", kind: "Deployment" } });
      }),
  },
  {
    // v0.10.0 requestcontrol/requestattributereporter/plugin.go decodes from the loader's decoder, nil without parameters: a panic at start.
    name: "an endpoint picker's config adding a request-attribute-reporter without parameters, on which it panics at start",
    policy: "inference-pool-epp",
    apply: (doc) =>
      editPickerConfig(doc, (config) => {
        config.plugins.push({ type: "request-attribute-reporter" });
      }),
  },
  {
    // v0.10.0 requestcontrol/requestattributereporter/plugin.go New compiles the expression with cel-go and refuses one that does not: the picker exits at start.
    name: "an endpoint picker's config adding a request-attribute-reporter whose expression does not parse as CEL",
    policy: "inference-pool-epp",
    apply: (doc) =>
      editPickerConfig(doc, (config) => {
        config.plugins.push({ type: "request-attribute-reporter", parameters: { attributes: [{ key: { name: "completion-tokens" }, expression: "usage.completion_tokens +" }] } });
      }),
  },
  {
    // cel-go's parser (VisitInt: strconv.ParseInt) refuses an int literal past 64 bits: New's env.Compile fails and the picker exits at start.
    name: "an endpoint picker's config adding a request-attribute-reporter whose condition compares with an int literal past 64 bits",
    policy: "inference-pool-epp",
    apply: (doc) =>
      editPickerConfig(doc, (config) => {
        config.plugins.push({ type: "request-attribute-reporter", parameters: { attributes: [{ key: { name: "completion-tokens" }, expression: "usage.completion_tokens", condition: "usage.completion_tokens < 18446744073709551616" }] } });
      }),
  },
  {
    // v0.10.0 requestattributereporter/plugin.go: cel.NewEnv without cel.OptionalTypes(), so cel-go's parser (no EnableOptionalSyntax) refuses `.?`.
    name: "an endpoint picker's config adding a request-attribute-reporter whose expression uses CEL's optional syntax",
    policy: "inference-pool-epp",
    apply: (doc) =>
      editPickerConfig(doc, (config) => {
        config.plugins.push({ type: "request-attribute-reporter", parameters: { attributes: [{ key: { name: "completion-tokens" }, expression: "usage.?completion_tokens.orValue(0)" }] } });
      }),
  },
  {
    // v0.10.0 datalayer/runtime.go registerSource refuses a second notification source of one GVK: the picker exits at start.
    name: "an endpoint picker's config whose data layer takes two k8s-notification-sources watching Pods",
    policy: "inference-pool-epp",
    apply: (doc) =>
      editPickerConfig(doc, (config) => {
        for (const name of ["pods", "pods-again"]) config.plugins.push({ name, type: "k8s-notification-source", parameters: { version: "v1", kind: "Pod" } });
        config.dataLayer = { ...config.dataLayer, sources: [...(config.dataLayer?.sources ?? []), { pluginRef: "pods" }, { pluginRef: "pods-again" }] };
      }),
  },
  {
    // v0.10.0 disaggregatedsetrollout README: a prefer selector only stamps its label; a header-label-affinity-scorer
    // repeating its header and label applies the preference. The screener is Alpha, so the pickers run experimental plugins.
    name: "an endpoint picker's config adding a rollout screener whose prefer header selector no header-label-affinity-scorer applies",
    policy: "inference-pool-epp",
    apply: (doc) => {
      for (const r of resources(doc).filter((x) => isKind(x, "Deployment") && JSON.stringify(x.inputs ?? {}).includes('"--config-file"'))) {
        edit(r, (o) => podSpecs(o).forEach((spec: any) => spec.containers?.forEach((c: any) => c.args?.includes("--config-file") && c.args.push("--allow-experimental-plugins"))));
      }
      return editPickerConfig(doc, (config) => {
        const selector = { name: "slice", headerName: "x-disagg-slice", labelKey: "disaggregatedset.x-k8s.io/slice", mode: "prefer" };
        config.plugins.push({ type: "disaggregatedset-rollout-screener", parameters: { scope: { labelSelector: "app=vllm" }, headerSelectors: [selector], revisionGating: { mode: "disabled" } } });
      });
    },
  },
  {
    // Istio 1.30.3 deploymentcontroller.go extractInfrastructureMetadata: without spec.infrastructure.labels the
    // Gateway's own labels reach its pods only while PILOT_ENABLE_GATEWAY_API_COPY_LABELS_ANNOTATIONS holds, so
    // a workloadSelector on one (model/sidecar.go DestinationRule) then selects no gateway and no rule applies.
    name: "the pickers' TLS DestinationRules narrowed to the inference gateway's own label app.kubernetes.io/name while istiod stops copying Gateway labels onto its pods",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const rules = resources(doc).filter(eppRule);
      const istiods = resources(doc).filter(istiod);
      if (rules.length === 0 || istiods.length === 0) return undefined;
      istiods.forEach((r) => edit(r, (o) => (o.values.env = { ...o.values.env, PILOT_ENABLE_GATEWAY_API_COPY_LABELS_ANNOTATIONS: "false" })));
      return rules.map((r) => edit(r, (o) => (o.spec.workloadSelector = { matchLabels: { "app.kubernetes.io/name": "inference-gateway" } })))[0];
    },
  },
];
