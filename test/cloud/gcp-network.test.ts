/**
 * k3s on GCP's network as plain data: firewall sources (the API, HBONE, public gateway ports,
 * peers' egress addresses) and the server's fixed address inside its subnet.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform, K3sClusterSpec } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { firewallRules, hostAddress, meshPeerRanges, peerEgressRules, publicGatewayPorts, serverInternalIp } from "../../components/cloud/gcp/network";
import { egressSourceRanges } from "../../components/cloud/cluster";
import { prod } from "./gcp-support";

test("the k3s API is open only to apiAllowedCidrs, and only on the server", () => {
  const { k3s, clusters } = prod();
  const api = firewallRules(k3s, clusters).find((r) => r.logicalName === "gcp-usc1-allow-k3s-api")!;
  assert.deepEqual(api.sourceRanges, ["10.10.0.0/16", "10.11.0.0/16", "198.51.100.0/24"]);
  assert.deepEqual(api.allows, [{ protocol: "tcp", ports: ["6443"] }]);
  assert.deepEqual(api.targetTags, ["k3s-server"]);
});

test("HBONE 15008 is open from the other clusters' networks only; node-to-node stays inside the subnet", () => {
  const { k3s, clusters } = prod();
  const rules = firewallRules(k3s, clusters);
  const hbone = rules.find((r) => r.logicalName === "gcp-usc1-allow-hbone")!;
  assert.deepEqual(hbone.sourceRanges, ["10.10.0.0/16", "10.11.0.0/16"]);
  assert.deepEqual(hbone.allows, [{ protocol: "tcp", ports: ["15008"] }]);
  const internal = rules.find((r) => r.logicalName === "gcp-usc1-allow-internal")!;
  assert.deepEqual(internal.sourceRanges, ["10.12.0.0/20"]);
  assert.ok(rules.every((r) => !r.sourceRanges.includes("0.0.0.0/0")));
});

test("the public gateway ports on the server are open from gatewayAllowedCidrs (anyone by default)", () => {
  const spec = parsePlatform(shippedPlatform("prod"), "prod");
  const k3s = spec.clusters.find((c) => c.cloud === "gcp")! as K3sClusterSpec;
  // Models and agents both run on gcp-usc1: the inference gateway's 443 and the agent gateway's 8443.
  assert.deepEqual(publicGatewayPorts(spec, k3s.name), [443, 8443]);
  const rule = firewallRules(k3s, spec.clusters, [443, 8443]).find((r) => r.logicalName === "gcp-usc1-allow-gateways")!;
  assert.deepEqual([rule.sourceRanges, rule.allows, rule.targetTags], [["0.0.0.0/0"], [{ protocol: "tcp", ports: ["443", "8443"] }], ["k3s-server"]]);
  const restricted = firewallRules({ ...k3s, gatewayAllowedCidrs: ["192.0.2.0/24"] }, spec.clusters, [443]).find((r) => r.logicalName.endsWith("-allow-gateways"))!;
  assert.deepEqual(restricted.sourceRanges, ["192.0.2.0/24"]);
  assert.equal(firewallRules(k3s, spec.clusters).some((r) => r.logicalName.endsWith("-allow-gateways")), false, "no gateway, no rule");
});

test("extra HBONE peers (e.g. NAT egress IPs) are added; a lone cluster has no HBONE rule", () => {
  const { k3s, clusters } = prod();
  assert.deepEqual(meshPeerRanges({ ...k3s, hbonePeerCidrs: ["203.0.113.7/32", "10.10.0.0/16"] }, clusters), ["10.10.0.0/16", "10.11.0.0/16", "203.0.113.7/32"]);
  assert.equal(firewallRules(k3s, [k3s]).some((r) => r.logicalName.endsWith("-allow-hbone")), false);
});

test("peers' egress addresses get rules of their own on the API (server) and HBONE (all nodes), as /32", () => {
  const { k3s } = prod();
  const rules = peerEgressRules(k3s);
  assert.deepEqual(rules.map((r) => [r.logicalName, r.allows, r.targetTags]), [
    ["gcp-usc1-allow-peer-api", [{ protocol: "tcp", ports: ["6443"] }], ["k3s-server"]],
    ["gcp-usc1-allow-peer-hbone", [{ protocol: "tcp", ports: ["15008"] }], ["k3s-node"]],
  ]);
  assert.deepEqual(egressSourceRanges(["3.1.2.3", "3.4.5.6", "3.1.2.3", "10.10.0.0/16"]), ["3.1.2.3/32", "3.4.5.6/32", "10.10.0.0/16"]);
});


test("host addresses stay inside the usable range of the subnet", () => {
  assert.equal(hostAddress("10.12.0.0/20", 10), "10.12.0.10");
  assert.equal(hostAddress("10.12.0.0/20", 300), "10.12.1.44");
  assert.throws(() => hostAddress("10.0.0.0/29", 6), /outside the usable range/);
  assert.throws(() => hostAddress("10.0.0.0/24", 1), /outside the usable range/);
  assert.equal(serverInternalIp(prod().k3s), "10.12.0.10");
});
