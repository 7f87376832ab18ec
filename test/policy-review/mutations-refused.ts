/**
 * Values the API server refuses, written into an export by a reviewer, in fields a policy reads to
 * reach its verdict: a CRD enum matched exactly (Gateway API's tls.mode), a toleration operator
 * Kubernetes' validation does not take or a GPU toleration without its key, a weight outside the
 * CRD's integer range, a fractional GPU count, a GCE GPU VM set to live-migrate (which Compute
 * Engine refuses). Each must be reported as refused, never read as another value that passes.
 */
import { Mutation, isKind, onFirst, withSpec, ambientDeployment, gpuDeployment, resources, addLike, setGpuCount } from "./mutations-support";

export const refusedMutations: Mutation[] = [
  {
    // Read by kind and name alone, the refused authorization counted as the MCP gateway's guard.
    name: "the MCP gateway's agentgateway authorization narrowed by port 80 (the CRD takes a port only on frontend-only policies)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools", (o) => {
        for (const t of o.spec.targetRefs) t.port = 80;
      }),
  },
  {
    // Read by kind and name alone, the refused policy counted as the Gateway's ALLOW policy.
    name: "the inference gateway's AuthorizationPolicy targetRef given its own namespace (the CRD refuses any targetRef namespace)",
    policy: "authorization-targets-enforced",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && (withSpec(r).targetRefs ?? []).some((t: { kind?: string }) => t.kind === "Gateway"), (o) => {
        for (const t of o.spec.targetRefs) t.namespace = o.metadata.namespace;
      }),
  },
  {
    // Read as not Terminate, the listener passed without a certificate.
    name: "the inference gateway's HTTPS listener made TLS with tls.mode in lower case (terminate) and no certificate",
    policy: "gateway-listeners-tls",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "istio" && withSpec(r).listeners?.[0]?.protocol === "HTTPS", (o) => {
        o.spec.listeners[0].protocol = "TLS";
        o.spec.listeners[0].tls = { mode: "terminate" };
      }),
  },
  {
    // Read as tolerating nothing, a pod without GPUs asking for the GPU nodes passed.
    name: "a Deployment without GPUs tolerating the GPU taint with its operator in lower case (exists)",
    policy: "gpu-scheduling",
    apply: (doc) =>
      onFirst(doc, (r) => ambientDeployment(r) && !gpuDeployment(r), (o) => (o.spec.template.spec.tolerations = [{ key: "nvidia.com/gpu", operator: "exists", effect: "NoSchedule" }])),
  },
  {
    // Read as no Allow rule (only the exact Allow counts), an added policy opening the MCP gateway to every caller passed.
    name: "an AgentgatewayPolicy added on the MCP gateway with traffic.authorization action in lower case (allow) and the expression true",
    policy: "agent-call-graph",
    apply: (doc) => {
      const like = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && withSpec(r).traffic?.authorization);
      if (!like) return undefined;
      const { namespace } = (like.inputs as any).metadata;
      const spec = { targetRefs: withSpec(like).targetRefs, traffic: { authorization: { action: "allow", policy: { matchExpressions: ["true"] } } } };
      return addLike(doc, like, "open", like.type, { apiVersion: "agentgateway.dev/v1alpha1", kind: "AgentgatewayPolicy", metadata: { name: "mcp-open", namespace }, spec });
    },
  },
  {
    // Read by its targetRefs alone, the refused policy counted as the agent gateway's Strict JWT authentication.
    name: "the agent gateway's JWT AgentgatewayPolicy given targetSelectors beside its targetRefs (the CRD takes exactly one)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication && (withSpec(r).targetRefs ?? []).length > 0, (o) => {
        o.spec.targetSelectors = [{ group: "gateway.networking.k8s.io", kind: "Gateway", matchLabels: { "app.kubernetes.io/name": o.spec.targetRefs[0].name } }];
      }),
  },
  {
    // Read as no weight (never picked), a string weight turned a 50/50 model split into one that passed.
    name: "an InferenceModelRewrite splitting a model 50/50 with one weight written as a string (\"50\")",
    policy: "canary-weight-limit",
    apply: (doc) => {
      const like = resources(doc).find((r) => isKind(r, "InferenceObjective"));
      if (!like) return undefined;
      const { namespace } = (like.inputs as any).metadata;
      const spec = { poolRef: withSpec(like).poolRef, rules: [{ matches: [{ model: { value: "m" } }], targets: [{ modelRewrite: "m-v1", weight: 50 }, { modelRewrite: "m-v2", weight: "50" }] }] };
      return addLike(doc, like, "rewrite", like.type.replace("InferenceObjective", "InferenceModelRewrite"), { apiVersion: "llm-d.ai/v1alpha2", kind: "InferenceModelRewrite", metadata: { name: "m-split", namespace }, spec });
    },
  },
  {
    // Read by its modes alone, the refused mesh-wide policy counted as STRICT: the cluster stays PERMISSIVE.
    name: "the mesh-wide PeerAuthentication given a STRICT portLevelMtls (the CRD takes ports only beside selector matchLabels)",
    policy: "peer-authentication-strict",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "PeerAuthentication") && (r.inputs as any)?.metadata?.namespace === "istio-system" && !withSpec(r).selector, (o) => {
        o.spec.portLevelMtls = { 15021: { mode: "STRICT" } };
      }),
  },
  {
    // Read by its targetRefs alone, the refused policy counted as the waypoint's guard.
    name: "a waypoint-bound AuthorizationPolicy given a selector beside its targetRefs (the CRD takes only one of them)",
    policy: "authorization-targets-enforced",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && (withSpec(r).targetRefs ?? []).length > 0 && !withSpec(r).selector, (o) => {
        o.spec.selector = { matchLabels: { app: o.spec.targetRefs[0].name } };
      }),
  },
  {
    // Read source field by source field, the refused policy counted as naming its callers.
    name: "an ALLOW source naming serviceAccounts beside its principals (the CRD refuses serviceAccounts with principals or namespaces)",
    policy: "authorization-principals-known",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && (withSpec(r).rules ?? []).some((rule: any) => (rule?.from ?? []).some((f: any) => f?.source?.principals?.length)), (o) => {
        const from = o.spec.rules.flatMap((rule: any) => rule?.from ?? []).find((f: any) => f?.source?.principals?.length);
        // The account its first principal names, so nothing but the mix is wrong.
        const [, ns, account] = /\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(from.source.principals[0]) ?? [];
        from.source.serviceAccounts = [`${ns}/${account}`];
      }),
  },
  {
    // Looped over entry by entry, an empty list had no port to find wrong (GIE v1.6.0's CRD: minItems 1).
    name: "an InferencePool with an empty targetPorts list (the CRD requires 1 to 8)",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "InferencePool"), (o) => (o.spec.targetPorts = [])),
  },
  {
    // Each entry matched a container port, so the duplicate passed (the CRD's CEL rule: numbers unique).
    name: "an InferencePool listing its target port twice (the CRD refuses duplicate port numbers)",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "InferencePool"), (o) => (o.spec.targetPorts = [...o.spec.targetPorts, ...o.spec.targetPorts])),
  },
  {
    // Kubernetes ValidateResourceQuantityValue: an extended resource takes whole units; read as 1.5 GPUs, it passed.
    name: "a vLLM server limiting and requesting nvidia.com/gpu \"1.5\" (not a whole number)",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, gpuDeployment, (o) => setGpuCount(o, "1.5")),
  },
  {
    // validateTolerations: an empty key takes only operator Exists. Read as "does not tolerate", not as the refusal it is.
    name: "a vLLM server's GPU toleration with its key dropped ({operator: Equal, effect: NoSchedule}, which the API server refuses)",
    policy: "gpu-scheduling",
    apply: (doc) =>
      onFirst(doc, gpuDeployment, (o) => {
        const spec = o.spec.template.spec;
        spec.tolerations = spec.tolerations.map((t: any) => (t.key === "nvidia.com/gpu" ? { operator: "Equal", effect: "NoSchedule" } : t));
      }),
  },
  {
    // Compute Engine: a VM with GPUs cannot live-migrate ("Instances with guest accelerators do not support live migration").
    name: "a k3s GPU agent template set to onHostMaintenance MIGRATE",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, (r) => r.type === "gcp:compute/instanceTemplate:InstanceTemplate" && (r.inputs as any)?.scheduling?.onHostMaintenance === "TERMINATE", (o) => (o.scheduling.onHostMaintenance = "MIGRATE")),
  },
];
