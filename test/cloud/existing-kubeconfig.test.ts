/**
 * An existing cluster's kubeconfig path: the provider gets it as written and pulumi-kubernetes
 * expands `~/` itself, so the program must read the file the provider will (the same home
 * directory), and only paths that name one file wherever Pulumi runs are taken.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parsePlatform } from "../../infra/config";
import { expandHome } from "../../components/cloud/existing";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";
import { tempDir } from "../support/tmp";

/** The home Go's user.Current() gives pulumi-kubernetes: the password database's, else $HOME. */
function passwdHome(): string | undefined {
  try {
    return os.userInfo().homedir;
  } catch {
    return undefined;
  }
}

test("~/ is the home directory pulumi-kubernetes expands it to (the account's, not a HOME override)", () => {
  const saved = process.env.HOME;
  const fake = tempDir("im-home-");
  // A kubeconfig only under the overridden HOME: the provider would not read it.
  fs.mkdirSync(path.join(fake, ".kube"));
  fs.writeFileSync(path.join(fake, ".kube", "config"), "apiVersion: v1\nkind: Config\ncontexts:\n- name: only-in-fake-home\n  context: {cluster: c}\nclusters:\n- name: c\n  cluster: {server: https://10.0.0.1:6443}\n");
  try {
    process.env.HOME = fake;
    const home = passwdHome() ?? fake;
    assert.equal(expandHome("~/.kube/config"), path.join(home, ".kube", "config"));
    assert.equal(expandHome("~"), home);
    assert.equal(expandHome("/etc/k3s.yaml"), "/etc/k3s.yaml");
    if (home !== fake) {
      // The program validates the file the provider will read, not the one under $HOME.
      const p = shippedPlatform("local");
      Object.assign(p.clusters[0], { kubeconfig: "~/.kube/config", context: "only-in-fake-home" });
      const read = path.join(home, ".kube", "config");
      if (fs.existsSync(read)) assert.match(problemsOf(p).join("\n"), /has no context 'only-in-fake-home'/);
      else {
        // Not on this machine: nothing to check. A context only the $HOME file lacks tells the two
        // apart (the one it has would pass whichever file were read).
        p.clusters[0].context = "not-in-fake-home";
        assert.doesNotThrow(() => parsePlatform(p, "local"), "not on this machine: nothing to check");
      }
    }
  } finally {
    process.env.HOME = saved;
  }
});

test("a relative or ~user/ kubeconfig path is refused naming why; absolute and ~/ paths are taken", () => {
  const local = (kubeconfig: string) => {
    const p = shippedPlatform("local");
    p.clusters[0].kubeconfig = kubeconfig;
    return p;
  };
  assert.deepEqual(problemsOf(local("kube/config")), [
    "inference-mesh:platform.clusters[0].kubeconfig: must be an absolute path or start with ~/ (such as ~/.kube/config), not 'kube/config': " +
      "pulumi up reads a relative path from infra/ (the program's and the Kubernetes provider's working directory), the offline render from the directory it is started in",
  ]);
  assert.deepEqual(problemsOf(local("~alice/.kube/config")), [
    "inference-mesh:platform.clusters[0].kubeconfig: must be an absolute path or start with ~/ (such as ~/.kube/config), not '~alice/.kube/config': " +
      "pulumi-kubernetes expands only ~/ (the home directory of whoever runs Pulumi), not ~user/; write that user's home directory out",
  ]);
  for (const ok of ["~/.kube/config", path.join(tempDir("im-kc-"), "missing-here")]) assert.doesNotThrow(() => parsePlatform(local(ok), "local"), ok);
  // In a multi-cluster stack the refused path is the one problem: no apiServer demand from a file never read.
  const p = shippedPlatform("local");
  p.clusters = [
    { ...p.clusters[0], kubeconfig: "./kubeconfig", apiServer: undefined },
    { ...p.clusters[0], name: "local-b", network: "net-local-b", kubeconfig: "/nowhere/config", apiServer: "https://b.example.internal:6443" },
  ];
  for (const m of p.models) m.clusters = ["local", "local-b"];
  assert.deepEqual(problemsOf(p).map((l) => l.split(": ")[0]), ["inference-mesh:platform.clusters[0].kubeconfig"]);
});

test("a kubeconfig here whose context pulumi-kubernetes could not use is refused naming the field to fix", () => {
  // client-go's DirectClientConfig.ConfirmUsable refuses each of these, so the provider would
  // mark the cluster unreachable and `pulumi up` fail on its first object.
  const dir = tempDir("im-kc-ctx-");
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const body = "contexts:\n- {name: a, context: {cluster: ca, user: u}}\n- {name: b, context: {cluster: gone, user: u}}\nclusters:\n- {name: ca, cluster: {server: https://10.0.0.5:6443}}\n- {name: noserver, cluster: {}}\nusers:\n- {name: u, user: {token: t}}\n";
  const local = (kubeconfig: string, context?: string) => {
    const p = shippedPlatform("local");
    Object.assign(p.clusters[0], { kubeconfig, ...(context === undefined ? {} : { context }) });
    return p;
  };
  const noCurrent = write("no-current", body);
  const staleCurrent = write("stale-current", `current-context: zzz\n${body}`);
  const good = write("good", `current-context: a\n${body}`);
  const noServer = write("no-server", "current-context: c\ncontexts:\n- {name: c, context: {cluster: bare}}\nclusters:\n- {name: bare, cluster: {}}\n");
  assert.doesNotThrow(() => parsePlatform(local(good), "local"));
  assert.doesNotThrow(() => parsePlatform(local(noCurrent, "a"), "local"), "the configured context needs no current-context");
  assert.deepEqual(problemsOf(local(noCurrent)), [
    `inference-mesh:platform.clusters[0].context: kubeconfig ${noCurrent} sets no current-context, so the Kubernetes provider would have no cluster to use; set context to one of its contexts (a, b)`,
  ]);
  assert.deepEqual(problemsOf(local(staleCurrent)), [
    `inference-mesh:platform.clusters[0].context: kubeconfig ${staleCurrent}'s current-context 'zzz' is not one of its contexts (a, b), so the Kubernetes provider could not use it; set context to one of them`,
  ]);
  assert.deepEqual(problemsOf(local(good, "b")), [
    `inference-mesh:platform.clusters[0].kubeconfig: kubeconfig ${good}: context 'b' names cluster 'gone', which the file does not define (clusters: ca, noserver); the Kubernetes provider would have no API server to reach`,
  ]);
  assert.match(problemsOf(local(noServer)).join("\n"), /^inference-mesh:platform\.clusters\[0\]\.kubeconfig: kubeconfig .*: cluster 'bare' of its current context 'c' has no server/);
  assert.deepEqual(problemsOf(local(write("empty", ""))), [
    `inference-mesh:platform.clusters[0].kubeconfig: kubeconfig ${path.join(dir, "empty")} defines no contexts, so the Kubernetes provider would have no cluster to use; point kubeconfig at the cluster's kubeconfig file`,
  ]);
});
