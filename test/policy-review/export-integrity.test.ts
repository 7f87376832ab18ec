/**
 * A `pulumi stack export` file whose provider references or URNs break the snapshot integrity the
 * CLI checks on every state it loads (pulumi v3.248.0 pkg/resource/deploy/snapshot.go
 * VerifyIntegrity: "refers to unknown provider", "failed to parse provider reference", "duplicate
 * resource … (not marked for deletion)"). The review read such a file and judged something else
 * than any preview could: a resource without its provider, or one resource twice.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "../support/tmp";
import { packDir } from "../support/review-fixture";
import { runPolicyCli } from "../support/policy-cli";
import type { ExportedResource } from "../../scripts/lib/review-wire";

const p = "urn:pulumi:staging::shop";
const stackUrn = `${p}::pulumi:pulumi:Stack::shop-staging`;
// A provider a component made: its URN's type is qualified by the component's (`…$pulumi:providers:kubernetes`).
const providerUrn = `${p}::shop:index:Cluster$pulumi:providers:kubernetes::k8s`;
const ns = (name: string, extra: Partial<ExportedResource> = {}): ExportedResource => {
  const obj = { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "app.kubernetes.io/part-of": "shop" } } };
  return { urn: `${p}::kubernetes:core/v1:Namespace::${name}`, custom: true, id: name, type: "kubernetes:core/v1:Namespace", inputs: obj, outputs: obj, parent: stackUrn, provider: `${providerUrn}::prov-id`, ...extra };
};
const exportOf = (resources: ExportedResource[]) => ({
  version: 3,
  deployment: {
    resources: [
      { urn: stackUrn, custom: false, type: "pulumi:pulumi:Stack", outputs: {} },
      { urn: providerUrn, custom: true, id: "prov-id", type: "pulumi:providers:kubernetes", inputs: {}, outputs: {}, parent: stackUrn },
      ...resources,
    ],
  },
});

function review(doc: unknown) {
  const state = path.join(tempDir("review-integrity-"), "state.json");
  fs.writeFileSync(state, JSON.stringify(doc));
  const res = runPolicyCli(["--state", state, "--pack", packDir, "--json", "--out", "-"]);
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

test("provider references and URNs the CLI would refuse to load exit 2 naming the resource and the rule, before any review", () => {
  const cases: [ExportedResource[], RegExp][] = [
    [[ns("apps", { provider: `${p}::pulumi:providers:kubernetes::gone::prov-id` })], /resources\[2\] \(.*Namespace::apps\) refers to unknown provider urn:pulumi:staging::shop::pulumi:providers:kubernetes::gone::prov-id: no provider resource with that URN and ID comes before it/],
    [[ns("apps", { provider: `${providerUrn}::other-id` })], /refers to unknown provider .*::k8s::other-id/],
    [[ns("apps", { provider: providerUrn.replace("pulumi:providers:kubernetes", "kubernetes:core/v1:Namespace") + "::x" })], /provider ".*" is not a provider reference \(expected urn:pulumi:<stack>::<project>::pulumi:providers:<package>::<name>::<id>\)/],
    [[ns("apps", { provider: "k8s" })], /provider "k8s" is not a provider reference/],
    [[ns("apps"), ns("apps")], /resources\[3\] \(.*Namespace::apps\) duplicates deployment\.resources\[2\]: a URN appears more than once only when the other copies are marked for deletion/],
  ];
  for (const [resources, expected] of cases) {
    const r = review(exportOf(resources));
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, expected);
    assert.match(r.stderr, /the CLI refuses such a state \(snapshot integrity failure/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  // A provider listed after its user is unknown to it, as VerifyIntegrity reads the list in order.
  const doc = exportOf([ns("apps")]);
  doc.deployment.resources.splice(1, 2, doc.deployment.resources[2], doc.deployment.resources[1]);
  assert.match(review(doc).stderr, /Namespace::apps\) refers to unknown provider/);
});

test("what VerifyIntegrity allows is reviewed: a component's provider, copies pending deletion beside the live one (on a replaced provider, itself pending deletion), a resource pending replacement whose provider is gone", () => {
  const r = review(exportOf([
    { urn: providerUrn, custom: true, id: "old-id", type: "pulumi:providers:kubernetes", inputs: {}, outputs: {}, parent: stackUrn, delete: true },
    ns("apps", { delete: true, provider: `${providerUrn}::old-id` }), ns("apps"),
    ns("jobs", { pendingReplacement: true, provider: `${p}::pulumi:providers:kubernetes::gone::x` } as Partial<ExportedResource>),
  ]));
  // Reviewed (the fixture pack may report the resource whose provider is gone; a preview registers it anew).
  assert.notEqual(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stderr, /snapshot integrity/);
  assert.equal(JSON.parse(r.stdout).summary.resources, 4, "the copies pending deletion are not judged");
});
