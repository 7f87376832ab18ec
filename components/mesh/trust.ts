/**
 * One root of trust for the whole mesh: a root CA and one intermediate CA per cluster, shaped
 * like the certificates of Istio's own tooling (tools/certs/Makefile.selfsigned.mk), written to
 * each cluster's `cacerts` Secret before istiod starts. Ambient needs ONE shared root (separate
 * roots fail with BadSignature across clusters, istio/istio#61719).
 *
 * Path length: the TLS provider only encodes a non-zero `maxPathLength` (it never sets Go's
 * MaxPathLenZero), so `pathlen:0` cannot be written on the intermediates. The root therefore
 * carries `pathlen:1`, which gives the same guarantee: at most one CA (the cluster
 * intermediate) between the root and any workload certificate. The intermediates still ask
 * for 0, which the provider drops today.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { PlatformConfig } from "../../infra/schema";
import { Manifest, appLabels } from "../k8s/apply";

export type CaSpec = PlatformConfig["mesh"]["ca"];

/** DNS SAN Istio's tooling puts on every intermediate: istiod serves under it. */
export const istiodSan = "istiod.istio-system.svc";
export const cacertsSecretName = "cacerts";
/** Fingerprints of the Secret's certificates, so reviewers (and tests) see one root across clusters. */
export const rootFingerprintAnnotation = "inference-mesh.io/root-cert-sha256";
export const caFingerprintAnnotation = "inference-mesh.io/ca-cert-sha256";

export function caKeyArgs(ca: CaSpec): tls.PrivateKeyArgs {
  return ca.algorithm === "RSA" ? { algorithm: "RSA", rsaBits: ca.rsaBits } : { algorithm: "ECDSA", ecdsaCurve: ca.ecdsaCurve };
}

/** Istio's CA key usages (keyEncipherment only makes sense for RSA keys). */
export function caAllowedUses(ca: CaSpec): string[] {
  return ["cert_signing", "digital_signature", "content_commitment", ...(ca.algorithm === "RSA" ? ["key_encipherment"] : [])];
}

export function rootCertArgs(ca: CaSpec): Omit<tls.SelfSignedCertArgs, "privateKeyPem"> {
  return {
    subject: { organization: "Istio", commonName: "Root CA" },
    isCaCertificate: true,
    maxPathLength: 1,
    setSubjectKeyId: true,
    validityPeriodHours: ca.validityHours,
    allowedUses: caAllowedUses(ca),
  };
}

export function intermediateRequestArgs(cluster: string): Omit<tls.CertRequestArgs, "privateKeyPem"> {
  return {
    subject: { organization: "Istio", commonName: "Intermediate CA", locality: cluster },
    dnsNames: [istiodSan],
  };
}

export function intermediateCertArgs(ca: CaSpec): Omit<tls.LocallySignedCertArgs, "certRequestPem" | "caCertPem" | "caPrivateKeyPem"> {
  return {
    isCaCertificate: true,
    maxPathLength: 0,
    setSubjectKeyId: true,
    validityPeriodHours: ca.validityHours,
    allowedUses: caAllowedUses(ca),
  };
}

const withNewline = (pem: string) => (pem.endsWith("\n") ? pem : `${pem}\n`);

/** `cert-chain.pem`: the intermediate, then the root. */
export function certChain(intermediatePem: string, rootPem: string): string {
  return withNewline(intermediatePem) + withNewline(rootPem);
}

/** SHA-256 of a PEM certificate's DER, lowercase hex. */
export function certFingerprintSha256(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
  return createHash("sha256").update(der).digest("hex");
}

/**
 * The four files of Istio's plug-in CA Secret (names: security/pkg/pki/ca/ca.go). As
 * tools/certs/Makefile.selfsigned.mk makes them: `ca-cert.pem` is the cluster's intermediate,
 * the certificate istiod signs workload certificates with, so it must be the one `ca-key.pem` is
 * the key of; `root-cert.pem` is the shared root; `cert-chain.pem` the intermediate, then the root.
 */
export interface CacertsFiles<T> {
  "ca-cert.pem": T;
  "ca-key.pem": T;
  "root-cert.pem": T;
  "cert-chain.pem": T;
}

/**
 * Which certificate goes in which file. Generic so that the Secret (Outputs, the key kept secret
 * on its own) and tests (plain PEM) share one mapping; `chain` joins an intermediate and the root.
 */
export function cacertsFiles<T>(intermediateCert: T, intermediateKey: T, rootCert: T, chain: (intermediate: T, root: T) => T): CacertsFiles<T> {
  return {
    "ca-cert.pem": intermediateCert,
    "ca-key.pem": intermediateKey,
    "root-cert.pem": rootCert,
    "cert-chain.pem": chain(intermediateCert, rootCert),
  };
}

export interface CacertsInputs {
  intermediateCertPem: pulumi.Input<string>;
  intermediateKeyPem: pulumi.Input<string>;
  rootCertPem: pulumi.Input<string>;
}

/**
 * The plug-in CA Secret istiod reads. Certificates are public and stay readable for review;
 * the intermediate's key is secret.
 */
export function cacertsManifest(cluster: string, certs: CacertsInputs): Manifest {
  const root = pulumi.output(certs.rootCertPem);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: cacertsSecretName,
      namespace: "istio-system",
      labels: appLabels({ name: "istio-ca", instance: `${cluster}-cacerts`, component: "trust" }),
      // Outputs inside a manifest are fine: the resource resolves them. One output per key, not
      // one for the map: in a preview the certificates are unknown, and an unknown map would hide
      // the Secret's whole metadata from the policies.
      annotations: {
        [rootFingerprintAnnotation]: root.apply(certFingerprintSha256),
        [caFingerprintAnnotation]: pulumi.output(certs.intermediateCertPem).apply(certFingerprintSha256),
      } as unknown as Record<string, string>,
    },
    type: "Opaque",
    // One output per file: only the key is secret, so the certificates stay readable for review.
    stringData: cacertsFiles<pulumi.Input<string>>(certs.intermediateCertPem, pulumi.secret(certs.intermediateKeyPem), certs.rootCertPem, (i, r) =>
      pulumi.all([i, r]).apply(([i, r]) => certChain(i, r)),
    ),
  };
}

export interface MeshTrustArgs {
  /** Cluster names: one intermediate each. */
  clusters: string[];
  /** Key algorithm, size and validity (`mesh.ca`). */
  ca: CaSpec;
}

export interface IntermediateCa {
  certPem: pulumi.Output<string>;
  /** Secret. */
  keyPem: pulumi.Output<string>;
}

/** The root CA and the per-cluster intermediates, computed once for the whole mesh. */
export class MeshTrust extends pulumi.ComponentResource {
  readonly rootCertPem: pulumi.Output<string>;
  readonly intermediates: Map<string, IntermediateCa>;

  constructor(name: string, args: MeshTrustArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-mesh:mesh:Trust", name, {}, opts);
    const provider = new tls.Provider(`${name}-tls`, {}, { parent: this });
    const o = { parent: this, provider };
    // The root is every cluster's trust anchor: replacing it is a mesh-wide outage (see CaSpec.protectRoot).
    const rootOpts = { ...o, protect: args.ca.protectRoot };
    const rootKey = new tls.PrivateKey(`${name}-root-ca-key`, caKeyArgs(args.ca), rootOpts);
    const root = new tls.SelfSignedCert(`${name}-root-ca`, { ...rootCertArgs(args.ca), privateKeyPem: rootKey.privateKeyPem }, rootOpts);
    this.rootCertPem = root.certPem;
    this.intermediates = new Map(
      args.clusters.map((cluster) => {
        const key = new tls.PrivateKey(`${cluster}-intermediate-ca-key`, caKeyArgs(args.ca), o);
        const csr = new tls.CertRequest(`${cluster}-intermediate-ca-csr`, { ...intermediateRequestArgs(cluster), privateKeyPem: key.privateKeyPem }, o);
        const cert = new tls.LocallySignedCert(
          `${cluster}-intermediate-ca`,
          { ...intermediateCertArgs(args.ca), certRequestPem: csr.certRequestPem, caCertPem: root.certPem, caPrivateKeyPem: rootKey.privateKeyPem },
          o,
        );
        return [cluster, { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) }];
      }),
    );
    this.registerOutputs({ rootCertPem: this.rootCertPem });
  }
}
