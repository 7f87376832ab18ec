/** Policy-review mutations of the agents' LLM backend (AgentgatewayBackend `spec.ai.provider`): its host override naming a Service the cluster does not have (the inference Gateway's Service misspelt), a port the inference Gateway's Service does not have, a short-form host no listener of its port names, plain HTTP to its HTTPS listener's port, and backend TLS toward its plain-HTTP listener. */
import { Mutation, isKind, withSpec, onFirst } from "./mutations-support";

const llmBackend = (r: Parameters<typeof withSpec>[0]) => isKind(r, "AgentgatewayBackend") && typeof withSpec(r).ai?.provider?.host === "string";

export const agwLlmMutations: Mutation[] = [
  {
    // agentgateway v1.4.1 backend_plugin.go translateLLMProvider keeps the host as written and client/mod.rs resolve_target resolves it by DNS: no such Service, every LLM request fails.
    name: "the LLM backend's host override naming the inference Gateway's Service misspelt (inference-gateway-isito), which the inference namespace the stack holds whole does not have",
    policy: "agent-call-graph",
    apply: (doc) => onFirst(doc, llmBackend, (o) => (o.spec.ai.provider.host = o.spec.ai.provider.host.replace("-istio.", "-isito."))),
  },
  {
    // Istio 1.30.3 deploymentcontroller.go extractServicePorts: the Gateway's Service has the status port and its listeners' ports (443, 80), not 8080.
    name: "the LLM backend's port moved to 8080, which the inference Gateway's Service (its listeners' ports and the status port) does not have",
    policy: "agent-call-graph",
    apply: (doc) => onFirst(doc, llmBackend, (o) => (o.spec.ai.provider.port = 8080)),
  },
  {
    // agentgateway v1.4.1 proxy/httpproxy.rs apply_auto_hostname sends the host as written as the authority; the in-mesh listener on port 80 names the host in full, so the Gateway answers 404.
    name: "the LLM backend's host override in short form (inference-gateway-istio.inference), which reaches the Service but is sent as the Host, which no listener of the inference Gateway's port 80 names",
    policy: "agent-call-graph",
    apply: (doc) => onFirst(doc, llmBackend, (o) => (o.spec.ai.provider.host = o.spec.ai.provider.host.replace(/\.svc\.cluster\.local$/, ""))),
  },
  {
    // proxy/httpproxy.rs: a host override adds none of the provider's default TLS, and the backend configures none: plain HTTP to the HTTPS listener.
    name: "the LLM backend's port moved to 443, the inference Gateway's HTTPS listener, with no backend TLS configured",
    policy: "agent-call-graph",
    apply: (doc) => onFirst(doc, llmBackend, (o) => (o.spec.ai.provider.port = 443)),
  },
  {
    // backend_plugin.go: the backend's spec.policies.tls is its inline backend policy, so the proxy opens TLS to the plain-HTTP in-mesh listener on port 80.
    name: "the LLM backend given backend TLS (spec.policies.tls) toward the inference Gateway's plain-HTTP in-mesh listener on port 80",
    policy: "agent-call-graph",
    apply: (doc) => onFirst(doc, llmBackend, (o) => (o.spec.policies = { ...o.spec.policies, tls: { sni: o.spec.ai.provider.host } })),
  },
];
