/** The shipped prod platform's k3s (GCP) cluster and all its clusters, for the GCP tests. */
import assert from "node:assert/strict";
import { parsePlatform, K3sClusterSpec, ClusterSpec } from "../../infra/config";
import { shippedPlatform } from "../support/render";

export function prod(): { k3s: K3sClusterSpec; clusters: ClusterSpec[] } {
  const spec = parsePlatform(shippedPlatform("prod"), "prod");
  const k3s = spec.clusters.find((c) => c.cloud === "gcp");
  assert.ok(k3s && k3s.cloud === "gcp");
  return { k3s, clusters: spec.clusters };
}
