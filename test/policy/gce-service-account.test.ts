/**
 * gce-service-account-dedicated: a GCE VM (or template) that gets a token runs as a dedicated
 * service account, never the Compute Engine default one, whose Editor grant every pod on a k3s VM
 * would share through the metadata server.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gceServiceAccountDedicated } from "../../policy/rules/gce-service-account-dedicated";
import { runResource, UNKNOWN } from "../support/policy";

const template = (serviceAccount: unknown, name = "gcp-usc1-gpu-a100-template") => ({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name, props: { machineType: "a2-ultragpu-4g", serviceAccount } });
const scopes = ["https://www.googleapis.com/auth/cloud-platform"];

test("gce-service-account-dedicated: no account, a dedicated one, or no scopes pass", async () => {
  const ok = await runResource(gceServiceAccountDedicated, [
    template(undefined),
    template({ email: "gcp-usc1-models-1a2b@inference-mesh-prod.iam.gserviceaccount.com", scopes }),
    template({ email: "123456789012-compute@developer.gserviceaccount.com", scopes: [] }),
    // An account the stack creates has an email computed in a first preview: never the default's.
    template({ email: UNKNOWN, scopes }),
    { type: "gcp:compute/instance:Instance", name: "gcp-usc1-server", props: { machineType: "e2-standard-4" } },
  ]);
  assert.deepEqual(ok.violations, []);
  assert.deepEqual(ok.unknown, []);
});

test("gce-service-account-dedicated: the Compute Engine default account, by address, `default` or no email, is refused", async () => {
  const bad = await runResource(gceServiceAccountDedicated, [
    template({ email: "123456789012-compute@developer.gserviceaccount.com", scopes }, "by-address"),
    template({ email: "default", scopes }, "by-alias"),
    { type: "gcp:compute/instance:Instance", name: "no-email", props: { serviceAccount: { scopes } } },
    { type: "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate", name: "regional", props: { serviceAccount: { email: "", scopes } } },
  ]);
  assert.equal(bad.violations.length, 4);
  assert.match(bad.violations[0].message, /^GCE VM by-address runs as the Compute Engine default service account \(123456789012-compute@developer\.gserviceaccount\.com\), which holds Editor on its project/);
  assert.match(bad.violations[2].message, /GCE VM no-email runs as the Compute Engine default service account \(the default, as no email is given\)/);
  assert.match(bad.violations[3].message, /give it a dedicated service account with only the roles it needs/);
});

test("gce-service-account-dedicated: scopes not known in a preview are can't judge", async () => {
  const outcome = await runResource(gceServiceAccountDedicated, template({ email: "default", scopes: UNKNOWN }));
  assert.deepEqual(outcome.violations, []);
  assert.equal(outcome.unknown.length, 1);
});
