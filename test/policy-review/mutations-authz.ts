/** Policy-review mutations of authorization: ALLOW coverage of workload namespaces, rule sources and principals, the agent call graph (L7 rules, their targets and waypoints: mutations-l7.ts; principals: mutations-authz-principals.ts; the agentgateway proxies: mutations-authz-agw.ts). */
import type { ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, resources, isKind, edit, podSpecs, withSpec, firstSource, principalRule, onFirst, removeAll, unconfiguredAgent, addLike, addNamespaceWithWorkload } from "./mutations-support";
import { authzPrincipalMutations } from "./mutations-authz-principals";
import { authzAgentgatewayMutations } from "./mutations-authz-agw";
import { authzAgentgatewayTargetMutations } from "./mutations-authz-agw-targets";

export const authzMutations: Mutation[] = [
  {
    name: "an ALLOW rule from any principal",
    policy: "authorization-sources-restricted",
    apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules[0].from[0].source.principals = ["*"])),
  },
  {
    name: "an ALLOW rule from any namespace",
    policy: "authorization-sources-restricted",
    apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules[0].from[0].source = { namespaces: ["*"] })),
  },
  {
    // The CRD's enum is matched exactly: the API server refuses the policy, so its rules never apply.
    name: "an AuthorizationPolicy added in tools with its action in lower case (allow) and a rule open to everyone",
    policy: "authorization-sources-restricted",
    apply: (doc) => {
      const like = resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "tools");
      return like && addLike(doc, like, "open", like.type, { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "open", namespace: "tools" }, spec: { action: "allow", rules: [{}] } });
    },
  },
  {
    name: "tools opened to a whole namespace instead of the agents' identities",
    policy: "authorization-sources-restricted",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any).metadata.namespace === "tools" && (r.inputs as any).spec?.rules?.[0]?.from, (o) => (o.spec.rules = [{ from: [{ source: { namespaces: ["inference"] } }] }])),
  },
  {
    name: "the agent gateway let straight into a tool",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any).metadata.namespace === "tools" && JSON.stringify((r.inputs as any).spec?.rules ?? []).includes("/ns/agents/sa/"), (o) =>
        o.spec.rules[0].from[0].source.principals.push(o.spec.rules[0].from[0].source.principals[0].replace(/\/sa\/.*/, "/sa/agent-gateway")),
      ),
  },
  {
    name: "a model server let straight into an agent",
    policy: "agent-call-graph",
    apply: (doc) => {
      const server = resources(doc).find((r) => isKind(r, "ServiceAccount") && (r.inputs as any).metadata.namespace === "inference");
      if (!server) return undefined;
      const name = (server.inputs as any).metadata.name;
      return onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any).metadata.namespace === "agents" && !!(r.inputs as any).spec?.rules?.[0]?.from?.[0]?.source?.principals, (o) =>
        o.spec.rules[0].from[0].source.principals.push(o.spec.rules[0].from[0].source.principals[0].replace(/\/ns\/.*/, `/ns/inference/sa/${name}`)),
      );
    },
  },
  {
    name: "an ALLOW rule from 0.0.0.0/0",
    policy: "authorization-sources-restricted",
    apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules[0].from[0].source = { ipBlocks: ["0.0.0.0/0"] })),
  },
  {
    name: "an ALLOW rule without sources",
    policy: "authorization-sources-restricted",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && !!withSpec(r).rules?.[0]?.from, (o) => delete o.spec.rules[0].from),
  },
  {
    name: "a workload namespace left without ALLOW policies",
    policy: "workload-namespaces-authorized",
    apply: (doc) => removeAll(doc, (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "agents"),
  },
  ...authzPrincipalMutations,
  ...authzAgentgatewayMutations,
  ...authzAgentgatewayTargetMutations,
  {
    name: "a root-namespace ALLOW policy letting the agent gateway reach the tools",
    policy: "agent-call-graph",
    apply: (doc) => {
      const ap = resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "agents");
      if (!ap) return undefined;
      const principal = JSON.stringify(ap.inputs).match(/"([^"]+\/ns\/agents\/sa\/agent-gateway)"/)?.[1];
      if (!principal) return undefined;
      const copy = JSON.parse(JSON.stringify(ap));
      copy.urn = ap.urn.replace(/::([^:]+)$/, "::$1-root");
      for (const props of [copy.inputs, copy.outputs]) {
        if (!props) continue;
        props.metadata = { ...props.metadata, name: "everyone", namespace: "istio-system" };
        props.spec = { action: "ALLOW", rules: [{ from: [{ source: { principals: [principal] } }] }] };
      }
      doc.deployment.resources!.push(copy);
      return copy.urn;
    },
  },
  {
    name: "a model server's own ALLOW policy removed (its pods admit every mesh identity)",
    policy: "workload-namespaces-authorized",
    apply: (doc) => removeAll(doc, (r) => isKind(r, "AuthorizationPolicy") && /-model-server$/.test((r.inputs as any)?.metadata?.name ?? "")),
  },
  {
    name: "a tool admitting the proxy of a new Istio ingress Gateway in the tools namespace",
    policy: "agent-call-graph",
    apply: (doc) => {
      const mcp = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.spec?.gatewayClassName === "agentgateway");
      if (!mcp) return undefined;
      const copy = JSON.parse(JSON.stringify(mcp));
      copy.urn = mcp.urn.replace(/::([^:]+)$/, "::$1-side-door");
      for (const props of [copy.inputs, copy.outputs]) {
        if (!props) continue;
        props.metadata = { ...props.metadata, name: "side-door" };
        props.spec = { gatewayClassName: "istio", listeners: [{ name: "https", port: 443, protocol: "HTTPS", tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "side-door" }] } }] };
      }
      doc.deployment.resources!.push(copy);
      return onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && r.provider === mcp.provider && (r.inputs as any)?.metadata?.namespace === "tools" && !!firstSource(r)?.principals, (o) =>
        o.spec.rules[0].from[0].source.principals.push(o.spec.rules[0].from[0].source.principals[0].replace(/\/ns\/.*/, "/ns/tools/sa/side-door-istio")),
      );
    },
  },
  {
    name: "a tool opened to a whole namespace (the call graph's verdict, whatever requirePrincipals says)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any).metadata.namespace === "tools" && (r.inputs as any).spec?.rules?.[0]?.from, (o) => o.spec.rules[0].from.push({ source: { namespaces: ["inference"] } })),
  },
  {
    name: "a fork's new ambient namespace (rag) running a workload no ALLOW policy covers",
    policy: "workload-namespaces-authorized",
    apply: (doc) => addNamespaceWithWorkload(doc, "rag", { "istio.io/dataplane-mode": "ambient" }),
  },
  {
    name: "a ReplicationController in the tools namespace that no ALLOW policy selects",
    policy: "workload-namespaces-authorized",
    apply: (doc) => {
      const tool = resources(doc).find((r) => isKind(r, "Deployment") && (r.inputs as any)?.metadata?.namespace === "tools");
      if (!tool) return undefined;
      const labels = { "app.kubernetes.io/name": "legacy-tool", "app.kubernetes.io/instance": "legacy-tool" };
      const template = JSON.parse(JSON.stringify((tool.inputs as any).spec.template));
      template.metadata = { ...template.metadata, labels };
      return addLike(doc, tool, "legacy-tool", "kubernetes:core/v1:ReplicationController", {
        apiVersion: "v1",
        kind: "ReplicationController",
        metadata: { name: "legacy-tool", namespace: "tools", labels },
        spec: { replicas: 1, selector: labels, template },
      });
    },
  },
  {
    name: "an ALLOW rule naming a whole namespace by a principal's trailing wildcard (<td>/ns/agents/*)",
    policy: "authorization-sources-restricted",
    apply: (doc) =>
      onFirst(doc, (r) => principalRule(r) && (r.inputs as any)?.metadata?.namespace === "tools", (o) => {
        o.spec.rules[0].from[0].source.principals = [o.spec.rules[0].from[0].source.principals[0].replace(/\/ns\/.*/, "/ns/agents/*")];
      }),
  },
  {
    name: "a workload in namespace default enrolled in ambient by its pod label, selected by no ALLOW policy",
    policy: "workload-namespaces-authorized",
    apply: (doc) => {
      const all = resources(doc);
      const d = all.find((r) => isKind(r, "Deployment") && (r.inputs as any)?.metadata?.namespace === "agents" && podSpecs(r.inputs).length);
      if (!d) return undefined;
      const c = JSON.parse(JSON.stringify(d)) as ExportedResource;
      c.urn = d.urn.replace(/::([^:]+)$/, "::$1-default");
      const labels = { "app.kubernetes.io/name": "self-enrolled", "istio.io/dataplane-mode": "ambient" };
      edit(c, (o) => {
        o.metadata = { ...o.metadata, name: "self-enrolled", namespace: "default" };
        o.spec.selector = { matchLabels: labels };
        o.spec.template.metadata = { ...o.spec.template.metadata, labels };
      });
      all.push(c);
      return c.urn;
    },
  },
  {
    name: "an ALLOW rule whose from is [{}] (one empty source)",
    policy: "authorization-sources-restricted",
    apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules[0].from = [{}])),
  },
  // The same breakages in other spellings Istio accepts.
  {
    // Source fields are ANDed and "*" is a presence match: this admits every identity of the namespace.
    name: "an ALLOW rule from principals [\"*\"] ANDed with a namespace (every workload there)",
    policy: "authorization-sources-restricted",
    apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules[0].from[0].source = { principals: ["*"], namespaces: [o.metadata.namespace] })),
  },
  // Policies that read as authorization but that Istio 1.30 enforces nowhere.
  {
    name: "a model server's ALLOW policy put in dry-run (istio.io/dry-run: ztunnel drops it, the pods admit every mesh identity)",
    policy: "workload-namespaces-authorized",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && /-model-server$/.test((r.inputs as any)?.metadata?.name ?? ""), (o) => (o.metadata.annotations = { ...o.metadata.annotations, "istio.io/dry-run": "true" })),
  },
  {
    name: "a model server's ALLOW policy given `selector: {}` (istiod binds a selector without matchLabels to no workload)",
    policy: "workload-namespaces-authorized",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && /-model-server$/.test((r.inputs as any)?.metadata?.name ?? ""), (o) => (o.spec.selector = {})),
  },
  {
    name: "the MCP gateway's per-tool authorization letting an agent call a tool it is not configured for",
    policy: "agent-call-graph",
    apply: (doc) => {
      const found = unconfiguredAgent(doc);
      if (!found) return undefined;
      const access = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && r.provider === found.policy.provider && !!withSpec(r).backend?.mcp?.authorization);
      const [td, , ns, , account] = found.principal.split("/");
      const clause = `(source.identity.trustDomain == "${td}" && source.identity.namespace == "${ns}" && source.identity.serviceAccount in ["${account}"] && mcp.tool.target == "${found.tool}")`;
      return access && edit(access, (o) => o.spec.backend.mcp.authorization.policy.matchExpressions.push(clause));
    },
  },
  {
    // agentgateway v1.4.1 RuleSets::validate: with Deny rules alone, whatever none of them matches is allowed.
    name: "the MCP gateway's per-tool authorization rewritten as one Deny rule for a retired tool (every other call allowed)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const found = unconfiguredAgent(doc);
      const access = found && resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && r.provider === found.policy.provider && !!withSpec(r).backend?.mcp?.authorization);
      return access && edit(access, (o) => (o.spec.backend.mcp.authorization = { action: "Deny", policy: { matchExpressions: ['mcp.tool.target == "retired"'] } }));
    },
  },
  {
    // agentgateway v1.4.1 gives backend.mcp.authorization only to MCP backends: a Service backend is proxied as plain HTTP.
    name: "an HTTPRoute on the MCP gateway sending straight to a tool's Service (past the per-tool authorization)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const found = unconfiguredAgent(doc);
      const like = found && resources(doc).find((r) => isKind(r, "HTTPRoute") && r.provider === found.policy.provider && (r.inputs as any)?.metadata?.namespace === "tools");
      if (!found || !like) return undefined;
      const spec = { parentRefs: (like.inputs as any).spec.parentRefs, rules: [{ matches: [{ path: { type: "PathPrefix", value: `/${found.tool}` } }], backendRefs: [{ kind: "Service", name: found.tool, port: 8000 }] }] };
      return addLike(doc, like, "direct", like.type, { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: `${found.tool}-direct`, namespace: "tools" }, spec });
    },
  },
  {
    name: "the MCP gateway's per-tool authorization removed (every agent may call every tool through it)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const found = unconfiguredAgent(doc);
      return found ? removeAll(doc, (r) => isKind(r, "AgentgatewayPolicy") && r.provider === found.policy.provider && !!withSpec(r).backend?.mcp?.authorization) : undefined;
    },
  },
  {
    name: "the agent gateway's JWT authentication removed (its load balancer lets anyone reach every agent and the LLM routes)",
    policy: "agent-call-graph",
    apply: (doc) => removeAll(doc, (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication),
  },
  {
    name: "the agent gateway's JWT authentication made Optional (agentgateway then admits a request without a token)",
    policy: "agent-call-graph",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication, (o) => (o.spec.traffic.jwtAuthentication.mode = "Optional")),
  },
  {
    name: "the agent gateway's JWT authentication moved to one agent's route (the other routes open)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const jwt = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication);
      const routes = resources(doc).filter((x) => jwt && isKind(x, "HTTPRoute") && x.provider === jwt.provider && (x.inputs as any).metadata.namespace === (jwt.inputs as any).metadata.namespace);
      if (!jwt || routes.length < 2) return undefined;
      edit(jwt, (o) => (o.spec.targetRefs = [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: (routes[0].inputs as any).metadata.name }]));
      // The violation names a route left without authentication.
      return routes[1].urn;
    },
  },
  {
    // Istio 1.30.3 runs a Gateway's proxy under the account its gateway.istio.io/service-account annotation names: every tool admits it as the MCP gateway.
    name: "an Istio ingress Gateway in tools whose gateway.istio.io/service-account names the MCP gateway's account",
    policy: "agent-call-graph",
    apply: (doc) => {
      const mcp = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).gatewayClassName === "agentgateway");
      if (!mcp) return undefined;
      const { metadata } = mcp.inputs as any;
      return addLike(doc, mcp, "edge", mcp.type, {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: "tools-edge", namespace: "tools", annotations: { "gateway.istio.io/service-account": metadata.name } },
        spec: { gatewayClassName: "istio", listeners: [{ name: "https", port: 443, protocol: "HTTPS", hostname: "tools.example.com", tls: { mode: "Terminate", certificateRefs: [{ name: "tools-tls" }] } }] },
      });
    },
  },
];
