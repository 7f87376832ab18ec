/**
 * A deployment export's envelope as the Pulumi CLI reads it (pkg/resource/stack/deployment.go
 * UnmarshalUntypedDeployment): versions 1 to 4, the older ones migrated to version 3
 * (pkg/resource/stack/migrate), version 4 only with the features the CLI knows, and an empty
 * deployment (`null` or absent) read as a stack without resources. deployment-file.ts reads the
 * file and checks its resources.
 */
import type { ExportedDeployment, ExportedResource } from "./review-wire";

/** The newest deployment schema the CLI reads (DeploymentSchemaVersionLatest). */
const LATEST_VERSION = 4;

/**
 * The features a version 4 deployment may declare (supportedFeatures in deployment.go). The CLI
 * refuses one that names any other, and so does the review: such a state holds something neither
 * knows how to read.
 */
const SUPPORTED_FEATURES = new Set(["refreshBeforeUpdate", "views", "hooks", "taint", "replaceWith", "snippets-prototype", "extensionParameterization", "byteString"]);

/** What an export looks like, for the messages that refuse one. */
export const expected = `expected {"version":3,"deployment":{"resources":[…]}}`;

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

/** What an export (apitype.UntypedDeployment) holds beside its deployment. */
const ENVELOPE_KEYS = new Set(["version", "features"]);

/**
 * A document with a version but no deployment. An export omits an empty deployment (its field is
 * `omitempty`), so one holding nothing else is an export of a stack never updated. One holding
 * other keys is some other file with a `version`: above all a state backend's checkpoint
 * (`.pulumi/stacks/<project>/<stack>.json`, `{"version":3,"checkpoint":{"latest":{…}}}`), whose
 * resources sit under checkpoint.latest. Read as an empty stack it passed every policy (exit 0);
 * the CLI cannot import it either (UnmarshalUntypedDeployment finds no deployment to decode).
 */
function notAnExport(doc: Record<string, unknown>, file: string): void {
  const others = Object.keys(doc).filter((k) => !ENVELOPE_KEYS.has(k));
  if (others.length === 0) return;
  const checkpoint = doc.checkpoint;
  if (checkpoint && typeof checkpoint === "object" && !Array.isArray(checkpoint) && "latest" in checkpoint) {
    throw new Error(`${file}: a state backend's checkpoint, not a deployment export: its resources are under checkpoint.latest; review \`pulumi stack export\` output (${expected})`);
  }
  throw new Error(`${file}: not a deployment export: it has no "deployment" (it holds ${others.slice(0, 5).map((k) => JSON.stringify(k)).join(", ")}; ${expected})`);
}

/** Checks the envelope and returns its deployment in version 3 form; throws naming `file`. */
export function upToVersion3(doc: Record<string, unknown>, file: string): ExportedDeployment {
  const { version, features } = doc;
  if (version === undefined && !("deployment" in doc)) {
    if ("policyPack" in doc && "summary" in doc) throw new Error(`${file}: a policy report (the policy.json a review writes), not a deployment export: review the stack.json beside it or a \`pulumi stack export\` file`);
    throw new Error(`${file}: not a deployment export (${expected})`);
  }
  if (!("deployment" in doc)) notAnExport(doc, file);
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
