/**
 * sensitive-values-secret on what bash 5.2 writes literally (Bash Reference Manual 3.6.6 Here
 * Documents, 3.1.2 Quoting, 4.2 echo): a quoted heredoc's body is not expanded, `echo -e` and
 * printf print a `$` an escape gives as a `$` (nothing is expanded after escape processing), and a
 * heredoc ends only at a line that is exactly its delimiter (`<<-` stripping leading tabs first).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { scriptCredential } from "../../policy/lib/boot-scripts";
import { TOKEN_FILE } from "../support/join-token";

const TOKEN = /^a credential \(under token:\)/;
const CONFIG = "/etc/rancher/k3s/config.yaml";
/** A variable set to a literal token elsewhere in the script, under a name that says nothing. */
const SET = "T=Zq8vN3pL0xR7sT2w\n";

// Before, every heredoc body was read as if expanded: `$T` in a quoted one was taken for T's value,
// though bash writes the text `$T` ("If any part of word is quoted … the lines in the here-document
// are not expanded"), and `<<E"OF"` was read as the delimiter `E`.
test("sensitive-values-secret: a quoted heredoc's body names no variable's value; a literal there still counts", () => {
  for (const word of ["'EOF'", '"EOF"', 'E"OF"', "\\EOF", " 'EOF'", "-'EOF'"]) {
    const script = `${SET}cat > ${CONFIG} <<${word}\ntoken: $T\nEOF\n`;
    assert.equal(scriptCredential(script), undefined, script);
    assert.match(scriptCredential(`cat > ${CONFIG} <<${word}\ntoken: Zq8vN3pL0xR7sT2w\nEOF\n`) ?? "", TOKEN, word);
  }
  assert.match(scriptCredential(`${SET}cat > ${CONFIG} <<EOF\ntoken: $T\nEOF\n`) ?? "", TOKEN, "unquoted");
  // The token file gets the text `$T` from a quoted heredoc, T's value from an unquoted one.
  const tokenFile = "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\n";
  assert.equal(scriptCredential(`${tokenFile}${SET}cat > /etc/rancher/k3s/token <<'EOF'\n$T\nEOF\n`), undefined);
  assert.match(scriptCredential(`${tokenFile}${SET}cat > /etc/rancher/k3s/token <<EOF\n$T\nEOF\n`) ?? "", /^a join token \(written to/);
});

// Before, the script was read as written beside what echo -e and printf print: `\x24VAR` was a
// literal under token:, and what they print, `$VAR`, was taken for VAR's value. Bash prints `$VAR`,
// as it does a single-quoted `$VAR` (3.1.2.2 Single Quotes), which was taken for VAR's value too,
// while a single-quoted `$` inside a password made it look read at run time.
test("sensitive-values-secret: a $ that echo -e's or printf's escapes give, or single quotes hold, is printed as is", () => {
  for (const script of [
    `echo -e 'token: \\x24VAR' > ${CONFIG}\n`,
    `VAR=Zq8vN3pL0xR7sT2w\necho -e 'token: \\x24VAR' > ${CONFIG}\n`,
    `VAR=Zq8vN3pL0xR7sT2w\necho -e "token: \\0044VAR" > ${CONFIG}\n`,
    `VAR=Zq8vN3pL0xR7sT2w\nprintf 'token: \\x24VAR\\n' > ${CONFIG}\n`,
    `VAR=Zq8vN3pL0xR7sT2w\nprintf '%b\\n' 'token: \\044VAR' > ${CONFIG}\n`,
    `VAR=Zq8vN3pL0xR7sT2w\nprintf 'token: %s\\n' '$VAR' > ${CONFIG}\n`,
    `PASS=hunter2-Plain\nAUTH=$(echo -n 'ci-bot:$PASS' | base64 -w0)\necho "auth: $AUTH" >> /etc/rancher/k3s/registries.yaml\n`,
  ]) assert.equal(scriptCredential(script), undefined, script);
  // A single-quoted `$` inside a password is a character of it: the login is in the script.
  const login = "AUTH=$(echo -n 'ci-bot:pa$$w0rd-Plain' | base64 -w0)\necho \"auth: $AUTH\" >> /etc/rancher/k3s/registries.yaml\n";
  assert.match(scriptCredential(login) ?? "", /^a login the script base64-encodes itself/);
  for (const script of [
    `echo -e 'token: \\x5aq8vN3pL0xR7sT2w' > ${CONFIG}\n`,
    `VAR=Zq8vN3pL0xR7sT2w\necho -e "token: $VAR" > ${CONFIG}\n`,
    `VAR=Zq8vN3pL0xR7sT2w\nprintf 'token: %s\\n' "$VAR" > ${CONFIG}\n`,
  ]) assert.match(scriptCredential(script) ?? "", TOKEN, script);
});

// Before, a line holding the delimiter with blanks around it ended any heredoc. Bash ends `<<EOF`
// only at a line that is `EOF` alone, and `<<-EOF` at one after leading tabs, not spaces.
test("sensitive-values-secret: a heredoc ends at its delimiter alone on a line, after tabs only for <<-", () => {
  const after = `echo "token: $T" > ${CONFIG}\n`;
  // Still in the quoted body: the echo is text cat writes, not a command.
  for (const [op, close] of [["", "  EOF"], ["", "EOF "], ["-", "  EOF"], ["", "\tEOF"]]) {
    const script = `${SET}cat > /etc/motd <<${op}'EOF'\nwelcome\n${close}\n${after}EOF\n`;
    assert.equal(scriptCredential(script), undefined, JSON.stringify(script));
  }
  // Past the body: the echo runs.
  for (const [op, close] of [["", "EOF"], ["-", "\t\tEOF"]]) {
    const script = `${SET}cat > /etc/motd <<${op}'EOF'\n\twelcome\n${close}\n${after}`;
    assert.match(scriptCredential(script) ?? "", TOKEN, JSON.stringify(script));
  }
});

const AUTH = Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64");

// Before, echo took only its first word as options, so `echo -n -e` printed nothing to read and its
// `\x22` quotes hid the login (bash 5.2 builtins/echo.def takes every leading word of n, e and E alone).
test("sensitive-values-secret: echo with its options in several words, -e among them, takes escapes", () => {
  const json = `'{\\x22auths\\x22:{\\x22ghcr.io\\x22:{\\x22auth\\x22:\\x22${AUTH}\\x22}}}'`;
  assert.match(scriptCredential(`echo -n -e ${json} > /root/.docker/config.json\n`) ?? "", /^registry credentials/);
  assert.match(scriptCredential(`echo -E -n -e ${json} > /root/.docker/config.json\n`) ?? "", /^registry credentials/);
  // The last of -e and -E decides: `-e -E` prints the escapes as written, and `\x22` is no quote.
  assert.equal(scriptCredential(`echo -e -E ${json} > /root/.docker/config.json\n`), undefined);
});

// Before, an escaped `\$T` was read as a literal token in the script as written, and as T's value once
// unescaped: bash writes the text `$T` (3.1.2.1 Escape Character; in an unquoted heredoc a backslash
// quotes `$`, 3.6.6), a placeholder, so no alarm; as it does a single-quoted `$T` (3.1.2.2).
test("sensitive-values-secret: a $ written as is, escaped or single-quoted, is text, not an expansion", () => {
  for (const script of [
    `${SET}K3S_TOKEN='$T'\n`,
    `${SET}cat > ${CONFIG} <<EOF\ntoken: \\$T\nEOF\n`,
    `${SET}echo "token: \\$T" > ${CONFIG}\n`,
    `${SET}echo token: \\$T > ${CONFIG}\n`,
  ]) assert.equal(scriptCredential(script), undefined, script);
});

// Before, these passed though bash writes the secret: `exec 3>file` opens the file on descriptor 3
// for the rest of the script and `>&3` writes there (3.6.8 Duplicating File Descriptors; exec
// without a command, 4.1), and a heredoc given to `cat` piped into a login is the login's input.
test("sensitive-values-secret: echo into a descriptor exec opened on the token file, a heredoc cat pipes into a login", () => {
  for (const [name, script] of Object.entries({
    exec: `${TOKEN_FILE}exec 3>/etc/rancher/k3s/token\necho Zq8vN3pL0xR7sT2w >&3\nexec 3>&-\n`,
    execFd: `${TOKEN_FILE}exec 4>> /etc/rancher/k3s/token\nprintf '%s\\n' Zq8vN3pL0xR7sT2w 1>&4\n`,
  })) assert.match(scriptCredential(script) ?? "", /^a join token \(written to/, name);
  assert.equal(scriptCredential(`${TOKEN_FILE}exec 3>/etc/rancher/k3s/token\necho Zq8vN3pL0xR7sT2w >&4\n`), undefined);
  assert.match(scriptCredential("cat <<EOF | docker login -u ci-bot --password-stdin ghcr.io\nghp_0123456789abcdef\nEOF\n") ?? "", /^a registry password \(fed to login's --password-stdin\)/);
  assert.equal(scriptCredential("cat <<EOF | docker login -u ci-bot --password-stdin ghcr.io\n$(cat /run/secrets/pw)\nEOF\n"), undefined);
});

// Before, an echo ending a `{ …; }` group or a `( … )` subshell redirected as a whole passed: the
// group's redirection applies to every command in it (3.2.5.3 Grouping Commands).
test("sensitive-values-secret: echo in a { …; } group or ( … ) subshell redirected into the token file", () => {
  for (const script of [
    `${TOKEN_FILE}{ echo Zq8vN3pL0xR7sT2w; } > /etc/rancher/k3s/token\n`,
    `${TOKEN_FILE}(umask 077; echo Zq8vN3pL0xR7sT2w) > /etc/rancher/k3s/token\n`,
  ]) assert.match(scriptCredential(script) ?? "", /^a join token \(written to/, script);
  assert.equal(scriptCredential(`${TOKEN_FILE}{ echo Zq8vN3pL0xR7sT2w; } 2> /etc/rancher/k3s/token\n`), undefined);
});

// Before, these passed though bash writes the token: a function's arguments become its positional
// parameters while it runs (Bash Reference Manual 3.3 Shell Functions), so `$1` in its heredoc is
// the literal it is called with.
test("sensitive-values-secret: a function writing the token file from $1, called with the token", () => {
  for (const [name, script] of Object.entries({
    heredoc: `${TOKEN_FILE}write_token() {\n  cat > /etc/rancher/k3s/token <<EOF\n$1\nEOF\n}\nwrite_token "Zq8vN3pL0xR7sT2w"\n`,
    keyword: `${TOKEN_FILE}function write_token {\n  cat > /etc/rancher/k3s/token <<EOF\n\${2}\nEOF\n}\nwrite_token server Zq8vN3pL0xR7sT2w\n`,
    echo: `${TOKEN_FILE}write_token() { echo "$1" > /etc/rancher/k3s/token; }\nwrite_token 'Zq8vN3pL0xR7sT2w'\n`,
  })) assert.match(scriptCredential(script) ?? "", /^a join token \(written to/, name);
  // Called with what the script reads when it runs, with another argument, or a quoted heredoc's `$1`: no literal.
  for (const script of [
    `${TOKEN_FILE}write_token() {\n  cat > /etc/rancher/k3s/token <<EOF\n$1\nEOF\n}\nwrite_token "$(gcloud secrets versions access latest --secret=k3s-token)"\n`,
    `${TOKEN_FILE}write_token() {\n  cat > /etc/rancher/k3s/token <<EOF\n$1\nEOF\n}\nwrite_token "$(cat /run/t)" Zq8vN3pL0xR7sT2w\n`,
    `${TOKEN_FILE}write_token() {\n  cat > /etc/rancher/k3s/token <<'EOF'\n$1\nEOF\n}\nwrite_token Zq8vN3pL0xR7sT2w\n`,
  ]) assert.equal(scriptCredential(script), undefined, script);
});

// Before, these passed: `exec` without a command applies its redirections to the shell itself
// (Bash Reference Manual 4.1, exec), so every later command's output goes to the file.
test("sensitive-values-secret: echo after exec > the token file", () => {
  for (const script of [
    `${TOKEN_FILE}exec >/etc/rancher/k3s/token\necho Zq8vN3pL0xR7sT2w\n`,
    `${TOKEN_FILE}exec 1> "/etc/rancher/k3s/token"\nprintf '%s\\n' Zq8vN3pL0xR7sT2w\n`,
  ]) assert.match(scriptCredential(script) ?? "", /^a join token \(written to/, script);
  for (const script of [
    `${TOKEN_FILE}exec >/etc/rancher/k3s/token\nexec >/var/log/boot.log\necho Zq8vN3pL0xR7sT2w\n`,
    `${TOKEN_FILE}echo Zq8vN3pL0xR7sT2w\nexec >/etc/rancher/k3s/token\n`,
    `${TOKEN_FILE}exec >/etc/rancher/k3s/token\necho Zq8vN3pL0xR7sT2w >/dev/null\nX=$(echo Zq8vN3pL0xR7sT2w)\n`,
    `${TOKEN_FILE}exec 2>/etc/rancher/k3s/token\necho Zq8vN3pL0xR7sT2w\n`,
  ]) assert.equal(scriptCredential(script), undefined, script);
});

// Before, only the last command of a group was read: a group's redirection applies to every
// command in its list (Bash Reference Manual 3.2.5.3 Grouping Commands).
test("sensitive-values-secret: every command of a { …; } group or ( … ) subshell redirected into the token file", () => {
  for (const script of [
    `${TOKEN_FILE}{ echo Zq8vN3pL0xR7sT2w; chmod 600 /etc/rancher/k3s/token; } > /etc/rancher/k3s/token\n`,
    `${TOKEN_FILE}(\n  printf '%s\\n' Zq8vN3pL0xR7sT2w\n  umask 077\n) >> /etc/rancher/k3s/token\n`,
  ]) assert.match(scriptCredential(script) ?? "", /^a join token \(written to/, script);
  for (const script of [
    `${TOKEN_FILE}{ echo Zq8vN3pL0xR7sT2w > /var/log/x; chmod 600 /etc/rancher/k3s/token; } > /etc/rancher/k3s/token\n`,
    `${TOKEN_FILE}{ echo Zq8vN3pL0xR7sT2w; chmod 600 /etc/rancher/k3s/token; } 2> /etc/rancher/k3s/token\n`,
  ]) assert.equal(scriptCredential(script), undefined, script);
});

// Before, a function's `$1` under a credential's key passed: bound to the call's literal, it is one.
test("sensitive-values-secret: a function writing registries.yaml or passing --token from $1, called with a literal", () => {
  const reg = "write_registry() {\n  cat > /etc/rancher/k3s/registries.yaml <<EOF\nconfigs:\n  ghcr.io:\n    auth:\n      username: ci-bot\n      password: $1\nEOF\n}\n";
  assert.match(scriptCredential(`${reg}write_registry 'ghp_0123456789abcdef'\n`) ?? "", /^a credential \(under password:\)/);
  assert.equal(scriptCredential(`${reg}write_registry "$(gcloud secrets versions access latest --secret=ghcr)"\n`), undefined);
  const join = 'join() { curl -sfL https://get.k3s.io | sh -s - agent --server https://10.0.0.2:6443 --token "$1"; }\n';
  assert.match(scriptCredential(`${join}join Zq8vN3pL0xR7sT2w\n`) ?? "", /^a credential \(given as --token\)/);
  assert.equal(scriptCredential(`${join}join "$(curl -s -H 'Metadata-Flavor: Google' http://metadata/computeMetadata/v1/instance/attributes/t)"\n`), undefined);
});
