/**
 * The URL path an MCP tool serves at (`tools[].path`). It is used twice: agentgateway dials
 * `http://<service>:<port><path>` (the Service's `agentgateway.dev/mcp-path` annotation), and
 * the tools' waypoint admits the agents on that path (an Istio AuthorizationPolicy `paths` entry).
 */

/** AgentgatewayBackend's own MCP target `path` is at most 1024 characters (agentgateway v1.4.1 CRD). */
export const MAX_MCP_PATH = 1024;

/** RFC 3986 path characters: unreserved, %-escapes, sub-delimiters but '*', ':' and '@', and '/'. */
const PATH_CHARS = /^[A-Za-z0-9\-._~%!$&'()+,;=:@/]*$/;

/** Why `path` cannot be a tool's MCP path, or undefined when it can. */
export function mcpPathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return "must be an absolute URL path starting with '/', such as /mcp";
  if (path.length > MAX_MCP_PATH) return `is ${path.length} characters; at most ${MAX_MCP_PATH}, as agentgateway's MCP target path`;
  // Envoy matches an AuthorizationPolicy path against the request's path without its query and
  // fragment (PathMatcher), so a rule naming them would never admit the agents.
  if (/[?#]/.test(path)) return "must not contain '?' or '#': the waypoint's authorization rule matches the path without query or fragment, so it would admit no agent";
  // Istio reads '*' in AuthorizationPolicy paths as a prefix/suffix wildcard (admitting other
  // paths too) and '{…}' as a path template, refusing any '{' or '}' outside {*} and {**}
  // (pkg/config/security CheckValidPathTemplate): the policy would be wider, or refused by istiod.
  if (/[*{}]/.test(path)) return "must not contain '*', '{' or '}': Istio reads them as wildcards and path templates in the tools' authorization policy";
  // agentgateway parses `http://<service>:<port><path>` as a URI (mcp/upstream/streamablehttp.rs);
  // spaces, control and non-ASCII characters fail it, and the tool drops out of every session.
  if (!PATH_CHARS.test(path)) return "must be URL path characters only (letters, digits, - . _ ~ %XX ! $ & ' ( ) + , ; = : @ and /): agentgateway cannot build the tool's URL otherwise";
  // Istio's proxies normalize request paths (RFC 3986, dot segments removed) before authorization,
  // so a rule naming '.' or '..' segments never matches what arrives.
  if (path.split("/").some((segment) => segment === "." || segment === "..")) return "must not contain '.' or '..' segments: Istio normalizes them away before the waypoint's authorization rule matches the path";
  return undefined;
}
