/**
 * Real Istio plug-in CA bundles for policy tests (ECDSA P-256, made with the mock engine's
 * certificate code): a root and intermediates signed by it, so a test can hand istiod's checks
 * a bundle that loads and break it one file at a time.
 */
import { mockCertRequest, mockLocallySignedCert, mockPrivateKey, mockSelfSignedCert } from "../../scripts/lib/mock-crypto";

const CA_USES = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"];

export interface CaKeyPair {
  certPem: string;
  keyPem: string;
}

/** A self-signed root CA, its key named `name` (cached per name). */
export async function rootCa(name: string): Promise<CaKeyPair> {
  const key = await mockPrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" }, `test-ca-${name}`);
  const certPem = await mockSelfSignedCert({ privateKeyPem: key.privateKeyPem, subject: { commonName: name, organization: "Istio" }, validityPeriodHours: 87600, isCaCertificate: true, allowedUses: CA_USES });
  return { certPem, keyPem: key.privateKeyPem };
}

/** An intermediate CA `name` signed by `issuer`. */
export async function intermediateCa(name: string, issuer: CaKeyPair): Promise<CaKeyPair> {
  const key = await mockPrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" }, `test-ca-${name}`);
  const certRequestPem = await mockCertRequest({ privateKeyPem: key.privateKeyPem, subject: { commonName: name, organization: "Istio" } });
  const certPem = await mockLocallySignedCert({ certRequestPem, caPrivateKeyPem: issuer.keyPem, caCertPem: issuer.certPem, validityPeriodHours: 87600, isCaCertificate: true, allowedUses: CA_USES });
  return { certPem, keyPem: key.privateKeyPem };
}

/** The cacerts files istiod reads for `ca` under `root`, as Istio's cert tooling writes them. */
export function cacertsFilesFor(ca: CaKeyPair, root: CaKeyPair): Record<string, string> {
  return { "ca-cert.pem": ca.certPem, "ca-key.pem": ca.keyPem, "root-cert.pem": root.certPem, "cert-chain.pem": ca.certPem + root.certPem };
}
