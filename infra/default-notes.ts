/**
 * A problem found on a value the stack file does not hold (two clusters on the default vpcCidr, a
 * default port another cluster's gateway takes) would point at a config path the user cannot find
 * in their file. Such problems say that the value is a default, and which, so the fix (writing
 * another value there) is plain.
 */
import { isRecord } from "./record";
import { valueAtPath } from "./validate-support";

type Path = (string | number)[];

/** How many leading segments of `path` the written config holds. */
function writtenDepth(written: unknown, path: Path): number {
  let node = written;
  for (let k = 0; k < path.length; k++) {
    const seg = path[k];
    const held = Array.isArray(node) ? typeof seg === "number" && seg < node.length : isRecord(node) && typeof seg === "string" && Object.hasOwn(node, seg);
    if (!held) return k;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return path.length;
}

const relative = (path: Path) => path.reduce<string>((acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), "");

/**
 * `problems` with a note on each whose path runs through a value the written config leaves out
 * and the validated one holds: the default that was checked.
 */
export function noteDefaultedValues<P extends { path: Path; message: string }>(written: unknown, validated: unknown, problems: P[]): P[] {
  return problems.map((p) => {
    const depth = writtenDepth(written, p.path);
    if (depth === p.path.length) return p;
    const value = valueAtPath(validated, p.path);
    if (value === undefined) return p;
    const note =
      depth === p.path.length - 1 && (typeof value !== "object" || value === null)
        ? `not in the stack file: the default, ${JSON.stringify(value)}, was checked; write the value meant`
        : `${relative(p.path.slice(0, depth + 1))} is not in the stack file: its defaults were checked; write the values meant`;
    return { ...p, message: `${p.message} (${note})` };
  });
}
