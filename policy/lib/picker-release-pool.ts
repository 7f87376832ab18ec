/**
 * The pool (or selector) a chart's picker is started for, as llm-d-router v0.10.0's routerlib and
 * GIE v1.5.0's epplib render its args (_deployment.yaml): `--pool-name <release> --pool-namespace
 * <namespace> --pool-group inference.networking.k8s.io`, or in standalone mode `--endpoint-selector
 * <selector>`, then the values' flags, which pflag lets replace the chart's. Both pickers' Validate
 * (pkg/epp/server/options.go) takes exactly one of a pool name and a selector, and their health
 * server (cmd/epp/runner/health.go) answers NOT_SERVING until the pool named is synced, so a picker
 * watching a pool nobody renders is never Ready; one watching another pool of the stack picks, for the
 * chart's own pool (whose endpointPickerRef names its Service), among that pool's model servers (the
 * picker's datastore holds the pods of the one pool its flags name). Read by picker-release-serving.ts.
 */
import type { PolicyResource } from "@pulumi/policy";
import { dig, isInferencePool, meta } from "./k8s";
import { goPrintV, givenFlags } from "./picker-release-flags";
import { gieStandaloneMode } from "./picker-release-gie";
import type { ChartRelease } from "./picker-release-serving";
import type { Report } from "./picker-service";

const GROUP = "inference.networking.k8s.io";

/** Whether the chart starts its picker with --endpoint-selector (standalone mode), and which selector and why. */
function chartSelector(rel: ChartRelease): { selector: string; why: string } | undefined {
  if (rel.gie) {
    if (!gieStandaloneMode(rel.values, rel.chart)) return undefined;
    const s = dig(rel.values, "inferenceExtension.endpointsServer.endpointSelector");
    return { selector: s === null || s === undefined ? "" : goPrintV(s), why: "inferenceExtension.endpointsServer.createInferencePool false" };
  }
  if (dig(rel.values, "router.inferencePool.create") !== false) return undefined;
  const labels = dig(rel.values, "router.modelServers.matchLabels");
  const pairs = labels && typeof labels === "object" ? Object.keys(labels).sort().map((k) => `${k}=${goPrintV((labels as Record<string, unknown>)[k])}`) : [];
  return { selector: pairs.join(","), why: "router.inferencePool.create false" };
}

/**
 * A chart release's picker against the pool its args name: refused at start where it is given both a
 * pool and a selector, or neither; never Ready where it watches a pool neither a hand-written
 * InferencePool nor a chart release (`chartPools`, namespace/name) of the cluster renders; and, where
 * the chart renders its own pool (whose endpointPickerRef names `ownPickerRef`, the picker's Service),
 * picking that pool's requests among another pool's servers where it watches another pool of the stack.
 */
export function checkPoolFlags(rel: ChartRelease, resources: PolicyResource[], chartPools: string[], ownPickerRef: string | undefined, report: Report): void {
  // epplib renders a null flag as an empty value, which replaces the chart's pool or selector as "" does.
  const flags = givenFlags(rel.values, rel.epp, true);
  const at = (k: string) => `${rel.epp}.flags.${k}`;
  const nulled = (k: string) => rel.gie && dig(rel.values, `${at(k)}`) === null;
  const str = (k: string) => (k in flags ? goPrintV(flags[k]) : undefined);
  const standalone = chartSelector(rel);
  const own = rel.name;
  const name = str("pool-name") ?? (standalone ? "" : own);
  const selector = str("endpoint-selector") ?? standalone?.selector ?? "";
  if (name === undefined) return; // An auto-named release: its pool's name is not known here.
  const lib = rel.gie ? "epplib" : "routerlib";
  const refused = `(Validate, pkg/epp/server/options.go: "either pool-name or endpoint-selector must be set"), so it exits at start and crash-loops, and every request to its pool fails (or, FailOpen, skips the picker)`;
  if (name !== "" && selector !== "") {
    const what =
      "pool-name" in flags && standalone
        ? `${at("pool-name")} ${JSON.stringify(name)} gives the picker --pool-name beside the --endpoint-selector ${JSON.stringify(selector)} the chart passes in standalone mode (${standalone.why})`
        : "endpoint-selector" in flags && !standalone
          ? `${at("endpoint-selector")} ${JSON.stringify(selector)} gives the picker --endpoint-selector beside the --pool-name ${own} the chart passes (${lib} _deployment.yaml)`
          : `${at("pool-name")} and ${at("endpoint-selector")} give the picker both a pool and a selector`;
    report(`${rel.lead}: ${what}, and the picker refuses the two together ${refused}; give it one of the two`, rel.resource.urn);
    return;
  }
  if (name === "" && selector === "") {
    const what =
      "pool-name" in flags && !standalone
        ? `${at("pool-name")} ${nulled("pool-name") ? `is null, which epplib renders as an empty value ("{{ $value }}" of a nil prints <no value>, which Helm's engine empties; Helm v3 keeps the null under the subchart's key), so it` : '""'} empties the --pool-name ${own} the chart passes, and with no --endpoint-selector`
        : `the chart passes no --pool-name and an empty --endpoint-selector (${standalone ? `${standalone.why} and no selector given` : "by the values' flags"}), and with neither`;
    report(`${rel.lead}: ${what} the picker refuses to start ${refused}; give it a pool or a selector`, rel.resource.urn);
    return;
  }
  if (name === "") return;
  const namespace = str("pool-namespace") || rel.namespace;
  const group = str("pool-group") || GROUP;
  if (name === own && namespace === rel.namespace && group === GROUP && chartPools.includes(`${rel.namespace}/${own}`)) return;
  const handWritten = resources.some((r) => isInferencePool(r.type) && r.type.split(":")[1].startsWith(`${group}/`) && meta(r.props).name === name && (meta(r.props).namespace ?? "default") === namespace);
  const byChart = group === GROUP && chartPools.includes(`${namespace}/${name}`);
  const by = ["pool-name", "pool-namespace", "pool-group"].filter((k) => str(k)).map((k) => `${at(k)} ${JSON.stringify(str(k))}`);
  const replaced = "pool-name" in flags ? `replaces the --pool-name ${own} the chart passes (pflag keeps the last)` : `replaces the chart's --pool-namespace ${rel.namespace} or --pool-group ${GROUP} (pflag keeps the last)`;
  const watched = `InferencePool ${namespace}/${name}${group === GROUP ? "" : ` (group ${group})`}`;
  if (!handWritten && !byChart) {
    report(
      `${rel.lead}: ${by.join(" and ")} ${replaced}, so the picker watches ${watched}, which this stack does not render: its datastore never syncs a pool, its health server answers NOT_SERVING (cmd/epp/runner/health.go), so its probes fail, the pod is never Ready and is restarted, and every request to the chart's pool fails (or, FailOpen, skips the picker); drop the flag, or render that pool`,
      rel.resource.urn,
    );
    return;
  }
  // A picker with no pool of its own (standalone) is named by no pool's endpointPickerRef: it may watch any pool.
  if (ownPickerRef === undefined) return;
  const whose = handWritten ? "a hand-written one" : `Helm release ${namespace}/${name}'s`;
  report(
    `${rel.lead}: ${by.join(" and ")} ${replaced}, so the picker watches ${watched} (${whose}), not the chart's own InferencePool ${rel.namespace}/${own}, whose endpointPickerRef names this picker's Service ${ownPickerRef}: it picks among ${namespace}/${name}'s model servers, so the requests a gateway sends to ${rel.namespace}/${own} go to them (and ${namespace}/${name}'s objectives and rewrites, not its own, apply to them); drop the flag (the chart passes --pool-name ${own} --pool-namespace ${rel.namespace}), or route to ${namespace}/${name} instead`,
    rel.resource.urn,
  );
}
