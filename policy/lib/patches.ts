import { isKind, isWorkload } from "./k8s";

/*
 * `<Kind>Patch` resources. pulumi-kubernetes models a server-side-apply patch of an existing object
 * as a resource of its own, typed `kubernetes:<group>/<version>:<Kind>Patch`: the typed classes
 * (core/v1 NamespacePatch, apps/v1 DeploymentPatch, …) and apiextensions.CustomResourcePatch,
 * which registers `kubernetes:${apiVersion}:${kind}Patch` (apiextensions/customResourcePatch.js);
 * the provider tells a patch apart by its type name being the object's kind + "Patch"
 * (provider/pkg/kinds/util.go IsPatchResource). A patch holds only the fields it sets: a field it
 * sets is judged like the object's own, and one it leaves out changes nothing, so checks for
 * something missing never apply to a patch.
 */

/** The type of the object a `<Kind>Patch` patches (`…:DeploymentPatch` → `…:Deployment`); any other type unchanged. */
export function patchedType(type: string): string {
  return /^kubernetes:[^:]+:.+Patch$/.test(type) ? type.slice(0, -"Patch".length) : type;
}

/** Whether a type is a `<Kind>Patch` (judged for the fields it sets only). */
export const isPatch = (type: string) => patchedType(type) !== type;

/** {@link isKind}, or a `<Kind>Patch` of that kind: where a rule judges values a patch may set. */
export function isKindOrPatch(type: string, group: string, kind: string): boolean {
  return isKind(type, group, kind) || isKind(type, group, `${kind}Patch`);
}

/** A workload kind ({@link isWorkload}) or its `<Kind>Patch`; read its pod spec with `podSpecOf(patchedType(type), …)`. */
export const isWorkloadOrPatch = (type: string) => isWorkload(patchedType(type));
