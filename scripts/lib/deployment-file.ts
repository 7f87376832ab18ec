/**
 * Reading a deployment export (`stack.json` of a render, or `pulumi stack export` output) as the
 * Pulumi CLI reads one (pkg/resource/stack/deployment.go UnmarshalUntypedDeployment): versions 1
 * to 4, the older ones migrated to version 3 (pkg/resource/stack/migrate), version 4 only with the
 * features the CLI knows, and an empty deployment (`null` or absent, as the export of a stack
 * never updated prints it) read as a stack without resources.
 */
import * as fs from "node:fs";
import type { ExportedDeployment, ExportedResource } from "./review-wire";

/** The newest deployment schema the CLI reads (DeploymentSchemaVersionLatest). */
const LATEST_VERSION = 4;

/**
 * The features a version 4 deployment may declare (supportedFeatures in deployment.go). The CLI
 * refuses one that names any other, and so does the review: such a state holds something neither
 * knows how to read.
 */
const SUPPORTED_FEATURES = new Set(["refreshBeforeUpdate", "views", "hooks", "taint", "replaceWith", "snippets-prototype", "extensionParameterization", "byteString"]);

const expected = `expected {"version":3,"deployment":{"resources":[…]}}`;

/** The fields a version 2 resource has (apitype.ResourceV2); version 1 lacks `external` and `provider`. */
const V2_FIELDS = ["urn", "custom", "delete", "id", "type", "inputs", "outputs", "parent", "protect", "external", "dependencies", "initErrors", "provider"] as const;

/**
 * The version 3 form of a version 1 or 2 resource (migrate/resource.go): only the fields those
 * versions had are carried over (version 1 knew neither `external` nor `provider`: every resource
 * was Pulumi's, on its default provider), and version 3's property dependencies are taken
 * conservatively as every input on every dependency.
 */
function migrateResource(r: ExportedResource, version: number): ExportedResource {
  const fields = version === 1 ? V2_FIELDS.filter((f) => f !== "external" && f !== "provider") : V2_FIELDS;
  const out: Record<string, unknown> = {};
  for (const f of fields) if ((r as unknown as Record<string, unknown>)[f] !== undefined) out[f] = (r as unknown as Record<string, unknown>)[f];
  const deps = (out.dependencies as string[] | undefined) ?? [];
  out.propertyDependencies = Object.fromEntries(Object.keys((out.inputs as object | undefined) ?? {}).map((k) => [k, deps]));
  return out as unknown as ExportedResource;
}

/** Checks the envelope and returns its deployment in version 3 form; throws naming `file`. */
function upToVersion3(doc: Record<string, unknown>, file: string): ExportedDeployment {
  const { version, features } = doc;
  if (version === undefined && !("deployment" in doc)) throw new Error(`${file}: not a deployment export (${expected})`);
  if (typeof version !== "number" || !Number.isInteger(version)) {
    throw new Error(`${file}: deployment export version ${JSON.stringify(version)}; the version is a number, 1 to ${LATEST_VERSION} (${expected})`);
  }
  if (version > LATEST_VERSION) throw new Error(`${file}: deployment export version ${version} is newer than this review reads (1 to ${LATEST_VERSION}, as Pulumi CLI 3.x does); export the stack with the CLI this project pins`);
  if (version < 1) throw new Error(`${file}: deployment export version ${version} is too old (1 to ${LATEST_VERSION})`);
  if (version >= 4 && features !== undefined) {
    if (!Array.isArray(features) || features.some((f) => typeof f !== "string")) throw new Error(`${file}: features is not a list of feature names`);
    const unknown = (features as string[]).filter((f) => !SUPPORTED_FEATURES.has(f));
    if (unknown.length) throw new Error(`${file}: this deployment needs support for features the review does not know: ${unknown.join(", ")} (it reads ${[...SUPPORTED_FEATURES].join(", ")})`);
  }
  // The CLI reads `"deployment": null` (and none at all) as an empty deployment.
  const deployment = doc.deployment ?? {};
  if (typeof deployment !== "object" || Array.isArray(deployment)) throw new Error(`${file}: not a deployment export (${expected})`);
  const d = deployment as ExportedDeployment["deployment"];
  if (d.resources === null) d.resources = [];
  if (d.resources !== undefined && !Array.isArray(d.resources)) throw new Error(`${file}: not a deployment export (deployment.resources is not a list; ${expected})`);
  if (version < 3 && d.resources) d.resources = d.resources.map((r) => (r && typeof r === "object" ? migrateResource(r, version) : r));
  return { version: 3, deployment: d };
}

/** Reads a deployment export file (`stack.json` or `pulumi stack export` output). */
export function readDeploymentFile(file: string): ExportedDeployment {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file (--state takes a deployment export: out/<stack>/stack.json or \`pulumi stack export\` output)`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${file}: not a deployment export (${expected})`);
  const doc = upToVersion3(raw as Record<string, unknown>, file);
  // An empty stack's export has no `resources` key at all.
  doc.deployment.resources ??= [];
  doc.deployment.resources.forEach((r, i) => {
    const where = `${file}: deployment.resources[${i}]`;
    if (!r || typeof r !== "object") throw new Error(`${where} is not a resource object`);
    if (typeof r.urn !== "string" || !r.urn.startsWith("urn:pulumi:") || r.urn.split("::").length < 4) throw new Error(`${where} has an invalid urn ${JSON.stringify(r.urn)} (expected urn:pulumi:<stack>::<project>::<type>::<name>)`);
    if (typeof r.type !== "string" || r.type === "") throw new Error(`${where} (${r.urn}) has no type`);
    for (const side of ["inputs", "outputs"] as const) {
      if (r[side] === null) delete r[side];
      if (r[side] !== undefined && (typeof r[side] !== "object" || Array.isArray(r[side]))) throw new Error(`${where} (${r.urn}) ${side} is not an object`);
    }
  });
  return doc;
}
