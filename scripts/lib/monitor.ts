/**
 * RegisterResource for the offline render, in place of Pulumi's MockMonitor.registerResource and
 * with its results: the same `newResource` call with the same deserialized inputs, the same
 * state recorded for later `getResource` invokes, and outputs that read back exactly as
 * the Struct round trip would return them (keys sorted, undefined dropped). What it leaves out is
 * the cost: MockMonitor converts the request's Struct twice (once for the mocks, once more for
 * our recorder), serializes plain-data state property by property through promises, builds a
 * Struct that the SDK immediately converts back, and the SDK formats that whole response into a
 * debug string. For a large fleet those copies were most of the render's time and memory.
 * test/render/monitor.test.ts checks the state conversion against the SDK's own functions.
 */
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/** What the recorder gets for each registration. */
export interface Registration {
  urn: string;
  id: string | undefined;
  /** The request's properties as the engine sees them (wire form, keys sorted). Owned by the caller. */
  inputs: Record<string, unknown>;
  /** The state, as the SDK reads it back. Shared: read, never modify. */
  outputs: Record<string, unknown>;
}

export const NOT_PLAIN = Symbol("not plain data");

/**
 * `Struct.fromJavaScript(serializeProperties(value)).toJavaScript()` for plain data, in one copy;
 * NOT_PLAIN when the value holds anything serializeProperties would have to convert (outputs,
 * resources, assets, promises, other class instances).
 */
export function plainRoundTrip(value: unknown, inArray = false): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number") return value;
  if (value === undefined || typeof value === "function") return inArray ? null : undefined;
  if (typeof value !== "object") return NOT_PLAIN;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = plainRoundTrip(value[i], true);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      out[i] = v;
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = plainRoundTrip((value as Record<string, unknown>)[key], false);
    if (v === NOT_PLAIN) return NOT_PLAIN;
    if (v !== undefined) out[key] = v;
  }
  return out;
}

async function stateAsRead(state: Record<string, unknown>): Promise<{ serialized: Record<string, unknown>; read: Record<string, unknown> }> {
  const read = plainRoundTrip(state ?? {}, false);
  if (read !== NOT_PLAIN) return { serialized: read as Record<string, unknown>, read: read as Record<string, unknown> };
  const serialized = await require("@pulumi/pulumi/runtime/rpc").serializeProperties("", state);
  return { serialized, read: Struct.fromJavaScript(serialized).toJavaScript() as Record<string, unknown> };
}

/** A RegisterResourceResponse as the SDK reads it (it accepts such objects from its own test paths too). */
function response(urn: string, id: string, outputs: Record<string, unknown>) {
  return {
    getUrn: () => urn,
    getId: () => id,
    getObject: () => ({ toJavaScript: () => outputs }),
    getPropertydependenciesMap: () => undefined,
    getResult: () => 0,
    toString: () => `RegisterResourceResponse(${urn})`,
  };
}

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * A resource's URN as the engine makes it (`resource.NewURN`, pkg/resource/urn.go): the type is
 * prefixed by the parent's whole qualified type (`$`-joined), and not at all when the parent is the
 * root stack. Pulumi's MockMonitor keeps only the parent's last type and prefixes the stack's, so
 * its URNs are not the ones `pulumi up` gives the same program, nor the ones `pulumi.createUrn`
 * computes for an alias: state written with them would not match the program it came from.
 */
export function engineUrn(stack: string, project: string, parent: string | undefined, type: string, name: string): string {
  const parentType = parent ? parent.split("::")[2] ?? "" : "";
  const qualified = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/**
 * Replaces `monitor.registerResource` of the MockMonitor that `setMocks` installed; every other
 * monitor call stays Pulumi's, with URNs made as the engine makes them.
 */
export function installRegisterResource(mocks: pulumi.runtime.Mocks, onRegistered: (r: Registration, req: any) => void): void {
  const settings = require("@pulumi/pulumi/runtime/settings");
  const rpc = require("@pulumi/pulumi/runtime/rpc");
  const monitor = settings.getMonitor();
  // Its readResource names resources through newUrn too.
  monitor.newUrn = (parent: string | undefined, type: string, name: string) => engineUrn(settings.getStack(), settings.getProject(), parent, type, name);
  const claimedUrns = new Set<string>();
  monitor.registerResource = (req: any, callback: (err: unknown, resp: unknown) => void) => {
    (async () => {
      const urn: string = monitor.newUrn(req.getParent(), req.getType(), req.getName());
      // The engine refuses a second registration of one URN; silently keeping the last would
      // drop a resource from the render. Claimed before any await: registrations run concurrently.
      if (claimedUrns.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
      claimedUrns.add(urn);
      const raw = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
      const inputs: Record<string, unknown> = {};
      for (const key of Object.keys(raw)) if (raw[key] !== undefined) inputs[key] = rpc.deserializeProperty(raw[key]);
      const result = await mocks.newResource({
        type: req.getType(),
        name: req.getName(),
        inputs,
        provider: req.getProvider(),
        custom: req.getCustom(),
        id: req.getImportid(),
      });
      const { serialized, read } = await stateAsRead(result.state);
      monitor.resources.set(urn, { urn, id: result.id ?? null, state: serialized });
      const id = result.id || "";
      onRegistered({ urn, id: req.getCustom() ? id : undefined, inputs: raw, outputs: read }, req);
      return response(urn, id, read);
    })().then(
      (resp) => callback(null, resp),
      (err) => {
        // The SDK only rejects the resource's outputs, which nobody may await; the engine would
        // fail the update, so the render must too (runProgram reports these).
        registrationErrors.push(err instanceof Error ? err : new Error(String(err)));
        callback(err, undefined);
      },
    );
  };
}

/** RegisterResource calls the mock monitor refused during this run (e.g. a duplicate URN). */
export const registrationErrors: Error[] = [];
