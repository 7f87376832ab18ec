/**
 * Mutations of what Istio 1.30.3 makes of a Gateway's own settings (gatewaycommon/
 * deploymentcontroller.go): the `service` overlay of its parametersRef ConfigMap patches the
 * Service after the networking.istio.io/service-type annotation is read, and the
 * gateway.istio.io/service-account annotation renames the ServiceAccount its proxy runs under;
 * and of how agentgateway v1.4.1 attaches a policy whose targetRef names a section (one listener),
 * binds one by targetSelectors, reads a JWT provider without audiences (any `aud` accepted), and
 * lets a Gateway's policy under strategy.inheritance Override decide over its routes' own (JWT) or
 * stop the merge of its listeners' and routes' authorization, and a
 * route of another namespace be decided by that namespace's policies;
 * and of a pod running under the agent gateway's ServiceAccount (admitted as the gateway), or a
 * Gateway whose class's parameters run it so; and an
 * agent route mirroring every request to its canary (agentgateway v1.4.1 implements RequestMirror);
 * and of a rate limit agentgateway v1.4.1 drops (it enforces the first local limit only) or skips
 * (a global descriptor whose CEL does not parse).
 */
import { Mutation, resources, isKind, edit, gatewayOptions, onFirst, withSpec, addLike, splitRoute, weightedPair, patchPolicy } from "./mutations-support";

export const gatewayMutations: Mutation[] = [
  {
    name: "the inference gateway annotated ClusterIP while its options patch the Service to a LoadBalancer, with a plaintext listener added",
    policy: "gateway-listeners-tls",
    apply: (doc) => {
      const options = resources(doc).find(gatewayOptions);
      const gw = resources(doc).find((r) => isKind(r, "Gateway") && r.provider === options?.provider && (r.inputs as any)?.spec?.infrastructure?.parametersRef?.name === (options?.inputs as any)?.metadata?.name);
      if (!options || !gw) return undefined;
      edit(options, (o) => (o.data.service = "spec:\n  type: LoadBalancer\n  externalTrafficPolicy: Local\n"));
      return edit(gw, (o) => {
        o.metadata.annotations = { ...o.metadata.annotations, "networking.istio.io/service-type": "ClusterIP" };
        o.spec.listeners.push({ name: "http-alt", port: 8080, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } });
      });
    },
  },
  {
    // In every cluster (one mesh: a principal may name another cluster's identity), as a fork's config would rename it.
    name: "the tools' waypoints run under another ServiceAccount (gateway.istio.io/service-account) while the tool policies still name sa/waypoint",
    policy: "authorization-principals-known",
    apply: (doc) => {
      const waypoints = resources(doc).filter((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.spec?.gatewayClassName === "istio-waypoint");
      const named = (wp: (typeof waypoints)[number]) => resources(doc).some((r) => isKind(r, "AuthorizationPolicy") && JSON.stringify(r.inputs).includes(`/ns/tools/sa/${(wp.inputs as any).metadata.name}"`));
      if (!waypoints.some(named)) return undefined;
      return waypoints.map((wp) => edit(wp, (o) => (o.metadata.annotations = { ...o.metadata.annotations, "gateway.istio.io/service-account": "tools-waypoint-proxy" })))[0];
    },
  },
  {
    // agentgateway keys it to listener http of the Gateway (store/binds.rs route_policies), which the agent gateway does not have.
    name: "the agent gateway's JWT authentication narrowed to a listener the Gateway does not have (sectionName http)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const jwt = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && (r.inputs as any)?.spec?.traffic?.jwtAuthentication && (r.inputs as any)?.spec?.targetRefs?.[0]?.kind === "Gateway");
      return jwt && edit(jwt, (o) => (o.spec.targetRefs[0].sectionName = "http"));
    },
  },
  {
    name: "the MCP gateway's agentgateway authorization narrowed to a listener the Gateway does not have (sectionName https)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const callers = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && (r.inputs as any)?.spec?.traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools");
      return callers && edit(callers, (o) => (o.spec.targetRefs[0].sectionName = "https"));
    },
  },
  {
    // A listener it has, but not the one serving the MCP route: agentgateway hands HBONE connections to the listener of their port.
    name: "the MCP gateway's agentgateway authorization narrowed to its HBONE listener (sectionName hbone), leaving listener http open",
    policy: "agent-call-graph",
    apply: (doc) => {
      const callers = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && (r.inputs as any)?.spec?.traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools");
      return callers && edit(callers, (o) => (o.spec.targetRefs[0].sectionName = "hbone"));
    },
  },
  {
    // agentgateway v1.4.1 store/binds.rs route_policies: authorization is collected Gateway first, and an Override policy stops the collection.
    name: "the MCP gateway's callers pinned by a Require on listener http, beside a Gateway-level authorization under strategy.inheritance Override that allows everyone (agentgateway drops the listener's)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const callers = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && (r.inputs as any)?.spec?.traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools");
      if (!callers) return undefined;
      const gateway = { ...withSpec(callers).targetRefs[0] };
      delete gateway.sectionName;
      edit(callers, (o) => {
        o.spec.traffic.authorization.action = "Require";
        o.spec.targetRefs[0].sectionName = "http";
      });
      const spec = { targetRefs: [gateway], traffic: { authorization: { action: "Allow", policy: { matchExpressions: ["true"] } } }, strategy: { inheritance: "Override" } };
      return addLike(doc, callers, "override", callers.type, { apiVersion: "agentgateway.dev/v1alpha1", kind: "AgentgatewayPolicy", metadata: { name: "mcp-gateway-open", namespace: "tools" }, spec });
    },
  },
  {
    // A Secret kept in a shared namespace, as a fork might: Gateway API refuses the reference without a ReferenceGrant there.
    name: "the inference gateway's HTTPS certificate moved to another namespace (istio-system) with no ReferenceGrant opening it",
    policy: "gateway-listeners-tls",
    apply: (doc) => {
      const gw = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.spec?.listeners?.some((l: any) => l.protocol === "HTTPS" && l.tls?.certificateRefs?.length));
      return gw && edit(gw, (o) => o.spec.listeners.forEach((l: any) => l.tls?.certificateRefs?.forEach((ref: any) => (ref.namespace = "istio-system"))));
    },
  },
  {
    name: "the agent gateway's JWT provider without audiences (agentgateway then takes the issuer's tokens for any application)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication, (o) => {
        for (const p of o.spec.traffic.jwtAuthentication.providers) delete p.audiences;
      }),
  },
  {
    name: "an Optional JWT policy bound by targetSelectors to the agent routes (it decides over the Gateway's Strict one)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const jwt = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication);
      if (!jwt) return undefined;
      const spec = JSON.parse(JSON.stringify(withSpec(jwt)));
      delete spec.targetRefs;
      spec.targetSelectors = [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", matchLabels: { "app.kubernetes.io/component": "agent-route" } }];
      spec.traffic.jwtAuthentication.mode = "Optional";
      return addLike(doc, jwt, "routes", jwt.type, { apiVersion: "agentgateway.dev/v1alpha1", kind: "AgentgatewayPolicy", metadata: { name: "agent-routes-jwt", namespace: (jwt.inputs as any).metadata.namespace }, spec });
    },
  },
  {
    // agentgateway v1.4.1 store/policy.rs merge_with_inheritance: once an Override policy is merged, the more specific ones are skipped.
    name: "the agent gateway's JWT moved to its routes, with an Optional JWT policy left on the Gateway under strategy.inheritance Override (it decides over the routes' Strict one)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const jwt = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication);
      if (!jwt) return undefined;
      const namespace = (jwt.inputs as any).metadata.namespace;
      const routes = resources(doc).filter((r) => isKind(r, "HTTPRoute") && r.provider === jwt.provider && (r.inputs as any)?.metadata?.namespace === namespace);
      const spec = JSON.parse(JSON.stringify(withSpec(jwt)));
      spec.targetRefs = routes.map((r) => ({ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: (r.inputs as any).metadata.name }));
      addLike(doc, jwt, "routes", jwt.type, { apiVersion: "agentgateway.dev/v1alpha1", kind: "AgentgatewayPolicy", metadata: { name: "agent-routes-jwt", namespace }, spec });
      // The Gateway's policy is the one reported: it decides for every route.
      return edit(jwt, (o) => {
        o.spec.traffic.jwtAuthentication.mode = "Optional";
        o.spec.strategy = { inheritance: "Override" };
      });
    },
  },
  {
    // A policy's targetRefs are local to its namespace: the team's route is decided by the team's policy, not the agents namespace's.
    name: "the agent gateway's listener opened to every namespace, with a route from inference whose own JWT policy there is Optional",
    policy: "agent-call-graph",
    apply: (doc) => {
      const gateway = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.name === "agent-gateway");
      const jwt = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && r.provider === gateway?.provider && !!withSpec(r).traffic?.jwtAuthentication);
      const service = resources(doc).find((r) => isKind(r, "Service") && r.provider === gateway?.provider && (r.inputs as any)?.metadata?.namespace === "inference");
      if (!gateway || !jwt || !service) return undefined;
      const listener = withSpec(gateway).listeners[0];
      edit(gateway, (o) => (o.spec.listeners[0].allowedRoutes = { namespaces: { from: "All" } }));
      const backend = { kind: "Service", name: (service.inputs as any).metadata.name, port: (service.inputs as any).spec.ports[0].port };
      const parentRefs = [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "agent-gateway", namespace: (gateway.inputs as any).metadata.namespace, sectionName: listener.name }];
      const hostnames = listener.hostname ? [String(listener.hostname).replace("*", "team")] : undefined;
      addLike(doc, gateway, "team-route", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "team", namespace: "inference" }, spec: { parentRefs, ...(hostnames ? { hostnames } : {}), rules: [{ backendRefs: [backend] }] } });
      const spec = { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "team" }], traffic: { jwtAuthentication: { ...withSpec(jwt).traffic.jwtAuthentication, mode: "Optional" } } };
      return addLike(doc, jwt, "team", jwt.type, { apiVersion: "agentgateway.dev/v1alpha1", kind: "AgentgatewayPolicy", metadata: { name: "team-jwt", namespace: "inference" }, spec });
    },
  },
  {
    // Every agent admits the agent gateway's identity: a pod of its own running as it skips the gateway's JWT and routes.
    name: "a Deployment in the agents namespace running as the agent gateway's ServiceAccount",
    policy: "agent-call-graph",
    apply: (doc) => {
      const agent = resources(doc).find((r) => isKind(r, "Deployment") && (r.inputs as any)?.metadata?.namespace === "agents");
      if (!agent) return undefined;
      const obj = JSON.parse(JSON.stringify(agent.inputs));
      obj.metadata = { name: "a2a-debug", namespace: "agents", labels: { app: "a2a-debug" } };
      obj.spec.selector = { matchLabels: { app: "a2a-debug" } };
      obj.spec.template.metadata = { labels: { app: "a2a-debug" } };
      obj.spec.template.spec.serviceAccountName = "agent-gateway";
      return addLike(doc, agent, "a2a-debug", agent.type, obj);
    },
  },
  {
    // Istio 1.30.3 serves its ingress kind under the renamed class (classinfo.go GetBuiltinGatewayClasses), which keeps it out of ambient all the same.
    name: "istiod's default GatewayClass renamed (PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME edge) with the inference gateways on it, and their callers named by principal",
    policy: "authorization-principals-known",
    apply: (doc) => {
      const callers = resources(doc).filter((r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.name === "inference-gateway-callers");
      if (callers.length === 0) return undefined;
      for (const r of resources(doc).filter((x) => x.type === "kubernetes:helm.sh/v3:Release" && (x.inputs as any)?.chart === "istiod")) edit(r, (o) => (o.values.env = { ...o.values.env, PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME: "edge" }));
      for (const r of resources(doc).filter((x) => isKind(x, "Gateway") && withSpec(x).gatewayClassName === "istio")) edit(r, (o) => (o.spec.gatewayClassName = "edge"));
      return callers.map((r) => edit(r, (o) => (o.spec.rules[0].from = [{ source: { principals: ["cluster.local/ns/agents/sa/research-agent-v1"] } }])))[0];
    },
  },
  {
    name: "an agent route mirroring every request of its split to the canary",
    policy: "canary-weight-limit",
    apply: (doc) =>
      onFirst(doc, (r) => splitRoute(r) && (r.inputs as any).metadata.namespace === "agents", (o) =>
        o.spec.rules.forEach((rule: any) => {
          const pair = weightedPair(rule);
          if (pair.length !== 2) return;
          const canary = pair[0].weight < pair[1].weight ? pair[0] : pair[1];
          rule.filters = [...(rule.filters ?? []), { type: "RequestMirror", requestMirror: { backendRef: { name: canary.name, port: canary.port } } }];
        }),
      ),
  },
  {
    name: "a second Gateway in agents whose class's parameters (the chart's gatewayClassParametersRefs) run it as the agent gateway",
    policy: "agent-call-graph",
    apply: (doc) => {
      const agw = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.name === "agent-gateway");
      const same = (r: any) => agw && r.provider === agw.provider;
      const release = resources(doc).find((r) => same(r) && r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.name === "agentgateway");
      const params = resources(doc).find((r) => same(r) && isKind(r, "AgentgatewayParameters") && (r.inputs as any)?.metadata?.name === "agent-gateway");
      if (!agw || !release || !params) return undefined;
      edit(release, (o) => (o.values.gatewayClassParametersRefs = { agentgateway: { name: "agent-gateway", namespace: "agents" } }));
      edit(params, (o) => (o.spec.deployment.spec.template = { spec: { serviceAccountName: "agent-gateway" } }));
      const obj = JSON.parse(JSON.stringify(agw.inputs));
      obj.metadata = { ...obj.metadata, name: "internal" };
      delete obj.spec.infrastructure.parametersRef;
      return addLike(doc, agw, "internal", agw.type, obj);
    },
  },
  {
    // agentgateway v1.4.1 runs every class naming its controller and takes the Service type from its parameters only: the Istio annotation is ignored.
    name: "the MCP gateway moved to a GatewayClass of agentgateway's controller named agw-mesh, its ClusterIP moved from its parameters to Istio's service-type annotation",
    policy: "gateway-listeners-tls",
    apply: (doc) => {
      const mcp = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).gatewayClassName === "agentgateway");
      const params = mcp && resources(doc).find((r) => r.provider === mcp.provider && isKind(r, "AgentgatewayParameters") && (r.inputs as any)?.metadata?.name === withSpec(mcp).infrastructure?.parametersRef?.name);
      if (!mcp || !params) return undefined;
      edit(params, (o) => delete o.spec.service);
      addLike(doc, mcp, "agw-mesh", "kubernetes:gateway.networking.k8s.io/v1:GatewayClass", {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "GatewayClass",
        metadata: { name: "agw-mesh" },
        spec: { controllerName: "agentgateway.dev/agentgateway" },
      });
      return edit(mcp, (o) => {
        o.spec.gatewayClassName = "agw-mesh";
        o.metadata.annotations = { ...o.metadata.annotations, "networking.istio.io/service-type": "ClusterIP" };
      });
    },
  },
  {
    // agentgateway v1.4.1's controller translates rateLimit.local[0] only (traffic_plugin.go processLocalRateLimitTraffic): the request cap is dropped.
    name: "the LLM route's token limit given a second local limit (60 requests a minute), which agentgateway never enforces",
    policy: "agentgateway-rate-limits",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AgentgatewayPolicy") && Array.isArray(withSpec(r).traffic?.rateLimit?.local), (o) => o.spec.traffic.rateLimit.local.push({ requests: 60, unit: "Minutes" })),
  },
  {
    // agentgateway v1.4.1's proxy swaps a descriptor's unparsable CEL for one that always fails and skips the descriptor (remoteratelimit.rs build_request).
    name: "the LLM route's token limit given a global per-user limit whose descriptor's CEL does not parse (a template, not CEL), which agentgateway skips on every request",
    policy: "agentgateway-rate-limits",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AgentgatewayPolicy") && Array.isArray(withSpec(r).traffic?.rateLimit?.local), (o) => {
        o.spec.traffic.rateLimit.global = { backendRef: { name: "ratelimit", port: 8081 }, domain: "llm", descriptors: [{ entries: [{ name: "user", expression: "user_{{jwt.sub}}" }] }] };
      }),
  },
  {
    // agentgateway v1.4.1 counts tokens only on requests to an LLM backend (httpproxy.rs apply_llm_request_policies): an agent route's token limit limits nothing.
    name: "the LLM token limit moved onto an agent (A2A) route, whose Service backends agentgateway never counts tokens for",
    policy: "agentgateway-token-limits",
    apply: (doc) => {
      const agent = resources(doc).find((r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.metadata?.namespace === "agents" && (r.inputs as any)?.spec?.rules?.every((rule: any) => (rule.backendRefs ?? []).every((b: any) => (b.kind ?? "Service") === "Service")));
      const name = (agent?.inputs as any)?.metadata?.name;
      if (!agent || !name) return undefined;
      return onFirst(doc, (r) => isKind(r, "AgentgatewayPolicy") && r.provider === agent.provider && !!withSpec(r).traffic?.rateLimit?.local?.[0]?.tokens, (o) => (o.spec.targetRefs = [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name }]));
    },
  },  {
    // agentgateway v1.4.1 CRD: "strategy.inheritance may only be set on traffic policies" (no frontend or backend beside it).
    name: "the MCP gateway's callers policy given strategy.inheritance Override beside a backend section (the API server refuses the whole policy)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools",
        (o) => {
          o.spec.strategy = { inheritance: "Override" };
          o.spec.backend = { mcp: { authorization: JSON.parse(JSON.stringify(o.spec.traffic.authorization)) } };
        },
      ),
  },
  // pulumi-kubernetes' AgentgatewayPolicyPatch server-side-applies its fields over the named policy: agentgateway enforces the result.
  {
    name: "an AgentgatewayPolicyPatch making the agent gateway's JWT authentication Optional",
    policy: "agent-call-graph",
    apply: (doc) => patchPolicy(doc, (r) => !!withSpec(r).traffic?.jwtAuthentication, { traffic: { jwtAuthentication: { mode: "Optional" } } }),
  },
  {
    name: "an AgentgatewayPolicyPatch replacing the MCP gateway's authorization expressions with one that admits everyone",
    policy: "agent-call-graph",
    apply: (doc) => patchPolicy(doc, (r) => !!withSpec(r).traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools", { traffic: { authorization: { policy: { matchExpressions: ["true"] } } } }),
  },
  {
    name: "an AgentgatewayPolicyPatch giving the LLM route's token limit a second local limit (its list replaces the policy's; agentgateway enforces the first only)",
    policy: "agentgateway-rate-limits",
    apply: (doc) => patchPolicy(doc, (r) => Array.isArray(withSpec(r).traffic?.rateLimit?.local), { traffic: { rateLimit: { local: [{ tokens: 200000, unit: "Minutes" }, { requests: 60, unit: "Minutes" }] } } }),
  },
];
