/**
 * The HTTP version a gateway speaks to the endpoint picker. Istio 1.30.3 points the route's ext_proc
 * at the picker Service port's outbound cluster as an Envoy gRPC service (networking/core/route
 * route.go), and Envoy's gRPC client speaks whatever that cluster speaks (envoyproxy/envoy#11439:
 * on an HTTP/1 cluster, HTTP/1.1). A gateway's cluster gets HTTP/2 only when the port's protocol is
 * HTTP2, GRPC or GRPC-Web (cluster_builder.go setUpstreamProtocol; gateways get no
 * use_downstream_protocol for unnamed ports), or when a DestinationRule's
 * connectionPool.http.h2UpgradePolicy is UPGRADE, or meshConfig.h2UpgradePolicy is UPGRADE on an
 * HTTP port (cluster_traffic_policy.go shouldH2Upgrade). Otherwise the picker's gRPC server
 * (grpc-go) gets HTTP/1.1, refuses it ("bogus greeting"), and every ext_proc call fails.
 */
import type { PolicyResource } from "@pulumi/policy";
import { dig } from "./k8s";
import { isIstiodRelease } from "./istio";
import { withRenderedIstio } from "./istio-rendered";
import { probe } from "./values";
import { policyForPort } from "./destination-rules";
import type { Report } from "./picker-service";

type Port = { port?: number; name?: unknown; appProtocol?: unknown; protocol?: unknown };

const PARSED: Record<string, string> = { tcp: "TCP", udp: "UDP", grpc: "GRPC", "grpc-web": "GRPC-Web", http: "HTTP", http_proxy: "HTTP_PROXY", http2: "HTTP2", https: "HTTPS", tls: "TLS", mongo: "Mongo", redis: "Redis", mysql: "MySQL" };

/**
 * The protocol Istio gives a Service port (pkg/config/kube/conversion.go ConvertProtocol): UDP as
 * such, else `appProtocol` when set (kubernetes.io/h2c is HTTP2), else the port name, each up to its
 * first hyphen (grpc-web as a whole), case-insensitively; anything else is Unsupported (sniffed).
 */
export function istioPortProtocol(p: Port): string {
  if (p.protocol === "UDP") return "UDP";
  const appProtocol = typeof p.appProtocol === "string" ? p.appProtocol : undefined;
  if (appProtocol === "kubernetes.io/h2c") return "HTTP2";
  if (appProtocol === "kubernetes.io/ws") return "HTTP";
  if (appProtocol === "kubernetes.io/wss") return "HTTPS";
  const name = appProtocol ?? (typeof p.name === "string" ? p.name : "");
  if (name.toLowerCase().startsWith("grpc-web")) return "GRPC-Web";
  return PARSED[name.split("-")[0].toLowerCase()] ?? "Unsupported";
}

const HTTP2 = ["HTTP2", "GRPC", "GRPC-Web"];

/** The connection pool a DestinationRule gives one port: a portLevelSettings entry replaces the rule-wide policy. */
const httpPool = (trafficPolicy: Record<string, any> | undefined, port: number): Record<string, any> | undefined => policyForPort(trafficPolicy, port).policy?.connectionPool?.http;

/** Whether an istiod of the cluster sets meshConfig.h2UpgradePolicy UPGRADE (HTTP ports only); throws while one is not known. */
function meshUpgrades(resources: PolicyResource[]): boolean {
  return withRenderedIstio(resources)
    .filter(isIstiodRelease)
    .some((r) => dig(r.props.values, "meshConfig.h2UpgradePolicy") === "UPGRADE");
}

/**
 * The picker Service port `svcPort` must reach the gateway's cluster as HTTP/2: by its protocol, or
 * by an upgrade the rules that apply to the gateway (`rules`) or the mesh give it.
 */
export function checkPickerProtocol(svcPort: Port, rules: PolicyResource[], resources: PolicyResource[], lead: string, report: Report, urn: string, pending: string[]): void {
  const protocol = istioPortProtocol(svcPort);
  if (HTTP2.includes(protocol)) return;
  const pools = rules.map((r) => httpPool(r.props.spec?.trafficPolicy, svcPort.port!)).filter((h) => h !== undefined);
  if (pools.some((h) => h.h2UpgradePolicy === "UPGRADE" && h.useClientProtocol !== true)) return;
  const optedOut = pools.some((h) => h.h2UpgradePolicy === "DO_NOT_UPGRADE" || h.useClientProtocol === true);
  if (!optedOut && (protocol === "HTTP" || protocol === "HTTP_PROXY")) {
    const mesh = probe(() => meshUpgrades(resources));
    if (!mesh.known) {
      pending.push(`${lead} (meshConfig.h2UpgradePolicy of an istiod not known yet)`);
      return;
    }
    if (mesh.value) return;
  }
  const given =
    typeof svcPort.appProtocol === "string" ? `from its appProtocol ${JSON.stringify(svcPort.appProtocol)}` : typeof svcPort.name === "string" && svcPort.name !== "" ? `from its name ${JSON.stringify(svcPort.name)}` : "it has no name or appProtocol";
  report(
    `${lead}: Service port ${svcPort.port} is protocol ${protocol} to Istio (${given}), so the gateway's ext_proc gRPC calls to the picker go out over HTTP/1.1 and its gRPC server refuses them; give the port appProtocol kubernetes.io/h2c (or grpc), or a name starting grpc- or http2-`,
    urn,
  );
}
