/**
 * Deployment exports for the review's tests: a fresh copy of the prod render's, and files of
 * them written as `pulumi stack export` writes them (JSON).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ExportedDeployment } from "../../scripts/lib/review-wire";
import { renderShipped } from "./render";

/** The prod render's export, a copy of its own on each call. */
export const prodExport = (): ExportedDeployment => structuredClone(renderShipped("prod").exported) as unknown as ExportedDeployment;

/** A writer of JSON files into `dir`: each call writes `doc` as `name` and returns the file's path. */
export const jsonWriter = (dir: string) => (name: string, doc: unknown): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(doc));
  return file;
};
