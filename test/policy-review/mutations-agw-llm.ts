/** Policy-review mutations of the agents' LLM backend (AgentgatewayBackend `spec.ai.provider`): its host override naming a Service the cluster does not have (the inference Gateway's Service misspelt), and a port the inference Gateway's Service does not have. */
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
];
