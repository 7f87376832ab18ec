/**
 * Review mutations of chart-installed endpoint pickers whose values hold a null, as Helm v3.20.2
 * keeps it (chartutil coalesce drops a user's null only over a default of the chart's own values,
 * and keeps every null under a subchart's key, which it coalesces merging) and the chart renders
 * it: llm-d-router v0.10.0's routerlib and GIE v1.5.0's epplib. Split from
 * mutations-picker-releases.ts by concept (and size), whose addPickerRelease installs each release.
 */
import type { Mutation } from "./mutations-support";
import { addPickerRelease, llamaGiePool } from "./mutations-picker-releases";

export const pickerNullMutations: Mutation[] = [
  {
    // Helm v3.20.2 chartutil coalesce keeps a null the chart's values have no default for (router.proxy.configMap has none);
    // routerlib v0.10.0's mergeOverwrite lays it over the envoy preset's envoy.yaml and proxyConfigMapData renders tpl (toString nil):
    // the text "<nil>", which Envoy refuses as its bootstrap ("Unable to convert YAML as JSON"), so the proxy crash-loops.
    name: "an llm-d-router-standalone Helm release whose null router.proxy.configMap.data envoy.yaml renders the Envoy proxy's config as the text <nil>",
    policy: "inference-pool-epp",
    apply: (doc) =>
      addPickerRelease(doc, "router-proxy-nil", "llm-d-router-standalone", {
        router: { modelServers: { matchLabels: { app: "llama-router" } }, inferencePool: { create: false }, proxy: { configMap: { data: { "envoy.yaml": null } } } },
      }),
  },
  {
    // The same null on router.proxy.configMap: the merged configMap is null, so routerlib _config.yaml renders no proxy ConfigMap,
    // while the envoy preset's volume still mounts ConfigMap envoy, which nothing renders.
    name: "an llm-d-router-standalone Helm release whose null router.proxy.configMap leaves its Envoy preset's volume mounting a ConfigMap nothing renders",
    policy: "inference-pool-epp",
    apply: (doc) =>
      addPickerRelease(doc, "router-proxy-nocm", "llm-d-router-standalone", {
        router: { modelServers: { matchLabels: { app: "llama-router" } }, inferencePool: { create: false }, proxy: { configMap: null } },
      }),
  },
  {
    // A null router.proxy.configMap.name: routerlib v0.10.0's mergeOverwrite lays it over the preset's name, and _config.yaml
    // prints `name: {{ $proxy.configMap.name }}` with no default, which Helm v3.20.2's engine renders as "": Helm cannot install it.
    name: "an llm-d-router-standalone Helm release whose null router.proxy.configMap.name renders its proxy's ConfigMap without a name",
    policy: "inference-pool-epp",
    apply: (doc) =>
      addPickerRelease(doc, "router-proxy-noname", "llm-d-router-standalone", {
        router: { modelServers: { matchLabels: { app: "llama-router" } }, inferencePool: { create: false }, proxy: { configMap: { name: null } } },
      }),
  },
  {
    // Helm v3.20.2 chartutil coalesce keeps a null no chart default covers (neither chart has router.epp.flags); routerlib
    // v0.10.0 _deployment.yaml prints it "--grpc-port=<nil>", which pflag cannot parse as an int: the picker exits at start.
    name: "an llm-d-router-gateway Helm release whose null router.epp.flags.grpc-port renders --grpc-port=<nil>, which the picker refuses",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router-flag-nil", "llm-d-router-gateway", { router: { modelServers: { matchLabels: { app: "llama-router" } }, epp: { flags: { "grpc-port": null } } } }),
  },
  {
    // A string flag's null is kept and printed alike: "--config-file=<nil>" after the chart's own (pflag keeps the last), and
    // llm-d-router v0.10.0's runner reads its config with os.ReadFile("<nil>") from / (Dockerfile.epp WORKDIR): it exits at start.
    name: "an llm-d-router-gateway Helm release whose null router.epp.flags.config-file renders --config-file=<nil>, a file the picker cannot read",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router-file-nil", "llm-d-router-gateway", { router: { modelServers: { matchLabels: { app: "llama-router" } }, epp: { flags: { "config-file": null } } } }),
  },
  {
    // Helm v3.20.2 keeps the null (the chart's envoy.yaml default sits under the subchart key inferenceExtension, which chartutil
    // coalesces merging); GIE v1.5.0 epplib _config.yaml renders it with toYaml as `envoy.yaml: null`, an empty entry, and the
    // Envoy sidecar (-c /etc/envoy/envoy.yaml) finds no bootstrap there (MessageUtil::loadFromYaml): it exits at start.
    name: "a Helm release of GIE's standalone chart whose null inferenceExtension.sidecar.configMap.data envoy.yaml leaves its Envoy sidecar no bootstrap",
    policy: "inference-pool-epp",
    apply: (doc) =>
      addPickerRelease(doc, "gie-sidecar-nil", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { configMap: { data: { "envoy.yaml": null } } } } }),
  },
  {
    // Helm v3.20.2 keeps the null (the subchart key inferenceExtension is coalesced merging); GIE v1.5.0 epplib _config.yaml writes
    // `name: {{ .Values.inferenceExtension.sidecar.configMap.name }}` (no default), a nil printed as "": Helm cannot install the release.
    name: "a Helm release of GIE's standalone chart whose null inferenceExtension.sidecar.configMap.name renders its Envoy sidecar's ConfigMap without a name",
    policy: "inference-pool-epp",
    apply: (doc) =>
      addPickerRelease(doc, "gie-sidecar-noname", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { configMap: { name: null } } } }),
  },
  {
    // Helm v3.20.2 keeps the null over the inferencepool chart's `v: 1` (the subchart key inferenceExtension is coalesced merging);
    // GIE v1.5.0 epplib _deployment.yaml renders `--v` and "" (a nil's <no value>, emptied), which GIE's own picker (the chart's
    // default image) parses as its int verbosity (logging options IntVarP): pflag refuses it and the picker exits at start.
    name: "a Helm release of GIE's legacy inferencepool chart whose null inferenceExtension.flags.v renders --v with an empty value, which its picker refuses",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-flag-nil", "inferencepool", { inferencePool: llamaGiePool(), inferenceExtension: { flags: { v: null } } }),
  },
  {
    // epplib renders the null as `--pool-name ""` after the chart's `--pool-name <release>` (pflag keeps the last): with no
    // --endpoint-selector either, GIE v1.5.0's picker's Validate refuses to start ("either pool-name or endpoint-selector must be set").
    name: "a Helm release of GIE's legacy inferencepool chart whose null inferenceExtension.flags.pool-name empties the chart's --pool-name, leaving its picker neither a pool nor a selector",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-pool-nil", "inferencepool", { inferencePool: llamaGiePool(), inferenceExtension: { flags: { "pool-name": null } } }),
  },
  {
    // epplib renders the null as `--model-server-metrics-scheme ""`; GIE v1.5.0's own picker (the chart's default image)
    // takes only http or https (pkg/epp/server/options.go Validate) and exits at start.
    name: "a Helm release of GIE's legacy inferencepool chart whose null inferenceExtension.flags.model-server-metrics-scheme renders an empty scheme, which its picker refuses",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-scheme-nil", "inferencepool", { inferencePool: llamaGiePool(), inferenceExtension: { flags: { "model-server-metrics-scheme": null } } }),
  },
  {
    // Helm v3.20.2 keeps the null under the subchart key inferenceExtension; GIE v1.5.0 epplib _config.yaml renders it with toYaml as
    // `data: null`, a ConfigMap envoy with no key, while the standalone chart's sidecar volume maps its key envoy.yaml (not optional):
    // the kubelet cannot mount it (MakePayload: references non-existent config key), so the picker's pod never starts.
    name: "a Helm release of GIE's standalone chart whose null inferenceExtension.sidecar.configMap.data leaves ConfigMap envoy without the envoy.yaml its sidecar's volume maps",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-nodata", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { configMap: { data: null } } } }),
  },
  {
    // GIE v1.5.0 epplib _deployment.yaml reads .Values.inferenceExtension.sidecar.enabled: on a nil, Helm's template fails
    // (nil pointer evaluating interface {}.enabled), so the chart does not render and the release does not install.
    name: "a Helm release of GIE's standalone chart whose null inferenceExtension.sidecar fails the chart's template on sidecar.enabled",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-nil", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: null } }),
  },
  {
    // GIE v1.5.0 epplib _deployment.yaml renders `--ha-enable-leader-election` and "": pflag sets the bool true (NoOptDefVal) and
    // leaves "" over; with replicas 1 the chart probes gRPC health service inference-extension, which the picker's health server
    // (cmd/epp/runner/health.go Check) answers SERVICE_UNKNOWN under leader election: restarted, never Ready.
    name: "a Helm release of GIE's legacy inferencepool chart whose null inferenceExtension.flags.ha-enable-leader-election turns leader election on in its one picker pod, whose probes then ask a health service the picker does not know",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-leader-nil", "inferencepool", { inferencePool: llamaGiePool(), inferenceExtension: { flags: { "ha-enable-leader-election": null } } }),
  },
];
