/**
 * Real keys, CSRs and certificates for the mock engine, so that what `@pulumi/tls` would compute
 * (and what istiod or k3s would later verify) can be checked offline: chains, SANs, path length.
 *
 * RSA key generation costs about a second per 4096-bit key, so keys are cached on disk
 * (`.test-cache/mock-keys`, never committed): one per logical resource name, so that two renders
 * on one machine give every key resource the same key however the config around it changed
 * (unnamed requests draw from a small pool per algorithm). Certificates and requests are cached by
 * their inputs likewise (`.test-cache/mock-certs`): ECDSA signatures are randomized, and a
 * reviewer diffing two renders must see only what the change did.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { webcrypto, createHash } from "node:crypto";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const POOL_SIZE = 8;
const cacheDir = path.join(__dirname, "..", "..", ".test-cache", "mock-keys");

type KeySpec = { algorithm: "RSA"; rsaBits: number } | { algorithm: "ECDSA"; ecdsaCurve: "P224" | "P256" | "P384" | "P521" };

interface KeyMaterial {
  privateKeyPem: string;
  publicKeyPem: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  algorithm: RsaHashedImportParams | EcKeyImportParams;
  signing: Algorithm | EcdsaParams;
}

const byPem = new Map<string, KeyMaterial>();
const byPublicDer = new Map<string, KeyMaterial>();
const pools = new Map<string, { pems: string[]; next: number }>();

function importParams(spec: KeySpec): { algorithm: RsaHashedImportParams | EcKeyImportParams; signing: Algorithm | EcdsaParams } {
  if (spec.algorithm === "RSA") {
    return { algorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, signing: { name: "RSASSA-PKCS1-v1_5" } };
  }
  const curve = `P-${spec.ecdsaCurve.slice(1)}`;
  return { algorithm: { name: "ECDSA", namedCurve: curve }, signing: { name: "ECDSA", hash: "SHA-256" } as EcdsaParams };
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function derOf(pemText: string): Buffer {
  return Buffer.from(pemText.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
}

async function load(spec: KeySpec, privateKeyPem: string): Promise<KeyMaterial> {
  const { algorithm, signing } = importParams(spec);
  const privateKey = await webcrypto.subtle.importKey("pkcs8", derOf(privateKeyPem), algorithm, true, ["sign"]);
  const jwk = await webcrypto.subtle.exportKey("jwk", privateKey);
  delete jwk.d; delete jwk.dp; delete jwk.dq; delete jwk.p; delete jwk.q; delete jwk.qi;
  jwk.key_ops = ["verify"];
  const publicKey = await webcrypto.subtle.importKey("jwk", jwk, algorithm, true, ["verify"]);
  const publicKeyPem = pem("PUBLIC KEY", await webcrypto.subtle.exportKey("spki", publicKey));
  const material = { privateKeyPem, publicKeyPem, privateKey, publicKey, algorithm, signing };
  byPem.set(privateKeyPem, material);
  byPublicDer.set(derOf(publicKeyPem).toString("base64"), material);
  return material;
}

async function generate(spec: KeySpec): Promise<string> {
  const { algorithm } = importParams(spec);
  const genAlg =
    spec.algorithm === "RSA"
      ? { ...algorithm, modulusLength: spec.rsaBits, publicExponent: new Uint8Array([1, 0, 1]) }
      : algorithm;
  const pair = (await webcrypto.subtle.generateKey(genAlg, true, ["sign", "verify"])) as CryptoKeyPair;
  return pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", pair.privateKey));
}

/** Writes `content` to `file` atomically (concurrent renders may race for the same entry). */
function writeAtomically(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

const digest = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 32);

/**
 * A private key of the requested kind: the one cached for `name` (a resource's logical name), or
 * for unnamed requests one drawn from the on-disk pool.
 */
export async function mockPrivateKey(spec: KeySpec, name?: string): Promise<KeyMaterial> {
  const kind = spec.algorithm === "RSA" ? `rsa-${spec.rsaBits}` : `ecdsa-${spec.ecdsaCurve}`;
  if (name !== undefined) {
    const file = path.join(cacheDir, kind, `${digest(name)}.pem`);
    let pemText = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    if (!pemText) {
      pemText = await generate(spec);
      writeAtomically(file, pemText);
    }
    return byPem.get(pemText) ?? load(spec, pemText);
  }
  let pool = pools.get(kind);
  if (!pool) {
    const file = path.join(cacheDir, `${kind}.json`);
    const pems: string[] = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : [];
    pool = { pems, next: 0 };
    pools.set(kind, pool);
  }
  const index = pool.next++ % POOL_SIZE;
  if (!pool.pems[index]) {
    pool.pems[index] = await generate(spec);
    writeAtomically(path.join(cacheDir, `${kind}.json`), JSON.stringify(pool.pems));
  }
  return byPem.get(pool.pems[index]) ?? load(spec, pool.pems[index]);
}

interface Subject {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  locality?: string;
  province?: string;
  country?: string;
}

function distinguishedName(subject: Subject | undefined): string {
  const parts: string[] = [];
  const esc = (v: string) => v.replace(/([,+"\\<>;=])/g, "\\$1");
  if (subject?.commonName) parts.push(`CN=${esc(subject.commonName)}`);
  if (subject?.organization) parts.push(`O=${esc(subject.organization)}`);
  if (subject?.organizationalUnit) parts.push(`OU=${esc(subject.organizationalUnit)}`);
  if (subject?.locality) parts.push(`L=${esc(subject.locality)}`);
  if (subject?.province) parts.push(`ST=${esc(subject.province)}`);
  if (subject?.country) parts.push(`C=${esc(subject.country)}`);
  return parts.join(", ") || "CN=unnamed";
}

const usageFlags: Record<string, x509.KeyUsageFlags> = {
  digital_signature: x509.KeyUsageFlags.digitalSignature,
  content_commitment: x509.KeyUsageFlags.nonRepudiation,
  key_encipherment: x509.KeyUsageFlags.keyEncipherment,
  data_encipherment: x509.KeyUsageFlags.dataEncipherment,
  key_agreement: x509.KeyUsageFlags.keyAgreement,
  cert_signing: x509.KeyUsageFlags.keyCertSign,
  crl_signing: x509.KeyUsageFlags.cRLSign,
};
const extUsages: Record<string, string> = {
  server_auth: x509.ExtendedKeyUsage.serverAuth,
  client_auth: x509.ExtendedKeyUsage.clientAuth,
};

interface CertInputs {
  validityPeriodHours: number;
  isCaCertificate?: boolean;
  maxPathLength?: number;
  allowedUses?: string[];
}

async function extensions(inputs: CertInputs, sans: x509.JsonGeneralName[], publicKey: CryptoKey): Promise<x509.Extension[]> {
  const uses = inputs.allowedUses ?? [];
  const keyUsage = uses.reduce((flags, u) => flags | (usageFlags[u] ?? 0), 0);
  const eku = uses.map((u) => extUsages[u]).filter(Boolean);
  const ext: x509.Extension[] = [];
  if (inputs.isCaCertificate) {
    // As the TLS provider does: it copies max_path_length into Go's MaxPathLen but never sets
    // MaxPathLenZero, so crypto/x509 omits a zero path length (hashicorp/terraform-provider-tls
    // internal/provider/common_cert.go). Only a positive value reaches the certificate.
    const pathLen = inputs.maxPathLength !== undefined && inputs.maxPathLength > 0 ? inputs.maxPathLength : undefined;
    ext.push(new x509.BasicConstraintsExtension(true, pathLen, true));
  }
  if (keyUsage) ext.push(new x509.KeyUsagesExtension(keyUsage, true));
  if (eku.length) ext.push(new x509.ExtendedKeyUsageExtension(eku, false));
  if (sans.length) ext.push(new x509.SubjectAlternativeNameExtension(sans, false));
  ext.push(await x509.SubjectKeyIdentifierExtension.create(publicKey));
  return ext;
}

function sanList(dnsNames?: string[], ipAddresses?: string[], uris?: string[]): x509.JsonGeneralName[] {
  return [
    ...(dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
    ...(uris ?? []).map((value) => ({ type: "url" as const, value })),
  ];
}

function serial(seed: string): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, 30).replace(/^[89a-f]/, "1");
}

function window(hours: number): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Date.UTC(2026, 0, 1));
  return { notBefore, notAfter: new Date(notBefore.getTime() + hours * 3600_000) };
}

const certCacheDir = path.join(__dirname, "..", "..", ".test-cache", "mock-certs");
/** Certificates are cached per version of the code that makes them: this file and the x509 library. */
const certCodeVersion = digest(
  fs.readFileSync(__filename, "utf8") + (JSON.parse(fs.readFileSync(require.resolve("@peculiar/x509/package.json"), "utf8")) as { version: string }).version,
);

/** The PEM `produce` makes for these inputs, made once per machine (see the header). */
async function sameForSameInputs(kind: string, inputs: unknown, produce: () => Promise<string>): Promise<string> {
  const file = path.join(certCacheDir, `${digest(`${certCodeVersion}\n${kind}\n${JSON.stringify(inputs)}`)}.pem`);
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8");
  const pemText = await produce();
  writeAtomically(file, pemText);
  return pemText;
}

async function keyOf(privateKeyPem: string): Promise<KeyMaterial> {
  const k = byPem.get(privateKeyPem);
  if (!k) throw new Error("mock tls: private key PEM was not produced by the mock engine");
  return k;
}

export async function mockSelfSignedCert(inputs: CertInputs & {
  privateKeyPem: string; subject?: Subject; dnsNames?: string[]; ipAddresses?: string[]; uris?: string[];
}): Promise<string> {
  const key = await keyOf(inputs.privateKeyPem);
  return sameForSameInputs("self-signed", inputs, async () => {
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(inputs.privateKeyPem + JSON.stringify(inputs.subject)),
      name: distinguishedName(inputs.subject),
      ...window(inputs.validityPeriodHours),
      signingAlgorithm: key.signing,
      keys: { privateKey: key.privateKey, publicKey: key.publicKey },
      extensions: await extensions(inputs, sanList(inputs.dnsNames, inputs.ipAddresses, inputs.uris), key.publicKey),
    });
    return cert.toString("pem") + "\n";
  });
}

export async function mockCertRequest(inputs: {
  privateKeyPem: string; subject?: Subject; dnsNames?: string[]; ipAddresses?: string[]; uris?: string[];
}): Promise<string> {
  const key = await keyOf(inputs.privateKeyPem);
  return sameForSameInputs("request", inputs, async () => {
    const sans = sanList(inputs.dnsNames, inputs.ipAddresses, inputs.uris);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: distinguishedName(inputs.subject),
      keys: { privateKey: key.privateKey, publicKey: key.publicKey },
      signingAlgorithm: key.signing,
      extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans, false)] : [],
    });
    return csr.toString("pem") + "\n";
  });
}

export async function mockLocallySignedCert(inputs: CertInputs & {
  certRequestPem: string; caPrivateKeyPem: string; caCertPem: string;
}): Promise<string> {
  const caKey = await keyOf(inputs.caPrivateKeyPem);
  return sameForSameInputs("locally-signed", inputs, async () => {
    const caCert = new x509.X509Certificate(inputs.caCertPem);
    const csr = new x509.Pkcs10CertificateRequest(inputs.certRequestPem);
    const subjectKey = byPublicDer.get(Buffer.from(csr.publicKey.rawData).toString("base64"));
    if (!subjectKey) throw new Error("mock tls: certificate request key was not produced by the mock engine");
    const publicKey = subjectKey.publicKey;
    const sanExt = csr.extensions.find((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
    const sans = sanExt ? sanExt.names.toJSON() : [];
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(inputs.certRequestPem),
      subject: csr.subject,
      issuer: caCert.subject,
      ...window(inputs.validityPeriodHours),
      signingAlgorithm: caKey.signing,
      publicKey,
      signingKey: caKey.privateKey,
      extensions: [
        ...(await extensions(inputs, sans, publicKey)),
        await x509.AuthorityKeyIdentifierExtension.create(caKey.publicKey),
      ],
    });
    return cert.toString("pem") + "\n";
  });
}
