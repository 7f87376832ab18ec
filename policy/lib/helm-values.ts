/**
 * The values a Helm release's chart reads, for every rule of the pack. The chart reads its
 * `valueYamlFiles` merged in order with its `values` over them (helm-value-files.ts), so a rule
 * that read `values` alone passed a release whose values file turns STRICT off, disables the
 * device plugin or renames the trust domain. {@link withHelmValues} hands each rule the release
 * with `props.values` replaced by the effective values, so every reader of `values` in lib/ and
 * rules/ judges what the chart gets, and a release with no valueYamlFiles is handed over as it was.
 *
 * A file whose content the state does not hold (a FileAsset's path, a RemoteAsset's URI, an asset
 * not known yet) may set any key that `values` and the files read after it leave unset: reading
 * such a key (or listing a map's keys) is "not known yet", naming the file, so a verdict it could
 * change becomes can't judge, while one that rests on what `values` sets stays judged.
 */
import * as policySdk from "@pulumi/policy";
import type { Policy, PolicyResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { isHelmInstall, unknownValueError } from "./k8s";
import { mergeHelmValues, readValueFiles } from "./helm-value-files";
import { isObject, isUnknownError, probe } from "./values";

const { unknownCheckingProxy } = policySdk as unknown as { unknownCheckingProxy: <T>(o: T) => T };
/** Where the release's own `values` stay readable (for a rule that names the input a value sits in). */
const GIVEN = Symbol("given Helm values");

/** The object behind @pulumi/policy's unknown-checking proxy (proxy.js getSpecialProxyTarget). */
const target = <T>(x: T): T => ((x as { __getSpecialProxyTarget?: T } | undefined)?.__getSpecialProxyTarget ?? x);

/** A map that unread files may extend: keys it holds are read, any other (or its key list) is not known. */
function open(node: Record<string, unknown>, files: string, path: string[], blocked?: () => void): Record<string, unknown> {
  const unknown = (key: string): never => {
    blocked?.();
    throw unknownValueError([...path, `${key} (which ${files} may set)`]);
  };
  const own = (key: string | symbol) => Object.prototype.hasOwnProperty.call(node, key);
  return new Proxy(node, {
    get: (t, key) => {
      if (typeof key === "symbol" || !own(key)) return typeof key === "symbol" || key in Object.prototype ? Reflect.get(t, key) : unknown(key);
      const v = t[key];
      return isObject(v) ? open(v, files, [...path, key], blocked) : v;
    },
    has: (_t, key) => (typeof key === "symbol" || own(key) ? Reflect.has(node, key) : unknown(key)),
    getOwnPropertyDescriptor: (t, key) => (typeof key === "symbol" || own(key) ? Reflect.getOwnPropertyDescriptor(t, key) : unknown(key)),
    ownKeys: () => unknown("<its keys>"),
  });
}

/**
 * A release's props with `values` replaced by what its chart reads (its valueYamlFiles merged under
 * its values), or the props as given when it has no valueYamlFiles or its values are not known.
 */
export async function effectiveHelmProps<P extends Record<string, any>>(props: P, blocked?: (files: string) => void): Promise<P> {
  const files = probe(() => props.valueYamlFiles as unknown);
  if (files.known && (files.value === undefined || files.value === null || (Array.isArray(files.value) && files.value.length === 0))) return props;
  const raw = target(props) as Record<string, unknown>;
  const given = raw.values;
  // Values not known as a whole stay so; a map's own unknowns stay in place (the proxy throws on them).
  if (given !== undefined && given !== null && !isObject(given)) return props;
  const read = await readValueFiles(props);
  const merged = mergeHelmValues(read.tail ?? {}, isObject(given) ? given : {});
  const unread = read.unread.join(", ");
  const name = probe(() => props.name as unknown);
  const release = name.known && typeof name.value === "string" ? `Helm release ${name.value}` : "a Helm release";
  const values = read.unread.length > 0 ? open(merged, unread, ["values"], () => blocked?.(`${unread} of ${release}`)) : merged;
  const out: Record<string | symbol, unknown> = { ...raw, values };
  Object.defineProperty(out, GIVEN, { value: given, enumerable: false });
  return unknownCheckingProxy(out) as P;
}

/** The release's own `values`, not merged with its files (for rules that name the input holding a value). */
export const givenHelmValues = (props: Record<string | symbol, any>): unknown => (GIVEN in target(props) ? props[GIVEN] : props.values);

/** The resource with its effective values; reading them still marks the resource read (guard.ts trackReads). */
async function withValues(r: PolicyResource, blocked: (files: string) => void): Promise<PolicyResource> {
  if (!isHelmInstall(r.type)) return r;
  const props = await effectiveHelmProps(r.props, blocked);
  if (props === r.props) return r;
  const out = { ...r };
  Object.defineProperty(out, "props", { configurable: true, enumerable: true, get: () => (void r.props, props) });
  return out;
}

type Validate = (args: any, report: any) => Promise<void> | void;

/**
 * Runs a validation; a "not known yet" it ends with, after it read through a values file the state
 * holds by path or URI only, names that file (the rules' own messages name only what they read).
 */
async function naming(run: (blocked: (files: string) => void) => Promise<void> | void): Promise<void> {
  const hits = new Set<string>();
  try {
    await run((files) => hits.add(files));
  } catch (err) {
    if (hits.size === 0 || !isUnknownError(err)) throw err;
    const at = ((err as { props?: unknown }).props as string[] | undefined) ?? [];
    throw unknownValueError([...at, `<which may be set by ${[...hits].join("; ")}>`]);
  }
}

/** The policy, handed every Helm release with its effective values (see above). */
export function withHelmValues<P extends Policy>(policy: P): P {
  const p = policy as unknown as { validateResource?: Validate | Validate[]; validateStack?: Validate };
  const out = { ...(policy as object) } as Record<string, unknown>;
  const resource = (v: Validate): Validate => (args: ResourceValidationArgs, report) =>
    naming(async (blocked) => v(isHelmInstall(args.type) ? { ...args, props: await effectiveHelmProps(args.props, blocked) } : args, report));
  if (p.validateResource) out.validateResource = Array.isArray(p.validateResource) ? p.validateResource.map(resource) : resource(p.validateResource);
  const stack = p.validateStack;
  if (stack) {
    out.validateStack = (args: StackValidationArgs, report: unknown) =>
      naming(async (blocked) => stack({ ...args, resources: await Promise.all(args.resources.map((r) => withValues(r, blocked))) }, report));
  }
  return out as P;
}
