/**
 * A policy's "not known in this preview": the SDK's own error, which its server reports as
 * "can't run during preview" (advisory) instead of failing the policy.
 */
import * as policySdk from "@pulumi/policy";

// Exported at runtime, untyped.
const { UnknownValueError } = policySdk as unknown as { UnknownValueError: new (sentinel: string, path: string[]) => Error };
/** @pulumi/policy proxy.js unknownObjectValue. */
const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";

/** The SDK's "not known in this preview" error for `path` (what a policy reading it cannot know). */
export const unknownValueError = (path: string[]): Error => new UnknownValueError(UNKNOWN_OBJECT, path);

/**
 * Ends a policy (stack or resource) that could not judge everything in this preview, after it has
 * reported what it could: the SDK reports the `UnknownValueError` as an advisory "can't run during
 * preview" naming `what`, and keeps the violations already reported (@pulumi/policy 1.21
 * server.js pushes each reported violation before it catches the error).
 */
export function cannotJudge(what: string[]): never {
  throw unknownValueError([`<${[...new Set(what)].join("; ")}>`]);
}
