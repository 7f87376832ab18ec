/**
 * A passing failure at boot (get.k3s.io, GitHub, NVIDIA's or Ubuntu's repository out of reach for
 * a moment; an apt lock DPkg::Lock::Timeout does not cover) must not leave a VM without k3s: GCE
 * runs the script once a boot and nothing reboots the VM. The prod render's own scripts: the k3s
 * install step run against fakes that fail at first, and every apt call and download retried.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { renderShipped } from "../support/render";
import { reveal } from "../support/secrets";
import { tempDir } from "../support/tmp";
import { retried, retryAttempts, retryFunction } from "../../components/cloud/gcp/shell";

function prodScripts(): { server: string; cpu: string; gpu: string } {
  const r = renderShipped("prod");
  const template = (name: string) => String(reveal((r.ofType("gcp:compute/instanceTemplate:InstanceTemplate").find((t) => t.urn.endsWith(`::${name}-template`))!.inputs as any).metadataStartupScript));
  const server = String(reveal((r.ofType("gcp:compute/instance:Instance")[0].inputs as any).metadata["startup-script"]));
  return { server, cpu: template("gcp-usc1-cpu"), gpu: template("gcp-usc1-gpu-a100") };
}

/**
 * Runs the script's `retry` and its k3s install step with a fake curl that fails `failures` times
 * (as curl -f does when get.k3s.io cannot be reached) and then serves an installer logging its
 * arguments; `sleep` is a fake that only counts.
 */
function installStep(script: string, failures: number): { status: number | null; log: string; curls: number; sleeps: number } {
  assert.ok(script.includes(retryFunction), "the script defines retry");
  const step = /(if \[ "\$\(k3s --version[\s\S]*?\nfi)\n/.exec(script)![1];
  const dir = tempDir("im-k3s-retry-");
  const file = (name: string) => path.join(dir, name);
  const fake = (name: string, body: string) => fs.writeFileSync(file(name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  fake("k3s", "exit 127");
  fake("sleep", `echo x >> ${file("sleeps")}`);
  fake("curl", `echo x >> ${file("curls")}
[ "$(wc -l < ${file("curls")})" -gt ${failures} ] || exit 6
echo 'echo "install $INSTALL_K3S_VERSION $*" >> ${file("log")}'`);
  const r = spawnSync("bash", ["-c", `set -euo pipefail\n${retryFunction}\n${step}`], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: "utf8" });
  const lines = (name: string) => (fs.existsSync(file(name)) ? fs.readFileSync(file(name), "utf8").split("\n").filter(Boolean) : []);
  return { status: r.status, log: lines("log").join("\n"), curls: lines("curls").length, sleeps: lines("sleeps").length };
}

test("the k3s install is retried when get.k3s.io cannot be reached for a moment, on the server and the agents", () => {
  const scripts = prodScripts();
  for (const [role, script] of Object.entries(scripts)) {
    const run = installStep(script, 2);
    assert.equal(run.status, 0, `${role}: the boot goes on`);
    assert.equal(run.log, `install v1.33.5+k3s1 ${role === "server" ? "server" : "agent"}`, role);
    assert.deepEqual([run.curls, run.sleeps], [3, 2], `${role}: two failed tries, a pause after each`);
  }
});

test("a download that keeps failing fails the boot after the last try, not before", () => {
  const run = installStep(prodScripts().cpu, 1000);
  assert.notEqual(run.status, 0);
  assert.equal(run.log, "", "nothing installed");
  assert.deepEqual([run.curls, run.sleeps], [retryAttempts, retryAttempts - 1]);
});

test("GPU agents retry every apt call and download; apt-get update fails on an index it could not fetch", () => {
  const { gpu } = prodScripts();
  const commands = gpu.split("\n").map((l) => l.trim()).filter((l) => /(^|[\s"])(apt-get|ubuntu-drivers|curl) /.test(l));
  assert.ok(commands.length >= 8, commands.join("\n"));
  for (const c of commands) assert.match(c, /^retry /, c);
  const updates = commands.filter((c) => / update$/.test(c));
  assert.equal(updates.length, 2, "before the driver, and after adding NVIDIA's repository");
  // apt-get update only warns on a passing network failure (Error-Mode persistent) and exits 0.
  for (const u of updates) assert.equal(u, "retry apt-get -o APT::Update::Error-Mode=any update");
});

test("retry prints the commands it retries to the log and serial console: none carries the join token", () => {
  const r = renderShipped("prod");
  const token = String(reveal((r.resources.find((x) => x.urn.endsWith("::gcp-usc1-k3s-token"))!.outputs as any).result));
  assert.ok(token.length >= 32);
  for (const [role, script] of Object.entries(prodScripts())) {
    assert.ok(script.includes(token), `${role}: the script joins with the token`);
    const retried = script.split("\n").filter((l) => /^\s*retry /.test(l));
    assert.ok(retried.length > 0, role);
    for (const l of retried) assert.ok(!l.includes(token), `${role}: ${l}`);
  }
});

test("a retried pipeline refuses what its double quotes would let the outer shell expand", () => {
  assert.equal(retried("curl -fsSL https://x | sh -s - agent"), `retry bash -o pipefail -c "curl -fsSL https://x | sh -s - agent"`);
  for (const bad of ['echo "a"', "echo $HOME", "echo `id`", "echo \\n"]) assert.throws(() => retried(bad), /outer shell would expand/, bad);
});
