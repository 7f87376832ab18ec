/**
 * Which of the pack's `config.<stack>.*` files `npm run policy` reviews an export with when no
 * config is given. The files are this repository's, one per stack of its project (Pulumi.yaml's
 * `name:`), so the export's URNs (`urn:pulumi:<stack>::<project>::…`, as @pulumi/pulumi's
 * createUrn makes them) must name both that stack and this project: another project's stack of
 * the same name (`pulumi stack export` of its `dev`) is not ours to configure.
 */
import * as path from "node:path";
import type { ExportedDeployment } from "./review-wire";
import { stackOfUrn } from "./review-wire";
import { POLICY_CONFIG_EXTENSIONS, policyConfigFor } from "./review";
import { forCaller } from "./cli";

export interface PackConfigChoice {
  /** The config file to review with, if any. */
  file?: string;
  /** Which file it is and why, or why none was taken. */
  why: string;
}

/**
 * `ourProject` gives this repository's project name, or throws where Pulumi.yaml cannot be read
 * (the choice then names that instead of guessing).
 */
export function packConfigForExport(exported: ExportedDeployment, packDir: string, ourProject: () => string): PackConfigChoice {
  const identities = new Set((exported.deployment?.resources ?? []).map((r) => (typeof r?.urn === "string" ? JSON.stringify(stackOfUrn(r.urn)) : "")));
  const pattern = `${forCaller(path.join(packDir, "config.<stack>"))}.*`;
  if (identities.size === 0) return { why: `the export holds no resources, so its URNs name no stack to pick ${pattern} by` };
  if (identities.size > 1 || identities.has("")) {
    const named = [...identities].filter((i) => i !== "").map((i) => JSON.parse(i) as { stack: string; project: string });
    return { why: `the export's URNs name ${named.length > 1 ? `${named.length} stacks (${named.map((n) => `'${n.stack}' of project '${n.project}'`).join(", ")})` : "no single stack"}, so no ${pattern} is picked` };
  }
  const { stack, project } = JSON.parse([...identities][0]) as { stack: string; project: string };
  let ours: string;
  try {
    ours = ourProject();
  } catch (err) {
    return { why: `this repository's project name could not be read (${err instanceof Error ? err.message : String(err)}), so ${pattern} is not picked for stack '${stack}' of project '${project}'` };
  }
  const file = policyConfigFor(stack, packDir);
  if (project !== ours) {
    const skipped = file ? `${forCaller(file)} is this project's config for its own stack '${stack}', not for it` : `no ${pattern} is picked`;
    return { why: `the export is of stack '${stack}' of project '${project}', not of this repository's project '${ours}' (Pulumi.yaml), so ${skipped}` };
  }
  if (!file) return { why: `no ${forCaller(path.join(packDir, `config.${stack}`))}.{${POLICY_CONFIG_EXTENSIONS.join(",")}} for stack '${stack}' of project '${project}' named by the export's URNs` };
  return { file, why: `the pack's config for stack '${stack}' of project '${project}', named by the export's URNs` };
}
