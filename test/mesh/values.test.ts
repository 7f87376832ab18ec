/**
 * Pure mesh cores: Istio chart values per cluster, the objects the mesh applies (validated against
 * the upstream CRDs), and namespace enrolment.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { parsePlatform, PlatformSpec } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { validateObject } from "../support/schemas";
import { istioReleases, istiodValues, ztunnelValues, cniValues, baseValues, istioPlatform, dataPlaneNamespace } from "../../components/mesh/istio";
import { eastWestGatewayManifest, eastWestOptionsManifest } from "../../components/mesh/eastwest";
import { meshWidePeerAuthentication } from "../../components/mesh/peer-authn";
import { waypointManifest, waypointNamespaces, waypointName } from "../../components/mesh/waypoints";
import { namespaceManifests } from "../../components/mesh/namespaces";
import { readerTokenSecretManifest, remoteSecretManifest } from "../../components/mesh/remote-secrets";

const spec = (stack: "local" | "dev" | "prod"): PlatformSpec => parsePlatform(shippedPlatform(stack), stack);

test("releases: base → istiod → cni → ztunnel from the official repository, pinned", () => {
  const s = spec("prod");
  for (const cluster of s.clusters) {
    const releases = istioReleases(s, cluster);
    assert.deepEqual(releases.map((r) => [r.name, r.chart]), [["istio-base", "base"], ["istiod", "istiod"], ["istio-cni", "cni"], ["ztunnel", "ztunnel"]]);
    for (const r of releases) {
      assert.equal(r.repository, "https://istio-release.storage.googleapis.com/charts");
      assert.equal(r.version, "1.30.3");
      assert.equal(r.namespace, "istio-system");
    }
  }
});

test("istiod (multi-cluster): one mesh ID and trust domain, per-cluster name and network, multi-network flags explicit", () => {
  const s = spec("prod");
  const values = s.clusters.map((c) => istiodValues(s, c) as any);
  assert.equal(new Set(values.map((v) => v.global.meshID)).size, 1);
  assert.equal(new Set(values.map((v) => v.meshConfig.trustDomain)).size, 1);
  assert.equal(values[0].meshConfig.trustDomain, s.mesh.trustDomain);
  assert.deepEqual(values.map((v) => v.global.multiCluster.clusterName), s.clusters.map((c) => c.name));
  assert.deepEqual(values.map((v) => v.global.network), s.clusters.map((c) => c.network));
  for (const v of values) {
    assert.equal(v.profile, "ambient");
    assert.deepEqual(v.env, {
      PILOT_ENABLE_AMBIENT: "true",
      AMBIENT_ENABLE_MULTI_NETWORK: "true",
      AMBIENT_ENABLE_MULTI_NETWORK_INGRESS: "true",
      AMBIENT_ENABLE_BAGGAGE: "true",
      ENABLE_GATEWAY_API_INFERENCE_EXTENSION: "true",
    });
    assert.equal(v.global.enableReaderRBAC, true);
  }
});

test("istiod in prod: two replicas as the HPA floor, and the chart's PodDisruptionBudget on", () => {
  const s = spec("prod");
  assert.equal(s.mesh.istiodReplicas, 2);
  const v = istiodValues(s, s.clusters[0]) as any;
  assert.equal(v.replicaCount, 2);
  assert.equal(v.autoscaleMin, 2);
  assert.ok(v.autoscaleMax >= 2);
  assert.equal(v.global.defaultPodDisruptionBudget.enabled, true);
  assert.equal(v.pdb.minAvailable, 1);
  const local = istiodValues(spec("local"), spec("local").clusters[0]) as any;
  assert.equal(local.replicaCount, 1);
  // The chart skips its PDB for one replica (a PDB of minAvailable 1 would block node drains).
  assert.equal(local.global.defaultPodDisruptionBudget.enabled, false);
});

test("single-cluster stacks: multi-network off, no reader RBAC", () => {
  for (const stack of ["local", "dev"] as const) {
    const s = spec(stack);
    const v = istiodValues(s, s.clusters[0]) as any;
    assert.equal(v.env.AMBIENT_ENABLE_MULTI_NETWORK, "false");
    assert.equal(v.env.AMBIENT_ENABLE_MULTI_NETWORK_INGRESS, "false");
    assert.equal(v.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION, "true");
    assert.equal((baseValues(s, s.clusters[0]) as any).global.enableReaderRBAC, false);
  }
});

test("k3s platform on GCP k3s and on existing clusters that declare it; none on EKS", () => {
  const prod = spec("prod");
  const byName = new Map(prod.clusters.map((c) => [c.name, c]));
  assert.equal(istioPlatform(byName.get("gcp-usc1")!), "k3s");
  assert.equal(istioPlatform(byName.get("aws-use1")!), undefined);
  const gcp = byName.get("gcp-usc1")!;
  for (const values of [istiodValues(prod, gcp), cniValues(prod, gcp), ztunnelValues(prod, gcp)] as any[]) {
    assert.equal(values.global.platform, "k3s");
  }
  assert.equal((cniValues(prod, byName.get("aws-use1")!) as any).global.platform, undefined);
  const local = spec("local");
  assert.equal((cniValues(local, local.clusters[0]) as any).global.platform, "k3s");
  assert.equal((cniValues(local, local.clusters[0]) as any).profile, "ambient");
});

test("OpenShift: every chart gets the platform, and istio-cni and ztunnel run in kube-system (istiod's openshift profile trusts ztunnel only there)", () => {
  const input = structuredClone(shippedPlatform("local")) as any;
  input.clusters[0].platform = "openshift";
  const s = parsePlatform(input, "local");
  const cluster = s.clusters[0];
  const releases = new Map(istioReleases(s, cluster).map((r) => [r.name, r]));
  for (const r of releases.values()) assert.equal((r.values as any).global.platform, "openshift", r.name);
  assert.equal(releases.get("istio-base")!.namespace, "istio-system");
  assert.equal(releases.get("istiod")!.namespace, "istio-system");
  assert.equal(releases.get("istio-cni")!.namespace, "kube-system");
  assert.equal(releases.get("ztunnel")!.namespace, "kube-system");
  assert.equal(dataPlaneNamespace(spec("local").clusters[0]), "istio-system");
});

test("ztunnel knows its cluster and network", () => {
  const s = spec("prod");
  for (const c of s.clusters) {
    const v = ztunnelValues(s, c) as any;
    assert.equal(v.multiCluster.clusterName, c.name);
    assert.equal(v.global.network, c.network);
  }
});

test("east-west gateway: class istio-east-west, HBONE 15008 terminated with ISTIO_MUTUAL, network label", async () => {
  const cluster = spec("prod").clusters[2];
  const gw = eastWestGatewayManifest(cluster, "1.30.3") as any;
  assert.equal(gw.metadata.namespace, "istio-system");
  assert.equal(gw.metadata.labels["topology.istio.io/network"], cluster.network);
  assert.equal(gw.spec.gatewayClassName, "istio-east-west");
  assert.deepEqual(gw.spec.listeners, [
    { name: "mesh", port: 15008, protocol: "HBONE", tls: { mode: "Terminate", options: { "gateway.istio.io/tls-terminate-mode": "ISTIO_MUTUAL" } } },
  ]);
  assert.deepEqual((await validateObject(gw)).errors, []);
});

test("waypoints: class istio-waypoint, HBONE 15008, for services, cluster-local, same in every namespace that has one", async () => {
  assert.deepEqual([...waypointNamespaces], ["agents", "tools"]);
  for (const ns of waypointNamespaces) {
    const wp = waypointManifest(ns, "1.30.3") as any;
    assert.equal(wp.metadata.name, waypointName);
    assert.equal(wp.metadata.namespace, ns);
    assert.equal(wp.spec.gatewayClassName, "istio-waypoint");
    assert.deepEqual(wp.spec.listeners, [{ name: "mesh", port: 15008, protocol: "HBONE" }]);
    assert.equal(wp.metadata.labels["istio.io/waypoint-for"], "service");
    // Local like the services behind it: a global waypoint would fail over to another cluster's
    // copy of a local service (istio/istio#57710).
    assert.equal(wp.metadata.labels["istio.io/global"], undefined);
    assert.equal(wp.spec.infrastructure?.labels?.["istio.io/global"], undefined);
    assert.deepEqual((await validateObject(wp)).errors, []);
  }
});

test("namespaces: istio-system carries the network; app namespaces are ambient, enrolled to their waypoint", () => {
  const s = spec("prod");
  const networks = new Set<string>();
  for (const c of s.clusters) {
    const byName = new Map(namespaceManifests(c).map((m) => [m.metadata.name, m.metadata.labels!]));
    networks.add(byName.get("istio-system")!["topology.istio.io/network"]);
    for (const ns of ["inference", "agents", "tools"]) {
      assert.equal(byName.get(ns)!["istio.io/dataplane-mode"], "ambient");
      assert.equal(byName.get(ns)!["istio-injection"], undefined);
    }
    assert.equal(byName.get("agents")!["istio.io/use-waypoint"], waypointName);
    assert.equal(byName.get("tools")!["istio.io/use-waypoint"], waypointName);
    assert.equal(byName.get("inference")!["istio.io/use-waypoint"], undefined, "no waypoint there");
  }
  assert.equal(networks.size, s.clusters.length, "one network per cluster");
});

test("mesh-wide mTLS is STRICT in the root namespace", async () => {
  const pa = meshWidePeerAuthentication() as any;
  assert.deepEqual([pa.metadata.name, pa.metadata.namespace, pa.spec], ["default", "istio-system", { mtls: { mode: "STRICT" } }]);
  assert.deepEqual((await validateObject(pa)).errors, []);
});

test("reader token and remote secret objects validate as core Secrets", async () => {
  assert.deepEqual((await validateObject(readerTokenSecretManifest())).errors, []);
  assert.deepEqual((await validateObject({ ...remoteSecretManifest("aws-use1", "kubeconfig"), stringData: { "aws-use1": "kubeconfig" } })).errors, []);
});

test("east-west gateway: Pulumi waits for Programmed on cloud clusters and k3s/k3d ServiceLB, not on other existing clusters", () => {
  // Written out per kind (not computed with infra/gateway-ports.ts): an existing cluster of
  // another kind (kind, minikube, one declaring no platform) may have no load balancer at all,
  // where the wait would fail every update.
  const waitFor = (cluster: PlatformSpec["clusters"][number]) => (eastWestGatewayManifest(cluster, "1.30.3") as any).metadata.annotations?.["pulumi.com/waitFor"];
  const prod = spec("prod");
  for (const name of ["aws-use1", "aws-euw1", "gcp-usc1"]) assert.equal(waitFor(prod.clusters.find((c) => c.name === name)!), "condition=Programmed", name);
  const existing = (platform: string | undefined) => {
    const input = structuredClone(shippedPlatform("local")) as any;
    if (platform) input.clusters[0].platform = platform;
    else delete input.clusters[0].platform;
    return parsePlatform(input, "local").clusters[0];
  };
  const expected: [string | undefined, string | undefined][] = [
    ["k3s", "condition=Programmed"],
    ["k3d", "condition=Programmed"],
    ["minikube", undefined],
    ["microk8s", undefined],
    [undefined, undefined],
  ];
  for (const [platform, wait] of expected) assert.equal(waitFor(existing(platform)), wait, `existing cluster, platform ${platform ?? "(none)"}`);
});

test("east-west gateway on EKS: an NLB (internet-facing, the AWS cloud provider's default scheme) through the options ConfigMap", async () => {
  // cloud-provider-aws v1.33.4 (pkg/providers/v1/aws.go): a LoadBalancer Service is a Classic ELB
  // unless `service.beta.kubernetes.io/aws-load-balancer-type` is "nlb"; internal only with
  // `…-aws-load-balancer-internal`. Either way its status is the DNS name, which Istio 1.30.3 hands
  // on as a hostname network gateway that ztunnel resolves (README, "The mesh").
  for (const cluster of spec("prod").clusters.filter((c) => c.kind === "eks")) {
    const options = eastWestOptionsManifest(cluster, "1.30.3") as any;
    assert.ok(options, cluster.name);
    assert.deepEqual(yaml.load(options.data.service), { metadata: { annotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" } } }, cluster.name);
    assert.equal(options.data.service.includes("aws-load-balancer-internal"), false, "internet-facing: the other networks reach it over the internet");
    const gw = eastWestGatewayManifest(cluster, "1.30.3") as any;
    assert.deepEqual(gw.spec.infrastructure, { parametersRef: { group: "", kind: "ConfigMap", name: options.metadata.name } });
    assert.deepEqual((await validateObject(options)).errors, []);
  }
  const gcp = spec("prod").clusters.find((c) => c.kind === "k3s")!;
  assert.deepEqual(yaml.load((eastWestOptionsManifest(gcp, "1.30.3") as any).data.service), { spec: { ports: [{ port: 15021, $patch: "delete" }] } });
  const kind = { ...spec("local").clusters[0] } as any;
  delete kind.platform;
  assert.equal(eastWestOptionsManifest(kind, "1.30.3"), undefined, "no patch where the load balancer is unknown");
  assert.equal((eastWestGatewayManifest(kind, "1.30.3") as any).spec.infrastructure, undefined);
});
