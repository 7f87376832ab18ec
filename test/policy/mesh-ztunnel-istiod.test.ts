/**
 * Policy tests for mesh-mtls-strict's reading of where ztunnel finds istiod (Istio 1.30.3 ztunnel
 * templates/daemonset.yaml: CA_ADDRESS and XDS_ADDRESS are istiod[-<revision>].<istioNamespace>.svc:15012
 * unless caAddress/xdsAddress are set; istio-discovery service.yaml renders istiod[-<revision>] in
 * the release's namespace).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMtlsStrict } from "../../policy/rules/mesh-mtls-strict";
import { ztunnelIstiodAddresses } from "../../policy/lib/ztunnel-istiod";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { NS, REL, provider, pa, messages } from "./mesh-support";

const release = (name: string, chart: string, values: unknown, namespace = "istio-system") => stackResource({ type: REL, name: `a-${name}`, props: { chart, namespace, values }, provider: k8sProvider("a") });
const mesh = (istiod: Record<string, unknown>, ztunnel: unknown, istiodNamespace = "istio-system") => [
  provider("a"),
  pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } }),
  release("istiod", "istiod", { profile: "ambient", ...istiod }, istiodNamespace),
  release("istio-cni", "cni", { profile: "ambient" }),
  release("ztunnel", "ztunnel", ztunnel),
  stackResource({ type: NS, name: "a-ns-tools", props: { metadata: { name: "tools", labels: { "istio.io/dataplane-mode": "ambient" } } }, provider: k8sProvider("a") }),
];

test("ztunnel's istiod address: istiod[-<revision>].<istioNamespace>.svc, global.* under the top level, explicit addresses not judged", () => {
  assert.deepEqual(ztunnelIstiodAddresses({}).map((a) => a.host), ["istiod.istio-system.svc", "istiod.istio-system.svc"]);
  assert.deepEqual(ztunnelIstiodAddresses({ revision: "1-30" }).map((a) => a.host)[0], "istiod-1-30.istio-system.svc");
  assert.deepEqual(ztunnelIstiodAddresses({ global: { revision: "1-30", istioNamespace: "mesh" } }).map((a) => a.host)[0], "istiod-1-30.mesh.svc");
  // A top-level value given wins over global.* (mergo sets a map entry even to "").
  assert.deepEqual(ztunnelIstiodAddresses({ revision: "", global: { revision: "1-30" } }).map((a) => a.host)[0], "istiod.istio-system.svc");
  assert.deepEqual(ztunnelIstiodAddresses({ xdsAddress: "istiod.remote:15012" }).map((a) => a.env), ["CA_ADDRESS"]);
  assert.deepEqual(ztunnelIstiodAddresses({ xdsAddress: "x:15012", caAddress: "x:15012" }), []);
});

test("mesh-mtls-strict: a ztunnel whose revision matches its istiod's (or that names it) passes", async () => {
  assert.deepEqual((await runStack(meshMtlsStrict, mesh({}, { profile: "ambient" }))).violations, []);
  assert.deepEqual((await runStack(meshMtlsStrict, mesh({ revision: "1-30" }, { profile: "ambient", revision: "1-30" }))).violations, []);
  assert.deepEqual((await runStack(meshMtlsStrict, mesh({ pilot: { revision: "1-30" } }, { global: { revision: "1-30" } }))).violations, []);
  assert.deepEqual((await runStack(meshMtlsStrict, mesh({ revision: "1-30" }, { xdsAddress: "istiod-1-30.istio-system.svc:15012", caAddress: "istiod-1-30.istio-system.svc:15012" }))).violations, []);
  assert.deepEqual((await runStack(meshMtlsStrict, mesh({}, { istioNamespace: "mesh" }, "mesh"))).violations, []);
  // A remote istiod renders no Service there: not judged.
  assert.deepEqual((await runStack(meshMtlsStrict, mesh({ istiodRemote: { enabled: true } }, {}))).violations, []);
});

test("mesh-mtls-strict: an istiod given a revision beside a ztunnel without it leaves ztunnel dialling a Service that does not exist", async () => {
  const result = await runStack(meshMtlsStrict, mesh({ revision: "1-30" }, { profile: "ambient" }));
  assert.deepEqual(messages(result), [
    `ztunnel release a-ztunnel on cluster a dials istiod at istiod.istio-system.svc:15012 (CA_ADDRESS and XDS_ADDRESS, built from its values.revision "" and istioNamespace), but the stack's istiod renders only Service istio-system/istiod-1-30 (release a-istiod): no such Service exists, so ztunnel gets no certificates or workload config, and every ambient pod it serves has no mTLS identity and its mesh traffic fails; set the ztunnel release's revision (and istioNamespace) to the istiod's, or its xdsAddress and caAddress (Istio 1.30.3 ztunnel templates/daemonset.yaml)`,
  ]);
  assert.equal(result.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::a-ztunnel");
  // And the other way round, and an istiod in another namespace than ztunnel's istioNamespace.
  assert.match(messages(await runStack(meshMtlsStrict, mesh({}, { revision: "1-30" }))).join("\n"), /dials istiod at istiod-1-30\.istio-system\.svc:15012 .* renders only Service istio-system\/istiod /);
  assert.match(messages(await runStack(meshMtlsStrict, mesh({}, {}, "mesh"))).join("\n"), /dials istiod at istiod\.istio-system\.svc:15012 .* Service mesh\/istiod /);
  // Only the CA address left to the chart is judged when xdsAddress is set.
  assert.match(messages(await runStack(meshMtlsStrict, mesh({ revision: "1-30" }, { xdsAddress: "istiod-1-30.istio-system.svc:15012" }))).join("\n"), /\(CA_ADDRESS, built from/);
});

test("mesh-mtls-strict: a ztunnel revision not known yet is can't judge", async () => {
  const result = await runStack(meshMtlsStrict, mesh({ revision: "1-30" }, { revision: UNKNOWN }));
  assert.deepEqual(result.violations, []);
  assert.match(result.unknown.join("\n"), /the istiod address of ztunnel release a-ztunnel on cluster a/);
});

// pulumi-kubernetes v4.34.2 helm_release.go setDefaults: a release without a namespace installs into
// its provider's default namespace (the Provider's namespace, else its kubeconfig context's, else "default").
const kubeconfig = (namespace?: string) =>
  `apiVersion: v1\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: a, user: a${namespace ? `, namespace: ${namespace}` : ""}}\nclusters:\n- name: a\n  cluster: {server: "https://a:6443"}\nusers:\n- name: a\n  user: {token: t}\n`;
const onProvider = (providerProps: Record<string, unknown>, ztunnel: unknown = {}) =>
  mesh({}, ztunnel).map((r) => {
    if (r.name !== "a-istiod") return r;
    const { namespace: _dropped, ...props } = r.props;
    return stackResource({ type: REL, name: r.name, props, provider: { ...k8sProvider("a"), props: providerProps } });
  });

test("mesh-mtls-strict: an istiod release naming no namespace installs into its provider's default namespace, not istio-system", async () => {
  assert.match(messages(await runStack(meshMtlsStrict, onProvider({ namespace: "mesh" }))).join("\n"), /dials istiod at istiod\.istio-system\.svc:15012 .* renders only Service mesh\/istiod \(release a-istiod\)/);
  assert.match(messages(await runStack(meshMtlsStrict, onProvider({ kubeconfig: kubeconfig() }))).join("\n"), /renders only Service default\/istiod \(release a-istiod\)/);
  assert.match(messages(await runStack(meshMtlsStrict, onProvider({ kubeconfig: kubeconfig("mesh") }))).join("\n"), /renders only Service mesh\/istiod /);
  // The provider's namespace wins over its kubeconfig context's; ztunnel told that namespace passes.
  assert.deepEqual((await runStack(meshMtlsStrict, onProvider({ namespace: "istio-system", kubeconfig: kubeconfig("mesh") }))).violations, []);
  assert.deepEqual((await runStack(meshMtlsStrict, onProvider({ kubeconfig: kubeconfig("mesh") }, { istioNamespace: "mesh" }))).violations, []);
  // A kubeconfig given as a path (or the ambient one) is not in the stack: can't judge.
  const path = await runStack(meshMtlsStrict, onProvider({ kubeconfig: "~/.kube/config" }));
  assert.deepEqual(path.violations, []);
  assert.match(path.unknown.join("\n"), /the istiod Service that istiod release a-istiod on cluster a renders/);
});
