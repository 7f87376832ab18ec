/**
 * Mutations of a rendered deployment export, each the kind of change a reviewer must see fail:
 * they edit `stack.json` the way a changed program would have rendered it (inputs and outputs
 * alike) and return the URN of the resource they changed, or undefined when the stack has no
 * resource to mutate. The done-when breakages are here (their other spellings in
 * mutations-spellings.ts); the rest, one case per rule of every policy, are in mutations-<area>.ts.
 */
import { Mutation, resources, isKind, edit, podSpecs, onSplits } from "./mutations-support";
import { meshMutations } from "./mutations-mesh";
import { meshCaptureMutations } from "./mutations-mesh-capture";
import { nodeAgentMutations } from "./mutations-node-agents";
import { multiclusterMutations } from "./mutations-multicluster";
import { authzMutations } from "./mutations-authz";
import { l7Mutations } from "./mutations-l7";
import { trafficMutations } from "./mutations-traffic";
import { workloadsMutations } from "./mutations-workloads";
import { infrastructureMutations } from "./mutations-infrastructure";
import { imageMutations } from "./mutations-images";
import { credentialsMutations } from "./mutations-credentials";
import { poolsGpuMutations } from "./mutations-pools-gpu";
import { modelServerMutations } from "./mutations-model-servers";
import { gpuPlacementMutations } from "./mutations-gpu-placement";
import { dashStopMutations } from "./mutations-boot-flow";
import { pickerMutations } from "./mutations-pickers";
import { pickerReleaseMutations } from "./mutations-picker-releases";
import { pickerSidecarMutations } from "./mutations-picker-sidecars";
import { pickerNullMutations } from "./mutations-picker-nulls";
import { gatewayMutations } from "./mutations-gateways";
import { rateLimitMutations } from "./mutations-rate-limits";
import { spellingMutations } from "./mutations-spellings";
import { refusedMutations } from "./mutations-refused";
import { routeRefMutations } from "./mutations-route-refs";
import { agwPolicyRefMutations } from "./mutations-agw-policy-refs";
import { meshNetworkMutations } from "./mutations-mesh-network";
import { meshEastWestMutations } from "./mutations-mesh-eastwest";
import { agwLlmMutations } from "./mutations-agw-llm";

export type { Mutation } from "./mutations-support";

export const mutations: Mutation[] = [
  {
    name: "mesh-wide mTLS turned PERMISSIVE",
    policy: "peer-authentication-strict",
    apply: (doc) => {
      const pa = resources(doc).find((r) => isKind(r, "PeerAuthentication") && (r.inputs as any)?.spec?.mtls?.mode === "STRICT");
      return pa && edit(pa, (o) => (o.spec.mtls.mode = "PERMISSIVE"));
    },
  },
  {
    name: "an ALLOW rule opened to everyone",
    policy: "authorization-sources-restricted",
    apply: (doc) => {
      const ap = resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && ((r.inputs as any)?.spec?.action ?? "ALLOW") === "ALLOW" && (r.inputs as any)?.spec?.rules?.length);
      return ap && edit(ap, (o) => (o.spec.rules = [{}]));
    },
  },
  {
    name: "a 50/50 canary split",
    policy: "canary-weight-limit",
    apply: (doc) => onSplits(doc, (pair) => pair.forEach((b) => (b.weight = 50))),
  },
  {
    name: "an image at :latest",
    policy: "images-pinned",
    apply: (doc) => {
      const d = resources(doc).find((r) => isKind(r, "Deployment") && podSpecs(r.inputs).some((s: any) => s.containers?.length));
      return d && edit(d, (o) => podSpecs(o).forEach((s: any) => (s.containers[0].image = s.containers[0].image.replace(/[:@][^/]*$/, "") + ":latest")));
    },
  },
  {
    name: "the GPU toleration removed from a GPU workload",
    policy: "gpu-scheduling",
    apply: (doc) => {
      const gpu = resources(doc).find(
        (r) => isKind(r, "Deployment") && podSpecs(r.inputs).some((s: any) => s.containers?.some((c: any) => c.resources?.limits?.["nvidia.com/gpu"] || c.resources?.requests?.["nvidia.com/gpu"])),
      );
      return gpu && edit(gpu, (o) => podSpecs(o).forEach((s: any) => (s.tolerations = (s.tolerations ?? []).filter((t: any) => t.key !== "nvidia.com/gpu"))));
    },
  },
  {
    // Without an explicit provider the engine binds the resource to the default provider, which
    // uses the ambient kubeconfig: that is what a real preview sends to the policy.
    name: "a Kubernetes resource without its explicit provider (on the default provider)",
    policy: "explicit-kubernetes-provider",
    apply: (doc) => {
      const r = resources(doc).find((x) => x.custom && x.type.startsWith("kubernetes:") && x.provider);
      if (!r) return undefined;
      const prefix = r.urn.split("::").slice(0, 2).join("::");
      const defaultUrn = `${prefix}::pulumi:providers:kubernetes::default_4_34_2`;
      if (!resources(doc).some((x) => x.urn === defaultUrn)) {
        resources(doc).unshift({ urn: defaultUrn, custom: true, id: "default-id", type: "pulumi:providers:kubernetes", inputs: { version: "4.34.2" }, outputs: { version: "4.34.2" } });
      }
      r.provider = `${defaultUrn}::default-id`;
      return r.urn;
    },
  },
  {
    // Gateway API answers the share a missing backend would get with 500s.
    name: "a route's split pointing at an InferencePool that does not exist",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const route = resources(doc).find((r) => isKind(r, "HTTPRoute") && (r.inputs as any)?.spec?.rules?.some((x: any) => x.backendRefs?.some((b: any) => b.kind === "InferencePool")));
      return route && edit(route, (o) => (o.spec.rules.at(-1).backendRefs.find((b: any) => b.kind === "InferencePool").name = "no-such-pool"));
    },
  },
  {
    // The picker cannot watch its pool: it exits before serving and crash-loops (GIE#1737).
    name: "the endpoint picker's Role without inferencepools",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const role = resources(doc).find((r) => isKind(r, "Role") && (r.inputs as any)?.rules?.some((x: any) => x.resources?.includes("inferencepools")));
      return role && edit(role, (o) => (o.rules = o.rules.filter((x: any) => !x.resources?.includes("inferencepools"))));
    },
  },
  {
    // The stable pool then also holds the canary's servers: the canary gets a share of the stable traffic beyond its weight.
    name: "an InferencePool selecting every version of its model (the canary's servers too)",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const pool = resources(doc).find((r) => isKind(r, "InferencePool") && (r.inputs as any)?.spec?.selector?.matchLabels?.["app.kubernetes.io/instance"]);
      return pool && edit(pool, (o) => delete o.spec.selector.matchLabels["app.kubernetes.io/instance"]);
    },
  },
  ...meshMutations,
  ...meshCaptureMutations,
  ...nodeAgentMutations,
  ...multiclusterMutations,
  ...authzMutations,
  ...l7Mutations,
  ...trafficMutations,
  ...workloadsMutations,
  ...infrastructureMutations,
  ...imageMutations,
  ...credentialsMutations,
  ...poolsGpuMutations,
  ...modelServerMutations,
  ...routeRefMutations,
  ...agwPolicyRefMutations,
  ...gpuPlacementMutations,
  ...dashStopMutations,
  ...pickerMutations,
  ...pickerReleaseMutations,
  ...pickerSidecarMutations,
  ...pickerNullMutations,
  ...gatewayMutations,
  ...rateLimitMutations,
  ...spellingMutations,
  ...refusedMutations,
  ...meshNetworkMutations,
  ...meshEastWestMutations,
  ...agwLlmMutations,
];
