/**
 * Shares of a route rule's requests a backend receives: by weight, and as copies through Gateway
 * API's RequestMirror filter. A mirrored request is served in full by the mirror's backend (its
 * response dropped): an agent canary mirrored every request acts on every message, its tool calls
 * included, whatever its weight says. agentgateway v1.4.1 implements the filter on HTTPRoute and
 * GRPCRoute rules and on their backendRefs (controller/pkg/agentgateway/translator/conversion.go
 * HTTPRouteFilterRequestMirror, agw.go CreateAgwMirrorFilter), and Istio 1.30.3 on rules
 * (pilot/pkg/config/kube/gateway/conversion.go createMirrorFilter).
 */

/**
 * The share `weight` of `total` gets, in percent, when it is more than `maxPercent`; undefined when
 * it is not. Compared exactly: rounded to two decimals, 100001 of 1000000 (10.0001%) read as 10%
 * and passed a limit of 10. Shown at two decimals, or as many as tell it from the limit.
 */
export function shareOver(weight: number, total: number, maxPercent: number): number | undefined {
  if (total <= 0 || weight * 100 <= maxPercent * total) return undefined;
  const share = Math.round((weight * 10000) / total) / 100;
  return share > maxPercent ? share : Number(((weight * 100) / total).toFixed(6));
}

interface MirrorRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
}
export interface MirrorFilter {
  type?: string;
  requestMirror?: { backendRef?: MirrorRef; percent?: unknown; fraction?: { numerator?: unknown; denominator?: unknown } };
}

/**
 * The share of the requests a RequestMirror filter copies, from 0 to 1: `fraction` numerator /
 * denominator (100 when unset), else `percent` / 100, else every request (Gateway API v1.5.1's
 * HTTPRequestMirrorFilter; agentgateway v1.4.1 and Istio 1.30.3 read them so). Undefined for a
 * value the CRD refuses (the API server then refuses the route).
 */
export function mirrorFraction(f: MirrorFilter["requestMirror"]): number | undefined {
  const whole = (v: unknown, min: number) => typeof v === "number" && Number.isInteger(v) && v >= min;
  if (f?.fraction !== undefined && f.fraction !== null) {
    const { numerator, denominator = 100 } = f.fraction;
    return whole(numerator, 0) && whole(denominator, 1) && (numerator as number) <= (denominator as number) ? (numerator as number) / (denominator as number) : undefined;
  }
  if (f?.percent !== undefined && f.percent !== null) return whole(f.percent, 0) && (f.percent as number) <= 100 ? (f.percent as number) / 100 : undefined;
  return 1;
}

/** A backend a rule mirrors to: the share of the rule's requests it receives as copies (0 to 1), and the filters that copy them. */
export interface Mirrored {
  name: string;
  share: number;
  via: string[];
}

/**
 * The backends a rule's RequestMirror filters copy requests to, by key: a filter of the rule copies
 * its fraction of every request the rule takes; one on a backendRef its fraction of the requests
 * sent to that backend (`shareOf`: the backendRef's share of the rule, 0 to 1).
 */
export function mirroredShares<R extends { filters?: MirrorFilter[] }>(
  rule: { filters?: MirrorFilter[]; backendRefs?: R[] },
  keyOf: (ref: MirrorRef) => string,
  shareOf: (ref: R) => number,
): Map<string, Mirrored> {
  const out = new Map<string, Mirrored>();
  const add = (filters: MirrorFilter[] | undefined, share: number, via: string) => {
    for (const f of Array.isArray(filters) ? filters : []) {
      const ref = f?.type === "RequestMirror" ? f.requestMirror?.backendRef : undefined;
      const fraction = ref && typeof ref.name === "string" ? mirrorFraction(f.requestMirror) : undefined;
      if (!ref || fraction === undefined || fraction === 0 || share === 0) continue;
      const entry = out.get(keyOf(ref)) ?? { name: ref.name, share: 0, via: [] };
      entry.share += share * fraction;
      entry.via.push(`${via} (${Math.round(fraction * 10000) / 100}%)`);
      out.set(keyOf(ref), entry);
    }
  };
  add(rule.filters, 1, "the rule's RequestMirror filter");
  for (const ref of Array.isArray(rule.backendRefs) ? rule.backendRefs : []) add(ref?.filters, shareOf(ref), `the RequestMirror filter of backendRef ${(ref as { name?: string }).name}`);
  return out;
}
