/**
 * Which of the pack's `config.<stack>.*` files `npm run policy` reviews an export with when no
 * config is given. The files are this repository's, one per stack of its project (Pulumi.yaml's
 * `name:`), so the export's URNs (`urn:pulumi:<stack>::<project>::…`, as @pulumi/pulumi's
 * createUrn makes them) must name both that stack and this project: another project's stack of
 * the same name (`pulumi stack export` of its `dev`) is not ours to configure.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ExportedDeployment } from "./review-wire";
import { stackOfUrn } from "./review-wire";
import { POLICY_CONFIG_EXTENSIONS, policyConfigFor } from "./review";
import { forCaller, sameFile } from "./cli";

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
type StackOf = { stack: string; project: string } | { not: string; empty: boolean };

/** The one stack and project an export's URNs all name, or what they name instead. */
export function stackOfExport(exported: ExportedDeployment): StackOf {
  const identities = new Set((exported.deployment?.resources ?? []).map((r) => (typeof r?.urn === "string" ? JSON.stringify(stackOfUrn(r.urn)) : "")));
  if (identities.size === 0) return { not: "no stack", empty: true };
  if (identities.size > 1 || identities.has("")) {
    const named = [...identities].filter((i) => i !== "").map((i) => JSON.parse(i) as { stack: string; project: string });
    return { not: named.length > 1 ? `${named.length} stacks (${named.map((n) => `'${n.stack}' of project '${n.project}'`).join(", ")})` : "no single stack", empty: false };
  }
  return JSON.parse([...identities][0]) as { stack: string; project: string };
}

function describe(of: StackOf): string {
  return "not" in of ? of.not : `stack '${of.stack}' of project '${of.project}'`;
}

/**
 * Why the `policy-config.json` beside the state file is not the export's (step 2 of "Which pack
 * config a review uses"), or undefined where it is taken. A render writes it beside its
 * `stack.json`, so where a `stack.json` other than the state itself lies there (an export copied
 * into a render's directory), the config is for the stack and project that file's URNs name, and
 * an export whose URNs name another is not reviewed with it. Beside the render's own `stack.json`,
 * or with no `stack.json` there (a config put beside an export on purpose), it is taken.
 */
export function besideConfigMismatch(exported: ExportedDeployment, state: string, besideConfig: string, read: (file: string) => ExportedDeployment): string | undefined {
  const sibling = path.join(path.dirname(besideConfig), "stack.json");
  if (!fs.existsSync(sibling) || sameFile(sibling, state)) return undefined;
  let rendered: StackOf;
  try {
    rendered = stackOfExport(read(sibling));
  } catch (err) {
    return `it lies beside ${forCaller(sibling)}, which cannot be read (${err instanceof Error ? err.message : String(err)}), so which stack it is the config of is not known`;
  }
  const exportOf = stackOfExport(exported);
  if (!("not" in rendered) && !("not" in exportOf) && rendered.stack === exportOf.stack && rendered.project === exportOf.project) return undefined;
  return `it is the config of ${describe(rendered)} (the URNs of ${forCaller(sibling)}, which the render wrote beside it), and the URNs of ${forCaller(state)} name ${describe(exportOf)}`;
}

export function packConfigForExport(exported: ExportedDeployment, packDir: string, ourProject: () => string): PackConfigChoice {
  const named = stackOfExport(exported);
  const pattern = `${forCaller(path.join(packDir, "config.<stack>"))}.*`;
  if ("not" in named) return { why: named.empty ? `the export holds no resources, so its URNs name no stack to pick ${pattern} by` : `the export's URNs name ${named.not}, so no ${pattern} is picked` };
  const { stack, project } = named;
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
