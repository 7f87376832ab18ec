/**
 * The GPU agents' apt calls wait for the dpkg lock: GCE orders the startup script only before
 * apt-daily.service, so on a fresh Ubuntu image unattended-upgrades (apt-daily-upgrade) may hold
 * the lock while the script installs the driver, and an apt-get that finds it held fails the boot.
 * Checked on the prod render's own scripts: the conf file they write is read back by apt-config.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { renderShipped } from "../support/render";
import { reveal } from "../support/secrets";
import { tempDir } from "../support/tmp";
import { aptLockWaitSeconds } from "../../components/cloud/gcp/nvidia";

const aptConf = "/etc/apt/apt.conf.d/";

test("prod GPU agents make apt wait for the dpkg lock before their first apt call; apt reads the timeout", () => {
  const r = renderShipped("prod");
  const script = String(reveal((r.ofType("gcp:compute/instanceTemplate:InstanceTemplate").find((t) => t.urn.endsWith("::gcp-usc1-gpu-a100-template"))!.inputs as any).metadataStartupScript));
  const written = new RegExp(`cat > (${aptConf}[^ ]+) <<'(\\w+)'\\n([\\s\\S]*?)\\n\\2\\n`).exec(script);
  assert.ok(written, "no apt.conf.d file written");
  const firstApt = script.search(/^\s*(retry )?(apt-get|ubuntu-drivers) /m);
  assert.ok(firstApt > 0, "the GPU agent script calls apt");
  assert.ok(written.index < firstApt, "the lock timeout is written after an apt call");

  // What apt makes of the file: its own parser, not a regular expression.
  const dir = tempDir("apt-lock");
  const conf = path.join(dir, path.basename(written[1]));
  fs.writeFileSync(conf, `${written[3]}\n`);
  const dump = spawnSync("apt-config", ["-c", conf, "dump", "DPkg::Lock::Timeout"], { encoding: "utf8" });
  if (dump.error) return assert.ok(written[3].includes(`DPkg::Lock::Timeout "${aptLockWaitSeconds}";`), "no apt-config here: the file's line");
  assert.equal(dump.status, 0, dump.stderr);
  assert.match(dump.stdout, new RegExp(`^DPkg::Lock::Timeout "${aptLockWaitSeconds}";$`, "m"));
});
