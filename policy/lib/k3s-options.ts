/**
 * The options a k3s boot script gives k3s (`node-label`, `node-taint`, `kubelet-arg`, `data-dir`…), as
 * k3s receives them: from its config YAML and its command line's flags, shell variables expanded to
 * what the script sets them to where that is known. Read by gpu-nodes.ts, k3s-nodes.ts and node-settings.ts.
 */
import { literalBodies } from "./shell-heredoc";
import { LITERAL_DOLLAR, literalDollars } from "./shell-scan";
import { plainValue } from "./shell-assignments";
import { yamlMapping } from "./values";
import { type BinSh, cloudConfigParts, DASH_STOPS } from "./shell-dialect";

const unquote = (v: string) => v.trim().replace(/^(["'])(.*)\1$/, "$2");

/**
 * An entry as the script gives it: its value, and whether that is known (a shell variable in it the
 * script sets plainly, or none, and standing where the script runs it); `why` says what stops it
 * being known when that is not a shell variable.
 */
export interface K3sOptionEntry {
  value: string;
  known: boolean;
  why?: string;
  /** It stands after what stops dash ({@link afterDashStop}) on a VM whose /bin/sh is dash: k3s is never given it. */
  stopped?: boolean;
}

/**
 * An entry with its shell variables (`$T`, `${T}`) expanded to the values the script plainly gives
 * them where the entry stands, `at` (shell-assignments.ts plainValue: an assignment after it does
 * not count, bash expanding a variable as it is there): unknown when one has none, or for another expansion (`$(…)`,
 * `${T:-…}`). A flag's single-quoted word (`shell`), and a `$` in a quoted heredoc's body (`script`
 * is read through literalBodies), is written as is; in an unquoted heredoc's YAML, quotes keep no `$`.
 */
function expanded(raw: string, script: string, shell: boolean, at: number, bashOnly: boolean): K3sOptionEntry {
  const v = unquote(raw);
  if ((shell && raw.trim().startsWith("'")) || !/[$`]/.test(v)) return { value: v.split(LITERAL_DOLLAR).join("$"), known: true };
  let known = !v.includes("`") && !bashOnly;
  const value = v.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_ref, braced?: string, bare?: string) => {
    const held = plainValue(script, (braced ?? bare)!, at);
    if (held === undefined) known = false;
    return held ?? "";
  });
  const entry = { value: value.split(LITERAL_DOLLAR).join("$"), known: known && !value.includes("$") };
  return bashOnly ? { ...entry, why: BASH_ONLY_WHY } : entry;
}

/**
 * What only bash gives where sh is dash (Debian, Ubuntu): what stops dash (shell-dialect.ts
 * DASH_STOPS: a here-string, an array, `select`…), `$'…'`, `[[`, a subscripted assignment,
 * `shopt -s lastpipe`. dash 0.5.12 here: `[[` is a command not found, `$'x'` the characters `$x`.
 */
const BASH_ONLY = new RegExp(`${DASH_STOPS.source}|\\$'|\\[\\[|\\w\\[[^\\]\\n]*\\]=\\(|\\blastpipe\\b`);

const BASH_ONLY_WHY = "names a shell variable in a script dash may run (a cloud-config's runcmd, or a script headed #!/bin/sh: /bin/sh is dash on Debian and Ubuntu) that relies on what only bash gives ($'…', [[, an array, lastpipe)";

/**
 * Whether the text, headed `#!/bin/sh` ({@link shScript}), or a runcmd string of a `#cloud-config`
 * of it relies on what only bash gives: cloud-init writes its runcmd strings into a script headed `#!/bin/sh` (canonical/cloud-init util.py shellify,
 * run by cc_runcmd.py), dash on Debian and Ubuntu, so the bash reading of its variables does not hold there.
 * Only the lines dash runs count: those before the line holding what stops it (DASH_STOPS; dash 0.5.12
 * parses a command line whole before running it, so nothing on that line runs, nor after it).
 */
function runsBashOnly(text: string, sh: BinSh): boolean {
  if (sh === "bash") return false;
  if (shScript(text) && bashOnlyBeforeStop(text)) return true;
  return cloudConfigParts(text).some(([from, to]) => {
    const runcmd = yamlMapping(text.slice(from, to))?.runcmd;
    if (!Array.isArray(runcmd)) return false;
    return bashOnlyBeforeStop(runcmd.filter((c): c is string => typeof c === "string").join("\n"));
  });
}

/** Whether a script dash may run relies on what only bash gives on the lines dash runs: those before the line holding what stops it. */
function bashOnlyBeforeStop(script: string): boolean {
  const stop = DASH_STOPS.exec(script)?.index;
  return BASH_ONLY.test(stop === undefined ? script : script.slice(0, script.lastIndexOf("\n", stop) + 1));
}

/**
 * Whether a boot text is a script headed `#!/bin/sh` (`/usr/bin/env sh` too), leading blanks left
 * out: its runner executes the file, so that line picks the shell (guest-agent
 * google_metadata_script_runner runScript runs `<default_shell> -c <file>`, the file written 0755
 * with leading blanks trimmed by writeScriptToFile; cloud-init runs a `#!` user-data part as a
 * program). /bin/sh is dash on Debian and Ubuntu and bash elsewhere (Amazon Linux, the RHEL
 * family), as the VM's image says (gce-driver.ts gceBinSh).
 */
const shScript = (text: string): boolean => /^#![ \t]*(?:\/usr)?\/bin\/(?:env[ \t]+)?sh(?:[ \t]|$)/m.test(text.replace(/^[ \n\v\f\t\r]+/, "").split("\n")[0]);

/** Where a `#!/bin/sh` text ({@link shScript}) runs only if /bin/sh is bash: from the line holding what stops dash (DASH_STOPS; a command line is parsed whole before it runs) to its end. */
function shStop(text: string): number | undefined {
  const stop = shScript(text) ? DASH_STOPS.exec(text)?.index : undefined;
  return stop === undefined ? undefined : text.lastIndexOf("\n", stop) + 1;
}

/**
 * The [from, to) spans of the text's cloud-config runcmd that dash never runs: from the first string
 * entry holding what stops it (DASH_STOPS; dash 0.5.12 runs the command lines before, none after)
 * to the end of runcmd, every entry being a line of the one script cloud-init writes (canonical/cloud-init
 * 26.2 util.py shellify). Where the entries' lines cannot be told apart (a flow sequence), from `runcmd:`.
 */
function runcmdStops(text: string): [number, number][] {
  return cloudConfigParts(text).flatMap(([from, to]): [number, number][] => {
    const part = text.slice(from, to);
    const runcmd = yamlMapping(part)?.runcmd;
    const first = Array.isArray(runcmd) ? runcmd.findIndex((c) => typeof c === "string" && DASH_STOPS.test(c)) : -1;
    const key = /^runcmd[ \t]*:[ \t]*(.*)$/m.exec(part);
    if (!Array.isArray(runcmd) || first < 0 || !key) return [];
    // runcmd's lines: blank, comments, indented ones or items of a sequence at column 0, up to the next key.
    const lines = part.slice(key.index + key[0].length + 1).split("\n");
    const count = lines.findIndex((l) => !/^(?:\s|-(?:\s|$)|#|$)/.test(l));
    const body = count < 0 ? lines : lines.slice(0, count);
    let at = key.index + key[0].length + 1;
    const starts: number[] = [];
    const indent = /^(\s*)-(?:\s|$)/.exec(body.find((l) => /^\s*-(?:\s|$)/.test(l)) ?? "")?.[1];
    for (const line of body) {
      if (indent !== undefined && line.startsWith(`${indent}-`) && /^-(?:\s|$)/.test(line.slice(indent.length))) starts.push(at);
      at += line.length + 1;
    }
    const stop = key[1].trim() === "" && starts.length === runcmd.length ? starts[first] : key.index;
    return [[from + stop, from + Math.min(at, part.length)]];
  });
}

/**
 * Whether a place of a boot text stands after what stops dash, in a cloud-config's runcmd
 * ({@link runcmdStops}) or a script headed `#!/bin/sh` ({@link shStop}), and why: `stopped` where
 * /bin/sh (`sh`) is dash, so it never runs; where /bin/sh is not known it may run or not; where
 * it is bash (which reads `<<<`, arrays, `function f {`) it runs, so nothing is said.
 */
export function afterDashStop(text: string, sh: BinSh): (i: number) => { stopped: boolean; why: string } | undefined {
  if (sh === "bash") return () => undefined;
  const runcmd = runcmdStops(text);
  const shFrom = shStop(text);
  const which = sh === "dash" ? "/bin/sh being dash on this VM's image" : "and whether this VM's /bin/sh is dash (Debian, Ubuntu) or bash is not known from its boot image";
  const why = (where: string) => `stands after ${where} (a syntax error or bad substitution), ${which}, so k3s may never be given it`;
  return (i) => {
    if (runcmd.some(([from, to]) => from <= i && i < to)) return { stopped: sh === "dash", why: why("a runcmd entry dash stops its script at (cloud-init runs runcmd with /bin/sh)") };
    return shFrom !== undefined && i >= shFrom ? { stopped: sh === "dash", why: why("what stops dash in a script headed #!/bin/sh") } : undefined;
  };
}

/**
 * The text with each `$` in a cloud-config's `content:` values (a block scalar's lines, or a value on
 * its line) a LITERAL_DOLLAR: cloud-init writes a write_files entry's content as given, decoded but
 * never expanded (canonical/cloud-init cloudinit/config/cc_write_files.py), while its runcmd
 * strings are run by sh (cc_runcmd.py). From a `#cloud-config` line to the next line starting `#!`.
 */
function literalContents(text: string): string {
  let cloudConfig = false;
  let block: number | undefined;
  return text
    .split("\n")
    .map((line) => {
      if (/^#cloud-config\b/.test(line) || /^#!/.test(line)) [cloudConfig, block] = [line.startsWith("#cloud-config"), undefined];
      if (!cloudConfig) return line;
      const indent = /^\s*/.exec(line)![0].length;
      if (block !== undefined && (line.trim() === "" || indent > block)) return literalDollars(line);
      block = undefined;
      const key = /^(\s*(?:-\s+)?)content:\s*(.*)$/.exec(line);
      if (!key) return line;
      if (/^[|>]/.test(key[2])) block = key[1].length;
      else return line.slice(0, line.length - key[2].length) + literalDollars(key[2]);
      return line;
    })
    .join("\n");
}

/**
 * The entries a k3s boot script gives an option (`node-label`, `node-taint`): under `<option>:`
 * in its config YAML (a block list, a flow list or one value) and as `--<option>` flags, on lines
 * that are not `#` comments, each with its shell variables expanded ({@link expanded}).
 */
export function k3sOptionReadings(script: string, option: string, sh?: BinSh): K3sOptionEntry[] {
  const text = literalContents(literalBodies(script));
  // Each line that is not a comment, with where it starts in the text.
  let offset = 0;
  const lines = text.split("\n").flatMap((line) => ((offset += line.length + 1), /^\s*#/.test(line) ? [] : [{ line, at: offset - line.length - 1 }]));
  const key = new RegExp(`^\\s*(?:-\\s+)?["']?${option}["']?\\s*:\\s*(.*)$`);
  const flag = new RegExp(`--${option}[= ]("[^"]*"|'[^']*'|[^\\s"']+)`, "g");
  const raws: { raw: string; shell: boolean; at: number }[] = [];
  lines.forEach(({ line, at }, i) => {
    const m = key.exec(line);
    if (m) {
      const rest = m[1].trim();
      if (rest.startsWith("[")) raws.push(...rest.replace(/^\[|\]$/g, "").split(",").filter((e) => unquote(e) !== "").map((raw) => ({ raw, shell: false, at })));
      else if (rest !== "") raws.push({ raw: rest, shell: false, at });
      else for (let j = i + 1; j < lines.length && /^\s*-\s+\S/.test(lines[j].line); j++) raws.push({ raw: lines[j].line.replace(/^\s*-\s+/, ""), shell: false, at: lines[j].at });
    }
    for (const f of line.matchAll(flag)) raws.push({ raw: f[1], shell: true, at: at + f.index! });
  });
  const after = afterDashStop(text, sh);
  const bashOnly = runsBashOnly(text, sh);
  return raws.map(({ raw, shell, at }) => {
    const entry = expanded(raw, text, shell, at, bashOnly);
    const stop = after(at);
    return stop ? { ...entry, known: false, why: stop.why, ...(stop.stopped ? { stopped: true } : {}) } : entry;
  });
}

/** The values of {@link k3sOptionReadings}, an unknown one as far as it is known (what /bin/sh is changes only whether they are known). */
export const k3sOptionEntries = (script: string, option: string): string[] => k3sOptionReadings(script, option).map((e) => e.value);
