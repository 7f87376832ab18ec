/**
 * The review on what `pulumi stack export` prints after `pulumi up` (test/support/live-export.ts):
 * outputs are the live objects, with every default the API server filled in, so a state's two
 * sides always disagree and both are judged. The shipped stacks review clean (no verdict from a
 * default), and the issue's done-when breakages still fail their policy wherever they are in
 * such a state: in the inputs only (a program changed since the last `up`), in the outputs only (a
 * drifted object refreshed), and in both.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import { renderShipped } from "../support/render";
import { liveExport, liveObject, liveRelease, isLiveKubernetes } from "../support/live-export";
import { reviewWithPack, startPack, PolicyReport } from "../../scripts/lib/review";
import { parsePolicyConfig } from "../../scripts/lib/policy-config";
import type { PolicyPackProcess } from "../../scripts/lib/policy-pack";
import type { ExportedDeployment } from "../../scripts/lib/review-wire";
import { mutations } from "./mutations";
import { validateObject } from "../support/schemas";
import { istioAsV4Charts } from "../support/v4-istio";

type Stack = "local" | "dev" | "prod";
const rendered = (stack: Stack) => structuredClone(renderShipped(stack).exported) as unknown as ExportedDeployment;
/** The stack's own policy settings, as its render wrote them beside stack.json. */
const config = (stack: Stack) => ({ config: parsePolicyConfig(JSON.parse(renderShipped(stack).file("policy-config.json"))) });
const describe = (r: PolicyReport) => r.violations.map((v) => `${v.enforcementLevel} ${v.policy}: ${v.urn.split("::").pop()}: ${v.message}`).join("\n");

const packs = new Map<Stack, Promise<PolicyPackProcess>>();
const packFor = (stack: Stack) => {
  if (!packs.has(stack)) packs.set(stack, startPack(rendered(stack)));
  return packs.get(stack)!;
};
after(async () => {
  for (const p of packs.values()) await (await p.catch(() => undefined))?.close();
});

test("the live export is what pulumi-kubernetes records: defaults in the outputs only, inputs untouched", () => {
  const doc = rendered("prod");
  const live = liveExport(doc);
  const byUrn = new Map(doc.deployment.resources!.map((r) => [r.urn, r]));
  for (const r of live.deployment.resources!) if (byUrn.has(r.urn)) assert.deepEqual(r.inputs, byUrn.get(r.urn)!.inputs, r.urn);
  const outputs = (suffix: string) => live.deployment.resources!.find((r) => r.type.endsWith(suffix) && isLiveKubernetes(r))!.outputs as any;
  const route = outputs(":HTTPRoute");
  assert.deepEqual([route.spec.parentRefs[0].group, route.spec.parentRefs[0].kind], ["gateway.networking.k8s.io", "Gateway"]);
  assert.ok(route.spec.rules.every((rule: any) => rule.backendRefs.every((b: any) => b.weight !== undefined)), "Gateway API's default weight 1");
  const pod = outputs(":Deployment").spec.template.spec;
  assert.equal(pod.schedulerName, "default-scheduler");
  assert.equal(pod.containers[0].terminationMessagePolicy, "File");
  assert.equal(outputs(":Service").spec.ipFamilyPolicy, "SingleStack");
  assert.deepEqual(outputs(":Namespace").spec.finalizers, ["kubernetes"]);
  assert.equal(outputs(":Release").status.status, "deployed");
  const secret = outputs(":Secret");
  assert.equal(secret.stringData, undefined, "the API server folds stringData into data");
  const crds = live.deployment.resources!.filter((r) => r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition");
  // Per cluster: standard-install.yaml's ten, GIE v1-manifests.yaml's InferencePool, llm-d-router's two.
  assert.ok(crds.length >= 3 * 13 && crds.every((c) => c.provider && c.parent?.includes("kubernetes:yaml/v2:ConfigFile")), "each CRD bundle's objects, children of their ConfigFile on its provider");
});

test("the live objects are ones the API server would return: each validates against the upstream schemas", async () => {
  const failures: string[] = [];
  for (const stack of ["local", "prod"] as const) {
    for (const r of liveExport(rendered(stack)).deployment.resources!) {
      if (!isLiveKubernetes(r) || r.type === "kubernetes:helm.sh/v3:Release") continue;
      // pulumi-kubernetes' checkpoint fields, beside the live object.
      const { __inputs, __initialApiVersion, __fieldManager, ...object } = r.outputs as any;
      if (object.kind === "Secret" && object.data) object.data = "[secret]";
      const result = await validateObject(object);
      if (!result.ok) failures.push(`${stack} ${r.urn.split("::").pop()}: ${result.errors.join("; ")}`);
    }
  }
  assert.deepEqual(failures, []);
});

for (const stack of ["local", "dev", "prod"] as const) {
  test(`${stack}: the live export reviews with no violation, mandatory or advisory`, async () => {
    const report = await reviewWithPack(await packFor(stack), liveExport(rendered(stack)), config(stack));
    assert.equal(report.violations.length, 0, describe(report));
  });
}

/**
 * The issue's done-when breakages, on a live export: `side` says where the edit is. Inputs: the
 * mutated render's inputs (what the changed program declares). Outputs: the live object the
 * mutated inputs would give (a drifted object, refreshed). Both: the live export of the mutated
 * render.
 */
const doneWhen = ["mesh-wide mTLS turned PERMISSIVE", "an ALLOW rule opened to everyone", "a 50/50 canary split", "an image at :latest", "the GPU toleration removed from a GPU workload"];
const cases: { stack: Stack; name: string }[] = [
  ...doneWhen.map((name) => ({ stack: "prod" as const, name })),
  ...doneWhen.filter((n) => !n.startsWith("the GPU")).map((name) => ({ stack: "local" as const, name })),
];
for (const { stack, name } of cases) {
  for (const side of ["inputs", "outputs", "both"] as const) {
    test(`${stack} live export: ${name}, in the ${side === "both" ? "inputs and outputs" : `${side} only`}, fails its policy`, async () => {
      const m = mutations.find((x) => x.name.startsWith(name));
      assert.ok(m, `no mutation named ${name}`);
      const mutated = rendered(stack);
      const urn = m.apply(mutated);
      assert.ok(urn, `the ${stack} render has nothing to mutate for ${name}`);
      const changed = mutated.deployment.resources!.find((r) => r.urn === urn)!;
      const doc = side === "both" ? liveExport(mutated) : liveExport(rendered(stack));
      const target = doc.deployment.resources!.find((r) => r.urn === urn)!;
      if (side === "inputs") target.inputs = changed.inputs;
      if (side === "outputs") target.outputs = target.type === "kubernetes:helm.sh/v3:Release" ? liveRelease(changed.inputs!) : liveObject(changed.inputs!, urn);
      const report = await reviewWithPack(await packFor(stack), doc, config(stack));
      const hits = report.violations.filter((v) => v.enforcementLevel === "mandatory" && v.policy === m.policy);
      assert.ok(hits.length > 0, `${m.policy} did not fail; violations: ${describe(report) || "(none)"}`);
    });
  }
}

test("prod live export: a Kubernetes resource moved to the default provider fails explicit-kubernetes-provider", async () => {
  const m = mutations.find((x) => x.policy === "explicit-kubernetes-provider" && x.name.startsWith("a Kubernetes resource without its explicit provider"))!;
  const doc = liveExport(rendered("prod"));
  assert.ok(m.apply(doc));
  const report = await reviewWithPack(await packFor("prod"), doc, config("prod"));
  assert.ok(report.violations.some((v) => v.enforcementLevel === "mandatory" && v.policy === m.policy), describe(report));
});

test("prod live export with Istio as Helm v4 Charts (components without inputs or provider, their objects as children) reviews clean, and broken through those objects it fails", async () => {
  const doc = istioAsV4Charts(liveExport(rendered("prod")));
  const clean = await reviewWithPack(await packFor("prod"), doc, config("prod"));
  // Only the charts' versions, which their state does not hold, go unjudged.
  assert.deepEqual([...new Set(clean.violations.map((v) => `${v.enforcementLevel} ${v.policy}`))], ["advisory images-pinned"], describe(clean));
  const edit = (urnEnd: string, change: (o: any) => void) => {
    const copy = structuredClone(doc);
    const r = copy.deployment.resources!.find((x) => x.urn.endsWith(urnEnd))!;
    change(r.inputs);
    change(r.outputs);
    return copy;
  };
  const failed = async (d: typeof doc) => [...new Set((await reviewWithPack(await packFor("prod"), d, config("prod"))).violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy))];
  assert.deepEqual(await failed(edit("::gcp-usc1-istio-cni:istio-system/istio-cni-config", (o) => (o.data.AMBIENT_ENABLED = "false"))), ["mesh-mtls-strict"]);
  assert.deepEqual(await failed(edit("::aws-use1-istiod:istio-system/values", (o) => (o.data["original-values"] = o.data["original-values"].replace('"meshID":"inference-mesh"', '"meshID":"other"')))), ["mesh-identity-consistent"]);
  assert.deepEqual(await failed(edit("::aws-euw1-istio-cni:istio-system/istio-cni-node", (o) => (o.spec.template.spec.tolerations = []))), ["gpu-scheduling"]);
  // The ztunnel chart lists its `env` values after the NETWORK it renders; the kubelet takes the later.
  assert.deepEqual(await failed(edit("::aws-euw1-ztunnel:istio-system/ztunnel", (o) => o.spec.template.spec.containers[0].env.push({ name: "NETWORK", value: "net-elsewhere" }))), ["mesh-identity-consistent"]);
});
