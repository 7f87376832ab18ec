/**
 * What counts as a credential in a VM's boot text (a GCE startup script, cloud-init user-data),
 * read as the VM reads it: through the base64 and gzip layers cloud-init takes off (user-data
 * `user-data-encoding: base64` on GCE, gzip content, `write_files` with `encoding: gz+b64`) or the
 * script does itself (`base64 -d | gunzip`). Read by sensitive-values-secret.
 */
import { constants, gunzipSync } from "zlib";
import { CREDENTIAL_NAME, K3S_FULL_TOKEN, PRIVATE_KEY, REGISTRY_AUTH, registryAuth, URL_PASSWORD } from "./credentials";
import { heredocs, literalBodies } from "./shell-heredoc";
import { Descriptors, outputAt, redirected, shellOptions, START, stdoutTo } from "./shell-output";
import { flows, Options, SCRIPT_OPTIONS } from "./shell-flow";
import { boundFunctionCalls, functionCalls, Known, knownFunctions, structure } from "./shell-structure";
import { yamlMapping } from "./values";
import type { BinSh } from "./shell-dialect";
import { doubleQuoteUnescaped, fedToStdin, literalCredential, loginInScript, printCommands, printedOutputs, unquote, VALUE } from "./shell-values";

/**
 * EC2 types whose user data cloud-init runs, and the properties holding it (@pulumi/aws 7.48.0
 * declares none of them secret, and state keeps the inputs as given): `userData` (plain for an
 * instance, base64 for a launch template) and `userDataBase64` (base64, gzip allowed), each read
 * through its base64 and gzip layers.
 */
export const EC2_USER_DATA: ReadonlyMap<string, string[]> = new Map<string, string[]>([
  ["aws:ec2/instance:Instance", ["userData", "userDataBase64"]],
  ["aws:ec2/spotInstanceRequest:SpotInstanceRequest", ["userData", "userDataBase64"]],
  ["aws:ec2/launchConfiguration:LaunchConfiguration", ["userData", "userDataBase64"]],
  ["aws:ec2/launchTemplate:LaunchTemplate", ["userData"]],
]);

/** A boot text, or a layer decoded from it, and how it was reached ("" for the text itself); `call` for a function's body as a call runs it. */
interface Layer {
  text: string;
  how: string;
  call?: boolean;
}

/** A run of base64 long enough to hide a key or a script in; shorter words are left alone. */
const RUN = /[A-Za-z0-9+/]{16,}={0,2}/g;

/** A run ending a line at this length may be a blob wrapped over lines (`base64` wraps at 76, PEM at 64). */
const WRAPPED = 56;

/**
 * The base64 blobs of a text: each run of base64 characters, a blob wrapped over lines joined
 * (a line ending in a long run goes on with the next line's leading run).
 */
function base64Blobs(text: string): string[] {
  const blobs: string[] = [];
  let open: string | undefined;
  const continues = (run: string, rest: string) => run.length >= WRAPPED && !run.endsWith("=") && rest.trim() === "";
  for (const line of text.split(/\r?\n/)) {
    let from = 0;
    if (open !== undefined) {
      const next = /^\s*([A-Za-z0-9+/]+={0,2})/.exec(line);
      if (next) {
        open += next[1];
        from = next[0].length;
        if (continues(next[1], line.slice(from))) continue;
      }
      blobs.push(open);
      open = undefined;
    }
    const runs = [...line.slice(from).matchAll(RUN)];
    runs.forEach((m, i) => {
      const end = from + m.index! + m[0].length;
      if (i === runs.length - 1 && continues(m[0], line.slice(end))) open = m[0];
      else blobs.push(m[0]);
    });
  }
  if (open !== undefined) blobs.push(open);
  return blobs;
}

/**
 * What a base64 blob holds when it is text: gzip (its magic 1f 8b) uncompressed, as cloud-init
 * does (what a truncated stream yields counts too), else text without control characters. Binary
 * (a certificate's DER, a hash read as base64) is no layer.
 */
function decoded(blob: string): { text: string; gzip: boolean } | undefined {
  const bytes = Buffer.from(blob, "base64");
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return { text: gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 1 << 22 }).toString("utf8"), gzip: true };
    } catch {
      return undefined;
    }
  }
  // The last bytes of a run cut mid-quantum may decode to noise: only what comes before counts.
  const text = bytes.subarray(0, Math.max(0, bytes.length - 2)).toString("utf8");
  return text.length >= 8 && !/[\x00-\x08\x0e-\x1f\x7f\ufffd]/.test(text) ? { text: bytes.toString("utf8"), gzip: false } : undefined;
}

/** The text and every layer decoded from it, a few levels deep (a gzip in a base64 in a write_files entry). */
export function bootLayers(text: string, how = "", depth = 0, out: Layer[] = []): Layer[] {
  out.push({ text, how });
  if (depth >= 3 || out.length > 64) return out;
  for (const blob of base64Blobs(text)) {
    const d = decoded(blob);
    if (d && d.text.trim() !== "") bootLayers(d.text, [d.gzip ? "base64+gzip" : "base64", how].filter(Boolean).join(" in "), depth + 1, out);
  }
  return out;
}

/** Where k3s takes its join token from a file: the paths a script or config names. */
const TOKEN_FILE = new RegExp(`(?:--(?:agent-)?token-file(?:=|[ \\t]+)|(?:^|[\\s'"{,])["']?(?:agent-)?token-file["']?[ \\t]*:[ \\t]*|K3S_(?:AGENT_)?TOKEN_FILE=)(${VALUE})`, "gm");

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");


/**
 * A command writing its standard input to the file `target` matches (`cat >`, `tee` among its files and options,
 * `install … /dev/stdin`, `cp /dev/stdin`, `dd of=`), sudo or not.
 */
const stdinTo = (target: string) => `(?:sudo\\s+)?(?:cat\\s*>>?|tee(?:\\s+[^\\s|;&<>]+)*?\\s+|(?:install\\b[^\\n|;&<>]*?|cp\\s+)/dev/stdin\\s+|dd\\s+[^\\n|;&<>]*?of=)${target}`;

/**
 * Whether this shell text writes a literal (looked up in `context`) into the token file at `path`:
 * `echo`/`printf` redirected or piped there — by themselves, by a group or subshell holding them, or
 * by an `exec` before them — or a heredoc or here-string given to a command writing it; the text
 * starting with the descriptors `start` and shell `options`. Each shell function called runs its
 * body there and then, with the descriptors and options of the call (Bash Reference Manual 3.3 Shell Functions), one the text
 * defines or an `outer` one (the text a body, calling another function of the script), but one
 * being called already (`seen`).
 */
function shellWrites(text: string, path: string, context: string, start: Descriptors = START, outer: Known[] = [], seen: string[] = [], given: Options = SCRIPT_OPTIONS): boolean {
  // A cloud-config's runcmd is a script /bin/sh runs (shell-dialect.ts): under dash `&>` writes no file but truncates it.
  const options = /^#cloud-config\b/.test(text) && given.sh !== "bash" ? { ...given, dash: true } : given;
  const p = escape(path);
  const target = `\\s*["']?${p}["']?(?![\\w./-])`;
  // Through filters that only reshape it (`base64 -d`, `tr`), into the file by `>`, `1>`, `>>`, `>|`, `&>` (not under dash) or a command reading stdin;
  // the last command of a `{ …; }` group or `( … )` subshell, whose redirection applies to all of it (3.2.5.3 Grouping Commands).
  const into = `(?:\\|\\s*(?:base64\\s+(?:-d|--decode|-D)|tr\\s[^|\\n]*)\\s*)*(?:${options.dash ? "1?" : "[&1]?"}>[>|]?${target}|\\|\\s*${stdinTo(target)})`;
  const redirect = new RegExp(`^\\s*(?:;?\\s*[})]\\s*)?${into}`);
  const s = structure(text);
  const output = stdoutTo(text, new RegExp(`^\\s*${into}`), path, start, s, outer, seen, options);
  for (const run of printCommands(text)) {
    // A commented-out line runs nothing.
    if (/^\s*#/.test(text.slice(text.lastIndexOf("\n", run.from) + 1, run.from)) || run.variable !== undefined) continue;
    if (!redirect.test(text.slice(run.end)) && !output(run)) continue;
    // What it prints, and each word of that: `echo "$T"` prints T's value, `echo -e '\x24T'` the text `$T`.
    if ([run.output, ...run.output.split(/\s+/)].some((a) => literalCredential(a, "token", context))) return true;
  }
  // A heredoc given to a command writing the file; a quoted one's `$` is written as is.
  for (const h of heredocs(text)) {
    const line = text.slice(text.lastIndexOf("\n", h.operator - 1) + 1, h.operator) + text.slice(h.wordEnd, h.bodyStart);
    if (new RegExp(`\\b${stdinTo(target)}`).test(line) && literalCredential(h.body, "token", context)) return true;
  }
  const hereStrings = [new RegExp(`\\b${stdinTo(target)}[^\\n<]*<<<\\s*(${VALUE})`, "g"), new RegExp(`\\bcat\\s*<<<\\s*(${VALUE})\\s*>>?${target}`, "g")];
  for (const re of hereStrings) {
    for (const m of text.matchAll(re)) if (literalCredential(m[1], "token", context)) return true;
  }
  // A call runs its body with the call's redirections applied over the shell's descriptors there.
  const at = outputAt(text, new RegExp(`^\\s*${into}`), path, s, outer, seen, options);
  const optionsAt = shellOptions(text, s, flows(text, s), options);
  const known = knownFunctions(text, s, outer);
  return functionCalls(text, s, outer, seen).some((call) =>
    at(call.at, start).some((before) => {
      const fds = new Map(before);
      redirected(fds, text.slice(call.end), new RegExp(`^\\s*${into}`), path, undefined, options.dash);
      return shellWrites(call.run, path, context, fds, known, [...seen, call.name], optionsAt(call.at));
    }),
  );
}

/**
 * Whether the script writes a literal into the token file at `path`: `echo`/`printf` redirected or
 * piped there (to `tee`, `install /dev/stdin`), a heredoc or here-string given to a command writing
 * it, or a cloud-init `write_files` entry for it. A heredoc with a quoted delimiter (`'EOF'`,
 * `"EOF"`, `\EOF`) is written as is; an unquoted one expands its variables (Bash Reference Manual
 * 3.6.6 Here Documents, 3.6.7 Here Strings).
 */
function writesTokenFile(layers: Layer[], path: string, text: string, sh: "dash" | "bash"): boolean {
  // Each reading of the script on its own (shellWrites follows its function calls, each where it stands).
  const options: Options = sh === "bash" ? { ...SCRIPT_OPTIONS, sh } : SCRIPT_OPTIONS;
  if (layers.some((layer) => !layer.call && shellWrites(layer.text, path, text, START, [], [], options))) return true;
  // cloud-init writes `content` as given (or decoded by its `encoding`): anything there is the token.
  for (const { text: layer } of layers) {
    if (!/^#cloud-config/.test(layer)) continue;
    const files = yamlMapping(layer)?.write_files;
    if (Array.isArray(files) && files.some((f) => f?.path === path && typeof f.content === "string" && f.content.trim() !== "")) return true;
  }
  return false;
}

/**
 * A name that says its value is a credential in a boot script: CREDENTIAL_NAME, and k3s's
 * `etcd-s3-secret-key` (pkg/cli/cmds/server.go; its env var is AWS_SECRET_ACCESS_KEY). A chart's
 * `secretKey` often names a key inside a Secret instead, so only boot scripts read `…secret-key` so.
 */
const secretName = (name: string) => CREDENTIAL_NAME.test(name) || /secret[-_]key$/i.test(name);

/** What loginInScript finds encoded, and where, in a message. */
const encodedLogin = (where: string) => `a login the script base64-encodes itself (user:password, its password written in the script) ${where}`;

/** Where a boot script names k3s's subcommand: after `k3s`, the installer piped into `sh -s -`, or INSTALL_K3S_EXEC. */
const K3S_LAUNCH = String.raw`(?:\bk3s\b[\w.-]*|\bsh\s+-s\s+-|INSTALL_K3S_EXEC=["']?)\s*`;

/** A k3s command line, where `-t` is `--token` (k3s's agent and server flags: `token,t`). */
const K3S_COMMAND = new RegExp(`${K3S_LAUNCH}(?:server|agent)\\b`);

/** Whether a boot script starts a k3s server (on a line that is not a `#` comment). */
export const startsK3sServer = (script: string): boolean => script.split("\n").some((line) => !/^\s*#/.test(line) && new RegExp(`${K3S_LAUNCH}server\\b`).test(line));

/**
 * A registry login's command line, where `-p` is `--password` (docker, nerdctl and podman login,
 * helm registry login, oras login, skopeo login, crane auth login all take it so).
 */
const LOGIN_COMMAND = /\b(?:docker|nerdctl|podman|oras|skopeo|helm\s+registry|crane\s+auth)\s+login\b/;

/**
 * Where a credential is given in one text (comment lines left out), or undefined; `context`, the
 * text with every layer, is where a variable the value names is looked up. In the script as written
 * (`asWritten`), the words of an echo -e or printf are left to the reading of what it prints, since
 * bash prints their escapes taken and expands nothing after (`echo -e '\x24T'` prints `$T`).
 */
function givenCredential(text: string, context: string, asWritten: boolean): string | undefined {
  const live = text.split("\n").filter((line) => !/^\s*#/.test(line)).join("\n");
  const spans = asWritten ? printCommands(live).filter((run) => run.escapes) : [];
  const judged = (m: RegExpMatchArray) => !spans.some((run) => m.index! + m[0].length >= run.from && m.index! + m[0].length < run.end);
  for (const m of live.matchAll(new RegExp(`(?:^|\\s)--([\\w-]+)(?:=|[ \\t]+)(?=(${VALUE}))`, "gm"))) {
    if (judged(m) && secretName(m[1]) && literalCredential(m[2], m[1], context)) return `a credential (given as --${m[1]})`;
  }
  for (const line of live.split("\n").filter((l) => K3S_COMMAND.test(l))) {
    const short = new RegExp(`(?:^|\\s)-t(?:=|[ \\t]+)(${VALUE})`).exec(line);
    if (short && literalCredential(short[1], "token", context)) return "a join token (given as k3s's -t, its --token)";
  }
  for (const login of live.matchAll(new RegExp(LOGIN_COMMAND.source, "g"))) {
    // Only that command's own words: `docker login … && docker run -p 8080:80` publishes a port.
    const args = live.slice(login.index! + login[0].length).split(/\n|&&|\|\||[;|]/)[0];
    const short = new RegExp(`(?:^|\\s)-p(?:=|[ \\t]+)(${VALUE})`).exec(args);
    if (short && literalCredential(short[1], "password", context)) return "a registry password (given as login's -p, its --password)";
    if (/(?:^|\s)--password-stdin\b/.test(args) && fedToStdin(live, login.index!).some((v) => literalCredential(v.trim(), "password", context))) {
      return "a registry password (fed to login's --password-stdin)";
    }
  }
  const env = new RegExp(`(?:^|[\\s;&|("'])(?:(?:export|local|readonly|declare(?:\\s+-\\w+)*)\\s+)?([A-Za-z_]\\w*)=(?=(${VALUE}))`, "gm");
  for (const m of live.matchAll(env)) {
    if (judged(m) && secretName(m[1]) && literalCredential(m[2], m[1], context)) return `a credential (given as ${m[1]}=)`;
  }
  // YAML or JSON keys: at a line's start (a k3s config.yaml, cloud-config), or inside a string a
  // script writes (`echo 'token: …'`, `printf '…\ntoken: …'`, `{"token":"…"}`).
  const key = new RegExp(`(?:^[ \\t]*(?:-[ \\t]+)?|(?:['",]|(?<!\\$)\\{)[ \\t]*|\\\\n)["']?([\\w-]+)["']?[ \\t]*:[ \\t]*(?=(${VALUE}))`, "gm");
  for (const m of live.matchAll(key)) {
    if (!judged(m)) continue;
    const value = m[2].replace(/\\n.*$/, "");
    if (secretName(m[1]) && literalCredential(value, m[1], context)) return `a credential (under ${m[1]}:)`;
    if (registryAuth(unquote(value), m[1])) return REGISTRY_AUTH;
    const login = m[1].toLowerCase() === "auth" ? loginInScript(live.slice(m.index! + m[0].length), context) : undefined;
    if (login === "literal") return REGISTRY_AUTH;
    if (login === "encoded") return encodedLogin("under auth, as a registry login in Docker's config.json and k3s's registries.yaml");
  }
  const bearer = [...live.matchAll(new RegExp(`Authorization:[ \\t]*(?:Bearer|Basic)[ \\t]+(?=(${VALUE}))`, "gi"))].find(judged);
  if (bearer && literalCredential(bearer[1], "token", context)) return "a credential (in an Authorization header)";
  if (bearer && /Basic[ \t]+$/i.test(bearer[0]) && loginInScript(live.slice(bearer.index! + bearer[0].length), context) === "encoded") return encodedLogin("in a Basic Authorization header");
  if (URL_PASSWORD.test(live)) return "a credential (a password in a URL, user:password@)";
  return undefined;
}

/**
 * What credential a boot script carries, and in which layer, or undefined: a private key (PEM);
 * a k3s join token in its full form anywhere; a literal under an option, variable or key naming a
 * token, password or secret (`--token`, k3s's `-t`, `K3S_TOKEN=`, `token:` in its config.yaml,
 * JSON too); or a literal written to the file `token-file`/`K3S_TOKEN_FILE` names (k3s's short
 * form, a bare password, has no shape: only where it goes says what it is). Each layer
 * base64/gzip hides is read as well. `sh`: what /bin/sh is on the VM (gce-driver.ts gceBinSh), which
 * runs a cloud-config's runcmd (shell-dialect.ts: dash writes no file for `&>` and has no lastpipe);
 * where it is not known, a token either shell writes counts.
 */
export function scriptCredential(script: unknown, sh?: BinSh): string | undefined {
  if (typeof script !== "string") return undefined;
  // Each layer is read as written, as the shell unescapes it where it escapes quotes (JSON written
  // from a double-quoted string: `echo "{\"auth\":\"…\"}"`) and as its printf commands print it
  // (`%s` filled), so the readers below see the keys and the values under them.
  // A quoted heredoc's body is written as is: its `$` stays a `$` (literalBodies).
  const layers = bootLayers(script).flatMap((layer) => {
    const written = literalBodies(layer.text);
    // Each shell function's body as a call runs it, its `$1`… the call's arguments (Bash Reference Manual 3.3).
    const readings = [written, doubleQuoteUnescaped(written), printedOutputs(written), ...boundFunctionCalls(written)];
    return readings.flatMap((text, i) => (text !== "" && readings.indexOf(text) === i ? [{ ...layer, text, asWritten: i < 2, call: i > 2 }] : []));
  });
  // One text for what refers across layers (a variable set in the script, a file named in a decoded config).
  const all = layers.map((l) => l.text).join("\n");
  const where = (how: string) => (how ? ` (in its ${how} content)` : "");
  for (const { text, how, asWritten } of layers) {
    if (PRIVATE_KEY.test(text)) return `a private key${where(how)}`;
    if (K3S_FULL_TOKEN.test(text)) return `a k3s join token${where(how)}`;
    const given = givenCredential(text, all, asWritten);
    if (given) return `${given}${where(how)}`;
  }
  for (const m of all.matchAll(TOKEN_FILE)) {
    const path = unquote(m[1]);
    if (!path.startsWith("/")) continue;
    const by = (sh === undefined ? (["dash", "bash"] as const) : [sh]).find((dialect) => writesTokenFile(layers, path, all, dialect));
    if (by) return `a join token (written to ${path}, the token file k3s reads${sh === undefined && by === "bash" ? ", where /bin/sh is bash: the VM's image does not say which" : ""})`;
  }
  return undefined;
}

/** Whether a boot script carries a credential (scriptCredential). */
export const scriptHasCredentials = (script: unknown): boolean => scriptCredential(script) !== undefined;
