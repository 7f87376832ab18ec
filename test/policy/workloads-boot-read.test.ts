/**
 * sensitive-values-secret on a variable a boot script's `read` assigns, as bash 5.2's read assigns
 * it (Bash Reference Manual 4.2 read, 3.5.7 Word Splitting): the first line of what it is given (a
 * here-string, a heredoc, or the stage before it where `shopt -s lastpipe` runs it in the shell),
 * split on IFS (a prefix `IFS=…` holding for it), each name but the last a field, the last the rest;
 * without `-r` a backslash escapes the next character and a backslash-newline goes on with the next
 * line. Each case was run with bash 5.2.15 here. Before, only `read NAME` with one name was followed,
 * taking the whole line as is.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { WRITTEN, writes, clean } from "./workloads-support";
import { T } from "../support/join-token";
import { scriptCredential } from "../../policy/lib/boot-scripts";
import { readCommand, readFields, readLines } from "../../policy/lib/shell-read";

const TOKEN = "/etc/rancher/k3s/token";
const LASTPIPE = "shopt -s lastpipe\n";

// bash 5.2.15: `read -r F V <<< "/run/k3s.token <token>"` leaves V the token; `IFS=: read -r U P`
// of `k3s:<token>` gives P the token, `read -r U P` (default IFS) gives P nothing.
test("sensitive-values-secret: each name of a read takes its field", () => {
  writes([
    `${LASTPIPE}echo "/run/k3s.token ${T}" | read -r F V\necho "$V" > ${TOKEN}\n`,
    `read -r F V <<< "/run/k3s.token ${T}"\necho "$V" > ${TOKEN}\n`,
    `read -r F V <<EOF\n/run/k3s.token ${T}\nEOF\necho "$V" > ${TOKEN}\n`,
    `${LASTPIPE}echo "k3s:${T}" | IFS=: read -r U P\necho "$P" > ${TOKEN}\n`,
  ]);
  clean([`${LASTPIPE}echo "k3s:${T}" | read -r U P\necho "$P" > ${TOKEN}\n`, `${LASTPIPE}echo "${T} /run/k3s.token" | read -r V F\necho "$F" > ${TOKEN}\n`]);
});

// bash 5.2.15: without -r, `printf '/run/k3s.token \\\n%s\n' <token> | read F V` joins the lines (V the
// token), and `echo '\/run/k3s/token' | read V` gives V the path; with -r V keeps the backslash.
test("sensitive-values-secret: read without -r takes a backslash as an escape", () => {
  writes([`${LASTPIPE}printf '/run/k3s.token \\\\\\n%s\\n' ${T} | read F V\necho "$V" > ${TOKEN}\n`, `${LASTPIPE}echo '\\/run/k3s/token' | read -r V\necho "$V" > ${TOKEN}\n`]);
  clean([`${LASTPIPE}echo '\\/run/k3s/token' | read V\necho "$V" > ${TOKEN}\n`]);
});

// Each line as bash 5.2.15 here assigns it (`IFS=: read a b <<< x:y:` gives b `y`, `<<< x:y:z:` gives `y:z:`).
test("readFields: read's field splitting as bash 5.2.15 does it", () => {
  const fields = (prefix: string, args: string, line: string) => readFields(`${line}\n`, readCommand(args, prefix)!);
  assert.deepEqual(fields("", "a b", "  x   y  z  "), ["x", "y  z"]);
  assert.deepEqual(fields("", "a", "  x   y  "), ["x   y"]);
  assert.deepEqual(fields("IFS=", "a b", "  x   y  "), ["  x   y  ", ""]);
  assert.deepEqual(fields("IFS=:", "a b", "x:y:"), ["x", "y"]);
  assert.deepEqual(fields("IFS=:", "a b", "x:y:z:"), ["x", "y:z:"]);
  assert.deepEqual(fields("IFS=:", "a b", "x::y"), ["x", ":y"]);
  assert.deepEqual(fields("IFS=:", "a b", ":x"), ["", "x"]);
  assert.deepEqual(fields("IFS=': '", "a b", "x:y :"), ["x", "y"]);
  assert.deepEqual(fields("IFS=:", "a b c", "x"), ["x", "", ""]);
  assert.deepEqual(fields("IFS=:", "a b", "x\\:y:z"), ["x:y", "z"]);
  assert.deepEqual(fields("", "a b", "x\\ y z"), ["x y", "z"]);
  assert.deepEqual(fields("", "-r a b", "x\\ y z"), ["x\\", "y z"]);
  assert.deepEqual(fields("", "x y", "a \\\nb c"), ["a", "b c"]);
  assert.deepEqual(fields("", "-r x y", "a \\\nb c"), ["a", "\\"]);
  assert.deepEqual(fields("IFS=$'\\n'", "a b", "x y"), ["x y", ""]);
  // An array, another delimiter, a character count or descriptor: not a line read into names.
  for (const args of ["-a A", "-d : V", "-n 4 V", "-u 3 V"]) assert.equal(readCommand(args), undefined, args);
});

// bash 5.2.15: `IFS=:` on a line of its own holds for every read after it (`IFS=:; read -r U P <<< k3s:tok`
// gives P `tok`); a prefix `IFS=: true` holds for that command alone, and one set after the read does not reach it.
test("sensitive-values-secret: a read splits on the IFS the script set before it", () => {
  writes([`IFS=:\nread -r U P <<< "k3s:${T}"\necho "$P" > ${TOKEN}\n`, `IFS=':'; read -r U P <<EOF\nk3s:${T}\nEOF\necho "$P" > ${TOKEN}\n`]);
  clean([`IFS=: true\nread -r U P <<< "k3s:${T}"\necho "$P" > ${TOKEN}\n`, `read -r U P <<< "k3s:${T}"\nIFS=:\necho "$P" > ${TOKEN}\n`]);
});

// bash 5.2.15: `while read -r F V; do …; done <<< "/run/x <token>"` runs its body with V the token (the
// loop's here-string or heredoc feeds every read of its test), and leaves V empty after the loop.
test("sensitive-values-secret: a read in a while loop's test takes each line of the loop's here-string or heredoc", () => {
  writes([`while read -r F V; do echo "$V" > ${TOKEN}; done <<< "/run/k3s.token ${T}"\n`, `while read -r F V\ndo\n  echo "$V" > ${TOKEN}\ndone <<EOF\nfirst line\n/run/k3s.token ${T}\nEOF\n`]);
  clean([`while read -r V F; do echo "$V" > ${TOKEN}; done <<< "/run/k3s.token ${T}"\n`]);
  // bash 5.2.15: `while read x y; do echo "[$x][$y]"; done <<< $'a \\\nb c\nd'` prints [a][b c], [d][], then x and y are empty.
  assert.deepEqual(readLines("a \\\nb c\nd\n", readCommand("x y")!), [["a", "b c"], ["d", ""], ["", ""]]);
});

// bash 5.2.15 and dash 0.5.12 alike: `echo "/run/x <token>" | while read -r F V; do echo "$V" > token-file; done`
// writes the token (the loop, the pipeline's last element, reads each line the stage before it prints;
// in a subshell without lastpipe, where the file is written all the same), as does a printf or a
// piped `cat <<EOF`; `read -r V F` of `<token> /run/x` leaves F the path.
test("sensitive-values-secret: a read in the test of a while loop ending a pipeline takes each line the stage before it prints", () => {
  writes([
    `echo "/run/k3s.token ${T}" | while read -r F V; do echo "$V" > ${TOKEN}; done\n`,
    `printf '%s\\n' first ${T} | while IFS= read -r V\ndo\n  [ "$V" = first ] || echo "$V" > ${TOKEN}\ndone\n`,
    `cat <<EOF | while read -r F V; do echo "$V" > ${TOKEN}; done\n/run/k3s.token ${T}\nEOF\n`,
  ]);
  clean([`echo "${T} /run/k3s.token" | while read -r V F; do echo "$F" > ${TOKEN}; done\n`]);
});

// cloud-init writes runcmd into one script headed #!/bin/sh (canonical/cloud-init 26.2 util.py shellify,
// cc_runcmd.py; run by cc_scripts_user), dash on Debian and Ubuntu. dash 0.5.12 here: `echo <token> &> file`
// sends echo to the background and truncates the file (`&>` is `&` then `>`); `shopt` is not found, so
// `echo <token> | read V` or `| exec > file` runs in a subshell: the file stays empty. bash 5.2.15 writes the token in each.
test("sensitive-values-secret: a cloud-config's runcmd is read as dash runs it: no &>, no shopt -s lastpipe", () => {
  const userData = (entries: string) => `#cloud-config\nwrite_files:\n- path: /etc/rancher/k3s/config.yaml\n  content: |\n    token-file: ${TOKEN}\nruncmd:\n${entries}`;
  for (const entries of [`- echo ${T} &> ${TOKEN}\n`, `- |\n  echo ${T} &> ${TOKEN}\n`, `- |\n  shopt -s lastpipe\n  echo ${T} | read V\n  echo "$V" > ${TOKEN}\n`, `- |\n  shopt -s lastpipe\n  echo ${T} | exec > ${TOKEN}\n  echo ${T}\n`]) {
    assert.equal(scriptCredential(userData(entries), "dash"), undefined, entries);
  }
  // Where /bin/sh is bash (Rocky Linux, RHEL: gce-driver.ts gceBinSh) runcmd's `&>` writes it; where it is not known, that counts.
  for (const entries of [`- echo ${T} &> ${TOKEN}\n`, `- |\n  echo ${T} &> ${TOKEN}\n`]) {
    assert.match(scriptCredential(userData(entries), "bash") ?? "", WRITTEN, entries);
    assert.match(scriptCredential(userData(entries)) ?? "", /where \/bin\/sh is bash/, entries);
  }
  assert.match(scriptCredential(userData(`- echo ${T} > ${TOKEN}\n`), "dash") ?? "", WRITTEN);
  // The same lines in a bash script write it.
  writes([`shopt -s lastpipe\necho ${T} | read V\necho "$V" > ${TOKEN}\n`, `echo ${T} &> ${TOKEN}\n`]);
});
