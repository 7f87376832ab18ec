/**
 * An existing cluster's kubeconfig is one the Kubernetes provider can use: its server is a URL the
 * client can send requests to, and a user its context names is one the file defines.
 *
 * The server:
 * client-go (rest.DefaultServerURL) takes a server with a scheme and a host as written, and adds
 * https:// (http:// without TLS) only to a bare host:port; Go's net/http then sends requests over
 * http and https only ("unsupported protocol scheme" otherwise). So a server such as
 * ftp://k3s.lan:6443 passed the render and `pulumi up` failed on the cluster's first object.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";
import { tempDir } from "../support/tmp";

const kubeconfigWith = (dir: string, name: string, server: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `current-context: c\ncontexts:\n- {name: c, context: {cluster: k, user: u}}\nclusters:\n- {name: k, cluster: {server: "${server}"}}\nusers:\n- {name: u, user: {token: t}}\n`);
  return file;
};
const local = (kubeconfig: string) => {
  const p = shippedPlatform("local");
  p.clusters[0].kubeconfig = kubeconfig;
  return p;
};

test("a kubeconfig server with a scheme other than http or https is refused at kubeconfig", () => {
  const dir = tempDir("im-kc-scheme-");
  for (const server of ["ftp://k3s.lan:6443", "tcp://10.0.0.5:6443", "htps://10.0.0.5:6443"]) {
    const file = kubeconfigWith(dir, server.split(":")[0], server);
    assert.deepEqual(problemsOf(local(file)), [
      `inference-mesh:platform.clusters[0].kubeconfig: kubeconfig ${file}: cluster 'k' of its current context 'c' has the server ${server}, ` +
        `whose scheme '${server.split(":")[0]}' no Kubernetes client speaks (client-go sends requests over https or http only); write https://<host>:<port>`,
    ]);
  }
});

test("https, http (any case) and a bare host:port, which client-go completes, pass", () => {
  const dir = tempDir("im-kc-scheme-ok-");
  for (const [i, server] of ["https://10.0.0.5:6443", "HTTPS://k3s.lan:6443", "http://127.0.0.1:8080", "127.0.0.1:6443", "localhost:6443", "k3s.lan:6443"].entries()) {
    assert.doesNotThrow(() => parsePlatform(local(kubeconfigWith(dir, `ok${i}`, server)), "local"), server);
  }
});

// A context naming a user the file does not define: client-go's ConfirmUsable does not refuse it
// (DirectClientConfig.getAuthInfo looks the user up and, unless an override names it, goes on with
// an empty one), so the provider would send every request without credentials and `pulumi up` fail
// on the cluster's first object (401 or 403). Before, the render passed it.
test("a context whose user the kubeconfig does not define is refused at kubeconfig", () => {
  const dir = tempDir("im-kc-user-");
  const file = path.join(dir, "kubeconfig");
  fs.writeFileSync(file, "current-context: c\ncontexts:\n- {name: c, context: {cluster: k, user: admin}}\nclusters:\n- {name: k, cluster: {server: https://10.0.0.5:6443}}\nusers:\n- {name: default, user: {token: t}}\n");
  assert.deepEqual(problemsOf(local(file)), [
    `inference-mesh:platform.clusters[0].kubeconfig: kubeconfig ${file}: its current context 'c' names user 'admin', which the file does not define (users: default); ` +
      "the Kubernetes provider would send its requests without credentials, and the API server refuse them",
  ]);
  const fixed = path.join(dir, "fixed");
  fs.writeFileSync(fixed, fs.readFileSync(file, "utf8").replace("user: admin", "user: default"));
  assert.doesNotThrow(() => parsePlatform(local(fixed), "local"));
});

// A context with no user at all is another case: client-go's ClientConfig, which the provider
// (and Helm, through the kubeconfig file the provider writes) builds its client with, does not
// refuse it. DirectClientConfig.ConfirmUsable validates the context's auth info and cluster, not
// the context itself: the "user was not specified for context" error of validation.go's
// validateContext is reached only through clientcmd.Validate and the package-level
// clientcmd.ConfirmUsable, which neither calls (client-go v0.36.2, pulumi-kubernetes' go.mod).
// The client then sends no credentials, which is how a kubeconfig for `kubectl proxy`
// (http://127.0.0.1:8001, the proxy adding them) is written; so it passes, as client-go takes it.
test("a context with no user at all passes, as client-go's ClientConfig takes it (a kubectl proxy kubeconfig is one)", () => {
  const dir = tempDir("im-kc-nouser-");
  for (const [i, [context, server]] of [
    ["{cluster: k}", "http://127.0.0.1:8001"],
    ["{cluster: k, user: ''}", "https://10.0.0.5:6443"],
  ].entries()) {
    const file = path.join(dir, `kubeconfig${i}`);
    fs.writeFileSync(file, `current-context: c\ncontexts:\n- {name: c, context: ${context}}\nclusters:\n- {name: k, cluster: {server: "${server}"}}\n`);
    assert.doesNotThrow(() => parsePlatform(local(file), "local"), context);
  }
});
