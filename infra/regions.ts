/**
 * The cloud regions (and GCP zones) a cluster may name. A region or zone outside these tables is
 * refused at config time with the allowed list, instead of failing late inside `pulumi up`.
 *
 * One table per cloud, kept by hand: a fork that deploys to a region added after this list was
 * written (or to a partition such as AWS GovCloud or China) adds one entry here.
 *
 * - AWS: the commercial partition (`aws`), the same regions as the `Region` enum of the
 *   installed @pulumi/aws (7.48), opt-in regions included (enable them in the account first).
 * - GCP: every Compute Engine region with its zone letters, from Google's "Regions and zones"
 *   table (docs.cloud.google.com/compute/docs/regions-zones). AI zones (`<region>-ai2b`) are
 *   left out: the k3s VMs are general-purpose machines.
 */

export const awsRegions: readonly string[] = [
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
];

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
