/**
 * Cross-field rules of the clusters: node groups and their instance types, cloud details (machine
 * types, images, zones, API exposure) and existing clusters' kubeconfigs; address ranges and API
 * server URLs are in validate-network.ts.
 */
import { PlatformConfig } from "./schema";
import { lookupGpuInstance } from "../components/gpu/catalog";
import { parseCidr } from "./net";
import { awsRegionAzs, zonesOf } from "./regions";
import { KubeconfigReading, readKubeconfigForValidation } from "../components/cloud/existing";
import { gceSpotOrFlexStartOnlyType, isGpuFamily } from "../components/cloud/machine-types";
import { cataloguedFamilies, EC2_TYPE, GCE_TYPE, gpuFamilySizes, machineTypeProblem } from "./machine-type-rules";
import { ec2FamilyProblem, ec2SizeProblem, gceMachineTypeProblem } from "../components/cloud/machine-type-names";
import { eachItem, readableNames, Report, requireUnique, unlessBroken } from "./validate-support";
import { checkAddressRanges, checkExistingClustersDistinct, checkPublicEndpointQuota, existingApiServerProblem, rangesCoverInternet } from "./validate-network";
import { checkCidrLists } from "./validate-cidr-lists";
import { armImageProblem, gceImageNameProblem, isGceImage, nonUbuntuImageProblem } from "./gce-images";

/** EBS gp2/gp3, the root volume of EKS managed nodes, is at most 16 TiB. */
const MAX_EBS_GIB = 16_384;

export function checkClusters(report: Report, cfg: PlatformConfig): void {
  checkAddressRanges(report, cfg);
  // Each existing cluster's kubeconfig, read once (where it is here: it may live only where
  // `pulumi up` runs) for every check that needs it.
  const kubeconfigs = new Map<number, KubeconfigReading>();
  eachItem(cfg.clusters, (c, ci) => {
    if (c.cloud === "existing") unlessBroken(() => kubeconfigs.set(ci, readKubeconfigForValidation(c.kubeconfig, c.context)));
  });
  checkExistingClustersDistinct(report, cfg, kubeconfigs);
  checkPublicEndpointQuota(report, cfg);
  checkCidrLists(report, cfg);
  requireUnique(report, "clusters", "cluster name", readableNames(cfg.clusters));
  requireUnique(report, "clusters", "network name", readableNames(cfg.clusters, "network"), "network");
  const multiCluster = cfg.clusters.length > 1;
  eachItem(cfg.clusters, (c, ci) => {
    unlessBroken(() => requireUnique((p, m) => report(["clusters", ci, ...p], m), "nodeGroups", "node group name", readableNames(c.nodeGroups)));
    if (c.cloud === "existing") {
      unlessBroken(() => {
        // A broken file or a missing context is named with its config path, not found later by the provider.
        const kubeconfig = kubeconfigs.get(ci);
        if (!kubeconfig) return;
        if ("problem" in kubeconfig) report(["clusters", ci, kubeconfig.field], kubeconfig.problem);
        const apiServerProblem = multiCluster ? existingApiServerProblem(c, kubeconfig) : undefined;
        if (apiServerProblem) report(["clusters", ci, "apiServer"], apiServerProblem);
      });
    }
    // Physical names are derived from the cluster name plus Pulumi's 8-character suffix: GCE
    // caps them at 63 (`<cluster>-server-internal-address-xxxxxxx`), IAM role names at 64
    // (@pulumi/eks's `<cluster>-eks-eksRole-role-xxxxxxx`).
    unlessBroken(() => {
      const maxName = c.cloud === "gcp" ? 31 : c.cloud === "aws" ? 39 : undefined;
      if (maxName !== undefined && c.name.length > maxName) {
        report(["clusters", ci, "name"], `'${c.name}' is ${c.name.length} characters; ${c.cloud} cluster names may have at most ${maxName}, since the cloud resources named after it would exceed the provider's limits`);
      }
    });
    if (c.cloud === "aws") {
      unlessBroken(() => {
        const s = c.systemNodeGroup;
        if (!(s.minSize <= s.desiredSize && s.desiredSize <= s.maxSize)) {
          report(["clusters", ci, "systemNodeGroup"], `sizes must satisfy minSize ≤ desiredSize ≤ maxSize, got ${s.minSize} ≤ ${s.desiredSize} ≤ ${s.maxSize}`);
        }
      });
      unlessBroken(() => {
        const s = c.systemNodeGroup;
        if (!EC2_TYPE.test(s.instanceType)) {
          report(["clusters", ci, "systemNodeGroup", "instanceType"], `'${s.instanceType}' is not an EC2 instance type (family.size, such as m6i.2xlarge)`);
        } else if (lookupGpuInstance(s.instanceType) || isGpuFamily("aws", s.instanceType)) {
          report(["clusters", ci, "systemNodeGroup", "instanceType"], `'${s.instanceType}' is a GPU instance type; the system group runs the CPU workloads (GPU types go in nodeGroups)`);
        } else {
          const problem = machineTypeProblem("aws", s.instanceType) ?? ec2FamilyProblem(s.instanceType) ?? ec2SizeProblem(s.instanceType);
          if (problem) report(["clusters", ci, "systemNodeGroup", "instanceType"], problem);
        }
      });
    }
    if (c.cloud === "gcp") {
      unlessBroken(() => {
        if (!GCE_TYPE.test(c.serverMachineType)) {
          report(["clusters", ci, "serverMachineType"], `'${c.serverMachineType}' is not a GCE machine type (family-series-size, such as e2-standard-4)`);
        } else if (lookupGpuInstance(c.serverMachineType) || isGpuFamily("gcp", c.serverMachineType)) {
          // The server VM gets no accelerators, driver or GPU taint, and live-migrates on host
          // maintenance, which GCE refuses for GPU VMs.
          report(["clusters", ci, "serverMachineType"], `'${c.serverMachineType}' is a GPU machine type; the k3s server runs the control plane and CPU workloads (GPU types go in nodeGroups)`);
        } else {
          const problem = machineTypeProblem("gcp", c.serverMachineType) ?? gceMachineTypeProblem(c.serverMachineType);
          if (problem) report(["clusters", ci, "serverMachineType"], problem);
        }
      });
      unlessBroken(() => {
        const arm = isGceImage(c.image) ? armImageProblem(c.image) : undefined;
        if (arm) report(["clusters", ci, "image"], arm);
        const tooLong = isGceImage(c.image) ? gceImageNameProblem(c.image) : undefined;
        if (tooLong) report(["clusters", ci, "image"], tooLong);
        if (!isGceImage(c.image)) {
          report(["clusters", ci, "image"], `'${c.image}' is not a GCE image (project/family such as ubuntu-os-cloud/ubuntu-2204-lts, projects/<p>/global/images/[family/]<name> or its https://www.googleapis.com/compute/v1/… self link, or global/images/[family/]<name> or family/<name> in the cluster's project)`);
        }
      });
      unlessBroken(() => {
        // GPU agents install the driver with apt and ubuntu-drivers (components/cloud/gcp/startup.ts),
        // which another distribution's public image does not have: the agents would boot without GPUs.
        const problem = c.nodeGroups.some((g) => lookupGpuInstance(g.instanceType)) ? nonUbuntuImageProblem(c.image) : undefined;
        if (problem) report(["clusters", ci, "image"], problem);
      });
    }
    eachItem(c.nodeGroups, (g, gi) => checkNodeGroup(report, c, ci, g, gi));
    unlessBroken(() => {
      if (c.cloud === "aws" && c.endpointPublicAccess && c.publicAccessCidrs.length === 0) {
        report(["clusters", ci, "publicAccessCidrs"], "a public EKS endpoint needs the CIDRs allowed to reach it");
      }
    });
    // A private endpoint takes no public CIDRs: @pulumi/eks 4.3.0 refuses them ("`publicAccessCidrs`
    // can only be set when `endpointPublicAccess` is true", cluster.ts) and EKS has no public
    // endpoint to restrict, so the list would be dropped and whoever wrote it left believing the
    // API is reachable from those networks.
    unlessBroken(() => {
      if (c.cloud === "aws" && !c.endpointPublicAccess && c.publicAccessCidrs.length > 0) {
        report(
          ["clusters", ci, "publicAccessCidrs"],
          "is set but endpointPublicAccess is false: the EKS API endpoint is private (reached over the VPC, peering or a VPN) and has no public access to restrict (@pulumi/eks refuses publicAccessCidrs without endpointPublicAccess: true); remove it, or set endpointPublicAccess: true",
        );
      }
    });
    // What the policy pack's eks-endpoint-private enforces, said at config time with the path.
    unlessBroken(() => {
      if (c.cloud === "aws" && c.endpointPublicAccess && !cfg.policy.allowPublicApiEndpoints) {
        report(["clusters", ci, "endpointPublicAccess"], "a public EKS API endpoint needs policy.allowPublicApiEndpoints: true (the policy pack rejects it otherwise); keep it false and reach the API over the VPC");
      }
    });
    unlessBroken(() => {
      if (c.cloud === "aws" && c.endpointPublicAccess) {
        c.publicAccessCidrs.forEach((cidr, i) => {
          if (/\/0$/.test(cidr)) report(["clusters", ci, "publicAccessCidrs", i], `${cidr} opens the EKS API to the whole internet, which the policy pack never allows; list the networks that need it`);
        });
        if (rangesCoverInternet(c.publicAccessCidrs)) report(["clusters", ci, "publicAccessCidrs"], `${c.publicAccessCidrs.join(", ")} together cover every IPv4 address: the EKS API open to the whole internet, which the policy pack never allows; list the networks that need it`);
      }
    });
  });
}

type Cluster = PlatformConfig["clusters"][number];

function checkNodeGroup(report: Report, c: Cluster, ci: number, g: Cluster["nodeGroups"][number], gi: number): void {
  const at = ["clusters", ci, "nodeGroups", gi];
  unlessBroken(() => {
    if (!(g.minSize <= g.desiredSize && g.desiredSize <= g.maxSize)) {
      report(at, `sizes must satisfy minSize ≤ desiredSize ≤ maxSize, got ${g.minSize} ≤ ${g.desiredSize} ≤ ${g.maxSize}`);
    }
  });
  unlessBroken(() => {
    if (c.cloud === "aws" && g.diskSizeGiB > MAX_EBS_GIB) {
      report([...at, "diskSizeGiB"], `${g.diskSizeGiB} GiB is over ${MAX_EBS_GIB}: EKS nodes boot from an EBS gp2/gp3 volume, which holds at most 16 TiB`);
    }
  });
  // EKS: the provider appends a 26-character suffix to `<group>-`, within 63 characters.
  unlessBroken(() => {
    if (c.cloud === "aws" && g.name.length > 36) {
      report([...at, "name"], `'${g.name}' is ${g.name.length} characters; EKS node group names are '<group>-' plus a 26-character suffix within 63, so at most 36`);
    }
  });
  // GCE: the instance template's namePrefix `<cluster>-<group>-` may be 54 characters at most.
  unlessBroken(() => {
    if (c.cloud === "gcp" && `${c.name}-${g.name}`.length > 53) {
      report([...at, "name"], `'${c.name}-${g.name}' (cluster-group) is ${c.name.length + g.name.length + 1} characters; GCE instance templates and groups take at most 53 here: shorten the cluster or group name`);
    }
  });
  unlessBroken(() => {
    const gpu = lookupGpuInstance(g.instanceType);
    if (c.cloud === "existing") {
      report([...at, "instanceType"], "existing clusters bring their own nodes: remove nodeGroups or use cloud aws|gcp");
      return;
    }
    if (gpu && gpu.cloud !== c.cloud) {
      report([...at, "instanceType"], `'${g.instanceType}' is ${gpu.cloud === "aws" ? "an AWS" : "a GCP"} instance type, but cluster '${c.name}' is on ${c.cloud}`);
    }
    // A size the catalog lacks of a catalogued GPU family (a typo, or a size not added yet).
    const family = gpu ? undefined : gpuFamilySizes(c.cloud, g.instanceType);
    if (c.cloud === "aws" && !gpu) {
      if (family) {
        report([...at, "instanceType"], `'${g.instanceType}' is not a catalogued size of the GPU family ${family.family}: use one of ${family.sizes.join(", ")}`);
      } else if (!EC2_TYPE.test(g.instanceType)) {
        report([...at, "instanceType"], `'${g.instanceType}' is not an EC2 instance type (family.size, such as g6e.12xlarge)`);
      }
    }
    const typeProblem = machineTypeProblem(c.cloud, g.instanceType);
    const uncataloguedGpus = !gpu && !family && isGpuFamily(c.cloud, g.instanceType);
    // A CPU type (no GPUs, catalogued or not) whose format passed: one the cloud actually has.
    const cpuType = !gpu && !family && !uncataloguedGpus && !typeProblem;
    if (cpuType && c.cloud === "aws" && EC2_TYPE.test(g.instanceType)) {
      const problem = ec2FamilyProblem(g.instanceType) ?? ec2SizeProblem(g.instanceType);
      if (problem) report([...at, "instanceType"], problem);
    }
    if (cpuType && c.cloud === "gcp" && GCE_TYPE.test(g.instanceType)) {
      const problem = gceMachineTypeProblem(g.instanceType);
      if (problem) report([...at, "instanceType"], problem);
    }
    if (typeProblem) report([...at, "instanceType"], typeProblem);
    else if (uncataloguedGpus) {
      report(
        [...at, "instanceType"],
        `'${g.instanceType}' has GPUs, but the GPU catalog (components/gpu/catalog.ts) does not know them, so no model could be sized for or scheduled on them; ` +
          `catalogued ${c.cloud} GPU families: ${cataloguedFamilies(c.cloud)}; add the type to the catalog to use it`,
      );
    }
    if (g.gpuCount !== undefined && g.gpuCount > 0 && !gpu && !uncataloguedGpus) {
      report([...at, "instanceType"], `'${g.instanceType}' is not in the GPU catalog (components/gpu/catalog.ts); use a catalogued GPU type or gpuCount 0`);
    }
    if (g.gpuCount !== undefined && gpu && g.gpuCount !== gpu.gpusPerNode) {
      report([...at, "gpuCount"], `${g.instanceType} has ${gpu.gpusPerNode} GPUs per node, not ${g.gpuCount}`);
    }
    if (c.cloud === "gcp" && !gpu) {
      // A CPU agent group (no accelerators, no GPU taint) for the CPU workloads: GPU agents are tainted.
      if (family) {
        report([...at, "instanceType"], `'${g.instanceType}' is not a catalogued size of the GPU family ${family.family}: use one of ${family.sizes.join(", ")}`);
      } else if (!GCE_TYPE.test(g.instanceType)) {
        report([...at, "instanceType"], `'${g.instanceType}' is not a GCE machine type (family-series-size, such as e2-standard-8 or n2-highmem-16)`);
      }
    }
    if (c.cloud === "gcp" && gpu && !gpu.gcpAcceleratorType) {
      report([...at, "instanceType"], `${gpu.gpuModel} has no GCP accelerator type in the catalog`);
    }
    if (c.cloud === "gcp" && !g.spot && gceSpotOrFlexStartOnlyType(g.instanceType)) {
      report([...at, "spot"], `'${g.instanceType}' is provisioned only as Spot or Flex-start VMs (GCE has no standard VMs of A3 High with fewer than 8 GPUs): set spot: true, or use a3-highgpu-8g or another GPU type`);
    }
  });
}

/** Cloud placement details the providers would only reject at deploy time. */
export function checkPlacement(report: Report, cfg: PlatformConfig): void {
  eachItem(cfg.clusters, (c, ci) => {
    // awsx spreads the VPC over the first `availabilityZones` zones of the region and throws "does
    // not have at least N Availability Zones" in the preview when there are fewer; EKS refuses some.
    if (c.cloud === "aws") {
      unlessBroken(() => {
        const usable = Object.hasOwn(awsRegionAzs, c.region) ? awsRegionAzs[c.region] : undefined;
        if (usable && c.availabilityZones > usable.azs) {
          report(
            ["clusters", ci, "availabilityZones"],
            `${c.availabilityZones} is more than the ${usable.azs} availability zones ${c.region} offers an EKS cluster${usable.why ? ` (${usable.why})` : ""}; ` +
              `use ${usable.azs === 2 ? "2" : `2 to ${usable.azs}`} (the table is infra/regions.ts)`,
          );
        }
      });
    }
    if (c.cloud !== "gcp") return;
    unlessBroken(() => {
      const zones = zonesOf(c.region);
      if (!c.zone.startsWith(`${c.region}-`)) {
        report(["clusters", ci, "zone"], `zone '${c.zone}' is not in region '${c.region}' (its zones: ${zones.join(", ")})`);
      } else if (!zones.includes(c.zone)) {
        report(["clusters", ci, "zone"], `'${c.zone}' is not a zone of ${c.region}; its zones are ${zones.join(", ")} (the table is infra/regions.ts)`);
      }
    });
    unlessBroken(() => {
      c.apiAllowedCidrs.forEach((text, i) => {
        const cidr = parseCidr(text);
        if (typeof cidr !== "string" && cidr.bits === 0 && !cfg.policy.allowPublicApiEndpoints) {
          report(["clusters", ci, "apiAllowedCidrs", i], `${text} opens the k3s API to the whole internet, and policy.allowPublicApiEndpoints is false; list the networks that need it`);
        }
      });
      if (!cfg.policy.allowPublicApiEndpoints && rangesCoverInternet(c.apiAllowedCidrs)) report(["clusters", ci, "apiAllowedCidrs"], `${c.apiAllowedCidrs.join(", ")} together cover every IPv4 address: the k3s API open to the whole internet, and policy.allowPublicApiEndpoints is false; list the networks that need it`);
    });
  });
}

