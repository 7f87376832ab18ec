/**
 * vCPUs and memory of the CPU machine types that host the platform's non-GPU pods (the EKS system
 * node group, the k3s server, CPU node groups), for the CPU capacity check; GPU types are sized in
 * the GPU catalog. Pure. A type outside the rules below has no size here, and is not judged.
 */
import { lookupGpuInstance } from "../gpu/catalog";

export interface MachineSize {
  vcpus: number;
  memoryGiB: number;
  /** EC2 only: the pods the instance's ENIs address, as in amazon-eks-ami nodeadm's instance-info.jsonl. */
  eniMaxPods?: number;
}

/**
 * EC2 general purpose (m), compute (c) and memory optimized (r) families of the 5th to 7th
 * generations, Intel and AMD: every size has 2 vCPUs per `large` (xlarge 4, <n>xlarge 4n) and
 * 4, 2 or 8 GiB a vCPU (the EC2 instance type pages). Their ENI max pods follow the size alone in
 * nodeadm's instance-info.jsonl (defaultMaxENIs × (IPv4 per ENI − 1) + 2). `medium` and metal sizes
 * vary by family and are left out. The Flex variants (m7i-flex, c7i-flex) have m7i's and c7i's
 * sizes, and instance-info.jsonl the same ENIs per size (amazon-eks-ami 81fec2e).
 */
const ec2Families = /^(m|c|r)(5|5a|5d|5n|5dn|5b|6i|6id|6in|6idn|6a|7i|7a|7i-flex|8i|8i-flex)\.(large|xlarge|(\d+)xlarge)$/;
const ec2GiBPerVcpu: Record<string, number> = { m: 4, c: 2, r: 8 };
/**
 * The d (local NVMe), n (network optimized) and b (EBS optimized) variants of the 5th and 6th
 * generations have their base family's sizes (c5n aside, below), and instance-info.jsonl
 * (amazon-eks-ami 81fec2e) gives them the same ENIs per size, but for the 32xlarge of the 6th
 * generation n variants (m6in, m6idn, c6in, r6in, r6idn: 14 ENIs of 30 addresses, 394 pods where
 * m6i.32xlarge has 737). The 8th generation Intel families (m8i, c8i, r8i and their Flex variants)
 * have more ENIs a size than the 5th to 7th, per instance-info.jsonl.
 */
const ec2EniMaxPods = (family: string, vcpus: number): number => {
  if (/^8i/.test(family)) return ec2EniMaxPods8i[vcpus];
  if (/^6i?d?n$/.test(family) && vcpus === 128) return 394;
  return vcpus <= 2 ? 29 : vcpus <= 8 ? 58 : vcpus <= 48 ? 234 : 737;
};
const ec2EniMaxPods8i: Record<number, number> = { 2: 59, 4: 118, 8: 118, 16: 394, 32: 492, 48: 590, 64: 1010, 96: 1010, 128: 1514, 192: 1514, 384: 1514 };
/**
 * C5n has more memory than C5 (EC2 compute optimized instance page: large 5.25 GiB, xlarge 10.5,
 * 2xlarge 21, 4xlarge 42, 9xlarge 96, 18xlarge 192), and instance-info.jsonl C5's ENIs per size.
 */
const c5n: Record<string, MachineSize> = Object.fromEntries(
  ([["large", 2, 5.25], ["xlarge", 4, 10.5], ["2xlarge", 8, 21], ["4xlarge", 16, 42], ["9xlarge", 36, 96], ["18xlarge", 72, 192]] as const).map(([size, vcpus, memoryGiB]) => [
    `c5n.${size}`,
    { vcpus, memoryGiB, eniMaxPods: ec2EniMaxPods("5", vcpus) },
  ]),
);

/**
 * The burstable T3 and T3a types, a common pick for small system nodes, whose memory per vCPU
 * varies by size (EC2 instance type pages: nano 0.5 GiB to 2xlarge 32 GiB, 2 vCPUs up to large);
 * ENI max pods from nodeadm's instance-info.jsonl (amazon-eks-ami 81fec2e: t3a.small has 2 ENIs
 * where t3.small has 3). Sized so that the CPU capacity check judges them rather than letting a
 * t3.small system group through unchecked.
 */
const ec2Burstable: Record<string, MachineSize> = Object.fromEntries(
  (["t3", "t3a"] as const).flatMap((family) =>
    (
      [
        ["nano", 2, 0.5, 4],
        ["micro", 2, 1, 4],
        ["small", 2, 2, family === "t3" ? 11 : 8],
        ["medium", 2, 4, 17],
        ["large", 2, 8, 35],
        ["xlarge", 4, 16, 58],
        ["2xlarge", 8, 32, 58],
      ] as const
    ).map(([size, vcpus, memoryGiB, eniMaxPods]) => [`${family}.${size}`, { vcpus, memoryGiB, eniMaxPods }]),
  ),
);

/**
 * GCE machine series whose predefined types are `<series>-<class>-<vCPUs>` with a fixed memory per
 * vCPU by class (GB as Google writes it, which is GiB: memoryMb / 1024), as the Compute Engine API
 * lists them (guestCpus, memoryMb; the machinetypes.csv Cyclenerd/google-cloud-pricing-cost-calculator
 * records from it; C2 to T2D read at dac3128), but for `n2-highmem-128`, 864 GB rather than 8 a vCPU. E2's shared-core types have 2 vCPUs.
 */
const gceGiBPerVcpu: Record<string, Record<string, number>> = {
  e2: { standard: 4, highmem: 8, highcpu: 1 },
  n2: { standard: 4, highmem: 8, highcpu: 1 },
  n2d: { standard: 4, highmem: 8, highcpu: 1 },
  n4: { standard: 4, highmem: 8, highcpu: 2 },
  n4d: { standard: 4, highmem: 8, highcpu: 2 },
  n1: { standard: 3.75, highmem: 6.5, highcpu: 0.9 },
  c2: { standard: 4 },
  c2d: { standard: 4, highmem: 8, highcpu: 2 },
  c3: { standard: 4, highmem: 8, highcpu: 2 },
  // c3d-highcpu is not one ratio (c3d-highcpu-30 has 59 GB): listed below.
  c3d: { standard: 4, highmem: 8 },
  t2d: { standard: 4 },
};
/**
 * Series whose memory is no one ratio a class, listed as machinetypes.csv records them
 * (Cyclenerd/google-cloud-pricing-cost-calculator dac3128, from the Compute Engine API): [vCPUs, GB].
 * Their -lssd types (local SSD attached) have the same vCPUs and memory.
 */
const gceSeriesSizes: Record<string, [number, number][]> = {
  "c3d-highcpu": [[4, 8], [8, 16], [16, 32], [30, 59], [60, 118], [90, 177], [180, 354], [360, 708]],
  "c4-highcpu": [[2, 4], [4, 8], [8, 16], [16, 32], [24, 48], [32, 64], [48, 96], [96, 192], [144, 288], [192, 384], [288, 576]],
  "c4-highmem": [[2, 15], [4, 31], [8, 62], [16, 124], [24, 186], [32, 248], [48, 372], [96, 744], [144, 1116], [192, 1488], [288, 2232]],
  "c4-standard": [[2, 7], [4, 15], [8, 30], [16, 60], [24, 90], [32, 120], [48, 180], [96, 360], [144, 540], [192, 720], [288, 1080]],
  "c4d-highcpu": [[2, 3], [4, 7], [8, 15], [16, 30], [32, 60], [48, 90], [64, 120], [96, 180], [192, 360], [384, 720]],
  "c4d-highmem": [[2, 15], [4, 31], [8, 63], [16, 126], [32, 252], [48, 378], [64, 504], [96, 756], [192, 1512], [384, 3024]],
  "c4d-standard": [[2, 7], [4, 15], [8, 31], [16, 62], [32, 124], [48, 186], [64, 248], [96, 372], [192, 744], [384, 1488]],
};
const gceListed: Record<string, MachineSize> = {
  ...Object.fromEntries(Object.entries(gceSeriesSizes).flatMap(([series, sizes]) => sizes.map(([vcpus, memoryGiB]) => [`${series}-${vcpus}`, { vcpus, memoryGiB }]))),
  "n2-highmem-128": { vcpus: 128, memoryGiB: 864 },
  "e2-micro": { vcpus: 2, memoryGiB: 1 },
  "e2-small": { vcpus: 2, memoryGiB: 2 },
  "e2-medium": { vcpus: 2, memoryGiB: 4 },
};

/** The size of a machine type, or undefined when no rule here (nor the GPU catalog) knows it. */
export function machineSize(cloud: "aws" | "gcp", type: string): MachineSize | undefined {
  const gpu = lookupGpuInstance(type);
  if (gpu) return { vcpus: gpu.vcpus, memoryGiB: gpu.memoryGiB, ...(gpu.eniMaxPods === undefined ? {} : { eniMaxPods: gpu.eniMaxPods }) };
  if (cloud === "aws") {
    if (Object.hasOwn(ec2Burstable, type)) return ec2Burstable[type];
    if (Object.hasOwn(c5n, type)) return c5n[type];
    const m = ec2Families.exec(type);
    if (!m) return undefined;
    const vcpus = m[3] === "large" ? 2 : m[3] === "xlarge" ? 4 : 4 * Number(m[4]);
    const eniMaxPods = ec2EniMaxPods(m[2].replace(/-flex$/, ""), vcpus);
    // A size instance-info.jsonl does not list (an 8i size it has no ENI row for) is left unsized.
    return eniMaxPods === undefined ? undefined : { vcpus, memoryGiB: vcpus * ec2GiBPerVcpu[m[1]], eniMaxPods };
  }
  // A local-SSD type (-lssd) has its base type's vCPUs and memory (machinetypes.csv).
  if (type.endsWith("-lssd")) return machineSize(cloud, type.slice(0, -"-lssd".length));
  if (Object.hasOwn(gceListed, type)) return gceListed[type];
  // Custom types carry their size in the name: custom-<vCPUs>-<MB> (N1), <series>-custom-<vCPUs>-<MB>[-ext].
  const custom = /^(?:[a-z][a-z0-9]*-)?custom-(\d+)-(\d+)(?:-ext)?$/.exec(type);
  if (custom) return { vcpus: Number(custom[1]), memoryGiB: Number(custom[2]) / 1024 };
  const predefined = /^([a-z][a-z0-9]*)-(standard|highmem|highcpu)-(\d+)$/.exec(type);
  const perVcpu = predefined && Object.hasOwn(gceGiBPerVcpu, predefined[1]) ? gceGiBPerVcpu[predefined[1]][predefined[2]] : undefined;
  return predefined && perVcpu !== undefined ? { vcpus: Number(predefined[3]), memoryGiB: Number(predefined[3]) * perVcpu } : undefined;
}
