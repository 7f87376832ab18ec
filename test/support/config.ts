/** Config-test helpers shared by the test folders. */
import assert from "node:assert/strict";
import { parsePlatform, ConfigError } from "../../infra/config";

/** The problems a platform config is refused with, one line each (fails the test when it is accepted). */
export function problemsOf(platform: unknown): string[] {
  try {
    parsePlatform(platform, "test");
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    return err.message.split("\n").slice(1).map((l) => l.trim());
  }
  assert.fail("config was accepted");
}
