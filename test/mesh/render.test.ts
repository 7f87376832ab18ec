/**
 * The mesh as rendered: per cluster the network label, a `cacerts` Secret whose intermediate
 * chains to the one shared root, the four releases in order, STRICT mTLS, enrolled namespaces and
 * waypoints; in multi-cluster stacks also the east-west gateway and one remote secret per other
 * cluster, wired to that cluster's reader token. Single-cluster: local (shipped); multi-cluster:
 * three existing clusters (a custom render) and prod once its clusters render.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { webcrypto } from "node:crypto";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { renderShipped, renderPlatform, shippedPlatform, Rendered, repoRoot } from "../support/render";
import { validateObject } from "../support/schemas";
import { certFingerprintSha256, rootFingerprintAnnotation, caFingerprintAnnotation } from "../../components/mesh/trust";

/**
 * What each multi-cluster test expects of a cluster's east-west gateway, written out rather than
 * computed with infra/gateway-ports.ts (the code under test): `waitsForAddress` where a
 * LoadBalancer gets an address (cloud clusters, k3s/k3d ServiceLB), so Pulumi waits for
 * `Programmed`; not on an existing cluster of another kind (kind, minikube: maybe no load
 * balancer at all). `servicePatch`: the patch Istio applies to the gateway's Service (through the
 * options ConfigMap), or none: on k3s ServiceLB (GCP k3s, existing k3s/k3d) it drops the status
 * port, on EKS it asks the AWS cloud provider for a Network Load Balancer.
 */
type GatewayExpectation = { waitsForAddress: boolean; servicePatch?: object };

const dropStatusPort = { spec: { ports: [{ port: 15021, $patch: "delete" }] } };
const awsNlb = { metadata: { annotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" } } };

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const urnName = (urn: string) => urn.split("::").pop()!;

function resource(r: Rendered, type: string, name: string) {
  const found = r.resources.find((x) => x.type === type && urnName(x.urn) === name);
  assert.ok(found, `${type} ${name}`);
  return found;
}

async function assertMesh(r: Rendered, clusters: { name: string; network: string }[], gateways: Record<string, GatewayExpectation> = {}) {
  const multi = clusters.length > 1;
  const roots = r.ofType("tls:index/selfSignedCert:SelfSignedCert").filter((x) => urnName(x.urn) === "mesh-trust-root-ca");
  assert.equal(roots.length, 1, "one root CA for the whole mesh");
  const root = new x509.X509Certificate((roots[0].outputs as any).certPem);
  const rootFingerprint = certFingerprintSha256((roots[0].outputs as any).certPem);
  const networks = new Set<string>();

  for (const { name, network } of clusters) {
    const objects = r.objects(name);
    const find = (kind: string, ns: string, n: string) => objects.find((o) => o.kind === kind && o.metadata.namespace === ns && o.metadata.name === n) as any;
    const nsObj = objects.find((o) => o.kind === "Namespace" && o.metadata.name === "istio-system") as any;
    assert.equal(nsObj.metadata.labels["topology.istio.io/network"], network, `${name}: network label`);
    networks.add(network);

    // Trust: the Secret names the root and its intermediate; the intermediate chains to the root.
    const cacerts = find("Secret", "istio-system", "cacerts");
    assert.ok(cacerts, `${name}: cacerts`);
    assert.equal(cacerts.metadata.annotations[rootFingerprintAnnotation], rootFingerprint, `${name}: the shared root`);
    const intermediatePem = (resource(r, "tls:index/locallySignedCert:LocallySignedCert", `${name}-intermediate-ca`).outputs as any).certPem;
    assert.equal(cacerts.metadata.annotations[caFingerprintAnnotation], certFingerprintSha256(intermediatePem));
    const intermediate = new x509.X509Certificate(intermediatePem);
    assert.ok(await intermediate.verify({ publicKey: root.publicKey, signatureOnly: true }), `${name}: intermediate signed by the root`);
    assert.match(intermediate.subject, new RegExp(`L=${name}$`));
    assert.equal(cacerts.stringData, "[secret]", `${name}: the key stays secret`);
    const cacertsUrn = r.resources.find((x) => x.type === "kubernetes:core/v1:Secret" && urnName(x.urn) === `${name}-istio-system-secret-cacerts`)!.urn;

    // Releases in order, each after the one before; istiod after cacerts; base after the CRDs.
    const istioReleases = ["istio-base", "istiod", "istio-cni", "ztunnel"];
    assert.deepEqual(r.releases(name).map((x) => x.name).filter((n) => istioReleases.includes(n)), istioReleases);
    const rel = (n: string) => resource(r, "kubernetes:helm.sh/v3:Release", `${name}-${n}`);
    const crds = resource(r, "kubernetes:yaml/v2:ConfigFile", `${name}-gateway-api-crds`);
    assert.match(String((crds.inputs as any).file), /gateway-api\/releases\/download\/v1\.5\.1\/standard-install\.yaml$/);
    assert.ok(rel("istio-base").dependencies.includes(crds.urn), `${name}: Gateway API CRDs before Istio`);
    assert.ok(rel("istiod").dependencies.includes(rel("istio-base").urn));
    assert.ok(rel("istiod").dependencies.includes(cacertsUrn), `${name}: cacerts before istiod`);
    assert.ok(rel("istio-cni").dependencies.includes(rel("istiod").urn));
    assert.ok(rel("ztunnel").dependencies.includes(rel("istio-cni").urn));
    const istiod = r.releases(name).find((x) => x.name === "istiod")!.values as any;
    assert.equal(istiod.global.multiCluster.clusterName, name);
    assert.equal(istiod.global.network, network);
    assert.equal(istiod.env.AMBIENT_ENABLE_MULTI_NETWORK, String(multi));

    const pa = find("PeerAuthentication", "istio-system", "default");
    assert.deepEqual(pa?.spec, { mtls: { mode: "STRICT" } }, `${name}: STRICT mesh-wide`);
    for (const ns of ["inference", "agents", "tools"]) {
      const n = objects.find((o) => o.kind === "Namespace" && o.metadata.name === ns) as any;
      assert.equal(n.metadata.labels["istio.io/dataplane-mode"], "ambient", `${name}/${ns} ambient`);
    }
    for (const ns of ["agents", "tools"]) {
      const wp = find("Gateway", ns, "waypoint");
      assert.equal(wp?.spec.gatewayClassName, "istio-waypoint", `${name}/${ns} waypoint`);
    }

    const eastWest = find("Gateway", "istio-system", "istio-eastwestgateway");
    const remote = objects.filter((o) => o.kind === "Secret" && o.metadata.name.startsWith("istio-remote-secret-"));
    if (!multi) {
      assert.equal(eastWest, undefined, `${name}: no east-west gateway in a single-cluster stack`);
      assert.deepEqual(remote, []);
      continue;
    }
    assert.equal(eastWest?.spec.gatewayClassName, "istio-east-west");
    assert.equal(eastWest.metadata.labels["topology.istio.io/network"], network);
    // Pulumi waits for its load balancer address; on k3s ServiceLB (host ports) it leaves Istio's
    // status port 15021 to the inference gateway, through a Service patch Istio applies.
    const expected = gateways[name];
    assert.ok(expected, `${name}: the test states what its east-west gateway expects`);
    // …where a load balancer can give it one (not on an existing cluster that may have none).
    assert.equal(eastWest.metadata.annotations?.["pulumi.com/waitFor"], expected.waitsForAddress ? "condition=Programmed" : undefined, `${name}: waitFor`);
    const options = find("ConfigMap", "istio-system", "istio-eastwestgateway-options");
    if (expected.servicePatch) {
      assert.deepEqual(eastWest.spec.infrastructure?.parametersRef, { group: "", kind: "ConfigMap", name: "istio-eastwestgateway-options" });
      assert.deepEqual((require("js-yaml") as typeof import("js-yaml")).load(options.data.service), expected.servicePatch, `${name}: the Service patch`);
      const ew = resource(r, "kubernetes:gateway.networking.k8s.io/v1:Gateway", `${name}-istio-system-gateway-istio-eastwestgateway`);
      assert.ok(ew.dependencies.includes(resource(r, "kubernetes:core/v1:ConfigMap", `${name}-istio-system-configmap-istio-eastwestgateway-options`).urn), "the patch exists before the gateway");
    } else {
      assert.equal(eastWest.spec.infrastructure, undefined);
      assert.equal(options, undefined);
    }
    const others = clusters.filter((c) => c.name !== name).map((c) => c.name).sort();
    assert.deepEqual(remote.map((s) => s.metadata.name).sort(), others.map((o) => `istio-remote-secret-${o}`), `${name}: one per other cluster`);
    for (const other of others) {
      const s = remote.find((x) => x.metadata.name === `istio-remote-secret-${other}`) as any;
      assert.equal(s.metadata.labels["istio/multiCluster"], "true");
      assert.equal(s.metadata.annotations["networking.istio.io/cluster"], other);
      assert.equal(s.stringData, "[secret]");
      // Its kubeconfig is built from the read cluster's reader token.
      const token = resource(r, "kubernetes:core/v1:Secret", `${other}-istio-system-secret-istio-reader-service-account-istio-remote-secret-token`);
      const secretRes = resource(r, "kubernetes:core/v1:Secret", `${name}-istio-system-secret-istio-remote-secret-${other}`);
      const built = secretRes.propertyDependencies.stringData ?? [];
      assert.ok(built.includes(token.urn), `${name} reads ${other} with ${other}'s token`);
      // …and with the API server and CA of the cluster it reads, never its own: everything the
      // kubeconfig is built from belongs to the read cluster. Where the API server is a resource's
      // output (cloud clusters: the EKS cluster, the k3s server's address), it is one of them.
      const foreign = built.map(urnName).filter((n) => !n.startsWith(`${other}-`));
      assert.deepEqual(foreign, [], `${name}'s remote secret for ${other} is built only from ${other}'s resources`);
      const readSpec = clusters.find((c) => c.name === other) as any;
      if (readSpec.cloud && readSpec.cloud !== "existing") {
        assert.ok(built.some((u) => u !== token.urn), `${name}'s remote secret for ${other}: the API server comes from ${other}'s cluster resources`);
      }
      assert.ok(token.dependencies.includes(resource(r, "kubernetes:helm.sh/v3:Release", `${other}-istio-base`).urn), "token after the reader account exists");
    }
  }
  assert.equal(networks.size, clusters.length, "networks are unique per cluster");
}

test("local renders a single-cluster mesh", async () => {
  await assertMesh(renderShipped("local"), shippedPlatform("local").clusters);
});

/** Three existing clusters behind one kubeconfig: a multi-network mesh that renders without clouds. */
function threeClusterPlatform(): any {
  // A fixed path inside the repository's test cache: the path is part of the rendered config, so
  // the render cache keeps hitting, and nothing is left in the system temp dir.
  const file = path.join(repoRoot, ".test-cache", "mesh-test-kubeconfig.yaml");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const ctx = ["east", "west", "edge"];
  fs.writeFileSync(
    file,
    [
      "apiVersion: v1", "kind: Config", "clusters:",
      ...ctx.map((c) => `- {name: ${c}, cluster: {server: "https://${c}.example.com:6443", certificate-authority-data: "${Buffer.from(`${c}-ca`).toString("base64")}"}}`),
      "contexts:", ...ctx.map((c) => `- {name: ${c}, context: {cluster: ${c}, user: u}}`),
      "current-context: east", "users:", "- {name: u, user: {token: t}}", "",
    ].join("\n"),
  );
  const p = shippedPlatform("local");
  const { platform: _none, ...base } = p.clusters[0];
  // Two k3s clusters and one that declares no platform.
  p.clusters = ctx.map((c, i) => ({ ...base, name: c, network: `net-${c}`, kubeconfig: file, context: c, ...(i < 2 ? { platform: "k3s" } : {}) }));
  for (const m of p.models) m.clusters = ctx;
  return p;
}

test("three clusters: a multi-network mesh with east-west gateways and pairwise remote secrets", async () => {
  const platform = threeClusterPlatform();
  const r = renderPlatform("mesh3", platform);
  assert.equal(r.run.code, 0, r.run.stderr);
  // east and west declare k3s (ServiceLB gives addresses); edge declares no platform, so it may
  // have no load balancer: no wait there.
  await assertMesh(r, platform.clusters, {
    east: { waitsForAddress: true, servicePatch: dropStatusPort },
    west: { waitsForAddress: true, servicePatch: dropStatusPort },
    edge: { waitsForAddress: false },
  });
  const edge = r.releases("edge").find((x) => x.name === "istio-cni")!.values as any;
  assert.equal(edge.global.platform, undefined, "no platform for a cluster that declares none");
  const failures: string[] = [];
  for (const { cluster, object } of r.allObjects()) {
    const res = await validateObject(object);
    if (!res.ok) failures.push(`${cluster} ${object.kind} ${object.metadata.namespace}/${object.metadata.name}: ${res.errors.join("; ")}`);
  }
  assert.deepEqual(failures, []);
});

test("prod renders the multi-network mesh on every cluster", async () => {
  // Cloud clusters all get load balancer addresses; gcp-usc1 is k3s on GCP VMs (ServiceLB); the
  // EKS clusters' gateways are NLBs (the cloud provider would make a Classic ELB otherwise).
  await assertMesh(renderShipped("prod"), shippedPlatform("prod").clusters, {
    "aws-use1": { waitsForAddress: true, servicePatch: awsNlb },
    "aws-euw1": { waitsForAddress: true, servicePatch: awsNlb },
    "gcp-usc1": { waitsForAddress: true, servicePatch: dropStatusPort },
  });
});
