/**
 * inference-pool-epp judges the istiod that owns an inference Gateway, as Istio 1.30.3 picks it:
 * the deployment controller deploys a Gateway's proxy only where its tag watcher says IsMine
 * (gatewaycommon/deploymentcontroller.go; pkg/revisions/tag_watcher.go: the Gateway's istio.io/rev,
 * else its namespace's; unlabelled, the istiod answering to tag `default`, else the default
 * revision named by istiod-default-validator), and that proxy dials its own revision's istiod
 * (files/kube-gateway.yaml). And it reads an istiod's renamed default GatewayClass and controller
 * (PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME, PILOT_GATEWAY_API_CONTROLLER_NAME, pilot/pkg/features/
 * pilot.go; gatewaycommon/gatewayclass_collection.go FetchGatewayClass). Before, every istiod of
 * the cluster was held to the flags (a canary without them failed a correct stack) and only class
 * `istio` or controller istio.io/gateway-controller counted as Istio's (a renamed class passed unjudged).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { istiodValues } from "../../components/mesh/istio";
import { k8sProvider, runStack, stackResource } from "../support/policy";
import { spec } from "../inference/support";
import { InferenceObject, on, prodInference } from "./traffic-support";
import { NS, REL } from "./mesh-support";

type Obj = InferenceObject;
const FLAG = "ENABLE_GATEWAY_API_INFERENCE_EXTENSION";
const prod = spec("prod");
const cluster = prod.clusters.find((c) => c.name === "aws-use1")!;

const inference = prodInference;
const gateway = (o: Obj[]) => o.find((x) => x.kind === "Gateway")!;
const labelGateway = (rev: string) => inference((o) => (gateway(o).metadata.labels = { ...gateway(o).metadata.labels, "istio.io/rev": rev }));

/** An istiod release named `name` with the program's values, `edit` applied. */
function istiod(name: string, edit: (v: Record<string, any>) => void = () => {}) {
  const v = JSON.parse(JSON.stringify(istiodValues(prod, cluster)));
  edit(v);
  return on(REL, name, { chart: "istiod", name, namespace: "istio-system", values: v });
}
const noFlag = (v: Record<string, any>) => delete v.env[FLAG];
const base = (defaultRevision?: string) => on(REL, "istio-base", { chart: "base", namespace: "istio-system", values: defaultRevision === undefined ? {} : { defaultRevision } });
const nsInference = (labels: Record<string, string>) => on(NS, "ns-inference", { metadata: { name: "inference", labels } });

async function review(resources: unknown[]) {
  return runStack(inferencePoolEpp, resources as any);
}
const flagged = async (resources: unknown[]) => (await review(resources)).violations.map((v) => /istiod release (\S+)/.exec(v.message)?.[1]);

test("inference-pool-epp: a canary istiod that owns no inference Gateway is not held to the inference flags", async () => {
  // istiod (revision default) serves the unlabelled Gateway; istiod-canary serves nothing of the stack.
  assert.deepEqual(await flagged([...inference(), base(), istiod("istiod"), istiod("istiod-canary", (v) => ((v.revision = "canary"), noFlag(v)))]), []);
  // By revision tag: the canary answers to `prod-stable`, which labels nothing here.
  assert.deepEqual(await flagged([...inference(), base(), istiod("istiod"), istiod("istiod-canary", (v) => ((v.revision = "canary"), (v.revisionTags = ["prod-stable"]), noFlag(v)))]), []);
});

test("inference-pool-epp: the istiod a Gateway or its namespace selects by istio.io/rev (a revision or a tag) is the one held to the flags", async () => {
  const both = [base(), istiod("istiod", noFlag), istiod("istiod-canary", (v) => ((v.revision = "canary"), (v.revisionTags = ["prod-stable"]), noFlag(v)))];
  assert.deepEqual(await flagged([...labelGateway("canary"), ...both]), ["a-istiod-canary"]);
  assert.deepEqual(await flagged([...inference(), nsInference({ "istio.io/rev": "prod-stable" }), ...both]), ["a-istiod-canary"]);
  // The Gateway's own label wins over its namespace's; `pilot.revision` is the chart's `revision` too.
  const pilotRev = [base(), istiod("istiod", noFlag), istiod("istiod-canary", (v) => ((v.pilot = { revision: "canary" }), noFlag(v)))];
  assert.deepEqual(await flagged([...labelGateway("default"), nsInference({ "istio.io/rev": "canary" }), ...pilotRev]), ["a-istiod"]);
  // A label no istiod of the stack answers to (a tag made with istioctl) leaves nothing to judge.
  assert.deepEqual(await flagged([...labelGateway("elsewhere"), ...both]), []);
});

test("inference-pool-epp: an unlabelled Gateway belongs to the default revision where no istiod answers to tag default", async () => {
  const revisioned = [istiod("istiod-1-30", (v) => ((v.revision = "1-30"), noFlag(v))), istiod("istiod-1-31", (v) => ((v.revision = "1-31"), noFlag(v)))];
  assert.deepEqual(await flagged([...inference(), base("1-30"), ...revisioned]), ["a-istiod-1-30"]);
  // The rendered istiod-default-validator says so too.
  const vwc = on("kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration", "vwc", { metadata: { name: "istiod-default-validator", labels: { "istio.io/rev": "1-31" } } });
  assert.deepEqual(await flagged([...inference(), vwc, ...revisioned]), ["a-istiod-1-31"]);
  // A default tag outranks the default revision.
  const tagged = [istiod("istiod-1-30", (v) => ((v.revision = "1-30"), noFlag(v))), istiod("istiod-1-31", (v) => ((v.revision = "1-31"), (v.revisionTags = ["default"]), noFlag(v)))];
  assert.deepEqual(await flagged([...inference(), base("1-30"), ...tagged]), ["a-istiod-1-31"]);
  // A default tag outranks the default revision only from istio-system, where its webhook is named
  // istio-revision-tag-default; a release naming no namespace installs into its provider's default
  // namespace (pulumi-kubernetes v4.34.2 helm_release.go setDefaults), here not istio-system.
  const elsewhere = tagged.map((r) => (r.name === "a-istiod-1-31" ? stackResource({ type: REL, name: r.name, props: { ...r.props, namespace: undefined }, provider: { ...k8sProvider("a"), props: { namespace: "istio-canary" } } }) : r));
  assert.deepEqual(await flagged([...inference(), base("1-30"), ...elsewhere]), ["a-istiod-1-30", "a-istiod-1-31"]);
  // Without the base chart or its webhook the default revision is not known: can't judge.
  const unknown = await review([...inference(), ...revisioned]);
  assert.deepEqual(unknown.violations, []);
  assert.match(unknown.unknown.join("\n"), /which istiod on cluster a owns Gateway inference\/inference-gateway/);
});

test("inference-pool-epp: a Gateway of istiod's renamed default class or controller is Istio's, and class istio then is not", async () => {
  const renamed = istiod("istiod", (v) => ((v.env.PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME = "mesh-ingress"), noFlag(v)));
  const ofClass = (cls: string) => inference((o) => (gateway(o).spec.gatewayClassName = cls));
  assert.deepEqual(await flagged([...ofClass("mesh-ingress"), base(), renamed]), ["a-istiod"]);
  assert.deepEqual(await flagged([...ofClass("istio"), base(), renamed]), []);
  const controller = istiod("istiod", (v) => ((v.pilot = { env: { PILOT_GATEWAY_API_CONTROLLER_NAME: "corp.example/gateway" } }), noFlag(v)));
  const cls = (name: string) => on("kubernetes:gateway.networking.k8s.io/v1:GatewayClass", `class-${name}`, { metadata: { name: "inference" }, spec: { controllerName: name } });
  assert.deepEqual(await flagged([...ofClass("inference"), cls("corp.example/gateway"), base(), controller]), ["a-istiod"]);
  assert.deepEqual(await flagged([...ofClass("inference"), cls("istio.io/gateway-controller"), base(), controller]), []);
});
