/**
 * API endpoints opened to the whole internet by ranges that add up to every address, not by one
 * /0: the policy pack's eks-endpoint-private reads the list whole, and the config refuses at
 * config time what the pack would refuse after the render.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { rangesCoverInternet } from "../../infra/validate-network";
import { coversAllIpv4 } from "../../policy/rules/eks-endpoint-private";
import { shippedPlatform } from "../support/render";
import { testRejections } from "./support";

const halves = ["0.0.0.0/1", "128.0.0.0/1"];

testRejections([
  {
    name: "a public EKS endpoint open to every address through two /1 ranges",
    stack: "prod",
    mutate: (p) => {
      Object.assign(p.clusters[0], { endpointPublicAccess: true, publicAccessCidrs: halves });
      p.policy.allowPublicApiEndpoints = true;
    },
    path: "inference-mesh:platform.clusters[0].publicAccessCidrs",
    message: /0\.0\.0\.0\/1, 128\.0\.0\.0\/1 together cover every IPv4 address: the EKS API open to the whole internet/,
  },
  {
    name: "the k3s API open to every address through ranges, while public endpoints are not allowed",
    mutate: (p) => (p.clusters[2].apiAllowedCidrs = ["128.0.0.0/2", "0.0.0.0/1", "192.0.0.0/2"]),
    path: "inference-mesh:platform.clusters[2].apiAllowedCidrs",
    message: /together cover every IPv4 address: the k3s API open to the whole internet, and policy\.allowPublicApiEndpoints is false/,
  },
]);

test("ranges short of every address pass, and the k3s API may take them all where public endpoints are allowed", () => {
  const p = shippedPlatform("prod");
  // Wide EKS blocks holding no reserved range (one that does is refused as EKS refuses it: schema-eks-public-cidrs).
  Object.assign(p.clusters[0], { endpointPublicAccess: true, publicAccessCidrs: ["32.0.0.0/3", "64.0.0.0/3"] });
  p.policy.allowPublicApiEndpoints = true;
  p.clusters[2].apiAllowedCidrs = halves;
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
});

test("the config reads a list as the policy pack does", () => {
  for (const list of [halves, ["0.0.0.0/1", "128.0.0.0/2"], ["128.0.0.0/1", "0.0.0.0/2", "64.0.0.0/2"], ["203.0.113.0/24"], []]) {
    assert.equal(rangesCoverInternet(list), coversAllIpv4(list), list.join(", "));
  }
});
