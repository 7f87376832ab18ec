import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { refusedAgentgatewayActions, refusedAgentgatewayStrategy, refusedAgentgatewayTargetFields, refusedAgentgatewayTargetKinds, refusedAgentgatewayTrafficTargets } from "../lib/agentgateway-actions";
import { AuthzSpec, targetRefsOf } from "../lib/authz";
import { byCluster, cannotJudge, meta } from "../lib/k8s";
import { isGateway } from "../lib/gateways";
import { configWithDefaults, everyTri, list, Tri } from "../lib/values";
import { agentIdentities, appliesIn, boundWorkloads, Config, defaults, graphOf, remoteAgents } from "../lib/call-graph";
import { ruleCallers } from "../lib/callers";
import { isUnknown, restrictsTo, verdict } from "../lib/caller-verdicts";
import { reportToolGrants } from "../lib/tool-grants";
import { reportAgentGatewayJwt } from "../lib/agent-jwt";
import { reportBorrowedGatewayIdentities } from "../lib/borrowed-identities";
import { callerEntry, namespacedName, namespaceName, setOf } from "../lib/config-schema";
import { withAgentgatewayPolicyPatches } from "../lib/agw-policy-patches";
import { reportUnresolvedAgentRoutes } from "../lib/agw-backend-refs";
import { reportUnresolvedPolicyBackends } from "../lib/agw-policy-backend-refs";
import { reportEmptyMcpSelectors } from "../lib/mcp-selector-targets";
import { reportLlmBackendTargets } from "../lib/agw-llm-backends";
import { reportUnattachedAgentRoutes } from "../lib/agw-route-parents";

/**
 * Whether every target of the policy is an ingress Gateway: its callers are ingress clients, not
 * mesh peers. A policy bound to a waypoint is enforced for the workloads behind it, so it counts.
 * "unknown" while a target's class is not known.
 */
function targetsIngressGatewaysOnly(spec: AuthzSpec, namespace: string, resources: PolicyResource[]): Tri {
  const refs = targetRefsOf(spec);
  if (refs.length === 0) return false;
  return everyTri(refs, (ref) => {
    if (ref.kind !== "Gateway") return false;
    const gw = resources.find((r) => isGateway(r.type) && meta(r.props).namespace === namespace && meta(r.props).name === ref.name);
    return gw?.props.spec?.gatewayClassName !== "istio-waypoint";
  });
}

function checkCluster(cluster: string, resources: PolicyResource[], config: Config, report: (message: string, urn?: string) => void, pending: string[], remoteAgents: Map<string, string[]>): void {
  const g = graphOf(resources, config, remoteAgents);
  // Which namespace's policies bind every namespace is istiod's to say.
  if (g.unknownRoots.length > 0) {
    pending.push(...g.unknownRoots.map((release) => `the root namespace set by istiod release ${release} on cluster ${cluster}`));
    return;
  }
  // A policy not known yet in a namespace of the graph (or the root's) may admit anyone.
  for (const u of g.unread) {
    if (u.namespace === undefined || [config.agentsNamespace, config.toolsNamespace, ...g.roots].includes(u.namespace)) {
      pending.push(`AuthorizationPolicy ${u.namespace ?? "?"}/${u.name} on cluster ${cluster}`);
    }
  }
  for (const p of g.allows) {
    const applies = appliesIn(g, p);
    if (applies.length === 0) continue;
    const ingressOnly = targetsIngressGatewaysOnly(p.spec, p.namespace, resources);
    if (ingressOnly === true) continue;
    const bound = new Map(applies.map(({ namespace }) => [namespace, boundWorkloads(g, p, namespace)]));
    for (const rule of list(p.spec.rules)) {
      // Bound by selector or namespace: ztunnel enforces it, and reads its sources as it does.
      for (const caller of ruleCallers(rule, p.namespace, targetRefsOf(p.spec).length === 0)) {
        if (caller.kind === "unread") continue; // malformed or wildcard principals: other policies' findings
        for (const { namespace: target, applies: certain } of applies) {
          const why = verdict(g, target, caller, bound.get(target)!);
          const where = target === p.namespace ? "" : ` (policies in ${p.namespace} apply in ${target} too)`;
          const what = `AuthorizationPolicy ${p.namespace}/${p.name} admits ${caller.shown}${where}`;
          if (isUnknown(why)) pending.push(`${why.unknown}, which decides whether ${what} on cluster ${cluster}`);
          else if (why === undefined) continue;
          else if (certain === true && ingressOnly === false) report(`${what}: ${why}`, p.r.urn);
          else pending.push(`${certain === true ? "its targets' classes" : `which workloads it selects in ${target}`}, which decide whether ${what} on cluster ${cluster} (${why})`);
        }
      }
    }
  }
  // "Only agents" is not enough for tools: each agent only its own, as both layers grant them.
  reportToolGrants(g, cluster, report, pending);
  // Whoever the agent gateway lets in reaches the agents: from outside, only with a valid JWT (unless its networkAuthorization lets in only callers the agents admit).
  reportAgentGatewayJwt(resources, config, cluster, report, pending, restrictsTo(g, config.agentsNamespace));
  // Those gateways' identities are theirs alone: another pod running as one is admitted as the gateway.
  reportBorrowedGatewayIdentities(resources, config, cluster, report, pending);
  // A route the call graph counts as a path to agents or tools must reach them.
  reportUnresolvedAgentRoutes(g, cluster, report, pending);
  // A route whose every parentRef names a listener its Gateway lacks attaches nowhere: what it serves is reached through nothing.
  reportUnattachedAgentRoutes(g, cluster, report, pending);
  // An MCP selector target matching no tool Service is dropped silently: the tools it was meant for are not served.
  reportEmptyMcpSelectors(g, cluster, report, pending);
  // An LLM provider whose host or port names nothing the cluster serves, or whose TLS or Host the Gateway's listener there does not take, fails every request routed to its backend.
  reportLlmBackendTargets(g, cluster, report, pending);
  // A policy of those gateways that calls a service the cluster does not have fails every request it checks (or, failing open, authorizes none).
  reportUnresolvedPolicyBackends(g, cluster, report, pending);
}

/**
 * The agent fleet's trust boundary: clients reach agents only through the agent gateway (where
 * JWTs, routes and rate limits apply), and only agents reach the MCP tools. An ALLOW rule that
 * lets anything else in bypasses the gateway or hands tools to workloads that were never meant
 * to use them; so does admitting a proxy (a waypoint, the MCP gateway) that lets anything else
 * through.
 */
export const agentCallGraph: StackValidationPolicy = {
  name: "agent-call-graph",
  description:
    "AuthorizationPolicies keep the agent fleet's call graph: workloads in the agents namespace admit only the configured agent gateway's proxy, and the tools namespace admits only agents of its own cluster, each agent only the tools it is configured for: the mesh's ALLOW policies for a tool and the MCP gateway's per-tool authorization (AgentgatewayPolicy backend.mcp.authorization, mcp.tool.target) grant the same agents, since each is a path to the tool of its own, and the versions of an agent (workloads of the agents namespace sharing app.kubernetes.io/name) are granted the same tools. An identity several Gateways run as counts only where it would for each of them. A waypoint's identity counts only where an ALLOW policy bound to the waypoint, or to each enrolled Service of the workloads, admits only such callers; the MCP gateway's (an agentgateway proxy in the tools namespace) only while AgentgatewayPolicy traffic.authorization on its Gateway (on each listener serving its routes, where one is narrowed by sectionName; a listener serves the routes its allowedRoutes take) pins callers to agent identities and no Allow expression there or on its routes admits others (route-phase authorization is collected Gateway, listener, route, route rule, until a strategy.inheritance Override policy drops the more specific ones (one on a route, its rules' for that route alone); a ListenerSet attached to the Gateway adds listeners judged as the Gateway's, which a policy on the ListenerSet reaches only in the PreRouting phase; PreRouting authorization is a set of its own, which each request must pass too). A route of the MCP gateway whose backendRef is a tool's Service, an InferencePool of the tools namespace selecting its pods (where an agentgateway controller watches pools: inferenceExtension.enabled), or an AgentgatewayBackend whose static or a2a host names one (in another namespace only where agentgateway v1.4.1 resolves it: a ReferenceGrant there opening it, or its controller's AGW_BACKEND_REF_GRANT_MODE none; one it refuses reaches nothing), reaches that tool as plain HTTP, past every MCP authorization. A route the agent or MCP gateway serves names no Service or AgentgatewayBackend of another namespace that agentgateway refuses (RefNotPermitted: no ReferenceGrant there opens it to the route's kind and namespace): the route keeps its weight and that share of requests gets a 500. Nor does it name a backend of a group and kind agentgateway does not route to (InvalidKind, failing alike: it takes core Services, inference.networking.k8s.io InferencePools and agentgateway.dev AgentgatewayBackends, an unset group being the core group, and an HTTPRoute only on an HTTPRoute, as delegation), nor a Service or AgentgatewayBackend the cluster does not have (BackendNotFound, failing alike), judged only in a namespace the stack creates on that cluster, where it renders none of that kind and name, installs no Helm release and (for a Service) holds no Gateway whose proxy's Service may be it (one made there outside the stack would resolve it), nor a Service the stack renders on a port it does not have, or whose port targets by name a port no pod it selects declares (where it selects workloads of the stack and no Helm release installs into its namespace: Kubernetes leaves such pods out of its endpoints) (agentgateway accepts the reference and its proxy finds no endpoint on that port: that share of requests gets a 503, each connection fails). Nor does an MCP AgentgatewayBackend of the tools namespace hold a selector target that matches no Service with an MCP port (appProtocol agentgateway.dev/mcp or -sse) the stack renders there (agentgateway drops such a target silently, whatever the failureMode, and the tools it was meant for are not served), or whose matched Service's MCP port targets by name a port no pod it selects declares (no endpoint: the tool is not reached); nor does a route of the agents or tools namespace name, in every parentRef, a listener (sectionName) its agentgateway Gateway does not have (Gateway API attaches it nowhere, NoMatchingParent; not judged beside a ListenerSet), judged only without a namespaces selector, in a namespace the stack creates and installs no Helm release into. Nor does an AgentgatewayBackend's LLM provider (spec.ai.provider, or each of spec.ai.groups[].providers[]) set a host naming a Service (svc, svc.ns, svc.ns.svc…) the cluster does not have, or a port that Service does not have: agentgateway v1.4.1 dials the host and port as written, resolving the name by DNS, so every request routed to that backend fails. The Service is one the stack renders (its ports), or the one a Gateway of the stack makes (Istio: its gateway.istio.io/name-override annotation, else <name>-<class> for its ingress kind and the bare name for its waypoint, east-west and agentgateway kinds, with the status port 15021 and its listeners' and attached ListenerSets' ports, not judged where a service overlay touches ports; agentgateway: the Gateway's name, ports not judged); a missing one is judged only in a namespace the stack creates and installs no Helm release into, whose every Gateway's controller is known; a host outside the stack, an IP or a path is not judged. On an Istio Gateway's Service the listeners of that port must take what it sends: agentgateway v1.4.1 adds no default TLS with a host override, so HTTPS listeners need backend TLS for the backend (its spec.policies.tls, a provider's policies.tls, or an AgentgatewayPolicy backend.tls on it; one on a Gateway, route or selector is can't judge) and plain-HTTP ones none; and it sends the host as written as the Host, which one listener of that port must name (else the Gateway answers 404), unless a hostRewrite, transformation, extProc, Host header change or route URL rewrite may set another (not judged). Nor does an AgentgatewayPolicy of the agent or MCP gateway's namespace that attaches to something (its targets reaching an agentgateway Gateway, a listener, ListenerSet, served route or rule of one, or a backend such a Gateway reaches by a route it serves or through an attached object's backendRef (in a field agentgateway resolves: not every backendRef a policy holds), a traffic section on a backend never: agentgateway sends one reaching nothing to no proxy; a target the stack does not render, where it does not hold the namespace whole, may be made outside it: can't judge) call a Service or AgentgatewayBackend the cluster does not have (judged alike), or an object of another group and kind (agentgateway takes only a core Service or an agentgateway.dev AgentgatewayBackend there and refuses the rest, InvalidKind, alike), or one of another namespace no ReferenceGrant there opens to the policy's (or backend's) kind and namespace where every agentgateway controller release of the cluster sets controller.extraEnv AGW_BACKEND_REF_GRANT_MODE route-and-policy (refused alike; the default, route, asks no grant, and such a refused backendRef attaches nothing), from its traffic.extAuth (agentgateway keeps it with no target: FailClosed denies every request it checks, FailOpen lets every one through unauthorized), traffic.extProc or traffic.rateLimit.global failing closed (every request fails), or a traffic.jwtAuthentication provider's jwks.remote in mode Strict or Optional (the provider is dropped and every token of its issuer rejected), or its backend.extAuth (alike, for the requests to its backends), backend.tunnel (every request to its backends fails) or backend.mcp.authentication's jwks in mode Strict or Optional (the proxy rejects the authentication sent without keys, so its backends take MCP requests without a valid token), or a backend.mcp.guardrails processor's remote running on some method (FailClosed rejects every MCP call it runs on, FailOpen passes every one unchecked), or a backend.ai.promptGuard request or response guard's webhook (agentgateway drops that whole guard list, whatever the failureMode, so LLM traffic goes unguarded); nor does an AgentgatewayBackend there that such a Gateway reaches from its own spec.policies.extAuth, tunnel, MCP guardrails processor or AI prompt guard webhook, or its own spec.policies.mcp.authentication's jwks in any mode (agentgateway refuses the whole backend, so every request routed to it fails); on a TCPRoute or TLSRoute, nor an InferencePool the cluster does not have (which no ReferenceGrant opens from another namespace), judged as inference-pool-epp judges an HTTPRoute's or GRPCRoute's pool, which it reports instead: one neither the stack nor a chart release renders (a GIE or llm-d-router chart's pool is named after its release, in its namespace), where no other Helm install into that namespace may. A TCPRoute or TLSRoute (its backendRefs into another namespace only where agentgateway resolves them, and to a Service or InferencePool only one the cluster has: a missing one reaches nothing) on the MCP gateway to a tool's Service, or on the agent gateway to an agent's Service (or to an InferencePool of that namespace, whose pods the TCP proxy dials past the endpoint picker where a controller watches pools, or to an AgentgatewayBackend whose static or a2a host names one or is its ClusterIP, which agentgateway's TCP proxy dials as it is; an IP host no Service shows may be a pod's: can't judge), meets none of that, nor JWT authentication: agentgateway runs only the serving listener's frontend.networkAuthorization on its connections (the listener's, its ListenerSet's, the Gateway port's, else the Gateway's), which must pin callers to identities admitted there. Each AgentgatewayPolicy is read with the AgentgatewayPolicyPatches of its namespace and name applied over it, as server-side apply merges them (maps merged, the CRD's atomic lists replaced, a field set to null removed). Sources naming namespaces, trust domains, addresses or request principals, rules without from and wildcard identities count only when listed in extraCallers; root-namespace policies count where their selector selects workloads. The agent gateway, reachable from outside the cluster, rejects callers without a valid JWT on every route a listener takes (agentgateway jwtAuthentication, bound by targetRefs or targetSelectors, mode Strict, every provider listing audiences: without them agentgateway accepts its issuer's tokens for any application; a PreRouting one on the Gateway or listener runs before route selection and is not replaced by the route's, so either phase closing the route is enough; a frontend.networkAuthorization on the Gateway or its port admitting only identities the agents admit closes a listener too, since agentgateway runs it on each connection before any request; a route-phase one whose strategy.inheritance is Override decides for every route and rule below the Gateway or listener it is on, whatever their own say; a route of another namespace a listener takes is decided by that namespace's policies, a policy binding objects of its own namespace only), unless requireAgentJwt is false. A TCPRoute or TLSRoute on a listener of the public agent gateway to a backend outside the agents namespace (a Service, an InferencePool or an AgentgatewayBackend naming one) skips its JWT as well (unless requireAgentJwt is false): that listener's frontend.networkAuthorization must admit only identities the agents admit. No other workload, nor another Gateway's proxy (an AgentgatewayParameters overlay setting serviceAccountName, its own or its class's: the chart's gatewayClassParametersRefs or the GatewayClass's parametersRef; an Istio Gateway's gateway.istio.io/service-account annotation), runs as the agent gateway's or the MCP gateway's ServiceAccount: agents and tools admit whoever does as that gateway. An AgentgatewayPolicy authorization action other than Allow, Deny or Require, a policy setting both targetRefs and targetSelectors, a traffic policy whose target sets a port or names a kind traffic cannot target, strategy.inheritance beside frontend or backend, or a target of a group and kind the CRD does not list (Gateway, HTTPRoute, GRPCRoute or ListenerSet of gateway.networking.k8s.io, a core Service, an agentgateway.dev AgentgatewayBackend, an inference.networking.k8s.io InferencePool) or two kinds in one target list, is reported: the API server refuses the policy.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      agentsNamespace: { ...namespaceName, default: defaults.agentsNamespace, description: "Namespace of the agents and their gateway." },
      toolsNamespace: { ...namespaceName, default: defaults.toolsNamespace, description: "Namespace of the MCP tool services." },
      agentGateway: {
        ...namespacedName,
        default: defaults.agentGateway,
        description: "`namespace/serviceAccount` of the agent gateway's proxy (agentgateway names it after the Gateway): the only caller agents admit.",
      },
      extraCallers: {
        type: "object",
        propertyNames: namespaceName,
        additionalProperties: setOf(callerEntry),
        default: defaults.extraCallers,
        description:
          "Extra callers allowed per target namespace: `namespace/serviceAccount`, or `<field>:<value>` for a source naming callers by place (`namespaces:batch`, `ipBlocks:10.0.0.0/8`, `trustDomains:…`, `remoteIpBlocks:…`, `requestPrincipals:…`).",
      },
      rootNamespace: { ...namespaceName, default: defaults.rootNamespace, description: "Istio's root namespace, whose policies apply in every namespace, where no istiod Helm release on the cluster sets it (meshConfig.rootNamespace, else global.istioNamespace)." },
      requireAgentJwt: {
        type: "boolean",
        default: defaults.requireAgentJwt,
        description:
          "Whether the agent gateway, when reachable from outside the cluster, must authenticate callers: every route on it decided by an AgentgatewayPolicy traffic.jwtAuthentication in mode Strict whose every provider lists audiences (the render sets it false for a stack that configures no gateways.agents.jwt).",
      },
    },
  },
  validateStack: (args, report) => {
    const config = configWithDefaults(args, defaults);
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    // agentgateway enforces each AgentgatewayPolicy with the patches applied to it over its own fields.
    const clusters = new Map([...byCluster(args.resources)].map(([cluster, resources]) => [cluster, withAgentgatewayPolicyPatches(resources, pending, cluster)]));
    const agentsOf = new Map([...clusters].map(([cluster, resources]) => [cluster, agentIdentities(resources, config.agentsNamespace)]));
    for (const [cluster, resources] of clusters) checkCluster(cluster, resources, config, report, pending, remoteAgents(cluster, agentsOf));
    // The call graph reads only the actions agentgateway takes; a refused one is named, not skipped.
    for (const r of args.resources) for (const message of [...refusedAgentgatewayActions(r), ...refusedAgentgatewayTargetFields(r), ...refusedAgentgatewayTargetKinds(r), ...refusedAgentgatewayTrafficTargets(r), ...refusedAgentgatewayStrategy(r)]) report(message, r.urn);
    if (pending.length > 0) cannotJudge(pending);
  },
};
