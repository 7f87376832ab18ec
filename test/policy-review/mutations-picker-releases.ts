/**
 * Review mutations of endpoint pickers installed by Helm charts (llm-d-router v0.10.0's
 * llm-d-router-gateway and -standalone, GIE v1.5.0's inferencepool and standalone): each a release
 * whose values render a picker inference-pool-epp must fail. Split from mutations-pickers.ts by size.
 */
import type { ExportedDeployment, ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, resources, isKind, addLike } from "./mutations-support";
import { envoyYaml } from "../support/envoy-bootstrap";

/** Each chart a mutation installs: the release's name, the chart's reference and its version. */
export const PICKER_CHARTS = {
  "llm-d-router-gateway": { release: "llama-router", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-gateway", version: "v0.10.0" },
  "llm-d-router-standalone": { release: "llama-router", chart: "oci://ghcr.io/llm-d/charts/llm-d-router-standalone", version: "v0.10.0" },
  inferencepool: { release: "llama-gie", chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool", version: "v1.5.0" },
  standalone: { release: "llama-gie", chart: "oci://registry.k8s.io/gateway-api-inference-extension/charts/standalone", version: "v1.5.0" },
} as const;

/** The GIE chart releases' pool values: the model servers labelled app: llama-gie (a fresh object each time, as each mutation's release owns its values). */
export const llamaGiePool = () => ({ modelServers: { matchLabels: { app: "llama-gie" } } });

/**
 * Adds a Helm Release of `chart` in namespace inference beside the stack's picker ConfigMap (the
 * one holding default-plugins.yaml), on its cluster, named `-<name>` after it; `values` may be read
 * from that ConfigMap (undefined: nothing to add). Given `repositoryOpts`, the chart is named bare
 * (its name) beside them. Undefined where the stack has no picker ConfigMap.
 */
export function addPickerRelease(
  doc: ExportedDeployment,
  name: string,
  chart: keyof typeof PICKER_CHARTS,
  values: Record<string, unknown> | ((pickerConfig: ExportedResource) => Record<string, unknown> | undefined),
  opts: { repositoryOpts?: Record<string, unknown> } = {},
): string | undefined {
  const like = resources(doc).find((r) => isKind(r, "ConfigMap") && typeof (r.inputs as any)?.data?.["default-plugins.yaml"] === "string");
  if (!like) return undefined;
  const c = PICKER_CHARTS[chart];
  const source = opts.repositoryOpts ? { chart, repositoryOpts: opts.repositoryOpts } : { chart: c.chart };
  const given = typeof values === "function" ? values(like) : values;
  if (!given) return undefined;
  return addLike(doc, like, name, "kubernetes:helm.sh/v3:Release", { name: c.release, namespace: "inference", ...source, version: c.version, values: given });
}

export const pickerReleaseMutations: Mutation[] = [
  {
    // The chart's payload-agnostic.yaml holds session-affinity-scorer, Alpha in llm-d-router v0.10.0 (runner.go): without
    // router.epp.flags.allow-experimental-plugins the rendered picker exits at start.
    name: "an llm-d-router-gateway Helm release whose picker runs the chart's payload-agnostic.yaml without --allow-experimental-plugins",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router", "llm-d-router-gateway", { router: { modelServers: { matchLabels: { app: "llama-router" } }, epp: { pluginsConfigFile: "payload-agnostic.yaml" } } }),
  },
  {
    // llm-d-router v0.10.0 routerlib _service.yaml/_inferencepool.yaml give the Service (no targetPort) and the pool
    // router.epp.extProcPort, but _deployment.yaml never passes it to the picker, which serves ext-proc on 9002.
    name: "an llm-d-router-gateway Helm release whose router.epp.extProcPort moves the picker Service off the port its picker serves",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router-port", "llm-d-router-gateway", { router: { modelServers: { matchLabels: { app: "llama-router" } }, epp: { extProcPort: 9012 } } }),
  },
  {
    // llm-d-router v0.10.0 routerlib _inferencepool.yaml points a preferredBackends pool at <release>-epp-backup, which
    // llm-d-router-gateway/templates/istio.yaml's DestinationRule (host <release>-epp) does not cover: no TLS to the picker.
    name: "an llm-d-router-gateway Helm release with provider istio and GKE preferredBackends, routed through the Istio inference gateway",
    policy: "inference-pool-epp",
    apply: (doc) =>
      addPickerRelease(doc, "router-backup", "llm-d-router-gateway", {
        router: { modelServers: { matchLabels: { app: "llama-router" } } },
        provider: { name: "istio", gke: { preferredBackends: { enabled: true } } },
        httpRoute: { create: true, inferenceGatewayName: "inference-gateway", inferenceGatewayNamespace: "inference" },
      }),
  },
  {
    // Istio 1.30.3 applyLoadBalancer: PASSTHROUGH is an ORIGINAL_DST cluster, whose host the gateway's ext_proc
    // stream (an Envoy async call, no downstream connection) never has; the chart's picker is reached the same way.
    name: "an llm-d-router-gateway Helm release routed through the Istio inference gateway, its picker's TLS DestinationRule given loadBalancer.simple PASSTHROUGH",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const like = resources(doc).find((r) => isKind(r, "ConfigMap") && typeof (r.inputs as any)?.data?.["default-plugins.yaml"] === "string");
      const added = addPickerRelease(doc, "router-passthrough", "llm-d-router-gateway", {
        router: { modelServers: { matchLabels: { app: "llama-router" } } },
        httpRoute: { create: true, inferenceGatewayName: "inference-gateway", inferenceGatewayNamespace: "inference" },
      });
      if (!like || !added) return undefined;
      const spec = { host: "llama-router-epp", trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: true }, loadBalancer: { simple: "PASSTHROUGH" } } };
      return addLike(doc, like, "router-passthrough-dr", "kubernetes:networking.istio.io/v1:DestinationRule", { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "llama-router-epp", namespace: "inference" }, spec });
    },
  },
  {
    // GIE v1.5.0 epplib _service.yaml/inferencepool.yaml give the Service and pool inferenceExtension.extProcPort, which
    // _deployment.yaml never passes to the picker (it serves ext-proc on 9002).
    name: "a Helm release of GIE's legacy inferencepool chart whose inferenceExtension.extProcPort moves the picker Service off the port its picker serves",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-port", "inferencepool", { inferencePool: llamaGiePool(), inferenceExtension: { extProcPort: 9012 } }),
  },
  {
    // GIE v1.5.0 epplib _deployment.yaml passes inferenceExtension.flags to the picker but probes gRPC health on 9003 literally.
    name: "a Helm release of GIE's legacy inferencepool chart whose inferenceExtension.flags.grpc-health-port moves the picker's health server off the 9003 its probes check",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "gie-health", "inferencepool", { inferencePool: llamaGiePool(), inferenceExtension: { flags: { "grpc-health-port": 9013 } } }),
  },
  {
    // GIE v1.5.0's standalone chart runs epplib's picker; createInferencePool false runs it standalone, where _deployment.yaml passes
    // endpointsServer.modelServerType sglang's legacy metric flags, which llm-d-router v0.10.0's Validate refuses at start.
    name: "a Helm release of GIE's standalone chart running llm-d-router's picker standalone for sglang servers, for which the chart passes metric flags it refuses",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const image = { registry: "ghcr.io/llm-d", repository: "llm-d-router-endpoint-picker", tag: "v0.10.0" };
      return addPickerRelease(doc, "gie-standalone", "standalone", { inferenceExtension: { image, endpointsServer: { createInferencePool: false, endpointSelector: "app=llama-gie", modelServerType: "sglang" } } });
    },
  },
  {
    // llm-d-router v0.10.0 routerlib _deployment.yaml passes --config-file /config/<pluginsConfigFile> and then router.epp.flags as
    // --<key>=<value>; a config-text flag beside it is refused by Validate (pkg/epp/server/options.go): the picker exits at start.
    name: "an llm-d-router-gateway Helm release whose router.epp.flags.config-text sits beside the --config-file the chart always passes",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router-text", "llm-d-router-gateway", (config) => ({ router: { modelServers: { matchLabels: { app: "llama-router" } }, epp: { flags: { "config-text": (config.inputs as any).data["default-plugins.yaml"] } } } })),
  },
  {
    // routerlib _deployment.yaml ranges over router.epp.flags as over a map: a list renders --0=<item>, which pflag refuses.
    name: "an llm-d-router-gateway Helm release whose router.epp.flags is a list, rendered as --0=<item>",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router-list", "llm-d-router-gateway", { router: { modelServers: { matchLabels: { app: "llama-router" } }, epp: { flags: ["--v=2"] } } }),
  },
  {
    // A chart called standalone is GIE's only from GIE's repository (or read by name where none is given); named beside
    // repositoryOpts.repo, GIE's staging registry, its picker Service port is read as epplib renders it: off the picker's 9002.
    name: "a Helm release of chart standalone from GIE's repository (repositoryOpts.repo) whose inferenceExtension.extProcPort moves its picker Service off the picker's port",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const repositoryOpts = { repo: "oci://us-central1-docker.pkg.dev/k8s-staging-images/gateway-api-inference-extension/charts" };
      return addPickerRelease(doc, "gie-repo", "standalone", { inferencePool: llamaGiePool(), inferenceExtension: { extProcPort: 9012 } }, { repositoryOpts });
    },
  },
  {
    // routerlib v0.10.0 passes --pool-name <release> before router.epp.flags, whose pool-name wins (pflag); the picker then watches a
    // pool nobody renders, never syncs, and its health server stays NOT_SERVING (cmd/epp/runner/health.go).
    name: "an llm-d-router-gateway Helm release whose router.epp.flags.pool-name names an InferencePool the stack does not render",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router-pool-name", "llm-d-router-gateway", { router: { modelServers: { matchLabels: { app: "llama-router" } }, epp: { flags: { "pool-name": "llama-router-missing" } } } }),
  },
  {
    // routerlib v0.10.0 passes --pool-name <release> before router.epp.flags, whose pool-name wins (pflag): the picker behind the
    // chart's own pool's endpointPickerRef watches another pool of the stack and picks that pool's model servers for it.
    name: "an llm-d-router-gateway Helm release whose router.epp.flags.pool-name names another InferencePool of the stack",
    policy: "inference-pool-epp",
    apply: (doc) =>
      addPickerRelease(doc, "router-pool-other", "llm-d-router-gateway", (config) => {
        const pool = resources(doc).find((r) => isKind(r, "InferencePool") && r.provider === config.provider && (r.inputs as any)?.metadata?.namespace === "inference");
        return pool && { router: { modelServers: { matchLabels: { app: "llama-router" } }, epp: { flags: { "pool-name": (pool.inputs as any).metadata.name } } } };
      }),
  },
  {
    // routerlib ranges over `router.epp.flags | default dict`: a non-empty string is not a map, Go's template refuses it, the chart does not render.
    name: "an llm-d-router-gateway Helm release whose router.epp.flags is a plain string, which the chart cannot range over",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router-flags-text", "llm-d-router-gateway", { router: { modelServers: { matchLabels: { app: "llama-router" } }, epp: { flags: "--v=2" } } }),
  },
  {
    // routerlib v0.10.0 _deployment.yaml passes --grpc-health-port <router.epp.grpcHealthPort> and probes it, then router.epp.flags
    // as --<key>=<value>: a flag's grpc-health-port wins (pflag), and the probes check a port nothing serves.
    name: "an llm-d-router-gateway Helm release whose router.epp.flags.grpc-health-port moves the picker's health server off the port its probes check",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router-health", "llm-d-router-gateway", { router: { modelServers: { matchLabels: { app: "llama-router" } }, epp: { flags: { "grpc-health-port": 9013 } } } }),
  },
  {
    // routerlib v0.10.0 _helpers.tpl eppSecureServing drops the Envoy proxy's TLS only for secure-serving printing "false";
    // pflag reads "False" as false too, so the picker serves plaintext to a proxy still speaking TLS.
    name: "an llm-d-router-standalone Helm release whose router.epp.flags.secure-serving \"False\" leaves the chart's Envoy proxy speaking TLS to a plaintext picker",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router-proxy", "llm-d-router-standalone", { router: { modelServers: { matchLabels: { app: "llama-router" } }, inferencePool: { create: false }, epp: { flags: { "secure-serving": "False" } } } }),
  },
  {
    // routerlib v0.10.0: in service mode the envoy preset's ext_proc cluster dials <release>-epp.<ns>.svc:9002 (a literal), while
    // the picker Service serves router.epp.extProcPort: the proxy reaches no picker.
    name: "an llm-d-router-standalone Helm release in proxy service mode whose router.epp.extProcPort moves the picker Service off the 9002 its Envoy preset dials",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router-proxy-service", "llm-d-router-standalone", { router: { modelServers: { matchLabels: { app: "llama-router" } }, inferencePool: { create: false }, proxy: { mode: "service" }, epp: { extProcPort: 9012, flags: { "grpc-port": 9012 } } } }),
  },
  {
    // routerlib v0.10.0 _helpers.tpl proxy.agentgatewayConfig: the agentgateway sidecar binds config.statsAddr 0.0.0.0:15020 in the
    // picker's pod, where router.epp.flags.metrics-port 15020 moves the picker's metrics server: the second to bind crash-loops.
    name: "an llm-d-router-standalone Helm release whose agentgateway sidecar's stats port 15020 is its picker's --metrics-port too",
    policy: "inference-pool-epp",
    apply: (doc) =>
      addPickerRelease(doc, "router-agw-ports", "llm-d-router-standalone", {
        router: { modelServers: { matchLabels: { app: "llama-router" } }, inferencePool: { create: false }, proxy: { proxyType: "agentgateway" }, epp: { flags: { "metrics-port": 15020 } } },
      }),
  },
  {
    // routerlib v0.10.0 _helpers.tpl llm-d-router.proxy lays router.proxy.configMap over the envoy preset's: an envoy.yaml of
    // the values' own whose ext_proc cluster has no TLS transport socket calls the picker, which serves TLS by default, in plaintext.
    name: "an llm-d-router-standalone Helm release whose own envoy.yaml (router.proxy.configMap.data) calls its TLS picker in plaintext",
    policy: "inference-pool-epp",
    apply: (doc) =>
      addPickerRelease(doc, "router-proxy-own", "llm-d-router-standalone", {
        router: { modelServers: { matchLabels: { app: "llama-router" } }, inferencePool: { create: false }, proxy: { configMap: { data: { "envoy.yaml": envoyYaml(9002, false) } } } },
      }),
  },
  {
    // routerlib v0.10.0 _config.yaml renders the proxy's ConfigMap under router.proxy.configMap.name, but _deployment.yaml
    // mounts router.proxy.volumes as given: the envoy preset's volume still names ConfigMap envoy, which nothing renders.
    name: "an llm-d-router-standalone Helm release renaming router.proxy.configMap while its Envoy preset's volume still mounts ConfigMap envoy",
    policy: "inference-pool-epp",
    apply: (doc) =>
      addPickerRelease(doc, "router-proxy-renamed", "llm-d-router-standalone", {
        router: { modelServers: { matchLabels: { app: "llama-router" } }, inferencePool: { create: false }, proxy: { configMap: { name: "llama-router-envoy" } } },
      }),
  },
  {
    // The chart's proxy ConfigMap holds the envoy preset's envoy.yaml and router.proxy.configMap.data (routerlib v0.10.0
    // proxyConfigMapData); a volume mapping another key of it fails kubelet configmap MakePayload, so the pod never starts.
    name: "an llm-d-router-standalone Helm release whose proxy volume maps a key (proxy.yaml) its chart-rendered ConfigMap envoy lacks",
    policy: "inference-pool-epp",
    apply: (doc) =>
      addPickerRelease(doc, "router-proxy-key", "llm-d-router-standalone", {
        router: {
          modelServers: { matchLabels: { app: "llama-router" } },
          inferencePool: { create: false },
          proxy: { volumes: [{ name: "config", configMap: { name: "envoy", items: [{ key: "proxy.yaml", path: "envoy.yaml" }] } }] },
        },
      }),
  },
  {
    // routerlib v0.10.0 _helpers.tpl proxyConfigMapData runs the envoy.yaml of router.proxy.configMap.data through `tpl`: an
    // ext_proc cluster written as {{ .Release.Name }}-epp.{{ .Release.Namespace }}.svc dials the picker Service, on 9012, a
    // port that Service (router.epp.extProcPort 9002) does not have.
    name: "an llm-d-router-standalone Helm release in proxy service mode whose own envoy.yaml names the picker Service by {{ .Release.Name }}-epp.{{ .Release.Namespace }} on a port the Service does not have",
    policy: "inference-pool-epp",
    apply: (doc) =>
      addPickerRelease(doc, "router-proxy-tpl", "llm-d-router-standalone", {
        router: {
          modelServers: { matchLabels: { app: "llama-router" } },
          inferencePool: { create: false },
          proxy: { mode: "service", configMap: { data: { "envoy.yaml": envoyYaml(9012, true, 19000, "{{ .Release.Name }}-epp.{{ .Release.Namespace }}.svc.cluster.local") } } },
        },
      }),
  },
  {
    // routerlib v0.10.0 _deployment.yaml passes every key of router.epp.flags as "--<key>=<value>"; llm-d-router v0.10.0's
    // picker defines no kv-cache-threshold (pkg/epp/server/options.go AddFlags), so pflag.Parse stops: unknown flag, exit at start.
    name: "an llm-d-router-gateway Helm release whose router.epp.flags.kv-cache-threshold is no flag its picker defines",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router-flag-unknown", "llm-d-router-gateway", { router: { modelServers: { matchLabels: { app: "llama-router" } }, epp: { flags: { "kv-cache-threshold": 0.8 } } } }),
  },
  {
    // routerlib v0.10.0 _deployment.yaml probes gRPC health service inference-extension unless `gt (router.epp.replicas | int) 1`
    // (values.yaml: 1), and the picker's health server (cmd/epp/runner/health.go Check) answers SERVICE_UNKNOWN to it under leader election.
    name: "an llm-d-router-gateway Helm release whose router.epp.flags.ha-enable-leader-election true beside one replica leaves its probes asking a health service the picker does not know",
    policy: "inference-pool-epp",
    apply: (doc) => addPickerRelease(doc, "router-leader", "llm-d-router-gateway", { router: { modelServers: { matchLabels: { app: "llama-router" } }, epp: { flags: { "ha-enable-leader-election": true } } } }),
  },
];
