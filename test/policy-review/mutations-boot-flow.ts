/**
 * Policy-review mutations of the k3s agents' startup scripts through bash 5.2's control flow
 * (policy/lib/shell-flow.ts): a join token reaching the file token-file names on one path bash may
 * take, past an `exec` that moves the output away only on another (an `if`, a `case` clause, an
 * `&&` arm), on a loop's next pass, through the last element of a pipeline that `shopt -s
 * lastpipe` (set by a function called before too) runs in the shell itself (in a function's body
 * too), through a `read` ending such a pipeline (which assigns its variables in the shell, splitting
 * its line on IFS, a prefix `IFS=` or one set on a line of its own before it), from a
 * `for` loop's variable given it as a word of its list (or, without `in`, as a function's
 * argument), through a `read` in the test of a `while` loop ending a pipeline, past a function
 * body's `set -m` that `local -` scopes to its call, or
 * through the redirection written after a compound command's `fi` or `done`. Each is in
 * the instance template's metadata, not declared secret. And (gpu-scheduling) the GPU taint of a
 * cloud-config's runcmd read as the image's /bin/sh runs it: under dash the lines before an entry dash
 * stops at run, none after; under bash (Rocky Linux) all of them.
 */
import type { ExportedDeployment } from "../../scripts/lib/review-wire";
import { Mutation, resources, edit } from "./mutations-support";
import { withAgentMetadata } from "./mutations-boot-scripts";
import { TOKEN_FILE, T } from "../support/join-token";

/** A startup script for the k3s agents, each sending the join token into the token file on some path bash may take. */
const FLOW_SCRIPTS: [string, string][] = [
  [
    // An `if` without `else` may run no branch (Bash Reference Manual 3.2.5.2): without QUIET the output stays on the token file.
    "the k3s agents' join token echoed after exec > sent their startup script's output into the file token-file names, an exec >/dev/null only in an if that may not run",
    `exec >/etc/rancher/k3s/token\nif [ -n "$QUIET" ]; then\n  exec >/dev/null\nfi\necho ${T}\nexec >/var/log/boot.log\n`,
  ],
  [
    // A `case` runs the clause whose pattern matches (3.2.5.2): on an agent the exec > there sends the echo to the token file.
    "the k3s agents' join token echoed after a case clause's exec > sent their startup script's output into the file token-file names on agents",
    `case "$(hostname)" in\n  *agent*) exec >/etc/rancher/k3s/token;;\n  *) exec >/var/log/boot.log;;\nesac\necho ${T}\nexec >/var/log/boot.log\n`,
  ],
  [
    // The command after `&&` runs only as the one before it succeeds (3.2.4 Lists): without QUIET the exec >/dev/null does not run.
    "the k3s agents' join token echoed after exec > sent their startup script's output into the file token-file names, an exec >/dev/null only after a && that may fail",
    `exec >/etc/rancher/k3s/token\n[ -n "$QUIET" ] && exec >/dev/null\necho ${T}\nexec >/var/log/boot.log\n`,
  ],
  [
    // A loop's body runs again (3.2.5.1): on the second pass the echo follows the first pass's exec >.
    "the k3s agents' join token echoed by an until loop's body before the exec > that sends the next pass's output into the file token-file names",
    `until [ -s /etc/rancher/k3s/token ]; do\n  echo ${T}\n  exec >/etc/rancher/k3s/token\ndone\nexec >/var/log/boot.log\n`,
  ],
  [
    // With lastpipe on and job control off, as in a script, a pipeline's last element runs in the shell (3.2.3, 4.3.2 shopt):
    // the group's exec 3> opens the token file on descriptor 3 for what follows.
    "the k3s agents' join token echoed to descriptor 3, which a { …; } group ending a pipeline opened on the file token-file names under shopt -s lastpipe",
    `shopt -s lastpipe\necho join | { exec 3>/etc/rancher/k3s/token; }\necho ${T} >&3\nexec 3>&-\n`,
  ],
  [
    // A function's body runs where it is called (3.3): its shopt -s lastpipe holds from the call on.
    "the k3s agents' join token echoed after exec > ending a pipeline sent their startup script's output into the file token-file names, lastpipe set by a shell function called before",
    `strict() {\n  set -eu\n  shopt -s lastpipe\n}\nstrict\necho join | exec >/etc/rancher/k3s/token\necho ${T}\nexec >/var/log/boot.log\n`,
  ],
  [
    // A function's body runs under the options of its call (3.3): its pipeline's last exec > is the shell's under lastpipe.
    "the k3s agents' join token echoed after a call of a shell function whose pipeline ends in exec > into the file token-file names, under shopt -s lastpipe",
    `shopt -s lastpipe\nto_token() {\n  echo join | exec >/etc/rancher/k3s/token\n}\nto_token\necho ${T}\nexec >/var/log/boot.log\n`,
  ],
  [
    // Redirections written after a compound command's end apply to all it runs (3.2.5 Compound Commands, 3.6 Redirections).
    "the k3s agents' join token echoed in an if whose redirection after fi sends its output into the file token-file names",
    `if [ ! -s /etc/rancher/k3s/token ]; then\n  umask 077\n  echo ${T}\nfi > /etc/rancher/k3s/token\n`,
  ],
  [
    // Under lastpipe, job control off, a pipeline's last read runs in the shell (3.2.3, 4.3.2): V keeps what echo printed.
    "the k3s agents' join token assigned by a read ending a pipeline under shopt -s lastpipe and echoed from it into the file token-file names",
    `shopt -s lastpipe\necho ${T} | IFS= read -r V\necho "$V" > /etc/rancher/k3s/token\n`,
  ],
  [
    // read splits its line on IFS, its prefix `IFS=:` holding for it (4.2 read, 3.5.7): the second name takes the token.
    "the k3s agents' join token split by IFS=: from a line piped under shopt -s lastpipe into read's second name and echoed from it into the file token-file names",
    `shopt -s lastpipe\necho "k3s:${T}" | IFS=: read -r user token\necho "$token" > /etc/rancher/k3s/token\n`,
  ],
  [
    // read splits on the shell's IFS where no prefix sets it (4.2 read, 3.5.7): `IFS=:` on a line of its own holds for every read after it.
    "the k3s agents' join token split by an IFS=: set on a line of its own into read's second name from a here-string and echoed from it into the file token-file names",
    `IFS=:\nread -r user token <<< "k3s:${T}"\necho "$token" > /etc/rancher/k3s/token\n`,
  ],
  [
    // `local -` restores the set options at the function's return (4.2 local): its set -m does not outlast the call, so lastpipe keeps the exec in the shell.
    "the k3s agents' join token echoed after exec > ending a pipeline sent their startup script's output into the file token-file names under shopt -s lastpipe, past a call whose body's set -m a local - scopes to it",
    `shopt -s lastpipe\nquiet() {\n  local -\n  set -m\n}\nquiet\necho join | exec >/etc/rancher/k3s/token\necho ${T}\nexec >/var/log/boot.log\n`,
  ],
  [
    // `for NAME in WORDS` assigns NAME each word in turn (3.2.5.1): the echo writes the token on the pass it holds it.
    "the k3s agents' join token given as a word of a for loop's list and echoed from its variable into the file token-file names",
    `for t in /run/k3s/token.pending ${T}; do\n  [ -s "$t" ] && continue\n  echo "$t" > /etc/rancher/k3s/token\n  break\ndone\n`,
  ],
  [
    // `for NAME; do`, without `in`, loops over the positional parameters (3.2.5.1): in a function, its call's arguments.
    "the k3s agents' join token passed to a shell function whose for loop without in echoes each argument into the file token-file names",
    `save() {\n  for t; do\n    echo "$t" > /etc/rancher/k3s/token\n  done\n}\nsave ${T}\n`,
  ],
  [
    // A while loop ending a pipeline reads each line the stage before it prints, in a subshell or not (3.2.3, 4.2 read):
    // its body writes what the second name takes, as bash 5.2.15 and dash 0.5.12 both do.
    "the k3s agents' join token piped by echo into a while loop ending the pipeline, taken by its read's second name and echoed from it into the file token-file names",
    "echo \"/run/k3s.token Zq8vN3pL0xR7sT2w\" | while read -r path token; do\n  echo \"$token\" > /etc/rancher/k3s/token\ndone\n",
  ],
  [
    "the k3s agents' join token printed in a for loop whose redirection after done sends its output into the file token-file names",
    `for attempt in 1 2 3; do\n  [ -s /etc/rancher/k3s/config.yaml ] && break\n  printf '%s\\n' ${T}\ndone > /etc/rancher/k3s/token\n`,
  ],
];

/** Each of FLOW_SCRIPTS as the k3s agents' startup script. */
export const bootFlowMutations: Mutation[] = FLOW_SCRIPTS.map(([name, script]) => ({
  name,
  policy: "sensitive-values-secret",
  apply: (doc) => withAgentMetadata(doc, { "startup-script": `#!/bin/bash\n${TOKEN_FILE}${script}` }),
}));

/**
 * cloud-init runs runcmd with /bin/sh (util.py shellify), bash on Rocky Linux: `&>` there sends
 * echo's output into the file, as dash (Debian, Ubuntu: `&` then `>`) does not.
 */
bootFlowMutations.push({
  name: "the k3s agents booted from Rocky Linux (/bin/sh is bash), their cloud-config runcmd echoing the join token with &> into the file token-file names",
  policy: "sensitive-values-secret",
  apply: (doc) => {
    const runcmd = `#cloud-config\nwrite_files:\n- path: /etc/rancher/k3s/config.yaml\n  content: |\n    token-file: /etc/rancher/k3s/token\nruncmd:\n- echo ${T} &> /etc/rancher/k3s/token\n`;
    const urn = withAgentMetadata(doc, { "user-data": runcmd });
    const t = resources(doc).find((r) => r.urn === urn);
    return t && edit(t, (o) => (o.disks = (o.disks ?? []).map((d: any) => (d.boot ? { ...d, sourceImage: "rocky-linux-cloud/rocky-linux-9" } : d))));
  },
});

/** The k3s agent's install, registering the GPU label the vLLM servers on the GCP cluster select. */
const JOIN = "curl -sfL https://get.k3s.io | sh -s - agent --node-label nvidia.com/gpu.product=NVIDIA-A100-SXM4-80GB";

/**
 * The k3s GPU agents' instance template booted by cloud-init user-data alone, its runcmd entries
 * `entries`: the startup script (metadataStartupScript) swapped for one installing nothing.
 */
function gpuAgentsByRuncmd(doc: ExportedDeployment, entries: string[]) {
  const t = resources(doc).find((r) => r.type === "gcp:compute/instanceTemplate:InstanceTemplate" && ((r.inputs as any)?.guestAccelerators ?? []).length > 0);
  const userData = `#cloud-config\nruncmd:\n${entries.map((e) => `  - ${e}\n`).join("")}`;
  return t && edit(t, (o) => ((o.metadataStartupScript = "#!/bin/bash\napt-get update\n"), (o.metadata = { ...o.metadata, "user-data": userData })));
}

/**
 * cloud-init writes runcmd into one #!/bin/sh script (canonical/cloud-init 26.2 util.py shellify),
 * which dash 0.5.12 runs a command line at a time up to the syntax error of a here-string.
 */
export const dashStopMutations: Mutation[] = [
  {
    // The lines before the stop run: K is nvidia.com/gpu where the install reads it, so the taint is NoExecute.
    name: "the k3s agents' GPU taint given NoExecute through a variable their cloud-config runcmd sets before an entry dash stops at (a here-string)",
    policy: "gpu-scheduling",
    apply: (doc) => gpuAgentsByRuncmd(doc, ["K=nvidia.com/gpu", `${JOIN} --node-taint "$K=present:NoExecute"`, 'read -r ZONE <<< "$(hostname)"']),
  },
  {
    // Nothing after the stop runs: the config line naming the GPU taint is never written.
    name: "the k3s agents' GPU taint written to their k3s config only after a runcmd entry dash stops at (a here-string)",
    policy: "gpu-scheduling",
    apply: (doc) =>
      gpuAgentsByRuncmd(doc, [JOIN, 'read -r ZONE <<< "$(hostname)"', `"echo 'node-taint: [nvidia.com/gpu=present:NoSchedule]' >> /etc/rancher/k3s/config.yaml"`]),
  },
  {
    // On Rocky Linux /bin/sh is bash, which reads the here-string and runs on: the NoExecute taint after it is given too.
    name: "the k3s agents booted from Rocky Linux (/bin/sh is bash), their cloud-config runcmd giving a NoExecute GPU taint after a here-string dash would stop at",
    policy: "gpu-scheduling",
    apply: (doc) => {
      const urn = gpuAgentsByRuncmd(doc, [`${JOIN} --node-taint nvidia.com/gpu=present:NoSchedule`, 'read -r ZONE <<< "$(hostname)"', `"echo 'node-taint: [nvidia.com/gpu=present:NoExecute]' >> /etc/rancher/k3s/config.yaml"`]);
      const t = resources(doc).find((r) => r.urn === urn);
      return t && edit(t, (o) => (o.disks = (o.disks ?? []).map((d: any) => (d.boot ? { ...d, sourceImage: "rocky-linux-cloud/rocky-linux-9" } : d))));
    },
  },
];
