/**
 * The objects that reach an InferencePool only through its endpoint picker: InferenceObjectives
 * (a request's priority) and InferenceModelRewrites (a model's rename or weighted split between
 * versions). Read by inference-pool-epp.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isKind, meta } from "./k8s";
import type { Report } from "./picker-service";
import { poolAbsence } from "./pool-existence";
import { probe } from "./values";

/** Both served groups: llm-d.ai (llm-d-router v0.9.0 on) and the deprecated inference.networking.x-k8s.io. */
const PICKER_GROUPS = ["llm-d.ai", "inference.networking.x-k8s.io"];
const PICKER_KINDS = ["InferenceObjective", "InferenceModelRewrite"];

/** The CRDs' default for `spec.poolRef.group` (llm-d-router v0.10.0 and GIE v1.5.0 alike). */
const DEFAULT_POOL_GROUP = "inference.networking.k8s.io";

const pickerObjectKind = (type: string) => PICKER_KINDS.find((kind) => PICKER_GROUPS.some((group) => isKind(type, group, kind)));

/**
 * An InferenceObjective or InferenceModelRewrite whose `poolRef` names no InferencePool of the
 * stack in its own namespace on that cluster, of the group the reference gives. No picker ever
 * reads it: llm-d-router v0.10.0 caches these objects only in its pool's namespace
 * (pkg/epp/server/controller_manager.go) and its reconcilers keep only those whose poolRef name
 * and group are its pool's (pkg/epp/controller/inferenceobjective_reconciler.go,
 * inferencemodelrewrite_reconciler.go); the API server accepts the object all the same. So an
 * objective's priority silently never applies (requests naming it get the default, 0:
 * requestcontrol/director.go getInferenceObjective), and a rewrite never renames or splits its
 * model. Whether the pool exists is pool-existence.ts poolAbsence's answer.
 */
export function checkPickerObjectPools(resources: PolicyResource[], cluster: string, report: Report, pending: string[]): void {
  for (const r of resources) {
    const kind = pickerObjectKind(r.type);
    if (!kind) continue;
    const read = probe(() => {
      const { namespace, name } = meta(r.props);
      const ref = r.props.spec?.poolRef as { group?: unknown; name?: unknown } | undefined;
      // The API server defaults an absent group; an empty one is the core group, which holds no pools.
      return { namespace, name, ref: ref && typeof ref.name === "string" ? { group: typeof ref.group === "string" ? ref.group : DEFAULT_POOL_GROUP, name: ref.name } : undefined };
    });
    if (!read.known) {
      pending.push(`the poolRef of an ${kind} on ${cluster}`);
      continue;
    }
    const { namespace, name, ref } = read.value;
    const what = `${kind} ${namespace}/${name} on ${cluster}`;
    const effect =
      kind === "InferenceObjective"
        ? "its priority never applies (requests naming it get the default priority, 0)"
        : "its rules never rename or split the model's requests";
    if (!ref) {
      report(`${what} has no spec.poolRef.name, so no endpoint picker reads it and ${effect}; name the InferencePool (in ${namespace}) whose picker should apply it`, r.urn);
      continue;
    }
    const absent = probe(() => poolAbsence(resources, { ...ref, namespace }));
    if (!absent.known) {
      pending.push(`the InferencePools and Helm releases in ${namespace} on ${cluster} that decide whether ${what}'s poolRef names a pool`);
      continue;
    }
    if (!absent.value) continue;
    const { otherGroup } = absent.value;
    const why = otherGroup ? `names group ${JSON.stringify(ref.group)}, but that pool is of group ${otherGroup}` : `is not in the stack on ${cluster} (a poolRef reaches only a pool in the ${kind}'s own namespace)`;
    report(
      `${what}: poolRef InferencePool ${namespace}/${ref.name} ${why}, so no endpoint picker reads it (llm-d-router takes only the objects whose poolRef name and group are its own pool's, in its namespace) and ${effect}; point poolRef at a pool of this cluster in ${namespace}`,
      r.urn,
    );
  }
}
