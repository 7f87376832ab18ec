/** Policy-review mutations of the agentgateway proxies' authorization: the MCP gateway's callers policy (opened, removed, bypassed through a ListenerSet, a delegated HTTPRoute or a TCPRoute to a Service or an InferencePool), the per-tool authorization bypassed by an HTTPRoute to an InferencePool of a tool's pods or by an MCP static target whose host is a tool's ClusterIP, the MCP route sent to an AgentgatewayBackend the stack does not render or through a backendRef stripped of its group, the MCP backend's selector target matching no tool Service, a TCPRoute on the MCP gateway to an InferencePool the stack does not render, the agent gateway's JWT bypassed by a TCPRoute to an AgentgatewayBackend (its static host a Service's name or ClusterIP) or, on an open TCP listener, to a Service outside the agents namespace, and the agent gateway's proxy identity. */
import { Mutation, resources, isKind, edit, withSpec, onFirst, removeAll, addLike, unconfiguredAgent } from "./mutations-support";

export const authzAgentgatewayMutations: Mutation[] = [
  {
    // agentgateway v1.4.1 runs the proxy as the overlay's serviceAccountName: the agents' ALLOW policies still name agent-gateway.
    name: "the agent gateway's AgentgatewayParameters running its proxy as another ServiceAccount (agw-proxy)",
    policy: "authorization-principals-known",
    // Every cluster's: the mesh's identities are shared, so one cluster's agent-gateway would still be a known account.
    apply: (doc) =>
      resources(doc)
        .filter((r) => isKind(r, "AgentgatewayParameters") && (r.inputs as any)?.metadata?.name === "agent-gateway")
        .map((r) =>
          edit(r, (o) => {
            const template = o.spec.deployment?.spec?.template ?? {};
            o.spec.deployment = { ...o.spec.deployment, spec: { ...o.spec.deployment?.spec, template: { ...template, spec: { ...template.spec, serviceAccountName: "agw-proxy" } } } };
          }),
        )[0],
  },
  {
    name: "the MCP gateway's agentgateway authorization given an identity-free Allow expression",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools",
        (o) => o.spec.traffic.authorization.policy.matchExpressions.push("true"),
      ),
  },
  {
    // agentgateway v1.4.1: a ListenerSet's listener is the Gateway's, guarded by the Gateway's policies, not by one narrowed to another listener.
    name: "a ListenerSet adding a listener to the MCP gateway, with a route on it, while the gateway's authorization is narrowed to its http listener",
    policy: "agent-call-graph",
    apply: (doc) => withListenerSet(doc, "side", (callers) => (callers.spec.targetRefs = callers.spec.targetRefs.map((ref: any) => (ref.kind === "Gateway" ? { ...ref, sectionName: "http" } : ref)))),
  },
  {
    // agentgateway v1.4.1 keys a ListenerSet listener by its ListenerSet too (types/agent.rs ListenerName.listener_set): a policy on it leaves the Gateway's `http` open.
    name: "the MCP gateway's authorization moved (PreRouting) to the listener `http` of a ListenerSet, named like the Gateway's own",
    policy: "agent-call-graph",
    apply: (doc) =>
      withListenerSet(doc, "http", (callers) => {
        callers.spec.targetRefs = [{ group: GATEWAY_GROUP, kind: "ListenerSet", name: "side", sectionName: "http" }];
        callers.spec.traffic.phase = "PreRouting";
      }),
  },
  {
    // agentgateway v1.4.1 delegates to a child HTTPRoute (a backendRef of kind HTTPRoute) and applies the child's policies (httpproxy.rs select_route_chain).
    name: "an HTTPRoute the MCP route delegates to (a backendRef of kind HTTPRoute), whose own AgentgatewayPolicy allows every caller",
    policy: "agent-call-graph",
    apply: (doc) => {
      const route = resources(doc).find((r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.metadata?.name === "mcp");
      if (!route) return undefined;
      const rule = { matches: [{ path: { type: "PathPrefix", value: "/delegated" } }], backendRefs: [{ group: GATEWAY_GROUP, kind: "HTTPRoute", name: "delegated" }] };
      edit(route, (o) => (o.spec.rules = [...o.spec.rules, rule]));
      const backendRefs = (route.inputs as any).spec.rules[0].backendRefs;
      const child = { apiVersion: `${GATEWAY_GROUP}/v1`, kind: "HTTPRoute", metadata: { name: "delegated", namespace: "tools" }, spec: { rules: [{ backendRefs }] } };
      addLike(doc, route, "delegated", `kubernetes:${GATEWAY_GROUP}/v1:HTTPRoute`, child);
      const open = { apiVersion: "agentgateway.dev/v1alpha1", kind: "AgentgatewayPolicy", metadata: { name: "delegated-open", namespace: "tools" }, spec: { targetRefs: [{ group: GATEWAY_GROUP, kind: "HTTPRoute", name: "delegated" }], traffic: { authorization: { action: "Allow", policy: { matchExpressions: ["true"] } } } } };
      return addLike(doc, route, "delegated-open", "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", open);
    },
  },
  {
    // agentgateway v1.4.1 keys a route target by kind as well as name (types/agent.rs PolicyTargetRef::Route.kind): an Override aimed at a GRPCRoute `mcp` drops nothing of the HTTPRoute `mcp`.
    name: "an open Allow on the MCP HTTPRoute's rule beside an Override policy on a GRPCRoute of the same name",
    policy: "agent-call-graph",
    apply: (doc) => {
      const route = resources(doc).find((r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.metadata?.name === "mcp");
      if (!route) return undefined;
      edit(route, (o) => (o.spec.rules[0].name = "tools"));
      const policy = (name: string, target: Record<string, unknown>, expr: string, extra: Record<string, unknown> = {}) => ({
        apiVersion: "agentgateway.dev/v1alpha1",
        kind: "AgentgatewayPolicy",
        metadata: { name, namespace: "tools" },
        spec: { targetRefs: [{ group: GATEWAY_GROUP, name: "mcp", ...target }], traffic: { authorization: { action: "Allow", policy: { matchExpressions: [expr] } } }, ...extra },
      });
      // The Override pins callers as the gateway's own policy does, so only the open Allow it fails to drop opens the gateway.
      const callers = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && r.provider === route.provider && !!withSpec(r).traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools");
      if (!callers) return undefined;
      const agents = withSpec(callers).traffic.authorization.policy.matchExpressions[0];
      addLike(doc, route, "grpc-lock", "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", policy("mcp-grpc-lock", { kind: "GRPCRoute" }, agents, { strategy: { inheritance: "Override" } }));
      return addLike(doc, route, "rule-open", "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", policy("mcp-rule-open", { kind: "HTTPRoute", sectionName: "tools" }, "true"));
    },
  },
  {
    // agentgateway v1.4.1 proxies a TCPRoute's connections in proxy/tcpproxy.rs: only the listener's frontend.networkAuthorization runs, no traffic.authorization.
    name: "a TCP listener on the MCP gateway with a TCPRoute straight to a tool's Service (past its traffic.authorization)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const mcp = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.spec?.gatewayClassName === "agentgateway");
      const tool = mcp && resources(doc).find((r) => isKind(r, "Service") && r.provider === mcp.provider && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.metadata?.name !== (mcp.inputs as any).metadata.name);
      if (!mcp || !tool) return undefined;
      edit(mcp, (o) => o.spec.listeners.push({ name: "raw", port: 9000, protocol: "TCP" }));
      const port = (tool.inputs as any).spec?.ports?.[0]?.port ?? 8000;
      const route = { apiVersion: `${GATEWAY_GROUP}/v1`, kind: "TCPRoute", metadata: { name: "mcp-raw-tcp", namespace: "tools" }, spec: { parentRefs: [{ name: (mcp.inputs as any).metadata.name, sectionName: "raw" }], rules: [{ backendRefs: [{ name: (tool.inputs as any).metadata.name, port }] }] } };
      return addLike(doc, mcp, "raw-tcp", `kubernetes:${GATEWAY_GROUP}/v1:TCPRoute`, route);
    },
  },
  {
    // agentgateway v1.4.1 makes an InferencePool backendRef a Service of the pool's pods (reference_indexes.go DefaultRouteBackend, syncer/service.go InferencePoolBuilder); its TCP proxy dials one of them, no picker, no traffic.authorization.
    name: "a TCP listener on the MCP gateway with a TCPRoute to an InferencePool of a tool's pods, the agentgateway release watching pools (past its traffic.authorization)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const mcp = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.spec?.gatewayClassName === "agentgateway");
      const tool = mcp && resources(doc).find((r) => isKind(r, "Service") && r.provider === mcp.provider && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.metadata?.name !== (mcp.inputs as any).metadata.name && (r.inputs as any)?.spec?.selector);
      if (!mcp || !tool) return undefined;
      const { name } = (tool.inputs as any).metadata;
      // An InferencePool's targetPorts are numbers: a named targetPort stands for the Service port's number.
      const first = (tool.inputs as any).spec.ports?.[0] ?? {};
      const port = typeof first.targetPort === "number" ? first.targetPort : (first.port ?? 8000);
      watchPools(doc, mcp);
      edit(mcp, (o) => o.spec.listeners.push({ name: "raw-pool", port: 9002, protocol: "TCP" }));
      const pool = { apiVersion: "inference.networking.k8s.io/v1", kind: "InferencePool", metadata: { name: `${name}-pool`, namespace: "tools" }, spec: { selector: { matchLabels: (tool.inputs as any).spec.selector }, targetPorts: [{ number: port }], endpointPickerRef: { name: `${name}-epp`, port: { number: 9002 } } } };
      addLike(doc, mcp, "tool-pool", "kubernetes:inference.networking.k8s.io/v1:InferencePool", pool);
      const route = { apiVersion: `${GATEWAY_GROUP}/v1`, kind: "TCPRoute", metadata: { name: "mcp-pool-tcp", namespace: "tools" }, spec: { parentRefs: [{ name: (mcp.inputs as any).metadata.name, sectionName: "raw-pool" }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: `${name}-pool` }] }] } };
      return addLike(doc, mcp, "pool-tcp", `kubernetes:${GATEWAY_GROUP}/v1:TCPRoute`, route);
    },
  },
  {
    // agentgateway v1.4.1 sends an HTTPRoute's InferencePool share to one of the pool's pods (reference_indexes.go DefaultRouteBackend, httpproxy.rs apply_inference_routing): no MCP backend, no per-tool authorization.
    name: "an HTTPRoute on the MCP gateway sending to an InferencePool of a tool's pods, the agentgateway release watching pools (past the per-tool authorization)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const found = unconfiguredAgent(doc);
      const like = found && resources(doc).find((r) => isKind(r, "HTTPRoute") && r.provider === found.policy.provider && (r.inputs as any)?.metadata?.namespace === "tools");
      const tool = like && resources(doc).find((r) => isKind(r, "Service") && r.provider === like.provider && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.metadata?.name === found.tool);
      if (!found || !like || !tool || !(tool.inputs as any)?.spec?.selector) return undefined;
      watchPools(doc, like);
      const pool = { apiVersion: "inference.networking.k8s.io/v1", kind: "InferencePool", metadata: { name: `${found.tool}-pool`, namespace: "tools" }, spec: { selector: { matchLabels: (tool.inputs as any).spec.selector }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: `${found.tool}-epp`, port: { number: 9002 } } } };
      addLike(doc, like, "tool-http-pool", "kubernetes:inference.networking.k8s.io/v1:InferencePool", pool);
      const spec = { parentRefs: (like.inputs as any).spec.parentRefs, rules: [{ matches: [{ path: { type: "PathPrefix", value: `/${found.tool}` } }], backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: `${found.tool}-pool` }] }] };
      return addLike(doc, like, "pool-direct", like.type, { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: `${found.tool}-pool-direct`, namespace: "tools" }, spec });
    },
  },
  {
    // agentgateway v1.4.1 dials an IP static host as the address a Service name resolves to (types/agent.rs From<(&str, u16)> for Target): the tool whose ClusterIP it is answers to the target's name.
    name: "the MCP backend's target of one tool made a static target whose host is the ClusterIP another tool's Service pins (its grantees reach that tool)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const found = unconfiguredAgent(doc);
      const backend = found && resources(doc).find((r) => isKind(r, "AgentgatewayBackend") && r.provider === found.policy.provider && withSpec(r).mcp?.targets?.length > 1);
      const tool = backend && resources(doc).find((r) => isKind(r, "Service") && r.provider === backend.provider && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.metadata?.name === found.tool);
      const other = backend && withSpec(backend).mcp.targets.findIndex((t: any) => t?.name !== found.tool);
      if (!found || !backend || !tool || other === undefined || other < 0) return undefined;
      const ip = "10.43.0.82";
      edit(backend, (o) => (o.spec.mcp.targets[other] = { name: o.spec.mcp.targets[other].name, static: { host: ip, port: 8000, path: "/mcp" } }));
      // The tool is what the verdict names.
      return edit(tool, (o) => Object.assign(o.spec, { clusterIP: ip, clusterIPs: [ip] }));
    },
  },
  {
    // agentgateway v1.4.1 resolves a TCPRoute's AgentgatewayBackend as an HTTPRoute's, and its TCP proxy dials a static backend's host (proxy/tcpproxy.rs): no JWT, no traffic.authorization.
    name: "a TCP listener on the agent gateway with a TCPRoute to an AgentgatewayBackend whose static host is an agent's Service (past its JWT)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const agw = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "agents" && (r.inputs as any)?.spec?.gatewayClassName === "agentgateway");
      const agent = agw && resources(doc).find((r) => isKind(r, "Service") && r.provider === agw.provider && (r.inputs as any)?.metadata?.namespace === "agents" && (r.inputs as any)?.metadata?.name !== (agw.inputs as any).metadata.name);
      if (!agw || !agent) return undefined;
      edit(agw, (o) => o.spec.listeners.push({ name: "raw", port: 9000, protocol: "TCP" }));
      const { name } = (agent.inputs as any).metadata;
      const backend = { apiVersion: "agentgateway.dev/v1alpha1", kind: "AgentgatewayBackend", metadata: { name: "agent-raw", namespace: "agents" }, spec: { static: { host: `${name}.agents.svc.cluster.local`, port: (agent.inputs as any).spec?.ports?.[0]?.port ?? 8080 } } };
      addLike(doc, agw, "agent-raw-backend", "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", backend);
      const route = { apiVersion: `${GATEWAY_GROUP}/v1`, kind: "TCPRoute", metadata: { name: "agent-raw-tcp", namespace: "agents" }, spec: { parentRefs: [{ name: (agw.inputs as any).metadata.name, sectionName: "raw" }], rules: [{ backendRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "agent-raw" }] }] } };
      return addLike(doc, agw, "agent-raw-tcp", `kubernetes:${GATEWAY_GROUP}/v1:TCPRoute`, route);
    },
  },
  {
    // agentgateway v1.4.1 reads an IP static host as an address (types/agent.rs From<(&str, u16)> for Target) and dials it as a Service name's resolved address: a ClusterIP is that Service.
    name: "a TCP listener on the agent gateway with a TCPRoute to an AgentgatewayBackend whose static host is the ClusterIP an agent's Service pins (past its JWT)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const agw = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "agents" && (r.inputs as any)?.spec?.gatewayClassName === "agentgateway");
      const agent = agw && resources(doc).find((r) => isKind(r, "Service") && r.provider === agw.provider && (r.inputs as any)?.metadata?.namespace === "agents" && (r.inputs as any)?.metadata?.name !== (agw.inputs as any).metadata.name);
      if (!agw || !agent) return undefined;
      const ip = "10.43.0.80";
      edit(agent, (o) => Object.assign(o.spec, { clusterIP: ip, clusterIPs: [ip] }));
      edit(agw, (o) => o.spec.listeners.push({ name: "raw-ip", port: 9001, protocol: "TCP" }));
      const backend = { apiVersion: "agentgateway.dev/v1alpha1", kind: "AgentgatewayBackend", metadata: { name: "agent-ip", namespace: "agents" }, spec: { static: { host: ip, port: (agent.inputs as any).spec?.ports?.[0]?.port ?? 8080 } } };
      addLike(doc, agw, "agent-ip-backend", "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend", backend);
      const route = { apiVersion: `${GATEWAY_GROUP}/v1`, kind: "TCPRoute", metadata: { name: "agent-ip-tcp", namespace: "agents" }, spec: { parentRefs: [{ name: (agw.inputs as any).metadata.name, sectionName: "raw-ip" }], rules: [{ backendRefs: [{ group: "agentgateway.dev", kind: "AgentgatewayBackend", name: "agent-ip" }] }] } };
      return addLike(doc, agw, "agent-ip-tcp", `kubernetes:${GATEWAY_GROUP}/v1:TCPRoute`, route);
    },
  },
  {
    // agentgateway v1.4.1 proxies a TCPRoute's connections in proxy/tcpproxy.rs: the listener's frontend.networkAuthorization only, never the JWT.
    name: "a TCP listener on the public agent gateway open to every namespace, with a TCPRoute in inference to the body-based router's Service (past its JWT)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const agw = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "agents" && (r.inputs as any)?.spec?.gatewayClassName === "agentgateway");
      const inInference = (r: ReturnType<typeof resources>[number]) => isKind(r, "Service") && r.provider === agw?.provider && (r.inputs as any)?.metadata?.namespace === "inference";
      const svc = agw && (resources(doc).find((r) => inInference(r) && (r.inputs as any)?.metadata?.name === "body-based-router") ?? resources(doc).find(inInference));
      if (!agw || !svc) return undefined;
      edit(agw, (o) => o.spec.listeners.push({ name: "raw-inference", port: 9443, protocol: "TCP", allowedRoutes: { namespaces: { from: "All" }, kinds: [{ kind: "TCPRoute" }] } }));
      const { name } = (svc.inputs as any).metadata;
      const port = (svc.inputs as any).spec?.ports?.[0]?.port ?? 8080;
      const route = { apiVersion: `${GATEWAY_GROUP}/v1`, kind: "TCPRoute", metadata: { name: "agent-gateway-raw", namespace: "inference" }, spec: { parentRefs: [{ name: (agw.inputs as any).metadata.name, namespace: "agents", sectionName: "raw-inference" }], rules: [{ backendRefs: [{ name, port }] }] } };
      return addLike(doc, agw, "inference-raw-tcp", `kubernetes:${GATEWAY_GROUP}/v1:TCPRoute`, route);
    },
  },
  {
    // agentgateway v1.4.1 gives an HTTP connection its bind's frontend policies (proxy/gateway.rs frontend_policies_for_bind: the Gateway port's, then the Gateway's), never a listener's.
    name: "the MCP gateway's callers policy moved to a frontend.networkAuthorization narrowed by sectionName to its HTTP listener",
    policy: "agent-call-graph",
    apply: (doc) => {
      const mcp = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.spec?.gatewayClassName === "agentgateway");
      const callers = mcp && resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && r.provider === mcp.provider && !!withSpec(r).traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools");
      const listener = mcp && (mcp.inputs as any).spec?.listeners?.find((l: any) => l?.protocol === "HTTP" || l?.protocol === "HTTPS")?.name;
      if (!callers || !listener) return undefined;
      return edit(callers, (o) => {
        o.spec.frontend = { networkAuthorization: o.spec.traffic?.authorization };
        delete o.spec.traffic;
        o.spec.targetRefs = o.spec.targetRefs?.map((t: any) => ({ ...t, sectionName: listener }));
      });
    },
  },
  {
    // agentgateway v1.4.1 DefaultRouteBackend: no such AgentgatewayBackend on the cluster, BackendNotFound; the backend keeps its weight and answers 500.
    name: "the MCP route's backendRef naming an AgentgatewayBackend the stack does not render in the tools namespace it creates (the MCP backend misspelt)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).rules?.some((x: any) => x.backendRefs?.some((b: any) => b.kind === "AgentgatewayBackend")),
        (o) => (o.spec.rules.flatMap((rule: any) => rule.backendRefs ?? []).find((b: any) => b.kind === "AgentgatewayBackend").name += "-misspelt"),
      ),
  },
  {
    // agentgateway v1.4.1 syncer/backend/mcp.go TranslateMCPSelectorTargets: a selector matching no Service yields no target, silently.
    name: "the MCP backend's calculator selector target given a misspelt app.kubernetes.io/name (calculater), matching no tool Service",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AgentgatewayBackend") && withSpec(r).mcp.targets.some((t: any) => t.selector?.services?.matchLabels?.["app.kubernetes.io/name"] === "calculator"), (o) => {
        o.spec.mcp.targets.find((t: any) => t.selector?.services?.matchLabels?.["app.kubernetes.io/name"] === "calculator").selector.services.matchLabels["app.kubernetes.io/name"] = "calculater";
      }),
  },
  {
    // agentgateway v1.4.1 NormalizeReference reads an unset group as the core group, and DefaultRouteBackend routes to no core AgentgatewayBackend: InvalidKind, the backend keeps its weight and answers 500.
    name: "the MCP route's backendRef to its AgentgatewayBackend stripped of its group (agentgateway.dev)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).rules?.some((x: any) => x.backendRefs?.some((b: any) => b.kind === "AgentgatewayBackend")),
        (o) => delete o.spec.rules.flatMap((rule: any) => rule.backendRefs ?? []).find((b: any) => b.kind === "AgentgatewayBackend").group,
      ),
  },
  {
    // agentgateway v1.4.1 DefaultRouteBackend: no such InferencePool, BackendNotFound; the TCPRoute keeps that backend's weight and its connections fail.
    name: "a TCP listener on the MCP gateway, its networkAuthorization pinning agents, with a TCPRoute to an InferencePool the stack does not render in the tools namespace it creates",
    policy: "agent-call-graph",
    apply: (doc) => addMissingPoolTcpRoute(doc, "tools-pool-misspelt"),
  },
  {
    name: "the MCP gateway's agentgateway authorization removed",
    policy: "agent-call-graph",
    apply: (doc) => removeAll(doc, (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools"),
  },
];

const GATEWAY_GROUP = "gateway.networking.k8s.io";

/** The agentgateway releases on `near`'s provider given inferenceExtension.enabled: only then does their controller watch pools (else a pool backendRef is "not found": no bypass). */
/**
 * A TCP listener on the MCP gateway, its networkAuthorization pinning the agents its callers policy
 * admits, with a TCPRoute to InferencePool `pool` of the tools namespace, the agentgateway release
 * watching pools; the route's URN, or undefined where the stack has no MCP gateway with callers.
 */
export function addMissingPoolTcpRoute(doc: Parameters<Mutation["apply"]>[0], pool: string): string | undefined {
  const mcp = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.spec?.gatewayClassName === "agentgateway");
  const callers = mcp && resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && r.provider === mcp.provider && !!withSpec(r).traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools");
  if (!mcp || !callers) return undefined;
  const gateway = (mcp.inputs as any).metadata.name;
  watchPools(doc, mcp);
  edit(mcp, (o) => o.spec.listeners.push({ name: "raw-missing", port: 9003, protocol: "TCP" }));
  const guard = { apiVersion: "agentgateway.dev/v1alpha1", kind: "AgentgatewayPolicy", metadata: { name: "raw-missing-callers", namespace: "tools" }, spec: { targetRefs: [{ group: GATEWAY_GROUP, kind: "Gateway", name: gateway, sectionName: "raw-missing" }], frontend: { networkAuthorization: withSpec(callers).traffic.authorization } } };
  addLike(doc, mcp, "raw-missing-callers", "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy", guard);
  const route = { apiVersion: `${GATEWAY_GROUP}/v1`, kind: "TCPRoute", metadata: { name: "mcp-missing-pool", namespace: "tools" }, spec: { parentRefs: [{ name: gateway, sectionName: "raw-missing" }], rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: pool }] }] } };
  return addLike(doc, mcp, "missing-pool-tcp", `kubernetes:${GATEWAY_GROUP}/v1:TCPRoute`, route);
}

function watchPools(doc: Parameters<Mutation["apply"]>[0], near: ReturnType<typeof resources>[number]): void {
  for (const release of resources(doc).filter((r) => isKind(r, "Release") && r.provider === near.provider && /\/agentgateway$/.test(String((r.inputs as any)?.chart)))) {
    edit(release, (o) => (o.values = { ...o.values, inferenceExtension: { ...o.values?.inferenceExtension, enabled: true } }));
  }
}

/**
 * The MCP gateway given a ListenerSet `side` (one listener, `listener`, on port 8081) with a route
 * on it, and its callers policy edited by `retarget`; the callers policy's URN, or undefined.
 */
function withListenerSet(doc: Parameters<Mutation["apply"]>[0], listener: string, retarget: (callers: any) => void): string | undefined {
  const mcp = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.spec?.gatewayClassName === "agentgateway");
  const callers = mcp && resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && r.provider === mcp.provider && !!withSpec(r).traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools");
  if (!mcp || !callers) return undefined;
  const gwName = (mcp.inputs as any).metadata.name;
  edit(mcp, (o) => (o.spec.allowedListeners = { namespaces: { from: "Same" } }));
  edit(callers, retarget);
  const set = { apiVersion: `${GATEWAY_GROUP}/v1`, kind: "ListenerSet", metadata: { name: "side", namespace: "tools" }, spec: { parentRef: { group: GATEWAY_GROUP, kind: "Gateway", name: gwName }, listeners: [{ name: listener, port: 8081, protocol: "HTTP" }] } };
  addLike(doc, mcp, "side-listeners", `kubernetes:${GATEWAY_GROUP}/v1:ListenerSet`, set);
  const route = { apiVersion: `${GATEWAY_GROUP}/v1`, kind: "HTTPRoute", metadata: { name: "side", namespace: "tools" }, spec: { parentRefs: [{ group: GATEWAY_GROUP, kind: "ListenerSet", name: "side" }], rules: [{}] } };
  addLike(doc, mcp, "side-route", `kubernetes:${GATEWAY_GROUP}/v1:HTTPRoute`, route);
  return callers.urn;
}
