/**
 * Resource options of the Istio releases, read off the RegisterResource requests the SDK sends
 * (the options the engine plans with, which `stack.json` does not keep), with the program's own
 * mocks installed in this test's process.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { platformMocks } from "../../scripts/lib/mocks";
import { installRegisterResource } from "../../scripts/lib/monitor";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { installIstio, dataPlaneNamespace } from "../../components/mesh/istio";

test("Istio releases delete before replace: a data-plane namespace change (platform openshift ⇄ other) would otherwise meet the old release's ClusterRoles", async () => {
  pulumi.runtime.setMocks(platformMocks, "inference-mesh", "test", false);
  const options = new Map<string, { deleteBeforeReplace: boolean; namespace: unknown }>();
  installRegisterResource(platformMocks, (reg, req) => {
    if (req.getType() === "kubernetes:helm.sh/v3:Release") {
      options.set(req.getName(), { deleteBeforeReplace: req.getDeletebeforereplace(), namespace: reg.inputs.namespace });
    }
  });
  const platform = shippedPlatform("local");
  platform.clusters[0].platform = "openshift";
  const spec = parsePlatform(platform, "local");
  const cluster = spec.clusters[0];
  assert.equal(dataPlaneNamespace(cluster), "kube-system");
  const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
  const provider = new k8s.Provider("local-k8s", { kubeconfig: "{}" }, { parent });
  installIstio({ spec, cluster, provider, parent, before: [], beforeIstiod: [] });
  await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
  assert.deepEqual(Object.fromEntries(options), {
    "local-istio-base": { deleteBeforeReplace: true, namespace: "istio-system" },
    "local-istiod": { deleteBeforeReplace: true, namespace: "istio-system" },
    "local-istio-cni": { deleteBeforeReplace: true, namespace: "kube-system" },
    "local-ztunnel": { deleteBeforeReplace: true, namespace: "kube-system" },
  });
});
