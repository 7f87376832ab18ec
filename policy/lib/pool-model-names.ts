/**
 * Whether the vLLM servers behind a route's InferencePools serve the model the route matches on.
 * The body-based router sets `X-Gateway-Base-Model-Name` from the request's `model` (a LoRA
 * adapter's name mapped to its base model), and the inference routes match that header exactly;
 * the request then reaches vLLM's OpenAI server with the same `model`, which answers 404 ("The
 * model ... does not exist") for any name but its `--served-model-name` ones (`--model` where it
 * names none) and its LoRA adapters. Read by inference-pool-epp.
 */
import type { PolicyResource } from "@pulumi/policy";
import { containersOf, isInferencePool, kindName, meta, podSpecOf } from "./k8s";
import { isRoute } from "./gateways";
import { selectedWorkloads, type Report } from "./picker-service";
import { poolSelector } from "./pool-membership";
import { readsConfigFile, runsVllmHttp, vllmArgv, vllmOption, vllmOptionValues, type VllmContainer } from "./vllm-args";
import { list, probe } from "./values";

const BASE_MODEL_HEADER = "x-gateway-base-model-name";

/**
 * The names a vLLM OpenAI server answers for: its --served-model-name values (nargs +), else its
 * --model, read as vLLM reads them (vllm-args.ts); undefined where neither is given, where a
 * --config file the command line does not override may name them, or for an empty name (what
 * vLLM makes of one is not judged here).
 */
function servedNames(c: VllmContainer): string[] | undefined {
  const argv = vllmArgv(c);
  const names = vllmOptionValues(argv, "--served-model-name");
  if (names) return names.includes("") ? undefined : names;
  const model = readsConfigFile(argv) ? undefined : vllmOption(argv, ["--model"]);
  return model === undefined ? undefined : [model];
}

export function checkRouteModelNames(resources: PolicyResource[], cluster: string, report: Report, pending: string[]): void {
  for (const route of resources.filter((r) => isRoute(r.type))) {
    const read = probe(() => {
      const { namespace, name } = meta(route.props);
      const kind = route.type.split(":").pop()!;
      for (const rule of list(route.props.spec?.rules as { matches?: any[]; backendRefs?: any[] }[])) {
        const pools = list(rule?.backendRefs).filter((b) => b?.kind === "InferencePool" && (b.namespace ?? namespace) === namespace);
        for (const match of list(rule?.matches)) {
          const header = list(match?.headers as any[]).find((h) => String(h?.name).toLowerCase() === BASE_MODEL_HEADER && (h.type ?? "Exact") === "Exact");
          if (!header) continue;
          for (const ref of pools) {
            const pool = resources.find((r) => isInferencePool(r.type) && meta(r.props).namespace === namespace && meta(r.props).name === ref.name);
            if (!pool) continue;
            for (const w of selectedWorkloads(resources, namespace, poolSelector(pool))) {
              for (const c of containersOf(podSpecOf(w.type, w.props)) as { name?: string; command?: unknown; args?: unknown }[]) {
                const names = runsVllmHttp(c) ? servedNames(c) : undefined;
                if (!names || names.includes(String(header.value))) continue;
                report(
                  `${kind} ${namespace}/${name} on ${cluster}: a rule matching ${header.name}: ${JSON.stringify(header.value)} sends to InferencePool ${namespace}/${ref.name}, whose ${kindName(w.type)} ${namespace}/${meta(w.props).name} container ${String(c.name)} runs vLLM serving only ${names.map((n) => JSON.stringify(n)).join(", ")} (--served-model-name, else --model), so every request the rule takes (its body's model is that name) gets a 404 (the model does not exist); match the name the server serves, or serve that name`,
                  route.urn,
                );
              }
            }
          }
        }
      }
    });
    if (!read.known) pending.push(`the model names a route on ${cluster} matches`);
  }
}
