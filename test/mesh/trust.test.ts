/**
 * The mesh's root of trust: the tls resource arguments the program computes, fed to the same
 * crypto the mock engine uses for `@pulumi/tls`, produce one root and per-cluster intermediates
 * shaped like Istio's own tooling, for 1, 2 and 5 clusters.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, webcrypto } from "node:crypto";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { mockPrivateKey, mockSelfSignedCert, mockCertRequest, mockLocallySignedCert } from "../../scripts/lib/mock-crypto";
import {
  CaSpec, caKeyArgs, rootCertArgs, intermediateRequestArgs, intermediateCertArgs, certChain, certFingerprintSha256, istiodSan, cacertsManifest, cacertsFiles,
} from "../../components/mesh/trust";
import * as pulumi from "@pulumi/pulumi";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ca: CaSpec = { algorithm: "ECDSA", ecdsaCurve: "P256", rsaBits: 4096, validityHours: 87600, protectRoot: true };

async function issue(clusters: string[]) {
  const keyArgs = caKeyArgs(ca) as { algorithm: "ECDSA"; ecdsaCurve: "P256" };
  const rootKey = await mockPrivateKey(keyArgs);
  const rootPem = await mockSelfSignedCert({ ...(rootCertArgs(ca) as any), privateKeyPem: rootKey.privateKeyPem });
  const intermediates = new Map<string, string>();
  const intermediateKeys = new Map<string, string>();
  for (const cluster of clusters) {
    const key = await mockPrivateKey(keyArgs);
    intermediateKeys.set(cluster, key.privateKeyPem);
    const csr = await mockCertRequest({ ...(intermediateRequestArgs(cluster) as any), privateKeyPem: key.privateKeyPem });
    intermediates.set(
      cluster,
      await mockLocallySignedCert({ ...(intermediateCertArgs(ca) as any), certRequestPem: csr, caCertPem: rootPem, caPrivateKeyPem: rootKey.privateKeyPem }),
    );
  }
  return { rootPem, intermediates, intermediateKeys, rootKeyPem: rootKey.privateKeyPem };
}

const ext = <T>(cert: x509.X509Certificate, type: new (...a: any[]) => T) => cert.getExtension(type as any) as T | null;

for (const n of [1, 2, 5]) {
  test(`${n} cluster(s): every intermediate is a CA signed by the one shared root, with Istio's shape`, async () => {
    const clusters = Array.from({ length: n }, (_, i) => `cluster-${i + 1}`);
    const { rootPem, intermediates } = await issue(clusters);
    const root = new x509.X509Certificate(rootPem);
    assert.equal(root.subject, "CN=Root CA, O=Istio");
    assert.ok(await root.verify({ signatureOnly: true }), "root is self-signed");
    const rootBc = ext(root, x509.BasicConstraintsExtension)!;
    assert.equal(rootBc.ca, true);
    // At most one CA (the cluster intermediate) between the root and a workload certificate.
    assert.equal(rootBc.pathLength, 1);

    assert.equal(intermediates.size, n);
    const keys = new Set<string>();
    for (const [cluster, pem] of intermediates) {
      const cert = new x509.X509Certificate(pem);
      assert.equal(cert.issuer, root.subject, `${cluster} issued by the root`);
      assert.ok(await cert.verify({ publicKey: root.publicKey, signatureOnly: true }), `${cluster} signature verifies with the root key`);
      const chain = await new x509.X509ChainBuilder({ certificates: [root] }).build(cert);
      assert.deepEqual([...chain].map((c) => c.subject), [cert.subject, root.subject]);
      assert.equal(cert.subject, `CN=Intermediate CA, O=Istio, L=${cluster}`);
      const bc = ext(cert, x509.BasicConstraintsExtension)!;
      assert.equal(bc.ca, true);
      assert.equal(bc.critical, true);
      const ku = ext(cert, x509.KeyUsagesExtension)!;
      assert.ok(ku.usages & x509.KeyUsageFlags.keyCertSign, "may sign workload certificates");
      const san = ext(cert, x509.SubjectAlternativeNameExtension)!;
      assert.deepEqual(san.names.toJSON(), [{ type: "dns", value: istiodSan }]);
      keys.add(Buffer.from(cert.publicKey.rawData).toString("base64"));
      const chainPem = certChain(pem, rootPem);
      assert.equal(chainPem.match(/BEGIN CERTIFICATE/g)?.length, 2);
      assert.ok(chainPem.startsWith(pem.trim()), "cert-chain.pem starts with the intermediate");
    }
    assert.equal(keys.size, n, "each cluster has its own intermediate key");
  });
}

test("the intermediates ask for pathlen 0; the provider drops a zero path length, so the root's pathlen 1 carries the limit", () => {
  assert.equal(intermediateCertArgs(ca).maxPathLength, 0);
  assert.equal(rootCertArgs(ca).maxPathLength, 1);
  assert.equal(rootCertArgs(ca).isCaCertificate, true);
  assert.equal(intermediateCertArgs(ca).isCaCertificate, true);
});

test("CA keys follow mesh.ca; RSA keys carry Istio's keyEncipherment usage, ECDSA keys do not", () => {
  assert.deepEqual(caKeyArgs({ ...ca, algorithm: "RSA", rsaBits: 4096 }), { algorithm: "RSA", rsaBits: 4096 });
  assert.deepEqual(caKeyArgs(ca), { algorithm: "ECDSA", ecdsaCurve: "P256" });
  assert.ok((rootCertArgs({ ...ca, algorithm: "RSA" }).allowedUses as string[]).includes("key_encipherment"));
  assert.ok(!(rootCertArgs(ca).allowedUses as string[]).includes("key_encipherment"));
  for (const uses of [rootCertArgs(ca).allowedUses, intermediateCertArgs(ca).allowedUses] as string[][]) {
    assert.ok(uses.includes("cert_signing"));
  }
});

test("fingerprints are of the DER, independent of PEM line breaks", async () => {
  const { rootPem } = await issue([]);
  const der = new x509.X509Certificate(rootPem).rawData;
  const expected = Buffer.from(await webcrypto.subtle.digest("SHA-256", der)).toString("hex");
  assert.equal(certFingerprintSha256(rootPem), expected);
  assert.equal(certFingerprintSha256(rootPem.replace(/\n/g, "\r\n")), expected);
});

test("cacerts: the fingerprint annotations are one output each, so a preview with unknown certificates still shows the Secret's metadata", () => {
  const m = cacertsManifest("c", { intermediateCertPem: pulumi.output("i"), intermediateKeyPem: pulumi.output("k"), rootCertPem: pulumi.output("r") }) as any;
  assert.ok(!pulumi.Output.isInstance(m.metadata.annotations), "the annotation map itself is known");
  assert.deepEqual(Object.keys(m.metadata.annotations).sort(), ["inference-mesh.io/ca-cert-sha256", "inference-mesh.io/root-cert-sha256"]);
});

/**
 * What istiod does with the files (istio@1.30.3 tools/certs/Makefile.selfsigned.mk: `ca-cert.pem`
 * is signed from a CSR made with `ca-key.pem`; `cert-chain.pem` is `ca-cert.pem` then the root;
 * `root-cert.pem` the root): it signs with ca-key.pem under ca-cert.pem, so the two must be a
 * pair, and workloads trust root-cert.pem. The Secret renders its data as `[secret]`, so the
 * mapping is checked here, on real certificates.
 */
async function assertCacertsFiles(files: Record<string, string>, expected: { intermediatePem: string; keyPem: string; rootPem: string; rootKeyPem: string }) {
  assert.deepEqual(Object.keys(files).sort(), ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
  const spki = (pem: string) => Buffer.from(new x509.X509Certificate(pem).publicKey.rawData).toString("base64");
  const keySpki = (pem: string) => createPublicKey(pem).export({ type: "spki", format: "der" }).toString("base64");
  const caCert = new x509.X509Certificate(files["ca-cert.pem"]);
  const root = new x509.X509Certificate(files["root-cert.pem"]);
  assert.equal(spki(files["ca-cert.pem"]), keySpki(files["ca-key.pem"]), "ca-cert.pem is the certificate of ca-key.pem");
  assert.notEqual(spki(files["ca-cert.pem"]), keySpki(expected.rootKeyPem), "ca-cert.pem is not the root");
  assert.equal(certFingerprintSha256(files["ca-cert.pem"]), certFingerprintSha256(expected.intermediatePem), "ca-cert.pem is the cluster's intermediate");
  assert.equal(files["ca-key.pem"], expected.keyPem);
  assert.equal(certFingerprintSha256(files["root-cert.pem"]), certFingerprintSha256(expected.rootPem), "root-cert.pem is the root");
  assert.ok(await root.verify({ signatureOnly: true }), "root-cert.pem is self-signed");
  assert.ok(await caCert.verify({ publicKey: root.publicKey, signatureOnly: true }), "ca-cert.pem is signed by root-cert.pem");
  const chain = files["cert-chain.pem"].match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
  assert.deepEqual(chain.map(certFingerprintSha256), [expected.intermediatePem, expected.rootPem].map(certFingerprintSha256), "cert-chain.pem: the intermediate, then the root");
}

test("cacerts files: ca-cert.pem is the intermediate of ca-key.pem, root-cert.pem the root, cert-chain.pem both in order", async () => {
  const { rootPem, rootKeyPem, intermediates, intermediateKeys } = await issue(["c"]);
  const [intermediatePem, keyPem] = [intermediates.get("c")!, intermediateKeys.get("c")!];
  const files = cacertsFiles(intermediatePem, keyPem, rootPem, certChain);
  await assertCacertsFiles({ ...files }, { intermediatePem, keyPem, rootPem, rootKeyPem });
});

/** An Output's value, through the public API only. */
const valueOf = <T>(o: pulumi.Input<T>) => new Promise<T>((resolve) => pulumi.output(o).apply((v) => (resolve(v as T), v)));

test("cacerts Secret: built from the same mapping; only ca-key.pem is secret", async () => {
  const { rootPem, rootKeyPem, intermediates, intermediateKeys } = await issue(["c"]);
  const [intermediatePem, keyPem] = [intermediates.get("c")!, intermediateKeys.get("c")!];
  const m = cacertsManifest("c", { intermediateCertPem: pulumi.output(intermediatePem), intermediateKeyPem: pulumi.output(keyPem), rootCertPem: pulumi.output(rootPem) }) as any;
  const files: Record<string, string> = {};
  for (const [file, value] of Object.entries(m.stringData)) files[file] = await valueOf(value as pulumi.Input<string>);
  await assertCacertsFiles(files, { intermediatePem, keyPem, rootPem, rootKeyPem });
  for (const [file, value] of Object.entries(m.stringData)) {
    assert.equal(await pulumi.isSecret(pulumi.output(value as pulumi.Input<string>)), file === "ca-key.pem", `${file} secret only if it is the key`);
  }
});
