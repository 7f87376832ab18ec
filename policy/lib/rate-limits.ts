/**
 * What agentgateway v1.4.1 makes of an AgentgatewayPolicy's `traffic.rateLimit`
 * (RateLimitsOrConditional: `local[]` and `global`, or `conditional[]` entries of
 * `{condition, policy: {local, global}}`). Read by agentgateway-rate-limits.
 *
 * - The controller turns a `local` list into one xDS LocalRateLimit from its first entry only
 *   (controller/pkg/agentgateway/plugins/traffic_plugin.go processLocalRateLimitTraffic
 *   reads the list's first entry, marked "TODO: support multiple"; crates/protos resource.proto
 *   carries one limit), for the concrete form and each conditional entry alike, and says nothing on the
 *   policy's status: every later entry is never enforced. Several local policies on one route do
 *   not add up either (the proxy keeps one per route, a later or more specific policy's replacing
 *   the other: store/policy.rs merge_with_inheritance), so several limits need `global` descriptors.
 * - `burst` has no minimum in the CRD; the controller adds it to the limit as an unsigned 64-bit
 *   number, so a negative one wraps: a bucket smaller than its refill, which
 *   the proxy refuses ("max tokens cannot be less than the refill amount",
 *   http/localratelimit.rs), or one of nearly 2^64 that never runs dry. Either way nothing is limited.
 * - A `global` descriptor's entry `expression` or `cost` that does not parse as CEL (read by the
 *   proxy's parser, its cel fork: optional syntax off, no reserved words; cel-syntax.ts) is passed on
 *   by the controller (traffic_plugin.go processRateLimitDescriptor: status Accepted, reason
 *   PartiallyValid), and the proxy swaps it for an expression that always fails
 *   (types/agent_xds.rs permissive_cel_expression); a descriptor whose entry or cost fails to
 *   evaluate is skipped (http/remoteratelimit.rs build_request), on every request, so its limit is never applied.
 * - The CRD refuses (the API server rejects the policy): none of `local`/`global`/`conditional`,
 *   `conditional` beside either of the others, a conditional policy with neither `local` nor
 *   `global`, a local entry with both or neither of `requests` and `tokens`, a `requests` or
 *   `tokens` below 1, a `unit` other than Seconds, Minutes or Hours.
 */
import { probe } from "./values";
import { celSyntaxError } from "./cel-syntax";

const UNITS = new Set(["Seconds", "Minutes", "Hours"]);
const REFUSED = "the CRD's validation refuses it, so the API server rejects the policy";

/** A field the API server keeps: set and not null (null is pruned from a custom resource). */
const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** `1000 requests per Minutes`, as the entry reads, for messages. */
function describeLimit(entry: Record<string, unknown>): string {
  const amount = isSet(entry.requests) ? `${JSON.stringify(entry.requests)} requests` : `${JSON.stringify(entry.tokens)} tokens`;
  return `${amount} per ${JSON.stringify(entry.unit)}${isSet(entry.burst) ? ` (burst ${JSON.stringify(entry.burst)})` : ""}`;
}

/** Why the CRD refuses one local entry, or undefined. */
function refusedEntry(entry: Record<string, unknown>): string | undefined {
  const counts = [isSet(entry.requests), isSet(entry.tokens)].filter(Boolean).length;
  if (counts !== 1) return `sets ${counts === 0 ? "neither" : "both"} of requests and tokens ("exactly one of the fields in [requests tokens] must be set")`;
  const [field, amount] = isSet(entry.requests) ? ["requests", entry.requests] : ["tokens", entry.tokens];
  if (typeof amount !== "number" || !Number.isInteger(amount) || amount < 1) return `has ${field} ${JSON.stringify(amount)}, not a whole number of at least 1`;
  if (typeof entry.unit !== "string" || !UNITS.has(entry.unit)) return `has unit ${isSet(entry.unit) ? JSON.stringify(entry.unit) : "unset"}, not one of Seconds, Minutes, Hours (required)`;
  return undefined;
}

/** What agentgateway makes of a negative burst on the limit it applies, or undefined. */
function wrappedBurst(entry: Record<string, unknown>): string | undefined {
  const burst = entry.burst;
  if (typeof burst !== "number" || burst >= 0) return undefined;
  const limit = Number(isSet(entry.requests) ? entry.requests : entry.tokens);
  const outcome =
    -burst <= limit
      ? `a bucket of ${limit + burst} below its refill of ${limit}, which the proxy refuses ("invalid rate limit: max tokens cannot be less than the refill amount"), so the policy is not applied`
      : "a bucket of nearly 2^64 that never runs dry";
  return `has burst ${burst}: the CRD sets no minimum, and agentgateway v1.4.1's controller adds burst to the limit as an unsigned number (traffic_plugin.go processLocalRateLimitTraffic), so it wraps into ${outcome}: nothing is limited; set burst to 0 or more`;
}

/** Each finding on one `local` list at `at`, as [path, why]; a value not known yet goes to `unknown`. */
function judgeLocal(list: unknown, at: string, found: [string, string][], unknown: string[]): void {
  if (!Array.isArray(list)) return;
  // Read one by one: an entry not known yet leaves the verdicts on the others standing.
  const entries = Array.from({ length: list.length }, (_, i) => probe(() => JSON.parse(JSON.stringify(list[i])) as unknown));
  entries.forEach((entry, i) => {
    if (!entry.known) {
      unknown.push(`${at}[${i}]`);
      return;
    }
    const value = entry.value && typeof entry.value === "object" ? (entry.value as Record<string, unknown>) : {};
    const refused = refusedEntry(value);
    if (refused) found.push([`${at}[${i}]`, `${refused}: ${REFUSED}`]);
    else if (i === 0) {
      const burst = wrappedBurst(value);
      if (burst) found.push([`${at}[0]`, burst]);
    }
  });
  if (entries.length > 1) {
    const dropped = entries.slice(1).map((e) => (e.known && e.value && typeof e.value === "object" ? describeLimit(e.value as Record<string, unknown>) : "a limit not known yet"));
    found.push([
      at,
      `holds ${entries.length} limits, and agentgateway v1.4.1 enforces only the first: its controller translates ${at}[0] alone (traffic_plugin.go processLocalRateLimitTraffic, "TODO: support multiple") and drops the rest without a word on the policy's status, so ${dropped.join(", ")} ${dropped.length === 1 ? "is" : "are"} never enforced; keep one local limit (a second local policy on the route replaces it rather than adding to it), or express several limits as rateLimit.global descriptors`,
    ]);
  }
}

/** Why the proxy skips a descriptor whose CEL does not parse (`at` is the descriptor's path). */
const skipped = (at: string) =>
  `agentgateway v1.4.1's controller passes it on (traffic_plugin.go processRateLimitDescriptor: the policy stays Accepted, reason PartiallyValid) and the proxy replaces it with an expression that always fails (agent_xds.rs permissive_cel_expression), so ${at.slice(at.lastIndexOf(".") + 1)} is skipped on every request (remoteratelimit.rs build_request) and no request is ever counted against its limit: fix the expression`;

/** Each descriptor entry and cost of one `global` value at `at` that does not parse as CEL. */
function judgeGlobal(global: unknown, at: string, found: [string, string][], unknown: string[]): void {
  const descriptors = probe(() => (global && typeof global === "object" ? (global as Record<string, unknown>).descriptors : undefined));
  if (!descriptors.known) return void unknown.push(`${at}.descriptors`);
  if (!Array.isArray(descriptors.value)) return;
  descriptors.value.forEach((_, i) => {
    const where = `${at}.descriptors[${i}]`;
    const d = probe(() => JSON.parse(JSON.stringify((descriptors.value as unknown[])[i]) ?? "null") as unknown);
    if (!d.known) return void unknown.push(where);
    if (!d.value || typeof d.value !== "object") return;
    const { entries, cost } = d.value as { entries?: unknown; cost?: unknown };
    const expressions: [string, unknown][] = (Array.isArray(entries) ? entries : []).map((e, j) => [`${where}.entries[${j}].expression`, (e as { expression?: unknown } | null)?.expression]);
    if (isSet(cost)) expressions.push([`${where}.cost`, cost]);
    for (const [path, expr] of expressions) {
      const error = typeof expr === "string" ? celSyntaxError(expr, "agentgateway") : undefined;
      if (error) found.push([path, `${JSON.stringify(expr)} ${error}: ${skipped(where)}`]);
    }
  });
}

/**
 * Each finding on a `traffic.rateLimit` value, as [path, why]: a path under `at` the CRD refuses,
 * a local limit agentgateway v1.4.1 drops, or a burst that wraps. What this run cannot read is
 * named in `unknown` (verdicts on what it could read stand). `patch`: the value an
 * AgentgatewayPolicyPatch sets, so what it leaves out is the policy's own, not missing.
 */
export function rateLimitFindings(rateLimit: unknown, at: string, unknown: string[], patch = false): [string, string][] {
  const found: [string, string][] = [];
  if (!rateLimit || typeof rateLimit !== "object") return found;
  const rl = rateLimit as Record<string, unknown>;
  const fields = probe(() => ({ local: rl.local, global: rl.global, conditional: rl.conditional }));
  if (!fields.known) {
    unknown.push(at);
    return found;
  }
  const { local, global, conditional } = fields.value;
  // A patch leaves the fields it does not set to the policy it patches.
  if (!patch && !isSet(local) && !isSet(global) && !isSet(conditional)) {
    found.push([at, `sets none of local, global and conditional ("at least one of the fields in [conditional global local] must be set"): ${REFUSED}`]);
  }
  if (isSet(conditional) && (isSet(local) || isSet(global))) {
    found.push([at, `sets conditional beside ${[isSet(local) && "local", isSet(global) && "global"].filter(Boolean).join(" and ")} ("conditional cannot be set with any other field"): ${REFUSED}`]);
  }
  judgeLocal(local, `${at}.local`, found, unknown);
  judgeGlobal(global, `${at}.global`, found, unknown);
  if (!Array.isArray(conditional)) return found;
  for (let i = 0; i < conditional.length; i++) {
    const policy = probe(() => (conditional[i] as { policy?: Record<string, unknown> } | null)?.policy);
    if (!policy.known) {
      unknown.push(`${at}.conditional[${i}].policy`);
      continue;
    }
    const p = policy.value;
    if (!p || typeof p !== "object") continue;
    const inner = probe(() => ({ local: p.local, global: p.global }));
    if (!inner.known) {
      unknown.push(`${at}.conditional[${i}].policy`);
      continue;
    }
    if (!isSet(inner.value.local) && !isSet(inner.value.global)) {
      found.push([`${at}.conditional[${i}].policy`, `sets neither local nor global ("at least one of the fields in [global local] must be set"): ${REFUSED}`]);
    }
    judgeLocal(inner.value.local, `${at}.conditional[${i}].policy.local`, found, unknown);
    judgeGlobal(inner.value.global, `${at}.conditional[${i}].policy.global`, found, unknown);
  }
  return found;
}
