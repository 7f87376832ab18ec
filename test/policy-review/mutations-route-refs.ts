/**
 * Policy-review mutations of routes whose backendRefs reach into another namespace: a reference
 * Gateway API refuses without a ReferenceGrant there (ResolvedRefs False, RefNotPermitted), so the
 * gateway drops that backend and its share of the requests fails; one to a Service the cluster does
 * not have (BackendNotFound), which fails alike, a pool included (whether one exists, a chart
 * release's pool taking the release's name, is pool-existence.ts's answer); one on a port its Service
 * lacks (agentgateway finds no endpoint: a 503); one to a pool through an
 * agentgateway controller that watches none (a TCPRoute too); and a reference a ReferenceGrant does
 * open, which the call graph must follow into the other namespace. And backendRefs inside the agent and MCP
 * gateways' AgentgatewayPolicies (ext authorization, ext processing, a global rate limit, a remote
 * JWKS, a backend tunnel, MCP authentication's JWKS) or an AgentgatewayBackend's own policies (ext
 * authorization, a tunnel, MCP authentication's JWKS) naming a backend the cluster
 * does not have, or of a kind agentgateway refuses there (InvalidKind), which it never reaches.
 */
import { Mutation, resources, isKind, edit, withSpec, addLike, unconfiguredAgent, onFirst } from "./mutations-support";
import { addPickerRelease, PICKER_CHARTS, llamaGiePool } from "./mutations-picker-releases";
import { addMissingPoolTcpRoute } from "./mutations-authz-agw";

const POOL_GROUP = "inference.networking.k8s.io";
const sendsToPool = (rule: any) => (rule.backendRefs ?? []).some((b: any) => b.kind === "InferencePool");

/**
 * A model's route moved to the agents namespace, naming its pools in inference, its Gateway's
 * listeners opened to it; the route and its Gateway, or undefined where the stack has no model.
 */
function moveModelRoute(doc: Parameters<Mutation["apply"]>[0]) {
  const route = resources(doc).find((r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "inference" && withSpec(r).rules?.some(sendsToPool));
  if (!route) return undefined;
  const parent = withSpec(route).parentRefs?.[0];
  const gw = resources(doc).find((r) => isKind(r, "Gateway") && r.provider === route.provider && (r.inputs as any)?.metadata?.name === parent?.name && (r.inputs as any)?.metadata?.namespace === "inference");
  if (gw) edit(gw, (o) => o.spec.listeners.forEach((l: any) => (l.allowedRoutes = { namespaces: { from: "All" } })));
  edit(route, (o) => {
    o.metadata.namespace = "agents";
    for (const p of o.spec.parentRefs) p.namespace = "inference";
    for (const rule of o.spec.rules) for (const b of rule.backendRefs ?? []) if (b.kind === "InferencePool" && b.group === POOL_GROUP) b.namespace = "inference";
  });
  return { route, gw };
}

export const routeRefMutations: Mutation[] = [
  {
    // Istio 1.30.3 programs a route only on the listeners its parentRefs select and that take it (conversion.go referenceAllowed): a misspelt Gateway attaches it nowhere, and the model's requests reach no pool.
    name: "a model's route whose parentRef names the inference Gateway misspelt (inference-gatway), so no Gateway listener takes it",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "inference" && withSpec(r).rules?.some(sendsToPool), (o) => (o.spec.parentRefs[0].name = "inference-gatway")),
  },
  {
    // Istio 1.30.3 buildDestination checks BackendAllowed before the pool: no grant, RefNotPermitted, a 500 for that share.
    name: "a model's route moved to the agents namespace (the inference Gateway's listeners opened to it), naming its pools in inference with no ReferenceGrant there",
    policy: "inference-pool-epp",
    apply: (doc) => moveModelRoute(doc)?.route.urn,
  },
  {
    // GIE v1.5.0 inferencepool/templates/inferencepool.yaml names its one pool {{ .Release.Name }}: the release renders no other (pool-existence.ts).
    name: "a model's route naming InferencePool llama-gie-pool beside a Helm release llama-gie of GIE's inferencepool chart in its namespace (the chart names its pool after the release, so none of that name exists)",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const added = addPickerRelease(doc, "gie-named", "inferencepool", { inferencePool: llamaGiePool() });
      const release = added && resources(doc).find((r) => r.urn === added);
      const route = release && resources(doc).find((r) => isKind(r, "HTTPRoute") && r.provider === release.provider && (r.inputs as any)?.metadata?.namespace === "inference" && withSpec(r).rules?.some(sendsToPool));
      return route && edit(route, (o) => (o.spec.rules.flatMap((rule: any) => rule.backendRefs ?? []).find((b: any) => b.kind === "InferencePool").name = "llama-gie-pool"));
    },
  },
  {
    // GIE v1.5.0 names its chart's pool {{ .Release.Name }} and agentgateway v1.4.1 DefaultRouteBackend finds no other: BackendNotFound, as inference-pool-epp judges an HTTPRoute's (pool-existence.ts).
    name: "a TCPRoute on the MCP gateway to InferencePool llama-gie-pool of the tools namespace beside a Helm release llama-gie of GIE's inferencepool chart there (whose pool is llama-gie)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const route = addMissingPoolTcpRoute(doc, "llama-gie-pool");
      const like = route && resources(doc).find((r) => r.urn === route);
      if (!like) return undefined;
      const { release: name, chart, version } = PICKER_CHARTS.inferencepool;
      addLike(doc, like, "gie-tools", "kubernetes:helm.sh/v3:Release", { name, namespace: "tools", chart, version, values: { inferencePool: llamaGiePool() } });
      return route;
    },
  },
  {
    // agentgateway v1.4.1 resolves a TCPRoute's backendRefs as an HTTPRoute's (conversion.go buildAgwTCPDestination): without inferenceExtension.enabled its pool collection is empty, "not found".
    name: "a Gateway of class agentgateway in the inference namespace with a TCP listener and a TCPRoute to a model's InferencePool, whose release leaves inferenceExtension off",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const release = resources(doc).find((r) => r.type === "kubernetes:helm.sh/v3:Release" && /\/agentgateway$/.test((r.inputs as any)?.chart ?? ""));
      const pool = release && resources(doc).find((r) => isKind(r, "InferencePool") && r.provider === release.provider && (r.inputs as any)?.metadata?.namespace === "inference");
      if (!release || !pool) return undefined;
      const { name, namespace } = (pool.inputs as any).metadata;
      const gateway = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "raw-models", namespace }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "raw", port: 9000, protocol: "TCP" }] } };
      addLike(doc, pool, "raw-gateway", "kubernetes:gateway.networking.k8s.io/v1:Gateway", gateway);
      const route = { apiVersion: "gateway.networking.k8s.io/v1", kind: "TCPRoute", metadata: { name: "raw-models", namespace }, spec: { parentRefs: [{ name: "raw-models" }], rules: [{ backendRefs: [{ group: POOL_GROUP, kind: "InferencePool", name, port: withSpec(pool).targetPorts?.[0]?.number ?? 8000 }] }] } };
      addLike(doc, pool, "raw-route", "kubernetes:gateway.networking.k8s.io/v1:TCPRoute", route);
      return release.urn;
    },
  },
  {
    // agentgateway v1.4.1 DefaultReferenceTypes knows no InferencePool as a grant's `to`: the grant Istio would honor opens nothing.
    name: "a model's route moved to the agents namespace on the inference Gateway moved to class agentgateway (inferenceExtension on), with a ReferenceGrant to its pools that agentgateway does not read",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const moved = moveModelRoute(doc);
      const release = moved?.gw && resources(doc).find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.provider === moved.route.provider && /\/agentgateway$|^agentgateway$/.test((r.inputs as any)?.chart ?? ""));
      if (!moved?.gw || !release) return undefined;
      edit(moved.gw, (o) => (o.spec.gatewayClassName = "agentgateway"));
      edit(release, (o) => (o.values = { ...o.values, inferenceExtension: { enabled: true } }));
      addLike(doc, moved.route, "pool-grant", "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant", {
        apiVersion: "gateway.networking.k8s.io/v1beta1", kind: "ReferenceGrant", metadata: { name: "agents-routes", namespace: "inference" },
        spec: { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "agents" }], to: [{ group: POOL_GROUP, kind: "InferencePool" }] },
      });
      return moved.route.urn;
    },
  },
  {
    // agentgateway v1.4.1 honors a grant to an AgentgatewayBackend: the MCP gateway dials the tool as plain HTTP, past backend.mcp.authorization.
    name: "a route on the MCP gateway to an AgentgatewayBackend kept in the agents namespace (a ReferenceGrant there opening it) whose static host is a tool's Service",
    policy: "agent-call-graph",
    apply: (doc) => {
      // A tool some agent of the cluster is not granted (none on local, whose one agent has every tool).
      const found = unconfiguredAgent(doc);
      const mcp = found && resources(doc).find((r) => isKind(r, "HTTPRoute") && r.provider === found.policy.provider && (r.inputs as any)?.metadata?.namespace === "tools");
      const tool = mcp && resources(doc).find((r) => isKind(r, "Service") && r.provider === mcp.provider && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.metadata?.name === found!.tool);
      if (!mcp || !tool) return undefined;
      const { name, namespace } = (tool.inputs as any).metadata;
      const port = withSpec(tool).ports[0].port;
      addLike(doc, mcp, "direct-backend", "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", { apiVersion: "agentgateway.dev/v1alpha1", kind: "AgentgatewayBackend", metadata: { name: "tool-direct", namespace: "agents" }, spec: { static: { host: `${name}.${namespace}.svc.cluster.local`, port } } });
      addLike(doc, mcp, "direct-grant", "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant", {
        apiVersion: "gateway.networking.k8s.io/v1beta1", kind: "ReferenceGrant", metadata: { name: "tools-routes", namespace: "agents" },
        spec: { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "tools" }], to: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "tool-direct" }] },
      });
      const spec = { parentRefs: withSpec(mcp).parentRefs, rules: [{ matches: [{ path: { type: "PathPrefix", value: "/direct" } }], backendRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "tool-direct", namespace: "agents" }] }] };
      return addLike(doc, mcp, "direct", mcp.type, { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "tool-direct", namespace: "tools" }, spec });
    },
  },
  {
    // agentgateway v1.4.1 buildAgwDestination: BackendAllowed fails, RefNotPermitted; the backend keeps its weight and answers 500.
    name: "an agent route's backendRefs naming the agents' Services from another namespace (agents-canary) with no ReferenceGrant there",
    policy: "agent-call-graph",
    apply: (doc) => {
      const route = resources(doc).find((r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "agents" && withSpec(r).rules?.some((x: any) => x.backendRefs?.some((b: any) => (b.kind ?? "Service") === "Service")));
      return route && edit(route, (o) => o.spec.rules.forEach((rule: any) => rule.backendRefs?.forEach((b: any) => (b.kind ?? "Service") === "Service" && (b.namespace = "agents-canary"))));
    },
  },
  {
    // agentgateway v1.4.1 DefaultRouteBackend: no such Service on the cluster, BackendNotFound; the backend keeps its weight and answers 500.
    name: "an agent route's backendRef naming a Service the stack does not render in the agents namespace it creates (the stable version's Service misspelt)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const route = resources(doc).find((r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "agents" && withSpec(r).rules?.some((x: any) => x.backendRefs?.some((b: any) => (b.kind ?? "Service") === "Service")));
      return route && edit(route, (o) => (o.spec.rules.flatMap((rule: any) => rule.backendRefs ?? []).find((b: any) => (b.kind ?? "Service") === "Service").name += "-misspelt"));
    },
  },
  {
    // agentgateway v1.4.1 DefaultRouteBackend checks only that the Service exists; the proxy's select_endpoint finds none on a port it lacks: NoHealthyEndpoints, 503.
    name: "an agent route's backendRef naming the stable version's Service on port 9090, which the Service does not have",
    policy: "agent-call-graph",
    apply: (doc) => {
      const route = resources(doc).find((r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "agents" && withSpec(r).rules?.some((x: any) => x.backendRefs?.some((b: any) => (b.kind ?? "Service") === "Service")));
      return route && edit(route, (o) => (o.spec.rules.flatMap((rule: any) => rule.backendRefs ?? []).find((b: any) => (b.kind ?? "Service") === "Service").port = 9090));
    },
  },
  {
    // Kubernetes resolves a named targetPort per pod (FindPort) and leaves pods without it out of the EndpointSlices: agentgateway finds no endpoint, 503.
    name: "an agent's Service port retargeted to the port name http, which its pods do not declare (they name theirs a2a)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "Service") && (r.inputs as any)?.metadata?.namespace === "agents" && withSpec(r).ports?.some((p: any) => p.targetPort === "a2a"),
        (o) => o.spec.ports.forEach((p: any) => p.targetPort === "a2a" && (p.targetPort = "http")),
      ),
  },
  {
    // The MCP backend's selector target still matches the Service (its MCP port), whose EndpointSlices leave out pods without the named port.
    name: "a tool's Service MCP port retargeted to the port name mcp-http, which its pods do not declare (they name theirs mcp)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "Service") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).ports?.some((p: any) => p.targetPort === "mcp" && p.appProtocol === "agentgateway.dev/mcp"),
        (o) => o.spec.ports.forEach((p: any) => p.targetPort === "mcp" && (p.targetPort = "mcp-http")),
      ),
  },
  {
    // Gateway API v1 ParentReference.sectionName: no listener of that name, no attachment (NoMatchingParent); the agent is reached through nothing.
    name: "an agent route's parentRef sectionName naming a listener the agent gateway does not have (http)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "agents" && withSpec(r).parentRefs?.some((p: any) => p.name === "agent-gateway" && p.sectionName === "https"),
        (o) => o.spec.parentRefs.forEach((p: any) => p.sectionName === "https" && (p.sectionName = "http")),
      ),
  },
  {
    // agentgateway v1.4.1: the controller never fetches keys from a JWKS backend it cannot find and drops the provider (traffic_plugin.go processJWTAuthenticationPolicy); every token is rejected.
    name: "the agent gateway's JWT provider's remote JWKS backendRef naming an AgentgatewayBackend the stack does not render (agent-gateway-jwks misspelt)",
    policy: "agent-call-graph",
    // local signs its own tokens (an inline JWKS): nothing to change there.
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayPolicy") && withSpec(r).traffic.jwtAuthentication.providers.some((p: any) => p.jwks.remote),
        (o) => o.spec.traffic.jwtAuthentication.providers.forEach((p: any) => p.jwks.remote && (p.jwks.remote.backendRef.name += "-misspelt")),
      ),
  },
  {
    // agentgateway v1.4.1 resolves a JWKS backendRef of a core Service or an agentgateway.dev AgentgatewayBackend only (remotehttp/connection_resolver.go: "unsupported backend kind"); the provider is dropped, every token rejected.
    name: "the agent gateway's JWT provider's remote JWKS backendRef stripped of its group agentgateway.dev (AgentgatewayBackend of the core group: InvalidKind)",
    policy: "agent-call-graph",
    // local signs its own tokens (an inline JWKS): nothing to change there.
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayPolicy") && withSpec(r).traffic.jwtAuthentication.providers.some((p: any) => p.jwks.remote?.backendRef?.group === "agentgateway.dev"),
        (o) => o.spec.traffic.jwtAuthentication.providers.forEach((p: any) => p.jwks.remote && delete p.jwks.remote.backendRef.group),
      ),
  },
  {
    // agentgateway v1.4.1 keeps the ext authorization with no target; failing open, http/ext_authz.rs handle_auth_failure lets every request through unchecked.
    name: "the MCP gateway's callers policy given a FailOpen traffic.extAuth whose backendRef names a Service the stack does not render in tools (ext-authz)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.authorization && (r.inputs as any).metadata.namespace === "tools",
        (o) => (o.spec.traffic.extAuth = { backendRef: { name: "ext-authz", port: 9000 }, grpc: {}, failureMode: "FailOpen" }),
      ),
  },
  {
    // agentgateway v1.4.1 keeps the ext processing with no target; failing closed (the default), every request fails.
    name: "the agent gateway's JWT policy given a traffic.extProc whose backendRef names a Service the stack does not render in agents (ext-proc)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication && (r.inputs as any).metadata.namespace === "agents",
        (o) => (o.spec.traffic.extProc = { backendRef: { name: "ext-proc", port: 9000 } }),
      ),
  },
  {
    // agentgateway v1.4.1 keeps the global rate limit with no target; failing closed (the default), http/remoteratelimit.rs rejects every request it checks.
    name: "the agent gateway's JWT policy given a traffic.rateLimit.global whose backendRef names a Service the stack does not render in agents (ratelimit)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication && (r.inputs as any).metadata.namespace === "agents",
        (o) => (o.spec.traffic.rateLimit = { global: { backendRef: { name: "ratelimit", port: 8081 }, domain: "agents", descriptors: [{ entries: [{ name: "caller", expression: "source.address" }] }] } }),
      ),
  },
  {
    // agentgateway v1.4.1 translateBackendTunnel: no tunnel proxy; every request to the MCP backend fails (httpproxy.rs build_transport).
    name: "the per-tool authorization policy given a backend.tunnel whose backendRef names a Service the stack does not render in tools (egress-proxy)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).backend?.mcp?.authorization && (r.inputs as any).metadata.namespace === "tools",
        (o) => (o.spec.backend.tunnel = { backendRef: { name: "egress-proxy", port: 3128 } }),
      ),
  },
  {
    // agentgateway v1.4.1 translateMCPAuthenticationSpec sends the policy without keys; the proxy rejects it (mcp_authentication_from_proto), so the MCP backend authenticates nobody.
    name: "the per-tool authorization policy given a backend.mcp.authentication whose JWKS backendRef names an AgentgatewayBackend the stack does not render in tools (mcp-jwks)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).backend?.mcp?.authorization && (r.inputs as any).metadata.namespace === "tools",
        (o) => (o.spec.backend.mcp.authentication = { issuer: "https://auth.example.com", audiences: ["tools"], jwks: { backendRef: { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-jwks" }, jwksPath: "keys" } }),
      ),
  },
  {
    // agentgateway v1.4.1 TranslateAgwBackend: an inline policy's error refuses the whole backend (TranslationError), whatever the failureMode.
    name: "the MCP AgentgatewayBackend given its own FailOpen spec.policies.extAuth whose backendRef names a Service the stack does not render in tools (ext-authz)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayBackend") && !!withSpec(r).mcp && (r.inputs as any).metadata.namespace === "tools",
        (o) => (o.spec.policies = { ...o.spec.policies, extAuth: { backendRef: { name: "ext-authz", port: 9000 }, grpc: {}, failureMode: "FailOpen" } }),
      ),
  },
  {
    // agentgateway v1.4.1 TranslateInlineBackendPolicy → translateMCPAuthenticationSpec: the keys of a JWKS backend it cannot find never come, an error that refuses the whole backend (TranslateAgwBackend), even in mode Permissive.
    name: "the MCP AgentgatewayBackend given its own Permissive spec.policies.mcp.authentication whose JWKS backendRef names an AgentgatewayBackend the stack does not render in tools (mcp-jwks)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayBackend") && !!withSpec(r).mcp && (r.inputs as any).metadata.namespace === "tools",
        (o) => (o.spec.policies = { ...o.spec.policies, mcp: { ...o.spec.policies?.mcp, authentication: { issuer: "https://auth.example.com", mode: "Permissive", jwks: { backendRef: { group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "mcp-jwks" }, jwksPath: "keys" } } } }),
      ),
  },
];
