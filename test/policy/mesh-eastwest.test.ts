/**
 * mesh-multicluster-wiring on the east-west gateway itself. Istio 1.30.3 leaves a remote network
 * gateway's HBONE port 0, so remote ztunnels dial its address on 15008 whatever the listener says
 * (pilot/pkg/serviceregistry/ambient networks.go remoteK8sGatewayToNetworkGateways, multicluster.go
 * createSplitHorizonWorkload), and the address is a LoadBalancer's ingress or an external IP, else
 * the ClusterIP and in-cluster hostname (gateway/conversion.go reportGatewayStatus). Before, a
 * listener moved off 15008 and a ClusterIP or NodePort Service passed, and a listener leaving
 * tls.mode to Gateway API's default (Terminate) was called missing.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { meshMulticlusterWiring } from "../../policy/rules/mesh-multicluster-wiring";
import { k8sProvider, runStack, stackResource, UNKNOWN } from "../support/policy";
import { messages, wiredCluster } from "./mesh-support";

const listener = { name: "mesh", port: 15008, protocol: "HBONE", tls: { mode: "Terminate", options: { "gateway.istio.io/tls-terminate-mode": "ISTIO_MUTUAL" } } };
const gateway = (spec: Record<string, unknown>, annotations?: Record<string, string>) => ({
  metadata: { name: "istio-eastwestgateway", namespace: "istio-system", labels: { "topology.istio.io/network": "net-b" }, ...(annotations ? { annotations } : {}) },
  spec: { gatewayClassName: "istio-east-west", listeners: [listener], ...spec },
});
const configMap = (name: string, service: string, labels: Record<string, string> = {}) =>
  stackResource({ type: "kubernetes:core/v1:ConfigMap", name: `b-${name}`, props: { metadata: { name, namespace: "istio-system", labels }, data: { service } }, provider: k8sProvider("b") });

/** Clusters a and b wired, b's east-west Gateway replaced and `extra` resources added to b. */
const meshWith = (eastWest: Record<string, unknown>, extra: ReturnType<typeof stackResource>[] = []) =>
  runStack(meshMulticlusterWiring, [...wiredCluster("a", ["b"]), ...wiredCluster("b", ["a"], { eastWest }), ...extra]);

test("mesh-multicluster-wiring: the east-west HBONE listener must be on 15008, the port remote ztunnels dial", async () => {
  assert.deepEqual((await meshWith(gateway({}))).violations, []);
  const moved = await meshWith(gateway({ listeners: [{ ...listener, port: 15009 }] }));
  assert.deepEqual(messages(moved), [
    "cluster b has no east-west gateway for its network net-b (a Gateway of class istio-east-west labelled topology.istio.io/network: net-b with an HBONE listener on port 15008 in TLS mode Terminate): Gateway istio-system/istio-eastwestgateway has listeners mesh HBONE/15009 tls Terminate; istiod accepts HBONE only on 15008 terminating TLS and the other clusters' ztunnels dial 15008, so they cannot reach its workloads",
  ]);
  assert.equal(moved.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:gateway.networking.k8s.io/v1:Gateway::b-ew");
  for (const other of [{ ...listener, protocol: "TLS" }, { name: "mesh", port: 15008, protocol: "TCP" }]) {
    assert.match(messages(await meshWith(gateway({ listeners: [other] }))).join("\n"), /^cluster b has no east-west gateway for its network net-b .*has listeners mesh (TLS\/15008 tls Terminate|TCP\/15008);/);
  }
  // Beside one on 15008, another network gateway with HBONE elsewhere may be the one Istio hands out.
  const second = stackResource({ type: "kubernetes:gateway.networking.k8s.io/v1:Gateway", name: "b-ew-2", props: { ...gateway({ listeners: [{ ...listener, port: 15009 }] }), metadata: { ...gateway({}).metadata, name: "ew-2" } }, provider: k8sProvider("b") });
  assert.deepEqual(messages(await meshWith(gateway({}), [second])), [
    "cluster b: Gateway istio-system/ew-2 has listeners mesh HBONE/15009 tls Terminate; istiod accepts HBONE only on 15008 terminating TLS and the other clusters' ztunnels dial 15008, so they cannot reach its workloads (Istio may hand it out as net-b's gateway)",
  ]);
  // Gateway API defaults tls.mode to Terminate: istiod reads the listener as terminating.
  assert.deepEqual((await meshWith(gateway({ listeners: [{ ...listener, tls: { options: listener.tls.options } }] }))).violations, []);
});

test("mesh-multicluster-wiring: the east-west gateway's Service must be reachable from other networks", async () => {
  const unreachable = /^cluster b: east-west gateway istio-system\/istio-eastwestgateway gets a Service other networks cannot reach/;
  for (const type of ["ClusterIP", "NodePort"]) assert.match(messages(await meshWith(gateway({}, { "networking.istio.io/service-type": type }))).join("\n"), unreachable);
  // The Gateway's options ConfigMap and the class defaults patch the Service after the annotation.
  const options = { infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: "ew-options" } } };
  assert.match(messages(await meshWith(gateway(options), [configMap("ew-options", "spec:\n  type: ClusterIP\n")])).join("\n"), unreachable);
  const classDefaults = configMap("ew-defaults", "spec:\n  type: NodePort\n", { "gateway.istio.io/defaults-for-class": "istio-east-west" });
  assert.match(messages(await meshWith(gateway({}), [classDefaults])).join("\n"), unreachable);
  // External IPs are reported as the Gateway's address; a LoadBalancer overlay wins over the annotation.
  assert.deepEqual((await meshWith(gateway(options, { "networking.istio.io/service-type": "ClusterIP" }), [configMap("ew-options", "spec:\n  externalIPs: [203.0.113.7]\n")])).violations, []);
  assert.deepEqual((await meshWith(gateway(options, { "networking.istio.io/service-type": "ClusterIP" }), [configMap("ew-options", "spec:\n  type: LoadBalancer\n")])).violations, []);
  // Beside a reachable one, an unreachable gateway of the network may be the one Istio hands out.
  const second = stackResource({ type: "kubernetes:gateway.networking.k8s.io/v1:Gateway", name: "b-ew-internal", props: { ...gateway({}), metadata: { ...gateway({}).metadata, name: "ew-internal", annotations: { "networking.istio.io/service-type": "ClusterIP" } } }, provider: k8sProvider("b") });
  assert.match(messages(await meshWith(gateway({}), [second])).join("\n"), /^cluster b: east-west gateway istio-system\/ew-internal gets a Service other networks cannot reach/);
  // An annotation not known in a preview: can't judge.
  const later = await meshWith(gateway({}, { "networking.istio.io/service-type": UNKNOWN }));
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /the Gateways of cluster b/);
});

test("mesh-multicluster-wiring: an east-west gateway selecting a revision no istiod answers to is never deployed", async () => {
  // Istio 1.30.3 deploymentcontroller.go Reconcile: only the istiod that IsMine (tag_watcher.go) deploys a Gateway.
  const labelled = (rev: string) => ({ ...gateway({}), metadata: { ...gateway({}).metadata, labels: { ...gateway({}).metadata.labels, "istio.io/rev": rev } } });
  const canary = await meshWith(labelled("canary"));
  assert.deepEqual(messages(canary), [
    "cluster b: east-west gateway istio-system/istio-eastwestgateway selects revision canary (its istio.io/rev label), which no istiod of the cluster answers to (revisions default (b-istiod), and their revisionTags): only the owning istiod deploys a Gateway, so it is never deployed and the other clusters cannot reach net-b; label it with a revision or tag the stack installs, or drop the label",
  ]);
  assert.equal(canary.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:gateway.networking.k8s.io/v1:Gateway::b-ew");
  // Its namespace's label counts where it has none of its own.
  const ns = stackResource({ type: "kubernetes:core/v1:Namespace", name: "b-istio-system", props: { metadata: { name: "istio-system", labels: { "istio.io/rev": "1-29" } } }, provider: k8sProvider("b") });
  assert.match(messages(await meshWith(gateway({}), [ns])).join("\n"), /^cluster b: east-west gateway istio-system\/istio-eastwestgateway selects revision 1-29 \(its namespace istio-system's istio.io\/rev label\)/);
  // The istiod's own revision, or one of its revisionTags, owns it; so does `default` for an istiod without a revision.
  const withIstiod = (values: Record<string, unknown>) =>
    runStack(meshMulticlusterWiring, [
      ...wiredCluster("a", ["b"]),
      ...wiredCluster("b", ["a"], { eastWest: labelled("stable") }).map((r) => (r.name === "b-istiod" ? { ...r, props: { ...r.props, values: { ...r.props.values, ...values } } } : r)),
    ]);
  assert.match(messages(await withIstiod({})).join("\n"), /selects revision stable/);
  assert.deepEqual((await withIstiod({ revision: "stable" })).violations, []);
  assert.deepEqual((await withIstiod({ revision: "1-30-3", revisionTags: ["stable"] })).violations, []);
  assert.deepEqual((await meshWith(labelled("default"))).violations, []);
  // A label not known in a preview: can't judge.
  const later = await meshWith(labelled(UNKNOWN));
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /istio.io\/rev labels of cluster b's east-west gateways/);
});

test("mesh-multicluster-wiring: an unlabelled east-west gateway goes to the default revision, which must be an istiod of the cluster", async () => {
  // Istio 1.30.3 tag_watcher.go IsMine: without istio.io/rev (on it or its namespace) an istiod owns it
  // only by the tag `default` or as the default revision (the istiod-default-validator's istio.io/rev).
  const base = (defaultRevision?: string) =>
    stackResource({ type: "kubernetes:helm.sh/v3:Release", name: "b-istio-base", props: { chart: "base", namespace: "istio-system", values: defaultRevision === undefined ? {} : { defaultRevision } }, provider: k8sProvider("b") });
  const revisioned = (values: Record<string, unknown>, extra: ReturnType<typeof stackResource>[]) =>
    runStack(meshMulticlusterWiring, [
      ...wiredCluster("a", ["b"]),
      ...wiredCluster("b", ["a"]).map((r) => (r.name === "b-istiod" ? { ...r, props: { ...r.props, values: { ...r.props.values, ...values } } } : r)),
      ...extra,
    ]);
  const orphan = await revisioned({ revision: "1-30" }, [base()]);
  assert.deepEqual(messages(orphan), [
    "cluster b: east-west gateway istio-system/istio-eastwestgateway has no istio.io/rev label (nor its namespace), so it goes to the istiod holding the tag default, else to the cluster's default revision (default, by the defaultRevision of base release b-istio-base), and no istiod of the cluster is either (revisions 1-30 (b-istiod), and their revisionTags): only the owning istiod deploys a Gateway, so it is never deployed and the other clusters cannot reach net-b; label it with the istio.io/rev of an istiod the stack installs, or make that istiod the default revision",
  ]);
  assert.equal(orphan.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:gateway.networking.k8s.io/v1:Gateway::b-ew");
  assert.match(messages(await revisioned({ revision: "1-30" }, [base("")])).join("\n"), /default revision \(none: the defaultRevision of base release b-istio-base is empty\)/);
  // The default revision, or the tag default, is the istiod's: it owns the gateway.
  assert.deepEqual((await revisioned({ revision: "1-30" }, [base("1-30")])).violations, []);
  assert.deepEqual((await revisioned({ revision: "1-30", revisionTags: ["default"] }, [base()])).violations, []);
  // Without the base release or its webhook the default revision is not known: can't judge.
  const unknown = await revisioned({ revision: "1-30" }, []);
  assert.deepEqual(unknown.violations, []);
  assert.match(unknown.unknown.join("\n"), /the istio.io\/rev labels of cluster b's east-west gateways/);
});

// The other clusters take a remote east-west gateway's network from its topology.istio.io/network
// label alone, and an unlabelled one is no network gateway (Istio 1.30.3 pilot/pkg/serviceregistry/ambient
// networks.go remoteK8sGatewayToNetworkGateways). Before, a mislabelled one was reported on istiod as
// "no east-west gateway", never named, and one beside the cluster's own passed.
test("mesh-multicluster-wiring: an east-west gateway is labelled with its cluster's network", async () => {
  const labelled = (labels: Record<string, string>, name = "istio-eastwestgateway") => ({ ...gateway({}), metadata: { ...gateway({}).metadata, name, labels } });
  const claims = "the other clusters take a remote east-west gateway's network from that label alone (Istio 1.30.3 pilot/pkg/serviceregistry/ambient/networks.go remoteK8sGatewayToNetworkGateways)";
  const other = await meshWith(labelled({ "topology.istio.io/network": "net-a" }));
  assert.deepEqual(messages(other), [
    `cluster b: east-west gateway istio-system/istio-eastwestgateway is labelled topology.istio.io/network: net-a, not its cluster's network net-b (istiod global.network): ${claims}, so they may send net-a's traffic to it, and net-b gets no gateway: they cannot reach its workloads; label it topology.istio.io/network: net-b`,
  ]);
  assert.equal(other.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:gateway.networking.k8s.io/v1:Gateway::b-ew");
  const none = await meshWith(labelled({}));
  assert.deepEqual(messages(none), [
    `cluster b: east-west gateway istio-system/istio-eastwestgateway has no topology.istio.io/network label, while its cluster's network is net-b (istiod global.network): ${claims}, and an unlabelled one is none, so net-b gets no gateway: they cannot reach its workloads; label it topology.istio.io/network: net-b`,
  ]);
  // Beside the cluster's own, a second one claiming another network may still be handed out for it.
  const second = stackResource({ type: "kubernetes:gateway.networking.k8s.io/v1:Gateway", name: "b-ew-2", props: labelled({ "topology.istio.io/network": "net-a" }, "ew-2"), provider: k8sProvider("b") });
  assert.deepEqual(messages(await meshWith(gateway({}), [second])), [
    `cluster b: east-west gateway istio-system/ew-2 is labelled topology.istio.io/network: net-a, not its cluster's network net-b (istiod global.network): ${claims}, so they may send net-a's traffic to it; label it topology.istio.io/network: net-b`,
  ]);
  // A label not known in a preview: can't judge.
  const later = await meshWith(labelled({ "topology.istio.io/network": UNKNOWN }));
  assert.deepEqual(later.violations, []);
  assert.match(later.unknown.join("\n"), /the Gateways of cluster b/);
});

// Istio 1.30.3 lays the options ConfigMap's `service` overlay over the Service it deploys as a strategic
// merge patch (gatewaycommon/deploymentcontroller.go applyOverlay); Service ports merge by `port`, and a
// `$patch: replace` element makes the rest the whole list (apimachinery strategicpatch mergeSliceWithSpecialElements).
// Before, an overlay re-targeting or dropping port 15008 passed.
test("mesh-multicluster-wiring: the east-west gateway's options overlay keeps Service port 15008 on 15008", async () => {
  const options = { infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: "ew-options" } } };
  const withOverlay = (service: string) => meshWith(gateway(options), [configMap("ew-options", service)]);
  const lead = "cluster b: east-west gateway istio-system/istio-eastwestgateway's options ConfigMap ew-options (spec.infrastructure.parametersRef)";
  const retargeted = await withOverlay("spec:\n  ports:\n  - port: 15008\n    targetPort: 15009\n");
  assert.deepEqual(messages(retargeted), [
    `${lead} sends Service port 15008 to targetPort 15009: Istio 1.30.3 lays its service overlay over the Service it deploys as a strategic merge patch (gatewaycommon/deploymentcontroller.go applyOverlay), so the other clusters' ztunnels, which dial the gateway's address on 15008, never reach its HBONE listener and cannot reach net-b's workloads; keep port 15008 in the overlay, targeting 15008`,
  ]);
  assert.equal(retargeted.violations[0].urn, "urn:pulumi:test::inference-mesh::kubernetes:gateway.networking.k8s.io/v1:Gateway::b-ew");
  const cut = async (service: string) => messages(await withOverlay(service)).join("\n");
  assert.match(await cut("spec:\n  ports:\n  - $patch: replace\n  - port: 15021\n"), /ew-options \(spec.infrastructure.parametersRef\) replaces the Service's ports \(\$patch: replace\) with 15021, without 15008:/);
  assert.match(await cut('{"spec":{"ports":[{"$patch":"delete","port":15008}]}}'), /deletes Service port 15008 \(\$patch: delete\):/);
  assert.match(await cut("spec:\n  $patch: replace\n  type: LoadBalancer\n"), /replaces the Service's spec \(\$patch: replace\) with one without ports:/);
  // What keeps 15008 passes: the stack's own k3s overlay dropping 15021, a replacing list with 15008, an explicit targetPort 15008.
  for (const kept of [
    "spec:\n  ports:\n  - port: 15021\n    $patch: delete\n",
    "spec:\n  ports:\n  - $patch: replace\n  - port: 15008\n",
    "spec:\n  ports:\n  - port: 15008\n    targetPort: 15008\n",
    "spec:\n  ports:\n  - port: 15008\n    $patch: delete\n  - port: 15008\n",
    "metadata:\n  annotations:\n    a: b\n",
  ]) {
    assert.deepEqual((await withOverlay(kept)).violations, [], kept);
  }
  // A named targetPort (a deployment overlay may name a container port so) or a directive not read here: can't judge.
  for (const unread of ["spec:\n  ports:\n  - port: 15008\n    targetPort: hbone\n", "spec:\n  $retainKeys: [type]\n  type: LoadBalancer\n"]) {
    const later = await withOverlay(unread);
    assert.deepEqual(later.violations, [], unread);
    assert.match(later.unknown.join("\n"), /the service overlays of cluster b's east-west gateways' options ConfigMaps/);
  }
  // An options ConfigMap the stack does not render is not judged.
  assert.deepEqual((await meshWith(gateway(options))).violations, []);
});
