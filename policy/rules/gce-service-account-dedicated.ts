import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cannotJudge } from "../lib/k8s";
import { list, probe } from "../lib/values";

/** GCE VMs and the templates that make them: each may name the service account its VMs run as. */
const GCE_VM_TYPES = new Set([
  "gcp:compute/instance:Instance",
  "gcp:compute/instanceTemplate:InstanceTemplate",
  "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate",
  "gcp:compute/instanceFromTemplate:InstanceFromTemplate",
  "gcp:compute/instanceFromMachineImage:InstanceFromMachineImage",
]);

/** The Compute Engine default service account: `<project number>-compute@developer.gserviceaccount.com`. */
const DEFAULT_COMPUTE_ACCOUNT = /^\d+-compute@developer\.gserviceaccount\.com$/;

/**
 * Which account a VM's `serviceAccount` block runs it as, when that is the Compute Engine default
 * one: no email (the Google provider then attaches the default), `default`, or the default's own
 * address. Undefined for a dedicated account, and for one whose email is not known in this run (an
 * account the stack creates: the default's address is a literal or a lookup, both known).
 */
function defaultAccountOf(serviceAccount: Record<string, unknown>): string | undefined {
  const email = probe(() => serviceAccount.email);
  if (!email.known) return undefined;
  if (email.value === undefined || email.value === null || email.value === "") return "the default, as no email is given";
  const text = String(email.value);
  return text === "default" || DEFAULT_COMPUTE_ACCOUNT.test(text) ? text : undefined;
}

/**
 * A GCE VM that gets a token as the Compute Engine default service account gets whatever that
 * account holds, Editor on its project unless an organization policy
 * (iam.automaticIamGrantsForDefaultServiceAccounts) stopped the grant (CIS Google Cloud benchmark
 * 4.1); and on a k3s VM every pod reads that token from the metadata server. The program's VMs run
 * without a service account, or as a dedicated one (the model reader on GPU agents serving a gs://
 * model, components/cloud/gcp/model-reader.ts).
 */
export const gceServiceAccountDedicated: ResourceValidationPolicy = {
  name: "gce-service-account-dedicated",
  description:
    "GCE VMs (instances, instance templates, regional instance templates, instances from a template or machine image) that get a service account token (a serviceAccount with scopes) run as a dedicated service account, not the Compute Engine default one (no email, `default`, or `<project number>-compute@developer.gserviceaccount.com`), which holds Editor on its project unless an organization policy stopped that grant; every pod on such a VM reads its token from the metadata server.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!GCE_VM_TYPES.has(args.type)) return;
    const read = probe(() => {
      const block = args.props.serviceAccount as Record<string, unknown> | undefined | null;
      return block ? { block, scopes: list(block.scopes as unknown[]).length } : undefined;
    });
    if (!read.known) cannotJudge([`the serviceAccount scopes of GCE VM ${args.name}, which decide whether it gets a service account token`]);
    // No block: no service account and no token; no scopes: a token good for no API.
    if (!read.value || read.value.scopes === 0) return;
    const account = defaultAccountOf(read.value.block);
    if (!account) return;
    report(
      `GCE VM ${args.name} runs as the Compute Engine default service account (${account}), which holds Editor on its project unless an organization policy stopped that grant, and every pod on it can read its token from the metadata server; give it a dedicated service account with only the roles it needs (as the model reader of GPU agents serving a gs:// model), or no serviceAccount`,
    );
  },
};
