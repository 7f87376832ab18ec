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

/** A GCE machine type's series: `e2` of `e2-standard-8`. */
export const gceSeries = (machineType: string) => machineType.split("-")[0];

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

/**
 * The accelerators of an EC2 type that has accelerators but no NVIDIA GPUs, or undefined: EKS's
 * accelerated AMI table lists inf1/inf2/trn1/trn2 under the AL2023 x86_64 Neuron AMI only, and
 * g4ad (AMD GPUs) under no NVIDIA AMI, so the NVIDIA AMI, driver and device plugin never serve them.
 * The other accelerated families carry no GPU either: DL1 Habana Gaudi (DL2q other deep-learning
 * chips), F1/F2 FPGAs (Xilinx, AMD), VT1 Xilinx Alveo U30 video transcoders (AWS's pages on them).
 */
const ec2AcceleratorClasses: Record<string, string> = {
  inf: "AWS Inferentia (Neuron) accelerators",
  trn: "AWS Trainium (Neuron) accelerators",
  dl: "deep-learning accelerators (Habana Gaudi on DL1)",
  f: "FPGAs",
  vt: "video transcoding accelerators (Xilinx Alveo U30)",
};

export function ec2NonNvidiaAccelerators(type: string): string | undefined {
  const cls = ec2Family(type)?.cls;
  if (cls !== undefined && Object.hasOwn(ec2AcceleratorClasses, cls)) return ec2AcceleratorClasses[cls];
  if (type.startsWith("g4ad.")) return "AMD GPUs";
  return undefined;
}

/**
 * Whether a GCE type is a Cloud TPU host (series ct3, ct3p, ct4p, ct5l, ct5lp, ct5p, ct6e, tpu7x…:
 * Compute Engine's machine types for TPU VMs, which GKE's TPU node pools run): TPUs, not NVIDIA
 * GPUs, which no k3s agent's NVIDIA driver or device plugin serves.
 */
export const isGceTpuType = (type: string): boolean => /^(ct\d+[a-z]*|tpu\d+[a-z]*)-/.test(type);

/**
 * EC2 Mac types (mac1, mac2, mac2-m2…): bare metal on Dedicated Hosts only, booting only macOS AMIs
 * (aws-samples/amazon-ec2-mac-getting-started FAQ), which no EKS managed node group launches.
 */
export const isEc2MacType = (type: string): boolean => ec2Family(type)?.cls === "mac";

/** The boot disk type a GCE machine type takes: pd-balanced, or hyperdisk-balanced on Hyperdisk-only series. */
export function gceBootDiskType(machineType: string): "pd-balanced" | "hyperdisk-balanced" {
  const hyperdiskOnly = hyperdiskOnlySeries.has(gceSeries(machineType)) || machineType.startsWith("a3-ultragpu-");
  return hyperdiskOnly ? "hyperdisk-balanced" : "pd-balanced";
}

/**
 * GCE machine types Compute Engine sells only as Spot or Flex-start (DWS) VMs: A3 High with fewer
 * than 8 GPUs (the accelerator-optimized family page's consumption options by machine type;
 * reservation-bound and standard VMs of A3 High take the whole 8-GPU board). A standard template
 * of them gives a group whose VMs are never created.
 */
const gceSpotOrFlexStartOnly = new Set(["a3-highgpu-1g", "a3-highgpu-2g", "a3-highgpu-4g"]);

/** Whether GCE refuses standard (on-demand) VMs of this machine type. */
export const gceSpotOrFlexStartOnlyType = (machineType: string): boolean => gceSpotOrFlexStartOnly.has(machineType);

/**
 * GCE shapes that get a whole NVIDIA HGX board, whose GPUs talk over NVSwitch: A100 SXM4 8-GPU
 * boards (six NVSwitches; a2-megagpu-16g joins two) and H100/H200 SXM5 8-GPU boards (four). With
 * the switches passed through, CUDA fails with "system not yet initialized" (802) until NVIDIA's
 * fabric manager has set up the NVLink fabric, so their k3s agents install and start it (the
 * smaller A2/A3 shapes are partitions of such boards whose guests get no switch to manage). The
 * agent script only starts it where the guest sees NVSwitch devices, so a shape listed here
 * whose switches stay with the host boots all the same.
 */
const gceNvswitchBoardShapes = new Set([
  "a2-highgpu-8g", "a2-megagpu-16g", "a2-ultragpu-8g",
  "a3-highgpu-8g", "a3-megagpu-8g", "a3-edgegpu-8g", "a3-ultragpu-8g",
]);

/** Whether a GCE machine type's GPUs sit on an NVSwitch board the guest must run fabric manager for. */
export function gceNeedsFabricManager(machineType: string): boolean {
  return gceNvswitchBoardShapes.has(machineType);
}
