/**
 * Policy-review mutations of what the k3s agents' VMs are handed at boot: startup scripts and
 * cloud-init user-data writing join tokens and registry logins, each in a way bash or cloud-init
 * reads alike, all in the instance template's metadata, which is not declared secret.
 */
import { gzipSync } from "zlib";
import type { ExportedDeployment } from "../../scripts/lib/review-wire";
import { Mutation, resources, edit } from "./mutations-support";

/** The k3s agents' instance template with `metadata` set over its own (a startup script, cloud-init user-data). */
export function withAgentMetadata(doc: ExportedDeployment, metadata: Record<string, string>) {
  const t = resources(doc).find((r) => r.type === "gcp:compute/instanceTemplate:InstanceTemplate");
  return t && edit(t, (o) => (o.metadata = { ...o.metadata, ...metadata }));
}

/** A startup script for the k3s agents, as bash runs it, each writing a credential in a way bash reads alike. */
const AGENT_SCRIPTS: [string, string][] = [
  [
    // In double quotes `\"` does not end the string (Bash Reference Manual 3.1.2.3): the whole login is encoded.
    "a registry login whose password holds an escaped quote, base64-encoded by the k3s agents' startup script into registries.yaml",
    `AUTH=$(echo -n "ci-bot:pa\\"ss|word" | base64 -w0)\necho "auth: $AUTH" >> /etc/rancher/k3s/registries.yaml\n`,
  ],
  [
    // A `$` in single quotes is a character (Bash Reference Manual 3.1.2.2): the password is all in the script.
    "a registry login whose password holds a single-quoted $, base64-encoded by the k3s agents' startup script into registries.yaml",
    "AUTH=$(echo -n 'ci-bot:pa$$w0rd-Plain' | base64 -w0)\necho \"auth: $AUTH\" >> /etc/rancher/k3s/registries.yaml\n",
  ],
  [
    // printf -v assigns what it would print (Bash Reference Manual 4.2, printf): echoed into config.json, it is the login.
    "a registry login printed into a variable by printf -v, then echoed into the k3s agents' Docker config.json by their startup script",
    `printf -v CFG '{"auths":{"ghcr.io":{"auth":"%s"}}}' ${Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64")}\necho "$CFG" > /root/.docker/config.json\n`,
  ],
  [
    // %b takes its argument's escapes (\x22 is a double quote): the JSON printed holds the login under auth.
    "a registry login printed by printf %b with its quotes as \\x22 escapes into the k3s agents' Docker config.json",
    `printf '%b' '{\\x22auths\\x22:{\\x22ghcr.io\\x22:{\\x22auth\\x22:\\x22${Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64")}\\x22}}}' > /root/.docker/config.json\n`,
  ],
  [
    // echo takes every leading word of n, e and E alone as options (bash 5.2 builtins/echo.def): `-n -e` takes the escapes.
    "a registry login printed by echo -n -e with its quotes as \\x22 escapes into the k3s agents' Docker config.json",
    `echo -n -e '{\\x22auths\\x22:{\\x22ghcr.io\\x22:{\\x22auth\\x22:\\x22${Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64")}\\x22}}}' > /root/.docker/config.json\n`,
  ],
  [
    // printf reuses its format while arguments remain: the second pass prints `token: <literal>`.
    "the k3s agents' join token printed by printf reusing its format for key/value pairs into their config.yaml",
    "printf '%s: %s\\n' server https://10.0.0.2:6443 token Zq8vN3pL0xR7sT2w > /etc/rancher/k3s/config.yaml\n",
  ],
  [
    // ${VAR:-word} gives its word when VAR is unset, as on a fresh VM (Bash Reference Manual 3.5.3).
    "the k3s agents' join token given as the default of ${K3S_TOKEN:-…} in their startup script",
    'curl -sfL https://get.k3s.io | sh -s - agent --server https://10.0.0.2:6443 --token "${K3S_TOKEN:-Zq8vN3pL0xR7sT2w}"\n',
  ],
  [
    // $'…' is the string with its escapes taken off (Bash Reference Manual 3.1.2.4).
    "the k3s agents' join token given ANSI-C quoted ($'…') in their startup script",
    "export K3S_TOKEN=$'Zq8v\\x4e3pL0xR7sT2w'\n",
  ],
  [
    // A here-string is the command's standard input (Bash Reference Manual 3.6.7): install writes it to the token file.
    "the k3s agents' join token written by install /dev/stdin from a here-string into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\ninstall -m 600 /dev/stdin /etc/rancher/k3s/token <<< 'Zq8vN3pL0xR7sT2w'\n",
  ],
  [
    // read assigns its here-string's word to the variable the install line passes as --token.
    "the k3s agents' join token assigned by read from a here-string, then passed as --token in their startup script",
    `IFS= read -r T <<< 'Zq8vN3pL0xR7sT2w'\ncurl -sfL https://get.k3s.io | sh -s - agent --server https://10.0.0.2:6443 --token "$T"\n`,
  ],
  [
    // base64 -d only reshapes what echo prints: the token file gets the token itself.
    "the k3s agents' join token echoed base64-encoded through base64 -d into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\necho WnE4dk4zcEwweFI3c1Qydw== | base64 -d > /etc/rancher/k3s/token\n",
  ],
  [
    // --password-stdin reads the password from the pipe: echoed there, it is written in the script.
    "a registry password echoed into docker login --password-stdin by the k3s agents' startup script",
    "echo 'ghp_0123456789abcdef' | docker login -u ci-bot --password-stdin ghcr.io\n",
  ],
  [
    // tee writes every file it names: the token file among them gets the token.
    "the k3s agents' join token piped to tee naming a log file and the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\necho Zq8vN3pL0xR7sT2w | tee /var/log/join.log /etc/rancher/k3s/token\n",
  ],
  [
    // echo -e takes \x22 as a double quote (Bash Reference Manual 4.2, echo): the JSON written holds the login.
    "a registry login echoed by echo -e with its quotes as \\x22 escapes into the k3s agents' Docker config.json",
    `echo -e '{\\x22auths\\x22:{\\x22ghcr.io\\x22:{\\x22auth\\x22:\\x22${Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64")}\\x22}}}' > /root/.docker/config.json\n`,
  ],
  [
    // <<\EOF quotes the delimiter like <<'EOF' (Bash Reference Manual 3.6.6): the body is written as is.
    "the k3s agents' join token written by a heredoc with a backslash-quoted delimiter (<<\\EOF) into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\ncat > /etc/rancher/k3s/token <<\\EOF\nZq8vN3pL0xR7sT2w\nEOF\n",
  ],
  [
    // exec 3>file opens the file on descriptor 3 for the rest of the script (Bash Reference Manual 3.6.8, 4.1 exec): >&3 writes it.
    "the k3s agents' join token echoed into a descriptor exec opened on the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\nexec 3>/etc/rancher/k3s/token\necho Zq8vN3pL0xR7sT2w >&3\nexec 3>&-\n",
  ],
  [
    // A group's redirection applies to every command in it (Bash Reference Manual 3.2.5.3): the echo writes the token file.
    "the k3s agents' join token echoed in a { …; } group redirected into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\n{ echo Zq8vN3pL0xR7sT2w; } > /etc/rancher/k3s/token\n",
  ],
  [
    // cat prints its heredoc into the pipe, which --password-stdin reads (Bash Reference Manual 3.2.3, 3.6.6).
    "a registry password given as the heredoc of a cat piped into docker login --password-stdin by the k3s agents' startup script",
    "cat <<EOF | docker login -u ci-bot --password-stdin ghcr.io\nghp_0123456789abcdef\nEOF\n",
  ],
  [
    // A function's arguments become its positional parameters while it runs (Bash Reference Manual 3.3): its heredoc's $1 is the token.
    "the k3s agents' join token passed to a shell function whose heredoc writes its $1 into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\nwrite_token() {\n  cat > /etc/rancher/k3s/token <<EOF\n$1\nEOF\n}\nwrite_token 'Zq8vN3pL0xR7sT2w'\n",
  ],
  [
    // exec without a command redirects the shell's own output from then on (Bash Reference Manual 4.1, exec): the echo writes the token file.
    "the k3s agents' join token echoed after exec > redirected their startup script's output into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\nexec >/etc/rancher/k3s/token\necho Zq8vN3pL0xR7sT2w\nexec >/dev/null\n",
  ],
  [
    // A group's redirection applies to every command of its list (Bash Reference Manual 3.2.5.3), not only its last.
    "the k3s agents' join token echoed first in a { …; } group redirected into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\n{ echo Zq8vN3pL0xR7sT2w; chmod 600 /etc/rancher/k3s/token; } > /etc/rancher/k3s/token\n",
  ],
  [
    // Bound to the call's argument (Bash Reference Manual 3.3), the function's `password: $1` is the literal the script passes.
    "a registry password passed to a shell function whose heredoc writes it as $1 into the k3s agents' registries.yaml",
    "write_registry() {\n  cat > /etc/rancher/k3s/registries.yaml <<EOF\nconfigs:\n  ghcr.io:\n    auth:\n      username: ci-bot\n      password: $1\nEOF\n}\nwrite_registry 'ghp_0123456789abcdef'\n",
  ],
  [
    // exec 1>&3 makes the shell's output a copy of descriptor 3 (Bash Reference Manual 3.6.8, 4.1 exec), which exec 3> opened on the token file.
    "the k3s agents' join token echoed after exec 1>&3 sent their startup script's output to a descriptor opened on the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\nexec 3>/etc/rancher/k3s/token\nexec 1>&3\necho Zq8vN3pL0xR7sT2w\nexec 1>/dev/null 3>&-\n",
  ],
  [
    // An exec inside ( … ) redirects that subshell from then on (Bash Reference Manual 3.2.5.3, 3.7.3): the echo after it writes the token file.
    "the k3s agents' join token echoed inside a ( … ) subshell after an exec > there sent its output into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\n(\n  umask 077\n  exec >/etc/rancher/k3s/token\n  echo Zq8vN3pL0xR7sT2w\n)\n",
  ],
  [
    // A function runs where it is called (Bash Reference Manual 3.3): defined before exec >, called after it, its echo writes the token file.
    "the k3s agents' join token echoed by a shell function defined before exec > sent the startup script's output into the file token-file names and called after",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\nwrite_token() {\n  echo Zq8vN3pL0xR7sT2w\n}\nexec >/etc/rancher/k3s/token\nwrite_token\nexec >/dev/null\n",
  ],
  [
    // A function runs in the calling shell when called (Bash Reference Manual 3.3): the exec > in its body redirects the script from the call on, after exec > elsewhere.
    "the k3s agents' join token echoed after a call of a shell function whose body's exec > sends the startup script's output into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\nto_token() {\n  exec >/etc/rancher/k3s/token\n}\nexec >/var/log/boot.log\nto_token\necho Zq8vN3pL0xR7sT2w\nexec >/dev/null\n",
  ],
  [
    // A case pattern's `)` closes no group (Bash Reference Manual 3.2.5.2): the clause's echo is inside the subshell redirected to the token file.
    "the k3s agents' join token echoed by a case clause inside a ( … ) subshell redirected into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\n(\n  case \"$(hostname)\" in\n    *agent*) echo Zq8vN3pL0xR7sT2w;;\n    *) true;;\n  esac\n) > /etc/rancher/k3s/token\n",
  ],
  [
    // A function call's redirections apply to the commands of its body (Bash Reference Manual 3.3, 3.6): its echo of $1 writes the token file.
    "the k3s agents' join token passed to a shell function echoing its $1, called with its output redirected into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\nwrite_token() {\n  echo \"$1\"\n}\nwrite_token Zq8vN3pL0xR7sT2w > /etc/rancher/k3s/token\n",
  ],
  [
    // bash 5.2 parses $(…) as commands (its NEWS, 1c): the case pattern's `)` inside it ends neither it nor the subshell redirected to the token file.
    "the k3s agents' join token echoed inside a ( … ) subshell redirected into the file token-file names, after a $(case … esac) there",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\n(\n  ROLE=$(case \"$(hostname)\" in *agent*) echo agent;; *) echo server;; esac)\n  echo Zq8vN3pL0xR7sT2w\n  chmod 600 /etc/rancher/k3s/token\n) > /etc/rancher/k3s/token\n",
  ],
  [
    // A call's redirections apply while its body runs and are undone after (bash 5.2 execute_cmd.c execute_builtin_or_function):
    // the body's exec 3>&1 copies the call's output, the token file, onto descriptor 3, which no undo touches.
    "the k3s agents' join token echoed to descriptor 3, which a shell function's exec 3>&1 copied from its call's output redirected into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\nsave_output() {\n  exec 3>&1\n}\nsave_output > /etc/rancher/k3s/token\necho Zq8vN3pL0xR7sT2w >&3\nexec 3>&-\n",
  ],
  [
    // A body runs the functions it calls in the same shell (Bash Reference Manual 3.3): to_token's exec > outlasts setup_join's call too.
    "the k3s agents' join token echoed after a call of a shell function calling another whose body's exec > sends the startup script's output into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\nto_token() {\n  exec >/etc/rancher/k3s/token\n}\nsetup_join() {\n  umask 077\n  to_token\n}\nsetup_join\necho Zq8vN3pL0xR7sT2w\nexec >/dev/null\n",
  ],
];

/** Each of AGENT_SCRIPTS as the k3s agents' startup script. */
const shellMutations = (): Mutation[] =>
  AGENT_SCRIPTS.map(([name, script]) => ({ name, policy: "sensitive-values-secret", apply: (doc) => withAgentMetadata(doc, { "startup-script": `#!/bin/bash\n${script}` }) }));

export const bootScriptMutations: Mutation[] = [
  {
    // A regional template holds the same startup script as the instance template it replaces.
    name: "the k3s agents' instance template made regional, its startup script (join token) in plaintext",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const t = resources(doc).find((r) => r.type === "gcp:compute/instanceTemplate:InstanceTemplate");
      if (!t) return undefined;
      t.type = "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate";
      t.urn = t.urn.replace("gcp:compute/instanceTemplate:InstanceTemplate", t.type);
      (t as any).additionalSecretOutputs = [];
      return edit(t, (o) => (o.metadata = { ...o.metadata, "startup-script": "#!/bin/bash\nK3S_TOKEN=0123456789abcdef sh /opt/k3s-install.sh agent\n" }));
    },
  },
  {
    // cloud-init uncompresses gzip user-data, which GCE hands it base64-decoded (user-data-encoding):
    // a bare-password token written to the file token-file names is as plain in the template's
    // metadata, which is not declared secret, as it would be in clear.
    name: "the k3s agents' join token (a bare password, in the file token-file names) moved into base64+gzip cloud-init user-data",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const cloudConfig = "#cloud-config\nwrite_files:\n- path: /etc/rancher/k3s/token\n  content: Zq8vN3pL0xR7sT2w\n- path: /etc/rancher/k3s/config.yaml\n  content: |\n    token-file: /etc/rancher/k3s/token\n";
      const userData = gzipSync(Buffer.from(cloudConfig)).toString("base64");
      return withAgentMetadata(doc, { "user-data": userData, "user-data-encoding": "base64" });
    },
  },
  {
    // k3s reads its registry logins from /etc/rancher/k3s/registries.yaml, whose `auth` is
    // user:password base64-encoded (docs.k3s.io Private Registry Configuration): written by
    // cloud-init from the template's metadata, which is not declared secret, it is plaintext.
    name: "a registry login (base64 user:password under auth) written to the k3s agents' registries.yaml by cloud-init user-data",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const auth = Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64");
      const cloudConfig = `#cloud-config\nwrite_files:\n- path: /etc/rancher/k3s/registries.yaml\n  content: |\n    configs:\n      ghcr.io:\n        auth:\n          auth: ${auth}\n`;
      return withAgentMetadata(doc, { "user-data": cloudConfig });
    },
  },
  {
    // k3s reads registries.yaml's `auth` as base64 user:password (docs.k3s.io Private Registry
    // Configuration): a script encoding a password it holds itself carries that password in clear.
    name: "a registry login the k3s agents' startup script base64-encodes itself (AUTH=$(echo -n user:password | base64)) into registries.yaml",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const script = `#!/bin/bash\nAUTH=$(echo -n "ci-bot:ghp_0123456789abcdefABCDEF" | base64 -w0)\ncat > /etc/rancher/k3s/registries.yaml <<EOF\nconfigs:\n  ghcr.io:\n    auth:\n      auth: $AUTH\nEOF\n`;
      return withAgentMetadata(doc, { "startup-script": script });
    },
  },
  {
    // Docker reads ~/.docker/config.json's auths.<registry>.auth as base64 user:password (docker/cli
    // AuthConfig): written from a double-quoted string, its quotes escaped, it is as plain in the
    // template's metadata, which is not declared secret, as JSON in clear.
    name: "a registry login written to the k3s agents' Docker config.json as JSON escaped in a double-quoted string by their startup script",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const auth = Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64");
      const script = `#!/bin/bash\nmkdir -p /root/.docker\necho "{\\"auths\\":{\\"ghcr.io\\":{\\"auth\\":\\"${auth}\\"}}}" > /root/.docker/config.json\n`;
      return withAgentMetadata(doc, { "startup-script": script });
    },
  },
  {
    // printf prints its argument where the format's %s stands: the login given as that argument
    // lands under auth in config.json, and sits in the template's metadata in plaintext.
    name: "a registry login passed as printf's argument into the k3s agents' Docker config.json by their startup script",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const auth = Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64");
      const script = `#!/bin/bash\nmkdir -p /root/.docker\nprintf '{"auths":{"ghcr.io":{"auth":"%s"}}}\\n' ${auth} > /root/.docker/config.json\n`;
      return withAgentMetadata(doc, { "startup-script": script });
    },
  },
  ...shellMutations(),
];
