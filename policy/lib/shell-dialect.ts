/**
 * Which shell runs a part of a boot text. cloud-init writes a `#cloud-config`'s runcmd into one
 * script headed `#!/bin/sh` (canonical/cloud-init 26.2 cloudinit/util.py shellify: a string entry
 * as written, a list entry's items single-quoted, a line each; cc_runcmd.py writes it,
 * cc_scripts_user.py runs it), and /bin/sh is dash on Debian and Ubuntu; every other part is read as
 * bash 5.2 runs it (k3s-options.ts alone takes a whole script headed `#!/bin/sh`, whose `#!` line its
 * runner follows, as one dash may run: its k3s options are not known where the readings differ). Where dash 0.5.12 reads otherwise: it has no `shopt` (lastpipe is never on, so a
 * pipeline's last element runs in a subshell), and `&>` is `&` then `>` (the command goes to the
 * background, its output where it was; the file is only truncated); and a syntax error stops it
 * (DASH_STOPS). Read by shell-flow.ts, shell-output.ts and k3s-options.ts.
 */

/** What /bin/sh is where a boot text runs: dash (Debian, Ubuntu), bash (Amazon Linux, the RHEL family), or undefined where that is not known. */
export type BinSh = "dash" | "bash" | undefined;

/** The [from, to) spans of a text that are `#cloud-config` parts: from a `#cloud-config` line to the next line starting `#!` (a script joined after it). */
export function cloudConfigParts(text: string): [number, number][] {
  const parts: [number, number][] = [];
  for (const m of text.matchAll(/^(?:#cloud-config\b|#!)/gm)) {
    const open = parts[parts.length - 1];
    if (open && open[1] === Infinity) open[1] = m.index!;
    if (m[0] === "#cloud-config") parts.push([m.index!, Infinity]);
  }
  return parts.map(([from, to]) => [from, Math.min(to, text.length)]);
}

/** Whether dash runs what stands at a place of `text` (in a `#cloud-config` part, unless /bin/sh, `sh`, is bash), or everywhere where `all` (a text dash runs, a function's body called there). */
export function dashRuns(text: string, all = false, sh: BinSh = "dash"): (i: number) => boolean {
  const parts = all || sh === "bash" ? [] : cloudConfigParts(text);
  return (i) => all || parts.some(([from, to]) => from <= i && i < to);
}

/** A command's own redirections as dash reads them: up to an `&>`, which ends the command (`&`) and opens a redirection of its own (`>`). */
export const dashRedirections = (own: string): string => own.slice(0, /&>/.exec(own)?.index ?? own.length);

/**
 * What stops dash 0.5.12 in a script, exit 2, nothing after it running: a syntax error, met as it
 * parses each command line before running it (`<<<`, an array assignment `A=(…)`, and where a
 * command starts `select`, `function name` or `for ((`; `|&`), or a bad substitution (`${A[0]}`),
 * met as it expands one.
 */
export const DASH_STOPS = /<<<|(?:^|[\s;&|(])[A-Za-z_]\w*=\(|(?:^|[\n;&|(])[ \t]*(?:select\s+\w+\s*(?:in\b|;|$)|function\s+[\w.:-]+|for\s*\(\()|\|&|\$\{\w+\[/;
