/**
 * The special values a deployment export keeps under the signature key (pulumi
 * pkg/resource/stack/deployment.go, sdk/go/common/resource/sig), and the plain values the engine
 * reads them back as before it marshals a resource for the analyzer.
 */

export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
export const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
export const RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
/** A NaN or infinite number in state: its float64 bits in hex (pkg/resource/stack/deployment.go floatSignature). */
export const FLOAT_SIG = "8ad145fe-0d11-4827-bfd7-1abcbf086f5c";
/**
 * A string whose bytes are not UTF-8, kept in state as their base64 (deployment version 4, feature
 * `byteString`; sdk/go/common/resource/sig ByteString).
 */
export const BYTE_STRING_SIG = "803fd3297a5875dc03ca845dda5d2a98";
/** What the engine sends for a value it cannot know (here: a secret encrypted in the export). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A deployment export the engine could not load: an unknown signature or a broken secret. */
export class StateFormatError extends Error {}

/** A NaN or infinite float: the number its 16 hex digits of float64 bits spell. */
export function floatValue(obj: Record<string, unknown>): number {
  const hex = obj.value;
  if (typeof hex !== "string" || !/^[0-9a-fA-F]{1,16}$/.test(hex)) throw new StateFormatError(`malformed float value ${JSON.stringify(hex)} (16 hex digits of a float64)`);
  const bytes = Buffer.from(hex.padStart(16, "0"), "hex");
  return bytes.readDoubleBE(0);
}

/**
 * A byte string as the engine reads it from state (deployment.go: base64, standard alphabet with
 * padding) and marshals it for the analyzer, whose MarshalOptions do not keep byte strings
 * (analyzer_plugin.go): bytes that are UTF-8 go as the string they spell; any others fail the
 * preview (rpc.go MarshalPropertyValue), and so the review.
 */
export function byteStringValue(obj: Record<string, unknown>): string {
  const encoded = typeof obj.value === "string" ? obj.value.replace(/[\r\n]/g, "") : undefined;
  if (encoded === undefined) throw new StateFormatError("malformed byte string: missing or non-string 'value' field");
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded)) throw new StateFormatError(`malformed byte string: 'value' is not base64 (${JSON.stringify(encoded.slice(0, 40))})`);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(Buffer.from(encoded, "base64"));
  } catch {
    throw new StateFormatError("a string that contains non-UTF8 bytes (a byte string), which the engine does not send to a policy pack: pulumi preview fails on it too (\"… is a string that contains non-UTF8 bytes, which the receiver does not support\")");
  }
}

export function resourceRefValue(ref: Record<string, unknown>): unknown {
  if (typeof ref.urn !== "string") throw new StateFormatError("a resource reference has no urn");
  return typeof ref.id === "string" && ref.id !== "" ? ref.id : ref.urn;
}
