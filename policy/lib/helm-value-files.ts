/**
 * A Helm release's `valueYamlFiles`, which the chart reads under its `values`: pulumi-kubernetes
 * (helm/v3 Release, provider helm_release.go decodeRelease) loads each asset as YAML, merges them
 * in order, then merges `values` over the result (helm MergeMaps: maps merge key by key, anything
 * else replaces). The state (and so the pack's inputs) holds each asset as it was given: a
 * StringAsset's text is there; a FileAsset holds only its path (relative to the program, not this
 * pack) and a RemoteAsset its URI, so what those set cannot be read here and is named instead.
 * The chart's own values.yaml defaults are in no state at all (the provider records only the
 * values it was given); charts default image tags to their appVersion, which the chart version pins.
 */
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { isObject, list, probe } from "./values";

/** helm's MergeMaps(a, b): b over a, nested maps merged. */
export function mergeHelmValues(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(v) && isObject(out[k]) ? mergeHelmValues(out[k] as Record<string, unknown>, v) : v;
  return out;
}

export interface ValueFiles {
  /** The values the files set, merged in order; undefined when there are none. */
  merged?: Record<string, unknown>;
  /** Files whose content this review cannot read (with why), for "can't judge". */
  unread: string[];
  /** Each file read, where it sits (`valueYamlFiles[i]`) and what it sets. */
  layers: { at: string; values: Record<string, unknown> }[];
  /** The files read after the last unread one, merged: only what they set is sure to reach the chart. */
  tail?: Record<string, unknown>;
}

/**
 * The object behind @pulumi/policy's unknown-checking proxy (proxy.js getSpecialProxyTarget): an
 * asset's field is a Promise, whose `then` refuses a proxy as its receiver.
 */
const target = <T>(x: T): T => ((x as { __getSpecialProxyTarget?: T } | undefined)?.__getSpecialProxyTarget ?? x);

/** Reads the `valueYamlFiles` of a Helm release's inputs. */
export async function readValueFiles(props: Record<string, any>): Promise<ValueFiles> {
  const files = probe(() => list(props.valueYamlFiles as unknown[]));
  if (!files.known) return { unread: ["valueYamlFiles (not known yet)"], layers: [] };
  const unread: string[] = [];
  const layers: ValueFiles["layers"] = [];
  let merged: Record<string, unknown> | undefined;
  let tail: Record<string, unknown> | undefined;
  for (let i = 0; i < files.value.length; i++) {
    const at = `valueYamlFiles[${i}]`;
    // One asset not known yet (an unknown sentinel behind the proxy) must not throw past the others.
    const item = probe(() => files.value[i] as unknown);
    if (!item.known) {
      unread.push(`${at} (not known yet)`);
      tail = undefined;
      continue;
    }
    const f = item.value;
    // Read by field, not instanceof: the SDK that deserialized the asset may be another copy than this one.
    const asset = pulumi.asset.Asset.isInstance(f) ? (f as { text?: Promise<string>; path?: Promise<string>; uri?: Promise<string> }) : undefined;
    if (asset?.text !== undefined) {
      let parsed: unknown;
      try {
        parsed = yaml.load(String(await target(asset.text)));
      } catch {
        unread.push(`${at} (not YAML: the provider refuses the release)`);
        tail = undefined;
        continue;
      }
      if (isObject(parsed)) {
        merged = mergeHelmValues(merged ?? {}, parsed);
        tail = mergeHelmValues(tail ?? {}, parsed);
        layers.push({ at, values: parsed });
      }
      continue;
    } else if (asset?.path !== undefined) {
      unread.push(`${at} (file ${await target(asset.path)}: the state records its path, not its content)`);
    } else if (asset?.uri !== undefined) {
      unread.push(`${at} (${await target(asset.uri)}: the state records its URI, not its content)`);
    } else {
      unread.push(`${at} (not an asset this review reads)`);
    }
    // An unread file may set anything the files before it set.
    tail = undefined;
  }
  return { ...(merged ? { merged } : {}), ...(tail ? { tail } : {}), unread, layers };
}
