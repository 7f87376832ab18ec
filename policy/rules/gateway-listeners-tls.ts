import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { byCluster, cannotJudge, meta } from "../lib/k8s";
import { isGateway } from "../lib/gateways";
import { listenerSetShown, listenerSetsOf } from "../lib/listener-sets";
import { admitsOutsidersOn, clusterInternal, exposingServices, keepsClientAddress, networkPolicyKeepsInCluster, optionsOf, outsiders, Outsiders } from "../lib/gateway-exposure";
import { andTri, configWithDefaults, list, notTri, orTri, orUnknown, probe, tri, Tri } from "../lib/values";
import { hostnameSuffix, objectName, setOf } from "../lib/config-schema";
import { usableCertificateRef } from "../lib/certificate-grants";

interface Config {
  /** Gateway classes whose Gateways never get an externally reachable Service; every other class does unless its settings say ClusterIP. */
  internalGatewayClasses: string[];
  /** Allow plaintext listeners anyway (a laptop stack without certificates). */
  allowPlaintextListeners: boolean;
  /** Listener hostnames served only to in-mesh callers (cluster-local Service names). */
  inMeshHostnameSuffixes: string[];
}
const defaults: Config = {
  // Waypoints are ClusterIP; istio-remote gateways are not deployed here. Everything else Istio or
  // agentgateway deploys (istio, istio-east-west, istio-agentgateway, agentgateway) defaults to a
  // LoadBalancer, and an unknown class is assumed to as well.
  internalGatewayClasses: ["istio-waypoint", "istio-remote"],
  allowPlaintextListeners: false,
  inMeshHostnameSuffixes: [".svc.cluster.local"],
};

const encrypted = new Set(["HTTPS", "TLS", "HBONE"]);

interface ListenerOf {
  listener: Record<string, any>;
  /** `Gateway ns/name` or `ListenerSet ns/name`, for messages. */
  from: string;
  urn: string;
  /** Whether the listener surely belongs to the Gateway ("unknown": a ListenerSet whose attachment this preview cannot tell). */
  attached: Tri;
}

/**
 * The Gateway's listeners and those ListenerSets attach to it (listener-sets.ts). Istio adds their
 * ports to the Gateway's Service (gatewaycommon/deploymentcontroller.go). `unknown` names the lists
 * this preview cannot read.
 */
function listenersOf(gw: PolicyResource, resources: PolicyResource[]): { listeners: ListenerOf[]; unknown: string[] } {
  const { namespace, name } = meta(gw.props);
  const unknown: string[] = [];
  const own = probe(() => (list(gw.props.spec?.listeners) as Record<string, any>[]).map((listener): ListenerOf => ({ listener, from: `Gateway ${namespace}/${name}`, urn: gw.urn, attached: true })));
  if (!own.known) unknown.push(`the listeners of Gateway ${namespace}/${name}`);
  const attached: ListenerOf[] = [];
  for (const { set, attaches } of listenerSetsOf(gw, resources)) {
    const from = listenerSetShown(set);
    const listeners = probe(() => list(set.props.spec?.listeners) as Record<string, any>[]);
    if (!listeners.known) unknown.push(`the listeners of ${from}${attaches === true ? "" : ", which may attach to Gateway " + `${namespace}/${name}`}`);
    else attached.push(...listeners.value.map((listener) => ({ listener, from, urn: set.urn, attached: attaches })));
  }
  return { listeners: [...(own.known ? own.value : []), ...attached], unknown };
}

/** The listener tls.mode values Gateway API's CRD takes (an enum, matched exactly). */
const TLS_MODES = ["Terminate", "Passthrough"];

/** One listener's verdict: a violation, a pass, or what this preview cannot know to decide. */
type Finding = { violation: string } | { pass: true } | { unknown: string };
const pass: Finding = { pass: true };

/**
 * One listener of an external Gateway: HTTPS, TLS or HBONE (a terminating one naming a
 * certificate), or plaintext for an in-mesh hostname on a port that stays inside the cluster.
 * `lead` starts its messages; `context` reads the Gateway's policies when an in-mesh listener needs them.
 */
/**
 * A listener field for a message: `unknownText` when not known yet, `missing` when absent or
 * empty (the API server requires name, port and protocol, but the message must still read).
 */
function shown(read: () => unknown, unknownText: string, missing: string): string {
  const v = orUnknown(read, unknownText);
  return v === undefined || v === null || v === "" ? missing : typeof v === "object" ? JSON.stringify(v) : String(v);
}

function judgeListener(
  l: Record<string, any>,
  context: () => { gw: PolicyResource; resources: PolicyResource[]; open: Outsiders; keepsAddress: Tri },
  config: Config,
  lead: string,
  usable: (certificateRefs: unknown) => boolean,
): Finding {
  // A null entry (refused by the API server) reads as a listener with nothing set: it is reported, not a crash.
  l = l ?? {};
  const protocolRead = probe(() => String(l.protocol ?? ""));
  if (!protocolRead.known) return { unknown: "the protocol" };
  const protocol = protocolRead.value;
  // Gateway API's enum is matched exactly: read as not Terminate, a refused `terminate` passed without a certificate.
  const mode = probe(() => l.tls?.mode as unknown);
  if (!mode.known) return { unknown: "the tls.mode" };
  if (mode.value !== undefined && mode.value !== null && !TLS_MODES.includes(mode.value as string)) {
    return { violation: `${lead} sets tls.mode ${JSON.stringify(mode.value)}, which is not a mode Gateway API knows (Terminate or Passthrough): the API server refuses the Gateway` };
  }
  // HTTPS always terminates; TLS terminates unless it passes through: both need a certificate.
  const terminates = protocol === "HTTPS" ? true : protocol === "TLS" ? tri(() => (l.tls?.mode ?? "Terminate") === "Terminate") : false;
  const noCertificate = terminates === false ? false : tri(() => list(l.tls?.certificateRefs).length === 0);
  const missing = andTri(terminates, noCertificate);
  if (missing === true) return { violation: `${lead} is ${protocol} but names no tls.certificateRefs, so it cannot terminate TLS` };
  if (missing === "unknown") return { unknown: terminates === "unknown" ? "the tls.mode" : "the tls.certificateRefs" };
  if (terminates !== false) {
    const granted = tri(() => usable(l.tls?.certificateRefs));
    const none = andTri(terminates, notTri(granted));
    if (none === true) return { violation: `${lead} is ${protocol} but its tls.certificateRefs all name Secrets in other namespaces that no ReferenceGrant there opens to it (RefNotPermitted), so it has no certificate to terminate TLS with; keep the Secret in the listener's namespace or add a ReferenceGrant` };
    if (none === "unknown") return { unknown: terminates === "unknown" ? "the tls.mode" : "the tls.certificateRefs' ReferenceGrants" };
  }
  if (encrypted.has(protocol)) return pass;
  const plaintext: Finding = { violation: `${lead} is ${protocol === "" ? "without a protocol" : protocol}; external listeners must be HTTPS or TLS` };
  const hostname = probe(() => l.hostname as string | undefined);
  const inMesh = hostname.known ? !!hostname.value && config.inMeshHostnameSuffixes.some((s) => hostname.value!.endsWith(s)) : "unknown";
  if (inMesh === false) return plaintext;
  // An in-mesh hostname: plaintext only while the port stays inside the cluster.
  const { gw, resources, open, keepsAddress } = context();
  const port = probe(() => l.port as unknown);
  const outside = admitsOutsidersOn(open, port);
  const network = outside === false ? { restricted: true as Tri, policies: [] } : networkPolicyKeepsInCluster(gw, port, resources);
  const safe = orTri(notTri(outside), andTri(network.restricted, keepsAddress));
  if (safe === true) return inMesh === true ? pass : { unknown: "the hostname" };
  if (safe === "unknown") return { unknown: inMesh === true ? "what admits outside callers to the port (AuthorizationPolicies, NetworkPolicies, the Service's externalTrafficPolicy)" : "the hostname" };
  // Not in-mesh after all: a plaintext listener either way.
  if (inMesh !== true) return plaintext;
  const everyPort = open.all || (!open.bound && open.unknown.length === 0);
  const networkWhy = network.restricted === false
    ? network.policies.length
      ? `NetworkPolicy ${network.policies.join(", ")} admits addresses outside the cluster on it`
      : "no NetworkPolicy keeps the port to pods inside the cluster"
    : `${network.policies.length ? `NetworkPolicy ${network.policies.join(", ")}` : "NetworkPolicies"} cannot tell outside clients apart: the Gateway's Service does not keep client addresses (externalTrafficPolicy: Local in ${optionsOf(gw)}), so load-balancer traffic reaches the pods from their node's address, which NetworkPolicies always admit`;
  return {
    violation: `${lead} is ${protocol} for in-mesh callers, but ${open.policies.length ? `AuthorizationPolicy ${open.policies.join(", ")} admits` : "no ALLOW AuthorizationPolicy binds the Gateway, so Istio admits"} callers without a mesh identity on ${everyPort ? "every port" : `port ${port.known ? port.value : "?"}`} and ${networkWhy}; the listener shares the Gateway's load balancer, so outside clients reach it in plaintext`,
  };
}

/**
 * Anything an external Gateway listens on is reachable from outside the cluster: prompts,
 * completions and tokens must not cross that edge in plaintext.
 */
export const gatewayListenersTls: StackValidationPolicy = {
  name: "gateway-listeners-tls",
  description:
    "Listeners of externally reachable Gateways (every class but waypoints, unless the Gateway's own settings make its Service ClusterIP (for a class of agentgateway's controller, whatever it is called, its parameters only, its class's then its own, the last service spec.type deciding; for Istio's classes the Gateway's networking.istio.io/service-type annotation, overridden by a spec.type in the `service` overlay of its class-defaults or parametersRef ConfigMap) and no LoadBalancer/NodePort Service added beside it selects its pods on the listener's port), those ListenerSets attach included, use HTTPS, TLS or HBONE, and a terminating one names a certificate it may use (a Secret in its own namespace, or one a ReferenceGrant opens to it) (a tls.mode outside Gateway API's enum, `terminate`, is reported: the API server refuses the Gateway); a plaintext listener for in-mesh hostnames only while its port stays inside the cluster: no ALLOW policy bound to the Gateway admits callers without a mesh identity on it, or NetworkPolicies admit only pods to it; plaintext is allowed only where the stack's policy config says so (local).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      internalGatewayClasses: {
        ...setOf(objectName),
        default: defaults.internalGatewayClasses,
        description: "Gateway classes whose Gateways are never exposed outside the cluster; every other class is judged.",
      },
      allowPlaintextListeners: { type: "boolean", default: defaults.allowPlaintextListeners, description: "Allow HTTP/TCP listeners on external Gateways (local stacks only)." },
      inMeshHostnameSuffixes: {
        ...setOf(hostnameSuffix),
        default: defaults.inMeshHostnameSuffixes,
        description: "Listener hostnames with these suffixes serve in-mesh callers only and may stay plaintext (ambient mTLS carries them).",
      },
    },
  },
  validateStack: (args, report) => {
    const config = configWithDefaults(args, defaults);
    if (config.allowPlaintextListeners) return;
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    for (const [cluster, resources] of byCluster(args.resources)) {
      for (const gw of resources.filter((r) => isGateway(r.type))) {
        const { namespace, name } = meta(gw.props);
        const gateway = `Gateway ${namespace}/${name}`;
        const cls = probe(() => gw.props.spec?.gatewayClassName as string | undefined);
        if (cls.known && (!cls.value || config.internalGatewayClasses.includes(cls.value))) continue;
        // Unknown (a class, an annotation or parameters not known yet): the listeners are judged, and
        // what would fail them is "can't judge" (an internal Gateway may listen in plaintext).
        const internal = clusterInternal(gw, cls, resources);
        // Services added beside the Gateway that reach its pods from outside expose the listeners on
        // the ports they target, even when the Gateway's own Service stays ClusterIP.
        const exposure = exposingServices(gw, resources);
        const exposes = (port: unknown) => exposure.services.length > 0 && (exposure.ports === "all" || exposure.ports.has(Number(port)));
        if (internal === true && exposure.services.length === 0) continue;
        const { listeners, unknown } = listenersOf(gw, resources);
        pending.push(...unknown.map((what) => `${what} on ${cluster}`));
        // Read once per Gateway, when an in-mesh listener needs them.
        let open: Outsiders | undefined;
        let keepsAddress: Tri | undefined;
        for (const { listener: l, from, urn, attached } of listeners) {
          const byService = internal !== false && orUnknown(() => exposes(l.port), false);
          const external: Tri = byService ? true : notTri(internal);
          if (external === false) continue;
          const via = byService ? `, exposed outside the cluster by Service ${exposure.services.join(", ")}` : "";
          const where = (from === gateway ? gateway : `${gateway} (through ${from})`) + via;
          const listener = `listener ${shown(() => l?.name, "?", "(unnamed)")} (port ${shown(() => l?.port, "not known yet", "none")})`;
          const finding = judgeListener(l, () => {
            open ??= outsiders(gw, resources);
            keepsAddress ??= keepsClientAddress(gw, resources);
            return { gw, resources, open, keepsAddress };
          }, config, `${where} on ${cluster}: ${listener}`, (refs) => {
            // A ListenerSet's listeners use certificates as the ListenerSet, from its namespace.
            const owner = resources.find((r) => r.urn === urn) ?? gw;
            return usableCertificateRef(refs, { kind: owner.type.split(":").pop()!, namespace: meta(owner.props).namespace }, resources);
          });
          if ("unknown" in finding) pending.push(`${finding.unknown} of ${listener} of ${where} on ${cluster}`);
          else if ("violation" in finding) {
            if (external === true && attached === true) report(finding.violation, urn);
            else if (attached !== true) pending.push(`whether ${from} attaches its ${listener} to ${gateway} on ${cluster}`);
            else pending.push(`whether ${gateway} on ${cluster} is exposed outside the cluster (its class, networking.istio.io/service-type annotation or parameters), which decides its ${listener}`);
          }
        }
      }
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};
