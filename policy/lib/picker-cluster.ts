/**
 * What a DestinationRule does to a gateway's cluster for the endpoint picker, beyond its TLS
 * (picker-tls.ts) and HTTP version (picker-protocol.ts).
 *
 * Load balancing. Istio 1.30.3 points the route's ext_proc at the picker Service port's
 * subset-less outbound cluster (networking/core/route/route.go), and a DestinationRule's `loadBalancer.simple: PASSTHROUGH` makes that an ORIGINAL_DST
 * cluster on any proxy, gateways included (cluster_traffic_policy.go applyLoadBalancer), without
 * use_http_header (cluster_builder.go sets an original_dst_lb_config, a port override, only on a
 * cluster built ORIGINAL_DST, a sidecar's headless Service). Envoy's ORIGINAL_DST load
 * balancer takes its host from a filter state or metadata override, an x-envoy-original-dst-host
 * header (use_http_header only), or the downstream connection's restored local address
 * (source/extensions/clusters/original_dst/original_dst_cluster.cc chooseHost). The ext_proc stream
 * is an Envoy async client call: no downstream connection (async_client_impl.h connection() is
 * empty) and a filter state of its own, which ext_proc's client leaves empty (ext_proc
 * client_impl.cc sets only the parent context), so every call finds no host ("original_dst_load_balancer:
 * No downstream connection or no original_dst") and fails UNAVAILABLE. Another policy still finds a
 * host: a consistent hash without a hash key (the call has no hash policy) picks at random.
 *
 * PROXY protocol. A rule's trafficPolicy.proxyProtocol (any version, an empty one is V1) wraps the
 * cluster's transport socket in Envoy's upstream PROXY protocol one (cluster_traffic_policy.go
 * applyUpstreamProxyProtocol), so each connection opens with a PROXY header before the TLS
 * ClientHello or the HTTP/2 preface; llm-d-router v0.10.0's picker serves ext-proc from grpc-go on
 * a plain TCP listener (internal/runnable/grpc.go; TLS or plaintext, pkg/epp/server/runserver.go),
 * which reads no PROXY header. A portLevelSettings entry for the port drops it: the port's policy is the
 * entry's connectionPool, loadBalancer, outlierDetection and tls alone (util.go
 * shadowCopyPortTrafficPolicy).
 */
import type { PolicyResource } from "@pulumi/policy";
import { meta } from "./k8s";
import { policyForPort } from "./destination-rules";
import type { Report } from "./picker-service";

/**
 * No DestinationRule that applies to the gateway (`rules`) gives the picker's port
 * `loadBalancer.simple: PASSTHROUGH` or a PROXY protocol header.
 */
export function checkPickerCluster(rules: PolicyResource[], port: number, lead: string, report: Report, urn: string): void {
  for (const rule of rules) {
    const which = `DestinationRule ${meta(rule.props).namespace}/${meta(rule.props).name}`;
    const { policy, portLevel } = policyForPort(rule.props.spec?.trafficPolicy, port);
    if (!portLevel && policy?.proxyProtocol != null) {
      const version = typeof policy.proxyProtocol.version === "string" ? policy.proxyProtocol.version : "V1";
      report(
        `${lead}: ${which} sets trafficPolicy.proxyProtocol (${version}), so Istio wraps the gateway's connections to the picker in Envoy's upstream PROXY protocol transport and each opens with a PROXY ${version} header; the picker's gRPC server reads none (it expects a TLS ClientHello, or the HTTP/2 preface in plaintext), so every ext_proc call fails and the pool's failureMode applies to every request (FailClose: a 5xx; FailOpen: sent past the picker); drop proxyProtocol from the rule (or give port ${port} a portLevelSettings entry, which carries none)`,
        urn,
      );
    }
    if (policy?.loadBalancer?.simple !== "PASSTHROUGH") continue;
    report(
      `${lead}: ${which} gives port ${port} loadBalancer.simple PASSTHROUGH${portLevel ? " (its portLevelSettings entry for the port)" : ""}, which Istio builds as an ORIGINAL_DST cluster, whose host Envoy takes from the original destination of the downstream connection: the gateway's ext_proc gRPC stream to the picker is an async call with no downstream connection, so every call finds no host (gRPC UNAVAILABLE) and the pool's failureMode applies to every request (FailClose: a 5xx; FailOpen: sent past the picker); drop the loadBalancer, or use ROUND_ROBIN, LEAST_REQUEST or RANDOM`,
      urn,
    );
  }
}
