/**
 * Mesh rules reading the namespace of an istiod Helm release that names none: pulumi-kubernetes
 * (v4.34.2 helm_release.go setDefaults, provider.go Configure) installs it into its provider's
 * default namespace (the Provider's `namespace`, else its inline kubeconfig context's, else
 * "default"), never into a namespace a rule guesses (istio-system, default).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshIdentityConsistent } from "../../policy/rules/mesh-identity-consistent";
import { meshRootCaShared } from "../../policy/rules/mesh-root-ca-shared";
import { meshMulticlusterWiring } from "../../policy/rules/mesh-multicluster-wiring";
import { kubeconfigNamespace } from "../../policy/lib/release-namespace";
import { k8sProvider, runStack, stackResource } from "../support/policy";
import { NS, REL, messages, kubeconfigFor, wiredCluster } from "./mesh-support";
import { cacertsFilesFor, intermediateCa, rootCa } from "../support/ca-bundle";

/** An inline kubeconfig whose current context names `namespace` (none when undefined). */
const kubeconfig = (cluster: string, namespace?: string) =>
  `apiVersion: v1\ncurrent-context: ${cluster}\ncontexts:\n- name: ${cluster}\n  context: {cluster: ${cluster}, user: ${cluster}${namespace ? `, namespace: ${namespace}` : ""}}\nclusters:\n- name: ${cluster}\n  cluster: {server: "https://${cluster}:6443"}\nusers:\n- name: ${cluster}\n  user: {token: t}\n`;

/** The cluster's provider with the given inputs (namespace, kubeconfig). */
const providerWith = (cluster: string, props: Record<string, unknown>) => ({ ...k8sProvider(cluster), props });

/** An istiod release that names no namespace, on a provider with the given inputs. */
const istiod = (cluster: string, providerProps: Record<string, unknown>) =>
  stackResource({ type: REL, name: `${cluster}-istiod`, props: { chart: "istiod", values: { global: { meshID: "m", network: `net-${cluster}`, multiCluster: { clusterName: cluster } } } }, provider: providerWith(cluster, providerProps) });

const cacerts = (cluster: string, namespace: string, stringData: Record<string, string>) =>
  stackResource({ type: "kubernetes:core/v1:Secret", name: `${cluster}-cacerts-${namespace}`, props: { metadata: { name: "cacerts", namespace }, stringData }, provider: k8sProvider(cluster) });

const bundle = async (cluster: string) => {
  const root = await rootCa("root-1");
  return cacertsFilesFor(await intermediateCa(`root-1-${cluster}`, root), root);
};

test("mesh-root-ca-shared: an istiod release naming no namespace mounts cacerts from its provider's default namespace", async () => {
  const [a, b] = [await bundle("a"), await bundle("b")];
  // Provider namespace istio: the cacerts beside istiod are the ones it mounts (before: istio-system was looked for).
  const onIstio = { namespace: "istio" };
  assert.deepEqual(messages(await runStack(meshRootCaShared, [istiod("a", onIstio), istiod("b", onIstio), cacerts("a", "istio", a), cacerts("b", "istio", b)])), []);
  // cacerts left in istio-system are not read there (before: passed).
  assert.deepEqual(messages(await runStack(meshRootCaShared, [istiod("a", onIstio), istiod("b", onIstio), cacerts("a", "istio", a), cacerts("b", "istio-system", b)])), [
    "cluster b has no istio/cacerts (istiod's namespace, whose cacerts it mounts): istiod would mint its own root and the cluster could not talk to the others",
  ]);
  // No provider namespace: the inline kubeconfig context's namespace, else default.
  const contextual = await runStack(meshRootCaShared, [istiod("a", { kubeconfig: kubeconfig("a", "mesh") }), istiod("b", { kubeconfig: kubeconfig("b") }), cacerts("a", "mesh", a), cacerts("b", "istio-system", b)]);
  assert.deepEqual(messages(contextual), [
    "cluster b has no default/cacerts (istiod's namespace, whose cacerts it mounts): istiod would mint its own root and the cluster could not talk to the others",
  ]);
  // A kubeconfig given as a path is not in the stack: that cluster's namespace can't be judged.
  const path = await runStack(meshRootCaShared, [istiod("a", onIstio), istiod("b", { kubeconfig: "~/.kube/config" }), cacerts("a", "istio", a)]);
  assert.deepEqual(path.violations, []);
  assert.match(path.unknown.join("\n"), /the namespace of istiod on cluster b/);
});

test("mesh-identity-consistent: the network label is read on the provider's default namespace of an istiod release naming none", async () => {
  const ns = (name: string, network: string) => stackResource({ type: NS, name: `a-ns-${name}`, props: { metadata: { name, labels: { "topology.istio.io/network": network } } }, provider: k8sProvider("a") });
  const onIstio = { namespace: "istio" };
  // istiod runs in istio, whose label disagrees; istio-system's agreeing label is not the one it reads (before: passed).
  assert.deepEqual(messages(await runStack(meshIdentityConsistent, [istiod("a", onIstio), ns("istio", "net-x"), ns("istio-system", "net-a")])), [
    "cluster a names its network inconsistently: istiod global.network=net-a, istio label topology.istio.io/network=net-x",
  ]);
  // Labelled where istiod runs: an unlabelled istio-system is no finding (before: reported).
  const unlabelled = stackResource({ type: NS, name: "a-ns-istio-system", props: { metadata: { name: "istio-system" } }, provider: k8sProvider("a") });
  assert.deepEqual(messages(await runStack(meshIdentityConsistent, [istiod("a", onIstio), ns("istio", "net-a"), unlabelled])), []);
  // The kubeconfig context's namespace, when the provider names none.
  assert.deepEqual(messages(await runStack(meshIdentityConsistent, [istiod("a", { kubeconfig: kubeconfig("a", "istio") }), ns("istio", "net-x")])), [
    "cluster a names its network inconsistently: istiod global.network=net-a, istio label topology.istio.io/network=net-x",
  ]);
});

/** Clusters a and b wired as the program wires them, their istiods naming no namespace, on providers with these inputs. */
const wiredOn = (providerProps: (cluster: string) => Record<string, unknown>) =>
  ["a", "b"].flatMap((cluster) =>
    wiredCluster(cluster, [cluster === "a" ? "b" : "a"]).map((r) => {
      if (r.name !== `${cluster}-istiod`) return r;
      const { namespace: _dropped, ...props } = r.props;
      return stackResource({ type: REL, name: r.name, props, provider: providerWith(cluster, providerProps(cluster)) });
    }),
  );
/** The cluster's kubeconfig (as its own provider reaches it) with its context naming `namespace`. */
const withContextNamespace = (cluster: string, namespace: string) => kubeconfigFor(cluster).replace(`    cluster: ${cluster}\n`, `    cluster: ${cluster}\n    namespace: ${namespace}\n`);

test("mesh-multicluster-wiring: an istiod release naming no namespace reads remote secrets in its provider's default namespace", async () => {
  // Remote secrets in istio-system, where the provider installs istiod (before: looked for in default, each cluster reported).
  assert.deepEqual(messages(await runStack(meshMulticlusterWiring, wiredOn((c) => ({ namespace: "istio-system", kubeconfig: kubeconfigFor(c) })))), []);
  assert.deepEqual(messages(await runStack(meshMulticlusterWiring, wiredOn((c) => ({ kubeconfig: withContextNamespace(c, "istio-system") })))), []);
  // A provider defaulting to istio: istiod there never reads the istio-system secrets.
  const elsewhere = messages(await runStack(meshMulticlusterWiring, wiredOn((c) => ({ namespace: c === "a" ? "istio" : "istio-system", kubeconfig: kubeconfigFor(c) }))));
  assert.deepEqual(elsewhere, [
    'cluster a has no remote secret for cluster b (a Secret in istio labelled istio/multiCluster: "true" with the key b): its istiod never sees b\'s services and endpoints',
  ]);
  // A kubeconfig given as a path is not in the stack: can't judge where that istiod reads.
  const path = await runStack(meshMulticlusterWiring, wiredOn((c) => (c === "a" ? { kubeconfig: "~/.kube/config" } : { namespace: "istio-system", kubeconfig: kubeconfigFor(c) })));
  assert.deepEqual(path.violations, []);
  assert.match(path.unknown.join("\n"), /the cluster name and namespace of istiod on cluster a/);
});

test("release namespace: only an inline kubeconfig that is a YAML mapping names a context's namespace", async () => {
  assert.equal(kubeconfigNamespace(kubeconfig("a", "mesh"), undefined), "mesh");
  assert.equal(kubeconfigNamespace(kubeconfig("a"), undefined), "default");
  // A path (a YAML string), a list, a number, an empty document, text that is not YAML: no namespace to read.
  for (const text of ["~/.kube/config", "- name: a\n  context: {namespace: mesh}\n", "6443", "~\n", "contexts: [\n"]) {
    assert.equal(kubeconfigNamespace(text, undefined), undefined, text);
  }
  // On a stack: that istiod's namespace can't be judged, and nothing crashes.
  const unread = await runStack(meshRootCaShared, [istiod("a", { namespace: "istio" }), istiod("b", { kubeconfig: "contexts: [\n" }), cacerts("a", "istio", await bundle("a"))]);
  assert.deepEqual(unread.violations, []);
  assert.match(unread.unknown.join("\n"), /the namespace of istiod on cluster b/);
});
