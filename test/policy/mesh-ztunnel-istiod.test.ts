/**
 * Policy tests for mesh-mtls-strict's reading of where ztunnel finds istiod (Istio 1.30.3 ztunnel
 * templates/daemonset.yaml: CA_ADDRESS and XDS_ADDRESS are istiod[-<revision>].<istioNamespace>.svc:15012
 * unless caAddress/xdsAddress are set; istio-discovery service.yaml renders istiod[-<revision>] in
 * the release's namespace).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMtlsStrict } from "../../policy/rules/mesh-mtls-strict";
import { serviceAddress, ztunnelDials } from "../../policy/lib/ztunnel-istiod";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { NS, REL, provider, pa, messages, v4Chart, istiodObjects, ztunnelObjects } from "./mesh-support";

const release = (name: string, chart: string, values: unknown, namespace = "istio-system") => stackResource({ type: REL, name: `a-${name}`, props: { chart, namespace, values }, provider: k8sProvider("a") });
const mesh = (istiod: Record<string, unknown>, ztunnel: unknown, istiodNamespace = "istio-system") => [
  provider("a"),
  pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } }),
  release("istiod", "istiod", { profile: "ambient", ...istiod }, istiodNamespace),
  release("istio-cni", "cni", { profile: "ambient" }),
  release("ztunnel", "ztunnel", ztunnel),
  stackResource({ type: NS, name: "a-ns-tools", props: { metadata: { name: "tools", labels: { "istio.io/dataplane-mode": "ambient" } } }, provider: k8sProvider("a") }),
];

test("ztunnel's istiod address: istiod[-<revision>].<istioNamespace>.svc:15012, global.* under the top level, explicit addresses as given", () => {
  const addresses = (values: unknown) => ztunnelDials(values).map((a) => a.address);
  assert.deepEqual(addresses({}), ["istiod.istio-system.svc:15012", "istiod.istio-system.svc:15012"]);
  assert.deepEqual(addresses({ revision: "1-30" })[0], "istiod-1-30.istio-system.svc:15012");
  assert.deepEqual(addresses({ global: { revision: "1-30", istioNamespace: "mesh" } })[0], "istiod-1-30.mesh.svc:15012");
  // A top-level value given wins over global.* (mergo sets a map entry even to "").
  assert.deepEqual(addresses({ revision: "", global: { revision: "1-30" } })[0], "istiod.istio-system.svc:15012");
  assert.deepEqual(ztunnelDials({ xdsAddress: "istiod.remote:15012" }), [
    { env: "CA_ADDRESS", address: "istiod.istio-system.svc:15012", built: true },
    { env: "XDS_ADDRESS", address: "istiod.remote:15012", built: false },
  ]);
});

test("ztunnel reads an address as a URI, https:// where it names no scheme (ztunnel 1.30.3 config.rs validate_uri): in-cluster Services only", () => {
  assert.deepEqual(serviceAddress("istiod-1-30.mesh.svc:15012"), { name: "istiod-1-30", namespace: "mesh", port: 15012 });
  assert.deepEqual(serviceAddress("https://istiod.istio-system.svc.cluster.local:15012"), { name: "istiod", namespace: "istio-system", port: 15012 });
  assert.deepEqual(serviceAddress("istiod.istio-system.svc"), { name: "istiod", namespace: "istio-system", port: 443 });
  assert.equal(serviceAddress("istiod.remote:15012"), undefined);
  assert.equal(serviceAddress("203.0.113.7:15012"), undefined);
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

test("mesh-mtls-strict: an explicit caAddress or xdsAddress naming an istiod Service or port the stack does not render is reported", async () => {
  const xds = messages(await runStack(meshMtlsStrict, mesh({}, { xdsAddress: "istiod-1-30.istio-system.svc:15012" })));
  assert.deepEqual(xds, [
    `ztunnel release a-ztunnel on cluster a dials istiod at istiod-1-30.istio-system.svc:15012 (XDS_ADDRESS, its xdsAddress), but the stack's istiod renders only Service istio-system/istiod (release a-istiod): no such Service exists, so ztunnel gets no certificates or workload config, and every ambient pod it serves has no mTLS identity and its mesh traffic fails; point it at istiod's Service on port 15012 (Istio 1.30.3 ztunnel values.yaml, istio-discovery templates/service.yaml)`,
  ]);
  // istiod's plaintext xDS port, and a port its Service does not have.
  assert.match(messages(await runStack(meshMtlsStrict, mesh({}, { caAddress: "istiod.istio-system.svc:15010" }))).join("\n"), /at istiod\.istio-system\.svc:15010 \(CA_ADDRESS, its caAddress\), but port 15010 of Service istio-system\/istiod \(release a-istiod\) is grpc-xds, plaintext, while only 15012/);
  assert.match(messages(await runStack(meshMtlsStrict, mesh({}, { caAddress: "https://istiod.istio-system.svc.cluster.local:15013" }))).join("\n"), /but Service istio-system\/istiod has no port 15013 \(its ports: 443, 15010, 15012, 15014\)/);
  // Named in full, over https, or outside the cluster (a remote istiod, an east-west gateway): passes or not judged.
  for (const address of ["istiod.istio-system.svc:15012", "https://istiod.istio-system.svc.cluster.local:15012", "istiod.remote.example:15012", "istio-eastwestgateway.istio-system.svc:15012"]) {
    assert.deepEqual((await runStack(meshMtlsStrict, mesh({}, { caAddress: address, xdsAddress: address }))).violations, [], address);
  }
});

test("mesh-mtls-strict: a ztunnel rendered by a v4 Chart is read from its DaemonSet's CA_ADDRESS and XDS_ADDRESS", async () => {
  const daemonSet = (ca: string, xds: string) =>
    ztunnelObjects({ network: "net-a" }).map((o) => {
      const props = structuredClone(o.props) as any;
      props.spec.template.spec.containers[0].env.push({ name: "CA_ADDRESS", value: ca }, { name: "XDS_ADDRESS", value: xds });
      return { ...o, props };
    });
  const stack = (ca: string, xds: string) => [...mesh({}, {}).filter((r) => r.name !== "a-ztunnel"), ...v4Chart("a", "ztunnel", daemonSet(ca, xds))];
  assert.deepEqual((await runStack(meshMtlsStrict, stack("istiod.istio-system.svc:15012", "istiod.istio-system.svc:15012"))).violations, []);
  const result = await runStack(meshMtlsStrict, stack("istiod-1-30.istio-system.svc:15012", "istiod.istio-system.svc:15012"));
  assert.match(messages(result).join("\n"), /^ztunnel DaemonSet istio-system\/ztunnel on cluster a dials istiod at istiod-1-30\.istio-system\.svc:15012 \(CA_ADDRESS in its env\), but the stack's istiod renders only Service istio-system\/istiod \(release a-istiod\): no such Service exists/);
  assert.equal(result.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:apps/v1:DaemonSet::a-ztunnel:istio-system/ztunnel");
  // istiod rendered as objects too: its Service object is what ztunnel reaches.
  const istiodService = { type: "kubernetes:core/v1:Service", props: { metadata: { name: "istiod", namespace: "istio-system" }, spec: { ports: [{ port: 15010 }, { port: 15012 }, { port: 443 }, { port: 15014 }] } } };
  const objects = (ca: string) => [...mesh({}, {}).filter((r) => r.name !== "a-ztunnel" && r.name !== "a-istiod"), ...v4Chart("a", "istiod", [...istiodObjects({ profile: "ambient" }), istiodService]), ...v4Chart("a", "ztunnel", daemonSet(ca, ca))];
  assert.deepEqual((await runStack(meshMtlsStrict, objects("istiod.istio-system.svc:15012"))).violations, []);
  assert.match(messages(await runStack(meshMtlsStrict, objects("istiod.istio-system.svc:15013"))).join("\n"), /Service istio-system\/istiod has no port 15013/);
});
