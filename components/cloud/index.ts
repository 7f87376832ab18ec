/**
 * One factory for every kind of cluster; each returns the same {@link ClusterHandle}.
 */
import { ClusterSpec } from "../../infra/schema";
import type { PlatformSpec } from "../../infra/config";
import { ClusterHandle } from "./cluster";
import { ExistingCluster } from "./existing";

export function createCluster(spec: ClusterSpec, platform: PlatformSpec): ClusterHandle {
  switch (spec.cloud) {
    case "existing":
      return new ExistingCluster(spec.name, { spec });
    case "aws":
    case "gcp":
      throw new Error(`cluster '${spec.name}': cloud '${spec.cloud}' is not wired yet (${platform.stack})`);
  }
}
