/**
 * The policy pack as JavaScript for the offline review: every file of the pack mirrored into
 * `<pack>/node_modules/.cache/inference-mesh-pack/<hash>/`, TypeScript transpiled with the
 * TypeScript compiler (what the engine's ts-node runs, with the pack's own tsconfig), everything
 * else copied. The review then starts the pack with plain `node`: loading the Pulumi and policy
 * SDKs through a TypeScript loader hook cost ~0.6 s of CPU and ~50 MB per review. Type-checking
 * stays with `npm test`.
 *
 * Inside the pack's node_modules so that packages resolve exactly as from the pack itself (the
 * pack's own node_modules, then the repository's). Keyed by a hash of the sources and the
 * compiler version; built in a temporary directory and renamed into place, so concurrent reviews
 * see a complete tree or build their own.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const CACHE = path.join("node_modules", ".cache", "inference-mesh-pack");

function packFiles(dir: string, base = dir): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.name !== "node_modules" && !e.name.startsWith("."))
    .flatMap((e) => (e.isDirectory() ? packFiles(path.join(dir, e.name), base) : e.isFile() ? [path.relative(base, path.join(dir, e.name))] : []))
    .sort();
}

const isTypeScript = (f: string) => f.endsWith(".ts") && !f.endsWith(".d.ts");

/** The pack's compiler options (its tsconfig.json, if any), as the transpiler takes them. */
function compilerOptions(ts: typeof import("typescript"), packDir: string): import("typescript").CompilerOptions {
  const file = path.join(packDir, "tsconfig.json");
  const fromConfig = fs.existsSync(file)
    ? ts.parseJsonConfigFileContent(ts.readConfigFile(file, ts.sys.readFile).config ?? {}, ts.sys, packDir).options
    : { target: ts.ScriptTarget.ES2020, esModuleInterop: true };
  // CommonJS as ts-node loads a pack; inline maps so errors in the pack's log point at the .ts lines.
  return { ...fromConfig, module: ts.ModuleKind.CommonJS, noEmit: false, declaration: false, sourceMap: false, inlineSourceMap: true, inlineSources: false };
}

/**
 * The entry point to run for the pack in `packDir`: `index.js` of its transpiled copy when the
 * pack is TypeScript, else its own `main`. Throws, naming the file, on a syntax error.
 */
export function packEntry(packDir: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(packDir, "package.json"), "utf8")) as { main?: string };
  if (!fs.existsSync(path.join(packDir, "index.ts"))) {
    const main = path.join(packDir, pkg.main ?? "index.js");
    if (!fs.existsSync(main)) throw new Error(`${packDir}: no index.ts or package.json main to run`);
    return main;
  }
  const files = packFiles(packDir);
  // The compiler's version from its package.json: loading the compiler itself costs ~0.3 s, and
  // only a build needs it.
  const tsVersion = (JSON.parse(fs.readFileSync(require.resolve("typescript/package.json"), "utf8")) as { version: string }).version;
  const hash = crypto.createHash("sha256").update(`typescript ${tsVersion}\n`);
  for (const f of files) hash.update(`${f}\n`).update(fs.readFileSync(path.join(packDir, f))).update("\n");
  const cacheDir = path.join(packDir, CACHE);
  const target = path.join(cacheDir, hash.digest("hex").slice(0, 16));
  const entry = path.join(target, "index.js");
  if (fs.existsSync(entry)) {
    // Reused builds count as fresh: the sweep below removes builds idle for ten minutes, and a
    // review still starting this one must not lose it to another checkout's build.
    const now = new Date();
    fs.utimesSync(target, now, now);
    return entry;
  }

  const ts: typeof import("typescript") = require("typescript");
  const options = compilerOptions(ts, packDir);
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir, ".build-"));
  try {
    for (const f of files) {
      const src = path.join(packDir, f);
      const out = path.join(tmp, isTypeScript(f) ? f.replace(/\.ts$/, ".js") : f);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      if (!isTypeScript(f)) {
        fs.copyFileSync(src, out);
        continue;
      }
      const result = ts.transpileModule(fs.readFileSync(src, "utf8"), { compilerOptions: options, fileName: src, reportDiagnostics: true });
      const errors = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
      if (errors.length) {
        const text = errors.map((d) => {
          const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
          return `${src}${at ? `:${at.line + 1}:${at.character + 1}` : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
        });
        throw new Error(`policy pack does not compile:\n${text.join("\n")}`);
      }
      fs.writeFileSync(out, result.outputText);
    }
    // Builds of older sources are of no further use once no review can still be starting them.
    for (const old of fs.readdirSync(cacheDir)) {
      const dir = path.join(cacheDir, old);
      if (!old.startsWith(".") && Date.now() - fs.statSync(dir).mtimeMs > 10 * 60_000) fs.rmSync(dir, { recursive: true, force: true });
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Another review built the same tree first: use it.
    if (fs.existsSync(entry)) return entry;
    throw err;
  }
  return entry;
}
