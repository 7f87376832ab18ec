/**
 * Process figures from Linux's /proc, for the benchmark's accounting. A process may exit between
 * two reads: what is gone reads as undefined (or no children).
 */
import * as fs from "node:fs";

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** A `kB` field of /proc/<pid>/status (`VmRSS`, `VmHWM`, …). */
export function statusKb(pid: number, field: string): number | undefined {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(read(`/proc/${pid}/status`) ?? "");
  return m ? Number(m[1]) : undefined;
}

/** User + system CPU seconds of the process itself (utime and stime of /proc/<pid>/stat; USER_HZ is 100 on Linux). */
export function cpuSeconds(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The process's direct children. */
export function childPids(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((task) => (read(`/proc/${pid}/task/${task}/children`) ?? "").trim().split(" ").filter(Boolean).map(Number));
}
