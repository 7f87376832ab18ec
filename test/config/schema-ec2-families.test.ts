/**
 * The platform config schema, EC2 instance families: a CPU type (the system node group, a CPU
 * node group) must name a family EC2 has, as the installed @pulumi/aws's InstanceType lists them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { RejectCase, testRejections } from "./support";

const cpuGroup = (instanceType: string) => ({ name: "cpu", instanceType, minSize: 1, desiredSize: 1, maxSize: 2 });

// Before, only the size after the dot was checked: these passed config and would fail at `pulumi up`.
const cases: RejectCase[] = [
  {
    name: "a misspelt EC2 family on the system node group",
    mutate: (p) => (p.clusters[0].systemNodeGroup.instanceType = "m6l.2xlarge"),
    path: "inference-mesh:platform.clusters[0].systemNodeGroup.instanceType",
    message: /: 'm6l\.2xlarge' is not an EC2 instance type: EC2 has no family 'm6l' \(its neighbours are m6a, m6g, m6gd, m6i, .*\); the families are those of @pulumi\/aws's InstanceType/,
  },
  {
    name: "an EC2 family that does not exist on a CPU node group",
    mutate: (p) => p.clusters[1].nodeGroups.push(cpuGroup("bogus.large")),
    path: "inference-mesh:platform.clusters[1].nodeGroups[2].instanceType",
    message: /: 'bogus\.large' is not an EC2 instance type: EC2 has no family 'bogus'; /,
  },
];

testRejections(cases);

test("EC2 families the provider lists pass, dashes and suffixes included", () => {
  for (const type of ["m6i.2xlarge", "c7i-flex.2xlarge", "u-6tb1.112xlarge", "x2iedn.8xlarge", "r7a.metal-48xl"]) {
    const p = shippedPlatform("prod");
    p.clusters[0].nodeGroups.push(cpuGroup(type));
    assert.doesNotThrow(() => parsePlatform(p, "prod"), type);
  }
});
