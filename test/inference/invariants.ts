/**
 * Invariants every cluster's inference objects must satisfy, whether computed by the pure cores
 * or read back from a render: pools select exactly their version's pods, ports agree end to end,
 * every pool has its EPP (Deployment, Service port, RBAC, DestinationRule), routes point at pools
 * that exist with the canary header rule first.
 */
import assert from "node:assert/strict";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

export const ofKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

export function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const podTemplates = (objects: Obj[]) =>
  ofKind(objects, "Deployment").map((d) => ({ name: d.metadata.name, labels: d.spec.template.metadata.labels, spec: d.spec.template.spec }));

/** Checks one cluster's objects; returns the pools it found. */
export function checkInferenceInvariants(objects: Obj[]): string[] {
  const pools = ofKind(objects, "InferencePool");
  for (const pool of pools) {
    const name = pool.metadata.name;
    // Selector: exactly the Deployment named after the pool, nothing else (EPPs, BBR, other versions).
    const selected = podTemplates(objects).filter((t) => matches(pool.spec.selector.matchLabels, t.labels));
    assert.deepEqual(selected.map((t) => t.name), [name], `pool ${name} selects exactly its model servers`);
    const server = selected[0];
    assert.equal(server.labels["llm-d.ai/engine-type"], "vllm", `${name}: engine label the EPP expects`);
    const deployment = named(objects, "Deployment", name)!;
    assert.ok(matches(deployment.spec.selector.matchLabels, server.labels));
    // Ports: pool target port = container port `http` = what the probes use.
    const container = server.spec.containers[0];
    const http = container.ports.find((p: any) => p.name === "http");
    assert.deepEqual(pool.spec.targetPorts, [{ number: http.containerPort }], `${name}: targetPorts = container port`);
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      assert.equal(container[probe].httpGet.port, "http", `${name}: ${probe} on the served port`);
      assert.equal(container[probe].httpGet.path, "/health");
    }
    assert.ok(container.args.includes(String(http.containerPort)), `${name}: server listens on its container port`);
    assert.equal(server.spec.enableServiceLinks, false);
    // PDB over the same pods.
    const pdb = named(objects, "PodDisruptionBudget", name);
    assert.ok(pdb && matches(pdb.spec.selector.matchLabels, server.labels), `${name}: PodDisruptionBudget`);
    // EPP: explicit failure mode, Service port with h2c, Deployment, RBAC, DestinationRule.
    const ref = pool.spec.endpointPickerRef;
    assert.ok(["FailOpen", "FailClose"].includes(ref.failureMode), `${name}: explicit failureMode`);
    const svc = named(objects, "Service", ref.name);
    assert.ok(svc, `${name}: EPP Service ${ref.name}`);
    const extProc = svc.spec.ports.find((p: any) => p.port === ref.port.number);
    assert.ok(extProc, `${name}: EPP Service exposes ${ref.port.number}`);
    assert.equal(extProc.appProtocol, "kubernetes.io/h2c");
    const epp = podTemplates(objects).filter((t) => matches(svc.spec.selector, t.labels));
    assert.deepEqual(epp.map((t) => t.name), [ref.name], `${name}: EPP Service selects its EPP only`);
    const eppContainer = epp[0].spec.containers[0];
    assert.ok(eppContainer.ports.some((p: any) => p.containerPort === extProc.targetPort), `${name}: EPP serves ext-proc on the Service's target port`);
    const poolArg = eppContainer.args[eppContainer.args.indexOf("--pool-name") + 1];
    assert.equal(poolArg, name, `${name}: EPP watches its pool`);
    const healthPort = Number(eppContainer.args[eppContainer.args.indexOf("--grpc-health-port") + 1]);
    assert.equal(eppContainer.readinessProbe.grpc.port, healthPort);
    assert.equal(eppContainer.livenessProbe.grpc.port, healthPort);
    const configMap = named(objects, "ConfigMap", epp[0].spec.volumes.find((v: any) => v.configMap).configMap.name);
    const configFile = eppContainer.args[eppContainer.args.indexOf("--config-file") + 1].replace("/config/", "");
    assert.ok(configMap?.data?.[configFile], `${name}: EPP config file is in its ConfigMap`);
    const sa = epp[0].spec.serviceAccountName;
    assert.ok(named(objects, "ServiceAccount", sa), `${name}: EPP ServiceAccount`);
    const binding = ofKind(objects, "RoleBinding").find((b) => b.subjects.some((s: any) => s.name === sa));
    assert.ok(binding, `${name}: EPP RoleBinding`);
    const role = named(objects, "Role", binding.roleRef.name)!;
    const can = (group: string, resource: string) =>
      role.rules.some((r: any) => r.apiGroups.includes(group) && r.resources.includes(resource) && ["get", "list", "watch"].every((v) => r.verbs.includes(v)));
    for (const [g, r] of [["", "pods"], ["inference.networking.k8s.io", "inferencepools"], ["llm-d.ai", "inferenceobjectives"], ["llm-d.ai", "inferencemodelrewrites"]]) {
      assert.ok(can(g, r), `${name}: EPP may watch ${g || "core"}/${r}`);
    }
    if (eppContainer.args.includes("--ha-enable-leader-election")) {
      assert.ok(role.rules.some((r: any) => r.resources.includes("leases")), `${name}: leader election RBAC`);
    }
    const dr = ofKind(objects, "DestinationRule").find((d) => d.spec.host === `${ref.name}.${pool.metadata.namespace}.svc.cluster.local`);
    assert.ok(dr, `${name}: DestinationRule for the EPP`);
    assert.deepEqual(dr.spec.trafficPolicy.tls, { mode: "SIMPLE", insecureSkipVerify: true });
  }
  // Routes: every backend is a pool on this cluster; canary header rule first.
  // Only the inference layer's routes: the agent layer's HTTPRoutes live in agents/tools.
  for (const route of ofKind(objects, "HTTPRoute").filter((r) => r.metadata.namespace === "inference")) {
    for (const rule of route.spec.rules) {
      assert.equal(rule.timeouts.request, "300s");
      for (const b of rule.backendRefs) {
        assert.equal(b.group, "inference.networking.k8s.io");
        assert.equal(b.kind, "InferencePool");
        assert.ok(named(objects, "InferencePool", b.name), `route ${route.metadata.name} → pool ${b.name} exists on this cluster`);
      }
    }
    const gateway = route.spec.parentRefs[0].name;
    assert.ok(named(objects, "Gateway", gateway), `route ${route.metadata.name} attaches to a Gateway on this cluster`);
  }
  return pools.map((p) => p.metadata.name);
}
