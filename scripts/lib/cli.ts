import { parseArgs, ParseArgsConfig } from "node:util";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * A path as the caller meant it: npm runs scripts from the package root, and INIT_CWD is the
 * directory `npm run` was called from.
 */
export function fromCaller(p: string): string;
export function fromCaller(p: string | undefined): string | undefined;
export function fromCaller(p: string | undefined): string | undefined {
  return p && path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

/**
 * A path as the caller can use it: relative to the directory `npm run` was called from, as the
 * paths the caller gave are read (relative to the package root, `out/local` printed in `stacks/`
 * would name `stacks/out/local`).
 */
export function forCaller(p: string): string {
  return path.relative(process.env.INIT_CWD ?? process.cwd(), p) || ".";
}

/**
 * Parses a command's options (`args`, the process's own by default), with a `--help`/`-h` of its
 * own: the values, or the exit code to stop with (0 after printing the usage for `--help`; 2 and
 * the usage for a bad option, never 1, which means mandatory violations).
 */
const helpOption = { help: { type: "boolean", short: "h", default: false } } as const;
type CommandLine<O extends NonNullable<ParseArgsConfig["options"]>> = ReturnType<typeof parseArgs<{ options: O & typeof helpOption }>>["values"];

export function parseCommandLine<O extends NonNullable<ParseArgsConfig["options"]>>(command: string, usage: string, options: O, args: string[] = process.argv.slice(2)): CommandLine<O> | number {
  const swallowed = optionsTakenByNpm(command, Object.keys(options));
  if (swallowed.length > 0) {
    const given = swallowed.map(({ name, value }) => `--${name}${value === "true" ? "" : `=${value}`}`).join(" ");
    console.error(
      `${command}: npm took ${given} as its own config (${swallowed.map((s) => `npm_config_${s.env}`).join(", ")}), so ${command} never got ${swallowed.length === 1 ? "it" : "them"}: ` +
        `options go after \`--\`, as in \`npm run ${command} -- ${swallowed.map(({ name, value }) => `--${name} ${value === "true" ? "…" : value}`).join(" ")}\`\n${usage}`,
    );
    return 2;
  }
  let values: CommandLine<O>;
  let tokens: { kind: string; name?: string; value?: string }[];
  try {
    ({ values, tokens } = parseArgs<{ args: string[]; options: O & typeof helpOption; tokens: true }>({ args, options: { ...options, ...helpOption }, tokens: true }));
  } catch (err) {
    console.error(`${command}: ${err instanceof Error ? err.message : String(err)}\n${usage}`);
    return 2;
  }
  // parseArgs keeps the last of a repeated option: `--stack dev … --stack prod` rendered prod
  // without a word, and a pasted command's second `--out` silently moved the output.
  const given = new Map<string, string[]>();
  for (const t of tokens) if (t.kind === "option" && t.name) given.set(t.name, [...(given.get(t.name) ?? []), t.value ?? "(flag)"]);
  const repeated = [...given].find(([name, seen]) => seen.length > 1 && options[name]?.type === "string" && !options[name]?.multiple);
  if (repeated) {
    console.error(`${command}: option '--${repeated[0]}' given ${repeated[1].length} times (${repeated[1].join(", ")}); give it once\n${usage}`);
    return 2;
  }
  // An empty value (`--out ""`, an unset shell variable) is a wrong command, not "no option": the
  // options' defaults are taken only when the option is absent, and an empty path would resolve
  // to the current directory or be read as no file at all (`--policy-config ""` silently dropped
  // the stack's pack config).
  const empty = Object.entries(values).find(([, v]) => v === "");
  if (empty) {
    console.error(`${command}: option '--${empty[0]}' needs a value, got an empty string\n${usage}`);
    return 2;
  }
  if ((values as { help?: boolean }).help) {
    console.log(usage);
    return 0;
  }
  return values;
}

/**
 * The command's options that `npm run <command>` kept for itself: an option written before `--`
 * (`npm run render --stack=prod`) is npm's config, handed to the script only as the environment
 * variable npm_config_<name> (a `--out DIR` leaves DIR as an argument and `npm_config_out=true`),
 * so the script ran without it: `render` rendered `local`, exit 0. Only under `npm run <command>`
 * itself (npm_lifecycle_event), and never for names npm has a config of its own by (`json`, `help`),
 * which a user's .npmrc may set.
 */
function optionsTakenByNpm(command: string, names: string[]): { name: string; env: string; value: string }[] {
  if (process.env.npm_lifecycle_event !== command) return [];
  return names
    .filter((name) => name !== "json" && name !== "help")
    .map((name) => ({ name, env: name.replace(/-/g, "_"), value: "" }))
    .flatMap((o) => {
      const value = process.env[`npm_config_${o.env}`];
      return value === undefined ? [] : [{ ...o, value }];
    });
}

/**
 * `mkdir -p` for a directory the caller named, one level at a time: Node 20's recursive mkdirSync
 * spins forever where a file system takes no new directories (`/proc/x`), instead of failing.
 */
export function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

/** The same file, by path or, where both exist, by device and inode (a symlink or hard link to it). */
export function sameFile(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const [x, y] = [fs.statSync(a), fs.statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
