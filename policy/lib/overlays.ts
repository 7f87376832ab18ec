/**
 * Pod specs that overlays lay over workloads a controller generates (agentgateway's proxies here;
 * Istio's gateway overlays in istio-overlays.ts): rules judging pods must read them too.
 */
import { dig } from "./k8s";
import { probe } from "./values";

/** The pod specs (`spec.template.spec`) overlays patch in, named by where they come from. */
export interface OverlayPodSpecs {
  specs: { overlay: string; spec: Record<string, any> }[];
  /** Overlays this run cannot read: not known in this preview, or YAML this pack does not read. */
  unknown: string[];
}

/** An overlay's `spec.template.spec` when it patches one (an object), else undefined. */
export function templatePodSpec(overlay: unknown): Record<string, any> | undefined {
  const spec = dig(overlay, "spec.template.spec");
  return spec && typeof spec === "object" && !Array.isArray(spec) ? (spec as Record<string, any>) : undefined;
}

/**
 * The pod specs an AgentgatewayParameters lays over the proxy workload it generates: its
 * `deployment` and `daemonSet` overlays are strategic-merge patches of the generated object, so
 * their `spec.template.spec` adds or changes containers (merged by name), tolerations, node
 * selection. `unknown` names the overlays this preview cannot read (a rule cannot judge them).
 */
export function agentgatewayOverlayPodSpecs(props: Record<string, any>): OverlayPodSpecs {
  const out: OverlayPodSpecs = { specs: [], unknown: [] };
  for (const overlay of ["deployment", "daemonSet"]) {
    const read = probe(() => templatePodSpec(props?.spec?.[overlay]));
    if (!read.known) out.unknown.push(`its ${overlay} overlay`);
    else if (read.value) out.specs.push({ overlay, spec: read.value });
  }
  return out;
}
