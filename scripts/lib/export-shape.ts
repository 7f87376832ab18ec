/**
 * The shape of a deployment export, read before anything walks it: which stack a document shaped as
 * one names, and values nested deeper than the review can hand on.
 */

/**
 * Levels of objects and lists a resource's inputs or outputs may nest. The review walks values
 * recursively (the wire encoding, the pack's policies), which runs out of stack some hundreds of
 * levels down; Kubernetes objects and Helm values nest a few dozen.
 */
export const MAX_VALUE_DEPTH = 256;

/**
 * The path (`<side>.<path>`, cut to 120 characters) of the first object or list found nested more
 * than MAX_VALUE_DEPTH levels deep in `value`; undefined where none is. Iterative, so a value of any
 * depth is walked without running out of stack.
 */
export function overDeepPath(value: unknown, side: string): string | undefined {
  type At = { value: unknown; depth: number; key?: string; parent?: At; list?: boolean };
  const stack: At[] = [{ value, depth: 0 }];
  const pathOf = (at: At): string => (at.parent ? `${pathOf(at.parent)}${at.list ? `[${at.key}]` : `.${at.key}`}` : side);
  while (stack.length) {
    const at = stack.pop()!;
    if (!at.value || typeof at.value !== "object") continue;
    if (at.depth >= MAX_VALUE_DEPTH) {
      const where = pathOf(at);
      return where.length > 120 ? `${where.slice(0, 120)}…` : where;
    }
    const list = Array.isArray(at.value);
    for (const [key, v] of Object.entries(at.value)) if (v && typeof v === "object") stack.push({ value: v, depth: at.depth + 1, key, parent: at, list });
  }
  return undefined;
}

/** `<side>.<path>: …` where `value` nests deeper than MAX_VALUE_DEPTH; undefined otherwise. */
export function tooDeeplyNested(value: unknown, side: string): string | undefined {
  const where = overDeepPath(value, side);
  return where && `${where}: values nested more than ${MAX_VALUE_DEPTH} levels deep, more than this review reads; expected at most ${MAX_VALUE_DEPTH} (a Kubernetes object or Helm values nest a few dozen)`;
}

/** `, of stack 's' of project 'p'` for a document shaped as a deployment export; undefined otherwise. */
export function deploymentExportIdentity(document: unknown): string | undefined {
  if (!document || typeof document !== "object" || Array.isArray(document)) return undefined;
  const doc = document as { version?: unknown; deployment?: unknown };
  if (typeof doc.version !== "number" || !("deployment" in doc)) return undefined;
  const urn = (doc.deployment as { resources?: { urn?: unknown }[] } | null)?.resources?.[0]?.urn;
  const [stack, project] = typeof urn === "string" ? urn.replace(/^urn:pulumi:/, "").split("::") : [];
  return project !== undefined ? `, of stack '${stack}' of project '${project}'` : "";
}
