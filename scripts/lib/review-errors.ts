/**
 * What the review says when the pack fails on a call instead of answering it. @pulumi/policy 1.21
 * turns a validation that throws (anything but its own unknown-value and not-applicable errors)
 * into a gRPC error, `Error validating resource with policy '<name>' from policy pack
 * '<pack>@v<version>':` and the error's stack (server.js, protoutil.js asGrpcError); the engine
 * then fails the preview with "failed to run policy" (pkg/resource/deploy/analyze_snapshot.go).
 * The review stops the same way, naming the policy and the resource it was judging, with the
 * error's first line and where in the pack it was thrown, instead of a bare gRPC status and stack.
 */
import * as path from "node:path";
import type { ExportedResource } from "./review-wire";

/** Method the failing request called, and the resource it sent (none for AnalyzeStack). */
export interface FailedCall {
  method: "Analyze" | "Remediate" | "AnalyzeStack";
  resource?: ExportedResource;
  side?: "inputs" | "outputs";
}

const SDK_PREFIX = /^\d+ [A-Z_]+: Error (?:validating|remediating) resource with policy '([^']+)' from policy pack '([^']+)':\n/;

/**
 * A pack file as its author knows it: the review runs a transpiled copy of the pack from
 * `<pack>/node_modules/.cache/inference-mesh-pack/<hash>/` (pack-build.ts), whose source maps
 * name the `.ts` files inside that copy.
 */
function packSource(file: string): string {
  return path.relative(process.cwd(), file.replace(/[\\/]node_modules[\\/]\.cache[\\/]inference-mesh-pack[\\/][0-9a-f]+(?=[\\/])/, ""));
}

/** The thrown error's first line and the first stack frame in the pack's own files (not the SDK's). */
function summarize(detail: string): string {
  const lines = detail.split("\n");
  const frame = lines
    .slice(1)
    .map((l) => /\(?((?:\/|[A-Za-z]:\\)[^()]+?\.[cm]?[jt]s:\d+):\d+\)?$/.exec(l.trim())?.[1])
    .find((f) => f !== undefined && !f.includes("node_modules/@pulumi/") && !f.startsWith("node:"));
  return `${lines[0]}${frame ? ` (at ${packSource(frame)})` : ""}`;
}

/** The error to stop the review with, naming the policy (when the SDK said) and the resource. */
export function packCallError(err: unknown, call: FailedCall): Error {
  const message = err instanceof Error ? err.message : String(err);
  const r = call.resource;
  const target = r ? `${r.type} ${r.urn.split("::").slice(3).join("::")} (${r.urn}${call.side === "outputs" ? ", its outputs" : ""})` : "the stack (AnalyzeStack)";
  const sdk = SDK_PREFIX.exec(message);
  if (!sdk) return new Error(`the policy pack failed ${call.method} on ${target}: ${message.split("\n")[0]}`);
  return new Error(
    `policy '${sdk[1]}' (pack ${sdk[2]}) threw while judging ${target}: ${summarize(message.slice(sdk[0].length))}. ` +
      `pulumi preview stops the same way ("failed to run policy"): the policy must judge such a value (report a violation), not throw`,
  );
}
