/**
 * The cloud regions (and GCP zones) a cluster may name. A region or zone outside these tables is
 * refused at config time with the allowed list, instead of failing late inside `pulumi up`.
 *
 * One table per cloud, kept by hand: a fork that deploys to a region added after this list was
 * written (or to a partition such as AWS GovCloud or China) adds one entry here.
 *
 * - AWS: the commercial partition (`aws`) with the Availability Zones an EKS cluster can span in
 *   each (see awsRegionAzs).
 * - GCP: every Compute Engine region with its zone letters, from Google's "Regions and zones"
 *   table (docs.cloud.google.com/compute/docs/regions-zones). AI zones (`<region>-ai2b`) are
 *   left out: the k3s VMs are general-purpose machines.
 */

/**
 * AWS region → the Availability Zones an EKS cluster's VPC can span there (`availabilityZones`
 * above it is refused). From AWS's published AZ list ("AWS Availability Zones",
 * docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html), lowered
 * where that list counts zones not every account can use for EKS:
 *
 * - us-west-1: 3 listed, but "newer accounts can access two" (the list's footnote), and EKS refuses
 *   cluster subnets in usw1-az2 (EKS user guide, "VPC and subnet requirements"), so no account
 *   gets a third: 2.
 * - us-east-1: 6 listed; EKS refuses use1-az3, and awsx spreads the VPC (whose subnets all go to
 *   the EKS cluster) over every zone when asked for 6: 5.
 * - ap-northeast-1: 4 listed; apne1-az3 is a constrained zone (the same page: AWS may refuse zonal
 *   resources there to accounts without any; EC2 answers CreateSubnet with "Subnets can
 *   currently only be created in" the other three, as users report): 3.
 *
 * Which zones an account sees depends on the account (older accounts map zone names to IDs
 * independently), so a count within the table can still pick a constrained zone by name; the
 * table only refuses what fails for every account. awsx takes the first N zone names of the
 * region (getDefaultAzs) and throws "does not have at least N Availability Zones" otherwise.
 *
 * Keys are the commercial partition (`aws`), the same regions as the `Region` enum of the
 * installed @pulumi/aws (7.48), opt-in regions included (enable them in the account first).
 */
export const awsRegionAzs: Readonly<Record<string, { azs: number; why?: string }>> = {
  "af-south-1": { azs: 3 },
  "ap-east-1": { azs: 3 },
  "ap-east-2": { azs: 3 },
  "ap-northeast-1": { azs: 3, why: "apne1-az3, its fourth, is constrained: EC2 refuses new subnets there to most accounts" },
  "ap-northeast-2": { azs: 4 },
  "ap-northeast-3": { azs: 3 },
  "ap-south-1": { azs: 3 },
  "ap-south-2": { azs: 3 },
  "ap-southeast-1": { azs: 3 },
  "ap-southeast-2": { azs: 3 },
  "ap-southeast-3": { azs: 3 },
  "ap-southeast-4": { azs: 3 },
  "ap-southeast-5": { azs: 3 },
  "ap-southeast-6": { azs: 3 },
  "ap-southeast-7": { azs: 3 },
  "ca-central-1": { azs: 3 },
  "ca-west-1": { azs: 3 },
  "eu-central-1": { azs: 3 },
  "eu-central-2": { azs: 3 },
  "eu-north-1": { azs: 3 },
  "eu-south-1": { azs: 3 },
  "eu-south-2": { azs: 3 },
  "eu-west-1": { azs: 3 },
  "eu-west-2": { azs: 4 },
  "eu-west-3": { azs: 3 },
  "il-central-1": { azs: 3 },
  "me-central-1": { azs: 3 },
  "me-south-1": { azs: 3 },
  "mx-central-1": { azs: 3 },
  "sa-east-1": { azs: 3 },
  "us-east-1": { azs: 5, why: "EKS refuses use1-az3, its sixth" },
  "us-east-2": { azs: 3 },
  "us-west-1": { azs: 2, why: "newer accounts see two of its three, and EKS refuses usw1-az2" },
  "us-west-2": { azs: 4 },
};

export const awsRegions: readonly string[] = Object.keys(awsRegionAzs);

/** GCP region → the letters of its zones (`us-central1` + `a` = zone `us-central1-a`). */
export const gcpZones: Readonly<Record<string, string>> = {
  "africa-south1": "abc",
  "asia-east1": "abc",
  "asia-east2": "abc",
  "asia-northeast1": "abc",
  "asia-northeast2": "abc",
  "asia-northeast3": "abc",
  "asia-south1": "abc",
  "asia-south2": "abc",
  "asia-southeast1": "abc",
  "asia-southeast2": "abc",
  "asia-southeast3": "abc",
  "australia-southeast1": "abc",
  "australia-southeast2": "abc",
  "europe-central2": "abc",
  "europe-north1": "abc",
  "europe-north2": "abc",
  "europe-southwest1": "abc",
  "europe-west1": "bcd",
  "europe-west2": "abc",
  "europe-west3": "abc",
  "europe-west4": "abc",
  "europe-west6": "abc",
  "europe-west8": "abc",
  "europe-west9": "abc",
  "europe-west10": "abc",
  "europe-west12": "abc",
  "me-central1": "abc",
  "me-central2": "abc",
  "me-west1": "abc",
  "northamerica-northeast1": "abc",
  "northamerica-northeast2": "abc",
  "northamerica-south1": "abc",
  "southamerica-east1": "abc",
  "southamerica-west1": "abc",
  "us-central1": "abcf",
  "us-east1": "bcd",
  "us-east4": "abc",
  "us-east5": "abc",
  "us-south1": "abc",
  "us-west1": "abc",
  "us-west2": "abc",
  "us-west3": "abc",
  "us-west4": "abc",
};

export const gcpRegions: readonly string[] = Object.keys(gcpZones);

/** The zones of a GCP region (`us-central1-a`, …), or none for a region the table lacks. */
export function zonesOf(region: string): string[] {
  return [...(Object.hasOwn(gcpZones, region) ? gcpZones[region] : "")].map((letter) => `${region}-${letter}`);
}
