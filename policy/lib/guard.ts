/**
 * A policy that meets a value it cannot read must judge it, not throw. @pulumi/policy 1.21 turns an
 * error thrown by a validation (other than its own "unknown during preview" and "not applicable")
 * into a gRPC error (server.js: `Error validating resource with policy …`), and the engine fails
 * the whole preview with it ("failed to run policy", pkg/resource/deploy/analyze_snapshot.go); in
 * a stack validation one such error also drops every other stack policy's verdicts, since the
 * server runs them all in one AnalyzeStack call. A hand-edited or foreign state can hold anything
 * (a null list entry, a number where Kubernetes has a string): the rules read what they expect
 * defensively, and this guard catches whatever slips through, reporting it as a violation of the
 * policy on the resource it was reading, at the policy's enforcement level, so that the resource
 * is not waved through and the other verdicts still reach the reviewer.
 */
import type { Policy, PolicyResource, ReportViolation, ResourceValidation, ResourceValidationPolicy, StackValidation, StackValidationPolicy } from "@pulumi/policy";
import { isUnknownError } from "./values";

/** The SDK's own control-flow errors, which its server handles: passed through. */
function handledBySdk(err: unknown): boolean {
  return isUnknownError(err) || (err instanceof Error && err.constructor?.name === "NotApplicableError");
}

/** The error in one line, with the pack file and line it came from (for a policy bug report). */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const frame = (err.stack ?? "").split("\n").map((l) => /((?:rules|lib)\/[\w.-]+\.ts:\d+)/.exec(l)?.[1]).find((f) => f !== undefined);
  return `${err.name}: ${err.message.split("\n")[0]}${frame ? ` (at ${frame})` : ""}`;
}

const hint =
  "a value has a type or shape this policy does not read (null, or a string, number, list or object where Kubernetes or the provider has another); fix that value, or report a bug in the policy if the resource is well formed";

function guardResource(name: string, validate: ResourceValidation): ResourceValidation {
  return async (args, report) => {
    try {
      await validate(args, report);
    } catch (err) {
      if (handledBySdk(err)) throw err;
      report(`${args.type} ${args.name} could not be judged by ${name}: reading it failed with ${describeError(err)}; ${hint}`);
    }
  };
}

/**
 * Each resource's `props` is made to record that it was read, so that an error can be reported on
 * the resource the policy was reading when it failed (the resource objects are built afresh for
 * each policy call, so redefining the property changes nothing outside it).
 */
function trackReads(resources: PolicyResource[]): () => PolicyResource | undefined {
  let last: PolicyResource | undefined;
  for (const r of resources) {
    const props = r.props;
    Object.defineProperty(r, "props", {
      configurable: true,
      enumerable: true,
      get: () => {
        last = r;
        return props;
      },
    });
  }
  return () => last;
}

function guardStack(name: string, validate: StackValidation): StackValidation {
  return async (args, report: ReportViolation) => {
    const lastRead = trackReads(args.resources);
    try {
      await validate(args, report);
    } catch (err) {
      if (handledBySdk(err)) throw err;
      const r = lastRead();
      const where = r ? ` while reading ${r.type} ${r.name}` : "";
      report(`${name} could not finish judging the stack: it failed${where} with ${describeError(err)}; ${hint}`, r?.urn);
    }
  };
}

/** The policy with its validations guarded; a remediation that fails changes nothing (its validation then judges). */
export function guarded<P extends Policy>(policy: P): P {
  const p = policy as unknown as Partial<ResourceValidationPolicy & StackValidationPolicy>;
  const out = { ...(policy as object) } as Record<string, unknown>;
  if (p.validateResource) {
    out.validateResource = Array.isArray(p.validateResource) ? p.validateResource.map((v) => guardResource(policy.name, v)) : guardResource(policy.name, p.validateResource);
  }
  if (p.validateStack) out.validateStack = guardStack(policy.name, p.validateStack);
  const remediate = p.remediateResource;
  if (remediate) {
    out.remediateResource = async (args: Parameters<typeof remediate>[0]) => {
      try {
        return await remediate(args);
      } catch (err) {
        if (handledBySdk(err)) throw err;
        return undefined;
      }
    };
  }
  return out as P;
}
