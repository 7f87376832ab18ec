/**
 * Whether an EC2 instance type or GCE machine type name is one the cloud sells: EC2 sizes, and
 * GCE series' predefined and custom types. A typo is refused at config time instead of when the
 * node group or VM is created. Pure.
 */
import { InstanceType } from "@pulumi/aws/types/enums/ec2";
import { gceSeries } from "./machine-types";

/**
 * The EC2 families (what precedes the dot) of the installed @pulumi/aws's `InstanceType` enum,
 * which lists every EC2 instance type the provider knows: a family outside it is a typo
 * (`m6l.2xlarge`, `bogus.large`) that EC2 would only refuse when the node group is created.
 */
const ec2Families = new Set(Object.values(InstanceType).map((t) => t.slice(0, t.indexOf("."))));

/** Why a `family.size` EC2 type cannot be one (EC2 has no such family), or undefined. */
export function ec2FamilyProblem(instanceType: string): string | undefined {
  const family = instanceType.slice(0, instanceType.indexOf("."));
  if (ec2Families.has(family)) return undefined;
  // Families of the same class and generation (m6i, m6a… for m6l), else of the same class, for the message.
  const [, cls = "", generation = ""] = /^([a-z]+)(\d*)/.exec(family) ?? [];
  const byClass = [...ec2Families].filter((f) => /^[a-z]+/.exec(f)?.[0] === cls).sort();
  const near = byClass.filter((f) => generation !== "" && f.startsWith(`${cls}${generation}`));
  const hint = (near.length ? near : byClass).slice(0, 12);
  return (
    `'${instanceType}' is not an EC2 instance type: EC2 has no family '${family}'` +
    (hint.length ? ` (${near.length ? "its neighbours" : `the ${cls} families`} are ${hint.join(", ")}${(near.length ? near : byClass).length > hint.length ? ", …" : ""})` : "") +
    `; the families are those of @pulumi/aws's InstanceType (a newer one needs a newer @pulumi/aws)`
  );
}

/**
 * The sizes EC2 names (what follows the family's dot): every size of the `InstanceType` enum of
 * the installed @pulumi/aws (7.48), which lists every EC2 instance type. A size outside it is a
 * typo (`m6i.2xlage`, `m6i.huge`) that EC2 would only refuse when the node group is created.
 */
const ec2XlargeMultiples = [2, 3, 4, 6, 8, 9, 10, 12, 16, 18, 24, 32, 36, 48, 56, 64, 96, 112, 224, 480];
const ec2MetalMultiples = [12, 16, 24, 32, 48, 96];
const ec2Sizes = new Set([
  "nano", "micro", "small", "medium", "large", "xlarge",
  ...ec2XlargeMultiples.map((n) => `${n}xlarge`),
  "metal",
  ...ec2MetalMultiples.map((n) => `metal-${n}xl`),
]);

/** Why a `family.size` EC2 type cannot be one (its size is not an EC2 size), or undefined. */
export function ec2SizeProblem(instanceType: string): string | undefined {
  const size = instanceType.slice(instanceType.indexOf(".") + 1);
  if (ec2Sizes.has(size)) return undefined;
  return (
    `'${instanceType}' has no EC2 size '${size}': sizes are nano, micro, small, medium, large, xlarge, ` +
    `<n>xlarge (n = ${ec2XlargeMultiples.join(", ")}), metal and metal-<n>xl (n = ${ec2MetalMultiples.join(", ")}); a newer size goes in components/cloud/machine-type-names.ts`
  );
}

/**
 * A GCE machine series: its predefined types as class → variant → vCPU counts (variant "" is the
 * plain `<series>-<class>-<vCPUs>`, else `<series>-<class>-<vCPUs>-<variant>`), types that follow
 * no such pattern, and the rule its custom types follow, if it has any.
 */
interface GceSeries {
  classes: Record<string, Record<string, readonly number[]>>;
  others?: readonly string[];
  custom?: { vcpus: (n: number) => boolean; rule: string; extendedMemory: boolean };
}

const even = (max: number) => (n: number) => n >= 2 && n <= max && n % 2 === 0;
/** 2, 4, 8, 16, then multiples of 16 (N2D, N4D custom types). */
const upTo16ThenBy16 = (max: number) => (n: number) => [2, 4, 8, 16].includes(n) || (n > 16 && n <= max && n % 16 === 0);

/**
 * The GCE machine series this table knows, from Google's machine-family pages
 * (docs.cloud.google.com/compute/docs/general-purpose-machines, …/compute-optimized-machines,
 * …/memory-optimized-machines, …/storage-optimized-machines): every predefined type and, for the
 * series that take them, the vCPU counts of custom types. A series not listed here is refused (a
 * typo, `e3-standard-8`, or a newer series, whose shapes go here). Arm series (T2A, C4A, N4A) and
 * GPU series (A, G) are handled before: the nodes boot x86_64 images, and GPU types come from the
 * GPU catalog.
 */
const gceSeriesTable: Readonly<Record<string, GceSeries>> = {
  e2: {
    classes: { standard: { "": [2, 4, 8, 16, 32] }, highmem: { "": [2, 4, 8, 16] }, highcpu: { "": [2, 4, 8, 16, 32] } },
    others: ["e2-micro", "e2-small", "e2-medium"],
    custom: { vcpus: even(32), rule: "an even count of 2 to 32 vCPUs", extendedMemory: false },
  },
  n1: {
    classes: {
      standard: { "": [1, 2, 4, 8, 16, 32, 64, 96] },
      highmem: { "": [2, 4, 8, 16, 32, 64, 96] },
      highcpu: { "": [2, 4, 8, 16, 32, 64, 96] },
      // The former names of M1 types, still accepted as aliases.
      megamem: { "": [96] },
      ultramem: { "": [40, 80, 160] },
    },
    custom: { vcpus: (n) => n === 1 || even(96)(n), rule: "1 vCPU or an even count up to 96", extendedMemory: true },
  },
  // N1's shared-core types.
  f1: { classes: {}, others: ["f1-micro"] },
  g1: { classes: {}, others: ["g1-small"] },
  n2: {
    classes: {
      standard: { "": [2, 4, 8, 16, 32, 48, 64, 80, 96, 128] },
      highmem: { "": [2, 4, 8, 16, 32, 48, 64, 80, 96, 128] },
      highcpu: { "": [2, 4, 8, 16, 32, 48, 64, 80, 96] },
    },
    custom: { vcpus: (n) => even(32)(n) || (n > 32 && n <= 80 && n % 4 === 0), rule: "2 to 80 vCPUs (an even count up to 32, a multiple of 4 above)", extendedMemory: true },
  },
  n2d: {
    classes: {
      standard: { "": [2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224] },
      highmem: { "": [2, 4, 8, 16, 32, 48, 64, 80, 96] },
      highcpu: { "": [2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224] },
    },
    custom: { vcpus: upTo16ThenBy16(96), rule: "2, 4, 8 or 16 vCPUs, or a multiple of 16 up to 96", extendedMemory: true },
  },
  n4: {
    classes: { standard: { "": [2, 4, 8, 16, 32, 48, 64, 80] }, highmem: { "": [2, 4, 8, 16, 32, 48, 64, 80] }, highcpu: { "": [2, 4, 8, 16, 32, 48, 64, 80] } },
    custom: { vcpus: even(80), rule: "an even count of 2 to 80 vCPUs", extendedMemory: true },
  },
  n4d: {
    classes: { standard: { "": [2, 4, 8, 16, 32, 48, 64, 80, 96] }, highmem: { "": [2, 4, 8, 16, 32, 48, 64, 80, 96] }, highcpu: { "": [2, 4, 8, 16, 32, 48, 64, 80, 96] } },
    custom: { vcpus: upTo16ThenBy16(96), rule: "2, 4, 8 or 16 vCPUs, or a multiple of 16 up to 96", extendedMemory: true },
  },
  c2: { classes: { standard: { "": [4, 8, 16, 30, 60] } } },
  c2d: { classes: { standard: { "": [2, 4, 8, 16, 32, 56, 112] }, highcpu: { "": [2, 4, 8, 16, 32, 56, 112] }, highmem: { "": [2, 4, 8, 16, 32, 56, 112] } } },
  c3: {
    classes: {
      standard: { "": [4, 8, 22, 44, 88, 176], lssd: [4, 8, 22, 44, 88, 176], metal: [192] },
      highcpu: { "": [4, 8, 22, 44, 88, 176], metal: [192] },
      highmem: { "": [4, 8, 22, 44, 88, 176], metal: [192] },
    },
  },
  c3d: {
    classes: {
      standard: { "": [4, 8, 16, 30, 60, 90, 180, 360], lssd: [8, 16, 30, 60, 90, 180, 360] },
      highcpu: { "": [4, 8, 16, 30, 60, 90, 180, 360] },
      highmem: { "": [4, 8, 16, 30, 60, 90, 180, 360], lssd: [8, 16, 30, 60, 90, 180, 360] },
    },
  },
  c4: {
    classes: {
      standard: { "": [2, 4, 8, 16, 24, 32, 48, 96, 144, 192, 288], lssd: [4, 8, 16, 24, 32, 48, 96, 144, 192, 288], metal: [288], "lssd-metal": [288] },
      highcpu: { "": [2, 4, 8, 16, 24, 32, 48, 96, 144, 192, 288] },
      highmem: { "": [2, 4, 8, 16, 24, 32, 48, 96, 144, 192, 288], lssd: [4, 8, 16, 24, 32, 48, 96, 144, 192, 288], metal: [288], "lssd-metal": [288] },
    },
  },
  c4d: {
    classes: {
      standard: { "": [2, 4, 8, 16, 32, 48, 64, 96, 192, 384], lssd: [8, 16, 32, 48, 64, 96, 192, 384], metal: [384] },
      highcpu: { "": [2, 4, 8, 16, 32, 48, 64, 96, 192, 384], metal: [384] },
      highmem: { "": [2, 4, 8, 16, 32, 48, 64, 96, 192, 384], lssd: [8, 16, 32, 48, 64, 96, 192, 384], metal: [384] },
    },
  },
  c4n: {
    classes: {
      standard: { "": [2, 4, 8, 16, 24, 48, 96, 192], lssd: [4, 8, 16, 24, 48, 96, 192] },
      highcpu: { "": [2, 4, 8, 16, 24, 48, 96, 192] },
      highmem: { "": [2, 4, 8, 16, 24, 48, 96, 192], lssd: [4, 8, 16, 24, 48, 96, 192] },
    },
  },
  t2d: { classes: { standard: { "": [1, 2, 4, 8, 16, 32, 48, 60] } } },
  h3: { classes: { standard: { "": [88] } } },
  h4d: { classes: { standard: { "": [192] }, highmem: { "": [192], lssd: [192] } } },
  z3: { classes: { highmem: { standardlssd: [14, 22, 44, 88, 176], highlssd: [8, 16, 22, 32, 44, 88], "highlssd-metal": [192] } } },
  m1: { classes: { ultramem: { "": [40, 80, 160] }, megamem: { "": [96] } } },
  m2: { classes: { ultramem: { "": [208, 416] }, megamem: { "": [416] }, hypermem: { "": [416] } } },
  m3: { classes: { ultramem: { "": [32, 64, 128] }, megamem: { "": [64, 128] } } },
  m4: { classes: { hypermem: { "": [16, 32, 64] }, megamem: { "": [28, 56, 112, 224] }, ultramem: { "": [56, 112, 224] } } },
  x4: { classes: {}, others: ["x4-480-6t-metal", "x4-480-8t-metal", "x4-960-12t-metal", "x4-960-16t-metal", "x4-1440-24t-metal", "x4-1920-32t-metal"] },
};

const typeName = (series: string, cls: string, variant: string, vcpus: number | string) => `${series}-${cls}-${vcpus}${variant ? `-${variant}` : ""}`;

/** The predefined types of a series, as `e2-standard-{2,4,8}` groups (for messages), optionally of one class. */
function describeSeries(series: string, spec: GceSeries, onlyClass?: string): string {
  const groups = Object.entries(spec.classes)
    .filter(([cls]) => onlyClass === undefined || cls === onlyClass)
    .flatMap(([cls, variants]) => Object.entries(variants).map(([variant, counts]) => typeName(series, cls, variant, counts.length === 1 ? counts[0] : `{${counts.join(",")}}`)));
  return [...groups, ...(onlyClass === undefined ? (spec.others ?? []) : [])].join(", ");
}

/** Why a GCE machine type's series is none the table knows (a made-up or misspelt one), or undefined. */
function unknownSeriesProblem(machineType: string, series: string): string | undefined {
  if (Object.hasOwn(gceSeriesTable, series)) return undefined;
  return (
    `'${machineType}' is not a GCE machine type: Compute Engine has no series '${series}' (its x86_64 CPU series are ${Object.keys(gceSeriesTable).join(", ")}, ` +
    `from Google's machine-family pages; GPU types come from the GPU catalog, components/gpu/catalog.ts); a newer series goes in components/cloud/machine-type-names.ts`
  );
}

/** `c4d` → `C4D`, for messages as Google writes series names. */
const seriesName = (series: string) => series.toUpperCase();

/**
 * Why a GCE machine type cannot exist, or undefined: a predefined type of a known series must be
 * one Google lists (`e2-standrd-8`, `e2-standard-3` are not), a custom type must be one its series
 * takes (`custom-<vCPUs>-<MB>` for N1, `<series>-custom-<vCPUs>-<MB>[-ext]`, E2's shared-core
 * `e2-custom-{micro,small,medium}-<MB>`) with memory in multiples of 256 MB, and a series the
 * table lacks is refused. The caller checks the format first and leaves GPU, Arm and TPU types to
 * their own checks.
 */
export function gceMachineTypeProblem(machineType: string): string | undefined {
  const sharedCustom = /^e2-custom-(micro|small|medium)-(\d+)$/.exec(machineType);
  if (sharedCustom) {
    return Number(sharedCustom[2]) % 256 === 0 ? undefined : `'${machineType}' is not a GCE machine type: custom memory is given in MB, a multiple of 256`;
  }
  const custom = /^(?:([a-z][a-z0-9]*)-)?custom-(\d+)-(\d+)(-ext)?$/.exec(machineType);
  if (custom) {
    const series = custom[1] ?? "n1";
    const [vcpus, memoryMb, extended] = [Number(custom[2]), Number(custom[3]), custom[4] !== undefined];
    const spec = Object.hasOwn(gceSeriesTable, series) ? gceSeriesTable[series] : undefined;
    if (series === "n1" && custom[1] !== undefined) return `'${machineType}' is not a GCE machine type: N1 custom types are named custom-<vCPUs>-<MB> (no series prefix)`;
    if (!spec) return unknownSeriesProblem(machineType, series);
    if (!spec.custom) return `'${machineType}' is not a GCE machine type: ${seriesName(series)} has no custom machine types; its types are ${describeSeries(series, spec)}`;
    if (!spec.custom.vcpus(vcpus)) return `'${machineType}' is not a GCE machine type: ${seriesName(series)} custom types take ${spec.custom.rule}, not ${vcpus}`;
    if (memoryMb % 256 !== 0) return `'${machineType}' is not a GCE machine type: custom memory is given in MB, a multiple of 256 (${memoryMb} is not)`;
    if (extended && !spec.custom.extendedMemory) return `'${machineType}' is not a GCE machine type: ${seriesName(series)} has no extended memory (-ext)`;
    return undefined;
  }
  const series = gceSeries(machineType);
  const spec = Object.hasOwn(gceSeriesTable, series) ? gceSeriesTable[series] : undefined;
  if (!spec) return unknownSeriesProblem(machineType, series);
  if (spec.others?.includes(machineType)) return undefined;
  const known = Object.entries(spec.classes).some(([cls, variants]) =>
    Object.entries(variants).some(([variant, counts]) => counts.some((n) => typeName(series, cls, variant, n) === machineType)),
  );
  if (known) return undefined;
  const cls = Object.keys(spec.classes).find((c) => machineType.startsWith(`${series}-${c}-`));
  const customHint = spec.custom ? ` or ${series === "n1" ? "custom" : `${series}-custom`}-<vCPUs>-<MB>` : "";
  const table = " (Google's machine-type tables, kept in components/cloud/machine-type-names.ts: add a newer type there)";
  return cls
    ? `'${machineType}' is not a GCE machine type: ${series}-${cls} types are ${describeSeries(series, spec, cls)}${table}`
    : `'${machineType}' is not a GCE machine type: ${seriesName(series)} types are ${describeSeries(series, spec)}${customHint}${table}`;
}
