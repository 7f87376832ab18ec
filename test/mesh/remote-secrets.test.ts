/**
 * Remote secrets, pure: every ordered pair of clusters for 1, 2 and 5 clusters, and the Secret and
 * kubeconfig shape `istioctl create-remote-secret` produces.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as yaml from "js-yaml";
import {
  remoteSecretPairs, remoteKubeconfig, remoteSecretManifest, remoteSecretName, readerTokenSecretManifest, readerServiceAccount,
} from "../../components/mesh/remote-secrets";

const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i + 1}`);

for (const n of [1, 2, 5]) {
  test(`${n} cluster(s): one remote secret per ordered pair of distinct clusters`, () => {
    const clusters = names(n);
    const pairs = remoteSecretPairs(clusters);
    assert.equal(pairs.length, n * (n - 1));
    const keys = new Set(pairs.map((p) => `${p.reader}->${p.read}`));
    assert.equal(keys.size, pairs.length, "no duplicates");
    for (const p of pairs) assert.notEqual(p.reader, p.read, "a cluster never reads itself");
    for (const reader of clusters) {
      const reads = pairs.filter((p) => p.reader === reader).map((p) => p.read).sort();
      assert.deepEqual(reads, clusters.filter((c) => c !== reader).sort(), `${reader} reads every other cluster`);
    }
  });
}

test("pairs are symmetric: if a reads b, b reads a", () => {
  const pairs = remoteSecretPairs(names(5));
  const keys = new Set(pairs.map((p) => `${p.reader}->${p.read}`));
  for (const p of pairs) assert.ok(keys.has(`${p.read}->${p.reader}`));
});

test("a duplicated cluster name is rejected", () => {
  assert.throws(() => remoteSecretPairs(["a", "b", "a"]), /duplicate cluster name 'a'/);
});

test("the remote secret: name, label, annotation and one key named after the read cluster", () => {
  const s = remoteSecretManifest("aws-euw1", "kubeconfig-text") as any;
  assert.equal(s.metadata.name, "istio-remote-secret-aws-euw1");
  assert.equal(s.metadata.name, remoteSecretName("aws-euw1"));
  assert.equal(s.metadata.namespace, "istio-system");
  assert.equal(s.metadata.labels["istio/multiCluster"], "true");
  assert.equal(s.metadata.annotations["networking.istio.io/cluster"], "aws-euw1");
  assert.deepEqual(Object.keys(s.stringData), ["aws-euw1"]);
});

test("the kubeconfig: one cluster, context and user named after the read cluster; bearer token; server and CA", () => {
  const text = remoteKubeconfig({ name: "gcp-usc1", server: "https://34.1.2.3:6443", certificateAuthorityData: "Q0E=", token: "eyJ.a.b" });
  const k = yaml.load(text) as any;
  assert.equal(k.kind, "Config");
  assert.equal(k["current-context"], "gcp-usc1");
  assert.deepEqual(k.clusters, [{ name: "gcp-usc1", cluster: { "certificate-authority-data": "Q0E=", server: "https://34.1.2.3:6443" } }]);
  assert.deepEqual(k.contexts, [{ name: "gcp-usc1", context: { cluster: "gcp-usc1", user: "gcp-usc1" } }]);
  assert.deepEqual(k.users, [{ name: "gcp-usc1", user: { token: "eyJ.a.b" } }]);
});

test("a kubeconfig without a server is an error, not a silently broken secret", () => {
  assert.throws(() => remoteKubeconfig({ name: "x", server: "", certificateAuthorityData: "Q0E=", token: "t" }), /API server URL is unknown/);
});

test("the reader token: a long-lived service-account-token Secret for istio-reader-service-account", () => {
  const t = readerTokenSecretManifest() as any;
  assert.equal(t.type, "kubernetes.io/service-account-token");
  assert.equal(t.metadata.namespace, "istio-system");
  assert.equal(t.metadata.annotations["kubernetes.io/service-account.name"], readerServiceAccount);
  assert.equal(readerServiceAccount, "istio-reader-service-account");
});
