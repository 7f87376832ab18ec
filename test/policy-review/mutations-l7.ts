/** Policy-review mutations of L7 authorization: policies bound through targetRefs and enforced by waypoints, waypoint enrolment (use-waypoint, waypoint-for), and what binds nothing. */
import type { ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, resources, isKind, edit, withSpec, firstSource, onFirst, removeAll, unconfiguredAgent, addLike, istiod } from "./mutations-support";

export const l7Mutations: Mutation[] = [
  {
    name: "an L7 policy attached by selector",
    policy: "l7-authorization-target-refs",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && !!withSpec(r).targetRefs && JSON.stringify(withSpec(r).rules ?? []).includes('"paths"'), (o) => {
        delete o.spec.targetRefs;
        o.spec.selector = { matchLabels: { app: "x" } };
      }),
  },
  {
    // agentgateway's controller hands its proxies no Istio AuthorizationPolicy: the rule guards nothing.
    name: "an Istio AuthorizationPolicy bound to the agentgateway Gateway",
    policy: "authorization-targets-enforced",
    apply: (doc) => {
      const agw = resources(doc).find((r) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "agentgateway");
      if (!agw) return undefined;
      const { name, namespace } = (agw.inputs as any).metadata;
      return onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && r.provider === agw.provider && (r.inputs as any).metadata.namespace === namespace, (o) => {
        delete o.spec.selector;
        o.spec.targetRefs = [{ group: "gateway.networking.k8s.io", kind: "Gateway", name }];
      });
    },
  },
  {
    // istiod gives the tools no waypoint (fetchWaypointForTarget: WaypointIsNotReady), so the policies bound to their Services guard nothing.
    name: "the tools namespace enrolled with a waypoint the stack does not render (istio.io/use-waypoint: tools-waypoint)",
    policy: "authorization-targets-enforced",
    apply: (doc) => {
      const bound = resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && (withSpec(r).targetRefs ?? []).some((t: { kind?: string }) => t.kind === "Service"));
      const namespace = (bound?.inputs as any)?.metadata?.namespace;
      return onFirst(doc, (r) => isKind(r, "Namespace") && r.provider === bound?.provider && (r.inputs as any).metadata.name === namespace && !!(r.inputs as any).metadata.labels?.["istio.io/use-waypoint"], (o) => (o.metadata.labels["istio.io/use-waypoint"] = "tools-waypoint"));
    },
  },
  {
    // The agents' waypoint takes targets from its own namespace only (its HBONE listener sets no allowedRoutes): AttachmentDenied.
    name: "the tools namespace enrolled with the agents namespace's waypoint (istio.io/use-waypoint-namespace: agents), which does not take it",
    policy: "authorization-targets-enforced",
    apply: (doc) => {
      const bound = resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && (withSpec(r).targetRefs ?? []).some((t: { kind?: string }) => t.kind === "Service"));
      const namespace = (bound?.inputs as any)?.metadata?.namespace;
      return onFirst(doc, (r) => isKind(r, "Namespace") && r.provider === bound?.provider && (r.inputs as any).metadata.name === namespace && !!(r.inputs as any).metadata.labels?.["istio.io/use-waypoint"], (o) => (o.metadata.labels["istio.io/use-waypoint-namespace"] = "agents"));
    },
  },
  {
    // fetchWaypointForService binds no Service to it (UnsupportedTrafficType): the policies bound to the tools' Services guard nothing.
    name: "the tools' waypoints labelled istio.io/waypoint-for: none",
    policy: "authorization-targets-enforced",
    apply: (doc) => {
      const bound = resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && (withSpec(r).targetRefs ?? []).some((t: { kind?: string }) => t.kind === "Service"));
      const namespace = (bound?.inputs as any)?.metadata?.namespace;
      const waypoints = resources(doc).filter((r) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "istio-waypoint" && (r.inputs as any).metadata.namespace === namespace);
      return waypoints.map((wp) => edit(wp, (o) => (o.metadata.labels = { ...o.metadata.labels, "istio.io/waypoint-for": "none" })))[0];
    },
  },
  {
    name: "a workload namespace covered only by policies bound through targetRefs",
    policy: "workload-namespaces-authorized",
    apply: (doc) => {
      const inference = (r: ExportedResource) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "inference";
      const viaRefs = resources(doc).find((r) => inference(r) && (r.inputs as any)?.spec?.targetRefs);
      if (!viaRefs) return undefined;
      return removeAll(doc, (r) => inference(r) && !(r.inputs as any)?.spec?.targetRefs);
    },
  },
  {
    name: "an ALLOW policy on the tools' waypoint admitting the inference gateway",
    policy: "agent-call-graph",
    apply: (doc) => {
      const wp = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.spec?.gatewayClassName === "istio-waypoint");
      const ap = resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "tools" && r.provider === wp?.provider);
      if (!wp || !ap) return undefined;
      const td = JSON.stringify(ap.inputs).match(/"([^"\/]+)\/ns\//)?.[1] ?? "cluster.local";
      const copy = JSON.parse(JSON.stringify(ap));
      copy.urn = ap.urn.replace(/::([^:]+)$/, "::$1-via-waypoint");
      for (const props of [copy.inputs, copy.outputs]) {
        if (!props) continue;
        props.metadata = { ...props.metadata, name: "waypoint-callers" };
        props.spec = { action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: (wp.inputs as any).metadata.name }], rules: [{ from: [{ source: { principals: [`${td}/ns/inference/sa/inference-gateway-istio`] } }] }] };
      }
      doc.deployment.resources!.push(copy);
      return copy.urn;
    },
  },
  // The call graph through proxies: a waypoint or the MCP gateway is a legitimate caller only
  // while what it lets through is itself in the graph.
  {
    name: "an agent's ALLOW policy admitting the agents' waypoint (no policy guards the agents' Services there)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const ap = resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "agents" && !!firstSource(r)?.principals);
      const wp = resources(doc).find((r) => isKind(r, "Gateway") && r.provider === ap?.provider && (r.inputs as any)?.metadata?.namespace === "agents" && (r.inputs as any)?.spec?.gatewayClassName === "istio-waypoint");
      if (!ap || !wp) return undefined;
      return edit(ap, (o) => o.spec.rules[0].from[0].source.principals.push(o.spec.rules[0].from[0].source.principals[0].replace(/\/sa\/.*/, `/sa/${(wp.inputs as any).metadata.name}`)));
    },
  },
  {
    name: "the tools' L7 ALLOW policies (targetRefs to the tool Services, enforced by the waypoint) removed",
    policy: "agent-call-graph",
    apply: (doc) =>
      removeAll(doc, (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "tools" && (withSpec(r).targetRefs ?? []).some((t: any) => t.kind === "Service")),
  },
  {
    name: "a tool's L7 ALLOW policy bound to a misspelt Service (it binds nothing)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).targetRefs?.[0]?.kind === "Service",
        (o) => (o.spec.targetRefs[0].name = o.spec.targetRefs[0].name.replace(/[aeiou](?=[^aeiou]*$)/, (v: string) => (v === "e" ? "a" : "e"))),
      ),
  },
  {
    name: "a tool's L7 ALLOW policy (its waypoint guard) put in dry-run (the waypoint only logs it and lets every workload through)",
    policy: "agent-call-graph",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).targetRefs?.[0]?.kind === "Service",
        (o) => (o.metadata.annotations = { ...o.metadata.annotations, "istio.io/dry-run": "true" }),
      ),
  },
  {
    name: "a tool's waypoint policy admitting an agent not configured for the tool",
    policy: "agent-call-graph",
    apply: (doc) => {
      const found = unconfiguredAgent(doc);
      return found && edit(found.policy, (o) => o.spec.rules[0].from[0].source.principals.push(found.principal));
    },
  },
  {
    // Both layers agree, so only the agent's other version shows the grant is not its configured tools.
    name: "an agent's version granted a tool its other versions are not, in the waypoint policy and the MCP per-tool CEL alike",
    policy: "agent-call-graph",
    apply: (doc) => {
      const found = unconfiguredAgent(doc);
      const access = found && resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && r.provider === found.policy.provider && !!withSpec(r).backend?.mcp?.authorization);
      if (!found || !access) return undefined;
      const [td, , ns, , account] = found.principal.split("/");
      const clause = `(source.identity.trustDomain == "${td}" && source.identity.namespace == "${ns}" && source.identity.serviceAccount in ["${account}"] && mcp.tool.target == "${found.tool}")`;
      edit(access, (o) => o.spec.backend.mcp.authorization.policy.matchExpressions.push(clause));
      return edit(found.policy, (o) => o.spec.rules[0].from[0].source.principals.push(found.principal));
    },
  },
  {
    // Granted in both layers, so only the cluster the agent runs on tells it apart.
    name: "a tool on one cluster granted, in its waypoint policy and the MCP per-tool CEL, to an agent only another cluster runs",
    policy: "agent-call-graph",
    apply: (doc) => {
      const agentsOn = (provider?: string) =>
        resources(doc).filter((r) => isKind(r, "Deployment") && r.provider === provider && (r.inputs as any)?.metadata?.namespace === "agents").map((r) => (r.inputs as any).spec.template.spec.serviceAccountName as string);
      for (const policy of resources(doc).filter((r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).targetRefs?.[0]?.kind === "Service")) {
        const local = agentsOn(policy.provider);
        const remote = resources(doc).find((r) => isKind(r, "Deployment") && r.provider !== policy.provider && (r.inputs as any)?.metadata?.namespace === "agents" && !local.includes((r.inputs as any).spec.template.spec.serviceAccountName));
        const principal = firstSource(policy)?.principals?.find((p: string) => p.includes("/ns/agents/sa/"));
        const access = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && r.provider === policy.provider && !!withSpec(r).backend?.mcp?.authorization);
        if (!remote || !principal || !access) continue;
        const account = (remote.inputs as any).spec.template.spec.serviceAccountName;
        const [td, , ns] = principal.split("/");
        const clause = `(source.identity.trustDomain == "${td}" && source.identity.namespace == "${ns}" && source.identity.serviceAccount in ["${account}"] && mcp.tool.target == "${withSpec(policy).targetRefs[0].name}")`;
        edit(access, (o) => o.spec.backend.mcp.authorization.policy.matchExpressions.push(clause));
        return edit(policy, (o) => o.spec.rules[0].from[0].source.principals.push(principal.replace(/[^/]+$/, account)));
      }
      return undefined;
    },
  },
  {
    // agentgateway's controller names its proxy's Service after the Gateway and copies its infrastructure.labels (use-waypoint: none) onto it.
    name: "an L7 ALLOW policy bound by targetRefs to the MCP gateway's Service (opted out of the waypoint: nothing enforces it)",
    policy: "authorization-targets-enforced",
    apply: (doc) => {
      const gateway = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).gatewayClassName === "agentgateway");
      const like = gateway && resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && r.provider === gateway.provider && (r.inputs as any)?.metadata?.namespace === "tools" && !!firstSource(r)?.principals);
      if (!gateway || !like) return undefined;
      const spec = { action: "ALLOW", targetRefs: [{ group: "", kind: "Service", name: (gateway.inputs as any).metadata.name }], rules: [{ from: [{ source: { principals: firstSource(like).principals } }], to: [{ operation: { paths: ["/mcp"] } }] }] };
      return addLike(doc, like, "mcp-callers", like.type, { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "mcp-callers", namespace: "tools" }, spec });
    },
  },
  {
    // agentgateway v1.4.1 keys a backend policy with a Gateway sectionName to that listener's traffic (store/binds.rs).
    name: "the MCP gateway's per-tool authorization retargeted at the Gateway's HBONE listener (sectionName hbone: the MCP route's listener unguarded)",
    policy: "agent-call-graph",
    apply: (doc) => {
      const found = unconfiguredAgent(doc);
      const access = found && resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && r.provider === found.policy.provider && !!withSpec(r).backend?.mcp?.authorization);
      const gateway = access && resources(doc).find((r) => isKind(r, "Gateway") && r.provider === access.provider && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).gatewayClassName === "agentgateway");
      return gateway && edit(access, (o) => (o.spec.targetRefs = [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: (gateway.inputs as any).metadata.name, sectionName: "hbone" }]));
    },
  },
  {
    // istiod hands ztunnel no CUSTOM policy and a waypoint takes only targetRefs ones: the ext-authz check guards nothing.
    name: "a CUSTOM (ext-authz) AuthorizationPolicy on the tools bound by selector instead of targetRefs",
    policy: "authorization-targets-enforced",
    apply: (doc) => {
      const like = resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "tools");
      if (!like) return undefined;
      const spec = { action: "CUSTOM", provider: { name: "ext-authz" }, selector: { matchLabels: { app: "calculator" } }, rules: [{ to: [{ operation: { ports: ["8000"] } }] }] };
      return addLike(doc, like, "ext-authz", like.type, { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "ext-authz", namespace: "tools" }, spec });
    },
  },
  {
    // istiod rewrites cluster.local and alias principals into the mesh's trust domain for waypoints and gateways only; ztunnel matches them as written.
    name: "istiod given trustDomainAliases [old.example] and a selector-bound ALLOW naming its caller under the alias (ztunnel matches no one)",
    policy: "authorization-principals-known",
    apply: (doc) => {
      const istiods = resources(doc).filter(istiod);
      if (istiods.length === 0) return undefined;
      const urn = onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && !withSpec(r).targetRefs && String(firstSource(r)?.principals?.[0] ?? "").includes("/sa/"), (o) => {
        const src = o.spec.rules[0].from[0].source;
        src.principals = [src.principals[0].replace(/^[^/]+/, "old.example")];
      });
      if (!urn) return undefined;
      for (const r of istiods) edit(r, (o) => (o.values.meshConfig = { ...o.values.meshConfig, trustDomainAliases: ["old.example"] }));
      return urn;
    },
  },
  {
    // istiod binds a waypoint labelled istio.io/waypoint-for: none to neither Services nor workloads: a policy on it guards nothing.
    name: "a second waypoint in tools labelled istio.io/waypoint-for: none, with an ALLOW policy targeting it",
    policy: "authorization-targets-enforced",
    apply: (doc) => {
      const waypoint = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).gatewayClassName === "istio-waypoint");
      const like = waypoint && resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && r.provider === waypoint.provider && (r.inputs as any)?.metadata?.namespace === "tools" && !!withSpec(r).targetRefs && !!firstSource(r)?.principals);
      if (!waypoint || !like) return undefined;
      const gw = JSON.parse(JSON.stringify(waypoint.inputs));
      addLike(doc, waypoint, "idle", waypoint.type, { ...gw, metadata: { ...gw.metadata, name: "idle-waypoint", labels: { ...(gw.metadata.labels ?? {}), "istio.io/waypoint-for": "none" } } });
      const spec = { action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "idle-waypoint" }], rules: [{ from: [{ source: { principals: firstSource(like).principals } }] }] };
      return addLike(doc, like, "idle-callers", like.type, { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "idle-callers", namespace: "tools" }, spec });
    },
  },
  {
    // ztunnel binds `selector: {}` to no workload, but a gateway's Envoy reads it as selecting every pod of the namespace (policyattachment.go isSelected).
    name: "a `selector: {}` ALLOW in the inference gateway's namespace admitting callers without a mesh identity, its own policy narrowed to 443 and its NetworkPolicy dropped",
    policy: "gateway-listeners-tls",
    apply: (doc) => openGatewayBeside(doc, "gateway-open", (ns) => ns, { selector: {} }),
  },
  {
    // Istio 1.30.3's kube-gateway.yaml labels the pods service.istio.io/canonical-name with the Deployment's name, <name>-<class> (gateway_utils.go GetDefaultName).
    name: "an ALLOW selecting the inference gateway's pods by service.istio.io/canonical-name admitting callers without a mesh identity, its own policy narrowed to 443 and its NetworkPolicy dropped",
    policy: "gateway-listeners-tls",
    apply: (doc) => openGatewayBeside(doc, "canonical-open", (ns) => ns, { selector: { matchLabels: { "service.istio.io/canonical-name": "inference-gateway-istio" } } }),
  },
  {
    // Envoy reads Istio's root namespace's policies beside its own (authorization.go ListAuthorizationPolicies).
    name: "a namespace-wide ALLOW in Istio's root namespace (istio-system) admitting callers without a mesh identity, the inference gateway's own policy narrowed to 443 and its NetworkPolicy dropped",
    policy: "gateway-listeners-tls",
    apply: (doc) => openGatewayBeside(doc, "mesh-open", () => "istio-system", {}),
  },
];

/**
 * On every cluster: the inference gateway's own policy narrowed to 443 (the in-mesh port 80 no
 * longer admits outsiders by it) and its NetworkPolicy dropped, with an ALLOW admitting callers
 * without a mesh identity added in `namespaceOf(<the gateway's namespace>)`, bound by `binding`.
 */
function openGatewayBeside(doc: Parameters<Mutation["apply"]>[0], name: string, namespaceOf: (ns: string) => string, binding: Record<string, unknown>): string | undefined {
  const likes = resources(doc).filter((r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.spec?.targetRefs?.some((t: any) => t.kind === "Gateway" && t.name === "inference-gateway"));
  removeAll(doc, (r) => isKind(r, "NetworkPolicy") && (r.inputs as any)?.metadata?.name === "inference-gateway-callers");
  const spec = { ...binding, rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }] };
  return likes.map((like) => {
    edit(like, (o) => o.spec.rules.forEach((rule: any) => rule.to?.forEach((t: any) => t.operation?.ports && (t.operation.ports = ["443"]))));
    const namespace = namespaceOf((like.inputs as any).metadata.namespace);
    return addLike(doc, like, name, like.type, { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace }, spec });
  })[0];
}
