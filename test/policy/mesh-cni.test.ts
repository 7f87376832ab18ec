/**
 * Policy tests for mesh-mtls-strict's reading of istio-cni (Istio 1.30.3): where the stack installs
 * an ambient istiod, the workloads labelled for ambient are enrolled by an istio-cni release of the
 * stack, as its chart hands its node agent the values (profile, cni.*, excludeNamespaces,
 * ambient.enablementSelectors).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMtlsStrict } from "../../policy/rules/mesh-mtls-strict";
import { cniSettings } from "../../policy/lib/istio-cni";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { NS, REL, provider, pa, messages } from "./mesh-support";

const ambient = { "istio.io/dataplane-mode": "ambient" };
const release = (name: string, chart: string, values: Record<string, unknown>) => stackResource({ type: REL, name: `a-${name}`, props: { chart, namespace: "istio-system", values }, provider: k8sProvider("a") });
const ns = (name: string, labels: Record<string, string> = ambient) => stackResource({ type: NS, name: `a-ns-${name}`, props: { metadata: { name, labels } }, provider: k8sProvider("a") });
const deploy = (name: string, namespace: string, podLabels: Record<string, string> = {}) =>
  stackResource({ type: "kubernetes:apps/v1:Deployment", name: `a-${name}`, props: { metadata: { name, namespace }, spec: { template: { metadata: { labels: podLabels }, spec: { containers: [] } } } }, provider: k8sProvider("a") });
const mesh = (cni: Record<string, unknown> | null, istiod: Record<string, unknown> = { profile: "ambient" }) => [
  provider("a"),
  pa("a", "istio-system", "default", { mtls: { mode: "STRICT" } }),
  release("istiod", "istiod", istiod),
  ...(cni ? [release("istio-cni", "cni", cni)] : []),
  release("ztunnel", "ztunnel", { profile: "ambient" }),
  ns("tools"),
  deploy("calculator", "tools"),
  ns("kube-system", {}),
  deploy("coredns", "kube-system"),
];

test("mesh-mtls-strict: istio-cni with the ambient profile enrolls the workload namespaces", async () => {
  assert.deepEqual((await runStack(meshMtlsStrict, mesh({ profile: "ambient" }))).violations, []);
  // Spelt otherwise: global.profile, cni.ambient.enabled (a string ParseBool takes), selectors by namespace name (labelled by the API server).
  assert.deepEqual((await runStack(meshMtlsStrict, mesh({ global: { profile: "ambient" } }))).violations, []);
  const byName = { cni: { ambient: { enabled: "true", enablementSelectors: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "tools" } } }] } } };
  assert.deepEqual((await runStack(meshMtlsStrict, mesh(byName))).violations, []);
  // The profile's cni.ambient.enabled is laid over the top level last: a top-level false changes nothing.
  assert.deepEqual((await runStack(meshMtlsStrict, mesh({ profile: "ambient", ambient: { enabled: false } }))).violations, []);
  // An istiod that does not run ambient, or none (Istio installed outside the stack), asks nothing of istio-cni.
  assert.deepEqual((await runStack(meshMtlsStrict, mesh(null, {}))).violations, []);
  assert.deepEqual((await runStack(meshMtlsStrict, mesh(null).filter((r) => r.name !== "a-istiod"))).violations, []);
});

test("mesh-mtls-strict: an ambient istiod without istio-cni, or an istio-cni that does not enroll the labelled workloads, leaves them plaintext", async () => {
  const missing = await runStack(meshMtlsStrict, mesh(null));
  assert.deepEqual(messages(missing), ["cluster a installs an ambient istiod but no istio-cni release (chart cni): nothing redirects a pod's traffic into ztunnel, so every workload accepts plaintext past STRICT and every ALLOW policy; install istio-cni with profile ambient"]);
  // PILOT_ENABLE_AMBIENT alone also makes istiod ambient.
  assert.equal((await runStack(meshMtlsStrict, mesh(null, { pilot: { env: { PILOT_ENABLE_AMBIENT: "true" } } }))).violations.length, 1);
  for (const values of [{}, { profile: "ambient", cni: { ambient: { enabled: false } } }, { ambient: { enabled: "yes" } }]) {
    const off = await runStack(meshMtlsStrict, mesh(values));
    assert.match(messages(off).join("\n"), /^istio-cni release a-istio-cni on cluster a does not enable ambient .*: its node agent redirects no pod into ztunnel/, JSON.stringify(values));
    assert.equal(off.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::a-istio-cni");
  }
  const excluded = await runStack(meshMtlsStrict, mesh({ profile: "ambient", excludeNamespaces: ["kube-system", "tools"] }));
  assert.deepEqual(messages(excluded), ["istio-cni release a-istio-cni on cluster a leaves Deployment tools/calculator out of ambient (excludeNamespaces lists tools), though labelled for it: ztunnel never captures them, so they accept plaintext past STRICT and every ALLOW policy"]);
  // Selectors that take only pods labelled themselves leave a labelled namespace's pods out.
  const podsOnly = await runStack(meshMtlsStrict, mesh({ profile: "ambient", cni: { ambient: { enablementSelectors: [{ podSelector: { matchLabels: ambient } }] } } }));
  assert.match(messages(podsOnly).join("\n"), /leaves Deployment tools\/calculator out of ambient \(its ambient\.enablementSelectors select neither the pods nor their namespace\)/);
  // A pod labelled ambient itself is still taken in by them.
  assert.deepEqual((await runStack(meshMtlsStrict, [...mesh({ profile: "ambient", ambient: { enablementSelectors: [{ podSelector: { matchLabels: ambient } }] } }).filter((r) => r.name !== "a-calculator"), deploy("calculator", "tools", ambient)])).violations, []);
});

test("mesh-mtls-strict: an ambient istiod with istio-cni but no ztunnel leaves its enrolled pods without a data plane", async () => {
  const noZtunnel = mesh({ profile: "ambient" }).filter((r) => r.name !== "a-ztunnel");
  assert.deepEqual(messages(await runStack(meshMtlsStrict, noZtunnel)), [
    "cluster a installs an ambient istiod but no ztunnel release (chart ztunnel) nor ztunnel DaemonSet: istio-cni redirects each enrolled pod's traffic to a ztunnel that never comes, so those pods cannot start or reach anything; install ztunnel with profile ambient",
  ]);
  // A release whose chart is not known yet may be ztunnel: can't judge, not a verdict.
  const pending = await runStack(meshMtlsStrict, [...noZtunnel, release("maybe", UNKNOWN as any, {})]);
  assert.deepEqual(pending.violations, []);
  assert.match(pending.unknown.join("\n"), /whether Helm release a-maybe on cluster a is ztunnel/);
});

test("mesh-mtls-strict: istio-cni values not known in a preview are can't judge", async () => {
  const unknown = await runStack(meshMtlsStrict, mesh({ profile: UNKNOWN }));
  assert.deepEqual(unknown.violations, []);
  assert.match(unknown.unknown[0] ?? "", /the ambient settings of istio-cni release a-istio-cni on cluster a/);
});

test("istio-cni settings: the chart's defaults, profile and cni.* precedence", () => {
  assert.deepEqual(cniSettings({}).enabled, false);
  assert.deepEqual(cniSettings({}).excludeNamespaces, ["kube-system"]);
  assert.equal(cniSettings({ profile: "ambient" }).enabled, true);
  assert.equal(cniSettings({ ambient: { enabled: true } }).enabled, true);
  assert.equal(cniSettings({ profile: "ambient", cni: { ambient: { enabled: false } } }).enabled, false);
  assert.equal(cniSettings({ profile: "ambient", cni: { excludeNamespaces: [] } }).excludeNamespaces.length, 0);
});

test("mesh-mtls-strict: a release whose chart is not known yet may be the missing istio-cni: can't judge, not passed", async () => {
  const stack = [...mesh(null), stackResource({ type: REL, name: "a-later", props: { chart: UNKNOWN, namespace: "istio-system", values: {} }, provider: k8sProvider("a") })];
  const result = await runStack(meshMtlsStrict, stack);
  assert.deepEqual(result.violations, []);
  assert.match(result.unknown.join("\n"), /whether Helm release a-later on cluster a is istio-cni/);
});

test("mesh-mtls-strict: istiod runs ambient as its chart renders PILOT_ENABLE_AMBIENT, the ambient profile's pilot.env under the given pilot.env", async () => {
  const missing = (istiod: Record<string, unknown>) => runStack(meshMtlsStrict, mesh(null, istiod));
  // zzz_profile.yaml lays files/profile-ambient.yaml (pilot.env.PILOT_ENABLE_AMBIENT "true") under the
  // values, so a pilot.env "false" turns ambient off and istiod registers no ambient controller: no istio-cni is asked for.
  assert.deepEqual((await missing({ profile: "ambient", pilot: { env: { PILOT_ENABLE_AMBIENT: "false" } } })).violations, []);
  assert.deepEqual((await missing({ global: { profile: "ambient" }, pilot: { env: { PILOT_ENABLE_AMBIENT: false } } })).violations, []);
  // ...while zzy_descope_legacy.yaml merges the profile's pilot.env over a top-level env "false": still ambient.
  assert.equal((await missing({ profile: "ambient", env: { PILOT_ENABLE_AMBIENT: "false" } })).violations.length, 1);
  // An envVarFrom entry (the kubelet takes the later duplicate) read from a ConfigMap is not known.
  const fromMap = await missing({ profile: "ambient", envVarFrom: [{ name: "PILOT_ENABLE_AMBIENT", valueFrom: { configMapKeyRef: { name: "flags", key: "ambient" } } }] });
  assert.deepEqual(fromMap.violations, []);
  assert.match(fromMap.unknown.join("\n"), /whether istiod on cluster a runs ambient/);
});

test("mesh-mtls-strict: istio-cni on a cluster the Istio releases declare k3s writes its CNI config where k3s reads it", async () => {
  // Istio 1.30.3 istio-cni files/profile-platform-k3s.yaml: cniConfDir /var/lib/rancher/k3s/agent/etc/cni/net.d (default /etc/cni/net.d).
  const k3s = { profile: "ambient", global: { platform: "k3s" } };
  assert.deepEqual((await runStack(meshMtlsStrict, mesh(k3s, k3s))).violations, []);
  assert.deepEqual((await runStack(meshMtlsStrict, mesh({ profile: "ambient", cniConfDir: "/var/lib/rancher/k3s/agent/etc/cni/net.d" }, k3s))).violations, []);
  const plain = await runStack(meshMtlsStrict, mesh({ profile: "ambient" }, k3s));
  assert.deepEqual(messages(plain), [
    "istio-cni release a-istio-cni on cluster a writes its CNI config to /etc/cni/net.d, though Helm release a-istiod declares the cluster k3s (global.platform), whose containerd reads only /var/lib/rancher/k3s/agent/etc/cni/net.d: the istio-cni plugin is never chained, so no pod is redirected into ztunnel and every workload accepts plaintext past STRICT and every ALLOW policy; set global.platform: k3s on the istio-cni release (Istio 1.30.3 files/profile-platform-k3s.yaml)",
  ]);
  assert.equal(plain.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::a-istio-cni");
  // The platform profile's cni.cniConfDir is laid over a top-level one, as for ambient.enabled.
  assert.deepEqual((await runStack(meshMtlsStrict, mesh({ ...k3s, cniConfDir: "/etc/cni/net.d" }, k3s))).violations, []);
  assert.equal((await runStack(meshMtlsStrict, mesh({ ...k3s, cni: { cniConfDir: "/etc/cni/net.d" } }, k3s))).violations.length, 1);
});

test("mesh-mtls-strict: istio-cni on a cluster whose GCE VMs install k3s, though no Istio release declares it, writes its CNI config where k3s reads it", async () => {
  // k3s v1.33.5+k3s1 pkg/agent/config/config.go: with its embedded flannel, containerd reads <data-dir>/agent/etc/cni/net.d.
  const vm = (script: string, name = "a-server") => stackResource({ type: "gcp:compute/instance:Instance", name, props: { machineType: "e2-standard-4", metadataStartupScript: script }, provider: null });
  const install = "#!/bin/bash\nmkdir -p /etc/rancher/k3s\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\nnode-ip: 10.0.0.2\nEOF\ncurl -sfL https://get.k3s.io | INSTALL_K3S_VERSION='v1.33.5+k3s1' sh -s - server\n";
  const plain = await runStack(meshMtlsStrict, [...mesh({ profile: "ambient" }), vm(install)]);
  assert.deepEqual(messages(plain), [
    "istio-cni release a-istio-cni on cluster a writes its CNI config to /etc/cni/net.d, though Instance a-server (its startup script installs k3s), whose containerd reads only /var/lib/rancher/k3s/agent/etc/cni/net.d (k3s's data-dir/agent/etc/cni/net.d) and no Istio release declares the cluster k3s (global.platform): the istio-cni plugin is never chained, so no pod is redirected into ztunnel and every workload accepts plaintext past STRICT and every ALLOW policy; set global.platform: k3s on the istio-cni release (Istio 1.30.3 files/profile-platform-k3s.yaml)",
  ]);
  assert.equal(plain.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:helm.sh/v3:Release::a-istio-cni");
  assert.deepEqual((await runStack(meshMtlsStrict, [...mesh({ profile: "ambient", global: { platform: "k3s" } }), vm(install)])).violations, []);
  // Another data-dir moves the directory; global.platform k3s then misses it too.
  const moved = install.replace("node-ip: 10.0.0.2", "node-ip: 10.0.0.2\ndata-dir: /data/k3s");
  assert.match(messages(await runStack(meshMtlsStrict, [...mesh({ profile: "ambient", global: { platform: "k3s" } }), vm(moved)])).join("\n"), /reads only \/data\/k3s\/agent\/etc\/cni\/net\.d .*; set cni\.cniConfDir: \/data\/k3s\/agent\/etc\/cni\/net\.d on the istio-cni release$/);
  assert.deepEqual((await runStack(meshMtlsStrict, [...mesh({ profile: "ambient", cni: { cniConfDir: "/data/k3s/agent/etc/cni/net.d" } }), vm(moved)])).violations, []);
  // istiod declaring the cluster k3s (its profile's paths assume the default data-dir) does not hide the VM's own.
  const declaredK3s = [...mesh({ profile: "ambient", global: { platform: "k3s" } }, { profile: "ambient", global: { platform: "k3s" } }), vm(moved)];
  assert.deepEqual(messages(await runStack(meshMtlsStrict, declaredK3s)), [
    "istio-cni release a-istio-cni on cluster a writes its CNI config to /var/lib/rancher/k3s/agent/etc/cni/net.d, though Instance a-server (its startup script installs k3s), whose containerd reads only /data/k3s/agent/etc/cni/net.d (k3s's data-dir/agent/etc/cni/net.d), while Helm release a-istiod declares the cluster k3s (global.platform), whose Istio profile assumes k3s's default data-dir (/var/lib/rancher/k3s/agent/etc/cni/net.d): the istio-cni plugin is never chained, so no pod is redirected into ztunnel and every workload accepts plaintext past STRICT and every ALLOW policy; set cni.cniConfDir: /data/k3s/agent/etc/cni/net.d on the istio-cni release",
  ]);
  // cni.cniConfDir following the data-dir is right, though the other releases declare k3s (this was reported before).
  assert.deepEqual((await runStack(meshMtlsStrict, [...mesh({ profile: "ambient", cni: { cniConfDir: "/data/k3s/agent/etc/cni/net.d" } }, { profile: "ambient", global: { platform: "k3s" } }), vm(moved)])).violations, []);
  // Another CNI (flannel-backend none) or runtime decides the directory; a VM of another cluster, or without k3s, says nothing.
  assert.deepEqual((await runStack(meshMtlsStrict, [...mesh({ profile: "ambient" }), vm(install.replace("node-ip: 10.0.0.2", "flannel-backend: none"))])).violations, []);
  assert.deepEqual((await runStack(meshMtlsStrict, [...mesh({ profile: "ambient" }), vm(install, "b-server")])).violations, []);
  assert.deepEqual((await runStack(meshMtlsStrict, [...mesh({ profile: "ambient" }), vm("#!/bin/bash\napt-get install -y nginx\n")])).violations, []);
  // A data-dir not fully known (BASE never set plainly) is can't judge; before, `$BASE/k3s` was read as /k3s and reported.
  const partial = vm(install.replace("sh -s - server", 'sh -s - server --data-dir "$BASE/k3s"'));
  for (const cni of [{ profile: "ambient", global: { platform: "k3s" } }, { profile: "ambient" }]) {
    const undecided = await runStack(meshMtlsStrict, [...mesh(cni, { profile: "ambient", global: { platform: "k3s" } }), partial]);
    assert.deepEqual(undecided.violations, [], JSON.stringify(cni));
    assert.match(undecided.unknown.join("\n"), /where the containerd of Instance a-server reads CNI configs \(its k3s data-dir is not known\), which decides whether istio-cni release a-istio-cni on cluster a is chained/);
  }
  // A boot script not known yet (an encrypted secret) is can't judge, not a pass.
  const sealed = await runStack(meshMtlsStrict, [...mesh({ profile: "ambient" }), vm(UNKNOWN)]);
  assert.deepEqual(sealed.violations, []);
  assert.match(sealed.unknown.join("\n"), /whether cluster a runs k3s, .*Instance a-server: its boot script is not known/);
});
