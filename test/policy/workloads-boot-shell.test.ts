/**
 * sensitive-values-secret on how a boot script's shell builds what it writes: double-quoted
 * strings inside command substitutions and pipelines (bash 3.1.2.3 Double Quotes: a backslash there
 * escapes only `$`, a backquote, `"`, `\` and newline, so `\"` does not end the string), and printf
 * as bash's builtin prints (its format's escapes, `%b`, `%d`, `-v VAR`, the format reused while
 * arguments remain).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { sensitiveValuesSecret } from "../../policy/rules/sensitive-values-secret";
import { scriptCredential } from "../../policy/lib/boot-scripts";
import { runResource } from "../support/policy";
import { TOKEN_FILE } from "../support/join-token";

const AUTH = Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64");
const ENCODED = /^a login the script base64-encodes itself \(user:password, its password written in the script\)/;
const REGISTRY = /^registry credentials \(a base64 user:password under auth/;
const TOKEN = /^a credential \(under token:\)/;
const registries = (auth: string) => `echo "auth: ${auth}" >> /etc/rancher/k3s/registries.yaml\n`;

// Before, the substitution reader tracked only single quotes and the pipeline reader ended a
// double-quoted string at `\"`: a `)`, `'` or `|` inside the login's double quotes cut the command
// short, so the password the script encodes went unseen.
test("sensitive-values-secret: a login in double quotes holding \\\", ), ' or | is read whole inside $(… | base64)", () => {
  const logins = {
    escapedQuote: String.raw`"ci-bot:pa\"ss|word"`,
    paren: `"ci-bot:pa)ss-Plain"`,
    apostrophe: `"ci-bot:it's-Plain"`,
    escapedParen: String.raw`"ci-bot:p\")w-Plain"`,
  };
  for (const [name, login] of Object.entries(logins)) {
    assert.match(scriptCredential(`AUTH=$(echo -n ${login} | base64 -w0)\n${registries("$AUTH")}`) ?? "", ENCODED, name);
    assert.match(scriptCredential(`curl -H "Authorization: Basic $(printf '%s' ${login} | base64)" https://registry.example.com/v2/\n`) ?? "", ENCODED, `${name} in a header`);
  }
  // A password read when the script runs stays unseen, quotes and all.
  for (const script of [
    `AUTH=$(echo -n "ci-bot:$(cat "/run/secrets/pw)x")" | base64 -w0)\n${registries("$AUTH")}`,
    String.raw`AUTH=$(echo -n "ci-bot:\"$(cat /run/secrets/pw)\"" | base64 -w0)` + `\n${registries("$AUTH")}`,
  ]) assert.equal(scriptCredential(script), undefined, script);
});

// Before, printf filled only `%s`: a `%d` kept its argument, so the next `%s` took the wrong one;
// `%b` and the format's own escapes (`\x74` for `t`, `\0101`) were read as written; `-v VAR`
// was read as the format; arguments beyond the format's conversions were dropped, where bash
// reuses the format for them.
test("sensitive-values-secret: printf read as bash prints it (%d, %b, escapes, -v VAR, the format reused)", () => {
  const found = {
    decimal: "printf 'port: %d\\ntoken: %s\\n' 6443 Zq8vN3pL0xR7sT2w > /etc/rancher/k3s/config.yaml\n",
    bHex: `printf '%b' '{\\x22auths\\x22:{\\x22ghcr.io\\x22:{\\x22auth\\x22:\\x22${AUTH}\\x22}}}' > /root/.docker/config.json\n`,
    bOctal: "printf '%b\\n' 'server: https://10.0.0.2:6443' '\\0164oken: Zq8vN3pL0xR7sT2w' > /etc/rancher/k3s/config.yaml\n",
    formatHex: "printf 'server: https://10.0.0.2:6443\\n\\x74oken: %s\\n' Zq8vN3pL0xR7sT2w > /etc/rancher/k3s/config.yaml\n",
    reused: "printf '%s: %s\\n' server https://10.0.0.2:6443 token Zq8vN3pL0xR7sT2w > /etc/rancher/k3s/config.yaml\n",
    assigned: `printf -v CFG '{"auths":{"ghcr.io":{"auth":"%s"}}}' ${AUTH}\necho "$CFG" > /root/.docker/config.json\n`,
    assignedRegistries: "printf -v REG 'configs:\\n  ghcr.io:\\n    auth:\\n      auth: %s\\n' \"$(echo -n ci-bot:hunter2-Plain | base64 -w0)\"\necho \"$REG\" > /etc/rancher/k3s/registries.yaml\n",
    assignedLogin: `printf -v LOGIN '%s:%s' ci-bot hunter2-Plain\nAUTH=$(echo -n "$LOGIN" | base64 -w0)\n${registries("$AUTH")}`,
  };
  assert.match(scriptCredential(found.decimal) ?? "", TOKEN, "decimal");
  assert.match(scriptCredential(found.bHex) ?? "", REGISTRY, "bHex");
  assert.match(scriptCredential(found.bOctal) ?? "", TOKEN, "bOctal");
  assert.match(scriptCredential(found.formatHex) ?? "", TOKEN, "formatHex");
  assert.match(scriptCredential(found.reused) ?? "", TOKEN, "reused");
  assert.match(scriptCredential(found.assigned) ?? "", REGISTRY, "assigned");
  assert.match(scriptCredential(found.assignedRegistries) ?? "", ENCODED, "assignedRegistries");
  assert.match(scriptCredential(found.assignedLogin) ?? "", ENCODED, "assignedLogin");
  // What bash prints no credential in stays quiet, and nothing throws: a number, a bad number, a
  // value read when the script runs, a %b argument that is a reference.
  for (const script of [
    "printf 'replicas: %d\\nport: %05d\\n' 3 abc > /etc/app.yaml\n",
    "printf '%d %i %x %c %q %%\\n' 1 '\"A' zz ab 'a b' > /etc/app.yaml\n",
    "printf -v CFG 'token: %s\\n' \"$(cat /run/secrets/k3s-token)\"\necho \"$CFG\" > /etc/rancher/k3s/config.yaml\n",
    "printf '%b\\n' 'token: ${K3S_TOKEN}' > /etc/rancher/k3s/config.yaml\n",
    "printf '%s: %s\\n' server https://10.0.0.2:6443 token-file /etc/rancher/k3s/token > /etc/rancher/k3s/config.yaml\n",
    "printf '%s' > /dev/null\nprintf -v\nprintf -- '%*d|%.*s' 3 1\n",
  ]) assert.equal(scriptCredential(script), undefined, script);
});

test("sensitive-values-secret: a startup script printing a config with printf -v fails the rule", async () => {
  const script = `#!/bin/bash\nprintf -v CFG '{"auths":{"ghcr.io":{"auth":"%s"}}}' ${AUTH}\necho "$CFG" > /root/.docker/config.json\n`;
  const out = await runResource(sensitiveValuesSecret, { type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "agents", props: { metadataStartupScript: script } });
  assert.match(out.violations.map((v) => v.message).join(), /^InstanceTemplate agents: metadataStartupScript carries registry credentials .* but metadataStartupScript is not declared secret/);
});

const INSTALL = "curl -sfL https://get.k3s.io | sh -s - agent --server https://10.0.0.2:6443";

// Before, each of these passed though bash writes the literal: a `${VAR:-default}` or `${VAR:=default}`
// expands to its default when VAR is unset, as on a fresh VM (3.5.3 Shell Parameter Expansion); `$'…'`
// is the string with its escapes taken off (3.1.2.4 ANSI-C Quoting); `<<\EOF` is a quoted heredoc
// delimiter like `<<'EOF'` (3.6.6 Here Documents); a here-string, `install … /dev/stdin` and a `|`
// inside the echoed quotes write the token file all the same; `echo -e` takes `\x22` as `"`.
test("sensitive-values-secret: defaults, ANSI-C quoting, here-strings and install writing a credential as bash does", () => {
  const found: Record<string, [string, RegExp]> = {
    defaultFlag: [`${INSTALL} --token "\${K3S_TOKEN:-Zq8vN3pL0xR7sT2w}"\n`, /^a credential \(given as --token\)/],
    defaultEnv: ["K3S_TOKEN=${K3S_TOKEN:-Zq8vN3pL0xR7sT2w}\n", /^a credential \(given as K3S_TOKEN=\)/],
    defaultHeredoc: ["cat > /etc/rancher/k3s/config.yaml <<EOF\ntoken: ${K3S_TOKEN:-Zq8vN3pL0xR7sT2w}\nEOF\n", TOKEN],
    defaultTokenFile: [TOKEN_FILE + 'echo "${K3S_TOKEN-Zq8vN3pL0xR7sT2w}" > /etc/rancher/k3s/token\n', /^a join token \(written to \/etc\/rancher\/k3s\/token/],
    assignedDefault: [`: "\${AUTH:=${AUTH}}"\n${registries("$AUTH")}`, REGISTRY],
    defaultLogin: [`echo "auth: \${AUTH:-$(echo -n ci-bot:hunter2-Plain | base64 -w0)}" > /etc/rancher/k3s/registries.yaml\n`, ENCODED],
    ansiC: [`${INSTALL} --token $'Zq8vN3pL0xR7sT2w'\n`, /^a credential \(given as --token\)/],
    ansiCEnv: ["export K3S_TOKEN=$'Zq8v\\x4e3pL0xR7sT2w'\n", /^a credential \(given as K3S_TOKEN=\)/],
    heredocBackslash: [TOKEN_FILE + "cat > /etc/rancher/k3s/token <<\\EOF\nZq8vN3pL0xR7sT2w\nEOF\n", /^a join token \(written to/],
    installHeredoc: [TOKEN_FILE + "install -m 600 /dev/stdin /etc/rancher/k3s/token <<'EOF'\nZq8vN3pL0xR7sT2w\nEOF\n", /^a join token \(written to/],
    hereString: [TOKEN_FILE + "install -m 600 /dev/stdin /etc/rancher/k3s/token <<< 'Zq8vN3pL0xR7sT2w'\n", /^a join token \(written to/],
    teeHereString: [TOKEN_FILE + "tee /etc/rancher/k3s/token <<< Zq8vN3pL0xR7sT2w >/dev/null\n", /^a join token \(written to/],
    catHereString: [TOKEN_FILE + "cat > /etc/rancher/k3s/token <<< Zq8vN3pL0xR7sT2w\n", /^a join token \(written to/],
    installPipe: [TOKEN_FILE + "echo Zq8vN3pL0xR7sT2w | sudo install -D -m 0600 /dev/stdin /etc/rancher/k3s/token\n", /^a join token \(written to/],
    echoPipeQuoted: [TOKEN_FILE + 'echo "Zq8v|N3pL0xR7sT2w" > /etc/rancher/k3s/token\n', /^a join token \(written to/],
    echoE: [`echo -e '{\\x22auths\\x22:{\\x22ghcr.io\\x22:{\\x22auth\\x22:\\x22${AUTH}\\x22}}}' > /root/.docker/config.json\n`, REGISTRY],
  };
  for (const [name, [script, what]] of Object.entries(found)) assert.match(scriptCredential(script) ?? "", what, name);
});

// Before, `${K3S_TOKEN:?…}` and `${K3S_TOKEN:+…}` were read as a YAML key `K3S_TOKEN:` holding
// `?…`/`+…`, a false alarm: `:?` writes nothing (it stops the script when K3S_TOKEN is unset),
// `:+` gives its word only when K3S_TOKEN is set, and `${K3S_TOKEN:0:8}` is a substring of it.
test("sensitive-values-secret: parameter expansions that give no literal credential are no alarm", () => {
  for (const script of [
    `${INSTALL} --token "\${K3S_TOKEN:?K3S_TOKEN must be set}"\n`,
    'OPT="${K3S_TOKEN:+--token-file /etc/rancher/k3s/token}"\n',
    'echo "joining with token ${K3S_TOKEN:0:8}…"\n',
    `${INSTALL} --token "\${K3S_TOKEN:-$(cat /run/secrets/k3s)}"\n`,
    "K3S_TOKEN=${K3S_TOKEN:-}\n",
    TOKEN_FILE + "cat > /etc/rancher/k3s/token <<< \"$(gcloud secrets versions access latest --secret=k3s-token)\"\n",
  ]) assert.equal(scriptCredential(script), undefined, script);
});

// Before, these passed though bash writes the token: `read` assigns a here-string's word to its
// variable; `base64 -d` and `tr` between echo and the token file only reshape it; `>|` and `&>`
// redirect standard output too (3.6.2 Redirecting Output, 3.6.4). A commented-out echo writes nothing.
test("sensitive-values-secret: read <<<, a decoding pipe and >| or &> into the token file; a commented echo is no alarm", () => {
  for (const [name, script] of Object.entries({
    read: `IFS= read -r T <<< 'Zq8vN3pL0xR7sT2w'\n${INSTALL} --token "$T"\n`,
    decoded: TOKEN_FILE + "echo WnE4dk4zcEwweFI3c1Qydw== | base64 -d > /etc/rancher/k3s/token\n",
    trimmed: TOKEN_FILE + "echo ' Zq8vN3pL0xR7sT2w ' | tr -d ' ' | sudo tee /etc/rancher/k3s/token\n",
    clobber: TOKEN_FILE + "echo Zq8vN3pL0xR7sT2w >| /etc/rancher/k3s/token\n",
    both: TOKEN_FILE + "echo Zq8vN3pL0xR7sT2w &> /etc/rancher/k3s/token\n",
  })) assert.match(scriptCredential(script) ?? "", /^a (credential \(given as --token\)|join token \(written to)/, name);
  for (const script of [
    TOKEN_FILE + "# echo Zq8vN3pL0xR7sT2w > /etc/rancher/k3s/token\n",
    `IFS= read -r T <<< "$(cat /run/secrets/k3s)"\n${INSTALL} --token "$T"\n`,
    TOKEN_FILE + "echo \"$ENCODED\" | base64 -d > /etc/rancher/k3s/token\n",
  ]) assert.equal(scriptCredential(script), undefined, script);
});

// Before, a literal password fed to `login --password-stdin` passed: only `-p` was read, yet the
// login's standard input is a pipe from echo/printf, a here-string or a heredoc (3.6.6, 3.6.7) as
// bash runs it, and Docker stores the login in config.json.
test("sensitive-values-secret: a literal password fed to a registry login's --password-stdin", () => {
  for (const [name, script] of Object.entries({
    hereString: "docker login -u ci-bot --password-stdin ghcr.io <<< 'ghp_0123456789abcdef'\n",
    pipe: "mkdir -p /root/.docker && echo 'ghp_0123456789abcdef' | docker login -u ci-bot --password-stdin ghcr.io\n",
    printf: "printf '%s' ghp_0123456789abcdef | sudo nerdctl login --username ci-bot --password-stdin ghcr.io\n",
    variable: 'PW=ghp_0123456789abcdef\necho "$PW" | docker login -u ci-bot --password-stdin ghcr.io\n',
    heredoc: "helm registry login ghcr.io -u ci-bot --password-stdin <<'EOF'\nghp_0123456789abcdef\nEOF\n",
  })) assert.match(scriptCredential(script) ?? "", /^a registry password \(fed to login's --password-stdin\)/, name);
  for (const script of [
    "gcloud secrets versions access latest --secret=registry | docker login -u ci-bot --password-stdin ghcr.io\n",
    'PW=$(cat /run/secrets/pw)\necho "$PW" | docker login -u ci-bot --password-stdin ghcr.io\n',
    'docker login -u ci-bot --password-stdin ghcr.io <<< "$(gcloud secrets versions access latest --secret=registry)"\n',
    "echo ok | tee /tmp/log; docker login -u ci-bot --password-stdin ghcr.io < /run/secrets/pw\n",
  ]) assert.equal(scriptCredential(script), undefined, script);
});

// A backslash-newline outside quotes is a line continuation, removed before the words are split
// (3.1.2.1 Escape Character): before, it was read as a word of its own, so a token read when the
// script runs, echoed on a continued line, was taken for the literal `\`.
test("sensitive-values-secret: a backslash-newline continuing a command is no word of its own", () => {
  assert.equal(scriptCredential(TOKEN_FILE + 'T=$(cat /run/secrets/k3s)\necho \\\n  "$T" > /etc/rancher/k3s/token\n'), undefined);
  assert.match(scriptCredential("printf '%s: %s\\n' \\\n  server https://10.0.0.2:6443 \\\n  token Zq8vN3pL0xR7sT2w > /etc/rancher/k3s/config.yaml\n") ?? "", TOKEN);
});

// Before, these passed: `tee` writes every file it names, options or not (`tee /tmp/log <token file>`,
// `tee --append`), and `1>` is `>` with its file descriptor written out (3.6.2 Redirecting Output).
test("sensitive-values-secret: tee naming several files and 1> write the token file too", () => {
  for (const [name, script] of Object.entries({
    teeFiles: TOKEN_FILE + "echo Zq8vN3pL0xR7sT2w | tee /var/log/join.log /etc/rancher/k3s/token\n",
    teeAppend: TOKEN_FILE + "echo Zq8vN3pL0xR7sT2w | sudo tee --append /etc/rancher/k3s/token > /dev/null\n",
    fd: TOKEN_FILE + "echo Zq8vN3pL0xR7sT2w 1> /etc/rancher/k3s/token\n",
  })) assert.match(scriptCredential(script) ?? "", /^a join token \(written to/, name);
  assert.equal(scriptCredential(TOKEN_FILE + "echo Zq8vN3pL0xR7sT2w 2> /etc/rancher/k3s/token\n"), undefined);
});
