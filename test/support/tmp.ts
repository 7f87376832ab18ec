/**
 * Temporary directories for tests, removed when the test file's process exits (`node --test` runs
 * each file in a process of its own), so a run leaves nothing behind in the system temp dir: a
 * full suite made some sixty directories and files there, renders of several MB among them.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const made: string[] = [];

process.on("exit", () => {
  for (const dir of made) {
    try {
      // A test may have left a directory read-only (the unwritable-output case).
      fs.chmodSync(dir, 0o700);
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Cleanup must not turn a passing run into a failing one.
    }
  }
});

/** A new directory under `root` (the system temp dir by default), deleted at process exit. */
export function tempDir(prefix: string, root = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(root, prefix));
  made.push(dir);
  return dir;
}
