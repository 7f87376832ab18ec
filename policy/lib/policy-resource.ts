/**
 * A stand-in PolicyResource as @pulumi/policy's server builds one for a stack policy (props = the
 * resource's outputs), for code that runs the pack's readers outside a review: the topology report
 * (scripts/lib/topology-agw.ts) and the test harness (test/support/policy.ts).
 */
import type { PolicyProviderResource, PolicyResource, PolicyResourceOptions } from "@pulumi/policy";

/** The options the server fills in for a resource that sets none. */
export function defaultResourceOptions(additionalSecretOutputs: string[] = []): PolicyResourceOptions {
  return { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs, customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } };
}

export interface PolicyResourceInput {
  type: string;
  name: string;
  urn: string;
  props: Record<string, any>;
  provider?: PolicyProviderResource;
  opts?: PolicyResourceOptions;
}

/** One resource, with no dependencies and no type assertions (isType/asType answer false/undefined). */
export function policyResource(r: PolicyResourceInput): PolicyResource {
  return {
    type: r.type,
    props: r.props,
    urn: r.urn,
    name: r.name,
    opts: r.opts ?? defaultResourceOptions(),
    ...(r.provider ? { provider: r.provider } : {}),
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  };
}
