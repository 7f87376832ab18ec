/**
 * The done-when breakages in the other spellings a reviewer editing an export would use,
 * each read as Istio, Gateway API or Kubernetes reads it: an ALLOW rule open through its not*
 * fields, remote addresses, an omitted action or a `when`; a namespace weakening STRICT; a split
 * of InferencePools, an omitted or zero weight, a canary listed twice, a GRPCRoute or TLSRoute, a
 * TCPRoute to the canary, a model rewrite one step over the limit; an image without a tag behind
 * a registry port or with a broken digest; a toleration of every taint or of another effect; a
 * provider reference naming nothing in the state.
 */
import type { ExportedResource } from "../../scripts/lib/review-wire";
import { Mutation, resources, isKind, edit, podSpecs, onFirst, principalRule, weightedPair, withSpec, gpuDeployment, ambientDeployment, addLike, addPoolRewriteSplit } from "./mutations-support";

/** A route whose split rule weighs InferencePools (a model's versions). */
const poolSplit = (r: ExportedResource) => isKind(r, "HTTPRoute") && withSpec(r).rules?.some((x: any) => weightedPair(x).length === 2 && x.backendRefs.every((b: any) => b.kind === "InferencePool"));
/** The stable (heavier) and canary sides of every two-backend split of the route. */
const onPools = (o: any, fn: (stable: any, canary: any, rule: any) => void) =>
  o.spec.rules.forEach((rule: any) => {
    const pair = weightedPair(rule);
    if (pair.length === 2) fn(...((pair[0].weight >= pair[1].weight ? pair : [pair[1], pair[0]]) as [any, any]), rule);
  });
/** A route whose split rule weighs Services (an agent's versions). */
const serviceSplit = (r: ExportedResource) => isKind(r, "HTTPRoute") && withSpec(r).rules?.some((x: any) => weightedPair(x).length === 2 && x.backendRefs.every((b: any) => b.kind === "Service"));
const cpuDeployment = (r: ExportedResource) => ambientDeployment(r) && !gpuDeployment(r);

export const spellingMutations: Mutation[] = [
  {
    // Only not* fields: everyone the list does not name.
    name: "an ALLOW rule whose source only excludes callers (notPrincipals)",
    policy: "authorization-sources-restricted",
    apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules[0].from[0].source = { notPrincipals: ["cluster.local/ns/default/sa/default"] })),
  },
  {
    name: "an ALLOW rule from remoteIpBlocks 0.0.0.0/0",
    policy: "authorization-sources-restricted",
    apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules[0].from[0].source = { remoteIpBlocks: ["0.0.0.0/0"] })),
  },
  {
    // Istio's default action is ALLOW.
    name: "an AuthorizationPolicy with its action omitted and rules [{}]",
    policy: "authorization-sources-restricted",
    apply: (doc) =>
      onFirst(doc, principalRule, (o) => {
        delete o.spec.action;
        o.spec.rules = [{}];
      }),
  },
  {
    name: "an ALLOW rule without from whose when matches every principal",
    policy: "authorization-sources-restricted",
    apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules = [{ when: [{ key: "source.principal", values: ["*"] }] }])),
  },
  {
    name: "a namespace-wide PeerAuthentication in DISABLE",
    policy: "peer-authentication-strict",
    apply: (doc) => {
      const mesh = resources(doc).find((r) => isKind(r, "PeerAuthentication"));
      return mesh && addLike(doc, mesh, "agents-plain", mesh.type, { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "plain", namespace: "agents" }, spec: { mtls: { mode: "DISABLE" } } });
    },
  },
  {
    name: "a 50/50 split of a model's InferencePools",
    policy: "canary-weight-limit",
    apply: (doc) => onFirst(doc, poolSplit, (o) => onPools(o, (stable, canary) => (stable.weight = canary.weight = 50))),
  },
  {
    // Gateway API defaults an omitted weight to 1: the canary's 5 then outweighs it.
    name: "a split whose stable backend's weight is omitted",
    policy: "canary-weight-limit",
    apply: (doc) => onFirst(doc, poolSplit, (o) => onPools(o, (stable) => delete stable.weight)),
  },
  {
    name: "a split whose stable backend has weight 0 (the canary takes it all)",
    policy: "canary-weight-limit",
    apply: (doc) => onFirst(doc, poolSplit, (o) => onPools(o, (stable) => (stable.weight = 0))),
  },
  {
    // Entries naming one backend add up: 10 + 10 is 20% for the canary.
    name: "a split naming the canary twice (80/10/10)",
    policy: "canary-weight-limit",
    apply: (doc) =>
      onFirst(doc, poolSplit, (o) =>
        onPools(o, (stable, canary, rule) => {
          [stable.weight, canary.weight] = [80, 10];
          rule.backendRefs.push({ ...canary });
        }),
      ),
  },
  {
    name: "a model's split route rewritten as a GRPCRoute at 50/50",
    policy: "canary-weight-limit",
    apply: (doc) => {
      const route = resources(doc).find(poolSplit);
      if (!route) return undefined;
      route.type = route.type.replace(":HTTPRoute", ":GRPCRoute");
      route.urn = route.urn.replace(":HTTPRoute::", ":GRPCRoute::");
      return edit(route, (o) => {
        o.kind = "GRPCRoute";
        for (const rule of o.spec.rules) {
          delete rule.timeouts;
          rule.matches = rule.matches?.map((m: any) => ({ headers: m.headers }));
        }
        onPools(o, (stable, canary) => (stable.weight = canary.weight = 50));
      });
    },
  },
  {
    // TLSRoute rules have no matches: the split rule alone, both Services at 50.
    name: "an agent's split route rewritten as a TLSRoute at 50/50",
    policy: "canary-weight-limit",
    apply: (doc) => {
      const route = resources(doc).find(serviceSplit);
      if (!route) return undefined;
      route.type = route.type.replace(":HTTPRoute", ":TLSRoute");
      route.urn = route.urn.replace(":HTTPRoute::", ":TLSRoute::");
      return edit(route, (o) => {
        o.kind = "TLSRoute";
        o.spec.rules = o.spec.rules.filter((r: any) => weightedPair(r).length === 2).map((r: any) => ({ backendRefs: r.backendRefs.map((b: any) => ({ ...b, weight: 50 })) }));
      });
    },
  },
  {
    // Gateway API v1.5.1 serves TCPRoute from its experimental channel only, as v1alpha2.
    name: "a TCPRoute (v1alpha2) sending all its connections to an agent's canary",
    policy: "canary-weight-across-routes",
    apply: (doc) => {
      const route = resources(doc).find(serviceSplit);
      if (!route) return undefined;
      const obj = JSON.parse(JSON.stringify(route.inputs));
      const split = obj.spec.rules.find((r: any) => weightedPair(r).length === 2);
      const canary = [...weightedPair(split)].sort((a: any, b: any) => a.weight - b.weight)[0];
      delete canary.weight;
      delete obj.spec.hostnames;
      Object.assign(obj, { apiVersion: "gateway.networking.k8s.io/v1alpha2", kind: "TCPRoute", metadata: { ...obj.metadata, name: `${obj.metadata.name}-tcp` } });
      obj.spec.rules = [{ backendRefs: [canary] }];
      return addLike(doc, route, "tcp", "kubernetes:gateway.networking.k8s.io/v1alpha2:TCPRoute", obj);
    },
  },
  {
    // Relative weights up to 1000000: 100001 of 1000000 is 10.0001%, read as 10% when rounded.
    name: "an InferenceModelRewrite giving another version 10.0001% of a model's requests",
    policy: "canary-weight-limit",
    apply: (doc) => addPoolRewriteSplit(doc, [899999, 100001]),
  },
  {
    // The colon is the registry's port: the image itself has no tag.
    name: "an image behind a registry port without a tag (registry.local:5000/img)",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "Deployment"), (o) => podSpecs(o).forEach((s: any) => (s.containers[0].image = `registry.local:5000/${s.containers[0].image.replace(/[:@][^/]*$/, "")}`))),
  },
  {
    name: "an image pinned by a truncated digest",
    policy: "images-pinned",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "Deployment"), (o) => podSpecs(o).forEach((s: any) => (s.containers[0].image = `${s.containers[0].image.replace(/[:@][^/]*$/, "")}@sha256:4dabf181`))),
  },
  {
    // An empty key with Exists tolerates every taint, the GPU nodes' included.
    name: "a CPU workload tolerating every taint (operator Exists without a key)",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, cpuDeployment, (o) => podSpecs(o).forEach((s: any) => (s.tolerations = [{ operator: "Exists" }]))),
  },
  {
    name: "a GPU workload tolerating the GPU taint for NoExecute only",
    policy: "gpu-scheduling",
    apply: (doc) => onFirst(doc, gpuDeployment, (o) => podSpecs(o).forEach((s: any) => (s.tolerations = [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoExecute" }]))),
  },
  {
    name: "a Kubernetes resource whose provider reference names no provider in the state",
    policy: "explicit-kubernetes-provider",
    apply: (doc) => {
      const r = resources(doc).find((x) => x.custom && x.type.startsWith("kubernetes:") && x.provider);
      if (!r) return undefined;
      r.provider = `${r.urn.split("::").slice(0, 2).join("::")}::pulumi:providers:kubernetes::retired::retired-id`;
      return r.urn;
    },
  },
];
