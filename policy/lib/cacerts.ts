/**
 * The plugged-in CA bundle istiod loads from its `cacerts` Secret, judged as istiod judges it at
 * start (Istio 1.30.3 pilot/pkg/bootstrap/istio_ca.go createIstioCA, security/pkg/pki/util/
 * keycertbundle.go Verify, security/pkg/pki/ca/ca.go NewPluggedCertIstioCAOptions): a bundle it
 * refuses stops istiod ("failed to create an istiod CA"), so the cluster's mesh never comes up,
 * whatever root the Secret carries. Only the content matters here, which a review sees only with
 * the secret decrypted (a preview, a `--show-secrets` export, or the passphrase at hand).
 */
import type { PolicyResource } from "@pulumi/policy";
import { createHash, createPrivateKey, X509Certificate } from "crypto";
import { probe } from "./values";

/** The two layouts istiod reads: its own file names, or a kubernetes.io/tls-style Secret (tls.crt is looked for first). */
const ISTIO_FILES = { cert: "ca-cert.pem", key: "ca-key.pem", root: "root-cert.pem", chain: ["cert-chain.pem"] };
const TLS_FILES = { cert: "tls.crt", key: "tls.key", root: "ca.crt", chain: ["tls.crt", "ca.crt"] };

/**
 * The Secret's files as the kubelet mounts them (`stringData` written over `data`, which is
 * base64), or undefined when this run cannot read them (ciphertext offline, or not known yet).
 */
export function cacertsFiles(secret: PolicyResource): Record<string, string> | undefined {
  const read = probe(() => {
    const files: Record<string, string> = {};
    const data = secret.props.data as Record<string, unknown> | undefined;
    const stringData = secret.props.stringData as Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(data ?? {})) if (typeof v === "string") files[k] = Buffer.from(v, "base64").toString("utf8");
    for (const [k, v] of Object.entries(stringData ?? {})) if (typeof v === "string") files[k] = v;
    return files;
  });
  return read.known ? read.value : undefined;
}

/** The layout istiod picks for these files: the TLS one when tls.crt is there. */
const layoutOf = (files: Record<string, string>) => (files[TLS_FILES.cert] !== undefined ? TLS_FILES : ISTIO_FILES);

/** The root file istiod would read (root-cert.pem, or ca.crt in the TLS layout). */
export const rootFileOf = (files: Record<string, string>) => layoutOf(files).root;

/** The CERTIFICATE blocks of a PEM text that parse (as Go's CertPool.AppendCertsFromPEM keeps them). */
function certificates(pem: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) {
    try {
      out.push(new X509Certificate(m[0]));
    } catch {
      // skipped, as the pool skips it
    }
  }
  return out;
}

/** sha256 of the first root certificate's DER (what the trust component annotates), undefined when none parses. */
export function rootFingerprint(files: Record<string, string>): string | undefined {
  const root = certificates(files[rootFileOf(files)] ?? "")[0];
  return root && createHash("sha256").update(root.raw).digest("hex");
}

const signedBy = (cert: X509Certificate, parent: X509Certificate) => {
  try {
    return parent.ca && cert.checkIssued(parent) && cert.verify(parent.publicKey);
  } catch {
    return false;
  }
};

/** Whether `cert` chains to one of `roots` through `pool` (a certificate that is a root chains to itself). */
function chainsTo(cert: X509Certificate, pool: X509Certificate[], roots: X509Certificate[], depth = 0): boolean {
  if (roots.some((r) => r.raw.equals(cert.raw))) return true;
  if (depth > 8) return false;
  for (const parent of [...roots, ...pool]) {
    if (!signedBy(cert, parent)) continue;
    if (roots.includes(parent)) return true;
    if (chainsTo(parent, pool.filter((p) => p !== parent), roots, depth + 1)) return true;
  }
  return false;
}

/**
 * Why istiod would refuse this bundle, or what it would do wrong with it; empty when it loads.
 * A Secret with none of the files makes istiod mint its own root: that is reported when the root
 * must be `shared` (several clusters), and fine for a mesh of one.
 */
export function cacertsProblems(files: Record<string, string>, shared = true): string[] {
  const layout = layoutOf(files);
  const names = [layout.cert, layout.key, layout.root];
  const present = [...names, ...layout.chain].filter((n) => files[n] !== undefined);
  if (present.length === 0) return shared ? [`holds none of ${[...names, ...ISTIO_FILES.chain].join(", ")}: istiod then mints a root of its own`] : [];
  const missing = names.filter((n) => files[n] === undefined);
  if (!layout.chain.some((n) => files[n] !== undefined)) missing.push(layout.chain[0]);
  if (missing.length > 0) return [`lacks ${missing.join(", ")}: istiod refuses an incomplete bundle and does not start ("incomplete signing CA bundle detected")`];
  const cert = certificates(files[layout.cert])[0];
  if (!cert) return [`${layout.cert} holds no certificate istiod can parse: istiod does not start`];
  const roots = certificates(files[layout.root]);
  if (roots.length === 0) return [`${layout.root} holds no certificate istiod can parse: istiod does not start`];
  const problems: string[] = [];
  const chain = certificates(layout.chain.map((n) => files[n] ?? "").join("\n"));
  if (!chainsTo(cert, chain, roots)) {
    problems.push(`${layout.cert} (${cert.subject.replace(/\n/g, ", ")}) is not signed by ${layout.root} (${roots[0].subject.replace(/\n/g, ", ")}), directly or through ${layout.chain.join(" + ")}: istiod refuses the bundle and does not start ("cannot verify the cert with the provided root chain")`);
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(files[layout.key]))) problems.push(`${layout.key} is not the key of ${layout.cert}: istiod refuses the bundle and does not start ("the cert does not match the key")`);
  } catch {
    problems.push(`${layout.key} holds no private key istiod can parse: istiod does not start`);
  }
  if (!cert.ca) problems.push(`${layout.cert} is not a CA certificate: istiod refuses to sign with it and does not start`);
  // istiod hands every workload its certificate followed by cert-chain.pem (ca.go signWithCertChain):
  // without the signing certificate there, peers cannot link a workload certificate to the root.
  if (layout === ISTIO_FILES && !roots.some((r) => r.raw.equals(cert.raw)) && !certificates(files[ISTIO_FILES.chain[0]]).some((c) => c.raw.equals(cert.raw))) {
    problems.push(`cert-chain.pem does not hold ca-cert.pem: istiod appends cert-chain.pem to every workload certificate it signs, so peers cannot link them to the root and mTLS fails (cert-chain.pem is ca-cert.pem followed by root-cert.pem)`);
  }
  return problems;
}
