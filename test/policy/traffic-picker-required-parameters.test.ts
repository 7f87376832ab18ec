/**
 * Policy tests for the parameters of llm-d-router v0.10.0's plugins that cannot start without them:
 * k8s-notification-source, header-label-affinity-scorer, request-attribute-reporter and
 * disaggregatedset-rollout-screener, as their factories decode and check them.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { pickerConfigProblems } from "../../policy/lib/picker-config";
import { endpointPickerConfig } from "../../components/inference/epp";
import { labelSelectorError } from "../../policy/lib/label-selector-text";

const base = endpointPickerConfig({ queue: 2, kvCacheUtilization: 2, prefixCache: 3 }) as Record<string, any>;
const at = (type: string, parameters: unknown) =>
  pickerConfigProblems(yaml.dump({ ...base, plugins: [...base.plugins, { name: "p", type, parameters }] }), false).filter((m) => !/Alpha/.test(m));
const screener = (more: Record<string, unknown>) => ({ scope: { labelSelector: "app=vllm" }, revisionGating: { mode: "sum", requireRoles: { values: ["prefill", "decode"] } }, ...more });

test("picker config: parameters of the plugins that require them, as v0.10.0 takes them", () => {
  assert.deepEqual(at("k8s-notification-source", { group: "", version: "v1", kind: "ConfigMap" }), []);
  assert.deepEqual(at("header-label-affinity-scorer", { headerName: "X-Revision", labelKey: "app.kubernetes.io/version" }), []);
  assert.deepEqual(at("request-attribute-reporter", { attributes: [{ key: { name: "tokens" }, expression: "usage.completion_tokens", condition: "has(usage.completion_tokens)" }] }), []);
  assert.deepEqual(at("disaggregatedset-rollout-screener", screener({ headerSelectors: [{ name: "rev", headerName: "X-Rev", labelKey: "rev", mode: "strict" }] })), []);
  assert.deepEqual(at("disaggregatedset-rollout-screener", { scope: { labelSelector: "app in (a,b),!canary" }, revisionGating: { mode: "disabled" } }), []);
});

test("picker config: parameters of the plugins that require them, refused at start", () => {
  assert.deepEqual(at("k8s-notification-source", null), ['plugins[5].parameters is not given to k8s-notification-source, whose factory refuses to start without them ("requires parameters")']);
  assert.deepEqual(at("k8s-notification-source", { group: "apps", kind: "Deployment" }), ['plugins[5].parameters.version is empty or unset, which k8s-notification-source\'s factory refuses ("version and kind are required")']);
  assert.match(at("k8s-notification-source", { version: "v1", kind: "Pod", namespace: "x" }).join("\n"), /namespace is not a parameter k8s-notification-source's factory decodes/);
  assert.deepEqual(at("header-label-affinity-scorer", { headerName: "x-rev" }), ['plugins[5].parameters.labelKey is empty or unset, which header-label-affinity-scorer\'s factory refuses ("labelKey is required")']);
  assert.match(at("request-attribute-reporter", undefined).join("\n"), /not given to request-attribute-reporter, .*the picker panics at start/);
  assert.deepEqual(at("request-attribute-reporter", { attributes: [] }), ['plugins[5].parameters.attributes holds 0 entries, which request-attribute-reporter\'s factory refuses ("attributes must contain exactly one entry")']);
  assert.match(at("request-attribute-reporter", { attributes: [{ key: { namespace: "envoy.lb" }, expression: "1" }] }).join("\n"), /attributes\[0\]\.key\.name is empty or unset/);
  assert.match(at("request-attribute-reporter", { attributes: [{ key: { name: "n" }, expr: "1" }] }).join("\n"), /expr is not a parameter request-attribute-reporter's factory decodes/);
  // Before, the expressions were never read: both of these passed.
  assert.deepEqual(at("request-attribute-reporter", { attributes: [{ key: { name: "n" }, expression: "usage.completion_tokens +", condition: "has(usage.completion_tokens)" }] }), [
    'plugins[5].parameters.attributes[0].expression "usage.completion_tokens +" does not parse as CEL at character 26: expected an operand, found the end of the expression, which request-attribute-reporter\'s factory refuses ("failed to compile expression"): the picker exits at start',
  ]);
  assert.deepEqual(at("request-attribute-reporter", { attributes: [{ key: { name: "n" }, expression: "usage.prompt_tokens", condition: "usage.prompt_tokens = 0" }] }), [
    'plugins[5].parameters.attributes[0].condition "usage.prompt_tokens = 0" does not parse as CEL at character 21: unexpected character "=", which request-attribute-reporter\'s factory refuses ("failed to compile condition"): the picker exits at start',
  ]);
  // cel-go (parser.go VisitInt: strconv.ParseInt) refuses an int literal past 64 bits, and a reserved word as a name (reservedIds).
  assert.match(at("request-attribute-reporter", { attributes: [{ key: { name: "n" }, expression: "usage.prompt_tokens", condition: "usage.prompt_tokens > 9223372036854775808" }] }).join("\n"), /condition .* does not parse as CEL at character 23: invalid int literal/);
  assert.match(at("request-attribute-reporter", { attributes: [{ key: { name: "n" }, expression: "namespace" }] }).join("\n"), /expression "namespace" does not parse as CEL at character 1: "namespace" is a reserved word/);
  // llm-d-router v0.10.0 requestattributereporter/plugin.go builds its env with cel.NewEnv(cel.Variable("usage", ...)) only:
  // no cel.OptionalTypes(), the one option that turns on parser.EnableOptionalSyntax (cel-go cel/library.go), so
  // cel-go's parser reports each optional form as "unsupported syntax" (parser/parser.go).
  assert.match(at("request-attribute-reporter", { attributes: [{ key: { name: "n" }, expression: "usage.?completion_tokens.orValue(0)" }] }).join("\n"), /expression "usage\.\?completion_tokens\.orValue\(0\)" does not parse as CEL at character 6: unsupported syntax '\.\?'/);
  assert.match(at("request-attribute-reporter", { attributes: [{ key: { name: "n" }, expression: "1", condition: "[?usage.x].size() > 0" }] }).join("\n"), /condition .* does not parse as CEL at character 2: unsupported syntax '\?'/);
  assert.deepEqual(at("disaggregatedset-rollout-screener", { scope: { labelSelector: "app=vllm" } }), ['plugins[5].parameters.revisionGating is unset, which disaggregatedset-rollout-screener\'s factory refuses ("revisionGating is required"; mode disabled turns gating off)']);
  assert.match(at("disaggregatedset-rollout-screener", screener({ scope: { labelSelector: "app=(vllm)" } })).join("\n"), /scope\.labelSelector "app=\(vllm\)" is not a Kubernetes label selector/);
  assert.match(at("disaggregatedset-rollout-screener", screener({ scope: {} })).join("\n"), /scope\.labelSelector is empty or unset/);
  assert.match(at("disaggregatedset-rollout-screener", screener({ headerSelectors: [{ name: "a", headerName: "X-Rev", labelKey: "rev" }] })).join("\n"), /headerSelectors\[0\]\.mode "" is neither strict nor prefer/);
  assert.match(at("disaggregatedset-rollout-screener", screener({ headerSelectors: [{ name: "a", headerName: "X-Rev", labelKey: "r", mode: "strict" }, { name: "b", headerName: "x-rev", labelKey: "r", mode: "prefer" }] })).join("\n"), /headerSelectors\[1\]\.headerName "x-rev" is another selector's header too/);
  assert.match(at("disaggregatedset-rollout-screener", screener({ revisionGating: { mode: "weighted", requireRoles: { values: ["decode"] } } })).join("\n"), /revisionGating\.mode "weighted" is none of sum, max-role, disabled/);
  assert.match(at("disaggregatedset-rollout-screener", screener({ revisionGating: { mode: "max-role" } })).join("\n"), /requireRoles is unset under mode max-role/);
  assert.match(at("disaggregatedset-rollout-screener", screener({ revisionGating: { mode: "sum", requireRoles: { values: ["decode", "decode"] } } })).join("\n"), /values\[1\] "decode" is listed twice/);
  assert.match(at("disaggregatedset-rollout-screener", screener({ revisionGating: { mode: "disabled", requireRoles: { values: ["decode"] } } })).join("\n"), /requireRoles is never read under mode disabled/);
});

test("label selectors as apimachinery v0.35.7 labels.Parse reads them", () => {
  for (const ok of ["", "app=vllm", "a==b,!c", "t in (a,)", "t notin ()", "a=", "a>5", "example.com/app!=v", "in=x"]) assert.equal(labelSelectorError(ok), undefined, ok);
  for (const bad of ["a<x", "a b", "!a=b", "a in b", "a,", "Example.com/app=v", "a=b-", "a=(b)", "a in (b c)"]) assert.notEqual(labelSelectorError(bad), undefined, bad);
});

test("picker config: a rollout screener's prefer selector needs a header-label-affinity-scorer repeating it", () => {
  const selector = { name: "slice", headerName: "X-Disagg-Slice", labelKey: "disaggregatedset.x-k8s.io/slice", mode: "prefer" };
  const withPlugins = (more: unknown[]) =>
    pickerConfigProblems(yaml.dump({ ...base, plugins: [...base.plugins, { name: "s", type: "disaggregatedset-rollout-screener", parameters: screener({ headerSelectors: [selector] }) }, ...more] }), true);
  assert.deepEqual(withPlugins([{ name: "a", type: "header-label-affinity-scorer", parameters: { headerName: "x-disagg-slice", labelKey: "disaggregatedset.x-k8s.io/slice" } }]), []);
  assert.deepEqual(withPlugins([{ name: "a", type: "header-label-affinity-scorer", parameters: { headerName: "x-disagg-slice", labelKey: "slice" } }]), [
    'plugins[5].parameters.headerSelectors[0] prefers label "disaggregatedset.x-k8s.io/slice" by header "X-Disagg-Slice", but no header-label-affinity-scorer of plugins[] repeats that header and label, so nothing applies the preference (picks otherwise than the config reads)',
  ]);
});

test("picker config: one k8s-notification-source per GVK among the data layer's sources", () => {
  const source = (name: string, kind: string) => ({ name, type: "k8s-notification-source", parameters: { version: "v1", kind } });
  const config = (kinds: [string, string]) =>
    pickerConfigProblems(yaml.dump({ ...base, plugins: [...base.plugins, source("a", kinds[0]), source("b", kinds[1])], dataLayer: { sources: [{ pluginRef: "a" }, { pluginRef: "b" }] } }), false);
  assert.deepEqual(config(["Pod", "ConfigMap"]), []);
  assert.deepEqual(config(["Pod", "Pod"]), [
    'dataLayer.sources[1] references k8s-notification-source "b", watching /v1, Kind=Pod like "a", which the picker\'s data layer refuses ("duplicate notification source GVK"): one source per GVK',
  ]);
});
