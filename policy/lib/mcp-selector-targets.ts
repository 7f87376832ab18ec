/**
 * MCP targets that vanish: agentgateway v1.4.1's controller turns a `selector` target of an MCP
 * AgentgatewayBackend into one target per MCP port (appProtocol agentgateway.dev/mcp or mcp-sse, or
 * the legacy kgateway.dev ones) of each Service it matches (controller/pkg/syncer/backend/mcp.go
 * TranslateMCPSelectorTargets), and where it matches none, or none with such a port, into no target
 * at all: no error, no status, whatever the backend's failureMode (backend_plugin.go appends the
 * empty list). The MCP gateway then serves none of the tools that selector was meant for; nor
 * where the matched Service's MCP port targets by name a port its pods do not declare (no endpoint).
 */
import type { Graph } from "./call-graph";
import { isKind, matchesSelector, meta } from "./k8s";
import { list, probe } from "./values";
import { heldWhole, targetPortUndeclared } from "./agw-backend-refs";
import { mcpPorts, selectedTargetNames } from "./mcp-targets";

/**
 * Reports each selector target of an MCP AgentgatewayBackend in the tools namespace that yields no
 * target. Judged only for a selector of the backend's own namespace (no `namespaces` selector),
 * where the stack creates that namespace on the cluster and installs no Helm release into it (whose
 * Services a review does not see); a Service made there outside the stack would still match.
 */
export function reportEmptyMcpSelectors(g: Graph, cluster: string, report: (message: string, urn?: string) => void, pending: string[]): void {
  for (const r of g.resources.filter((x) => isKind(x.type, "agentgateway.dev", "AgentgatewayBackend"))) {
    const read = probe(() => {
      const { namespace, name } = meta(r.props);
      if (namespace !== g.config.toolsNamespace || !r.props.spec?.mcp) return [];
      if (!heldWhole(g.resources, namespace)) return [];
      const services = g.resources.filter((s) => isKind(s.type, "core", "Service") && meta(s.props).namespace === namespace);
      const selectors = list(r.props.spec.mcp.targets as Record<string, any>[]).filter((t) => t?.selector && !t.selector.namespaces);
      const matched = (t: Record<string, any>) => services.filter((s) => matchesSelector(t.selector.services, meta(s.props).labels) && selectedTargetNames(s.props).length > 0);
      // A matched tool Service whose MCP port reaches no pod (a named targetPort its pods do not declare) serves nothing either.
      const unreached = selectors.flatMap((t) =>
        matched(t).flatMap((s) =>
          mcpPorts(s.props).flatMap((port) => {
            const why = targetPortUndeclared(g.resources, [s], port, `MCP target ${JSON.stringify(t.name)} Service ${namespace}/${meta(s.props).name}`);
            return why ? [`AgentgatewayBackend ${namespace}/${name} on cluster ${cluster}: ${why}`] : [];
          }),
        ),
      );
      return selectors
        .filter((t) => matched(t).length === 0)
        .map((t) => `AgentgatewayBackend ${namespace}/${name} on cluster ${cluster}: MCP target ${JSON.stringify(t.name)} selects no Service with an MCP port (appProtocol agentgateway.dev/mcp or agentgateway.dev/mcp-sse) among those the stack renders in ${namespace} (labels ${JSON.stringify(t.selector.services?.matchLabels ?? {})}), so agentgateway v1.4.1's controller makes it no target at all, silently (no error or status, whatever the backend's failureMode), and the MCP gateway serves none of the tools it was meant for: the agents configured for them lose them; correct the selector, or the tool Service's labels or port appProtocol (a Service made there outside the stack would match, which this review cannot see)`)
        .concat(unreached);
    });
    if (!read.known) pending.push(`AgentgatewayBackend ${r.name} on cluster ${cluster}, or the Services, Namespace and Helm releases of its namespace, which decide whether each MCP selector target matches a tool`);
    else for (const why of read.value) report(why, r.urn);
  }
}
