/**
 * Config values as the Pulumi CLI hands them to the program: text as it is, anything else as JSON,
 * and the values it would hand on otherwise than this render reads them, reported by path. The
 * stack reader (stack-config.ts) and the Pulumi.yaml reader (project-file.ts) share them.
 */
import { LeadingZeroInteger, NonUtf8Binary, yamlScalars } from "./stack-file-schema";
import { GoTimestamp, WideInteger } from "./yaml-go-scalars";
import { ConfigError, CONFIG_ROOT } from "../../infra/config";
import { cliJson } from "../../infra/validate-size";

/**
 * Values the Pulumi CLI would hand the program otherwise than this render reads them, with their
 * paths below `value`: `.inf`, `-.inf` and `.nan` (an object value reaches the program as JSON,
 * which has no such numbers: the CLI's Go encoding/json refuses to write them, and JSON.stringify
 * would turn them into a null the validation then misreports as "received null"), and integers
 * written with a leading zero, which the CLI reads as octal, timestamps (yaml.v3 makes them Go times, which
 * config/object.go unmarshalObject turns into their Go text, not as written), integers past 2^53 inside an
 * object (exact in the CLI's JSON, the nearest float64 to the program; past int64 a float64 in the CLI's own hands), and `!!binary` data that is no UTF-8
 * text (yaml-file.ts).
 */
export function unrepresentable(value: unknown, from: "stack" | "project" = "stack"): { path: (string | number)[]; message: string }[] {
  return yamlScalars(value).flatMap(({ path: at, value: scalar }) => {
    if (scalar instanceof LeadingZeroInteger) {
      return [{
        path: at,
        message: `is written ${scalar.text}, which the Pulumi CLI's YAML reader takes as the octal number ${scalar.octal} (this render would read ${scalar.decimal}); write ${scalar.decimal} without the leading 0, or ${scalar.octal} if octal was meant (quote it for text)`,
      }];
    }
    if (scalar instanceof NonUtf8Binary) {
      const byte = scalar.bytes[scalar.offset].toString(16).padStart(2, "0");
      return [{
        path: at,
        message: `is !!binary data that is not UTF-8 text (byte 0x${byte} at ${scalar.offset}): the Pulumi CLI decodes !!binary into the text its bytes spell and hands config on as JSON, which has no other bytes (Go's encoder writes U+FFFD for them); give the text itself, or the base64 of its UTF-8`,
      }];
    }
    if (scalar instanceof GoTimestamp && from === "project") {
      // workspace/config.go createConfigValue hands a Pulumi.yaml default on as JSON, where Go writes a time as RFC 3339
      // (Time.MarshalJSON, which fails on an offset of 24 hours or more), and Map.Decrypt hands the program that text.
      const message = scalar.rfc3339 === undefined
        ? "is written as a timestamp, which the Pulumi CLI's YAML reader (yaml.v3) makes a time with a zone offset of 24 hours or more, which the Pulumi CLI fails to hand on (Go's JSON encoder refuses it); quote it for text"
        : `is written as a timestamp, which the Pulumi CLI's YAML reader (yaml.v3) makes a time, handed to the program as the RFC 3339 text '${scalar.rfc3339}', not as written; quote it for text`;
      return [{ path: at, message }];
    }
    if (scalar instanceof GoTimestamp) {
      const handed = scalar.goText === undefined ? "in the zone of the machine running pulumi (its own where the offset matches it)" : `'${scalar.goText}'`;
      return [{ path: at, message: `is written as a timestamp, which the Pulumi CLI's YAML reader (yaml.v3) makes a time and hands on as Go's text of it, ${handed}, not as written; quote it for text` }];
    }
    if (scalar instanceof WideInteger && scalar.value >= 2n ** 63n) {
      // A uint64 to yaml.v3: the JSON the CLI keeps holds its digits, but Map.Decrypt reads that JSON back
      // through object.go unmarshalObject, where the json.Number fails Int64 and becomes a float64.
      return [{
        path: at,
        message: `is the integer ${scalar.value}, past int64: the Pulumi CLI's YAML reader (yaml.v3) makes it a uint64, which the CLI reads back as a float64 (resource/config/object.go unmarshalObject) and hands the program as ${Number(scalar.value)}, not as written; write a smaller number, or quote it for text`,
      }];
    }
    if (scalar instanceof WideInteger) {
      return [{
        path: at,
        message: `is the integer ${scalar.value}, past 2^53: the program reads the platform as JSON in JavaScript, where it is ${Number(scalar.value)}, not the number the Pulumi CLI hands on; write a smaller number, or quote it for text`,
      }];
    }
    if (typeof scalar === "number" && !Number.isFinite(scalar)) {
      return [{ path: at, message: "is .inf or .nan: the Pulumi CLI hands config to the program as JSON, which has no infinite or NaN numbers, so `pulumi up` would fail; write a finite number" }];
    }
    return [];
  });
}

/** A config value as the language host receives it: strings as they are, anything else as JSON. */
export function asConfigString(key: string, value: unknown): string {
  if (typeof value === "string") return value;
  // The CLI hands a top-level int64 or uint64 on as its decimal digits (config/object.go MarshalString).
  if (value instanceof WideInteger) return String(value.value);
  const bad = unrepresentable(value);
  if (bad.length > 0) {
    if (key === CONFIG_ROOT) throw new ConfigError(bad);
    throw new Error(`stack config ${key}${bad[0].path.length ? `.${bad[0].path.join(".")}` : ""}: ${bad[0].message}`);
  }
  return cliJson(value);
}
