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
import { helmChartName, isHelmInstall, meta, T, isReleaseOf } from "./k8s";
import { releaseNamespace } from "./release-namespace";
import { descopedValue, isIstiodRelease } from "./istio";
import { istiodsOf } from "./istiod-revisions";
import { goTruthy, isObject, probe } from "./values";

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

/**
 * The addresses a ztunnel release dials that its chart builds (daemonset.yaml: `caAddress`, else
 * `istiod[-<revision>].<istioNamespace>.svc:15012`; `xdsAddress` likewise), as `{ env, host }`;
 * an address given explicitly (a remote istiod, an east-west gateway) is not judged.
 */
export function ztunnelIstiodAddresses(values: unknown): { env: string; value: string; host: string }[] {
  const revision = text(ztunnelValue(values, "revision"));
  const namespace = text(ztunnelValue(values, "istioNamespace")) || "istio-system";
  const host = `istiod${revision === "" ? "" : `-${revision}`}.${namespace}.svc`;
  return [
    { env: "CA_ADDRESS", value: "caAddress" },
    { env: "XDS_ADDRESS", value: "xdsAddress" },
  ].filter((a) => text(ztunnelValue(values, a.value)) === "").map((a) => ({ ...a, host }));
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

const isZtunnel = (r: PolicyResource) => isReleaseOf(r, "ztunnel");

/**
 * Reports each ztunnel release of a cluster whose istiod address names a Service that no istiod
 * of the stack renders there (a Service object of the stack, istiod applied as objects included,
 * counts). Not judged where the stack installs no istiod on the cluster (its control plane is made
 * elsewhere) or an istiod renders a Service this pack does not follow.
 */
export function reportZtunnelIstiod(cluster: string, resources: PolicyResource[], report: ReportViolation, pending: string[]): void {
  const ztunnels = resources.filter(isZtunnel);
  const istiods = probe(() => istiodsOf(resources).length);
  if (ztunnels.length === 0 || !istiods.known || istiods.value === 0) return;
  const hosts = new Set<string>();
  for (const r of resources.filter((x) => x.type === T.service)) {
    const m = probe(() => meta(r.props));
    if (m.known) hosts.add(`${m.value.name}.${m.value.namespace}.svc`);
  }
  const rendered: string[] = [];
  for (const r of resources.filter(isIstiodRelease)) {
    const svc = probe(() => istiodService(r));
    if (!svc.known) {
      pending.push(`the istiod Service that istiod release ${r.name} on cluster ${cluster} renders (its values, or the namespace it installs into, are not known), which ztunnel must dial`);
      return;
    }
    if (svc.value === null) return;
    hosts.add(`${svc.value.name}.${svc.value.namespace}.svc`);
    rendered.push(`Service ${svc.value.namespace}/${svc.value.name} (release ${r.name})`);
  }
  // A release whose chart is not known yet may be the istiod that renders the Service.
  const unknownCharts = resources.filter((r) => isHelmInstall(r.type) && !probe(() => helmChartName(r.props)).known);
  for (const z of ztunnels) {
    const addresses = probe(() => ({ dialled: ztunnelIstiodAddresses(z.props.values), revision: text(ztunnelValue(z.props.values, "revision")) }));
    if (!addresses.known) {
      pending.push(`the istiod address of ztunnel release ${z.name} on cluster ${cluster} (its revision, istioNamespace, caAddress, xdsAddress)`);
      continue;
    }
    const missing = addresses.value.dialled.filter((a) => !hosts.has(a.host));
    if (missing.length === 0) continue;
    if (unknownCharts.length > 0) {
      pending.push(`whether Helm release ${unknownCharts.map((r) => r.name).join(", ")} on cluster ${cluster} is the istiod ztunnel release ${z.name} dials (its chart is not known yet)`);
      continue;
    }
    const offered = rendered.length > 0 ? `the stack's istiod renders only ${rendered.join(", ")}` : "the stack renders no istiod Service on the cluster";
    report(
      `ztunnel release ${z.name} on cluster ${cluster} dials istiod at ${missing[0].host}:15012 (${missing.map((a) => a.env).join(" and ")}, built from its values.revision ${JSON.stringify(addresses.value.revision)} and istioNamespace), but ${offered}: no such Service exists, so ztunnel gets no certificates or workload config, and every ambient pod it serves has no mTLS identity and its mesh traffic fails; set the ztunnel release's revision (and istioNamespace) to the istiod's, or its xdsAddress and caAddress (Istio 1.30.3 ztunnel templates/daemonset.yaml)`,
      z.urn,
    );
  }
}
