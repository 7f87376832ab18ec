/**
 * Which istiod a ztunnel Helm release dials, as Istio 1.30.3's ztunnel chart renders it, and
 * whether the stack's istiod gives it that Service. ztunnel's certificates (CA_ADDRESS) and its
 * workload config (XDS_ADDRESS) both come from there (ztunnel templates/daemonset.yaml): an
 * address naming a Service nothing renders leaves every ztunnel without certificates or config,
 * so no pod the node agent redirects into it gets an mTLS identity and its mesh traffic fails.
 * istio-cni's `revision` only labels its objects (istio-cni templates/*.yaml): its node agent
 * talks to ztunnel, never to istiod, so it is not read here.
 */
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { helmChartName, isHelmInstall, meta, podSpecOf, T, isReleaseOf } from "./k8s";
import { istioNodeAgentImage } from "./istio-rendered";
import { releaseNamespace } from "./release-namespace";
import { descopedValue, isIstiodRelease } from "./istio";
import { istiodsOf } from "./istiod-revisions";
import { goTruthy, isObject, orUnknown, probe } from "./values";

/**
 * A ztunnel value as its chart reads it: zzz_profile.yaml flattens `global.*` onto the top level
 * and lays the given top-level values over that (mergo sets a map entry even to ""), so a
 * top-level key given wins, else `global.<key>`.
 */
function ztunnelValue(values: unknown, key: string): unknown {
  const v = isObject(values) ? values : {};
  if (v[key] !== undefined && v[key] !== null) return v[key];
  return isObject(v.global) ? v.global[key] : undefined;
}

const text = (x: unknown) => (typeof x === "string" ? x : x === undefined || x === null ? "" : String(x));

/** An address ztunnel dials: its env, the address, and whether the chart built it from revision and istioNamespace. */
export interface Dial {
  env: "CA_ADDRESS" | "XDS_ADDRESS";
  address: string;
  built: boolean;
}

/**
 * The addresses a ztunnel release dials as its chart renders them (daemonset.yaml: `caAddress`,
 * else `istiod[-<revision>].<istioNamespace>.svc:15012`; `xdsAddress` likewise).
 */
export function ztunnelDials(values: unknown): Dial[] {
  const revision = text(ztunnelValue(values, "revision"));
  const namespace = text(ztunnelValue(values, "istioNamespace")) || "istio-system";
  const built = `istiod${revision === "" ? "" : `-${revision}`}.${namespace}.svc:15012`;
  return (
    [
      { env: "CA_ADDRESS", value: "caAddress" },
      { env: "XDS_ADDRESS", value: "xdsAddress" },
    ] as const
  ).map((a) => {
    const given = text(ztunnelValue(values, a.value));
    return { env: a.env, address: given === "" ? built : given, built: given === "" };
  });
}

/**
 * The in-cluster Service an address names, as ztunnel 1.30.3 reads it (src/config.rs validate_uri:
 * a URI, `https://` put in front where it has no scheme, so no port is https's 443): `<name>.<ns>.svc`
 * (also under `.cluster.local`) and the port; undefined for any other host (an IP, a load
 * balancer's name, a remote istiod), which this pack cannot follow.
 */
export function serviceAddress(address: string): { name: string; namespace: string; port: number } | undefined {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `https://${address}`);
  } catch {
    return undefined;
  }
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?\.?$/.exec(url.hostname);
  if (!m) return undefined;
  const port = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : url.protocol === "http:" ? 80 : NaN;
  return Number.isNaN(port) ? undefined : { name: m[1], namespace: m[3], port };
}

/**
 * The istiod Service an istiod release renders (istio-discovery service.yaml): `istiod`, or
 * `istiod-<revision>` where `revision` (pilot.revision wins) is set, in the release's namespace
 * (its provider's default namespace where it names none); null where it renders none or this pack does not follow it
 * (a remote profile or istiodRemote, a resourceScope other than all or namespace).
 */
function istiodService(r: PolicyResource): { name: string; namespace: string } | null {
  const values = r.props.values;
  const profile = [isObject(values) ? values.profile : undefined, descopedValue(values, "global", "profile")].find((p) => p !== undefined && p !== null && p !== "");
  const scope = descopedValue(values, "global", "resourceScope") ?? "all";
  if (profile === "remote" || goTruthy(descopedValue(values, "istiodRemote", "enabled")) || !["all", "namespace"].includes(String(scope))) return null;
  const revision = text(descopedValue(values, "revision"));
  const namespace = releaseNamespace(r);
  return { name: `istiod${revision === "" ? "" : `-${revision}`}`, namespace };
}

/** istio-discovery service.yaml's ports; only https-dns (15012) serves xDS and certificates over the TLS ztunnel speaks. */
const ISTIOD_PORTS: Record<number, string> = { 15010: "grpc-xds, plaintext", 15012: "https-dns", 443: "https-webhook, the webhook server's 15017", 15014: "http-monitoring" };

/** A ztunnel of the stack: a Helm release (its values), or a DaemonSet rendered from the chart (a v4 Chart's: its env). */
interface Ztunnel {
  r: PolicyResource;
  what: string;
  dials: () => Dial[];
}

/** A DaemonSet running Istio's ztunnel image (as a v4 Chart, or Istio applied as objects, renders it). */
export const isZtunnelDaemonSet = (r: PolicyResource): boolean => r.type === "kubernetes:apps/v1:DaemonSet" && orUnknown(() => istioNodeAgentImage(podSpecOf(r.type, r.props)) === "ztunnel", false);

function ztunnelsOf(resources: PolicyResource[]): Ztunnel[] {
  const releases = resources.filter((r) => isReleaseOf(r, "ztunnel")).map((r) => ({ r, what: `ztunnel release ${r.name}`, dials: () => ztunnelDials(r.props.values) }));
  const objects = resources
    .filter(isZtunnelDaemonSet)
    .map((r) => ({ r, what: `ztunnel DaemonSet ${orUnknown(() => `${meta(r.props).namespace}/${meta(r.props).name}`, r.name)}`, dials: () => envDials(r) }));
  return [...releases, ...objects];
}

/** The CA_ADDRESS and XDS_ADDRESS a rendered ztunnel DaemonSet gives its container (one set from elsewhere, or not set, is not judged). */
function envDials(r: PolicyResource): Dial[] {
  const containers: Record<string, any>[] = podSpecOf(r.type, r.props)?.containers ?? [];
  const env: { name?: unknown; value?: unknown }[] = containers.flatMap((c) => (Array.isArray(c?.env) ? c.env : []));
  return env.filter((e) => (e.name === "CA_ADDRESS" || e.name === "XDS_ADDRESS") && typeof e.value === "string" && e.value !== "").map((e) => ({ env: e.name as Dial["env"], address: e.value as string, built: false }));
}

/** The Services ztunnel may dial on a cluster: `<name>.<ns>.svc` → its ports (null where not known) and, for an istiod release's, that release. */
type Offered = Map<string, { ports: number[] | null; release?: string }>;

/** What is wrong with one address ztunnel dials, or undefined where it reaches a Service istiod serves it on (or is not judged). */
function problem(dial: Dial, offered: Offered): { host: string; why: "missing" | "port"; detail: string } | undefined {
  const target = serviceAddress(dial.address);
  // A given address that names no istiod Service (a remote istiod, an east-west gateway) is not judged.
  if (!target || (!dial.built && !/^istiod(-|$)/.test(target.name))) return undefined;
  const host = `${target.name}.${target.namespace}.svc`;
  const svc = offered.get(host);
  if (!svc) return { host, why: "missing", detail: "" };
  if (svc.ports !== null && !svc.ports.includes(target.port)) return { host, why: "port", detail: `Service ${target.namespace}/${target.name} has no port ${target.port} (its ports: ${svc.ports.join(", ")})` };
  if (svc.release && target.port !== 15012) {
    return { host, why: "port", detail: `port ${target.port} of Service ${target.namespace}/${target.name} (release ${svc.release}) is ${ISTIOD_PORTS[target.port]}, while only 15012 (https-dns) serves ztunnel's xDS and certificate requests over TLS` };
  }
  return undefined;
}

/** A Service object's port numbers, null where one is not known yet. */
function servicePorts(r: PolicyResource): number[] | null {
  const ports = probe(() => (Array.isArray(r.props.spec?.ports) ? (r.props.spec.ports as { port?: unknown }[]).map((p) => Number(p?.port)) : []));
  return ports.known ? ports.value : null;
}

/**
 * Reports each ztunnel of a cluster (a Helm release, or a DaemonSet a v4 Chart renders) whose
 * istiod address names a Service that no istiod of the stack renders there, or a port of it that
 * does not serve ztunnel (a Service object of the stack, istiod applied as objects included,
 * counts). An address the chart builds is always judged; one given explicitly (caAddress,
 * xdsAddress, the DaemonSet's env) only where it names an `istiod[-…]` Service in the cluster.
 * Not judged where the stack installs no istiod on the cluster (its control plane is made
 * elsewhere) or an istiod renders a Service this pack does not follow.
 */
export function reportZtunnelIstiod(cluster: string, resources: PolicyResource[], report: ReportViolation, pending: string[]): void {
  const ztunnels = ztunnelsOf(resources);
  const istiods = probe(() => istiodsOf(resources).length);
  if (ztunnels.length === 0 || !istiods.known || istiods.value === 0) return;
  const offered: Offered = new Map();
  for (const r of resources.filter((x) => x.type === T.service)) {
    const m = probe(() => meta(r.props));
    if (m.known) offered.set(`${m.value.name}.${m.value.namespace}.svc`, { ports: servicePorts(r) });
  }
  const rendered: string[] = [];
  for (const r of resources.filter(isIstiodRelease)) {
    const svc = probe(() => istiodService(r));
    if (!svc.known) {
      pending.push(`the istiod Service that istiod release ${r.name} on cluster ${cluster} renders (its values, or the namespace it installs into, are not known), which ztunnel must dial`);
      return;
    }
    if (svc.value === null) return;
    offered.set(`${svc.value.name}.${svc.value.namespace}.svc`, { ports: Object.keys(ISTIOD_PORTS).map(Number), release: r.name });
    rendered.push(`Service ${svc.value.namespace}/${svc.value.name} (release ${r.name})`);
  }
  // A release whose chart is not known yet may be the istiod that renders the Service.
  const unknownCharts = resources.filter((r) => isHelmInstall(r.type) && !probe(() => helmChartName(r.props)).known);
  for (const z of ztunnels) {
    const dials = probe(() => ({ dials: z.dials(), revision: text(ztunnelValue(z.r.props.values, "revision")) }));
    if (!dials.known) {
      pending.push(`the istiod address of ${z.what} on cluster ${cluster} (its revision, istioNamespace, caAddress, xdsAddress or env)`);
      continue;
    }
    const found = dials.value.dials.map((d) => ({ d, p: problem(d, offered) })).filter((x): x is { d: Dial; p: NonNullable<ReturnType<typeof problem>> } => x.p !== undefined);
    if (found.some((x) => x.p.why === "missing") && unknownCharts.length > 0) {
      pending.push(`whether Helm release ${unknownCharts.map((r) => r.name).join(", ")} on cluster ${cluster} is the istiod ${z.what} dials (its chart is not known yet)`);
      continue;
    }
    const outcome = "so ztunnel gets no certificates or workload config, and every ambient pod it serves has no mTLS identity and its mesh traffic fails";
    const offeredText = rendered.length > 0 ? `the stack's istiod renders only ${rendered.join(", ")}` : "the stack renders no istiod Service on the cluster";
    const built = found.filter((x) => x.d.built && x.p.why === "missing");
    if (built.length > 0) {
      report(
        `${z.what} on cluster ${cluster} dials istiod at ${built[0].p.host}:15012 (${built.map((x) => x.d.env).join(" and ")}, built from its values.revision ${JSON.stringify(dials.value.revision)} and istioNamespace), but ${offeredText}: no such Service exists, ${outcome}; set the ztunnel release's revision (and istioNamespace) to the istiod's, or its xdsAddress and caAddress (Istio 1.30.3 ztunnel templates/daemonset.yaml)`,
        z.r.urn,
      );
    }
    for (const x of found.filter((f) => !f.d.built || f.p.why !== "missing")) {
      const source = !isHelmInstall(z.r.type) ? `${x.d.env} in its env` : `${x.d.env}, its ${x.d.env === "CA_ADDRESS" ? "caAddress" : "xdsAddress"}`;
      const why = x.p.why === "missing" ? `${offeredText}: no such Service exists` : x.p.detail;
      report(`${z.what} on cluster ${cluster} dials istiod at ${x.d.address} (${source}), but ${why}, ${outcome}; point it at istiod's Service on port 15012 (Istio 1.30.3 ztunnel values.yaml, istio-discovery templates/service.yaml)`, z.r.urn);
    }
  }
}
