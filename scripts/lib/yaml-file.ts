import * as fs from "node:fs";
import * as yaml from "js-yaml";

/** A YAML (or JSON) file's content; a missing or unparsable file is reported by name. */
export function readYamlFile(file: string, what: string): unknown {
  if (!fs.existsSync(file)) throw new Error(`${what} ${file}: no such file`);
  if (fs.statSync(file).isDirectory()) throw new Error(`${what} ${file} is a directory, not a file`);
  try {
    return yaml.load(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${what} ${file} is not valid YAML/JSON: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
}
