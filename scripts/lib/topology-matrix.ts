/**
 * The who-may-call-whom matrix of topology.md, evaluated as Istio does for each caller, target and
 * cluster: a matching DENY rule denies, else a matching ALLOW rule allows, else a target some ALLOW
 * policy applies to denies, else the call is open (istio/api security/v1beta1 AuthorizationPolicy:
 * "If there are any ALLOW policies … deny the request" when none match). Rows are the callers the
 * policies name plus the rendered identities their rules cover (namespaces, wildcards, `not*`
 * fields, rules without sources); a cell that differs between clusters says where each holds.
 */
import type { AccessEdge } from "./topology-access";
import { IDENTITY } from "./topology-sources";

export interface Matrix {
  callers: string[];
  targets: string[];
  /** Cell text by `caller\u0000target` ("" when no rule lets the caller in). */
  cells: Map<string, string>;
}

const ops = (e: AccessEdge) =>
  [e.ports?.length ? `:${e.ports.join(",")}` : "", e.methods?.join(",") ?? "", e.paths?.join(",") ?? "", ...(e.conditions ?? [])].filter(Boolean).join(" ");

/** What one caller may do to one target on one cluster. */
function verdict(caller: string, matched: AccessEdge[], allowApplies: boolean, exists: boolean): string {
  const enforced = matched.filter((e) => !e.unenforced);
  const detail = (es: AccessEdge[]) => {
    const d = [...new Set(es.map(ops))];
    return d.includes("") ? "" : ` ${d.join("; ")}`;
  };
  // A DENY rule that can never match (a principal of another trust domain, a mesh identity at a
  // gateway that sees none) denies nobody: it is shown as "never matches", not as ✗.
  const deny = enforced.filter((e) => e.action === "DENY" && !e.neverMatches);
  const allow = enforced.filter((e) => e.action === "ALLOW" && !e.neverMatches);
  const parts: string[] = [];
  const denied = deny.length ? `✗${detail(deny)}` : "";
  if (denied) parts.push(denied);
  // A DENY on every request leaves nothing for an ALLOW to grant.
  if (!(deny.length && denied === "✗")) {
    if (allow.length) parts.push(`✓${detail(allow)}`);
    else if (!allowApplies && exists && IDENTITY.test(caller)) parts.push("open");
  }
  const other = [...new Set(enforced.filter((e) => e.action !== "DENY" && e.action !== "ALLOW").map((e) => e.action))];
  if (other.length) parts.push(other.join(","));
  if (!parts.length && enforced.some((e) => e.neverMatches)) parts.push("never matches");
  if (!parts.length && matched.some((e) => e.unenforced)) parts.push(`not enforced: ${matched.find((e) => e.unenforced)!.unenforced}`);
  return parts.join(" · ");
}

export function accessMatrix(edges: AccessEdge[], identities: Set<string>, workloadClusters: Map<string, Set<string>>): Matrix {
  const targets = [...new Set(edges.map((e) => e.target))].sort();
  const labelled = new Set(edges.map((e) => e.caller));
  // Rendered identities a rule covers without naming them get a row too (not for a policy nothing enforces).
  const covered = [...identities].filter((id) => !labelled.has(id) && edges.some((e) => !e.unenforced && e.admits?.(id)));
  const callers = [...new Set([...labelled, ...covered])].sort();
  const clustersOf = new Map<string, Set<string>>();
  for (const t of targets) clustersOf.set(t, new Set([...edges.filter((e) => e.target === t).map((e) => e.cluster), ...(workloadClusters.get(t) ?? [])]));
  const allowApplies = new Set(edges.filter((e) => e.action === "ALLOW" && !e.unenforced).map((e) => `${e.cluster}\u0000${e.target}`));
  const byTarget = new Map<string, AccessEdge[]>();
  for (const e of edges) byTarget.set(`${e.cluster}\u0000${e.target}`, [...(byTarget.get(`${e.cluster}\u0000${e.target}`) ?? []), e]);
  const cells = new Map<string, string>();
  for (const caller of callers) {
    for (const target of targets) {
      const clusters = [...clustersOf.get(target)!].sort();
      const texts = new Map<string, string[]>();
      for (const cluster of clusters) {
        const key = `${cluster}\u0000${target}`;
        const matched = (byTarget.get(key) ?? []).filter((e) => e.caller === caller || (IDENTITY.test(caller) && e.admits?.(caller)));
        const exists = workloadClusters.has(target) ? workloadClusters.get(target)!.has(cluster) : !target.endsWith("(no rendered workload)");
        const text = verdict(caller, matched, allowApplies.has(key), exists);
        texts.set(text, [...(texts.get(text) ?? []), cluster]);
      }
      const shown = [...texts].filter(([text]) => text !== "");
      const cell =
        shown.length === 1 && shown[0][1].length === clusters.length ? shown[0][0] : shown.map(([text, cs]) => `${text} (${cs.join(", ")})`).join("; ");
      cells.set(`${caller}\u0000${target}`, cell);
    }
  }
  return { callers, targets, cells };
}
