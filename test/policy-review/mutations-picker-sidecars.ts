/**
 * Review mutations of GIE v1.5.0 chart releases (inferencepool, standalone) whose Envoy sidecar
 * values render a picker pod inference-pool-epp must fail: TLS the picker does not serve, a
 * ConfigMap nothing renders, values epplib's _deployment.yaml writes into a Deployment Helm cannot
 * parse or the API server refuses. Split from mutations-picker-releases.ts by size.
 */
import { Mutation } from "./mutations-support";
import { addPickerRelease, llamaGiePool } from "./mutations-picker-releases";

export const pickerSidecarMutations: Mutation[] = [
  {
    // GIE v1.5.0 standalone/values.yaml runs an Envoy sidecar whose ext_proc cluster calls the picker at 127.0.0.1:9002 over TLS;
    // a flag keyed secure-serving=false (rendered --secure-serving=false) makes the picker answer in plaintext.
    name: "a Helm release of GIE's standalone chart whose picker serves plaintext while the chart's Envoy sidecar calls it over TLS",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { flags: { "secure-serving=false": "" } } }),
  },
  {
    // GIE v1.5.0 epplib _config.yaml renders ConfigMap envoy only under sidecar.enabled, but _deployment.yaml renders sidecar.volumes
    // whatever enabled says, and standalone/values.yaml's volume config mounts ConfigMap envoy: nothing renders it, the pod never starts.
    name: "a Helm release of GIE's standalone chart whose Envoy sidecar is off while its default volume still mounts ConfigMap envoy, which nothing renders",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-off", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { enabled: false } } }),
  },
  {
    // GIE v1.5.0 epplib _config.yaml names the sidecar's ConfigMap from sidecar.configMap.name, but standalone/values.yaml's
    // sidecar.volumes (rendered as given) still mounts ConfigMap envoy, which nothing then renders: the pod never starts.
    name: "a Helm release of GIE's standalone chart that renames its Envoy sidecar's ConfigMap while its default volume still mounts ConfigMap envoy",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-renamed", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { configMap: { name: "llama-gie-envoy" } } } }),
  },
  {
    // GIE v1.5.0 epplib _deployment.yaml writes sidecar.command as one entry (`- {{ . | quote }}`): a list renders as "[envoy]".
    name: "a Helm release of GIE's standalone chart whose Envoy sidecar command is a list, rendered as the one word [envoy]",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-cmd", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { command: ["envoy"] } } }),
  },
  {
    // GIE v1.5.0 epplib _deployment.yaml writes the sidecar's name and image with no default; the inferencepool chart's values.yaml gives neither.
    name: "a Helm release of GIE's inferencepool chart whose Envoy sidecar is turned on with no name or image, a container the API server refuses",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-bare", "inferencepool", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { enabled: true, configMap: { name: "llama-gie-envoy" } } } }),
  },
  {
    // epplib renders sidecar.volumes (tpl of toYaml, sidecar on or off) among the pod's volume list entries: a map there is not YAML.
    name: "a Helm release of GIE's standalone chart whose Envoy sidecar volumes are a map, not a list, so Helm cannot parse its Deployment",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-vols", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { volumes: { config: { configMap: { name: "envoy" } } } } } }),
  },
  {
    // epplib writes sidecar.volumeMounts (toYaml) as the container's volumeMounts: a map the API server cannot decode into []VolumeMount.
    name: "a Helm release of GIE's standalone chart whose Envoy sidecar volumeMounts are a map, not a list, which the API server cannot decode",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-mounts", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { volumeMounts: { name: "config", mountPath: "/etc/envoy" } } } }),
  },
  {
    // epplib indents sidecar.env (toYaml) as the container's own keys: a string there is no key, and the Deployment is not YAML.
    name: "a Helm release of GIE's standalone chart whose Envoy sidecar env is a string, not a list, so Helm cannot parse its Deployment",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-env", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { env: "NS_NAME" } } }),
  },
  {
    // epplib names the picker's own container epp: a sidecar named so is a duplicate container name the API server refuses.
    name: "a Helm release of GIE's standalone chart whose Envoy sidecar is named epp like the picker's container, which the API server refuses",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-dup", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { name: "epp" } } }),
  },
  {
    // epplib writes `name: {{ .Values.inferenceExtension.sidecar.name }}` unquoted: the text 123 is a number to YAML (go-yaml v2), no container name.
    name: "a Helm release of GIE's standalone chart whose Envoy sidecar is named 123, which the chart writes unquoted and YAML reads as a number",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-num", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { name: "123" } } }),
  },
  {
    // With latencyPredictor.enabled epplib _latency-predictor.tpl adds container training-server to the picker's pod: a sidecar named so is a duplicate.
    name: "a Helm release of GIE's standalone chart whose Envoy sidecar is named training-server beside the latency predictor's container of that name",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-lp", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { name: "training-server" }, latencyPredictor: { enabled: true } } }),
  },
  {
    // epplib writes `image: {{ .Values.inferenceExtension.sidecar.image }}` unquoted: after the simple key image:, go-yaml v2's scanner
    // refuses another `: ` on the line (scannerc.go fetch_value: mapping values are not allowed in this context), so Helm cannot parse the Deployment.
    name: "a Helm release of GIE's standalone chart whose Envoy sidecar image holds ': ' (envoyproxy/envoy: v1.33.2), which the chart writes unquoted, so Helm cannot parse its Deployment",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-colon", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { image: "envoyproxy/envoy: v1.33.2" } } }),
  },
  {
    // epplib writes `imagePullPolicy: {{ .Values.inferenceExtension.sidecar.imagePullPolicy | default "IfNotPresent" }}`: the API server takes Always, IfNotPresent or Never only.
    name: "a Helm release of GIE's standalone chart whose Envoy sidecar's imagePullPolicy is always, lower-case, which the API server refuses",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-sidecar-pull", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { sidecar: { imagePullPolicy: "always" } } }),
  },
];
