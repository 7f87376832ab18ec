/**
 * AgentgatewayPolicyPatch (`kubernetes:agentgateway.dev/<version>:AgentgatewayPolicyPatch`, the
 * `<Kind>Patch` pulumi-kubernetes registers for a custom resource: patches.ts) applied to the
 * AgentgatewayPolicy it names, for rules that judge what agentgateway enforces rather than one
 * resource's fields. The provider server-side-applies the patch to the live object, so the proxy
 * runs the policy with the patch's fields over its own: maps merge key by key, and the CRD's lists
 * (targetRefs, targetSelectors, matchExpressions, rateLimit.local, providers) declare no
 * x-kubernetes-list-type, so they are atomic and a patch's list replaces the policy's. A field the
 * patch sets to null is read as removed (the patch's manager may not own it, so this can only add a
 * finding). A patch naming no policy of the stack patches one the stack does not show: it is
 * judged as that policy, since it is all of it the review can see.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta } from "./k8s";
import { patchedType } from "./patches";
import { orUnknown, probe } from "./values";

const GROUP = "agentgateway.dev";
const isPolicy = (type: string) => isKind(type, GROUP, "AgentgatewayPolicy");
const isPolicyPatch = (type: string) => isKind(type, GROUP, "AgentgatewayPolicyPatch");

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A patch applied to a policy, for messages: `AgentgatewayPolicyPatch ns/name (urn)`, and the policy's props before it. */
export interface AppliedPatch {
  shown: string;
  before: Record<string, any>;
}
const applied = new WeakMap<PolicyResource, AppliedPatch[]>();

/** The patches applied to a resource withAgentgatewayPolicyPatches returned, in order (none for one it left as it was). */
export const patchesOf = (r: PolicyResource): AppliedPatch[] => applied.get(r) ?? [];

/** ` (with AgentgatewayPolicyPatch … applied)` for a patched policy, else "": so a finding on the policy names what changed it. */
export const patchedNote = (r: PolicyResource): string => {
  const ps = patchesOf(r);
  return ps.length > 0 ? ` (with ${ps.map((p) => p.shown).join(", ")} applied)` : "";
};

/** `r` (the policy `from` became with the patch `shown` applied) with the patches recorded: `from`'s, then this one. */
const record = (r: PolicyResource, from: PolicyResource | undefined, shown: string): PolicyResource => {
  applied.set(r, [...(from ? patchesOf(from) : []), { shown, before: from?.props ?? {} }]);
  return r;
};

/** `patch` applied over `base` as server-side apply merges a custom resource without list types. */
export function applyPatch(base: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return patch;
  const out: Record<string, unknown> = isMap(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = isMap(value) ? applyPatch(out[key], value) : value;
  }
  return out;
}

/**
 * The cluster's resources with every AgentgatewayPolicyPatch applied to the AgentgatewayPolicy of
 * its namespace and name (or standing as that policy where the stack has none). A patch or policy
 * this preview cannot read yet goes to `pending`, and the policy is left as it is.
 */
export function withAgentgatewayPolicyPatches(resources: PolicyResource[], pending: string[], cluster: string): PolicyResource[] {
  const patches = resources.filter((r) => isPolicyPatch(r.type));
  if (patches.length === 0) return resources;
  const out = resources.filter((r) => !isPolicyPatch(r.type));
  for (const p of patches) {
    const read = probe(() => ({ ns: meta(p.props).namespace as string | undefined, name: meta(p.props).name as string | undefined, props: JSON.parse(JSON.stringify(p.props)) as unknown }));
    if (!read.known) {
      pending.push(`AgentgatewayPolicyPatch ${p.name} on cluster ${cluster}, which may change what an AgentgatewayPolicy enforces`);
      continue;
    }
    const { ns, name, props } = read.value;
    const shown = `AgentgatewayPolicyPatch ${ns}/${name} (${p.urn})`;
    const i = out.findIndex((r) => isPolicy(r.type) && orUnknown(() => meta(r.props).namespace === ns && meta(r.props).name === name, false));
    if (i < 0) {
      out.push(record({ ...p, type: patchedType(p.type), props: props as Record<string, any> }, undefined, shown));
      continue;
    }
    const merged = probe(() => applyPatch(JSON.parse(JSON.stringify(out[i].props)), props) as Record<string, any>);
    if (!merged.known) pending.push(`AgentgatewayPolicy ${ns}/${name} on cluster ${cluster}, which AgentgatewayPolicyPatch ${p.name} changes`);
    else out[i] = record({ ...out[i], props: merged.value }, out[i], shown);
  }
  return out;
}
