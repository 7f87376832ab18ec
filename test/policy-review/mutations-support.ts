/**
 * What the policy-review mutations share: the Mutation shape and the helpers that find, edit,
 * add and remove resources of a rendered deployment export (inputs and outputs alike, as a
 * changed program would have rendered them).
 */
import { providerUrn, type ExportedDeployment, type ExportedResource } from "../../scripts/lib/review-wire";

export interface Mutation {
  name: string;
  /** The policy that must fail with a mandatory violation. */
  policy: string;
  /** Changes `doc` in place; returns the URN of the changed (or removed) resource. */
  apply(doc: ExportedDeployment): string | undefined;
}

export const resources = (doc: ExportedDeployment) => doc.deployment.resources ?? [];
export const isKind = (r: ExportedResource, kind: string) => r.type.startsWith("kubernetes:") && r.type.endsWith(`:${kind}`);

/** Applies `edit` to the inputs and outputs of a resource. */
export function edit(r: ExportedResource, fn: (obj: any) => void): string {
  for (const props of [r.inputs, r.outputs]) if (props) fn(props);
  return r.urn;
}

export const podSpecs = (obj: any) => [obj.spec?.template?.spec].filter(Boolean);



export const SIG = "4dabf18193072939515e22adb298388d";
export const withSpec = (r: ExportedResource) => (r.inputs as any)?.spec ?? {};
export const firstSource = (r: ExportedResource) => withSpec(r).rules?.[0]?.from?.[0]?.source;
/** An AuthorizationPolicy whose first rule admits principals (and the first principal is a ServiceAccount). */
export const principalRule = (r: ExportedResource) => isKind(r, "AuthorizationPolicy") && !!firstSource(r)?.principals;
export const serviceAccountRule = (r: ExportedResource) => principalRule(r) && String(firstSource(r).principals[0]).includes("/sa/");

/** Finds a resource, edits its inputs and outputs; undefined when the stack has none. */
export function onFirst(doc: ExportedDeployment, match: (r: ExportedResource) => boolean, fn: (obj: any, r: ExportedResource) => void): string | undefined {
  const r = resources(doc).find((x) => {
    try {
      return match(x);
    } catch {
      return false;
    }
  });
  return r && edit(r, (o) => fn(o, r));
}

/** Removes every resource matching; returns the first URN removed. */
export function removeAll(doc: ExportedDeployment, match: (r: ExportedResource) => boolean): string | undefined {
  const all = resources(doc);
  const gone = all.filter(match);
  doc.deployment.resources = all.filter((r) => !match(r));
  return gone[0]?.urn;
}

export const weightedPair = (rule: any) => (rule.backendRefs ?? []).filter((b: any) => b.weight !== undefined);
export const splitRoute = (r: ExportedResource) => isKind(r, "HTTPRoute") && withSpec(r).rules?.some((x: any) => weightedPair(x).length === 2);

/** Sets the weights of every two-backend split of the first HTTPRoute that has one. */
export function onSplits(doc: ExportedDeployment, setWeights: (pair: any[]) => void): string | undefined {
  return onFirst(doc, splitRoute, (o) =>
    o.spec.rules.forEach((rule: any) => {
      const pair = weightedPair(rule);
      if (pair.length === 2) setWeights(pair);
    }),
  );
}
export const istiod = (r: ExportedResource) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.name === "istiod";
/** A Deployment in one of the platform's ambient namespaces. */
export const ambientDeployment = (r: ExportedResource) => isKind(r, "Deployment") && ["agents", "tools", "inference"].includes((r.inputs as any)?.metadata?.namespace);
export const gpuDeployment = (r: ExportedResource) => isKind(r, "Deployment") && JSON.stringify(r.inputs).includes('"nvidia.com/gpu":');
/** Sets a GPU Deployment's first container's nvidia.com/gpu request and limit to the quantity `count`. */
export function setGpuCount(obj: any, count: string): void {
  const resources = obj.spec.template.spec.containers[0].resources;
  resources.limits["nvidia.com/gpu"] = resources.requests["nvidia.com/gpu"] = count;
}
/** The EPP's DestinationRule and Service (named `<pool>-epp`, the DestinationRule with TLS for the picker). */
export const eppRule = (r: ExportedResource) => isKind(r, "DestinationRule") && /-epp$/.test((r.inputs as any)?.metadata?.name ?? "") && !!withSpec(r).trafficPolicy?.tls;
export const eppService = (r: ExportedResource) => isKind(r, "Service") && /-epp$/.test((r.inputs as any)?.metadata?.name ?? "") && withSpec(r).ports?.some((p: any) => p.port === 9002);
export const cacerts = (r: ExportedResource) => isKind(r, "Secret") && (r.inputs as any)?.metadata?.name === "cacerts";

/**
 * The first istiod release left to its provider's default namespace, set to `namespace`: a Release
 * naming no namespace installs there (pulumi-kubernetes v4.34.2 helm_release.go setDefaults), while
 * the objects beside it (cacerts, the network label, remote secrets) stay in istio-system.
 */
export function istiodLeftToProvider(doc: ExportedDeployment, namespace: string): string | undefined {
  const release = resources(doc).find(istiod);
  const provider = release && resources(doc).find((r) => r.urn === providerUrn(release.provider ?? ""));
  if (!release || !provider) return undefined;
  edit(provider, (o) => (o.namespace = namespace));
  return edit(release, (o) => delete o.namespace);
}



/**
 * A tool's waypoint policy (targetRefs to its Service, naming agents) and an agent of the same
 * cluster it does not name, or undefined when every agent there may use every tool.
 */
export function unconfiguredAgent(doc: ExportedDeployment): { policy: ExportedResource; principal: string; tool: string } | undefined {
  for (const policy of resources(doc).filter((r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).targetRefs?.[0]?.kind === "Service")) {
    const named: string[] = firstSource(policy)?.principals ?? [];
    const agent = named.find((p) => p.includes("/ns/agents/sa/"));
    if (!agent) continue;
    const other = resources(doc).find(
      (r) => isKind(r, "Deployment") && r.provider === policy.provider && (r.inputs as any)?.metadata?.namespace === "agents" && !named.includes(agent.replace(/[^/]+$/, (r.inputs as any).spec.template.spec.serviceAccountName)),
    );
    if (other) return { policy, principal: agent.replace(/[^/]+$/, (other.inputs as any).spec.template.spec.serviceAccountName), tool: withSpec(policy).targetRefs[0].name };
  }
  return undefined;
}

export const gatewayOptions = (r: ExportedResource) => isKind(r, "ConfigMap") && (r.inputs as any)?.metadata?.name === "inference-gateway-options";

/**
 * Adds a resource of `type` holding `obj` (inputs and outputs) beside `like`, on its provider and
 * parent, as the program would have rendered a new object there; returns its URN.
 */
export function addLike(doc: ExportedDeployment, like: ExportedResource, suffix: string, type: string, obj: Record<string, unknown>): string {
  const copy = JSON.parse(JSON.stringify(like)) as ExportedResource & { id?: string; additionalSecretOutputs?: string[] };
  // urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>: the same parents, another type and name.
  const [stack, project, types, ...name] = like.urn.split("::");
  copy.urn = [stack, project, [...types.split("$").slice(0, -1), type].join("$"), `${name.join("::")}-${suffix}`].join("::");
  if (copy.id) copy.id = `${copy.id}-${suffix}`;
  delete copy.additionalSecretOutputs;
  copy.type = type;
  copy.inputs = JSON.parse(JSON.stringify(obj));
  copy.outputs = JSON.parse(JSON.stringify(obj));
  resources(doc).push(copy);
  return copy.urn;
}

/**
 * Adds a Namespace (with `labels`) and a copy of a workload Deployment in it (its pods given
 * `podLabels` too), on the first cluster that runs one, as a fork adding its own namespace would
 * render them; returns the Namespace's URN.
 */
export function addNamespaceWithWorkload(doc: ExportedDeployment, name: string, labels: Record<string, string>, podLabels: Record<string, string> = {}): string | undefined {
  const all = resources(doc);
  const ns = all.find((r) => isKind(r, "Namespace") && (r.inputs as any)?.metadata?.name === "agents");
  const deployment = all.find((r) => isKind(r, "Deployment") && r.provider === ns?.provider && (r.inputs as any)?.metadata?.namespace === "agents");
  if (!ns || !deployment) return undefined;
  const copy = (r: ExportedResource, suffix: string, fn: (o: any) => void) => {
    const c = JSON.parse(JSON.stringify(r)) as ExportedResource;
    c.urn = r.urn.replace(/::([^:]+)$/, `::$1-${suffix}`);
    edit(c, fn);
    all.push(c);
    return c.urn;
  };
  // The copy keeps the platform's bookkeeping labels, not the agents' mesh enrolment.
  const urn = copy(ns, name, (o) => {
    const kept = Object.entries(o.metadata.labels ?? {}).filter(([k]) => !k.startsWith("istio.io/"));
    o.metadata = { ...o.metadata, name, labels: { ...Object.fromEntries(kept), ...labels } };
  });
  copy(deployment, name, (o) => {
    o.metadata = { ...o.metadata, namespace: name };
    o.spec.template.metadata.labels = { ...o.spec.template.metadata.labels, ...podLabels };
  });
  return urn;
}

/** An InferenceModelRewrite splitting the first pool's model between the first two pools by `weights`; undefined with fewer pools. */
export function addPoolRewriteSplit(doc: ExportedDeployment, weights: [number, number]): string | undefined {
  const pools = resources(doc).filter((r) => isKind(r, "InferencePool"));
  if (pools.length < 2) return undefined;
  const [v1, v2] = pools.map((p) => (p.inputs as any).metadata.name as string);
  return addLike(doc, pools[0], "rewrite", "kubernetes:llm-d.ai/v1alpha2:InferenceModelRewrite", {
    apiVersion: "llm-d.ai/v1alpha2",
    kind: "InferenceModelRewrite",
    metadata: { name: `${v1}-split`, namespace: (pools[0].inputs as any).metadata.namespace },
    spec: { poolRef: { group: "inference.networking.k8s.io", kind: "InferencePool", name: v1 }, rules: [{ targets: [{ modelRewrite: v1, weight: weights[0] }, { modelRewrite: v2, weight: weights[1] }] }] },
  });
}

/** Adds an AgentgatewayPolicyPatch of the first AgentgatewayPolicy `pick` takes, setting `spec`; its URN, or undefined. */
export function patchPolicy(doc: ExportedDeployment, pick: (r: ReturnType<typeof resources>[number]) => boolean, spec: Record<string, unknown>): string | undefined {
  const target = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && pick(r));
  if (!target) return undefined;
  const { name, namespace } = (target.inputs as any).metadata;
  return addLike(doc, target, "patch", `${target.type}Patch`, { apiVersion: "agentgateway.dev/v1alpha1", kind: "AgentgatewayPolicy", metadata: { name, namespace }, spec });
}
