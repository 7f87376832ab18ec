/**
 * sensitive-values-secret on where `exec` sends a boot script's output, as bash 5.2 runs it: `exec`
 * without a command redirects the shell itself from then on (Bash Reference Manual 4.1, exec),
 * `[n]>&word` makes n a copy of descriptor word (3.6.8 Duplicating File Descriptors), a `( … )`
 * subshell's changes end with it (3.2.5.3 Grouping Commands, 3.7.3 Command Execution Environment),
 * a function runs in the caller's context when called (3.3 Shell Functions), and a case pattern's
 * `)` closes no group (3.2.5.2 Conditional Constructs).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { writes, clean } from "./workloads-support";
import { T } from "../support/join-token";

// Before, these passed: `exec 1>&3` makes the shell's output a copy of descriptor 3, which an
// earlier `exec 3>file` opened on the token file, so every later echo writes it.
test("sensitive-values-secret: echo after exec 1>&3 duplicated the shell's output onto a descriptor opened on the token file", () => {
  writes([
    `exec 3>/etc/rancher/k3s/token\nexec 1>&3\necho ${T}\n`,
    `exec 3>/etc/rancher/k3s/token; exec >&3; echo ${T}\n`,
    `exec 4>>/etc/rancher/k3s/token 1>&4\nprintf '%s\\n' ${T}\n`,
  ]);
  clean([
    `exec 3>/etc/rancher/k3s/token\nexec 1>&4\necho ${T}\n`,
    `exec 3>/etc/rancher/k3s/token\nexec 3>&-\nexec 4>/var/log/boot.log\nexec >&4\necho ${T}\n`,
    `exec 3>/etc/rancher/k3s/token\nexec 1>&3\nexec >/var/log/boot.log\necho ${T}\n`,
  ]);
});

// Before, the first of these was reported: an `exec` inside `( … )` redirects only that subshell,
// so the echo after it prints where the script's output goes. Inside, the echo writes the file.
test("sensitive-values-secret: exec > the token file inside a ( … ) subshell redirects only that subshell", () => {
  clean([
    `(exec >/etc/rancher/k3s/token; chmod 600 /etc/rancher/k3s/token)\necho ${T}\n`,
    `(\n  exec 3>/etc/rancher/k3s/token\n)\nexec 1>&3\necho ${T}\n`,
  ]);
  writes([
    `(exec >/etc/rancher/k3s/token; echo ${T})\n`,
    `{ exec >/etc/rancher/k3s/token; }\necho ${T}\n`,
    `(\n  exec >/etc/rancher/k3s/token\n  (echo ${T})\n)\n`,
  ]);
});

// A function writes where the shell's output goes when it is called, after the `exec` that sent it
// to the token file, wherever it was defined. Before, a body was judged after every `exec` of the
// script, wherever the call stood: the second of these passed and the first clean one was reported.
test("sensitive-values-secret: a function defined before exec > the token file and called after it", () => {
  writes([
    `write_token() {\n  echo ${T}\n}\nexec >/etc/rancher/k3s/token\nwrite_token\n`,
    `write_token() { printf '%s\\n' "$1"; }\nexec 3>/etc/rancher/k3s/token\nexec >&3\nwrite_token ${T}\n`,
    `write_token() { echo ${T}; }\n(\n  exec >/etc/rancher/k3s/token\n  write_token\n)\n`,
  ]);
  clean([
    `write_token() { echo ${T}; }\nwrite_token\nexec >/etc/rancher/k3s/token\n`,
    `write_token() { echo ${T}; }\n(exec >/etc/rancher/k3s/token)\nwrite_token\n`,
  ]);
});

// Before, a case pattern's `)` closed the subshell holding it: the first echo was taken as outside
// the group redirected into the token file, and the last clean one's exec as the whole script's.
test("sensitive-values-secret: case … esac inside a ( … ) subshell redirected into the token file", () => {
  writes([
    `(\n  case "$ROLE" in\n    agent) echo ${T};;\n    *) true;;\n  esac\n) > /etc/rancher/k3s/token\n`,
    `(case $ROLE in (server|agent) echo ${T};; esac) > /etc/rancher/k3s/token\n`,
    `(case $ROLE in agent) true;; esac; exec >/etc/rancher/k3s/token; echo ${T})\n`,
  ]);
  clean([
    `(case $ROLE in agent) true;; esac; exec >/etc/rancher/k3s/token)\necho ${T}\n`,
    `(\n  case $ROLE in\n    agent) exec >/etc/rancher/k3s/token;;\n  esac\n  chmod 600 /etc/rancher/k3s/token\n)\necho ${T}\n`,
  ]);
});

// Before, the first two passed and the first clean one was reported: a function call's own
// redirections apply to its body's commands (Bash Reference Manual 3.3 Shell Functions, 3.6),
// over where the shell's output went at the call.
test("sensitive-values-secret: a function called with its output redirected or piped into the token file", () => {
  writes([
    `write_token() { echo "$1"; }\nwrite_token ${T} > /etc/rancher/k3s/token\n`,
    `write_token() {\n  printf '%s\\n' "$1"\n}\nwrite_token ${T} | sudo tee /etc/rancher/k3s/token\n`,
  ]);
  clean([
    `write_token() { echo "$1"; }\nexec >/etc/rancher/k3s/token\nwrite_token ${T} > /dev/null\n`,
    `write_token() { echo "$1"; }\nwrite_token ${T} 2> /etc/rancher/k3s/token\n`,
  ]);
});

// bash 5.2 parses a `$(…)` as commands (its NEWS, 1c): a case pattern's `)` inside one does not
// end it. Before, the echo after such a `$(…)` was taken as outside the subshell redirected into
// the token file, and the `echo agent` inside one as printed where `exec` had sent the output.
test("sensitive-values-secret: case … esac inside a $(…) command substitution", () => {
  const role = `ROLE=$(case "$(hostname)" in *agent*) echo agent;; *) echo server;; esac)`;
  writes([`(\n  ${role}\n  echo ${T}\n  chmod 600 /etc/rancher/k3s/token\n) > /etc/rancher/k3s/token\n`]);
  clean([`exec >/etc/rancher/k3s/token\n${role}\nexec >/dev/null\n`]);
});

// A function's body runs when it is called, in the calling shell (Bash Reference Manual 3.3 Shell
// Functions): an `exec` in a `{ … }` body redirects the shell from the call on, and still after the
// call returns; a `( … )` body is a subshell whose changes end with it (3.7.3). Before, such an exec
// took effect where the function was defined: the last was missed and the clean ones outside a subshell reported.
test("sensitive-values-secret: exec > the token file inside a function body takes effect where it is called", () => {
  writes([
    `f() { exec >/etc/rancher/k3s/token; }\necho safe\nf\necho ${T}\n`,
    `redirect() {\n  exec 3>/etc/rancher/k3s/token\n  exec 1>&3\n}\nredirect\nprintf '%s\\n' ${T}\n`,
    `f() { exec >/etc/rancher/k3s/token; }\n(f; echo ${T})\n`,
    `f() { exec >/etc/rancher/k3s/token; }\nexec >/var/log/boot.log\nf\necho ${T}\n`,
  ]);
  clean([
    `f() { exec >/etc/rancher/k3s/token; }\necho ${T}\n`,
    `f() { exec >/etc/rancher/k3s/token; }\necho ${T}\nf\n`,
    `f() ( exec >/etc/rancher/k3s/token )\nf\necho ${T}\n`,
    `f() { exec >/etc/rancher/k3s/token; }\n(f)\necho ${T}\n`,
  ]);
});

// `>&3` writes where descriptor 3 is open at that command (3.6.8): an `exec 3>` in a function never
// called, in a subshell that has ended, or after the command opens nothing there. Before, any
// `exec 3>` on the token file anywhere in the script made every `>&3` write it: these were reported.
test("sensitive-values-secret: >&3 writes the token file only where an exec 3> before it reaches it", () => {
  writes([`f() { exec 3>/etc/rancher/k3s/token; }\nf\necho ${T} >&3\n`, `exec 3>/etc/rancher/k3s/token\n{ echo ${T}; } >&3\n`]);
  clean([
    `f() { exec 3>/etc/rancher/k3s/token; }\necho ${T} >&3\n`,
    `(exec 3>/etc/rancher/k3s/token)\necho ${T} >&3\n`,
    `echo ${T} >&3\nexec 3>/etc/rancher/k3s/token\n`,
  ]);
});

// A call's own redirections, and those written after a function's body, are undone when the call
// returns (bash 5.2 execute_cmd.c: execute_builtin_or_function restores its saved_undo_list unless
// the command is `exec`; execute_command_internal restores a compound command's my_undo_list): an
// `exec >file` in the body moves descriptor 1 only until then, an `exec` on another descriptor stays.
// Before, the clean ones were reported and the first two were missed.
test("sensitive-values-secret: a call's redirections are undone after it, over an exec in the body", () => {
  writes([
    `f() { exec 3>&1; }\nf >/etc/rancher/k3s/token\necho ${T} >&3\n`,
    `f() { exec 3>&1; } >/etc/rancher/k3s/token\nf\necho ${T} >&3\n`,
    `f() { exec >/etc/rancher/k3s/token; }\nf 2>/dev/null\necho ${T}\n`,
    `f() { exec 3>/etc/rancher/k3s/token; }\nf >/dev/null\necho ${T} >&3\n`,
    `f() { exec >/etc/rancher/k3s/token; echo ${T}; }\nf >/dev/null\n`,
  ]);
  clean([
    `f() { exec >/etc/rancher/k3s/token; }\nf >/dev/null\necho ${T}\n`,
    `f() { exec >/etc/rancher/k3s/token; } >/dev/null\nf\necho ${T}\n`,
    `f() { exec >/etc/rancher/k3s/token; }\nf &>/dev/null\necho ${T}\n`,
    `{ exec >/etc/rancher/k3s/token; } >/dev/null\necho ${T}\n`,
  ]);
});

// A function's body runs the functions it calls there and then, in the same shell (Bash Reference
// Manual 3.3): an `exec` in f reaches g's later commands and g's callers. Before, a call inside
// another body was left to that body's reading, which knew no f: the ones written were missed.
test("sensitive-values-secret: an exec in a function called from another function's body", () => {
  writes([
    `f() { exec >/etc/rancher/k3s/token; }\ng() { f; }\ng\necho ${T}\n`,
    `f() { exec >/etc/rancher/k3s/token; }\ng() {\n  f\n  echo ${T}\n}\ng\n`,
    `f() { exec >/etc/rancher/k3s/token; }\ng() { f; }\nh() { g; }\nh\necho ${T}\n`,
    `put() { echo "$1"; }\nsave() { put "$1"; }\nsave ${T} >/etc/rancher/k3s/token\n`,
    // Each calls the other (f calls g again once): a call of a function being called is not followed, and the exec still reaches the caller.
    `f() {\n  exec >/etc/rancher/k3s/token\n  [ -n "$1" ] || g again\n}\ng() { f "$1"; }\ng\necho ${T}\n`,
  ]);
  clean([
    `f() { exec >/etc/rancher/k3s/token; }\ng() { f; }\necho ${T}\ng\n`,
    `f() { exec >/etc/rancher/k3s/token; }\ng() { f; }\necho ${T}\n`,
    `f() { exec >/etc/rancher/k3s/token; }\ng() { (f); }\ng\necho ${T}\n`,
    `f() { exec >/etc/rancher/k3s/token; }\ng() { f; }\ng >/dev/null\necho ${T}\n`,
    `f() { exec >/etc/rancher/k3s/token; }\ng() { f >/dev/null; echo ${T}; }\ng\n`,
    // Endless recursion (bash dies of it): the reading ends.
    `f() { g; }\ng() { f; }\ng\necho ${T}\n`,
  ]);
});

// Each command of a multi-command pipeline runs in its own subshell, and one ended by `&` in a
// subshell in the background (Bash Reference Manual 3.2.3 Pipelines, 3.2.4 Lists): what an `exec`
// in such a group or call changes ends with it. Before, the clean ones were reported.
test("sensitive-values-secret: an exec in a group or function call piped or sent to the background", () => {
  clean([
    `f() { exec 3>/etc/rancher/k3s/token; }\nf | cat\necho ${T} >&3\n`,
    `{ exec 3>/etc/rancher/k3s/token; } | cat\necho ${T} >&3\n`,
    `echo go | { exec 3>/etc/rancher/k3s/token; }\necho ${T} >&3\n`,
    `f() { exec 3>/etc/rancher/k3s/token; }\nf &\nwait\necho ${T} >&3\n`,
  ]);
  writes([
    `f() { exec 3>/etc/rancher/k3s/token; }\nf || true\necho ${T} >&3\n`,
    `{ exec 3>/etc/rancher/k3s/token; } && true\necho ${T} >&3\n`,
    `{ exec 3>/etc/rancher/k3s/token; echo ${T} >&3; } | cat\n`,
  ]);
});
