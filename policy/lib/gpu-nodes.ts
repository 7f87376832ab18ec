/**
 * GPU node groups as the pack can read them: EKS managed node groups (`aws:eks/nodeGroup:NodeGroup`,
 * which the program creates as plain resources so their settings are visible) and GCE VMs that
 * join k3s (whose startup script registers the node's taints). The GPU taint on
 * the nodes is what keeps every pod that does not tolerate it off the GPUs: without it the
 * scheduler places CPU pods there like anywhere else, and no toleration rule means anything.
 */
import { list, probe } from "./values";
import { extendedResourceName, labelValue, qualifiedName } from "./config-schema";
import { bootLayers } from "./boot-scripts";
import { afterDashStop, k3sOptionReadings } from "./k3s-options";
import { gceBinSh } from "./gce-driver";
import type { BinSh } from "./shell-dialect";
import { unusedAssignment } from "./shell-assignments";

/** How GPUs are requested and how GPU nodes are tainted: the knobs every GPU policy reads alike. */
export interface GpuKnobs {
  /** The extended resource GPUs are requested as. */
  gpuResource: string;
  /** The taint GPU nodes carry: `<key>=<value>:NoSchedule`. */
  gpuTaintKey: string;
  gpuTaintValue: string;
}
export const gpuKnobDefaults: GpuKnobs = { gpuResource: "nvidia.com/gpu", gpuTaintKey: "nvidia.com/gpu", gpuTaintValue: "present" };
/** Their configSchema properties, so that both GPU policies take the same values with the same defaults. */
export const gpuKnobProperties = {
  gpuResource: { ...extendedResourceName, default: gpuKnobDefaults.gpuResource, description: "Extended resource name of the GPU." },
  gpuTaintKey: { ...qualifiedName, default: gpuKnobDefaults.gpuTaintKey, description: "Taint key on GPU nodes." },
  gpuTaintValue: { ...labelValue, default: gpuKnobDefaults.gpuTaintValue, description: "Taint value on GPU nodes (matched by operator Equal)." },
};

export const EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
export const PULUMI_EKS_MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup";

/**
 * EKS managed node groups as a program may make them: the plain resource, or @pulumi/eks's
 * `ManagedNodeGroup` component, whose inputs (amiType, gpu, instanceTypes, labels, taints) are all
 * a review under mocks sees of it (in a real run its aws NodeGroup child is judged as well).
 */
export const EKS_NODE_GROUP_TYPES: ReadonlySet<string> = new Set([EKS_NODE_GROUP, PULUMI_EKS_MANAGED_NODE_GROUP]);

/** EC2 families with NVIDIA GPUs (p3…p6, g4dn…g6f, gr6); g4ad carries AMD GPUs, which nvidia.com/gpu does not cover. */
const NVIDIA_FAMILY = /^(p\d|g\d|gr\d)[a-z0-9-]*\./;
const isNvidiaInstanceType = (t: unknown) => typeof t === "string" && NVIDIA_FAMILY.test(t) && !t.startsWith("g4ad.");
/** An EC2 type's name, `family.size`: a family of class letters, generation digits and attributes (`t3`, `m7gd`, `mac2-m2`), as infra's machine-type rules read it. */
const EC2_TYPE_NAME = /^([a-z]+)\d+[a-z0-9-]*\.[a-z0-9-]+$/;
/**
 * EC2's instance classes, the letters a family starts with (`m` of m7i, `inf` of inf2): those of
 * every type in @pulumi/aws 7.48.0's ec2 InstanceType enum (types/enums/ec2.ts), which is all a
 * class says about GPUs (only p, g and gr carry NVIDIA ones). A name of another class (`xyz9.large`)
 * is no type we know, so what it holds is not guessed.
 */
export const EC2_CLASSES: ReadonlySet<string> = new Set(["a", "c", "cc", "cg", "cr", "d", "dl", "f", "g", "gr", "h", "hi", "hpc", "hs", "i", "im", "inf", "is", "m", "mac", "p", "r", "t", "trn", "u", "vt", "x", "z"]);
/**
 * Whether an EC2 type is of a family with no NVIDIA GPU, so its nodes hold none (a CPU family such
 * as EKS's default t3, g4ad's AMD GPUs, Inferentia, Trainium…): the other side of the one
 * classification gpuEvidence makes. A name that is no EC2 `family.size`, or one of a class EC2 does
 * not have ({@link EC2_CLASSES}: a made-up or misspelt family), is neither.
 */
export const isNonNvidiaInstanceType = (t: unknown) => typeof t === "string" && EC2_CLASSES.has(EC2_TYPE_NAME.exec(t)?.[1] ?? "") && !isNvidiaInstanceType(t);

/**
 * Why a node group has NVIDIA GPUs (its NVIDIA/GPU AMI type, a GPU instance type, or the
 * `nvidia.com/gpu.present` label), undefined when nothing says so; throws the SDK's unknown-value
 * error while a setting it reads is not known.
 */
export function gpuEvidence(props: Record<string, any>): string | undefined {
  const ami = props.amiType;
  if (typeof ami === "string" && /NVIDIA|GPU/.test(ami)) return `AMI type ${ami}`;
  // @pulumi/eks's `gpu` asks for its accelerated AMI (which it picks only where it resolves the AMI: nodeGroupAmiType).
  if (props.gpu === true) return "gpu: true";
  const gpuType = list(props.instanceTypes as unknown[]).find(isNvidiaInstanceType);
  if (gpuType) return `instance type ${gpuType}`;
  if (props.labels?.["nvidia.com/gpu.present"] === "true") return "label nvidia.com/gpu.present=true";
  return undefined;
}

/**
 * @pulumi/eks 4.3.0 ManagedNodeGroup inputs that make it write its own launch template user data
 * (nodes/userdata.ts customUserDataArgs, and userData), whose image it then picks itself.
 */
const PULUMI_EKS_USER_DATA = ["kubeletExtraArgs", "bootstrapExtraArgs", "bottlerocketSettings", "nodeadmExtraOptions", "userData"];

/**
 * The AMI types @pulumi/eks 4.3.0 knows (nodes/ami.ts amiTypeMetadata), by operating system,
 * architecture and GPU support; it has no AL2 or AL2023 NVIDIA type for arm64 (getAmiType throws).
 */
const PULUMI_EKS_AMI_TYPES: Record<string, Record<string, [string, string | undefined]>> = {
  AL2: { x86_64: ["AL2_x86_64", "AL2_x86_64_GPU"], arm64: ["AL2_ARM_64", undefined] },
  AL2023: { x86_64: ["AL2023_x86_64_STANDARD", "AL2023_x86_64_NVIDIA"], arm64: ["AL2023_ARM_64_STANDARD", undefined] },
  Bottlerocket: { x86_64: ["BOTTLEROCKET_x86_64", "BOTTLEROCKET_x86_64_NVIDIA"], arm64: ["BOTTLEROCKET_ARM_64", "BOTTLEROCKET_ARM_64_NVIDIA"] },
};

/**
 * The AMI type a node group boots: its `amiType`; for @pulumi/eks's ManagedNodeGroup without one,
 * the type the component resolves (nodes/nodegroup.ts createManagedNodeGroupInternal 4.3.0): given
 * an `operatingSystem` (RECOMMENDED is AL2023), or inputs that make it write the launch template's
 * user data (it then boots the recommended image of the OS, AL2023 by default), it takes that OS's
 * NVIDIA type only with `gpu: true` and otherwise the plain one, Graviton instance types (a third
 * character `g`: g5g) its arm64 one. `via` says how it was resolved. Undefined where EKS decides
 * (no amiType, nothing for the component to resolve from) or a custom AMI does (`amiId`): EKS's user
 * guide says only that new groups default to AL2023 from Kubernetes 1.30, not which variant a GPU
 * instance type gets, and CreateNodegroup asks callers to give a GPU AMI type with one. Throws the
 * SDK's unknown-value error while an input it reads is not known.
 */
export function nodeGroupAmiType(type: string, props: Record<string, any>): { amiType: string; via?: string } | undefined {
  const given = props.amiType;
  if (typeof given === "string" && given !== "") return { amiType: given };
  if (type !== PULUMI_EKS_MANAGED_NODE_GROUP || (props.amiId !== undefined && props.amiId !== null)) return undefined;
  const userData = PULUMI_EKS_USER_DATA.filter((k) => props[k] !== undefined && props[k] !== null);
  const os = props.operatingSystem;
  if (os === undefined && userData.length === 0) return undefined;
  const arch = list(props.instanceTypes as unknown[]).some((t) => /^[a-z]+[0-9]+g/.test(String(t))) ? "arm64" : "x86_64";
  const amiType = PULUMI_EKS_AMI_TYPES[os === undefined || os === "RECOMMENDED" ? "AL2023" : String(os)]?.[arch]?.[props.gpu === true ? 1 : 0];
  if (!amiType) return undefined;
  const from = os === undefined ? `${userData.join(", ")} (a launch template with its recommended AL2023 image)` : `operatingSystem ${String(os)}`;
  return { amiType, via: `@pulumi/eks resolves it from ${from}${props.gpu === true ? " and gpu: true" : " without gpu: true"}` };
}

/**
 * The AMI type of a node group of NVIDIA instances when it is one of EKS's AMIs without the NVIDIA
 * driver (AL2023_x86_64_STANDARD, AL2_x86_64, BOTTLEROCKET_x86_64, the Neuron AMI…): EKS's
 * accelerated AMIs, the only ones with the driver, are named *_NVIDIA (AL2's *_GPU). An amiType
 * left to EKS and CUSTOM (a launch template's AMI) are neither of which the group shows.
 */
function amiWithoutNvidiaDriver(type: string, props: Record<string, any>): { amiType: string; via?: string; instanceType: string } | undefined {
  const ami = nodeGroupAmiType(type, props);
  if (!ami || ami.amiType === "CUSTOM" || /NVIDIA|GPU/.test(ami.amiType)) return undefined;
  const instanceType = list(props.instanceTypes as unknown[]).find(isNvidiaInstanceType);
  return typeof instanceType === "string" ? { ...ami, instanceType } : undefined;
}

/**
 * Judges an EKS node group with NVIDIA GPUs: it must run an AMI with the NVIDIA driver, and taint
 * its nodes `<key>=<value>` with effect NO_SCHEDULE (EKS's spelling of NoSchedule), the taint the
 * workload checks hold tolerations to: PREFER_NO_SCHEDULE keeps nothing off, and NO_EXECUTE (or
 * another value) would also keep off the GPU pods, which tolerate `<key>` with NoSchedule (also
 * beside the right taint). Values not known in this preview go to `pending`.
 */
export function judgeGpuNodeGroup(name: string, type: string, props: Record<string, any>, taint: { key: string; value: string }, report: (message: string) => void, pending: string[]): void {
  const evidence = probe(() => gpuEvidence(props));
  if (!evidence.known) {
    pending.push(`whether EKS node group ${name} has GPUs (its amiType, instanceTypes or labels)`);
    return;
  }
  if (!evidence.value) return;
  const driverless = probe(() => amiWithoutNvidiaDriver(type, props));
  if (!driverless.known) pending.push(`the AMI type of EKS node group ${name} (its amiType, or the inputs @pulumi/eks resolves it from)`);
  else if (driverless.value) {
    const { instanceType, amiType, via } = driverless.value;
    report(
      `EKS node group ${name} runs NVIDIA GPU instances (${instanceType}) on AMI type ${amiType}${via ? ` (${via})` : ""}, which has no NVIDIA driver (only EKS's accelerated AMIs, such as AL2023_x86_64_NVIDIA, carry the kernel module and container toolkit): the device plugin finds no GPU there, so no node advertises one and every GPU pod stays Pending; set amiType: "AL2023_x86_64_NVIDIA"${via ? " (or gpu: true)" : ""} (or a launch template's own AMI with amiType CUSTOM)`,
    );
  }
  const taints = probe(() => list(props.taints as { key?: unknown; value?: unknown; effect?: unknown }[]).map((t) => ({ key: t?.key, value: t?.value, effect: t?.effect })));
  if (!taints.known) {
    pending.push(`the taints of EKS node group ${name}`);
    return;
  }
  // EKS applies every taint listed: a second one of the key (NO_EXECUTE, another value) beside the
  // right one keeps the GPU pods off the nodes all the same.
  const ofKey = taints.value.filter((t) => t.key === taint.key);
  if (ofKey.length > 0 && ofKey.every((t) => (t.value ?? "") === taint.value && t.effect === "NO_SCHEDULE")) return;
  const given = ofKey.map((t) => `${String(t.key)}=${String(t.value ?? "")}:${String(t.effect)}`);
  report(
    `EKS node group ${name} has NVIDIA GPUs (${evidence.value}) but does not taint its nodes ${taint.key}=${taint.value} with effect NO_SCHEDULE${given.includes(`${taint.key}=${taint.value}:NO_SCHEDULE`) ? " alone" : ""}${given.length ? ` (it sets ${given.join(", ")})` : ""}: without it every pod that does not request a GPU can be scheduled on them and take their capacity, and another effect or value keeps off the GPU pods, which tolerate ${taint.key} with NoSchedule; set taints: [{ key: "${taint.key}", value: "${taint.value}", effect: "NO_SCHEDULE" }]`,
  );
}

/**
 * @pulumi/gcp VM types that boot a node from a startup script. The program's k3s agents are
 * instance templates; a fork's regional template or single instance boots the same way.
 */
export const GCE_NODE_TYPES = new Set([
  "gcp:compute/instance:Instance",
  "gcp:compute/instanceTemplate:InstanceTemplate",
  "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate",
  "gcp:compute/instanceFromTemplate:InstanceFromTemplate",
]);

/** GCE machine families with NVIDIA GPUs built in (A2, A3, A4, A4X, G2, G4); other families take guestAccelerators. */
const GCE_GPU_FAMILY = /^(a2|a3|a4|a4x|g2|g4)-/;

export function gceGpuEvidence(props: Record<string, any>): string | undefined {
  const machineType = props.machineType;
  // A zonal instance may give the machine type as a URL (…/machineTypes/a2-highgpu-1g).
  const family = typeof machineType === "string" ? machineType.split("/").pop()! : undefined;
  if (family && GCE_GPU_FAMILY.test(family)) return `machine type ${family}`;
  const accelerator = list(props.guestAccelerators as { type?: unknown; count?: unknown }[]).find(
    (a) => typeof a?.type === "string" && /(^|\/)nvidia-/.test(a.type) && Number(a.count ?? 0) > 0,
  );
  return accelerator ? `accelerator ${String(accelerator.type)}` : undefined;
}

/**
 * What a GCE VM boots from when it installs k3s: its startup script and the cloud-init user-data
 * that GCE's Ubuntu images read from metadata (cloud-init's GCE datasource), joined, each with the
 * layers cloud-init or the script decode from it (base64, gzip: bootLayers), so a k3s config in
 * gzip user-data is read as the VM reads it; undefined when none mentions k3s. Throws the SDK's
 * unknown-value error while one is not known. `sh`: what /bin/sh is on its boot image (gceBinSh),
 * which runs its runcmd and a script headed `#!/bin/sh`.
 */
export function k3sBootScript(props: Record<string, any>): { script: string; from: string; plural: boolean; sh: BinSh } | undefined {
  const sources = [
    { what: "startup script", text: (props.metadataStartupScript ?? props.metadata?.["startup-script"]) as unknown },
    { what: "user-data", text: props.metadata?.["user-data"] as unknown },
  ].filter((s): s is { what: string; text: string } => typeof s.text === "string");
  const script = sources.flatMap((s) => bootLayers(s.text).map((layer) => layer.text)).join("\n");
  if (!/\bk3s\b/.test(script)) return undefined;
  return { script, from: sources.map((s) => s.what).join(" and "), plural: sources.length > 1, sh: gceBinSh(props) };
}

/**
 * Judges a GCE VM with NVIDIA GPUs that joins k3s: its startup script (or cloud-init user-data)
 * must register the node with the GPU taint (`node-taint` in the k3s config, or `--node-taint`)
 * with effect NoSchedule. k3s applies node taints only at registration, so nothing later in the
 * program puts it back. Only a script that installs k3s is judged (a fork bootstrapping its nodes
 * another way sets taints elsewhere), and only one whose text this run can read: the script
 * carries the join token, so an export reviewed without its passphrase holds it as ciphertext, and
 * a first preview has it unknown.
 */
export function judgeGceGpuNode(name: string, type: string, props: Record<string, any>, taint: { key: string; value: string }, report: (message: string) => void, pending: string[]): void {
  const kind = type.split(":").pop();
  const evidence = probe(() => gceGpuEvidence(props));
  if (!evidence.known) {
    pending.push(`whether ${kind} ${name} has GPUs (its machineType or guestAccelerators)`);
    return;
  }
  if (!evidence.value) return;
  judgeGceGpuMaintenance(`${kind} ${name}`, type, evidence.value, props, report, pending);
  const boot = probe(() => k3sBootScript(props));
  if (!boot.known || !boot.value) return;
  const { script, from, plural, sh } = boot.value;
  const wanted = `${taint.key}=${taint.value}:NoSchedule`;
  // The taints the script registers: `<key>[=<value>]:<effect>` on lines that are not comments
  // (shell and YAML alike), so a commented-out node-taint no longer counts. k3s registers every
  // one given, so a second taint of the key (NoExecute, another value) keeps the GPU pods off
  // the node as surely as a wrong one; a trailing `-` (kubectl taint's removal) takes it away.
  // Comment lines blanked, each place kept where it is in the script.
  const live = script.replace(/^[ \t]*#.*$/gm, (line) => " ".repeat(line.length));
  const escaped = taint.key.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  // Only the whole key: `gpu` is not the key of nvidia.com/gpu=present:NoSchedule (key characters: [\w./-]).
  const taintOfKey = `${escaped}(=[^\\s"',\\]:]*)?:(NoSchedule|PreferNoSchedule|NoExecute)\\b-?`;
  // Nor one after what stops dash where /bin/sh is dash: none of it runs; where /bin/sh is not known it may (k3s-options.ts afterDashStop).
  const after = afterDashStop(script, sh);
  // Not one held only by a shell variable the script never expands: k3s reads no environment variable for node-taint (k3s-io/docs cli/agent.md).
  const found = [...live.matchAll(new RegExp(`(?<![\\w./-])${taintOfKey}`, "g"))].filter((m) => unusedAssignment(live, m.index!) === undefined);
  const written = found.filter((m) => !after(m.index!)).map((m) => m[0]);
  const maybe = found.map((m) => after(m.index!)).find((stop) => stop && !stop.stopped);
  // A node-taint naming a shell variable (`--node-taint "$K=present:NoSchedule"`) as the script sets it (k3s-options.ts); one it cannot know may hold any taint.
  const readings = k3sOptionReadings(script, "node-taint", sh);
  const given = [...new Set([...written, ...readings.filter((r) => r.known && new RegExp(`^${taintOfKey}$`).test(r.value)).map((r) => r.value)])];
  if (given.every((t) => t === wanted) && (readings.some((r) => !r.known) || maybe)) {
    const why = readings.find((r) => !r.known)?.why ?? maybe?.why ?? `names a shell variable its ${from} does not set plainly (read, substituted, set in a branch or not at all)`;
    pending.push(`the node-taint of ${kind} ${name}, which ${why}`);
    return;
  }
  if (given.length > 0 && given.every((t) => t === wanted)) return;
  report(
    `${kind} ${name} has NVIDIA GPUs (${evidence.value}) and joins k3s, but its ${from} ${plural ? "do" : "does"} not register the node with the taint ${wanted}${given.includes(wanted) ? ` alone` : ""}${given.length ? ` (it sets ${given.join(", ")})` : ""}: without it every pod that does not request a GPU can be scheduled on the node and take its capacity, and another effect or value keeps off the GPU pods, which tolerate ${taint.key} with NoSchedule; add ${wanted} to node-taint in the k3s config`,
  );
}

/**
 * A GCE VM with GPUs cannot live-migrate: Compute Engine stops it for host maintenance and refuses
 * to create one set to MIGRATE ("Instances with guest accelerators do not support live
 * migration"), which is also the default of a standard VM; a Spot or preemptible VM always
 * terminates. An instance made from a template takes the template's setting when it gives none.
 */
function judgeGceGpuMaintenance(what: string, type: string, evidence: string, props: Record<string, any>, report: (message: string) => void, pending: string[]): void {
  const read = probe(() => ({ policy: props.scheduling?.onHostMaintenance as unknown, spot: props.scheduling?.preemptible === true || props.scheduling?.provisioningModel === "SPOT" }));
  if (!read.known) {
    pending.push(`the scheduling (onHostMaintenance) of ${what}, which has NVIDIA GPUs`);
    return;
  }
  const { policy, spot } = read.value;
  const unset = policy === undefined || policy === null || policy === "";
  if (policy === "TERMINATE" || (unset && (spot || type === "gcp:compute/instanceFromTemplate:InstanceFromTemplate"))) return;
  report(
    `${what} has NVIDIA GPUs (${evidence}) but scheduling.onHostMaintenance is ${unset ? "not set (MIGRATE, the default for a standard VM)" : String(policy)}: Compute Engine cannot live-migrate a VM with GPUs and refuses to create it ("Instances with guest accelerators do not support live migration"); set scheduling.onHostMaintenance: "TERMINATE"`,
  );
}
