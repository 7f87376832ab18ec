/**
 * sensitive-values-secret on where a boot script's output goes through its control flow, as bash 5.2
 * runs it: an `if`/`elif`/`else` runs one branch or none (Bash Reference Manual 3.2.5.2), a `case`
 * one clause (`;&` falling into the next), a `while`/`until`/`for` body none or many times (3.2.5.1),
 * the command after `&&`/`||` only as the one before it ends (3.2.4 Lists); with `shopt -s
 * lastpipe` and job control off, as in a script, a pipeline's last element runs in the shell itself
 * (3.2.3, 4.3.2); and an `exec` whose redirection fails undoes those before it (bash 5.2
 * execute_cmd.c execute_builtin_or_function: undo_partial_redirects). A literal the script sends to
 * the token file on a path bash may take is the token on that path: the script carries it.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { scriptCredential } from "../../policy/lib/boot-scripts";
import { writes, clean } from "./workloads-support";
import { T } from "../support/join-token";

const TOKEN = "/etc/rancher/k3s/token";

// Before, these passed: an `exec` in a branch that may not run was taken as run, so the later one
// moving the output away hid the path where the output still goes into the token file.
test("sensitive-values-secret: an exec moving the output away in a branch that may not run", () => {
  writes([
    `exec >${TOKEN}\nif [ -n "$QUIET" ]; then\n  exec >/dev/null\nfi\necho ${T}\n`,
    `if [ -s ${TOKEN} ]; then exec >${TOKEN}; else exec >/var/log/boot.log; fi\necho ${T}\n`,
    `if [ "$ROLE" = server ]; then exec >/dev/null\nelif [ "$ROLE" = agent ]; then exec >${TOKEN}\nelse exec >/var/log/boot.log\nfi\necho ${T}\n`,
    `exec >${TOKEN}\ncase "$ROLE" in\n  server) exec >/dev/null;;\nesac\necho ${T}\n`,
    `case "$ROLE" in\n  agent) exec >${TOKEN};;\n  *) exec >/dev/null;;\nesac\necho ${T}\n`,
    `exec >${TOKEN}\n[ -n "$QUIET" ] && exec >/dev/null\necho ${T}\n`,
    `exec >${TOKEN}\ntest -w /var/log || exec >/dev/null\necho ${T}\n`,
    `exec >${TOKEN}\nwhile read -r line; do exec >/dev/null; done < /etc/hosts\necho ${T}\n`,
    `exec >${TOKEN}\nfor f in /etc/profile.d/*.sh; do { exec >/dev/null; }; done\necho ${T}\n`,
  ]);
  // Every path moves it: each branch of an `if` with an `else`, a `case` with a `*)` clause.
  clean([
    `exec >${TOKEN}\nif [ -w /var/log ]; then exec >/var/log/boot.log; else exec >/dev/null; fi\necho ${T}\n`,
    `exec >${TOKEN}\ncase "$ROLE" in\n  server) exec >/dev/null;;\n  *) exec >/var/log/boot.log;;\nesac\necho ${T}\n`,
    `exec >${TOKEN}\nif true; then :; fi\nexec >/dev/null\necho ${T}\n`,
  ]);
});

// A loop's body runs again after its end: the echo before the exec writes the token file on the
// second pass. Before, this passed.
test("sensitive-values-secret: a loop body writes after the exec of its previous pass", () => {
  writes([`for i in 1 2; do\n  echo ${T}\n  exec >${TOKEN}\ndone\n`, `until [ -s ${TOKEN} ]; do echo ${T}; exec >${TOKEN}; done\n`]);
  clean([`for i in 1 2; do\n  echo ${T}\ndone\nexec >${TOKEN}\n`]);
});

// Without lastpipe each element of a multi-command pipeline runs in a subshell (3.2.3): before, an
// exec as the last element was taken as the shell's, and the first of these was reported.
test("sensitive-values-secret: shopt -s lastpipe keeps a pipeline's last exec, group or call in the shell", () => {
  clean([
    `echo go | exec >${TOKEN}\necho ${T}\n`,
    `shopt -s lastpipe\nshopt -u lastpipe\necho go | { exec >${TOKEN}; }\necho ${T}\n`,
    `shopt -s lastpipe\necho go | exec >${TOKEN} | cat\necho ${T}\n`,
  ]);
  writes([
    `shopt -s lastpipe\necho go | exec >${TOKEN}\necho ${T}\n`,
    `shopt -s extglob lastpipe\necho go | { exec 3>${TOKEN}; }\necho ${T} >&3\n`,
    `f() { exec >${TOKEN}; }\nshopt -s lastpipe\necho go | f\necho ${T}\n`,
    // lastpipe may be on: the exec may persist.
    `[ -n "$BASH" ] && shopt -s lastpipe\necho go | exec >${TOKEN}\necho ${T}\n`,
  ]);
});

// A failed redirection on `exec` undoes those before it on the same command (bash 5.2
// execute_cmd.c execute_builtin_or_function, redir.c do_redirections): descriptor 7 is not open,
// so `>&7` fails and the output stays where it was. Before, the first was reported.
test("sensitive-values-secret: an exec whose later redirection fails changes nothing", () => {
  clean([`exec >${TOKEN} 4>&7\necho ${T}\n`, `exec 3>${TOKEN} 1>&3 5<&9\necho ${T}\n`]);
  writes([`exec 4>&7\nexec >${TOKEN}\necho ${T}\n`, `exec 3>${TOKEN} 1>&3 5>&3\necho ${T}\n`]);
});

// One branch of an `if` or `case` runs, not the others (3.2.5.2): before, an exec in the `then` branch
// was taken as run before the `else` branch's echo, and the clean ones were reported; `;&` runs on
// into the next clause's list.
test("sensitive-values-secret: an exec in one branch reaches that branch and what follows, not the other branches", () => {
  writes([
    `if [ -n "$R" ]; then exec >${TOKEN}; echo ${T}; fi\n`,
    `case $R in a) exec >${TOKEN};& b) echo ${T};; esac\n`,
    `f() {\n  if [ -n "$1" ]; then exec >${TOKEN}; fi\n}\nf x\necho ${T}\n`,
  ]);
  clean([`if [ -n "$R" ]; then exec >${TOKEN}; else echo ${T}; fi\n`, `case $R in a) exec >${TOKEN};; b) echo ${T};; esac\n`]);
});

// lastpipe takes effect only while job control is off (Bash Reference Manual 4.3.2 shopt lastpipe;
// bash 5.2 execute_cmd.c execute_pipeline: `lastpipe_opt && job_control == 0`): after `set -m` (or
// `-o monitor`) the last element runs in a subshell again, its exec reaching nothing after it
// (checked on bash 5.2.15). Before, these were reported.
test("sensitive-values-secret: set -m turns lastpipe's effect off until set +m", () => {
  clean([
    `set -m\nshopt -s lastpipe\necho go | exec >${TOKEN}\necho ${T}\n`,
    `shopt -s lastpipe\nset -o monitor\necho go | { exec 3>${TOKEN}; }\necho ${T} >&3\n`,
    `shopt -s lastpipe\nset -eum\necho go | exec >${TOKEN}\necho ${T}\n`,
    `shopt -s lastpipe\nset -eo monitor -u\necho go | exec >${TOKEN}\necho ${T}\n`,
  ]);
  writes([
    `set -m\nset +m\nshopt -s lastpipe\necho go | exec >${TOKEN}\necho ${T}\n`,
    `shopt -s lastpipe\nset -m\nset +o monitor\necho go | exec >${TOKEN}\necho ${T}\n`,
    // Job control may be on or off: the exec may persist.
    `shopt -s lastpipe\n[ -t 0 ] && set -m\necho go | exec >${TOKEN}\necho ${T}\n`,
    // set -m in a subshell ends with it (3.7.3).
    `shopt -s lastpipe\n( set -m )\necho go | exec >${TOKEN}\necho ${T}\n`,
    // -- ends the options: -m after it is a positional parameter.
    `shopt -s lastpipe\nset -- -m\necho go | exec >${TOKEN}\necho ${T}\n`,
  ]);
});

// Redirections written after a compound command's `fi`, `done` or `esac` apply to every command it
// runs (Bash Reference Manual 3.2.5 Compound Commands, 3.6 Redirections) and are undone after it,
// as a `{ …; }` group's (bash 5.2 execute_cmd.c execute_command_internal: my_undo_list). Before,
// the writes passed.
test("sensitive-values-secret: a compound command's redirection after fi, done or esac reaches the commands it runs", () => {
  writes([
    `if [ -n "$R" ]; then echo ${T}; fi > ${TOKEN}\n`,
    `if [ -s /etc/hosts ]; then\n  true\nelse\n  printf '%s\\n' ${T}\nfi >${TOKEN}\n`,
    `for i in 1; do echo ${T}; done > ${TOKEN}\n`,
    `while :; do\n  echo ${T}\n  break\ndone >> ${TOKEN}\n`,
    `case "$R" in\n  *agent*) echo ${T};;\nesac > ${TOKEN}\n`,
    // exec 3>&1 inside copies the compound's output, the token file, onto descriptor 3, which no undo touches.
    `if true; then exec 3>&1; fi > ${TOKEN}\necho ${T} >&3\n`,
  ]);
  clean([
    // The compound's undo sets descriptor 1 back over the exec inside it.
    `if true; then exec >/dev/null; fi > ${TOKEN}\necho ${T}\n`,
    `for i in 1; do echo ${T}; done > /var/log/boot.log\n`,
    `if [ -n "$R" ]; then echo ${T}; fi 2> ${TOKEN}\n`,
  ]);
});

// A function's body runs where it is called (3.3 Shell Functions): a `shopt -s lastpipe` or `set -m`
// there takes effect from each call on, as bash 5.2.15 runs these, not where it is defined nor in
// a call run in a subshell or pipeline. Before, the writes passed.
test("sensitive-values-secret: shopt -s lastpipe and set -m in a function body take effect from its call", () => {
  writes([
    `lp() { shopt -s lastpipe; }\nlp\necho go | exec >${TOKEN}\necho ${T}\n`,
    `function lp { shopt -s lastpipe; }\nsetup() {\n  umask 077\n  lp\n}\nsetup\necho go | { exec 3>${TOKEN}; }\necho ${T} >&3\n`,
    // Set only in a branch of the body: lastpipe may be on.
    `lp() {\n  if [ -n "$Q" ]; then shopt -s lastpipe; fi\n}\nlp\necho go | exec >${TOKEN}\necho ${T}\n`,
  ]);
  clean([
    `lp() { shopt -s lastpipe; }\necho go | exec >${TOKEN}\necho ${T}\nlp\n`,
    `lp() { shopt -s lastpipe; }\n( lp )\necho go | exec >${TOKEN}\necho ${T}\n`,
    `lp() { shopt -s lastpipe; }\nlp | cat\necho go | exec >${TOKEN}\necho ${T}\n`,
    `jc() { set -m; }\nshopt -s lastpipe\njc\necho go | exec >${TOKEN}\necho ${T}\n`,
  ]);
});

// A function's body runs with the shell's options where it is called (3.3): under lastpipe there,
// its pipeline's last exec is the shell's (bash 5.2.15). Before, the writes passed.
test("sensitive-values-secret: a function's body runs under the lastpipe of its call", () => {
  writes([
    `shopt -s lastpipe\nf() { echo go | exec >${TOKEN}; }\nf\necho ${T}\n`,
    `f() { echo go | exec >${TOKEN}; echo ${T}; }\nshopt -s lastpipe\nf\n`,
  ]);
  clean([`f() { echo go | exec >${TOKEN}; }\nf\nshopt -s lastpipe\necho ${T}\n`, `shopt -s lastpipe\nset -m\nf() { echo go | exec >${TOKEN}; }\nf\necho ${T}\n`]);
});

// Under `shopt -s lastpipe`, job control off, `read` ending a pipeline runs in the shell and assigns
// its variable what the stage before prints (3.2.3, 4.3.2; bash 5.2.15: `shopt -s lastpipe; echo abc
// | read V; echo "[$V]"` prints [abc], without lastpipe []). Before, only `read V <<< word` assigned.
test("sensitive-values-secret: read ending a pipeline under shopt -s lastpipe assigns what it is fed", () => {
  const INSTALL = "curl -sfL https://get.k3s.io | sh -s - agent";
  writes([`shopt -s lastpipe\necho ${T} | IFS= read -r V\necho "$V" > ${TOKEN}\n`]);
  assert.match(scriptCredential(`shopt -s lastpipe\nprintf '%s' ${T} | read -r V\n${INSTALL} --token "$V"\n`) ?? "", /^a credential \(given as --token\)/);
  // Without lastpipe, or with read not the pipeline's last element, the read runs in a subshell: V stays unset.
  clean([`echo ${T} | read -r V\necho "$V" > ${TOKEN}\n`, `shopt -s lastpipe\necho ${T} | read -r V | cat\necho "$V" > ${TOKEN}\n`]);
  assert.equal(scriptCredential(`echo ${T} | read -r V\n${INSTALL} --token "$V"\n`), undefined);
});

// `for NAME in WORDS` assigns NAME each word in turn (3.2.5.1; bash 5.2.15: `for t in a b; do printf
// "%s\n" "$t"; done` prints a, b): any of them may be the value. Before, nothing assigned it.
test("sensitive-values-secret: a for loop's variable holds each word of its list", () => {
  const INSTALL = "curl -sfL https://get.k3s.io | sh -s - agent";
  writes([`for t in ${T}; do echo "$t" > ${TOKEN}; done\n`, `for t in none '${T}'\ndo\n  echo "$t"\ndone > ${TOKEN}\n`]);
  assert.match(scriptCredential(`for t in /run/k3s.token ${T}; do [ -n "$t" ] && break; done\n${INSTALL} --token "$t"\n`) ?? "", /^a credential \(given as --token\)/);
  clean([`for t in $(cat /run/secrets/k3s); do echo "$t" > ${TOKEN}; done\n`, `for t; do echo "$t" > ${TOKEN}; done\n`]);
});

// `local -` in a function's body restores the `set` options at its return (4.2 local; bash 5.2.15:
// `f(){ local -; set -m; }; f; echo $-` shows no m), not shopt's lastpipe. Before, the body's set -m
// was taken as holding after the call, so the pipeline's last exec > was read as in a subshell.
test("sensitive-values-secret: local - scopes a function body's set -m to the call", () => {
  writes([
    `shopt -s lastpipe\nquiet() { local -; set -m; }\nquiet\necho join | exec >${TOKEN}\necho ${T}\n`,
    `strict() { local -; shopt -s lastpipe; }\nstrict\necho join | exec >${TOKEN}\necho ${T}\n`,
  ]);
  // A set -m before the `local -` is saved with the options, so it holds after the call.
  clean([`shopt -s lastpipe\nquiet() { set -m; local -; }\nquiet\necho join | exec >${TOKEN}\necho ${T}\n`]);
});

// The list ends at the first `;` or newline outside quotes, a comment ending it; `in` may stand on
// the line after NAME; without `in` NAME takes the positional parameters, a function's call
// arguments (bash 5.2.15: `for t in /run/a';'b c` gives /run/a;b, c; `f() { for t; do echo "$t";
// done; }; f a` prints a; `for t in a # b` gives a alone). Before, the list was cut at a quoted `;`
// (its first word then read as a credential, the next one lost), `for t\nin` and a function's `for t;
// do` assigned nothing, and a comment's word was taken as one of the list.
test("sensitive-values-secret: a for loop's list read as bash reads it", () => {
  writes([
    `for t in /run/k3s/a';'b ${T}; do echo "$t" > ${TOKEN}; done\n`,
    `for t\nin /run/k3s.token ${T}\ndo echo "$t" > ${TOKEN}; done\n`,
    `f() { for t; do echo "$t" > ${TOKEN}; done; }\nf ${T}\n`,
    `f() {\n  for t do echo "$t" > ${TOKEN}; done\n}\nf ${T}\n`,
  ]);
  clean([
    `for t in "/run/k3s;/tmp"; do echo "$t" > ${TOKEN}; done\n`,
    `for t in /run/k3s.token # ${T}\ndo echo "$t" > ${TOKEN}; done\n`,
    `f() { for t; do echo "$t" > ${TOKEN}; done; }\nf /run/k3s.token\n`,
  ]);
});
