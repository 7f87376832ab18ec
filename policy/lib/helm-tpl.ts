/**
 * Helm's `tpl`, where a pinned chart runs values the pack reads through it with the root context
 * (`$`). At the pinned versions those are llm-d-router v0.10.0's `router.proxy.volumes`
 * (routerlib _deployment.yaml and _proxy-deployment.yaml: `tpl (toYaml .) $`) and its
 * `router.proxy.configMap.data` envoy.yaml (routerlib _helpers.tpl proxyConfigMapData; other keys
 * stay literal). GIE v1.5.0's epplib runs `inferenceExtension.sidecar.volumes` through it too, which
 * the pack reads only as given or not; istio 1.30.3's istiod `initContainers` (not read here) is the
 * Istio charts' one use, and agentgateway v1.4.1's charts have none.
 *
 * Only the common actions are rendered: `{{ .Release.Name }}`, `{{ .Release.Namespace }}` and
 * `{{ .Values.<path> }}` of a scalar the release's values give, with Go's `{{- ` / ` -}}` trim
 * markers. Anything else (a pipeline, `include`, a function, a value the values leave to the chart's
 * defaults) makes the whole text unknown here, so no verdict rests on a guess.
 */
import * as yaml from "js-yaml";
import { isObject } from "./values";
import { goPrintV } from "./picker-release-flags";

/** What `tpl` reads from the root context: the release's name (unknown for an auto-named release), namespace and values. */
export interface TplScope {
  releaseName?: string;
  namespace?: string;
  values: unknown;
}

/** Go template's whitespace, which the trim markers remove (text/template/parse lex.go isSpace). */
const SPACE = /^[ \t\r\n]/;
const FIELD = /^\.(?:Release\.(Name|Namespace)|Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+))$/;

/** A key path of the values' own maps (a list or a scalar has no fields: the chart fails to render there). */
function valueAt(values: unknown, path: string[]): unknown {
  let cur = values;
  for (const key of path) {
    if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** What one action prints: a scalar as Go's `%v` prints it; undefined where it is not one of the forms read here. */
function printed(action: string, scope: TplScope): string | undefined {
  const m = FIELD.exec(action);
  if (!m) return undefined;
  const v = m[1] === "Name" ? scope.releaseName : m[1] === "Namespace" ? scope.namespace : valueAt(scope.values, m[2].slice(1).split("."));
  return typeof v === "string" || typeof v === "boolean" || typeof v === "number" ? goPrintV(v) : undefined;
}

/** `text` as `tpl` renders it; undefined where it holds an action not read here. */
export function tplText(text: string, scope: TplScope): string | undefined {
  let out = "";
  let at = 0;
  for (;;) {
    const open = text.indexOf("{{", at);
    if (open < 0) return out + text.slice(at);
    const close = text.indexOf("}}", open + 2);
    if (close < 0) return undefined;
    let inner = text.slice(open + 2, close);
    let before = text.slice(at, open);
    const trimLeft = inner.startsWith("-") && SPACE.test(inner.slice(1));
    const trimRight = inner.endsWith("-") && SPACE.test(inner.slice(-2, -1));
    if (trimLeft) {
      before = before.replace(/[ \t\r\n]+$/, "");
      inner = inner.slice(1);
    }
    if (trimRight) inner = inner.slice(0, -1);
    const value = printed(inner.trim(), scope);
    if (value === undefined) return undefined;
    out += before + value;
    at = close + 2;
    if (trimRight) while (at < text.length && SPACE.test(text[at])) at++;
  }
}

/**
 * A value as `tpl (toYaml .) $` renders it, each string read back as the YAML scalar Helm then reads:
 * a rendered string is kept only where it is plain text that reads back as itself (no quote, colon
 * or other YAML syntax, not a number or boolean), so the rendering cannot change the document's
 * shape. Undefined where any part is not known here (or a key is templated).
 */
export function tplYamlValue(value: unknown, scope: TplScope): unknown {
  if (typeof value === "string") {
    if (!value.includes("{{")) return value;
    const rendered = tplText(value, scope);
    return rendered !== undefined && /^[A-Za-z0-9._/-]+$/.test(rendered) && yaml.load(rendered) === rendered ? rendered : undefined;
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => tplYamlValue(v, scope));
    return items.some((v, i) => v === undefined && value[i] !== undefined) ? undefined : items;
  }
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.includes("{{")) return undefined;
    const r = tplYamlValue(v, scope);
    if (r === undefined && v !== undefined) return undefined;
    out[k] = r;
  }
  return out;
}
