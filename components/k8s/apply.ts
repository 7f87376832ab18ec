/**
 * Turns plain manifest objects (what the pure cores compute) into Pulumi resources bound to one
 * cluster's provider. Core kinds become their typed classes, so their engine types are the real
 * `kubernetes:<group>/<version>:<Kind>` tokens; everything else is a CustomResource.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** A Kubernetes object as the pure cores build it; values may be Pulumi inputs (e.g. secrets). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

type ResourceCtor = new (name: string, args: any, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

const typed: Record<string, ResourceCtor> = {
  "v1/Namespace": k8s.core.v1.Namespace,
  "v1/ServiceAccount": k8s.core.v1.ServiceAccount,
  "v1/Secret": k8s.core.v1.Secret,
  "v1/ConfigMap": k8s.core.v1.ConfigMap,
  "v1/Service": k8s.core.v1.Service,
  "apps/v1/Deployment": k8s.apps.v1.Deployment,
  "apps/v1/DaemonSet": k8s.apps.v1.DaemonSet,
  "policy/v1/PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
  "rbac.authorization.k8s.io/v1/Role": k8s.rbac.v1.Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": k8s.rbac.v1.RoleBinding,
  "rbac.authorization.k8s.io/v1/ClusterRole": k8s.rbac.v1.ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": k8s.rbac.v1.ClusterRoleBinding,
};

/** Options every object applied on a cluster shares. */
export interface ApplyOptions {
  provider: k8s.Provider;
  parent: pulumi.Resource;
  dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
  /**
   * Earlier URNs of an object (`aliases`), for one whose owning component depends on the config.
   * A changed URN is a create and a delete to the engine, and pulumi-kubernetes creates with a
   * plain create since 4.29 (pulumi/pulumi-kubernetes#4278): the new URN's create fails with
   * AlreadyExists on the object the old URN still holds, and `pulumi up` stops.
   */
  aliases?: (m: Manifest) => pulumi.Input<string | pulumi.Alias>[] | undefined;
}

/** Pulumi logical name of an object: `<cluster>-<namespace>-<kind>-<name>`, unique per stack. */
export function logicalName(cluster: string, m: Manifest): string {
  const ns = m.metadata.namespace ? `${m.metadata.namespace}-` : "";
  return `${cluster}-${ns}${m.kind.toLowerCase()}-${m.metadata.name}`;
}

/** Creates one resource for a manifest on the given cluster. */
export function applyManifest(cluster: string, manifest: Manifest, opts: ApplyOptions): pulumi.CustomResource {
  const ctor = typed[`${manifest.apiVersion}/${manifest.kind}`];
  const resourceOpts: pulumi.CustomResourceOptions = {
    provider: opts.provider,
    parent: opts.parent,
    dependsOn: opts.dependsOn,
    ...(opts.aliases?.(manifest)?.length ? { aliases: opts.aliases(manifest) } : {}),
  };
  const name = logicalName(cluster, manifest);
  if (ctor) return new ctor(name, manifest, resourceOpts);
  return new k8s.apiextensions.CustomResource(name, manifest as k8s.apiextensions.CustomResourceArgs, resourceOpts);
}

/** The key `applyManifests` files an object's resource under: `<Kind>/<namespace>/<name>`. */
export function manifestKey(m: Pick<Manifest, "kind" | "metadata">): string {
  return `${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`;
}

/** Applies manifests in order; returns the resources keyed by `manifestKey`. */
export function applyManifests(cluster: string, manifests: Manifest[], opts: ApplyOptions): Map<string, pulumi.CustomResource> {
  const out = new Map<string, pulumi.CustomResource>();
  for (const m of manifests) out.set(manifestKey(m), applyManifest(cluster, m, opts));
  return out;
}

/**
 * `app.kubernetes.io/version` for a workload whose version is its image: the tag, else the digest
 * shortened (`sha256-0123456789ab`), since a 64-character digest is over a label value's 63
 * characters; a tag is cut to 63 with its first and last characters alphanumeric, as label values
 * must be (a tag may start with `_`, which a label value may not: the API server would refuse the
 * Deployment).
 */
export function imageVersionLabel(image: string): string | undefined {
  const [ref, digest] = image.split("@");
  const lastSlash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  const tag = colon > lastSlash ? ref.slice(colon + 1) : undefined;
  const raw = tag ?? (digest ? digest.replace(":", "-").slice(0, 19) : undefined);
  const value = raw?.replace(/^[^A-Za-z0-9]+/, "").slice(0, 63).replace(/[^A-Za-z0-9]+$/, "");
  return value || undefined;
}

/** Recommended `app.kubernetes.io/*` labels. */
export function appLabels(args: { name: string; instance: string; version?: string; component: string }): Record<string, string> {
  return {
    "app.kubernetes.io/name": args.name,
    "app.kubernetes.io/instance": args.instance,
    ...(args.version ? { "app.kubernetes.io/version": args.version } : {}),
    "app.kubernetes.io/component": args.component,
    "app.kubernetes.io/part-of": "inference-mesh",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}
