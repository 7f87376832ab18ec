import { test } from "node:test";
import assert from "node:assert/strict";
import { workloadRbacKeys } from "../../components/k8s/workload-rbac";
import { eppManifests } from "../../components/inference/epp";
import { Manifest } from "../../components/k8s/apply";
import { model, spec } from "../inference/support";

const rbac = "rbac.authorization.k8s.io/v1";
const deployment = (namespace: string, serviceAccountName?: string): Manifest => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "app", namespace },
  spec: { template: { spec: { serviceAccountName } } },
});
const binding = (namespace: string, name: string, subject: Record<string, string>, roleRef: Record<string, string>): Manifest => ({
  apiVersion: rbac,
  kind: "RoleBinding",
  metadata: { name, namespace },
  subjects: [subject],
  roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
});

test("a workload runs as its ServiceAccount, the RoleBindings naming it and the Roles they grant, nothing else", () => {
  const objects: Manifest[] = [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "picker", namespace: "inference" } },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "picker", namespace: "other" } },
    { apiVersion: rbac, kind: "Role", metadata: { name: "reads", namespace: "inference" } },
    { apiVersion: rbac, kind: "Role", metadata: { name: "unbound", namespace: "inference" } },
    binding("inference", "reads", { kind: "ServiceAccount", name: "picker", namespace: "inference" }, { kind: "Role", name: "reads" }),
    binding("inference", "someone-else", { kind: "ServiceAccount", name: "router", namespace: "inference" }, { kind: "Role", name: "unbound" }),
    binding("inference", "cluster-wide", { kind: "ServiceAccount", name: "picker" }, { kind: "ClusterRole", name: "unbound" }),
  ];
  assert.deepEqual(workloadRbacKeys(deployment("inference", "picker"), objects), [
    "ServiceAccount/inference/picker",
    "Role/inference/reads",
    "RoleBinding/inference/reads",
    "RoleBinding/inference/cluster-wide",
  ]);
  assert.deepEqual(workloadRbacKeys(deployment("inference"), objects), [], "the namespace's default ServiceAccount is not ours to wait for");
  assert.deepEqual(workloadRbacKeys(deployment("elsewhere", "picker"), objects), []);
});

test("each endpoint picker runs as its own ServiceAccount, Role and RoleBinding, listed before its Deployment", () => {
  const s = spec("prod");
  const m = model(s, s.models[0].name);
  const manifests = eppManifests({ model: m, pool: `${m.name}-${m.versions[0].name}`, versions: s.versions });
  const index = (kind: string) => manifests.findIndex((x) => x.kind === kind);
  const keys = workloadRbacKeys(manifests[index("Deployment")], manifests);
  assert.deepEqual(keys.map((k) => k.split("/")[0]), ["ServiceAccount", "Role", "RoleBinding"]);
  for (const kind of ["ServiceAccount", "Role", "RoleBinding"]) assert.ok(index(kind) < index("Deployment"), `${kind} precedes the Deployment`);
});
