/**
 * Whether a resource's state says two things (its inputs and outputs differ beyond what the
 * cluster fills in): review.ts then judges it on both sides.
 */
import type { ExportedResource } from "./review-wire";

/** Fields only a live object has: the API server's bookkeeping, not what anyone declared. */
const LIVE_METADATA = ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"];

/**
 * API groups the API server serves itself (with "core" and the groups without a dot: apps, batch,
 * policy, autoscaling), whose typed objects come back with top-level fields it fills in: a
 * Namespace's spec.finalizers, an empty spec of a struct, a token Secret's data, a Secret's type.
 */
const BUILT_IN_GROUPS = new Set([
  "rbac.authorization.k8s.io", "networking.k8s.io", "storage.k8s.io", "scheduling.k8s.io", "node.k8s.io", "discovery.k8s.io", "coordination.k8s.io",
  "events.k8s.io", "certificates.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io", "flowcontrol.apiserver.k8s.io",
  "resource.k8s.io", "storagemigration.k8s.io", "internal.apiserver.k8s.io",
]);

/**
 * Whether the cluster may add top-level fields to what was declared: yes for built-in kinds and
 * for pulumi-kubernetes' own resources (a Helm release); not for a custom resource, which the
 * API server stores as sent, adding only `status` (the CRDs' only top-level defaults), so a
 * `spec` its inputs lack was removed from what the program declares.
 */
function clusterFillsTopLevel(type: string): boolean {
  const group = type.split(":")[1]?.split("/")[0] ?? "";
  return !group.includes(".") || group === "helm.sh" || BUILT_IN_GROUPS.has(group);
}

function declared(props: Record<string, unknown>, keys?: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) {
    // A top-level field only the live object has is filled in by the cluster (a token Secret's
    // `data`, `status`), not declared by anyone.
    if (k.startsWith("__") || k === "status" || (keys && !(k in keys))) continue;
    if (k === "metadata" && v && typeof v === "object" && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([mk]) => !LIVE_METADATA.includes(mk)));
    } else out[k] = v;
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object" || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => sameValue(v, (b as unknown[])[i]));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => k in (b as object) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const isEmpty = (props: Record<string, unknown> | undefined) => props === undefined || Object.keys(props).length === 0;

/**
 * Whether a Kubernetes object's state holds only its live object: outputs without inputs. A program
 * never registers one so (the SDK declares at least apiVersion and kind), and pulumi-kubernetes'
 * import and refresh fill the inputs in from the live object (provider.go Read, `readFromCluster`),
 * so such a file was cut down by hand or by a tool; its outputs are all it says the object is, and
 * judging the empty inputs instead passed every resource policy (an image at `latest`) and told the
 * stack policies the object was missing. Components are left out: a Helm v4 Chart's state has no
 * inputs by design and its outputs are the resources it made, not an object.
 */
export function outputsOnly(r: ExportedResource): boolean {
  if (r.custom === false || !r.type.startsWith("kubernetes:") || r.type.startsWith("pulumi:providers:")) return false;
  return isEmpty(r.inputs) && !isEmpty(r.outputs);
}

/**
 * Whether a Kubernetes object's (or component's) state says two things: its inputs and outputs
 * differ beyond the live object's bookkeeping (status, uid, managedFields…, and top-level fields
 * the cluster fills in). A render of ours never
 * does; a real export does wherever the API server defaulted or normalized a field, a hand-edited
 * file or a drifted object that was refreshed does where the edit is.
 */
export function sidesDisagree(r: ExportedResource): boolean {
  // A read resource's inputs are what `.get()` was given, not what anyone declared.
  if (r.external || outputsOnly(r) || !r.type.startsWith("kubernetes:") || r.type.startsWith("pulumi:providers:") || r.inputs === undefined || r.outputs === undefined) return false;
  // No outputs yet: an object a preview is about to create, not a second opinion.
  if (Object.keys(r.outputs).length === 0) return false;
  return !sameValue(declared(r.inputs), declared(r.outputs, clusterFillsTopLevel(r.type) ? r.inputs : undefined));
}
