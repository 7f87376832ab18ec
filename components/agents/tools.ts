/**
 * MCP tool services in `tools`: per tool a ServiceAccount, a Deployment and a Service whose port
 * declares `appProtocol: agentgateway.dev/mcp` (streamable HTTP), which is what agentgateway's
 * selector-based MCP targets pick up (controller/pkg/syncer/backend/mcp.go).
 */
import type { ToolSpec } from "../../infra/config";
import type { Manifest } from "../k8s/apply";
import { podSecurityContext } from "./pod-security";
import { toolLabels, toolSelector, toolsNamespace } from "./names";

export const toolResources = {
  requests: { cpu: "50m", memory: "128Mi" },
  limits: { memory: "256Mi" },
};

/**
 * Service annotations agentgateway reads: the target name is the tool's stable prefix
 * (`<tool>_<name>`) and the key the CEL rules match (`mcp.tool.target`); without it the controller
 * would derive `<service>-<port name>`, which changes when someone renames a port.
 */
export function toolServiceAnnotations(tool: ToolSpec): Record<string, string> {
  return { "agentgateway.dev/mcp-target-name": tool.name, "agentgateway.dev/mcp-path": tool.path };
}

export function toolManifests(tool: ToolSpec): Manifest[] {
  const labels = toolLabels(tool);
  const selector = toolSelector(tool);
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: tool.name, namespace: toolsNamespace, labels },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: tool.name,
        namespace: toolsNamespace,
        labels,
        ...(tool.description ? { annotations: { "inference-mesh.dev/description": tool.description } } : {}),
      },
      spec: {
        replicas: tool.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: tool.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurityContext(tool.port),
            containers: [
              {
                name: "mcp",
                image: tool.image,
                ports: [{ name: "mcp", containerPort: tool.port, protocol: "TCP" }],
                resources: toolResources,
                // The MCP endpoint only answers POSTed JSON-RPC, so probes check the socket.
                readinessProbe: { tcpSocket: { port: "mcp" }, periodSeconds: 10 },
                livenessProbe: { tcpSocket: { port: "mcp" }, periodSeconds: 20, failureThreshold: 3 },
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: tool.name, namespace: toolsNamespace, labels, annotations: toolServiceAnnotations(tool) },
      spec: {
        selector,
        ports: [{ name: "mcp", port: tool.port, targetPort: "mcp", protocol: "TCP", appProtocol: "agentgateway.dev/mcp" }],
      },
    },
  ];
}
