/**
 * mesh-root-ca-shared on the content of cacerts: istiod loads a plugged-in bundle only when it is
 * complete, its CA certificate verifies to root-cert.pem through cert-chain.pem and matches its key
 * (Istio 1.30.3 pilot/pkg/bootstrap/istio_ca.go createIstioCA, security/pkg/pki/util/keycertbundle.go
 * Verify); otherwise istiod does not start. Before, only root-cert.pem's fingerprint was compared, so
 * a bundle istiod refuses passed whenever its root was the mesh's.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshRootCaShared } from "../../policy/rules/mesh-root-ca-shared";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { REL } from "./mesh-support";
import { cacertsFilesFor, intermediateCa, rootCa } from "../support/ca-bundle";

const istiod = (cluster: string) => stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", namespace: "istio-system", values: { global: { meshID: "m", network: `net-${cluster}` } } }, provider: k8sProvider(cluster) });
const cacerts = (cluster: string, stringData: unknown) =>
  stackResource({ type: "kubernetes:core/v1:Secret", name: `${cluster}-cacerts`, props: { metadata: { name: "cacerts", namespace: "istio-system" }, stringData }, provider: k8sProvider(cluster) });
const mesh = (a: unknown, b: unknown) => runStack(meshRootCaShared, [istiod("a"), istiod("b"), cacerts("a", a), cacerts("b", b)]);
const messagesOf = (r: { violations: { message: string }[] }) => r.violations.map((v) => v.message);

async function fixtures() {
  const root = await rootCa("root-1");
  const other = await rootCa("root-2");
  return { root, other, a: await intermediateCa("root-1-a", root), b: await intermediateCa("root-1-b", root), foreign: await intermediateCa("root-2-b", other) };
}

test("mesh-root-ca-shared: a bundle istiod refuses fails, naming the cluster and the file, though its root is the mesh's", async () => {
  const { root, a, b, foreign } = await fixtures();
  const good = cacertsFilesFor(a, root);
  assert.deepEqual(messagesOf(await mesh(good, cacertsFilesFor(b, root))), []);

  // An intermediate of another root under the mesh's root-cert.pem.
  const unsigned = { ...cacertsFilesFor(foreign, root), "cert-chain.pem": foreign.certPem + root.certPem };
  assert.deepEqual(messagesOf(await mesh(good, unsigned)), [
    "cluster b: istio-system/cacerts ca-cert.pem (CN=root-2-b, O=Istio) is not signed by root-cert.pem (CN=root-1, O=Istio), directly or through cert-chain.pem: istiod refuses the bundle and does not start (\"cannot verify the cert with the provided root chain\")",
  ]);
  // Another cluster's key beside this cluster's certificate.
  assert.deepEqual(messagesOf(await mesh(good, { ...cacertsFilesFor(b, root), "ca-key.pem": a.keyPem })), [
    "cluster b: istio-system/cacerts ca-key.pem is not the key of ca-cert.pem: istiod refuses the bundle and does not start (\"the cert does not match the key\")",
  ]);
  // A file left out.
  const { "ca-key.pem": _key, ...keyless } = cacertsFilesFor(b, root);
  assert.deepEqual(messagesOf(await mesh(good, keyless)), ["cluster b: istio-system/cacerts lacks ca-key.pem: istiod refuses an incomplete bundle and does not start (\"incomplete signing CA bundle detected\")"]);
  // cert-chain.pem without the intermediate: istiod starts, but workload chains stop short of the root.
  assert.match(messagesOf(await mesh(good, { ...cacertsFilesFor(b, root), "cert-chain.pem": root.certPem })).join("\n"), /^cluster b: istio-system\/cacerts cert-chain\.pem does not hold ca-cert\.pem: /);
  // An empty cacerts: istiod mints its own root, off the mesh's.
  assert.deepEqual(messagesOf(await mesh(good, {})), ["cluster b: istio-system/cacerts holds none of ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem: istiod then mints a root of its own"]);
  // Encrypted content (no passphrase): nothing to verify, no verdict on it.
  assert.deepEqual(messagesOf(await mesh(good, UNKNOWN)), []);
});

test("mesh-root-ca-shared: bundles istiod loads pass: a CA one level further down (its issuer in cert-chain.pem), the kubernetes.io/tls layout", async () => {
  const { root, a, b } = await fixtures();
  const deeper = await intermediateCa("root-1-b-issuing", b);
  const chained = { "ca-cert.pem": deeper.certPem, "ca-key.pem": deeper.keyPem, "root-cert.pem": root.certPem, "cert-chain.pem": deeper.certPem + b.certPem + root.certPem };
  assert.deepEqual(messagesOf(await mesh(cacertsFilesFor(a, root), chained)), []);
  // tls.crt is looked for first (istio_ca.go detectSigningCABundleAndCRL): tls.crt, tls.key, ca.crt; its root is ca.crt.
  const tls = { "tls.crt": b.certPem, "tls.key": b.keyPem, "ca.crt": root.certPem };
  assert.deepEqual(messagesOf(await mesh(cacertsFilesFor(a, root), tls)), []);
  const other = await rootCa("root-2");
  assert.match(messagesOf(await mesh(cacertsFilesFor(a, root), { ...tls, "ca.crt": other.certPem })).join("\n"), /tls\.crt \(CN=root-1-b, O=Istio\) is not signed by ca\.crt[\s\S]*clusters use different root CAs/);
});

test("mesh-root-ca-shared: a one-cluster mesh may leave cacerts out, but a bundle it plugs in must load", async () => {
  const { root, a, b } = await fixtures();
  assert.deepEqual(messagesOf(await runStack(meshRootCaShared, [istiod("a")])), []);
  assert.deepEqual(messagesOf(await runStack(meshRootCaShared, [istiod("a"), cacerts("a", {})])), [], "istiod self-signs: fine for one cluster");
  assert.deepEqual(messagesOf(await runStack(meshRootCaShared, [istiod("a"), cacerts("a", cacertsFilesFor(a, root))])), []);
  const broken = await runStack(meshRootCaShared, [istiod("a"), cacerts("a", { ...cacertsFilesFor(a, root), "ca-key.pem": b.keyPem })]);
  assert.deepEqual(messagesOf(broken), ["cluster a: istio-system/cacerts ca-key.pem is not the key of ca-cert.pem: istiod refuses the bundle and does not start (\"the cert does not match the key\")"]);
});
