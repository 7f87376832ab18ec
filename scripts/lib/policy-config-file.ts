/**
 * Reads a policy config file as `pulumi preview --policy-pack-config` reads it: the engine takes
 * the bytes through Go's encoding/json into a map (pkg/resource/analyzer/config.go
 * parsePolicyPackConfig), so a file of blanks is no config, a repeated key keeps its last value
 * (an editor's leftover is not an error), and a trailing comma, a comment, a byte-order mark or a
 * number beyond float64 fail the preview. Only a `.yaml`/`.yml` file may be YAML instead, an
 * offline convenience read by YAML's rules (the render writes the JSON the CLI reads into
 * out/<stack>/policy-config.json).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { yamlScalars } from "./stack-file-schema";
import { deploymentExportIdentity } from "./export-shape";

/** Go's strings.TrimSpace white space (unicode.IsSpace: NEL and NO-BREAK SPACE too, not a BOM). */
const blank = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

/** Thrown for what JSON.parse takes but Go's decoder refuses. */
class NotGoJson extends Error {}

/**
 * Where a JSON text stops being JSON, for the errors whose message gives no position: V8 says only
 * "Unexpected token '/', … is not valid JSON" where a value should start (a comment after ':' or
 * ',', a bare word such as NaN or tru). Reads the grammar, no more; undefined when it finds no
 * fault (the text then has one JSON.parse alone sees, which names its own position).
 */
function syntaxErrorOffset(text: string): number | undefined {
  let i = 0;
  const token = (re: RegExp): boolean => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (m) i += m[0].length;
    return m !== null;
  };
  const ws = () => token(/[ \t\n\r]*/y);
  const expect = (re: RegExp) => {
    ws();
    if (!token(re)) throw i;
  };
  const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
  const value = (): void => {
    ws();
    if (token(/\{/y)) {
      ws();
      if (token(/\}/y)) return;
      do {
        expect(STRING);
        expect(/:/y);
        value();
        ws();
      } while (token(/,/y));
      expect(/\}/y);
    } else if (token(/\[/y)) {
      ws();
      if (token(/\]/y)) return;
      do {
        value();
        ws();
      } while (token(/,/y));
      expect(/\]/y);
    } else if (/[tfn]/.test(text[i] ?? "")) {
      // At the first character that leaves the word, as Go's decoder and V8 place the fault.
      for (const ch of text[i] === "t" ? "true" : text[i] === "f" ? "false" : "null") {
        if (text[i] !== ch) throw i;
        i++;
      }
    } else if (!token(STRING) && !token(/-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y)) {
      throw i;
    }
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (at) {
    return typeof at === "number" ? at : undefined; // a RangeError: nested too deep to scan
  }
}

/** Line and column of a JSON.parse error, for a message an editor can jump to. */
function where(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  const offset = m ? Number(m[1]) : syntaxErrorOffset(text);
  if (offset === undefined) return "";
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return ` (line ${line}, column ${offset - before.lastIndexOf("\n")})`;
}

function parseAsGo(text: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) {
    throw new NotGoJson("starts with a byte-order mark, which pulumi preview's JSON decoder refuses (invalid character 'ï' looking for beginning of value); save it as UTF-8 without one");
  }
  return JSON.parse(text, function (key, value) {
    // JSON.parse makes a number too large for a float64 Infinity; Go's decoder refuses it.
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new NotGoJson(`has a number beyond a float64's range at "${key}", which pulumi preview refuses (json: cannot unmarshal number into Go value of type float64)`);
    }
    return value;
  });
}

/** A policy config file's document (undefined when it holds nothing but blanks), and its format. */
export function readPolicyConfigDocument(file: string): { document: unknown; format: "json" | "yaml" } {
  const read = readPolicyConfigText(file);
  const exported = deploymentExportIdentity(read.document);
  // Refused for its first key otherwise (`version: 3 is neither an enforcement level …`).
  if (exported !== undefined) throw new Error(`policy config ${file} is a deployment export (\`pulumi stack export\` output${exported}), not a policy config ({"<policy>": "<level>" | {enforcementLevel?, …}}); review an export with npm run policy -- --state ${path.basename(file)}`);
  return read;
}

function readPolicyConfigText(file: string): { document: unknown; format: "json" | "yaml" } {
  if (!fs.existsSync(file)) throw new Error(`policy config ${file}: no such file`);
  if (fs.statSync(file).isDirectory()) throw new Error(`policy config ${file} is a directory, not a file`);
  const text = fs.readFileSync(file, "utf8");
  if (blank.test(text)) return { document: undefined, format: "json" };
  try {
    return { document: parseAsGo(text), format: "json" };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof RangeError) throw new Error(`policy config ${file} nests its values too deeply to read`);
    if (!/\.ya?ml$/i.test(file)) {
      if (err instanceof NotGoJson) throw new Error(`policy config ${file} ${message}`);
      throw new Error(`policy config ${file} is not valid JSON${where(text, message)}: ${message}; pulumi preview --policy-pack-config reads JSON only (YAML is taken offline from a .yaml/.yml file)`);
    }
  }
  let document: unknown;
  try {
    document = yaml.load(text);
  } catch (err) {
    throw new Error(`policy config ${file} is neither JSON nor valid YAML: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
  const found = yamlScalars(document).find((x): x is { path: (string | number)[]; value: number } => typeof x.value === "number" && !Number.isFinite(x.value));
  if (found !== undefined) {
    // The parsed value cannot tell `.inf` from a literal too large for a float64 (`1e400`): name both.
    const what = Number.isNaN(found.value) ? ".nan" : "infinite (.inf, or a number beyond a float64's range such as 1e400)";
    throw new Error(`policy config ${file}: ${found.path.join(".") || "the document"} is ${what}, which JSON has no number for: pulumi preview never gets it (the render's policy-config.json would hold null); write a finite number`);
  }
  return { document, format: "yaml" };
}
