import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, containersOf, isInferencePool, isKind, kindName, meta, podSpecOf, T } from "../lib/k8s";
import { istioRootNamespaces } from "../lib/istio";
import { configWithDefaults, list, orUnknown, probe, type Probe } from "../lib/values";
import { checkServiceWiring, declaredPorts, flagValue, helmInstallsInto, selectedWorkloads, servesPicker, type Report, type ServicePort } from "../lib/picker-service";
import { checkMembersAccounts, checkMembersProbes, checkMembersProtocol, checkMembersServe, checkPoolOverlap, checkRoutePools } from "../lib/pool-membership";
import { checkPickerObjectPools } from "../lib/pool-references";
import { checkRouteModelNames } from "../lib/pool-model-names";
import { namespaceName } from "../lib/config-schema";
import { checkInferenceExtension, meshRoutesToPool } from "../lib/inference-extension";
import { checkPickerTls } from "../lib/picker-tls";
import { checkPickerConfigs } from "../lib/picker-config-source";
import { checkAgentgatewayInferenceExtension } from "../lib/agentgateway-pools";
import { checkReleasePickerServing } from "../lib/picker-release-serving";
import { chartPickerServiceProblem } from "../lib/picker-release-service-ref";

interface Config {
  rootNamespace: string;
}
const defaults: Config = { rootNamespace: "istio-system" };

/**
 * The fields this policy reads, from either served API: v1 (`inference.networking.k8s.io`:
 * selector.matchLabels, targetPorts[].number, endpointPickerRef{name, kind, port.number}) or
 * v1alpha2 (`inference.networking.x-k8s.io`: a selector map, targetPortNumber, extensionRef{name,
 * kind, portNumber}). The failure mode is judged on the inputs, by inference-pool-failure-mode.
 */
interface PoolView {
  selector: Record<string, string>;
  selectorField: string;
  targetPorts: number[];
  targetPortsField: string;
  pickerField: string;
  picker?: { name?: string; kind?: string; port?: number };
  portField: string;
}

/** Each field is read when used: a selector not known in a preview does not hide the picker reference. */
function poolView(type: string, spec: Record<string, any>): PoolView {
  if (isKind(type, "inference.networking.x-k8s.io", "InferencePool")) {
    return {
      get selector() {
        return spec.selector ?? {};
      },
      selectorField: "spec.selector",
      get targetPorts() {
        return spec.targetPortNumber === undefined ? [] : [spec.targetPortNumber];
      },
      targetPortsField: "spec.targetPortNumber",
      pickerField: "extensionRef",
      get picker() {
        const ref = spec.extensionRef;
        return ref && { name: ref.name, kind: ref.kind, port: ref.portNumber };
      },
      portField: "extensionRef.portNumber",
    };
  }
  return {
    get selector() {
      return spec.selector?.matchLabels ?? {};
    },
    selectorField: "spec.selector.matchLabels",
    get targetPorts() {
      return list(spec.targetPorts as { number: number }[]).map((t) => t?.number);
    },
    targetPortsField: "spec.targetPorts",
    pickerField: "endpointPickerRef",
    get picker() {
      const ref = spec.endpointPickerRef;
      return ref && { name: ref.name, kind: ref.kind, port: ref.port?.number };
    },
    portField: "endpointPickerRef.port.number",
  };
}

/** The pool must select model-server pods, and they must listen on its target ports. */
function checkSelection(pool: PolicyResource, view: PoolView, resources: PolicyResource[], where: string, report: Report): void {
  const { namespace } = meta(pool.props);
  // GIE v1.6.0's CRD: targetPorts is required, 1 to 8 entries of unique numbers (a CEL rule).
  if (view.targetPorts.length === 0) report(`${where} lists no ${view.targetPortsField}, so the pool exposes no endpoint on its servers (the API server refuses it: the CRD requires 1 to 8)`, pool.urn);
  for (const port of new Set(view.targetPorts.filter((t, i) => view.targetPorts.indexOf(t) !== i))) {
    report(`${where} lists target port ${port} twice in ${view.targetPortsField} (the API server refuses it: port numbers must be unique)`, pool.urn);
  }
  if (Object.keys(view.selector).length === 0) {
    report(`${where} has no ${view.selectorField}, so it selects no model servers`, pool.urn);
    return;
  }
  const selected = selectedWorkloads(resources, namespace, view.selector);
  if (selected.length === 0) {
    // Model servers a Helm chart installs into the namespace are not visible here: no verdict.
    if (helmInstallsInto(resources, namespace)) return;
    report(`${where}: selector ${JSON.stringify(view.selector)} matches no workload's pods in ${namespace}, so the pool has no endpoints`, pool.urn);
    return;
  }
  const declared = declaredPorts(selected).map((p) => p.containerPort);
  for (const target of view.targetPorts) {
    if (declared.length > 0 && !declared.includes(target)) {
      // number is required (an integer, 1-65535): an entry without one names no port the pods could listen on.
      const port = typeof target === "number" ? String(target) : `${JSON.stringify(target ?? null)} (not a port number)`;
      report(`${where}: target port ${port} is not a containerPort of the selected pods (${[...new Set(declared)].join(", ")})`, pool.urn);
    } else if (declared.includes(target)) {
      checkMembersServe(selected, target, `${where}: selector ${JSON.stringify(view.selector)}`, report, pool.urn);
    }
  }
  // A server started on another port (vLLM's and the simulator's --port, 8000 unless set) leaves the
  // declared target port with no listener: the picker's scrapes and the gateway's requests fail.
  for (const w of selected) {
    for (const c of containersOf(podSpecOf(w.type, w.props)) as { name?: string; command?: unknown; args?: unknown; ports?: unknown }[]) {
      const own = list(c.ports as { containerPort?: number }[]).map((p) => p?.containerPort);
      const target = view.targetPorts.find((t) => own.includes(t));
      const listens = flagValue(c, "port");
      if (target === undefined || listens === undefined || !/^[0-9]+$/.test(listens) || own.includes(Number(listens))) continue;
      report(
        `${where}: ${kindName(w.type)} ${namespace}/${meta(w.props).name} container ${String(c.name)} declares the target port ${target} but is started with --port ${listens}, so nothing listens on ${target} and the picker's metrics scrapes and the gateway's requests to its pods fail; start it with --port ${target}, or move the containerPort and the pool's targetPorts to ${listens}`,
        pool.urn,
      );
    }
  }
  checkMembersProtocol(pool.props.spec?.appProtocol, selected, view.targetPorts, where, report, pool.urn);
  checkMembersProbes(selected, view.targetPorts, where, report, pool.urn);
  checkMembersAccounts(selected, resources, where, report, pool.urn);
}


function checkPool(pool: PolicyResource, resources: PolicyResource[], cluster: string, roots: Probe<string[]>, report: Report, pending: string[]): void {
  const { namespace, name } = meta(pool.props);
  const where = `InferencePool ${namespace}/${name} on ${cluster}`;
  // Each check on its own: a value not known in this preview makes only the check that reads it
  // "can't judge" (before, one unknown value anywhere passed the whole pool).
  const check = (what: string, run: () => void) => {
    if (!probe(run).known) pending.push(`${what} of ${where}`);
  };
  check("the model servers it selects", () => checkSelection(pool, poolView(pool.type, pool.props.spec ?? {}), resources, where, report));
  const picker = probe(() => {
    const view = poolView(pool.type, pool.props.spec ?? {});
    return { ref: view.picker && { ...view.picker }, pickerField: view.pickerField, portField: view.portField };
  });
  if (!picker.known) {
    pending.push(`the endpoint picker reference of ${where}`);
    return;
  }
  const { ref, pickerField, portField } = picker.value;
  if (!ref?.name) {
    report(`${where} has no ${pickerField}`, pool.urn);
    return;
  }
  // Istio 1.30.3 takes a Service picker only (an empty kind defaults to it): any other kind marks the
  // reference invalid ("Unsupported ExtensionRef kind", inferencepool_collection.go), and a pool
  // without a picker Service is what this policy exists to catch.
  if (ref.kind !== undefined && ref.kind !== "" && ref.kind !== "Service") {
    report(`${where}: ${pickerField}.kind is ${JSON.stringify(ref.kind)}; the endpoint picker must be a Service (kind Service, or left out), the only kind Istio's gateways call`, pool.urn);
    return;
  }
  const pickerName = ref.name;
  check(`the endpoint picker Service ${namespace}/${pickerName}`, () => {
    const svc = resources.find((r) => r.type === T.service && meta(r.props).name === pickerName && meta(r.props).namespace === namespace);
    if (!svc) {
      report(`${where}: ${chartPickerServiceProblem(resources, cluster, { name, namespace }, pickerName) ?? `endpoint picker Service ${namespace}/${pickerName} is not in the stack`}`, pool.urn);
    } else if (ref.port === undefined) {
      report(`${where}: ${portField} is required for a Service picker`, pool.urn);
    } else if (!list(svc.props.spec?.ports as ServicePort[]).some((p) => servesPicker(p, ref.port!))) {
      // istiod builds no outbound cluster for a UDP (or SCTP) Service port (Istio 1.30.3 networking/core/cluster.go), so the gateway's gRPC call finds none.
      const other = list(svc.props.spec?.ports as ServicePort[]).find((p) => p.port === ref.port);
      report(`${where}: Service ${namespace}/${pickerName} does not expose port ${ref.port}${other ? ` over TCP (it is ${other.protocol}), which the gateway's gRPC calls to the picker use` : ""}`, pool.urn);
    } else {
      checkServiceWiring(svc, ref.port, resources, where, report, { urn: pool.urn, name, namespace, group: pool.type.split(":")[1].split("/")[0] });
    }
  });
  check("the mesh routes to it", () => {
    for (const route of meshRoutesToPool(pool, resources)) {
      report(`${where}: ${route} sends to it, but Istio 1.30.3 calls a pool's endpoint picker only from a Gateway's proxy (waypoints and sidecars get no ext_proc filter), so those requests reach the model servers by plain load balancing, past the picker and its objectives; route them through an Istio Gateway`, pool.urn);
    }
  });
  const port = ref.port;
  const tlsOf = `the TLS its gateways speak to the endpoint picker ${pickerName}`;
  if (port !== undefined && !roots.known) pending.push(`${tlsOf} of ${where} (Istio's root namespace, which an istiod release not known yet sets)`);
  else if (port !== undefined && roots.known) {
    const namespaces = roots.value;
    check(tlsOf, () => checkPickerTls(pool, pickerName, port, resources, namespaces, where, report, pending));
  }
}

/**
 * The gateway asks the endpoint picker for every request: an unwired picker means 5xx for the
 * whole pool (or, FailOpen, requests that skip it).
 */
export const inferencePoolEpp: StackValidationPolicy = {
  name: "inference-pool-epp",
  description:
    "Every InferencePool lists its target ports (1 to 8, each once, as GIE v1.6.0's CRD requires) and selects model-server pods listening on them (declared as container ports, and not moved elsewhere by the container's --port; every selected workload that declares ports declares them, the picker sending requests to each selected pod; each runs as a ServiceAccount its namespace has (default, or one the stack renders where it holds the namespace whole), else the API server refuses every pod; appProtocol kubernetes.io/h2c, HTTP/2 to Istio, never in front of vLLM's HTTP/1.1 OpenAI server; their startup, readiness and liveness probes on a port the container declares, and on vLLM's OpenAI server its --port, else every probe fails and the pods never turn Ready or restart for ever; a route rule matching X-Gateway-Base-Model-Name exactly sends to pools whose vLLM servers serve that name, --served-model-name else --model, read as vLLM's argument parser reads them (`_` for `-`, the last one given; not judged where a --config file may name them), or vLLM answers its requests 404), and no model server is selected by two pools; every route's InferencePool backendRef, and every InferenceObjective's and InferenceModelRewrite's poolRef (in its own namespace), names a pool of the stack on that cluster, rendered by the stack or by a chart release (GIE v1.5.0's inferencepool or standalone chart, or llm-d-router's, renders one named after the release in the release's namespace; another Helm install into that namespace may render any, so no verdict), wherever its namespace comes from (policy/lib/pool-existence.ts, the answer agent-call-graph takes for an agentgateway TCPRoute's or TLSRoute's pool, which it judges: this policy judges HTTPRoutes' and GRPCRoutes') (no picker reads an objective or rewrite that names none, so its priority or rewrite silently never applies), a route of a Gateway naming one in another namespace only where a ReferenceGrant there opens InferencePools (that group, every name or the pool's) to the route's kind and namespace, which on a Gateway agentgateway programs none does (v1.4.1 reads no grant to an InferencePool) unless its controller's AGW_BACKEND_REF_GRANT_MODE is none (else the gateway refuses the reference, RefNotPermitted, and that share of requests gets a 500), and each such route attaches to a listener of a Gateway (its parentRefs name a Gateway the stack renders, or one outside a namespace the stack holds whole, with a listener taking the route by sectionName, port, kind, namespace and hostnames: policy/lib/route-attachment.ts; a route no listener takes is programmed on no proxy, and none of its requests reaches its pools); its endpoint picker Service (endpointPickerRef in v1, extensionRef in v1alpha2) exists in the pool's namespace on the same cluster, not of type ExternalName (Kubernetes ignores its selector and Istio aliases it to its external host, so the ext-proc calls would go there) (not a Service an llm-d-router chart release renders for its own picker, <release>-epp or, with provider.gke.preferredBackends, its per-pod -preferred-<i> and -backup[-<i>] ones, which serve that release's pool only) with the referenced port over TCP, which Istio takes as HTTP/2 (appProtocol kubernetes.io/h2c, grpc or http2, or a grpc-/http2- name; else the gateway's gRPC calls go out over HTTP/1.1, unless a DestinationRule or meshConfig h2UpgradePolicy UPGRADE upgrades them), selects a workload's pods there and targets one of their container ports (on a picker started for a pool, its ext-proc port: --grpc-port, 9002 unless set), and whose pods get their ServiceAccount's token (automountServiceAccountToken not false, or a token or kubeconfig of their own), and whose ServiceAccount the stack's Roles and ClusterRoles allow to get/list/watch pods, the pool's InferencePools and (llm-d-router) the llm-d.ai objectives and rewrites, and to hold a Lease when it elects a leader; every llm-d-router v0.10.x picker (the pinned release or a patch of it) runs with an EndpointPickerConfig (its --config-text, or the stack's ConfigMap its --config-file is mounted from, which must hold that file; for a Helm release of llm-d-router's llm-d-router-gateway or -standalone chart, the file router.epp.pluginsConfigFile names among the chart's default-plugins.yaml, rendered from its values (router.latencyPredictor.enabled included), its payload-agnostic.yaml and router.epp.pluginsCustomConfig; for one of GIE's legacy inferencepool chart v1.5.0 whose inferenceExtension.image is llm-d-router's picker, the file inferenceExtension.pluginsConfigFile, or a /config/ inferenceExtension.flags.config-file, names in ConfigMap <release>-epp, among the chart's default-plugins.yaml rendered from inferenceExtension and inferencePool and inferenceExtension.pluginsCustomConfig, else inferenceExtension.flags.config-text, which is refused beside the --config-file the chart always passes unless a config-file flag empties it, read as the chart writes each flag, its value a separate argument between unescaped double quotes; and no legacy metric flag, which that picker and GIE v1.5.0's own refuse at start, passed by the chart for model server type sglang, triton-tensorrt-llm or trtllm-serve without its latency predictor, or by inferenceExtension.flags; and with no typed flag null, in router.epp.flags, or but a bool in inferenceExtension.flags: the charts render a null as <nil> or an empty value, which pflag refuses; with no flag key the picker build does not define, which pflag refuses as an unknown flag; and, for GIE v1.5.0's own picker, a --model-server-metrics-scheme of http or https only, as its Validate requires; and no ha-enable-leader-election in a GIE chart's flags, which epplib turns on whatever its value, nor a true one in router.epp.flags, beside one replica, whose probes ask a health service the picker then answers SERVICE_UNKNOWN) its config loader takes: only the plugin types that release registers (Alpha ones only with --allow-experimental-plugins), unique plugin names, profiles referencing defined plugins (or ones the loader adds) with at most one picker each, one profile handler (a multi-profile config needs one other than single-profile-handler), known fields and feature gates, plugin parameters each factory decodes (strictly: no unknown field, the right types) and takes (its ranges; a value it silently replaces by its default, or parameters it never reads, are reported too), and no profile left to a picker chosen by map order — else the picker exits at start and crash-loops; no mesh (GAMMA) route of a Service or ServiceEntry sends to a pool (Istio 1.30.3 calls the picker only from a Gateway's proxy: a waypoint or sidecar sends the route's requests past it, by plain load balancing); and the DestinationRule Istio applies to each gateway routing to the pool for the picker's host gives that port tls.mode SIMPLE with insecureSkipVerify, caCertificates or credentialName (the picker's certificate is self-signed), or, where the picker runs with --secure-serving=false (plaintext), gives it no TLS, and never loadBalancer.simple PASSTHROUGH (an ORIGINAL_DST cluster, whose host Envoy takes from a downstream connection the gateway's ext_proc stream does not have, so every call to the picker finds none) or a trafficPolicy.proxyProtocol (a PROXY header the picker's gRPC listener cannot read); for a Helm release of llm-d-router's llm-d-router-gateway or -standalone chart serving its own pool (or of GIE's legacy inferencepool chart, read from inferenceExtension.* alike, where a flag's value is a separate argument pflag never reads for a bool flag, so only a key secure-serving=false serves plaintext), its picker is reached as the chart renders it: router.epp.extProcPort, the port of the chart's picker Service and of its pool's endpointPickerRef, is the one the picker serves ext-proc on (--grpc-port, router.epp.flags.grpc-port: the chart passes extProcPort to neither), router.epp.flags.secure-serving false (plaintext) is not set beside provider.name istio (whose DestinationRule gives the picker TLS), and each Istio Gateway routing to the chart's pool (a route of the stack, or the chart's own httpRoute) gets, for a picker serving TLS, a DestinationRule (the chart's or the stack's, looked up as istiod does) for the Service the pool names (<release>-epp-backup with provider.gke.preferredBackends, which the chart's own rule does not cover) giving its port tls.mode SIMPLE with insecureSkipVerify or a CA, else the gateway's ext-proc calls fail (and, whatever the picker serves, no rule that applies giving it loadBalancer.simple PASSTHROUGH or a proxyProtocol), and no two containers of the picker's pod (the picker, the router.tokenizer sidecar, the router.latencyPredictor training and prediction servers, and llm-d-router-standalone's proxy sidecar: its envoy preset on 8081, 19001 and 19000, its agentgateway preset on router.extraServicePorts' http port, 15020 and 15021) listen on one port (the second crash-loops and the pod is never Ready), no Envoy proxy of the chart (llm-d-router-standalone's, or GIE's standalone chart's sidecar) is given an envoy.yaml holding no bootstrap (a null one, or for GIE's sidecar an empty one: Envoy exits at start), nor GIE's sidecar a null configMap.data (its ConfigMap then lacks the envoy.yaml key the sidecar's volume maps, so the pod never starts), nor GIE's standalone chart's sidecar turned off, or its ConfigMap renamed, while its default volumes still mount ConfigMap envoy, which then nothing renders (the pod never starts; one of the stack lacking key envoy.yaml likewise), nor a GIE chart's sidecar on with a null (or, in the inferencepool chart, no) configMap or a null or empty configMap.name (the chart cannot render or install its ConfigMap), nor its sidecar.command a list (rendered as one word, [envoy], which no image holds), nor its sidecar on with a null or empty (in the inferencepool chart, no) name or image, nor sidecar.volumes (rendered whether the sidecar is on or not), or an on sidecar's volumeMounts, not a list, nor an on sidecar's env or ports a scalar, its name or image a number, bool or list, or text YAML reads as one or as null, or as no string or no YAML at all (written unquoted: `: ` in it, a leading flow or reserved indicator, an alias of no anchor), or its name no DNS-1123 label, epp (the picker's container) or, with the latency predictor on, one of its training-server and prediction-server-<i> containers, nor inferenceExtension.sidecar no map (its template's sidecar.enabled fails), nor an imagePullPolicy the chart writes unquoted into the picker's pod (the sidecar's, the picker's, llm-d's vllm-render tokenizer's, the latency predictor's servers') other than Always, IfNotPresent or Never as YAML reads it (the chart renders a Deployment Helm cannot parse or the API server refuses: the release does not install), and the picker's pool flags (router.epp.flags pool-name, pool-namespace, pool-group, which win over the chart's; a null inferenceExtension.flags one is rendered empty) leave it a pool or a selector and name a pool the stack renders and, where the chart renders its own pool naming the picker's Service, that pool (not another pool of the stack, among whose model servers it would pick the chart pool's requests); and where an Istio Gateway (an istiod's default class, istio unless PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME renames it, or a GatewayClass of its controller, istio.io/gateway-controller unless PILOT_GATEWAY_API_CONTROLLER_NAME renames it) routes to an InferencePool (or a mesh route of a Service or ServiceEntry does, held to the istiod owning its waypoint, else to every istiod), the istiod that owns the Gateway (its istio.io/rev label, else its namespace's, naming a revision or revision tag; unlabelled, tag default, else the default revision), which alone deploys and serves its proxy, sets env ENABLE_GATEWAY_API_INFERENCE_EXTENSION true (env, pilot.env or envVarFrom; false by default, read as strconv.ParseBool), without which Istio refuses every InferencePool backendRef, and leaves PILOT_ENABLE_GATEWAY_API and (for a Gateway without spec.addresses) PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER on (true by default), without which the Gateway is never programmed or gets no proxy; and where a Gateway an agentgateway controller release of the cluster programs routes to an InferencePool (by an HTTPRoute or GRPCRoute, or a TCPRoute or TLSRoute, whose backendRefs v1.4.1 resolves alike), that release sets inferenceExtension.enabled (agentgateway v1.4.1's controller otherwise watches no InferencePool, and every such backendRef is not found).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      rootNamespace: {
        ...namespaceName,
        default: defaults.rootNamespace,
        description: "Istio's root namespace, whose DestinationRules reach every namespace they are exported to, where no istiod Helm release on the cluster sets it (meshConfig.rootNamespace, else global.istioNamespace).",
      },
    },
  },
  validateStack: (args, report) => {
    const config = configWithDefaults(args, defaults);
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    for (const [cluster, resources] of byCluster(args.resources)) {
      // The root istiod looks in (ps.Mesh.RootNamespace: istiod's own setting, not this knob, where the stack installs one).
      const { roots: rootList, unknown } = istioRootNamespaces(resources, config.rootNamespace);
      const roots: Probe<string[]> = unknown.length > 0 ? { known: false } : { known: true, value: rootList.map((r) => r.namespace) };
      for (const pool of resources.filter((r) => isInferencePool(r.type))) {
        if (!probe(() => checkPool(pool, resources, cluster, roots, report, pending)).known) pending.push(`InferencePool ${orUnknown(() => meta(pool.props).name, pool.name)} on ${cluster}`);
      }
      checkPoolOverlap(resources, cluster, report, pending);
      checkRoutePools(resources, cluster, report, pending);
      checkRouteModelNames(resources, cluster, report, pending);
      checkPickerObjectPools(resources, cluster, report, pending);
      checkInferenceExtension(resources, cluster, report, pending);
      checkPickerConfigs(resources, cluster, report, pending);
      checkReleasePickerServing(resources, cluster, roots, report, pending);
      checkAgentgatewayInferenceExtension(resources, cluster, report, pending);
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};
