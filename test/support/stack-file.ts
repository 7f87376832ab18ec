/** Stack files for the stack-file and project-file tests: `Pulumi.<name>.yaml` in `dir`, holding `body`. */
import * as fs from "node:fs";
import * as path from "node:path";

export const stackFile = (dir: string, name: string, body: string): string => {
  const file = path.join(dir, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, body);
  return file;
};
