/**
 * What an EC2 instance type or GCE machine type implies beyond its size: its processor
 * architecture, whether its family carries GPUs, and the boot disk its series takes. Pure, shared
 * by config validation and the cluster components.
 */

type Cloud = "aws" | "gcp";

/** GCE series whose VMs take Hyperdisk only (no Persistent Disk, so no pd-balanced boot disk). */
const hyperdiskOnlySeries = new Set(["c4", "c4a", "c4d", "n4", "n4a", "n4d", "h4d", "m4", "x4", "a4", "a4x"]);

/** GCE Arm series: Tau T2A (Ampere), Axion (C4A, N4A) and Grace (A4X). */
const gceArmSeries = new Set(["t2a", "c4a", "n4a", "a4x"]);

/** GCE accelerator-optimized and G-series machine series: every type in them has GPUs. */
const gceGpuSeries = new Set(["a2", "a3", "a4", "a4x", "g2", "g4"]);

const gceSeries = (machineType: string) => machineType.split("-")[0];

/**
 * EC2 names a family `<class><generation><attributes>` (`m7g`, `c7gn`, `r6gd`, `is4gen`): `g`
 * among the attributes means Graviton. `a1` is the first Graviton family.
 */
function ec2Family(instanceType: string): { cls: string; attributes: string } | undefined {
  const m = /^([a-z]+)(\d+)([a-z0-9-]*)\./.exec(instanceType);
  return m ? { cls: m[1], attributes: m[3] } : undefined;
}

/** Whether the type runs Arm (arm64) processors. */
export function isArmMachineType(cloud: Cloud, type: string): boolean {
  if (cloud === "gcp") return gceArmSeries.has(gceSeries(type));
  if (type.startsWith("a1.")) return true;
  return ec2Family(type)?.attributes.includes("g") ?? false;
}

/** Whether the type belongs to a GPU family (EC2 `p*`, `g*`, `gr*`; GCE A and G series), catalogued or not. */
export function isGpuFamily(cloud: Cloud, type: string): boolean {
  if (cloud === "gcp") return gceGpuSeries.has(gceSeries(type));
  const family = ec2Family(type);
  return family !== undefined && ["p", "g", "gr"].includes(family.cls);
}

/** The boot disk type a GCE machine type takes: pd-balanced, or hyperdisk-balanced on Hyperdisk-only series. */
export function gceBootDiskType(machineType: string): "pd-balanced" | "hyperdisk-balanced" {
  const hyperdiskOnly = hyperdiskOnlySeries.has(gceSeries(machineType)) || machineType.startsWith("a3-ultragpu-");
  return hyperdiskOnly ? "hyperdisk-balanced" : "pd-balanced";
}
