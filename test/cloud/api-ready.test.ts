/**
 * The k3s API readiness gate: it returns once `/readyz` answers 200 over TLS verified against the
 * cluster CA, reports the last answer when the API never gets ready, and gates the provider.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { apiReadyProvider, serverVersionProvider, waitForApiReady, waitForServerVersion } from "../../components/cloud/api-ready";
import { mockPrivateKey, mockSelfSignedCert } from "../../scripts/lib/mock-crypto";
import { renderShipped } from "../support/render";

async function apiServer(answers: number[], versions: string[] = []): Promise<{ url: string; caPem: string; keyPem: string; close: () => void }> {
  const key = await mockPrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" } as never);
  const certPem = await mockSelfSignedCert({
    privateKeyPem: key.privateKeyPem,
    subject: { commonName: "k3s" },
    ipAddresses: ["127.0.0.1"],
    validityPeriodHours: 24 * 3650,
    isCaCertificate: true,
    allowedUses: ["cert_signing", "digital_signature", "server_auth"],
  } as never);
  let i = 0;
  let v = 0;
  const server = https.createServer({ key: key.privateKeyPem, cert: certPem }, (req, res) => {
    if (req.url === "/version" && versions.length) {
      res.statusCode = 200;
      res.end(JSON.stringify({ major: "1", gitVersion: versions[Math.min(v++, versions.length - 1)] }));
      return;
    }
    res.statusCode = req.url === "/readyz" ? answers[Math.min(i++, answers.length - 1)] : 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}/readyz`, caPem: certPem, keyPem: key.privateKeyPem, close: () => server.close() };
}

test("waits through 503s until /readyz answers 200, verifying the server against the cluster CA", async () => {
  const api = await apiServer([503, 503, 200]);
  try {
    await waitForApiReady({ url: api.url, caPem: api.caPem, certPem: api.caPem, keyPem: api.keyPem, timeoutSeconds: 10, intervalSeconds: 0.05 });
  } finally {
    api.close();
  }
});

test("an API that never gets ready fails naming the URL and its last answer", async () => {
  const api = await apiServer([503]);
  try {
    await assert.rejects(
      waitForApiReady({ url: api.url, caPem: api.caPem, certPem: api.caPem, keyPem: api.keyPem, timeoutSeconds: 0.3, intervalSeconds: 0.05 }),
      /Kubernetes API https:\/\/127\.0\.0\.1:\d+\/readyz not ready after 0\.3s \(last: HTTP 503\)/,
    );
  } finally {
    api.close();
  }
});

test("a server whose certificate the cluster CA did not sign is never taken for ready", async () => {
  const api = await apiServer([200]);
  const other = await apiServer([200]);
  try {
    await assert.rejects(
      waitForApiReady({ url: api.url, caPem: other.caPem, certPem: api.caPem, keyPem: api.keyPem, timeoutSeconds: 0.2, intervalSeconds: 0.05 }),
      /not ready after/,
    );
  } finally {
    api.close();
    other.close();
  }
});

test("prod: the k3s cluster's Kubernetes provider waits for its API to be ready", async () => {
  const prod = await renderShipped("prod");
  const gate = prod.resources.find((r) => r.type === "pulumi-nodejs:dynamic:Resource" && r.urn.endsWith("::gcp-usc1-api-ready"));
  assert.ok(gate, "no readiness gate for gcp-usc1");
  assert.match(String(gate.inputs.url), /^https:\/\/[\d.]+:6443\/readyz$/);
  const provider = prod.resources.find((r) => r.type === "pulumi:providers:kubernetes" && r.urn.endsWith("::gcp-usc1-k8s"));
  assert.ok(provider?.dependencies?.includes(gate.urn), "the gcp-usc1 provider does not depend on its readiness gate");
});

test("the upgrade gate waits until /version reports the pinned k3s, and names what the server runs when it never does", async () => {
  const api = await apiServer([200], ["v1.33.5+k3s1", "v1.33.5+k3s1", "v1.34.1+k3s1"]);
  const probe = (version: string, timeoutSeconds: number) => ({ url: api.url.replace(/readyz$/, "version"), caPem: api.caPem, certPem: api.caPem, keyPem: api.keyPem, version, timeoutSeconds, intervalSeconds: 0.05 });
  try {
    await waitForServerVersion(probe("v1.34.1+k3s1", 10));
    await assert.rejects(waitForServerVersion(probe("v1.35.0+k3s1", 0.2)), /did not report v1\.35\.0\+k3s1 within 0\.2s \(last: the server runs v1\.34\.1\+k3s1\)/);
  } finally {
    api.close();
  }
});

test("the gates wait again for a new server: a new VM behind the same static address replaces ApiReady; a new version updates the version gate", async () => {
  const probe = { url: "https://34.1.2.3:6443/readyz", serverId: "111", caPem: "", certPem: "", keyPem: "", timeoutSeconds: 1, intervalSeconds: 1 };
  assert.deepEqual(await apiReadyProvider.diff!("id", probe, { ...probe }), { changes: false, replaces: [], deleteBeforeReplace: true });
  assert.deepEqual(await apiReadyProvider.diff!("id", probe, { ...probe, serverId: "222" }), { changes: true, replaces: ["serverId"], deleteBeforeReplace: true });
  const gate = { url: "https://34.1.2.3:6443/version", caPem: "", certPem: "", keyPem: "", version: "v1.33.5+k3s1", timeoutSeconds: 1, intervalSeconds: 1 };
  assert.deepEqual(await serverVersionProvider.diff!("id", gate, { ...gate, version: "v1.34.1+k3s1" }), { changes: true, replaces: [] });
  assert.deepEqual(await serverVersionProvider.diff!("id", gate, { ...gate }), { changes: false, replaces: [] });
});
