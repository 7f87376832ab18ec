/**
 * A platform field set beside the platform (`inference-mesh:versions`, as `pulumi config set
 * --path versions.istio …` writes it without `platform.`) is read by nothing: the render and the
 * program refuse it, naming the key and where it belongs, rather than deploy without it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../scripts/lib/stack-config";
import { validateStack } from "../../scripts/lib/render";
import { CONFIG_ROOT, ConfigError, loadPlatformSpec } from "../../infra/config";
import { shippedPlatform } from "../support/render";
import { tempDir } from "../support/tmp";

/** A stack file holding the shipped local platform and the extra top-level config keys given. */
function stackWith(name: string, extra: Record<string, unknown>): string {
  const file = path.join(tempDir("im-misplaced-"), `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, yaml.dump({ config: { [CONFIG_ROOT]: shippedPlatform("local"), ...extra } }));
  return file;
}

test("the render refuses a platform field set beside the platform, naming the key and where it belongs", () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ "inference-mesh:versions": { istio: "1.29.0" } }, "inference-mesh:versions", /'versions' is a field of the platform, which the program reads only inside inference-mesh:platform: move it there, as inference-mesh:platform\.versions /],
    [{ models: [{ name: "x" }] }, "inference-mesh:models", /\('models' in .*\).*move it there, as inference-mesh:platform\.models /],
    [{ "inference-mesh:policy.maxCanaryWeight": 20 }, "inference-mesh:policy.maxCanaryWeight", /'policy' is a field of the platform.*as inference-mesh:platform\.policy\.maxCanaryWeight \(with `pulumi config set --path`, a path starting 'platform\.'\)/],
    [{ "inference-mesh:clusters[0].name": "a" }, "inference-mesh:clusters[0].name", /'clusters' is a field of the platform/],
  ];
  for (const [extra, key, message] of cases) {
    const file = stackWith("misplaced", extra);
    assert.throws(() => loadStackConfig("misplaced", file), (err: Error) => {
      assert.ok(err.message.startsWith(`stack config ${key}: the program reads no such key`), err.message);
      assert.match(err.message, message);
      return true;
    });
  }
  // A fork's own keys stay, and so does `environment`, a common key of shared ESC environments.
  const own = loadStackConfig("own", stackWith("own", { "inference-mesh:owner": "team-a", "inference-mesh:environment": "prod", "inference-mesh:versionsNote": "x" }));
  assert.equal(own.config["inference-mesh:owner"], "team-a");
  assert.equal(own.config["inference-mesh:environment"], "prod");
});

// `pulumi up` runs no loadStackConfig: the CLI hands the program every key.
test("the program refuses a platform field set beside the platform, as the render does", () => {
  const saved = pulumi.runtime.allConfig();
  try {
    pulumi.runtime.setAllConfig({ [CONFIG_ROOT]: JSON.stringify(shippedPlatform("local")), "inference-mesh:versions": JSON.stringify({ istio: "1.29.0" }), "inference-mesh:owner": "team-a" });
    assert.throws(() => loadPlatformSpec(), (err: Error) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.deepEqual(err.message.split("\n").slice(1), [
        "  inference-mesh:platform: the program reads no key inference-mesh:versions: 'versions' is a field of the platform, which the program reads only inside inference-mesh:platform: move it there, as inference-mesh:platform.versions (with `pulumi config set --path`, a path starting 'platform.')",
      ]);
      return true;
    });
  } finally {
    pulumi.runtime.setAllConfig(saved);
  }
});

test("where the platform is missing, a top-level key no stack file takes (a misspelt config:) is named as the likely cause", () => {
  const file = path.join(tempDir("im-toplevel-"), "Pulumi.confg.yaml");
  fs.writeFileSync(file, yaml.dump({ confg: { [CONFIG_ROOT]: shippedPlatform("local") } }));
  assert.throws(() => validateStack({ stack: "confg", stackFile: file }), (err: Error) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message.split("\n")[1], /^ {2}inference-mesh:platform: missing: set it in .*Pulumi\.confg\.yaml; its top-level 'confg' \(did you mean 'config'\?\) is no key a stack file takes \(secretsprovider, encryptedkey, encryptionsalt, config, environment\), so nothing under it is read$/);
    return true;
  });
});
