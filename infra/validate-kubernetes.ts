/**
 * The Kubernetes minor of the clusters the program creates (`versions.eksKubernetes` on EKS,
 * `versions.k3s` on the GCP k3s servers) against the oldest the stack can run on. Each floor names
 * the upstream fact behind it; the highest one that applies is the key's floor. No ceiling: a
 * newer minor than Istio lists as supported is untested, not refused (README, Config reference).
 * An existing cluster's API server version is known only at `pulumi up`, so nothing is checked
 * for it here.
 */
import { PlatformConfig } from "./schema";
import { defaultVersions } from "./versions";
import { readable, readableItems, Report, unlessBroken } from "./validate-support";
import { atLeast, parseVersion, Version } from "./version-order";

/**
 * Istio's own floor: `istioctl x precheck` fails a cluster older than MinK8SVersion
 * (istioctl/pkg/install/k8sversion/version.go; IST0142 UnsupportedKubernetesVersion, an Error).
 * Each row is the first Istio tag with that value, read at every tag from 1.22.0 to 1.30.3,
 * pre-releases included (1.24.0-rc.0 raised it, 1.30.0-rc.0 still had 30); Istio has only ever
 * raised it (1.30's release notes: supported on Kubernetes 1.32 to 1.36), so a newer Istio keeps
 * at least the last row's. Before 1.22.0 nothing is known and nothing is checked.
 */
const istioFloors: { from: Version; minor: number }[] = (
  [["1.22.0", 26], ["1.24.0-rc.0", 28], ["1.25.1", 29], ["1.28.2", 30], ["1.30.0", 32]] as const
).map(([from, minor]) => ({ from: parseVersion(from)!, minor }));

export interface KubernetesFloor {
  minor: number;
  why: string;
}

function istioFloor(istio: string): KubernetesFloor | undefined {
  const given = parseVersion(istio);
  const row = given && [...istioFloors].reverse().find((r) => atLeast(given, r.from));
  return row && { minor: row.minor, why: `Istio ${istio} supports Kubernetes 1.${row.minor} and later (its istioctl precheck fails older clusters with IST0142 UnsupportedKubernetesVersion)` };
}

/** The first Gateway API tag whose standard channel has TLSRoute (v1.5.0-rc.1; v1.4.1 has none). */
const tlsRouteStandard = parseVersion("v1.5.0-rc.1")!;

function gatewayApiFloor(gatewayApi: string): KubernetesFloor | undefined {
  const given = parseVersion(gatewayApi);
  // Gateway API v1.5 moved TLSRoute to the standard channel; its hostnames rule calls isIP(), from
  // the CEL IP library, which the API server admits in a new CRD's rules from 1.31 (the library is
  // introduced at compatibility version 1.30, and new rules compile at the server's minor - 1:
  // apiserver/pkg/cel/environment/base.go). An older server refuses the whole CRD.
  return given && atLeast(given, tlsRouteStandard)
    ? { minor: 31, why: `the Gateway API ${gatewayApi} CRDs (TLSRoute's hostname rule uses the CEL IP library) need Kubernetes 1.31 or later, and an older API server refuses them` }
    : undefined;
}

/**
 * EKS creates clusters only on a minor in standard or extended support, and from the end of
 * extended support "you can no longer create new Amazon EKS clusters with the unsupported
 * version" (EKS user guide, Kubernetes version lifecycle). 1.31's ended on 2026-11-26; 1.32's ends
 * on 2027-03-23, when this floor moves to 1.33. The AL2023_x86_64_NVIDIA and _STANDARD AMI types
 * the node groups use are published for every minor from 1.32 (amazon-eks-ami releases).
 */
const eksFloor: KubernetesFloor = {
  minor: 32,
  why: "EKS creates clusters only on a minor in standard or extended support, 1.32 or later as of 2026-11-29 (1.31's extended support ended on 2026-11-26: EKS Kubernetes release calendar)",
};

/**
 * The stack's version of a key: its override, else the pinned default. Undefined when the override
 * has a field error: the version the user meant is unknown, and a floor taken from the default
 * instead would be a knock-on problem (Istio 1.29 meant, 1.30.3's floor reported).
 */
function effectiveVersion(cfg: PlatformConfig, key: "istio" | "gatewayApi"): string | undefined {
  return readable(() => cfg.versions[key] ?? defaultVersions[key]);
}

/** Every floor that applies, given the stack's effective Istio and Gateway API versions (none from one with a field error). */
function floorsOf(cfg: PlatformConfig, onEks: boolean): KubernetesFloor[] {
  const istio = effectiveVersion(cfg, "istio");
  const gatewayApi = effectiveVersion(cfg, "gatewayApi");
  // Every cluster runs Istio and gets the Gateway API CRDs (components/mesh).
  return [onEks ? eksFloor : undefined, istio === undefined ? undefined : istioFloor(istio), gatewayApi === undefined ? undefined : gatewayApiFloor(gatewayApi)].filter(
    (f): f is KubernetesFloor => f !== undefined,
  );
}

/** `1.33` (EKS) or `v1.33.5+k3s1` (k3s) → 33; undefined when the schema let another form through. */
function minorOf(version: string): number | undefined {
  const m = /^v?1\.(\d+)(\.|$)/.exec(version);
  return m ? Number(m[1]) : undefined;
}

function check(report: Report, key: "eksKubernetes" | "k3s", given: string, floors: KubernetesFloor[]): void {
  const minor = minorOf(given);
  if (minor === undefined) return;
  const unmet = floors.filter((f) => minor < f.minor).sort((a, b) => b.minor - a.minor);
  if (unmet.length === 0) return;
  const min = unmet[0].minor;
  const what = key === "k3s" ? `${given} is Kubernetes 1.${minor}, older than 1.${min}` : `${given} is older than 1.${min}`;
  const example = (minorOf(defaultVersions.k3s) ?? 0) >= min ? ` (such as ${defaultVersions.k3s})` : "";
  const use = key === "k3s" ? `use a k3s release of Kubernetes 1.${min} or later${example}` : `use 1.${min} or later`;
  report(["versions", key], `${what}: ${unmet.map((f) => f.why).join("; ")}; ${use}`);
}

export function checkKubernetesVersions(report: Report, cfg: PlatformConfig): void {
  const clouds = new Set(readableItems(cfg.clusters).map((c) => readable(() => c.cloud)));
  unlessBroken(() => {
    if (clouds.has("aws")) check(report, "eksKubernetes", cfg.versions.eksKubernetes ?? defaultVersions.eksKubernetes, floorsOf(cfg, true));
  });
  unlessBroken(() => {
    if (clouds.has("gcp")) check(report, "k3s", cfg.versions.k3s ?? defaultVersions.k3s, floorsOf(cfg, false));
  });
}
