import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { cannotJudge, clusterOfProvider, clusterResolver, isDefaultProvider, kindName, KUBERNETES_COMPONENTS, providerName, T, unconfiguredClusters } from "../lib/k8s";
import { isPatch } from "../lib/patches";
import { configWithDefaults, orUnknown, probe, Probe } from "../lib/values";
import { setOf } from "../lib/config-schema";
import { isEksOwnProvider } from "../lib/eks";
import { providerTarget } from "../lib/provider-targets";

interface Config {
  /** Logical names of resources that belong on another cluster than the one their name starts with. */
  allowedCrossClusterNames: string[];
}
const defaults: Config = { allowedCrossClusterNames: [] };

/**
 * The object a resource manages on its cluster, as `<group>/<Kind> <namespace>/<name>`; undefined
 * for what manages no object of its own: the SDK's components, `<Kind>Patch` resources (they
 * patch an object another resource or controller owns, by design), and auto-named objects (a
 * random suffix keeps them apart). A Helm release is its release name in its namespace (Helm keeps
 * one release of a name per namespace). An object that names no namespace is keyed apart from one
 * that names it: the provider's default namespace may be either.
 */
function objectKey(r: PolicyResource): Probe<string | undefined> {
  return probe(() => {
    if (KUBERNETES_COMPONENTS.has(r.type)) return undefined;
    if (r.type === T.helmRelease) {
      const name = r.props.name as unknown;
      if (typeof name !== "string" || name === "") return undefined;
      const namespace = r.props.namespace as unknown;
      return `helm.sh/Release ${typeof namespace === "string" && namespace !== "" ? namespace : "(provider default)"}/${name}`;
    }
    const m = /^kubernetes:([^/]*)\/[^:]+:(.+)$/.exec(r.type);
    if (!m) return undefined;
    // pulumi-kubernetes tells a patch by its type name being the object's kind + "Patch"
    // (provider/pkg/kinds/util.go IsPatchResource); without a kind to compare, by the suffix.
    const kind = r.props.kind as unknown;
    if (typeof kind === "string" && kind !== "" ? m[2] === `${kind}Patch` : isPatch(r.type)) return undefined;
    const metadata = (r.props.metadata ?? {}) as Record<string, unknown>;
    const name = metadata.name;
    if (typeof name !== "string" || name === "") return undefined;
    const namespace = metadata.namespace;
    return `${m[1] === "core" ? "" : `${m[1]}/`}${m[2]} ${typeof namespace === "string" && namespace !== "" ? namespace : "(provider default)"}/${name}`;
  });
}

/**
 * A Kubernetes object belongs to exactly one resource on exactly one cluster. Two resources of the
 * stack managing the same object on one cluster fight over it (each `pulumi up` applies its own
 * copy, and deleting one deletes the other's object); a resource bound to another cluster's
 * provider puts its object on the wrong cluster, which then usually holds two, while the cluster
 * it was meant for lacks it. The engine accepts both: the provider is just an input.
 */
export const kubernetesClusterBinding: StackValidationPolicy = {
  name: "kubernetes-cluster-binding",
  description:
    "Every Kubernetes object is managed by one resource on its cluster: no two resources of the stack manage the same group/kind/namespace/name (a Helm release: namespace/release name) on one cluster, through one provider or two (@pulumi/eks's own `cluster.provider` beside the program's) (`<Kind>Patch` resources, which patch an object on purpose, and auto-named objects excepted); and, by the naming convention `<cluster>-<thing>` (a heuristic), no resource whose logical name starts with `<cluster>-` for another cluster of the stack (an explicit kubernetes provider `<cluster>-k8s`, or named otherwise) is bound to a provider whose cluster name it does not start with, as long as both clusters name their resources that way; allowedCrossClusterNames lists deliberate exceptions; and no two clusters' explicit kubernetes providers reach the same API server (the server of the kubeconfig's context, or the same kubeconfig file and context).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowedCrossClusterNames: {
        ...setOf({ type: "string", minLength: 1 }),
        default: defaults.allowedCrossClusterNames,
        description: "Logical names of resources that deliberately run on another cluster than the one their name starts with.",
      },
    },
  },
  validateStack: (args, report) => {
    const { allowedCrossClusterNames } = configWithDefaults(args, defaults);
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    const onProvider = (r: PolicyResource) => r.type.startsWith("kubernetes:") && !!r.provider && r.provider.type === T.k8sProvider;
    const objects = args.resources.filter(onProvider);
    const clusterOf = clusterResolver(args.resources);

    // One object, one resource per cluster. A cluster whose provider this preview cannot configure
    // hands over its objects without outputs: it is left out (as byCluster leaves it out), and the
    // check says it cannot run only when no cluster is left (a new stack's first preview).
    const unknownClusters = unconfiguredClusters(args.resources);
    if (unknownClusters.size > 0 && objects.every((r) => unknownClusters.has(clusterOf(r)!))) {
      pending.push(`whether two resources manage the same object on ${[...unknownClusters].sort().join(", ")} (their providers cannot be configured in this preview)`);
    }
    const byObject = new Map<string, PolicyResource[]>();
    for (const r of objects) {
      const cluster = clusterOf(r)!;
      if (unknownClusters.has(cluster)) continue;
      const key = objectKey(r);
      if (!key.known) {
        pending.push(`the name or namespace of ${r.name} on cluster ${cluster}`);
        continue;
      }
      if (key.value === undefined) continue;
      // By cluster, not provider: @pulumi/eks's own provider reaches the program's cluster too.
      const at = `${cluster}\u0000${key.value}`;
      byObject.set(at, [...(byObject.get(at) ?? []), r]);
    }
    for (const [at, managers] of byObject) {
      if (managers.length < 2) continue;
      const object = at.split("\u0000")[1];
      const cluster = clusterOf(managers[0]);
      for (const r of managers) {
        const others = managers.filter((x) => x !== r).map((x) => x.name);
        report(
          `${r.name} manages ${object} on cluster ${cluster}, and so does ${others.join(", ")}: each pulumi up applies its own copy over the other and deleting either deletes the object; keep one (if one of them was meant for another cluster, bind it to that cluster's provider)`,
          r.urn,
        );
      }
    }

    // Logical names are `<cluster>-<thing>`: one that names another cluster of the stack, bound to a
    // provider whose cluster it does not name, lands on the wrong cluster. A heuristic, so it only
    // speaks where both clusters follow the convention, and a name that also starts with its own
    // cluster's (clusters named `eu` and `eu-west`) is never questioned.
    const clusterNames = args.resources.filter((r) => r.type === T.k8sProvider && !isDefaultProvider(r.name || r.urn)).map(clusterOfProvider);
    const conventional = new Set(objects.filter((r) => r.name.startsWith(`${clusterOf(r)}-`)).map((r) => clusterOf(r)!));
    for (const r of objects) {
      const provider = r.provider!;
      if (isDefaultProvider(provider.name || provider.urn) || allowedCrossClusterNames.includes(r.name)) continue;
      const own = clusterOf(r)!;
      if (r.name.startsWith(`${own}-`) || !conventional.has(own)) continue;
      const named = clusterNames.filter((c) => c !== own && r.name.startsWith(`${c}-`) && conventional.has(c)).sort((a, b) => b.length - a.length)[0];
      if (!named) continue;
      const kind = kindName(r.type);
      const object = orUnknown(() => {
        const m = (r.props.metadata ?? {}) as Record<string, unknown>;
        return typeof m.name === "string" ? ` (${kind} ${typeof m.namespace === "string" ? `${m.namespace}/` : ""}${m.name})` : "";
      }, "");
      report(
        `${r.name}${object} is named for cluster ${named} but bound to provider ${provider.name || providerName(provider.urn)} of cluster ${own}: it is applied to ${own}, and ${named} does not get it; pass ${named}'s provider (if it belongs on ${own}, name it ${own}-…, or list ${r.name} in allowedCrossClusterNames)`,
        r.urn,
      );
    }
    // Two clusters' providers that reach one API server (a kubeconfig copied from another cluster)
    // put both clusters' objects on it: every check by cluster above then passes on a cluster that
    // gets nothing. @pulumi/eks's own provider reaches its cluster beside the program's by design.
    const byTarget = new Map<string, PolicyResource[]>();
    for (const p of args.resources) {
      if (p.type !== T.k8sProvider || isDefaultProvider(p.name || p.urn) || isEksOwnProvider(p.urn)) continue;
      const target = providerTarget(p.props);
      if (target !== undefined) byTarget.set(target, [...(byTarget.get(target) ?? []), p]);
    }
    for (const [target, providers] of byTarget) {
      const clusters = [...new Set(providers.map(clusterOfProvider))];
      if (clusters.length < 2) continue;
      for (const p of providers) {
        const others = providers.filter((x) => x !== p).map((x) => `${x.name} (cluster ${clusterOfProvider(x)})`);
        report(
          `provider ${p.name} of cluster ${clusterOfProvider(p)} deploys to ${target}, and so does ${others.join(", ")}: the objects of all of them land on one cluster, and the others get none; give each provider its own cluster's kubeconfig`,
          p.urn,
        );
      }
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};
