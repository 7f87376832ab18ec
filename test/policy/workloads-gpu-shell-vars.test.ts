/**
 * Policy tests for a k3s VM's node-label and node-taint given through shell variables of its boot
 * script (`--node-taint "$T"`, `INSTALL_K3S_EXEC="agent --node-label $L"`, `$T` in a config written by
 * an unquoted heredoc): gpu-scheduling's placement reads the value the script sets, and can't judge
 * one it cannot know (a command substitution, a branch, a variable never set).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gpuScheduling } from "../../policy/rules/gpu-scheduling";
import { k8sProvider, runResource, runStack, stackResource } from "../support/policy";
import { provider, messages } from "./mesh-support";
import { deployment, gpuToleration } from "./workloads-support";
import { plainValue } from "../../policy/lib/shell-assignments";
import { k3sDataDir } from "../../policy/lib/k3s-nodes";

const A100 = "nvidia.com/gpu.product=NVIDIA-A100-SXM4-80GB";
const vm = (script: string) =>
  stackResource({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "a-gpu-a100-template", props: { machineType: "a2-ultragpu-4g", guestAccelerators: [{ type: "nvidia-a100-80gb", count: 4 }], metadataStartupScript: `#!/bin/bash\n${script}` }, provider: null });
const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "nvidia.com/gpu.product", operator: "In", values: ["NVIDIA-A100-SXM4-80GB"] }] }] } } };
const vllm = stackResource({ ...deployment("vllm", { tolerations: [gpuToleration], affinity, containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.21.0", resources: { limits: { "nvidia.com/gpu": 1 } } }] }), name: "a-vllm", provider: k8sProvider("a") });
const judge = (script: string) => runStack(gpuScheduling, [provider("a"), vm(script), vllm]);
/** A GPU VM (no workload) booting from `boot`, judged on its own node taint. */
const gpuVm = (boot: Record<string, unknown>) => runResource(gpuScheduling, [{ type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "gpu", props: { machineType: "a2-ultragpu-4g", scheduling: { onHostMaintenance: "TERMINATE" }, ...boot }, provider: null }]);
const node = (script: string) => gpuVm({ metadataStartupScript: `#!/bin/bash\n${script}` });
const k3sAgent = (args: string) => `curl -sfL https://get.k3s.io | sh -s - agent ${args}\n`;
/** The k3s install registering the GPU taint whose key is in `$K`. */
const k3s = k3sAgent('--node-taint "$K=present:NoSchedule"');
const install = (args: string) => `curl -sfL https://get.k3s.io | sh -s - agent --node-taint nvidia.com/gpu=present:NoSchedule ${args}\n`;

test("gpu-scheduling: a k3s node-label or node-taint held in a shell variable the script sets plainly is read as its value", async () => {
  // Before: each was read as the literal `$L`, a label the pod's affinity excludes.
  for (const script of [
    `L=${A100}\n${install('--node-label "$L"')}`,
    `export L='${A100}'\ncurl -sfL https://get.k3s.io | INSTALL_K3S_EXEC="agent --node-taint nvidia.com/gpu=present:NoSchedule --node-label \${L}" sh -\n`,
    `L=${A100}\ncat > /etc/rancher/k3s/config.yaml <<EOF\nnode-label:\n  - "$L"\nnode-taint: ["nvidia.com/gpu=present:NoSchedule"]\nEOF\n${install("")}`,
  ]) {
    const r = await judge(script);
    assert.deepEqual([messages(r), r.unknown.length], [[], 0], script);
  }
  // Before: a taint the pod does not tolerate, held in a variable, passed.
  const wrong = await judge(`L=${A100}; D=dedicated=training:NoSchedule\n${install('--node-label "$L" --node-taint "$D"')}`);
  assert.match(messages(wrong)[0] ?? "", /its pods do not tolerate its taint dedicated=training:NoSchedule/);
});

test("gpu-scheduling: a k3s node-label whose variable the script does not set plainly is can't judge; one written as is stays literal", async () => {
  // Before: each was the literal `$L`, reported as a label the pod's affinity excludes.
  for (const script of [
    `L=$(curl -s -H 'Metadata-Flavor: Google' http://metadata/computeMetadata/v1/instance/attributes/label)\n${install('--node-label "$L"')}`,
    `if [ -e /dev/nvidia0 ]; then\n  L=${A100}\nfi\n${install('--node-label "$L"')}`,
    install('--node-label "$L"'),
  ]) {
    const r = await judge(script);
    assert.deepEqual([messages(r), r.unknown.length], [[], 1], script);
  }
  // A quoted heredoc writes `$L` as is, and single quotes keep it from the shell: k3s registers the label `$L`.
  for (const script of [`L=${A100}\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\nnode-label: ["$L"]\nEOF\n${install("")}`, `L=${A100}\n${install("--node-label '$L'")}`]) {
    assert.match(messages(await judge(script))[0] ?? "", /excludes its labels/, script);
  }
});

test("gpu-scheduling: a k3s GPU VM's GPU taint held in a shell variable is judged as its value; one not known is can't judge", async () => {
  // Before: the key in a variable was not seen (the taint reported missing), a wrong effect so given was not named.
  const right = await node(`K=nvidia.com/gpu\n${k3s}`);
  assert.deepEqual([right.violations.length, right.unknown.length], [0, 0]);
  const wrong = await node(`K=nvidia.com/gpu\n${k3sAgent('--node-taint "${K}=present:NoExecute"')}`);
  assert.match(wrong.violations[0]?.message ?? "", /\(it sets nvidia\.com\/gpu=present:NoExecute\)/);
  // Before: reported as not registering the taint, which the metadata server's value may well be.
  for (const script of [`T=$(curl -s http://metadata/taint)\n${k3sAgent('--node-taint "$T"')}`, `${k3sAgent("--node-taint nvidia.com/gpu=present:NoSchedule --node-taint $EXTRA")}`]) {
    const r = await node(script);
    assert.deepEqual([r.violations.length, r.unknown.length], [0, 1], script);
  }
});

test("gpu-scheduling: a k3s GPU taint's variable that a read may set from a file is can't judge, not the value set before it", async () => {
  // Before: K was taken as nvidia.com/gpu, though bash sets it to what the file (or the loop's last read, nothing) holds.
  for (const script of [`K=nvidia.com/gpu\nread -r K < /etc/gpu-key\n${k3s}`, `K=nvidia.com/gpu\nwhile read -r K; do :; done < /etc/gpu-keys\n${k3s}`, `K=nvidia.com/gpu\nwhile read -r K; do :; done <<< "other.io/gpu"\n${k3s}`]) {
    const r = await node(script);
    assert.deepEqual([r.violations.length, r.unknown.length], [0, 1], script);
  }
});

// bash 5.2.15: `K=a; select K in x y; do break; done` sets K to the word chosen on its input (`<<< 2` gives y), to
// nothing for a number out of range (`<<< 7`), and leaves it `a` at the end of input: not a value the script holds.
test("gpu-scheduling: a k3s GPU taint's variable a `select` loop may set is can't judge", async () => {
  // Before: K was taken as nvidia.com/gpu.
  const r = await node(`K=nvidia.com/gpu\nselect K in nvidia.com/gpu other.io/gpu; do break; done\n${k3s}`);
  assert.deepEqual([r.violations.length, r.unknown.length], [0, 1]);
});

// bash 5.2.15: `echo "[$K]"; K=v` prints [] (a variable is expanded as it is where it is read); a function's
// body reads it as it is at each call (`f(){ echo "[$K]"; }; K=v; f` prints [v], `f; K=v` prints []).
test("gpu-scheduling: a k3s GPU taint's variable set only after it is read is not taken at the later value", async () => {
  // Before: K was taken as nvidia.com/gpu wherever it is set.
  for (const script of [`${k3s}K=nvidia.com/gpu\n`, `f() {\n  ${k3s}}\nf\nK=nvidia.com/gpu\n`]) {
    const r = await node(script);
    assert.deepEqual([r.violations.length, r.unknown.length], [0, 1], script);
  }
  const called = await node(`f() {\n  ${k3s}}\nK=nvidia.com/gpu\nf\n`);
  assert.deepEqual([called.violations.length, called.unknown.length], [0, 0]);
});

// A taint held in a variable the script never expands is given to no command: k3s registers none.
test("gpu-scheduling: a GPU taint only assigned to a shell variable the script never uses is not registered", async () => {
  // Before: the assignment's text was counted as the taint written out.
  for (const script of [`T=nvidia.com/gpu=present:NoSchedule\n${k3sAgent("")}`, `TAINT="nvidia.com/gpu=present:NoSchedule"\n${k3sAgent("--node-label a=b")}`]) {
    assert.match((await node(script)).violations[0]?.message ?? "", /does not register the node with the taint nvidia\.com\/gpu=present:NoSchedule/, script);
  }
  // Used: by a flag, or in INSTALL_K3S_EXEC, the taint is registered; exported, a program the script runs may read it (not judged as missing).
  for (const script of [`T=nvidia.com/gpu=present:NoSchedule\n${k3sAgent('--node-taint "$T"')}`, `T=nvidia.com/gpu=present:NoSchedule\ncurl -sfL https://get.k3s.io | INSTALL_K3S_EXEC="agent --node-taint \${T}" sh -\n`, `export T=nvidia.com/gpu=present:NoSchedule\n${k3sAgent("")}`]) {
    const r = await node(script);
    assert.deepEqual([r.violations.length, r.unknown.length], [0, 0], script);
  }
});

// cloud-init writes a write_files entry's content as given (canonical/cloud-init cc_write_files: decoded, never
// expanded), while its runcmd strings run through sh: `$K` in a k3s config written so is the characters `$K`.
test("gpu-scheduling: a shell variable in a cloud-config write_files content is written as is", async () => {
  const userData = (content: string) => `#cloud-config\nwrite_files:\n  - path: /etc/rancher/k3s/config.yaml\n    content: |\n      node-taint:\n        - "${content}"\nruncmd:\n  - K=nvidia.com/gpu\n  - curl -sfL https://get.k3s.io | sh -s - agent\n`;
  const vmOf = (text: string) => gpuVm({ metadata: { "user-data": text } });
  // Before: can't judge (K set after), and before 95456e1 taken as nvidia.com/gpu.
  assert.match((await vmOf(userData("$K=present:NoSchedule"))).violations[0]?.message ?? "", /does not register the node with the taint nvidia\.com\/gpu=present:NoSchedule/);
  const right = await vmOf(userData("nvidia.com/gpu=present:NoSchedule"));
  assert.deepEqual([right.violations.length, right.unknown.length], [0, 0]);
});

// bash 5.2.15: `f() { K=nvidia.com/gpu; }; echo "[$K]"` prints [] (a function's body runs only when it is called).
test("gpu-scheduling: a GPU taint's variable set only in a function's body is not taken as its value read anywhere", async () => {
  // Before: plainValue without a place took the body's one assignment; at the install it stays can't judge.
  assert.equal(plainValue(`f() {\n  K=nvidia.com/gpu\n}\n${k3s}`, "K"), undefined);
  assert.equal(plainValue(`K=nvidia.com/gpu\n${k3s}`, "K"), "nvidia.com/gpu");
  const r = await node(`f() {\n  K=nvidia.com/gpu\n}\n${k3s}`);
  assert.deepEqual([r.violations.length, r.unknown.length], [0, 1]);
});

// cloud-init writes runcmd strings into a script headed #!/bin/sh (util.py shellify), dash on Debian and Ubuntu.
// dash 0.5.12: `K=$'v'` sets K to `$v`; a script with `read -r X <<< x` stops at that line (syntax error, exit 2),
// running nothing after it: bash's reading of K does not hold.
test("gpu-scheduling: a GPU taint's variable a cloud-config runcmd sets with a bash-only construct is can't judge", async () => {
  const userData = (set: string) => `#cloud-config\nruncmd:\n  - ${set}\n  - curl -sfL https://get.k3s.io | sh -s - agent --node-taint "$K=present:NoSchedule"\n`;
  const vmOf = (set: string) => gpuVm({ metadata: { "user-data": userData(set) } });
  // Before: K taken as nvidia.com/gpu, as bash would set it.
  for (const set of [`K=$'nvidia.com/gpu'`, `read -r X <<< x\n  - K=nvidia.com/gpu`]) {
    const r = await vmOf(set);
    assert.deepEqual([r.violations.length, r.unknown.length], [0, 1], set);
  }
  const plain = await vmOf("K=nvidia.com/gpu");
  assert.deepEqual([plain.violations.length, plain.unknown.length], [0, 0]);
});

// dash 0.5.12 reads its script a command line at a time: a syntax error (`read -r X <<< x`, `A=(…)`,
// `function f {`) stops it there, exit 2, the lines before having run and none after. cloud-init writes
// every runcmd entry into that one script (util.py shellify), so a k3s install after such an entry never
// runs, with whatever taint it names; one before it does.
test("gpu-scheduling: a k3s option given in a runcmd entry after one dash stops the script at is can't judge", async () => {
  const taint = "curl -sfL https://get.k3s.io | sh -s - agent --node-taint nvidia.com/gpu=present:NoSchedule";
  const userData = (entries: string[]) => gpuVm({ metadata: { "user-data": `#cloud-config\nruncmd:\n${entries.map((e) => `  - ${e}\n`).join("")}` } });
  // Before: the literal taint was read as given (clean).
  for (const stop of ["read -r X <<< x", "A=(a b)", "function wait_net { sleep 5; }"]) {
    const r = await userData([stop, taint]);
    assert.deepEqual([r.violations.length, r.unknown.length], [0, 1], stop);
    assert.match(r.unknown.join("\n"), /after a runcmd entry dash stops its script at/, stop);
  }
  const before = await userData([taint, "read -r X <<< x"]);
  assert.deepEqual([before.violations.length, before.unknown.length], [0, 0]);
});

// dash 0.5.12 runs the command lines before a syntax error (`X=$(cat); read -r Y <<< x` run as a
// #!/bin/sh script: the lines before it run, exit 2 at it), so a variable a runcmd entry before the
// stop sets plainly holds that value where an entry before the stop reads it; a bash-only construct
// after the stop is never read at all.
test("gpu-scheduling: a GPU taint's variable set in runcmd before the entry dash stops at is its value", async () => {
  const install = 'curl -sfL https://get.k3s.io | sh -s - agent --node-taint "$K=present:NoSchedule"';
  const userData = (entries: string[]) => gpuVm({ metadata: { "user-data": `#cloud-config\nruncmd:\n${entries.map((e) => `  - ${e}\n`).join("")}` } });
  // Before: can't judge, the `<<<` anywhere in runcmd withholding every variable's value.
  for (const stop of ["read -r X <<< x", "A=(a b)", `"[[ -f /x ]] && read -r X <<< x"`]) {
    const r = await userData(["K=nvidia.com/gpu", install, stop]);
    assert.deepEqual([r.violations.length, r.unknown.length], [0, 0], stop);
  }
  const wrong = await userData(["K=other.io/gpu", install, "read -r X <<< x"]);
  assert.deepEqual([wrong.violations.length, wrong.unknown.length], [1, 0]);
  assert.match(wrong.violations[0].message, /its user-data does not register the node with the taint nvidia\.com\/gpu=present:NoSchedule/);
  // A bash-only construct before the stop still withholds it: dash 0.5.12 reads `$'v'` as `$v`, and `[[` is a command not found, so `||` runs.
  for (const set of [["K=$'nvidia.com/gpu'"], ["K=nvidia.com/gpu", `"[[ -f /x ]] || K=other.io/gpu"`]]) {
    const r = await userData([...set, install, "read -r X <<< x"]);
    assert.deepEqual([r.violations.length, r.unknown.length], [0, 1], set.join("; "));
  }
});

// dash 0.5.12 runs none of a script after a syntax error: a taint or data-dir a runcmd entry after it
// would write is never given to k3s, whatever its text says.
test("gpu-scheduling, k3sDataDir: a literal taint or data-dir in a runcmd entry after one dash stops at is not given", async () => {
  const join = "curl -sfL https://get.k3s.io | sh -s - agent";
  const userData = (entries: string[]) => `#cloud-config\nruncmd:\n${entries.map((e) => `  - ${e}\n`).join("")}`;
  const taint = (t: string) => `"echo 'node-taint: [${t}]' >> /etc/rancher/k3s/config.yaml"`;
  // On an Ubuntu image, whose /bin/sh is dash.
  const ubuntu = (entries: string[], image = "ubuntu-os-cloud/ubuntu-2204-lts") => gpuVm({ disks: [{ boot: true, sourceImage: image }], metadata: { "user-data": userData(entries) } });
  // Before: each taint was read as registered (a false NoExecute, a pass with the right one never written).
  const stray = await ubuntu([`${join} --node-taint nvidia.com/gpu=present:NoSchedule`, "read -r X <<< x", taint("nvidia.com/gpu=present:NoExecute")]);
  assert.deepEqual([stray.violations.length, stray.unknown.length], [0, 0]);
  const never = await ubuntu([join, "read -r X <<< x", taint("nvidia.com/gpu=present:NoSchedule")]);
  assert.deepEqual([never.violations.length, never.unknown.length], [1, 0]);
  assert.match(never.violations[0].message, /does not register the node with the taint nvidia\.com\/gpu=present:NoSchedule/);
  // The same entries before the stop are given.
  const ran = await ubuntu([join, taint("nvidia.com/gpu=present:NoSchedule"), "read -r X <<< x"]);
  assert.deepEqual([ran.violations.length, ran.unknown.length], [0, 0]);
  // A server started after the stop never runs: k3s keeps the data-dir of the one before it.
  const server = (args: string) => `curl -sfL https://get.k3s.io | sh -s - server ${args}`;
  assert.equal(k3sDataDir(userData([server(""), "read -r X <<< x", server("--data-dir /srv/k3s")]), "dash"), "/var/lib/rancher/k3s");
  assert.equal(k3sDataDir(userData([server("--data-dir /srv/k3s"), "read -r X <<< x"]), "dash"), "/srv/k3s");
  // Where /bin/sh is bash (Rocky Linux), the script runs on past the here-string: the entries after it are given.
  const rocky = await ubuntu([join, "read -r X <<< x", taint("nvidia.com/gpu=present:NoSchedule")], "rocky-linux-cloud/rocky-linux-9");
  assert.deepEqual([rocky.violations.length, rocky.unknown.length], [0, 0]);
  assert.equal(k3sDataDir(userData([server(""), "read -r X <<< x", server("--data-dir /srv/k3s")]), "bash"), "/srv/k3s");
  // Where the image does not say (none given, a project's own image), neither reading holds: can't judge.
  for (const boot of [{}, { disks: [{ boot: true, sourceImage: "global/images/k3s-gpu-base" }] }]) {
    const open = await gpuVm({ ...boot, metadata: { "user-data": userData([join, "read -r X <<< x", taint("nvidia.com/gpu=present:NoSchedule")]) } });
    assert.deepEqual([open.violations.length, open.unknown.length], [0, 1], JSON.stringify(boot));
    assert.match(open.unknown[0], /\/bin\/sh .*not known/);
  }
  assert.equal(k3sDataDir(userData([server(""), "read -r X <<< x", server("--data-dir /srv/k3s")])), undefined);
});

// Before, a data-dir with a part not known was used as it reads: `$BASE/k3s` with BASE unknown
// became /k3s, and `${X:-/var/lib}/rancher` was taken as a path. Only a fully known value counts.
test("k3sDataDir: a data-dir with a variable the script does not plainly set, or another expansion, is not known", () => {
  const k3sServer = (args: string) => `curl -sfL https://get.k3s.io | sh -s - server ${args}\n`;
  const server = (args: string, before = "") => `#!/bin/bash\n${before}${k3sServer(args)}`;
  for (const partial of ["--data-dir $BASE/k3s", '--data-dir "${X:-/var/lib}/rancher"', "--data-dir $(cat /etc/k3s-dir)", '--data-dir "$HOME/k3s"']) {
    assert.equal(k3sDataDir(server(partial)), undefined, partial);
  }
  assert.equal(k3sDataDir(server("", "cat > /etc/rancher/k3s/config.yaml <<EOF\ndata-dir: ${BASE}/k3s\nEOF\n")), undefined, "config.yaml");
  // A variable the script sets plainly, a literal, or none given: known.
  assert.equal(k3sDataDir(server("--data-dir $BASE/k3s", "BASE=/srv\n")), "/srv/k3s");
  assert.equal(k3sDataDir(server("--data-dir '/srv/$k3s'")), "/srv/$k3s");
  assert.equal(k3sDataDir(server("")), "/var/lib/rancher/k3s");
});

// A startup script or user-data part is a file its runner executes (guest-agent
// google_metadata_script_runner runScript: `<default_shell> -c <file>`, the file written 0755, so
// its `#!` line picks the shell; cloud-init runs a `#!` part likewise): `#!/bin/sh` is dash on
// Debian and Ubuntu, bash elsewhere. Before, such a script was read as bash whatever its `#!`.
test("gpu-scheduling, k3sDataDir: a #!/bin/sh script relying on what only bash gives is can't judge", async () => {
  const sh = (body: string) => gpuVm({ metadataStartupScript: `#!/bin/sh\n${body}` });
  const bashOnly = await sh(`K=$'nvidia.com/gpu'\n${k3s}`);
  assert.deepEqual([bashOnly.violations.length, bashOnly.unknown.length], [0, 1]);
  assert.match(bashOnly.unknown[0], /a script headed #!\/bin\/sh: \/bin\/sh is dash on Debian and Ubuntu\) that relies on what only bash gives/);
  // Set plainly, it is its value under either shell; under #!/bin/bash `$'…'` is bash's.
  const plain = await sh(`K=nvidia.com/gpu\n${k3s}`);
  assert.deepEqual([plain.violations.length, plain.unknown.length], [0, 0]);
  const bash = await node(`K=$'nvidia.com/gpu'\n${k3s}`);
  assert.deepEqual([bash.violations.length, bash.unknown.length], [0, 0]);
  // After what stops dash, a data-dir is given under bash only: not known; before it, or under #!/bin/bash, it is.
  const server = (args: string) => `curl -sfL https://get.k3s.io | sh -s - server ${args}\n`;
  assert.equal(k3sDataDir(`#!/bin/sh\nread -r X <<< x\n${server("--data-dir /srv/k3s")}`), undefined);
  assert.equal(k3sDataDir(` \n#!/bin/sh -e\nread -r X <<< x\n${server("--data-dir /srv/k3s")}`), undefined, "leading blank trimmed, as guest-agent does");
  assert.equal(k3sDataDir(`#!/bin/sh\n${server("--data-dir /srv/k3s")}read -r X <<< x\n`), "/srv/k3s");
  assert.equal(k3sDataDir(`#!/bin/bash\nread -r X <<< x\n${server("--data-dir /srv/k3s")}`), "/srv/k3s");
  // The image says which: dash never runs the entry after the stop, bash (POSIX mode too) runs it and reads `$'…'`.
  assert.equal(k3sDataDir(`#!/bin/sh\nread -r X <<< x\n${server("--data-dir /srv/k3s")}`, "dash"), "/var/lib/rancher/k3s");
  assert.equal(k3sDataDir(`#!/bin/sh\nread -r X <<< x\n${server("--data-dir /srv/k3s")}`, "bash"), "/srv/k3s");
  const onImage = (image: string) => gpuVm({ disks: [{ boot: true, sourceImage: image }], metadataStartupScript: `#!/bin/sh\nK=$'nvidia.com/gpu'\n${k3s}` });
  const rocky = await onImage("projects/rocky-linux-cloud/global/images/family/rocky-linux-9");
  assert.deepEqual([rocky.violations.length, rocky.unknown.length], [0, 0]);
  const debian = await onImage("debian-cloud/debian-12");
  assert.deepEqual([debian.violations.length, debian.unknown.length], [0, 1]);
});
