/**
 * The TLS an Istio gateway speaks to an InferencePool's endpoint picker: which gateways call the
 * picker, and whether the DestinationRule istiod applies to each for the picker's host matches what
 * the picker serves (TLS with a self-signed certificate, or plaintext under --secure-serving=false).
 * Read by inference-pool-epp.
 */
import type { PolicyResource } from "@pulumi/policy";
import { meta, T } from "./k8s";
import { isRoute } from "./gateways";
import { gatewayProxyLabels } from "./istio-classes";
import { destinationRuleFor, ProxyView, serviceFqdn, tlsForPort } from "./destination-rules";
import { list } from "./values";
import { pickerPlaintext, servesPicker, type Report, type ServicePort } from "./picker-service";
import { gatewayParents, istioParents, meshParents } from "./inference-extension";
import { checkPickerProtocol } from "./picker-protocol";
import { checkPickerCluster } from "./picker-cluster";

/**
 * The Istio gateway proxies that call the pool's picker: Gateways a route that sends to the pool
 * attaches to (a listener's allowedRoutes take it). A parent the stack does not hold is judged by
 * its namespace alone; with no route to the pool, a gateway in the pool's namespace is assumed
 * (where the platform runs it). Routes only through another implementation's Gateways, or that no
 * listener takes, leave no Istio gateway calling the picker: none, as Istio's reading of the
 * picker's port and DestinationRule is moot. So do mesh routes: no waypoint or sidecar calls the
 * picker ({@link meshRoutesToPool}), so no DestinationRule is looked up for them.
 */
function pickerClients(pool: PolicyResource, resources: PolicyResource[]): (ProxyView & { what: string })[] {
  const { name, namespace } = meta(pool.props);
  const out = new Map<string, ProxyView & { what: string }>();
  let routed = false;
  for (const route of resources.filter((r) => isRoute(r.type))) {
    const routeNs = meta(route.props).namespace;
    const spec = route.props.spec ?? {};
    const sendsToPool = list(spec.rules as { backendRefs?: any[] }[]).some((rule) =>
      list(rule.backendRefs).some((b) => b.kind === "InferencePool" && b.name === name && (b.namespace ?? routeNs) === namespace),
    );
    if (!sendsToPool) continue;
    if (gatewayParents(route).length > 0 || meshParents(route).length > 0) routed = true;
    // Another implementation's Gateway is not Istio's to program, and its DestinationRules do not reach it.
    for (const { name: gwName, namespace: gwNs, gw } of istioParents(route, resources)) {
      out.set(`${gwNs}/${gwName}`, { namespace: gwNs, ...gatewayProxyLabels(gw, resources), what: `Gateway ${gwNs}/${gwName}` });
    }
  }
  return out.size > 0 || routed ? [...out.values()] : [{ namespace, what: `a gateway in ${namespace}` }];
}

/**
 * The gateway speaks TLS to the picker, whose certificate is self-signed (secure serving without
 * --cert-path): the DestinationRule Istio applies to each calling gateway for the picker's host
 * must give the port tls.mode SIMPLE, and either skip verification or name the CA to verify
 * against (without either, Envoy verifies against the system CAs and the handshake fails). A
 * picker run with --secure-serving=false answers in plaintext, and then a rule giving TLS breaks it.
 */
export function checkPickerTls(pool: PolicyResource, svcName: string, port: number, resources: PolicyResource[], roots: string[], where: string, report: Report, pending: string[]): void {
  const { namespace } = meta(pool.props);
  const host = serviceFqdn(svcName, namespace);
  const svc = resources.find((r) => r.type === T.service && meta(r.props).name === svcName && meta(r.props).namespace === namespace);
  const plaintext = svc ? pickerPlaintext(svc, resources) : undefined;
  const svcPort = list(svc?.props.spec?.ports as ServicePort[]).find((p) => servesPicker(p, port));
  for (const client of pickerClients(pool, resources)) {
    // Each istiod revision looks in its own root namespace: a gateway of either may be the client.
    const lookups = roots.map((root) => destinationRuleFor(resources, host, namespace, client, root));
    const found = lookups.find((l) => l.rules.length > 0) ?? lookups.find((l) => l.matched.length > 0) ?? { rules: [], matched: [] };
    if (svcPort) checkPickerProtocol(svcPort, found.rules, resources, `${where}: for ${client.what}, the picker ${host}`, report, pool.urn, pending);
    checkPickerCluster(found.rules, port, `${where}: for ${client.what}, the picker ${host}`, report, pool.urn);
    if (plaintext) {
      // No rule, or one without TLS, is right here: the mesh (HBONE) carries the plaintext call.
      for (const rule of found.rules) {
        const mode = tlsForPort(rule.props.spec?.trafficPolicy, port)?.mode;
        if (mode !== "SIMPLE" && mode !== "MUTUAL") continue;
        report(
          `${where}: the picker ${host} serves ext-proc in plaintext (its pods run --secure-serving=false), but for ${client.what} DestinationRule ${meta(rule.props).namespace}/${meta(rule.props).name} gives port ${port} tls.mode ${mode}, so the gateway's TLS handshake with it fails; drop the rule's tls (or set tls.mode DISABLE), or serve TLS (remove --secure-serving=false)`,
          pool.urn,
        );
      }
      continue;
    }
    const lead = `${where}: the gateway speaks TLS to the picker ${host} port ${port}, but for ${client.what}`;
    if (found.rules.length === 0) {
      const shadow = found.matched.length > 0 ? ` (${found.matched.map((r) => `${meta(r.props).namespace}/${meta(r.props).name}`).join(", ")} match the host there but select other workloads, and hide the rules of other namespaces)` : "";
      report(
        `${lead} no DestinationRule applies${shadow}: one for the host (its FQDN ${host}, the bare name ${svcName} in ${namespace}, or a wildcard covering the FQDN) in the gateway's namespace, in ${namespace} or in ${roots.join(" or ")}, exported to the gateway's namespace (exportTo absent, * or that namespace), with tls.mode SIMPLE`,
        pool.urn,
      );
      continue;
    }
    // istiod merges the selector-less rules of one host and keeps the oldest one's trafficPolicy
    // (rules without one take it from another): an order a review cannot see, so each must be right.
    const withPolicy = found.rules.filter((r) => r.props.spec?.trafficPolicy);
    const merged = found.rules.length > 1 ? " (istiod merges the rules for one host and keeps the oldest one's trafficPolicy, so each must be right)" : "";
    for (const rule of withPolicy.length > 0 ? withPolicy : found.rules.slice(0, 1)) {
      const tls = tlsForPort(rule.props.spec?.trafficPolicy, port);
      const which = `DestinationRule ${meta(rule.props).namespace}/${meta(rule.props).name}`;
      const mode = tls ? (tls.mode ?? "DISABLE") : undefined;
      if (mode !== "SIMPLE") {
        report(
          `${lead} ${which} applies and gives it ${mode ? `tls.mode ${mode}` : "no tls"}${merged}; use tls.mode SIMPLE (a portLevelSettings entry for the port replaces the rule-wide trafficPolicy, tls included)`,
          pool.urn,
        );
      } else if (tls!.insecureSkipVerify !== true && !tls!.caCertificates && !tls!.credentialName) {
        report(
          `${lead} ${which} sets tls.mode SIMPLE without insecureSkipVerify: true, caCertificates or credentialName${merged}, so Envoy verifies the picker's self-signed certificate against the system CAs and the handshake fails`,
          pool.urn,
        );
      }
    }
  }
}
