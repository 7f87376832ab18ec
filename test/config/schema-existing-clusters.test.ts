/**
 * The platform config schema, existing clusters: the kubeconfig read at validation, the API server URL the
 * other clusters' istiod reach each one at, and one API server per cluster. Each broken config is
 * rejected with a message naming its config path (expectProblem, ./support).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parsePlatform } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { tempDir } from "../support/tmp";
import { expectProblem, pathsOf } from "./support";

test("existing clusters of a multi-cluster stack: an API server URL the others can use, never loopback, every cluster named", () => {
  const dir = tempDir("apiserver-");
  const loopback = path.join(dir, "loopback");
  fs.writeFileSync(loopback, "contexts:\n- name: laptop\n  context: {cluster: k3s}\ncurrent-context: laptop\nclusters:\n- name: k3s\n  cluster: {server: https://127.0.0.1:6443}\n");
  const lan = path.join(dir, "lan");
  fs.writeFileSync(lan, "contexts:\n- name: laptop\n  context: {cluster: k3s}\ncurrent-context: laptop\nclusters:\n- name: k3s\n  cluster: {server: https://192.168.1.20:6443}\n");
  const pair = (a: Record<string, unknown>, b: Record<string, unknown>) => {
    const p = shippedPlatform("local");
    const first = { ...p.clusters[0], ...a };
    const second = { ...p.clusters[0], name: "local-b", network: "net-local-b", ...b };
    p.clusters = [first, second];
    return p;
  };
  const missing = path.join(dir, "no-such-kubeconfig");
  // Compliant: apiServer set, or a kubeconfig server that is not loopback; one cluster needs neither.
  assert.doesNotThrow(() => parsePlatform(pair({ kubeconfig: missing, apiServer: "https://a.example.internal:6443" }, { kubeconfig: lan }), "pair"));
  const single = shippedPlatform("local");
  single.clusters[0].kubeconfig = loopback;
  assert.doesNotThrow(() => parsePlatform(single, "local"));
  // Violating: unreadable here without apiServer (both clusters named), and loopback either way.
  const both = pair({ kubeconfig: missing }, { kubeconfig: `${missing}-b` });
  assert.deepEqual(pathsOf(both), ["clusters[0].apiServer", "clusters[1].apiServer"]);
  expectProblem(both, "inference-mesh:platform.clusters[1].apiServer", /is required in a multi-cluster stack here: the kubeconfig .* is not on this machine/);
  expectProblem(pair({ kubeconfig: lan }, { kubeconfig: loopback }), "inference-mesh:platform.clusters[1].apiServer", /'https:\/\/127\.0\.0\.1:6443' \(the kubeconfig's server for its current context\) is a loopback address/);
  expectProblem(pair({ kubeconfig: lan, apiServer: "https://localhost:6443" }, { kubeconfig: lan }), "inference-mesh:platform.clusters[0].apiServer", /'https:\/\/localhost:6443' \(apiServer\) is a loopback address/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("two existing clusters on one API server (one kubeconfig and context, one server, one apiServer) are refused on the later one", () => {
  const dir = tempDir("one-apiserver-");
  const kubeconfig = path.join(dir, "kubeconfig");
  const contexts = (names: string[], server: (n: string) => string) =>
    `contexts:\n${names.map((n) => `- name: ${n}\n  context: {cluster: ${n}}\n`).join("")}current-context: ${names[0]}\nclusters:\n${names.map((n) => `- name: ${n}\n  cluster: {server: "${server(n)}"}\n`).join("")}`;
  fs.writeFileSync(kubeconfig, contexts(["east", "west"], (n) => `https://${n}.example.internal:6443`));
  const aliases = path.join(dir, "aliases");
  fs.writeFileSync(aliases, contexts(["east", "admin"], () => "https://east.example.internal:6443"));
  const missing = path.join(dir, "not-here");
  const pair = (a: Record<string, unknown>, b: Record<string, unknown>) => {
    const p = shippedPlatform("local");
    p.clusters = [{ ...p.clusters[0], ...a }, { ...p.clusters[0], name: "local-b", network: "net-local-b", ...b }];
    return p;
  };
  // Two contexts of one file, and two files not here, each with its own apiServer: two clusters.
  assert.doesNotThrow(() => parsePlatform(pair({ kubeconfig, context: "east" }, { kubeconfig, context: "west" }), "pair"));
  assert.doesNotThrow(() => parsePlatform(pair({ kubeconfig: missing, apiServer: "https://a.example.internal:6443" }, { kubeconfig: `${missing}-b`, apiServer: "https://b.example.internal:6443" }), "pair"));
  const oneCluster = /is also what clusters\[0\] \('local'\) deploys to: both would be installed there as mesh clusters of their own \(Helm refuses the second release 'istiod' in istio-system/;
  // One file and context, read here or not: whatever apiServer says, the program deploys both there.
  const sameHere = pair({ kubeconfig, context: "east" }, { kubeconfig, context: "east", apiServer: "https://b.example.internal:6443" });
  assert.deepEqual(pathsOf(sameHere), ["clusters[1].kubeconfig"]);
  expectProblem(sameHere, "inference-mesh:platform.clusters[1].kubeconfig", oneCluster);
  const apis = { a: { apiServer: "https://a.example.internal:6443" }, b: { apiServer: "https://b.example.internal:6443" } };
  expectProblem(pair({ kubeconfig: missing, ...apis.a }, { kubeconfig: missing, ...apis.b }), "inference-mesh:platform.clusters[1].kubeconfig", oneCluster);
  // The current context named or left implicit is the same context when the file is here: its server says so.
  expectProblem(pair({ kubeconfig: aliases }, { kubeconfig: aliases, context: "admin" }), "inference-mesh:platform.clusters[1].kubeconfig", /\(context 'admin'\) reaches https:\/\/east\.example\.internal:6443, the API server of clusters\[0\] \('local'\)/);
  // Two clusters the others' istiod would reach at one URL.
  const sameApi = pair({ kubeconfig: missing, ...apis.a }, { kubeconfig: `${missing}-b`, ...apis.a });
  assert.deepEqual(pathsOf(sameApi), ["clusters[1].apiServer"]);
  expectProblem(sameApi, "inference-mesh:platform.clusters[1].apiServer", /'https:\/\/a\.example\.internal:6443' \(apiServer\) is also where the other clusters' istiod reach clusters\[0\] \('local'\).*give each existing cluster the URL of its own API server/);
  // One cluster's apiServer is the server another one's kubeconfig reaches.
  const crossed = pair({ kubeconfig: missing, apiServer: "https://west.example.internal:6443" }, { kubeconfig, context: "west" });
  assert.deepEqual(pathsOf(crossed), ["clusters[1].kubeconfig"]);
  expectProblem(crossed, "inference-mesh:platform.clusters[1].kubeconfig", /'https:\/\/west\.example\.internal:6443' \(the server of .* \(context 'west'\)\) is also where the other clusters' istiod reach clusters\[0\] \('local'\)/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("one API server spelt two ways (host case, a trailing dot or '/', port 443 written or not, a kubeconfig path with '..') is still one", () => {
  const dir = tempDir("one-apiserver-spelt-");
  const kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(kubeconfig, "contexts:\n- name: east\n  context: {cluster: east}\ncurrent-context: east\nclusters:\n- name: east\n  cluster: {server: \"east.example.internal:6443\"}\n");
  const missing = path.join(dir, "not-here");
  const pair = (a: Record<string, unknown>, b: Record<string, unknown>) => {
    const p = shippedPlatform("local");
    p.clusters = [{ ...p.clusters[0], ...a }, { ...p.clusters[0], name: "local-b", network: "net-local-b", ...b }];
    return p;
  };
  for (const [first, second] of [
    ["https://a.example.internal:6443", "https://A.Example.Internal:6443/"],
    ["https://a.example.internal:6443", "https://a.example.internal.:6443"],
    ["https://a.example.internal", "https://a.example.internal:443/"],
  ]) {
    const p = pair({ kubeconfig: missing, apiServer: first }, { kubeconfig: `${missing}-b`, apiServer: second });
    assert.deepEqual(pathsOf(p), ["clusters[1].apiServer"], `${first} / ${second}`);
    expectProblem(p, "inference-mesh:platform.clusters[1].apiServer", /is also where the other clusters' istiod reach clusters\[0\] \('local'\)/);
  }
  // A kubeconfig's bare host:port is https, as client-go reads it: the same server as an apiServer URL.
  const bare = pair({ kubeconfig: missing, apiServer: "https://EAST.example.internal:6443" }, { kubeconfig });
  expectProblem(bare, "inference-mesh:platform.clusters[1].kubeconfig", /is also where the other clusters' istiod reach clusters\[0\] \('local'\)/);
  // One file by two paths is one file and context, deployed to twice.
  const twoPaths = pair({ kubeconfig: missing, apiServer: "https://a.example.internal:6443" }, { kubeconfig: path.join(dir, "sub", "..", "not-here"), apiServer: "https://b.example.internal:6443" });
  expectProblem(twoPaths, "inference-mesh:platform.clusters[1].kubeconfig", /is also what clusters\[0\] \('local'\) deploys to/);
  // Servers that differ in port or path prefix are two.
  assert.doesNotThrow(() => parsePlatform(pair({ kubeconfig: missing, apiServer: "https://a.example.internal:6443" }, { kubeconfig: `${missing}-b`, apiServer: "https://a.example.internal:7443" }), "pair"));
  assert.doesNotThrow(() => parsePlatform(pair({ kubeconfig: missing, apiServer: "https://proxy.example.internal/a" }, { kubeconfig: `${missing}-b`, apiServer: "https://proxy.example.internal/b" }), "pair"));
  fs.rmSync(dir, { recursive: true, force: true });
});

test("an apiServer with a user:password@ or port 0 is refused: it lands in plaintext in the config and the endpoint output", () => {
  const p = shippedPlatform("local");
  p.clusters[0].apiServer = "https://admin:s3cret@k3s.example.internal:6443";
  expectProblem(p, "inference-mesh:platform.clusters[0].apiServer", /must not carry credentials \(user:password@\): it is kept in plaintext in the stack config and the clusters\[\]\.endpoint output, and Kubernetes has had no basic authentication since 1\.19/);
  p.clusters[0].apiServer = "https://k3s.example.internal:0";
  expectProblem(p, "inference-mesh:platform.clusters[0].apiServer", /has port 0; an API server URL's port is 1 to 65535/);
  p.clusters[0].apiServer = "https://k3s.example.internal:6443";
  assert.doesNotThrow(() => parsePlatform(p, "local"));
});

test("an apiServer with a query string or fragment is refused: client-go keeps scheme, host, port and path prefix only", () => {
  const p = shippedPlatform("local");
  for (const url of ["https://k3s.example.internal:6443?timeout=5s", "https://k3s.example.internal:6443/#main", "https://k3s.example.internal:6443?", "https://proxy.example.internal/k3s#"]) {
    p.clusters[0].apiServer = url;
    assert.deepEqual(pathsOf(p), ["clusters[0].apiServer"], url);
    expectProblem(p, "inference-mesh:platform.clusters[0].apiServer", /must not have a query string or fragment \('\?…' or '#…'\): a Kubernetes client \(client-go's rest config Host\) keeps only scheme, host, port and an optional path prefix/);
  }
  // A path prefix (a proxy in front of the API server) is what client-go does keep.
  p.clusters[0].apiServer = "https://proxy.example.internal/k3s";
  assert.doesNotThrow(() => parsePlatform(p, "local"));
});

test("a loopback kubeconfig server in another spelling (bare 127.0.0.1:6443, which client-go reads as https; localhost.) is still loopback", () => {
  const dir = tempDir("loopback-spelt-");
  const lan = path.join(dir, "lan");
  fs.writeFileSync(lan, "contexts:\n- name: laptop\n  context: {cluster: k3s}\ncurrent-context: laptop\nclusters:\n- name: k3s\n  cluster: {server: https://192.168.1.20:6443}\n");
  for (const server of ["127.0.0.1:6443", "localhost:6443", "https://localhost.:6443"]) {
    const file = path.join(dir, "loopback");
    fs.writeFileSync(file, `contexts:\n- name: laptop\n  context: {cluster: k3s}\ncurrent-context: laptop\nclusters:\n- name: k3s\n  cluster: {server: "${server}"}\n`);
    const p = shippedPlatform("local");
    p.clusters = [{ ...p.clusters[0], kubeconfig: lan }, { ...p.clusters[0], name: "local-b", network: "net-local-b", kubeconfig: file }];
    expectProblem(p, "inference-mesh:platform.clusters[1].apiServer", new RegExp(`'${server.replace(/\./g, "\\.")}' \\(the kubeconfig's server for its current context\\) is a loopback address`));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test("an existing cluster's kubeconfig that is here is read at validation: a directory, bad YAML or a missing context names its path", () => {
  const dir = tempDir("kubeconfig-");
  const file = path.join(dir, "config");
  fs.writeFileSync(file, "apiVersion: v1\nkind: Config\ncontexts:\n- name: laptop\n  context: {cluster: k3s}\nclusters:\n- name: k3s\n  cluster: {server: https://127.0.0.1:6443}\n");
  const local = (extra: Record<string, unknown>) => {
    const p = shippedPlatform("local");
    Object.assign(p.clusters[0], extra);
    return p;
  };
  assert.doesNotThrow(() => parsePlatform(local({ kubeconfig: file, context: "laptop" }), "local"));
  expectProblem(local({ kubeconfig: file, context: "work" }), "inference-mesh:platform.clusters[0].context", /has no context 'work' \(contexts: laptop\)/);
  expectProblem(local({ kubeconfig: dir }), "inference-mesh:platform.clusters[0].kubeconfig", /is a directory, not a kubeconfig file/);
  fs.writeFileSync(path.join(dir, "broken"), "clusters: [\n");
  expectProblem(local({ kubeconfig: path.join(dir, "broken") }), "inference-mesh:platform.clusters[0].kubeconfig", /is not valid YAML/);
});

test("an existing cluster's kubeconfig that is here must give pulumi-kubernetes an API server: a context, its cluster and the cluster's server", () => {
  // pulumi-kubernetes builds its client from this one file (clientcmd.NewDefaultClientConfig), and
  // client-go's ClientConfig refuses each of these: the provider marks the cluster unreachable and
  // pulumi up fails on every object.
  const dir = tempDir("kubeconfig-usable-");
  const local = (content: string, context?: string) => {
    const file = path.join(dir, `config-${fs.readdirSync(dir).length}`);
    fs.writeFileSync(file, content);
    const p = shippedPlatform("local");
    Object.assign(p.clusters[0], { kubeconfig: file }, context === undefined ? {} : { context });
    return p;
  };
  const ctx = "contexts:\n- name: laptop\n  context: {cluster: k3s}\n";
  const cluster = "clusters:\n- name: k3s\n  cluster: {server: https://127.0.0.1:6443}\n";
  assert.doesNotThrow(() => parsePlatform(local(`${ctx}${cluster}current-context: laptop\n`), "local"));
  const at = "inference-mesh:platform.clusters[0]";
  expectProblem(local(""), `${at}.kubeconfig`, /defines no contexts, so the Kubernetes provider would have no cluster to use/);
  expectProblem(local("apiVersion: v1\nkind: Config\n"), `${at}.kubeconfig`, /defines no contexts/);
  expectProblem(local(`${ctx}${cluster}`), `${at}.context`, /sets no current-context, so the Kubernetes provider would have no cluster to use; set context to one of its contexts \(laptop\)/);
  expectProblem(local(`${ctx}${cluster}current-context: work\n`), `${at}.context`, /current-context 'work' is not one of its contexts \(laptop\)/);
  expectProblem(local(`${ctx}current-context: laptop\n`), `${at}.kubeconfig`, /its current context 'laptop' names cluster 'k3s', which the file does not define \(clusters: none\); the Kubernetes provider would have no API server to reach/);
  expectProblem(local(`${ctx}clusters:\n- name: k3s\n  cluster: {}\n`, "laptop"), `${at}.kubeconfig`, /cluster 'k3s' of context 'laptop' has no server; the Kubernetes provider would have no API server to reach/);
  expectProblem(local("contexts: {laptop: 1}\n"), `${at}.kubeconfig`, /is not a kubeconfig \(expected a mapping with clusters, contexts, users\)/);
});
