/**
 * Day-2 edits as a real `pulumi up` sees them: a resource whose URN changes is deleted and created
 * again, and a `tls`/`random` resource whose inputs change makes new key material (a new root CA
 * rotates the mesh's trust, a new k3s token locks out the joined agents). Reordering the config's
 * lists, or removing one cluster, must leave every other resource's URN and inputs alone, and
 * scaling one model must not move another model's fleet onto other GPU nodes. The operator's
 * flows (canaries, regions, certificates, tools, node types) are in day2-flows.test.ts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { CapturedResource } from "../../scripts/lib/engine";
import { renderPlatform, renderShipped, shippedPlatform } from "../support/render";
import { byUrn, churn, nameOf } from "../support/churn";

test("prod with clusters, models, their placements, versions and node groups, tools, agents and their tools listed in reverse: every URN and input stays", () => {
  const platform = shippedPlatform("prod");
  platform.clusters.reverse();
  for (const c of platform.clusters) c.nodeGroups?.reverse();
  platform.models.reverse();
  for (const m of platform.models) m.clusters.reverse();
  for (const item of [...platform.models, ...platform.agents]) item.versions.reverse();
  platform.tools.reverse();
  platform.agents.reverse();
  for (const a of platform.agents) a.tools.reverse();
  const { removed, added, changed } = churn(renderShipped("prod").resources, renderPlatform("prod", platform).resources);
  assert.deepEqual({ removed, added, changed: changed.map(nameOf) }, { removed: [], added: [], changed: [] });
});

test("prod without its first cluster: only that cluster's resources and its peers' view of it change; no key is regenerated", () => {
  const platform = shippedPlatform("prod");
  const gone = platform.clusters.shift().name;
  for (const m of platform.models) {
    m.clusters = m.clusters.filter((c: string) => c !== gone);
    delete m.gpuTypes?.[gone]; // a pin names one of the model's clusters
  }
  const before = renderShipped("prod").resources;
  const after = renderPlatform("prod", platform).resources;
  const { removed, added, changed } = churn(before, after);
  assert.deepEqual(added, []);
  const owner = byUrn(before);
  // Everything removed is the cluster's own (its component's tree) or the remote secrets naming it.
  const ofGone = (urn: string): boolean => {
    const r = owner.get(urn)!;
    return nameOf(urn) === gone || nameOf(urn).startsWith(`${gone}-`) || (r.parent !== undefined && ofGone(r.parent));
  };
  for (const urn of removed) assert.ok(ofGone(urn) || nameOf(urn).endsWith(`-istio-remote-secret-${gone}`), `removed: ${nameOf(urn)}`);
  assert.ok(removed.some((u) => nameOf(u) === `gcp-usc1-istio-system-secret-istio-remote-secret-${gone}`));
  // The k3s cluster's peer firewalls lose the removed cluster's addresses; nothing else moves.
  assert.deepEqual(changed.map(nameOf).sort(), ["gcp-usc1-allow-hbone", "gcp-usc1-allow-peer-api", "gcp-usc1-allow-peer-hbone"]);
  const keys = before.filter((r) => /^(tls|random):/.test(r.type) && !removed.includes(r.urn));
  assert.ok(keys.some((r) => nameOf(r.urn) === "mesh-trust-root-ca-key") && keys.some((r) => nameOf(r.urn) === "gcp-usc1-k3s-token"));
  for (const r of keys) assert.ok(byUrn(after).has(r.urn) && !changed.includes(r.urn), nameOf(r.urn));
});

test("prod with qwen's canary scaled to 0: llama's fleets stay on their nodes (Deployments unchanged, node affinity included); only qwen's canary and routes change", () => {
  const platform = shippedPlatform("prod");
  const qwen = platform.models.find((m: any) => m.name === "qwen3-32b");
  qwen.versions = [{ name: "v1", weight: 100 }, { name: "v2", weight: 0, canary: true, replicas: 0 }];
  const before = renderShipped("prod");
  const after = renderPlatform("prod", platform);
  const { removed, added, changed } = churn(before.resources, after.resources);
  // Unpinned, the capacity check would give llama aws-use1's L40S nodes and qwen its H100 node
  // (models[].gpuTypes in the prod stack keeps them where they are).
  const deployments = (r: typeof before, cluster: string) =>
    r.objects(cluster).filter((o: any) => o.kind === "Deployment" && /^llama-3-1-8b-v\d+$/.test(o.metadata.name));
  for (const cluster of ["aws-use1", "aws-euw1", "gcp-usc1"]) {
    assert.equal(deployments(before, cluster).length, 2, cluster);
    assert.deepEqual(deployments(after, cluster), deployments(before, cluster), cluster);
  }
  // Nothing else moves: qwen's v1 keeps its nodes too, and its canary's Deployment (now 0
  // replicas) and the routes (weights 100/0) are the edit itself.
  assert.deepEqual(
    { removed, added, changed: changed.map(nameOf).sort() },
    {
      removed: [],
      added: [],
      changed: [
        "aws-use1-inference-deployment-qwen3-32b-v2", "aws-use1-inference-httproute-qwen3-32b",
        "gcp-usc1-inference-deployment-qwen3-32b-v2", "gcp-usc1-inference-httproute-qwen3-32b",
      ],
    },
  );
});

/**
 * A Kubernetes object's identity on its cluster (the URN's name is `<cluster>-<ns>-<kind>-<name>`),
 * with the URN it has in one render.
 */
function objectUrns(resources: CapturedResource[]): Map<string, CapturedResource> {
  return new Map(resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm")).map((r) => [nameOf(r.urn), r]));
}

/**
 * Objects both renders apply whose URN differs, without the later one naming the earlier URN in
 * its `aliases`: the engine would create the new URN before deleting the old one, and
 * pulumi-kubernetes' plain create (4.29+) fails with AlreadyExists on the live object.
 */
function movedWithoutAlias(before: CapturedResource[], after: CapturedResource[]): string[] {
  const a = objectUrns(before);
  return [...objectUrns(after)].filter(([name, r]) => a.has(name) && a.get(name)!.urn !== r.urn && !(r.aliases ?? []).includes(a.get(name)!.urn)).map(([name]) => name);
}

test("local's agents removed, then added back: the inference gateway's access objects change owner (agents ⇄ inference) and alias their previous URN", () => {
  const platform = shippedPlatform("local");
  platform.agents = [];
  platform.tools = [];
  delete platform.gateways.agents;
  const withAgents = renderShipped("local").resources;
  const without = renderPlatform("local", platform).resources;
  const access = ["local-inference-authorizationpolicy-inference-gateway-callers", "local-inference-networkpolicy-inference-gateway-callers"];
  for (const name of access) {
    const [a, b] = [objectUrns(withAgents).get(name)!, objectUrns(without).get(name)!];
    assert.match(a.urn, /inference-mesh:agents:AgentFleet\$/, name);
    assert.match(b.urn, /inference-mesh:inference:ClusterInference\$/, name);
  }
  assert.deepEqual(movedWithoutAlias(withAgents, without), [], "agents removed");
  assert.deepEqual(movedWithoutAlias(without, withAgents), [], "agents added");
});

test("prod with its agents on aws-use1 only: no object on aws-euw1 or gcp-usc1 changes URN without an alias", () => {
  const platform = shippedPlatform("prod");
  for (const a of platform.agents) a.clusters = ["aws-use1"];
  const before = renderShipped("prod").resources;
  const after = renderPlatform("prod", platform).resources;
  assert.deepEqual(movedWithoutAlias(before, after), []);
  assert.deepEqual(movedWithoutAlias(after, before), []);
});
