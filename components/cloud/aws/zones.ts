/**
 * Which of the VPC's private subnets a managed node group may use: those in Availability Zones
 * that offer its instance type.
 *
 * The VPC spans the region's first `availabilityZones` zones whatever the node groups run, while
 * GPU types are offered in a subset of a region's zones (and of the regions). EKS refuses a node
 * group with a subnet in a zone that lacks its type: CreateNodegroup answers 400
 * InvalidRequestException "Your requested instance type (…) is not supported in your requested
 * Availability Zone (…)" (eksctl-io/eksctl#6461, which now drops such zones the same way). Which
 * zone names lack a type depends on the account (names map to zone IDs per account), so it is
 * asked at deploy time: DescribeInstanceTypeOfferings for the zones, DescribeSubnets for the
 * subnets in them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** DescribeInstanceTypeOfferings arguments: the zones (by name) of the region that offer `instanceType`. */
export function offeringsQuery(instanceType: string): aws.ec2.GetInstanceTypeOfferingsArgs {
  return { locationType: "availability-zone", filters: [{ name: "instance-type", values: [instanceType] }] };
}

/** DescribeSubnets arguments: which of `subnetIds` lie in one of `zones`. */
export function subnetsInZonesQuery(subnetIds: string[], zones: string[]): aws.ec2.GetSubnetsArgs {
  return { filters: [{ name: "subnet-id", values: subnetIds }, { name: "availability-zone", values: zones }] };
}

/** Where a node group is placed, for messages. */
export interface NodeGroupPlace {
  cluster: string;
  group: string;
  region: string;
  instanceType: string;
}

/** Why the region cannot take the group at all (it offers the type in no zone), or undefined. */
export function regionOfferingProblem(place: NodeGroupPlace, zones: string[]): string | undefined {
  if (zones.length > 0) return undefined;
  return (
    `cluster '${place.cluster}' node group '${place.group}': ${place.region} offers ${place.instanceType} in none of its ` +
    `Availability Zones (EC2 DescribeInstanceTypeOfferings), so EKS cannot create the group: use another instance type or region`
  );
}

/** Why none of the VPC's zones can take the group, or undefined. */
export function vpcOfferingProblem(place: NodeGroupPlace, zones: string[], subnets: string[]): string | undefined {
  if (subnets.length > 0) return undefined;
  return (
    `cluster '${place.cluster}' node group '${place.group}': ${place.instanceType} is offered in ${place.region} only in ` +
    `${[...zones].sort().join(", ")}, none of which the cluster's VPC spans (its first availabilityZones zones): ` +
    `raise availabilityZones, or use another instance type`
  );
}

/**
 * The private subnets of the group's VPC in zones that offer its instance type, sorted. Fails the
 * preview when the region offers the type nowhere, and the update when none of the VPC's zones
 * does (the subnets are known only once the VPC exists).
 */
export function subnetsOfferingType(place: NodeGroupPlace, privateSubnetIds: pulumi.Input<string[]>, provider: aws.Provider): pulumi.Output<string[]> {
  const zones = aws.ec2.getInstanceTypeOfferingsOutput(offeringsQuery(place.instanceType), { provider }).locations.apply((offered) => {
    const problem = regionOfferingProblem(place, offered);
    if (problem) throw new Error(problem);
    return offered;
  });
  return pulumi.all([pulumi.output(privateSubnetIds), zones]).apply(([ids, offered]) =>
    aws.ec2.getSubnetsOutput(subnetsInZonesQuery(ids, offered), { provider }).ids.apply((found) => {
      const problem = vpcOfferingProblem(place, offered, found);
      if (problem) throw new Error(problem);
      return [...found].sort();
    }),
  );
}
