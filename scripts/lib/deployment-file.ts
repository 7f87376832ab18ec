/**
 * Reading a deployment export (`stack.json` of a render, or `pulumi stack export` output) as the
 * Pulumi CLI reads one (pkg/resource/stack/deployment.go UnmarshalUntypedDeployment): versions 1
 * to 4, the older ones migrated to version 3 (pkg/resource/stack/migrate), version 4 only with the
 * features the CLI knows, and an empty deployment (`null` or absent, as the export of a stack
 * never updated prints it) read as a stack without resources (the envelope and the versions:
 * deployment-version.ts; here the file, its encoding and each resource's state).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { constants } from "node:buffer";
import { forCaller } from "./cli";
import { expected, upToVersion3 } from "./deployment-version";
import { SECRET_SIG, SIG_KEY } from "./review-wire";
import { tooDeeplyNested } from "./export-shape";
import type { ExportedDeployment, ExportedResource } from "./review-wire";

/**
 * The types of a version 3 resource's state fields beside urn, type, inputs and outputs
 * (apitype.ResourceV3), which the CLI decodes with Go's encoding/json: a value of another type
 * fails the decoding ("cannot unmarshal … into Go struct field"), and null leaves the field unset.
 */
const FIELD_TYPES: Record<string, "string" | "boolean" | "strings" | "urnLists" | "timeouts"> = {
  id: "string", parent: "string", provider: "string", importID: "string", deletedWith: "string", sourcePosition: "string", viewOf: "string", snippetID: "string",
  custom: "boolean", delete: "boolean", protect: "boolean", taint: "boolean", external: "boolean", pendingReplacement: "boolean", retainOnDelete: "boolean", refreshBeforeUpdate: "boolean",
  dependencies: "strings", initErrors: "strings", additionalSecretOutputs: "strings", aliases: "strings", ignoreChanges: "strings", replaceOnChanges: "strings", replaceWith: "strings", hideDiff: "strings",
  propertyDependencies: "urnLists",
  customTimeouts: "timeouts",
};

const expectedOf = { string: "a string", boolean: "true or false", strings: "a list of strings", urnLists: "an object whose values are lists of URNs", timeouts: "an object of numbers (create, update, delete)" };

const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** Whether a state field's value has the type the CLI decodes it as. */
function fieldTypeOk(kind: (typeof FIELD_TYPES)[string], v: unknown): boolean {
  switch (kind) {
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    case "strings":
      return isStrings(v);
    case "urnLists":
      return isPlainObject(v) && Object.values(v).every((x) => x === null || isStrings(x));
    case "timeouts":
      return isPlainObject(v) && Object.values(v).every((x) => x === null || typeof x === "number");
  }
}

/**
 * Checks the state fields the review reads (and the CLI decodes) of one resource: null is unset, as
 * Go reads it; a value of another type is refused naming the field, as the CLI refuses the file
 * (a string "false" for `delete` would otherwise skip the resource, a number for `provider` fail
 * deep inside the review).
 */
function checkStateFields(r: Record<string, unknown>, where: string): void {
  for (const [field, kind] of Object.entries(FIELD_TYPES)) {
    if (!(field in r)) continue;
    if (r[field] === null) {
      delete r[field];
      continue;
    }
    if (!fieldTypeOk(kind, r[field])) throw new Error(`${where} ${field} is ${JSON.stringify(r[field])?.slice(0, 80)}, not ${expectedOf[kind]} (the CLI refuses such a state: apitype.ResourceV3)`);
  }
  const deps = r.propertyDependencies as Record<string, unknown> | undefined;
  for (const key of Object.keys(deps ?? {})) if (deps![key] === null) delete deps![key];
}

/**
 * Where a state value holds a secret the CLI cannot load: its reader takes a secret with exactly
 * one of `ciphertext` (encrypted) or `plaintext` (`--show-secrets`) as a string, and refuses any
 * other (deployment.go DeserializePropertyValue: "malformed secret value"), such as a `value` field
 * or a plaintext left as JSON rather than a JSON string, which the review would otherwise take as
 * a known value or an unknown one.
 */
function malformedSecret(value: unknown, at: string): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = malformedSecret(value[i], `${at}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  if (value[SIG_KEY] === SECRET_SIG) {
    const cipher = typeof value.ciphertext === "string";
    const plain = typeof value.plaintext === "string";
    return cipher !== plain ? undefined : at;
  }
  for (const [k, v] of Object.entries(value)) {
    const found = malformedSecret(v, `${at}.${k}`);
    if (found) return found;
  }
  return undefined;
}

/**
 * Why a file's bytes are not the UTF-8 JSON `pulumi stack export` writes, where a shell re-encoded
 * them: Windows PowerShell's `>` writes UTF-16 with a byte-order mark, and its `Out-File -Encoding
 * utf8` UTF-8 with one. JSON allows neither (RFC 8259 §8.1), nor does Go's decoder, which the CLI
 * reads state with; read as UTF-8, they were reported as "Unexpected token" with an invisible or
 * garbled character.
 */
function unreadableEncoding(bytes: Buffer): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "is UTF-16 (little-endian byte-order mark FF FE, as Windows PowerShell's `>` writes), not the UTF-8 JSON a deployment export is";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "is UTF-16 (big-endian byte-order mark FE FF), not the UTF-8 JSON a deployment export is";
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "starts with a UTF-8 byte-order mark (EF BB BF, as Windows PowerShell's `Out-File -Encoding utf8` writes), which JSON does not allow and the Pulumi CLI's JSON decoder refuses";
  return undefined;
}

/** The ID a provider reference carries for a provider without one (sdk/go/common/providers/reference.go UnknownID). */
const UNKNOWN_PROVIDER_ID = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * The two snapshot integrity rules whose breach would change what the review judges
 * (pkg/resource/deploy/snapshot.go VerifyIntegrity at v3.248.0, which the CLI runs on every state it
 * loads: "snapshot integrity failure; refusing to use it"): a provider reference must parse as
 * `<provider urn>::<id>` and name a provider listed before it with that ID (the review would
 * otherwise hand the pack the resource without a provider, or another provider's), except on a
 * resource pending replacement; and a URN appears once apart from copies marked for deletion (the
 * review would judge it twice). Other rules (magic cookie, parents and dependencies before their
 * users) are left to the CLI: hand-edited files are reviewed on purpose.
 */
function checkIntegrity(resources: ExportedResource[], file: string): void {
  const refused = "the CLI refuses such a state (snapshot integrity failure: deploy/snapshot.go VerifyIntegrity)";
  const providers = new Set<string>();
  const live = new Map<string, number>();
  resources.forEach((r, i) => {
    const where = `${file}: deployment.resources[${i}] (${r.urn})`;
    if (r.type.startsWith("pulumi:providers:")) providers.add(`${r.urn}::${r.id || UNKNOWN_PROVIDER_ID}`);
    if (r.provider !== undefined) {
      const sep = r.provider.lastIndexOf("::");
      // The URN's type is the last of its qualified type's `$`-joined parts (a provider a component made: `<component type>$pulumi:providers:tls`).
      const urnType = sep === -1 ? "" : (r.provider.slice(0, sep).split("::")[2] ?? "").split("$").pop()!;
      if (sep === -1 || !urnType.startsWith("pulumi:providers:") || urnType === "pulumi:providers:") {
        throw new Error(`${where} provider ${JSON.stringify(r.provider)} is not a provider reference (expected urn:pulumi:<stack>::<project>::pulumi:providers:<package>::<name>::<id>); ${refused}`);
      }
      if (!providers.has(r.provider) && !(r as { pendingReplacement?: boolean }).pendingReplacement) {
        throw new Error(`${where} refers to unknown provider ${r.provider}: no provider resource with that URN and ID comes before it in the export; ${refused}`);
      }
    }
    if (!r.delete) {
      if (live.has(r.urn)) throw new Error(`${where} duplicates deployment.resources[${live.get(r.urn)}]: a URN appears more than once only when the other copies are marked for deletion (delete: true); ${refused}`);
      live.set(r.urn, i);
    }
  });
}

/**
 * The file's bytes. Standard input that is a socket (as a program spawning the review may hand it)
 * cannot be opened by path (open(2) gives ENXIO for /dev/stdin then), but reads from its descriptor.
 */
function readStateBytes(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENXIO" && /^\/(dev\/stdin|dev\/fd\/0|proc\/self\/fd\/0)$/.test(file)) return fs.readFileSync(0);
    if (code === "ERR_FS_FILE_TOO_LARGE") throw new Error(`${file}: ${(fs.statSync(file).size / 2 ** 30).toFixed(1)} GiB, more than Node.js reads into memory at once (2 GiB), so this review cannot read it; \`pulumi preview --policy-pack\` reviews such a stack`);
    throw err;
  }
}

/** Reads a deployment export file (`stack.json` or `pulumi stack export` output). */
export function readDeploymentFile(file: string): ExportedDeployment {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file (--state takes a deployment export: out/<stack>/stack.json or \`pulumi stack export\` output)`);
  if (fs.statSync(file).isDirectory()) {
    // `--state out/prod`: the render's directory, whose export is its stack.json.
    const inside = path.join(file, "stack.json");
    const hint = fs.existsSync(inside) ? `; give --state ${forCaller(inside)}, the export the render wrote there` : "";
    throw new Error(`${file} is a directory (--state takes a deployment export: out/<stack>/stack.json or \`pulumi stack export\` output)${hint}`);
  }
  const bytes = readStateBytes(file);
  const encoding = unreadableEncoding(bytes);
  if (encoding) throw new Error(`${file}: ${encoding}; write the export with \`pulumi stack export --file ${path.basename(file)}\`, which writes UTF-8 without one`);
  let text: string;
  try {
    text = bytes.toString("utf8");
  } catch (err) {
    // V8 holds at most buffer.constants.MAX_STRING_LENGTH characters in one string (2^29 - 24).
    if ((err as NodeJS.ErrnoException).code !== "ERR_STRING_TOO_LONG") throw err;
    throw new Error(`${file}: ${Math.round(bytes.length / 2 ** 20)} MiB of text, more than Node.js can hold in one string (${Math.floor(constants.MAX_STRING_LENGTH / 2 ** 20)} MiB), so this review cannot read it; \`pulumi preview --policy-pack\` reviews such a stack`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const what = text.trim() === "" ? `is empty` : `not valid JSON (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`;
    throw new Error(`${file}: ${what}; ${expected}, a deployment export (out/<stack>/stack.json or \`pulumi stack export\` output)`);
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
    checkStateFields(r as unknown as Record<string, unknown>, `${where} (${r.urn})`);
    for (const side of ["inputs", "outputs"] as const) {
      if (r[side] === null) delete r[side];
      if (r[side] !== undefined && (typeof r[side] !== "object" || Array.isArray(r[side]))) throw new Error(`${where} (${r.urn}) ${side} is not an object`);
      const deep = tooDeeplyNested(r[side], side);
      if (deep) throw new Error(`${where} (${r.urn}) ${deep}`);
      const secret = malformedSecret(r[side], side);
      if (secret) {
        throw new Error(`${where} (${r.urn}) ${secret}: malformed secret value: exactly one of \`ciphertext\` or \`plaintext\` (a JSON-encoded string) must be supplied, as the CLI requires to load the state`);
      }
    }
  });
  checkIntegrity(doc.deployment.resources, file);
  return doc;
}

/**
 * What the export's `pending_operations` leave unjudged, as the CLI warns before an update
 * ("Attempting to deploy or update resources with N pending operations from previous deployment",
 * each `<urn>, interrupted while <type>`: apitype.OperationV2): an update was interrupted while
 * those objects were being created, updated, deleted or read, so the cluster may hold them in a
 * state the resources of this export do not record (a create: not at all). Undefined when none.
 */
export function pendingOperationsNote(exported: ExportedDeployment): string | undefined {
  const ops = exported.deployment.pending_operations;
  if (!Array.isArray(ops) || ops.length === 0) return undefined;
  const listed = ops.map((op) => {
    const urn = (op as { resource?: { urn?: unknown } })?.resource?.urn;
    const type = (op as { type?: unknown })?.type;
    return `${typeof urn === "string" ? urn : "(no urn)"}, interrupted while ${typeof type === "string" ? type : "(unknown operation)"}`;
  });
  return `${ops.length} pending operation(s) from an interrupted deployment were not judged (${listed.join("; ")}): the cluster may hold those objects in a state this export does not record; once \`pulumi refresh\` has cleared them, export and review again`;
}
