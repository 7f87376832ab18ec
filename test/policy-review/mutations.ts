/**
 * Mutations of a rendered deployment export, each the kind of change a reviewer must see fail:
 * they edit `stack.json` the way a changed program would have rendered it (inputs and outputs
 * alike) and return the URN of the resource they changed, or undefined when the stack has no
 * resource to mutate.
 */
import type { ExportedDeployment, ExportedResource } from "../../scripts/lib/review-wire";

export interface Mutation {
  name: string;
  /** The policy that must fail with a mandatory violation. */
  policy: string;
  /** Changes `doc` in place; returns the URN of the changed (or removed) resource. */
  apply(doc: ExportedDeployment): string | undefined;
}

const resources = (doc: ExportedDeployment) => doc.deployment.resources ?? [];
const isKind = (r: ExportedResource, kind: string) => r.type.startsWith("kubernetes:") && r.type.endsWith(`:${kind}`);

/** Applies `edit` to the inputs and outputs of a resource. */
function edit(r: ExportedResource, fn: (obj: any) => void): string {
  for (const props of [r.inputs, r.outputs]) if (props) fn(props);
  return r.urn;
}

const podSpecs = (obj: any) => [obj.spec?.template?.spec].filter(Boolean);

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
  ...more(),
];

const SIG = "4dabf18193072939515e22adb298388d";
const withSpec = (r: ExportedResource) => (r.inputs as any)?.spec ?? {};
const firstSource = (r: ExportedResource) => withSpec(r).rules?.[0]?.from?.[0]?.source;
/** An AuthorizationPolicy whose first rule admits principals (and the first principal is a ServiceAccount). */
const principalRule = (r: ExportedResource) => isKind(r, "AuthorizationPolicy") && !!firstSource(r)?.principals;
const serviceAccountRule = (r: ExportedResource) => principalRule(r) && String(firstSource(r).principals[0]).includes("/sa/");

/** Finds a resource, edits its inputs and outputs; undefined when the stack has none. */
function onFirst(doc: ExportedDeployment, match: (r: ExportedResource) => boolean, fn: (obj: any, r: ExportedResource) => void): string | undefined {
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
function removeAll(doc: ExportedDeployment, match: (r: ExportedResource) => boolean): string | undefined {
  const all = resources(doc);
  const gone = all.filter(match);
  doc.deployment.resources = all.filter((r) => !match(r));
  return gone[0]?.urn;
}

const weightedPair = (rule: any) => (rule.backendRefs ?? []).filter((b: any) => b.weight !== undefined);
const splitRoute = (r: ExportedResource) => isKind(r, "HTTPRoute") && withSpec(r).rules?.some((x: any) => weightedPair(x).length === 2);

/** Sets the weights of every two-backend split of the first HTTPRoute that has one. */
function onSplits(doc: ExportedDeployment, setWeights: (pair: any[]) => void): string | undefined {
  return onFirst(doc, splitRoute, (o) =>
    o.spec.rules.forEach((rule: any) => {
      const pair = weightedPair(rule);
      if (pair.length === 2) setWeights(pair);
    }),
  );
}
const istiod = (r: ExportedResource) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.name === "istiod";
const gpuDeployment = (r: ExportedResource) => isKind(r, "Deployment") && JSON.stringify(r.inputs).includes('"nvidia.com/gpu":');
/** The EPP's DestinationRule and Service (named `<pool>-epp`, the DestinationRule with TLS for the picker). */
const eppRule = (r: ExportedResource) => isKind(r, "DestinationRule") && /-epp$/.test((r.inputs as any)?.metadata?.name ?? "") && !!withSpec(r).trafficPolicy?.tls;
const eppService = (r: ExportedResource) => isKind(r, "Service") && /-epp$/.test((r.inputs as any)?.metadata?.name ?? "") && withSpec(r).ports?.some((p: any) => p.port === 9002);
const cacerts = (r: ExportedResource) => isKind(r, "Secret") && (r.inputs as any)?.metadata?.name === "cacerts";

/** The rest of what reviewers must see fail: one case per rule of every policy. */
function more(): Mutation[] {
  return [
    {
      name: "a port-level PERMISSIVE exception",
      policy: "peer-authentication-strict",
      apply: (doc) => onFirst(doc, (r) => isKind(r, "PeerAuthentication"), (o) => (o.spec.portLevelMtls = { "8080": { mode: "PERMISSIVE" } })),
    },
    {
      name: "the mesh-wide PeerAuthentication removed",
      policy: "mesh-mtls-strict",
      apply: (doc) => removeAll(doc, (r) => isKind(r, "PeerAuthentication") && (r.inputs as any)?.metadata?.namespace === "istio-system"),
    },
    {
      name: "a workload namespace taken out of ambient",
      policy: "mesh-mtls-strict",
      apply: (doc) => {
        const withWorkloads = new Set(resources(doc).filter((r) => isKind(r, "Deployment")).map((r) => (r.inputs as any)?.metadata?.namespace));
        return onFirst(doc, (r) => isKind(r, "Namespace") && (r.inputs as any).metadata.labels?.["istio.io/dataplane-mode"] === "ambient" && withWorkloads.has((r.inputs as any).metadata.name), (o) => delete o.metadata.labels["istio.io/dataplane-mode"]);
      },
    },
    {
      name: "a workload opting out of ambient",
      policy: "mesh-mtls-strict",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "Deployment") && ["inference", "agents", "tools"].includes((r.inputs as any).metadata.namespace), (o) => {
          o.spec.template.metadata = { ...o.spec.template.metadata, labels: { ...o.spec.template.metadata?.labels, "istio.io/dataplane-mode": "none" } };
        }),
    },
    {
      name: "sidecar injection enabled on an ambient namespace",
      policy: "ambient-no-sidecar-injection",
      apply: (doc) => onFirst(doc, (r) => isKind(r, "Namespace") && (r.inputs as any).metadata.name === "inference", (o) => (o.metadata.labels = { ...o.metadata.labels, "istio-injection": "enabled" })),
    },
    {
      name: "an ALLOW rule from any principal",
      policy: "authorization-sources-restricted",
      apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules[0].from[0].source.principals = ["*"])),
    },
    {
      name: "an ALLOW rule from any namespace",
      policy: "authorization-sources-restricted",
      apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules[0].from[0].source = { namespaces: ["*"] })),
    },
    {
      name: "tools opened to a whole namespace instead of the agents' identities",
      policy: "authorization-sources-restricted",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any).metadata.namespace === "tools" && (r.inputs as any).spec?.rules?.[0]?.from, (o) => (o.spec.rules = [{ from: [{ source: { namespaces: ["inference"] } }] }])),
    },
    {
      name: "the agent gateway let straight into a tool",
      policy: "agent-call-graph",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any).metadata.namespace === "tools" && JSON.stringify((r.inputs as any).spec?.rules ?? []).includes("/ns/agents/sa/"), (o) =>
          o.spec.rules[0].from[0].source.principals.push(o.spec.rules[0].from[0].source.principals[0].replace(/\/sa\/.*/, "/sa/agent-gateway")),
        ),
    },
    {
      name: "a model server let straight into an agent",
      policy: "agent-call-graph",
      apply: (doc) => {
        const server = resources(doc).find((r) => isKind(r, "ServiceAccount") && (r.inputs as any).metadata.namespace === "inference");
        if (!server) return undefined;
        const name = (server.inputs as any).metadata.name;
        return onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any).metadata.namespace === "agents" && !!(r.inputs as any).spec?.rules?.[0]?.from?.[0]?.source?.principals, (o) =>
          o.spec.rules[0].from[0].source.principals.push(o.spec.rules[0].from[0].source.principals[0].replace(/\/ns\/.*/, `/ns/inference/sa/${name}`)),
        );
      },
    },
    {
      name: "an ALLOW rule from 0.0.0.0/0",
      policy: "authorization-sources-restricted",
      apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules[0].from[0].source = { ipBlocks: ["0.0.0.0/0"] })),
    },
    {
      name: "an ALLOW rule without sources",
      policy: "authorization-sources-restricted",
      apply: (doc) => onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && !!withSpec(r).rules?.[0]?.from, (o) => delete o.spec.rules[0].from),
    },
    {
      name: "a workload namespace left without ALLOW policies",
      policy: "workload-namespaces-authorized",
      apply: (doc) => removeAll(doc, (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "agents"),
    },
    {
      name: "a principal naming no rendered ServiceAccount",
      policy: "authorization-principals-known",
      apply: (doc) =>
        onFirst(doc, serviceAccountRule, (o) => {
          const src = o.spec.rules[0].from[0].source;
          src.principals = [src.principals[0].replace(/\/sa\/.*$/, "/sa/ghost")];
        }),
    },
    {
      name: "a principal in a foreign trust domain",
      policy: "authorization-principals-known",
      apply: (doc) =>
        onFirst(doc, serviceAccountRule, (o) => {
          const src = o.spec.rules[0].from[0].source;
          src.principals = [src.principals[0].replace(/^[^/]+/, "evil.example")];
        }),
    },
    {
      name: "an L7 policy attached by selector",
      policy: "l7-authorization-target-refs",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && !!withSpec(r).targetRefs && JSON.stringify(withSpec(r).rules ?? []).includes('"paths"'), (o) => {
          delete o.spec.targetRefs;
          o.spec.selector = { matchLabels: { app: "x" } };
        }),
    },
    {
      // agentgateway's controller hands its proxies no Istio AuthorizationPolicy: the rule guards nothing.
      name: "an Istio AuthorizationPolicy bound to the agentgateway Gateway",
      policy: "authorization-targets-enforced",
      apply: (doc) => {
        const agw = resources(doc).find((r) => isKind(r, "Gateway") && withSpec(r).gatewayClassName === "agentgateway");
        if (!agw) return undefined;
        const { name, namespace } = (agw.inputs as any).metadata;
        return onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && r.provider === agw.provider && (r.inputs as any).metadata.namespace === namespace, (o) => {
          delete o.spec.selector;
          o.spec.targetRefs = [{ group: "gateway.networking.k8s.io", kind: "Gateway", name }];
        });
      },
    },
    {
      name: "an external Gateway listener in plain HTTP",
      policy: "gateway-listeners-tls",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "Gateway") && withSpec(r).listeners.some((l: any) => l.protocol === "HTTPS"), (o) =>
          o.spec.listeners.forEach((l: any) => {
            if (l.protocol !== "HTTPS") return;
            l.protocol = "HTTP";
            delete l.tls;
          }),
        ),
    },
    {
      name: "an external HTTPS listener without a certificate",
      policy: "gateway-listeners-tls",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "Gateway") && (r.inputs as any).spec.listeners.some((l: any) => l.protocol === "HTTPS" && l.tls?.certificateRefs?.length), (o) =>
          o.spec.listeners.forEach((l: any) => {
            if (l.protocol === "HTTPS") delete l.tls.certificateRefs;
          }),
        ),
    },
    {
      name: "split weights summing to 105",
      policy: "canary-weight-limit",
      apply: (doc) => onSplits(doc, (pair) => ([pair[0].weight, pair[1].weight] = [95, 10])),
    },
    {
      name: "a 20% canary under an 80% primary",
      policy: "canary-weight-limit",
      apply: (doc) =>
        onSplits(doc, (pair) => {
          const [canary, primary] = pair[0].weight < pair[1].weight ? [pair[0], pair[1]] : [pair[1], pair[0]];
          [canary.weight, primary.weight] = [20, 80];
        }),
    },
    {
      name: "a split swapped so the canary gets 95%",
      policy: "canary-weight-limit",
      apply: (doc) =>
        onSplits(doc, (pair) => {
          const [heavy, light] = pair[0].weight >= pair[1].weight ? pair : [pair[1], pair[0]];
          [heavy.weight, light.weight] = [light.weight, heavy.weight];
        }),
    },
    {
      // Only the program's inputs lose it: the API server defaults it to FailClose, so the outputs
      // (what a stack policy sees, in previews too) keep one.
      name: "an InferencePool without a failure mode (inputs only; the server's default stays in the outputs)",
      policy: "inference-pool-failure-mode",
      apply: (doc) => {
        const pool = resources(doc).find((r) => isKind(r, "InferencePool") && (r.outputs as any)?.spec?.endpointPickerRef?.failureMode);
        if (!pool) return undefined;
        delete (pool.inputs as any).spec.endpointPickerRef.failureMode;
        (pool.outputs as any).spec.endpointPickerRef.failureMode = "FailClose";
        return pool.urn;
      },
    },
    {
      name: "an InferencePool pointing at an EPP port no Service exposes",
      policy: "inference-pool-epp",
      apply: (doc) => onFirst(doc, (r) => isKind(r, "InferencePool"), (o) => (o.spec.endpointPickerRef.port = { number: 9999 })),
    },
    {
      name: "an InferencePool whose selector matches no model server",
      policy: "inference-pool-epp",
      apply: (doc) => onFirst(doc, (r) => isKind(r, "InferencePool"), (o) => (o.spec.selector = { matchLabels: { "app.kubernetes.io/instance": "no-such-server" } })),
    },
    {
      name: "the EPP's TLS DestinationRules removed",
      policy: "inference-pool-epp",
      apply: (doc) => removeAll(doc, (r) => isKind(r, "DestinationRule") && JSON.stringify(r.inputs).includes("-epp")),
    },
    {
      // Envoy then verifies the picker's self-signed certificate against the system CAs.
      name: "the EPP's DestinationRule without insecureSkipVerify",
      policy: "inference-pool-epp",
      apply: (doc) => onFirst(doc, eppRule, (o) => delete o.spec.trafficPolicy.tls.insecureSkipVerify),
    },
    {
      // istiod qualifies only dotless names: `<svc>.<ns>` matches no Service.
      name: "the EPP's DestinationRule host written as <svc>.<ns>",
      policy: "inference-pool-epp",
      apply: (doc) => onFirst(doc, eppRule, (o) => (o.spec.host = o.spec.host.replace(/\.svc\.cluster\.local$/, ""))),
    },
    {
      name: "the EPP's DestinationRule in a namespace the gateway does not look in",
      policy: "inference-pool-epp",
      apply: (doc) => onFirst(doc, eppRule, (o) => (o.metadata.namespace = "agents")),
    },
    {
      name: "the EPP Service targeting a port the picker does not listen on",
      policy: "inference-pool-epp",
      apply: (doc) => onFirst(doc, eppService, (o) => (o.spec.ports.find((p: any) => p.port === 9002).targetPort = 9999)),
    },
    {
      name: "the EPP Service selecting no picker pod",
      policy: "inference-pool-epp",
      apply: (doc) => onFirst(doc, eppService, (o) => (o.spec.selector = { ...o.spec.selector, "app.kubernetes.io/instance": "no-such-picker" })),
    },
    {
      name: "a GPU workload without a GPU limit",
      policy: "gpu-scheduling",
      apply: (doc) =>
        onFirst(doc, gpuDeployment, (o) =>
          podSpecs(o).forEach((s: any) =>
            s.containers.forEach((c: any) => {
              delete c.resources?.limits?.["nvidia.com/gpu"];
              delete c.resources?.requests?.["nvidia.com/gpu"];
            }),
          ),
        ),
    },
    {
      name: "a GPU workload tolerating the GPU taint key with the wrong value",
      policy: "gpu-scheduling",
      apply: (doc) =>
        onFirst(doc, gpuDeployment, (o) =>
          podSpecs(o).forEach((s: any) => (s.tolerations = (s.tolerations ?? []).map((t: any) => (t.key === "nvidia.com/gpu" ? { key: t.key, operator: "Equal", value: "absent", effect: "NoSchedule" } : t)))),
        ),
    },
    {
      name: "a CPU workload tolerating the GPU taint",
      policy: "gpu-scheduling",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "Deployment") && !JSON.stringify(r.inputs).includes("nvidia.com/gpu"), (o) =>
          podSpecs(o).forEach((s: any) => (s.tolerations = [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }])),
        ),
    },
    {
      name: "an image without a tag",
      policy: "images-pinned",
      apply: (doc) => onFirst(doc, (r) => isKind(r, "Deployment"), (o) => podSpecs(o).forEach((s: any) => (s.containers[0].image = s.containers[0].image.replace(/[:@][^/]*$/, "")))),
    },
    {
      name: "an init container at :latest",
      policy: "images-pinned",
      apply: (doc) => onFirst(doc, (r) => isKind(r, "Deployment"), (o) => podSpecs(o).forEach((s: any) => (s.initContainers = [{ name: "init", image: "busybox:latest" }]))),
    },
    {
      name: "istiod's image tag at latest through Helm values",
      policy: "images-pinned",
      apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "istiod", (o) => (o.values = { ...o.values, global: { ...o.values?.global, tag: "latest" } })),
    },
    {
      name: "a Helm release without a chart version",
      policy: "images-pinned",
      apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release", (o) => delete o.version),
    },
    {
      name: "a Kubernetes resource with no provider reference",
      policy: "explicit-kubernetes-provider",
      apply: (doc) => {
        const r = resources(doc).find((x) => x.custom && x.type.startsWith("kubernetes:") && x.provider);
        if (r) delete r.provider;
        return r?.urn;
      },
    },
    {
      name: "a provider's credential kubeconfig in plaintext",
      policy: "sensitive-values-secret",
      apply: (doc) => {
        const r = resources(doc).find((x) => x.type === "pulumi:providers:kubernetes" && (x.inputs as any)?.kubeconfig?.[SIG]);
        if (!r) return undefined;
        delete r.additionalSecretOutputs;
        return edit(r, (o) => (o.kubeconfig = "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: abcdef0123456789\n"));
      },
    },
    {
      name: "the mesh CA key Secret in plaintext",
      policy: "sensitive-values-secret",
      apply: (doc) => {
        const r = resources(doc).find(cacerts);
        if (!r) return undefined;
        delete r.additionalSecretOutputs;
        return edit(r, (o) => {
          for (const k of ["data", "stringData"]) if (o[k]) o[k] = { "ca-key.pem": Buffer.from("-----BEGIN PRIVATE KEY-----").toString("base64") };
        });
      },
    },
    {
      name: "a k3s server's startup script (join token, CA keys) in plaintext",
      policy: "sensitive-values-secret",
      apply: (doc) => {
        const vm = resources(doc).find((r) => r.type === "gcp:compute/instance:Instance" && (r.additionalSecretOutputs ?? []).includes("metadata"));
        if (!vm) return undefined;
        vm.additionalSecretOutputs = vm.additionalSecretOutputs!.filter((k) => k !== "metadata");
        return edit(vm, (o) => (o.metadata = { "block-project-ssh-keys": "true", "startup-script": "#!/bin/bash\ncat > /etc/rancher/k3s/config.yaml <<'EOF'\ntoken: 0123456789abcdef\nEOF\n" }));
      },
    },
    {
      name: "an EKS API endpoint open to 0.0.0.0/0",
      policy: "eks-endpoint-private",
      apply: (doc) =>
        onFirst(doc, (r) => r.type === "eks:index:Cluster", (o) => {
          o.endpointPublicAccess = true;
          o.publicAccessCidrs = ["0.0.0.0/0"];
        }),
    },
    {
      name: "a cluster with another meshID",
      policy: "mesh-identity-consistent",
      apply: (doc) => {
        const all = resources(doc).filter(istiod);
        return all.length > 1 ? edit(all[all.length - 1], (o) => (o.values.global.meshID = "other-mesh")) : undefined;
      },
    },
    {
      name: "ztunnel registering under another cluster name than istiod",
      policy: "mesh-identity-consistent",
      apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "ztunnel", (o) => (o.values = { ...o.values, multiCluster: { clusterName: "someone-else" } })),
    },
    {
      name: "a cluster with another trust domain",
      policy: "mesh-identity-consistent",
      apply: (doc) => {
        const all = resources(doc).filter(istiod);
        return all.length > 1 ? edit(all[all.length - 1], (o) => (o.values.meshConfig = { ...o.values.meshConfig, trustDomain: "evil.local" })) : undefined;
      },
    },
    {
      name: "two clusters on one network",
      policy: "mesh-identity-consistent",
      apply: (doc) => {
        const networks = resources(doc).filter(istiod).map((r) => (r.inputs as any).values.global.network as string);
        if (networks.length < 2) return undefined;
        const [keep, dup] = [networks[0], networks[networks.length - 1]];
        for (const r of resources(doc)) {
          for (const key of ["inputs", "outputs"] as const) {
            const text = JSON.stringify(r[key] ?? null);
            if (text.includes(`"${dup}"`)) r[key] = JSON.parse(text.split(`"${dup}"`).join(`"${keep}"`));
          }
        }
        return resources(doc).filter(istiod)[networks.length - 1].urn;
      },
    },
    // Found by sweeping mutated exports beyond the cases above.
    {
      name: "a provider kubeconfig still encrypted in the export but no longer in additionalSecretOutputs",
      policy: "sensitive-values-secret",
      apply: (doc) => {
        const r = resources(doc).find((x) => x.type === "pulumi:providers:kubernetes" && (x.inputs as any)?.kubeconfig?.[SIG] && (x.additionalSecretOutputs ?? []).includes("kubeconfig"));
        if (!r) return undefined;
        r.additionalSecretOutputs = r.additionalSecretOutputs!.filter((k) => k !== "kubeconfig");
        return r.urn;
      },
    },
    {
      name: "a route's default rule sending everything to the canary",
      policy: "canary-weight-limit",
      apply: (doc) =>
        onFirst(doc, splitRoute, (o) =>
          o.spec.rules.forEach((rule: any) => {
            const pair = weightedPair(rule);
            if (pair.length === 2) rule.backendRefs = [{ ...pair.reduce((a: any, b: any) => (a.weight < b.weight ? a : b)), weight: 1 }];
          }),
        ),
    },
    {
      name: "a workload namespace covered only by policies bound through targetRefs",
      policy: "workload-namespaces-authorized",
      apply: (doc) => {
        const inference = (r: ExportedResource) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "inference";
        const viaRefs = resources(doc).find((r) => inference(r) && (r.inputs as any)?.spec?.targetRefs);
        if (!viaRefs) return undefined;
        return removeAll(doc, (r) => inference(r) && !(r.inputs as any)?.spec?.targetRefs);
      },
    },
    {
      name: "a pod labelled with an Istio revision (its injector adds a sidecar) in an ambient namespace",
      policy: "ambient-no-sidecar-injection",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "Deployment") && ["agents", "tools", "inference"].includes((r.inputs as any)?.metadata?.namespace), (o) => {
          o.spec.template.metadata.labels = { ...o.spec.template.metadata.labels, "istio.io/rev": "default" };
        }),
    },
    {
      name: "a Helm chart version given as a range",
      policy: "images-pinned",
      apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && typeof (r.inputs as any)?.version === "string", (o) => (o.version = ">=0.0.1")),
    },
    {
      name: "the inference gateway admitting callers without a mesh identity on every port, and no NetworkPolicy keeping its in-mesh listener to the agents",
      policy: "gateway-listeners-tls",
      apply: (doc) => {
        const urn = onFirst(
          doc,
          (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.spec?.targetRefs?.some((t: any) => t.kind === "Gateway" && t.name === "inference-gateway"),
          (o) => o.spec.rules.forEach((rule: any) => rule.from?.some((f: any) => (f.source?.notPrincipals ?? []).includes("*")) && delete rule.to),
        );
        removeAll(doc, (r) => isKind(r, "NetworkPolicy") && (r.inputs as any)?.metadata?.name === "inference-gateway-callers");
        return urn;
      },
    },
    {
      name: "the inference gateway's Service rewriting client addresses (externalTrafficPolicy Cluster), so its NetworkPolicy admits outside clients via the node",
      policy: "gateway-listeners-tls",
      apply: (doc) =>
        onFirst(
          doc,
          (r) => isKind(r, "ConfigMap") && (r.inputs as any)?.metadata?.name === "inference-gateway-options",
          (o) => (o.data.service = "spec:\n  externalTrafficPolicy: Cluster\n"),
        ),
    },
    {
      name: "the inference gateway's NetworkPolicy opening its in-mesh listener (port 80) to anywhere",
      policy: "gateway-listeners-tls",
      apply: (doc) =>
        onFirst(
          doc,
          (r) => isKind(r, "NetworkPolicy") && (r.inputs as any)?.spec?.ingress?.some((rule: any) => rule.from && rule.ports?.some((p: any) => p.port === 80)),
          (o) => o.spec.ingress.forEach((rule: any) => rule.ports?.some((p: any) => p.port === 80) && delete rule.from),
        ),
    },
    {
      name: "the inference gateway's policy naming the agents' principals (Istio's gateways never see them)",
      policy: "authorization-principals-known",
      apply: (doc) => {
        const agent = resources(doc).find((r) => r.type === "kubernetes:core/v1:ServiceAccount" && (r.inputs as any)?.metadata?.namespace === "agents");
        if (!agent) return undefined;
        return onFirst(
          doc,
          (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.spec?.targetRefs?.some((t: any) => t.kind === "Gateway" && t.name === "inference-gateway"),
          (o) => o.spec.rules.push({ from: [{ source: { principals: [`cluster.local/ns/agents/sa/${(agent.inputs as any).metadata.name}`] } }] }),
        );
      },
    },
    {
      name: "a root-namespace ALLOW policy letting the agent gateway reach the tools",
      policy: "agent-call-graph",
      apply: (doc) => {
        const ap = resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "agents");
        if (!ap) return undefined;
        const principal = JSON.stringify(ap.inputs).match(/"([^"]+\/ns\/agents\/sa\/agent-gateway)"/)?.[1];
        if (!principal) return undefined;
        const copy = JSON.parse(JSON.stringify(ap));
        copy.urn = ap.urn.replace(/::([^:]+)$/, "::$1-root");
        for (const props of [copy.inputs, copy.outputs]) {
          if (!props) continue;
          props.metadata = { ...props.metadata, name: "everyone", namespace: "istio-system" };
          props.spec = { action: "ALLOW", rules: [{ from: [{ source: { principals: [principal] } }] }] };
        }
        doc.deployment.resources!.push(copy);
        return copy.urn;
      },
    },
    {
      name: "a model server's own ALLOW policy removed (its pods admit every mesh identity)",
      policy: "workload-namespaces-authorized",
      apply: (doc) => removeAll(doc, (r) => isKind(r, "AuthorizationPolicy") && /-model-server$/.test((r.inputs as any)?.metadata?.name ?? "")),
    },
    {
      name: "the canary rule given a second match that takes all traffic (matches are ORed)",
      policy: "canary-weight-limit",
      apply: (doc) =>
        onFirst(doc, splitRoute, (o) => {
          const door = o.spec.rules.find((rule: any) => (rule.matches ?? []).some((m: any) => (m.headers ?? []).some((h: any) => h.name === "x-canary")));
          door.matches.push({ path: { type: "PathPrefix", value: "/" } });
        }),
    },
    {
      name: "an ALLOW policy on the tools' waypoint admitting the inference gateway",
      policy: "agent-call-graph",
      apply: (doc) => {
        const wp = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.spec?.gatewayClassName === "istio-waypoint");
        const ap = resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "tools" && r.provider === wp?.provider);
        if (!wp || !ap) return undefined;
        const td = JSON.stringify(ap.inputs).match(/"([^"\/]+)\/ns\//)?.[1] ?? "cluster.local";
        const copy = JSON.parse(JSON.stringify(ap));
        copy.urn = ap.urn.replace(/::([^:]+)$/, "::$1-via-waypoint");
        for (const props of [copy.inputs, copy.outputs]) {
          if (!props) continue;
          props.metadata = { ...props.metadata, name: "waypoint-callers" };
          props.spec = { action: "ALLOW", targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: (wp.inputs as any).metadata.name }], rules: [{ from: [{ source: { principals: [`${td}/ns/inference/sa/inference-gateway-istio`] } }] }] };
        }
        doc.deployment.resources!.push(copy);
        return copy.urn;
      },
    },
    // A single cluster may let istiod mint its own root; these apply to multi-cluster meshes.
    {
      name: "a cluster's cacerts under another root",
      policy: "mesh-root-ca-shared",
      apply: (doc) =>
        resources(doc).filter(istiod).length > 1
          ? onFirst(doc, cacerts, (o) => (o.metadata.annotations = { ...o.metadata.annotations, "inference-mesh.io/root-cert-sha256": "0".repeat(64) }))
          : undefined,
    },
    {
      name: "a cluster without cacerts",
      policy: "mesh-root-ca-shared",
      apply: (doc) => {
        const first = resources(doc).find(cacerts);
        return first && resources(doc).filter(istiod).length > 1 ? removeAll(doc, (r) => r.urn === first.urn) : undefined;
      },
    },
    // The call graph through proxies: a waypoint or the MCP gateway is a legitimate caller only
    // while what it lets through is itself in the graph.
    {
      name: "an agent's ALLOW policy admitting the agents' waypoint (no policy guards the agents' Services there)",
      policy: "agent-call-graph",
      apply: (doc) => {
        const ap = resources(doc).find((r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "agents" && !!firstSource(r)?.principals);
        const wp = resources(doc).find((r) => isKind(r, "Gateway") && r.provider === ap?.provider && (r.inputs as any)?.metadata?.namespace === "agents" && (r.inputs as any)?.spec?.gatewayClassName === "istio-waypoint");
        if (!ap || !wp) return undefined;
        return edit(ap, (o) => o.spec.rules[0].from[0].source.principals.push(o.spec.rules[0].from[0].source.principals[0].replace(/\/sa\/.*/, `/sa/${(wp.inputs as any).metadata.name}`)));
      },
    },
    {
      name: "the tools' L7 ALLOW policies (targetRefs to the tool Services, enforced by the waypoint) removed",
      policy: "agent-call-graph",
      apply: (doc) =>
        removeAll(doc, (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "tools" && (withSpec(r).targetRefs ?? []).some((t: any) => t.kind === "Service")),
    },
    {
      name: "a tool's L7 ALLOW policy bound to a misspelt Service (it binds nothing)",
      policy: "agent-call-graph",
      apply: (doc) =>
        onFirst(
          doc,
          (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).targetRefs?.[0]?.kind === "Service",
          (o) => (o.spec.targetRefs[0].name = o.spec.targetRefs[0].name.replace(/[aeiou](?=[^aeiou]*$)/, (v: string) => (v === "e" ? "a" : "e"))),
        ),
    },
    {
      name: "the MCP gateway's agentgateway authorization given an identity-free Allow expression",
      policy: "agent-call-graph",
      apply: (doc) =>
        onFirst(
          doc,
          (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools",
          (o) => o.spec.traffic.authorization.policy.matchExpressions.push("true"),
        ),
    },
    {
      name: "the MCP gateway's agentgateway authorization removed",
      policy: "agent-call-graph",
      apply: (doc) => removeAll(doc, (r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.authorization && (r.inputs as any)?.metadata?.namespace === "tools"),
    },
    {
      name: "a tool admitting the proxy of a new Istio ingress Gateway in the tools namespace",
      policy: "agent-call-graph",
      apply: (doc) => {
        const mcp = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.namespace === "tools" && (r.inputs as any)?.spec?.gatewayClassName === "agentgateway");
        if (!mcp) return undefined;
        const copy = JSON.parse(JSON.stringify(mcp));
        copy.urn = mcp.urn.replace(/::([^:]+)$/, "::$1-side-door");
        for (const props of [copy.inputs, copy.outputs]) {
          if (!props) continue;
          props.metadata = { ...props.metadata, name: "side-door" };
          props.spec = { gatewayClassName: "istio", listeners: [{ name: "https", port: 443, protocol: "HTTPS", tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "side-door" }] } }] };
        }
        doc.deployment.resources!.push(copy);
        return onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && r.provider === mcp.provider && (r.inputs as any)?.metadata?.namespace === "tools" && !!firstSource(r)?.principals, (o) =>
          o.spec.rules[0].from[0].source.principals.push(o.spec.rules[0].from[0].source.principals[0].replace(/\/ns\/.*/, "/ns/tools/sa/side-door-istio")),
        );
      },
    },
    {
      name: "a tool opened to a whole namespace (the call graph's verdict, whatever requirePrincipals says)",
      policy: "agent-call-graph",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any).metadata.namespace === "tools" && (r.inputs as any).spec?.rules?.[0]?.from, (o) => o.spec.rules[0].from.push({ source: { namespaces: ["inference"] } })),
    },
    {
      name: "a cluster's provider without a kubeconfig (it falls back to the operator's $KUBECONFIG)",
      policy: "explicit-kubernetes-provider",
      apply: (doc) => {
        const r = resources(doc).find((x) => x.type === "pulumi:providers:kubernetes" && (x.inputs as any)?.kubeconfig !== undefined);
        return r && edit(r, (o) => delete o.kubeconfig);
      },
    },
    {
      name: "an AgentgatewayParameters proxy image at tag latest",
      policy: "images-pinned",
      apply: (doc) => onFirst(doc, (r) => isKind(r, "AgentgatewayParameters"), (o) => (o.spec.image = { registry: "cr.agentgateway.dev", repository: "agentgateway", tag: "latest" })),
    },
    {
      name: "an untagged container added through an AgentgatewayParameters deployment overlay",
      policy: "images-pinned",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "AgentgatewayParameters"), (o) => {
          o.spec.deployment = { ...o.spec.deployment, spec: { ...o.spec.deployment?.spec, template: { spec: { containers: [{ name: "log-shipper", image: "ghcr.io/example/log-shipper" }] } } } };
        }),
    },
    {
      name: "an AgentgatewayParameters overlay tolerating every taint (the GPU nodes' too)",
      policy: "gpu-scheduling",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "AgentgatewayParameters"), (o) => {
          o.spec.deployment = { ...o.spec.deployment, spec: { ...o.spec.deployment?.spec, template: { spec: { tolerations: [{ operator: "Exists" }] } } } };
        }),
    },
    {
      name: "the agentgateway controller chart tolerating the GPU taint",
      policy: "gpu-scheduling",
      apply: (doc) =>
        onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && /(^|\/)agentgateway$/.test((r.inputs as any)?.chart ?? ""), (o) => {
          o.values = { ...o.values, tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] };
        }),
    },
    {
      name: "a cluster's meshID overridden through meshConfig.defaultConfig.meshId (it wins over global.meshID)",
      policy: "mesh-identity-consistent",
      apply: (doc) => {
        const all = resources(doc).filter(istiod);
        return all.length > 1 ? edit(all[all.length - 1], (o) => (o.values.meshConfig = { ...o.values.meshConfig, defaultConfig: { ...o.values.meshConfig?.defaultConfig, meshId: "other-mesh" } })) : undefined;
      },
    },
    {
      name: "a second istiod release (a revision) with another trust domain",
      policy: "mesh-identity-consistent",
      apply: (doc) => {
        const first = resources(doc).find(istiod);
        if (!first) return undefined;
        const copy = JSON.parse(JSON.stringify(first));
        copy.urn = first.urn.replace(/::([^:]+)$/, "::$1-canary");
        for (const props of [copy.inputs, copy.outputs]) {
          if (!props) continue;
          props.name = "istiod-canary";
          props.values = { ...props.values, revision: "canary", meshConfig: { ...props.values?.meshConfig, trustDomain: "evil.local" } };
        }
        doc.deployment.resources!.push(copy);
        return copy.urn;
      },
    },
    {
      name: "a provider kubeconfig in plaintext whose only credentials are an auth-provider client secret and an exec plugin's AWS secret key",
      policy: "sensitive-values-secret",
      apply: (doc) => {
        const r = resources(doc).find((x) => x.type === "pulumi:providers:kubernetes" && (x.inputs as any)?.kubeconfig !== undefined);
        if (!r) return undefined;
        delete r.additionalSecretOutputs;
        const kubeconfig = [
          "apiVersion: v1",
          "kind: Config",
          "users:",
          "- name: oidc",
          "  user:",
          "    auth-provider:",
          "      name: oidc",
          "      config:",
          "        client-id: kube",
          "        client-secret: s3cr3t-0123456789",
          "- name: aws",
          "  user:",
          "    exec:",
          "      command: aws",
          "      args: [eks, get-token]",
          "      env:",
          "      - name: AWS_SECRET_ACCESS_KEY",
          "        value: wJalrXUtnFEMI0123456789",
          "",
        ].join("\n");
        return edit(r, (o) => (o.kubeconfig = kubeconfig));
      },
    },
    {
      name: "a route's split rule left with a single backend at weight 0 (all its traffic gets 500s)",
      policy: "canary-weight-limit",
      apply: (doc) =>
        onFirst(doc, splitRoute, (o) =>
          o.spec.rules.forEach((rule: any) => {
            const pair = weightedPair(rule);
            if (pair.length === 2) rule.backendRefs = [{ ...pair.reduce((a: any, b: any) => (a.weight >= b.weight ? a : b)), weight: 0 }];
          }),
        ),
    },
    // Pods that ztunnel never captures although their namespace is ambient, a namespace a fork
    // adds outside the default list, and istiod settings the mesh policies hinge on.
    {
      name: "an ambient pod bypassing inbound capture (ambient.istio.io/bypass-inbound-capture)",
      policy: "mesh-mtls-strict",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "Deployment") && ["agents", "tools", "inference"].includes((r.inputs as any)?.metadata?.namespace), (o) => {
          o.spec.template.metadata = { ...o.spec.template.metadata, annotations: { ...o.spec.template.metadata?.annotations, "ambient.istio.io/bypass-inbound-capture": "true" } };
        }),
    },
    {
      name: "an ambient workload on the host network",
      policy: "mesh-mtls-strict",
      apply: (doc) => onFirst(doc, (r) => isKind(r, "Deployment") && ["agents", "tools", "inference"].includes((r.inputs as any)?.metadata?.namespace), (o) => (o.spec.template.spec.hostNetwork = true)),
    },
    {
      name: "an ambient pod template carrying a sidecar status (istio-cni never enrolls it)",
      policy: "mesh-mtls-strict",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "Deployment") && ["agents", "tools", "inference"].includes((r.inputs as any)?.metadata?.namespace), (o) => {
          o.spec.template.metadata = { ...o.spec.template.metadata, annotations: { ...o.spec.template.metadata?.annotations, "sidecar.istio.io/status": "{}" } };
        }),
    },
    {
      name: "a fork's new ambient namespace (rag) running a workload no ALLOW policy covers",
      policy: "workload-namespaces-authorized",
      apply: (doc) => addNamespaceWithWorkload(doc, "rag", { "istio.io/dataplane-mode": "ambient" }),
    },
    {
      name: "a fork's new namespace (rag) running a workload outside ambient",
      policy: "mesh-mtls-strict",
      apply: (doc) => addNamespaceWithWorkload(doc, "rag", {}),
    },
    {
      name: "istiod given another root namespace (the mesh-wide PeerAuthentication no longer is)",
      policy: "mesh-mtls-strict",
      apply: (doc) => onFirst(doc, istiod, (o) => (o.values = { ...o.values, meshConfig: { ...o.values?.meshConfig, rootNamespace: "mesh-root" } })),
    },
    {
      name: "istiod injecting every unlabelled namespace, given as the string \"true\"",
      policy: "ambient-no-sidecar-injection",
      apply: (doc) => onFirst(doc, istiod, (o) => (o.values = { ...o.values, sidecarInjectorWebhook: { ...o.values?.sidecarInjectorWebhook, enableNamespacesByDefault: "true" } })),
    },
    // Splits outside HTTPRoute weights, node agents kept off the GPU nodes, Istio gateway
    // overlays, and a workload kind the rules once did not know.
    {
      name: "an InferenceModelRewrite sending half of a model's requests to another version",
      policy: "canary-weight-limit",
      apply: (doc) => {
        const pools = resources(doc).filter((r) => isKind(r, "InferencePool"));
        if (pools.length < 2) return undefined;
        const [v1, v2] = pools.map((p) => (p.inputs as any).metadata.name as string);
        return addLike(doc, pools[0], "rewrite", "kubernetes:llm-d.ai/v1alpha2:InferenceModelRewrite", {
          apiVersion: "llm-d.ai/v1alpha2",
          kind: "InferenceModelRewrite",
          metadata: { name: `${v1}-split`, namespace: (pools[0].inputs as any).metadata.namespace },
          spec: { poolRef: { group: "inference.networking.k8s.io", kind: "InferencePool", name: v1 }, rules: [{ targets: [{ modelRewrite: v1, weight: 50 }, { modelRewrite: v2, weight: 50 }] }] },
        });
      },
    },
    {
      name: "the canary rule's own split summing to 110 (the canary listed twice at 60 and 50)",
      policy: "canary-weight-limit",
      apply: (doc) =>
        onFirst(
          doc,
          (r) => isKind(r, "HTTPRoute") && withSpec(r).rules?.some((x: any) => x.matches?.some((m: any) => m.headers?.some((h: any) => h.name === "x-canary"))),
          (o) => {
            const door = o.spec.rules.find((x: any) => x.matches?.some((m: any) => m.headers?.some((h: any) => h.name === "x-canary")));
            door.backendRefs = [{ ...door.backendRefs[0], weight: 60 }, { ...door.backendRefs[0], weight: 50 }];
          },
        ),
    },
    {
      name: "the NVIDIA device plugin given tolerations: [] (it never runs on the tainted GPU nodes)",
      policy: "gpu-scheduling",
      apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "nvidia-device-plugin", (o) => (o.values = { ...o.values, tolerations: [] })),
    },
    {
      name: "ztunnel given tolerations: [] (GPU nodes' pods outside the ambient data plane)",
      policy: "gpu-scheduling",
      apply: (doc) => onFirst(doc, (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any)?.chart === "ztunnel", (o) => (o.values = { ...o.values, tolerations: [] })),
    },
    {
      name: "the inference gateway's options ConfigMap tolerating every taint through a deployment overlay",
      policy: "gpu-scheduling",
      apply: (doc) => onFirst(doc, gatewayOptions, (o) => (o.data = { ...o.data, deployment: "spec:\n  template:\n    spec:\n      tolerations:\n      - operator: Exists\n" })),
    },
    {
      name: "istiod's gatewayClasses defaults tolerating the GPU taint for every istio Gateway",
      policy: "gpu-scheduling",
      apply: (doc) =>
        onFirst(doc, istiod, (o) => (o.values = { ...o.values, gatewayClasses: { istio: { deployment: { spec: { template: { spec: { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] } } } } } } })),
    },
    {
      name: "the inference gateway's proxy image set to :latest through its options ConfigMap",
      policy: "images-pinned",
      apply: (doc) => onFirst(doc, gatewayOptions, (o) => (o.data = { ...o.data, deployment: "spec:\n  template:\n    spec:\n      containers:\n      - name: istio-proxy\n        image: docker.io/istio/proxyv2:latest\n" })),
    },
    {
      name: "a ReplicationController in the tools namespace that no ALLOW policy selects",
      policy: "workload-namespaces-authorized",
      apply: (doc) => {
        const tool = resources(doc).find((r) => isKind(r, "Deployment") && (r.inputs as any)?.metadata?.namespace === "tools");
        if (!tool) return undefined;
        const labels = { "app.kubernetes.io/name": "legacy-tool", "app.kubernetes.io/instance": "legacy-tool" };
        const template = JSON.parse(JSON.stringify((tool.inputs as any).spec.template));
        template.metadata = { ...template.metadata, labels };
        return addLike(doc, tool, "legacy-tool", "kubernetes:core/v1:ReplicationController", {
          apiVersion: "v1",
          kind: "ReplicationController",
          metadata: { name: "legacy-tool", namespace: "tools", labels },
          spec: { replicas: 1, selector: labels, template },
        });
      },
    },
    {
      name: "a NamespacePatch adding istio-injection=enabled to an ambient namespace",
      policy: "ambient-no-sidecar-injection",
      apply: (doc) => {
        const ns = resources(doc).find((r) => isKind(r, "Namespace") && (r.inputs as any)?.metadata?.name === "inference");
        if (!ns) return undefined;
        const patch = { apiVersion: "v1", kind: "Namespace", metadata: { name: "inference", labels: { "istio-injection": "enabled" } } };
        const type = "kubernetes:core/v1:NamespacePatch";
        const parts = ns.urn.split("::");
        const urn = [...parts.slice(0, 2), parts[2].replace(/kubernetes:core\/v1:Namespace$/, type), `${parts[3]}-injection-patch`].join("::");
        resources(doc).push({ ...ns, urn, type, id: "inference-injection-patch", inputs: patch, outputs: patch, dependencies: [], propertyDependencies: {} } as ExportedResource);
        return urn;
      },
    },
    {
      name: "an ALLOW rule naming a whole namespace by a principal's trailing wildcard (<td>/ns/agents/*)",
      policy: "authorization-sources-restricted",
      apply: (doc) =>
        onFirst(doc, (r) => principalRule(r) && (r.inputs as any)?.metadata?.namespace === "tools", (o) => {
          o.spec.rules[0].from[0].source.principals = [o.spec.rules[0].from[0].source.principals[0].replace(/\/ns\/.*/, "/ns/agents/*")];
        }),
    },
    {
      name: "a workload in namespace default enrolled in ambient by its pod label, selected by no ALLOW policy",
      policy: "workload-namespaces-authorized",
      apply: (doc) => {
        const all = resources(doc);
        const d = all.find((r) => isKind(r, "Deployment") && (r.inputs as any)?.metadata?.namespace === "agents" && podSpecs(r.inputs).length);
        if (!d) return undefined;
        const c = JSON.parse(JSON.stringify(d)) as ExportedResource;
        c.urn = d.urn.replace(/::([^:]+)$/, "::$1-default");
        const labels = { "app.kubernetes.io/name": "self-enrolled", "istio.io/dataplane-mode": "ambient" };
        edit(c, (o) => {
          o.metadata = { ...o.metadata, name: "self-enrolled", namespace: "default" };
          o.spec.selector = { matchLabels: labels };
          o.spec.template.metadata = { ...o.spec.template.metadata, labels };
        });
        all.push(c);
        return c.urn;
      },
    },
    {
      // Its cluster then holds two copies of the object, and the cluster it was meant for none.
      name: "a cluster's Deployment bound to another cluster's provider",
      policy: "kubernetes-cluster-binding",
      apply: (doc) => {
        const providers = resources(doc).filter((r) => r.type === "pulumi:providers:kubernetes" && !/::default(_|$)/.test(r.urn));
        const r = resources(doc).find((x) => isKind(x, "Deployment") && (x.inputs as any)?.metadata?.namespace === "tools" && x.provider);
        const other = providers.find((p) => r && !r.provider!.startsWith(`${p.urn}::`));
        if (!r || !other) return undefined;
        r.provider = `${other.urn}::${other.id}`;
        return r.urn;
      },
    },
    // Breakages written as a user adds something new beside what the platform renders (the cases
    // above mostly edit the platform's own objects).
    {
      name: "a second PeerAuthentication in a workload namespace, mode UNSET with one port PERMISSIVE",
      policy: "peer-authentication-strict",
      apply: (doc) => {
        const mesh = resources(doc).find((r) => isKind(r, "PeerAuthentication") && (r.inputs as any)?.metadata?.namespace === "istio-system");
        return mesh && addLike(doc, mesh, "agents-metrics", mesh.type, {
          apiVersion: "security.istio.io/v1", kind: "PeerAuthentication",
          metadata: { name: "metrics", namespace: "agents" },
          spec: { selector: { matchLabels: { app: "research-agent" } }, mtls: { mode: "UNSET" }, portLevelMtls: { 9090: { mode: "PERMISSIVE" } } },
        });
      },
    },
    {
      name: "a plaintext listener added to the inference gateway on another port",
      policy: "gateway-listeners-tls",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.name === "inference-gateway", (o) =>
          o.spec.listeners.push({ name: "http-alt", port: 8080, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } }),
        ),
    },
    {
      name: "a 50/50 split of a model's pools by a new HTTPRoute in another namespace",
      policy: "canary-weight-limit",
      apply: (doc) => {
        const route = resources(doc).find(splitRoute);
        if (!route) return undefined;
        const obj = JSON.parse(JSON.stringify(route.inputs));
        const ns = obj.metadata.namespace;
        obj.metadata = { name: `${obj.metadata.name}-ab`, namespace: "agents" };
        obj.spec.parentRefs = obj.spec.parentRefs.map((p: any) => ({ ...p, namespace: p.namespace ?? ns }));
        obj.spec.rules = obj.spec.rules.filter((r: any) => weightedPair(r).length === 2);
        obj.spec.rules.forEach((r: any) => weightedPair(r).forEach((b: any) => Object.assign(b, { weight: 50, namespace: ns })));
        return addLike(doc, route, "ab", route.type, obj);
      },
    },
    {
      name: "a second HTTPRoute giving a model's canary 95% of its split (the declaring route's x-canary rule names the canary)",
      policy: "canary-weight-across-routes",
      apply: (doc) => {
        const route = resources(doc).find(splitRoute);
        if (!route) return undefined;
        const obj = JSON.parse(JSON.stringify(route.inputs));
        obj.metadata = { ...obj.metadata, name: `${obj.metadata.name}-swapped` };
        obj.spec.hostnames = ["swapped.example.com"];
        obj.spec.rules = obj.spec.rules.filter((r: any) => weightedPair(r).length === 2);
        // The lighter backend of each split is the canary: it now takes the stable version's share.
        obj.spec.rules.forEach((r: any) => {
          const [light, heavy] = [...weightedPair(r)].sort((a: any, b: any) => a.weight - b.weight);
          [light.weight, heavy.weight] = [heavy.weight, light.weight];
        });
        return addLike(doc, route, "swapped", route.type, obj);
      },
    },
    {
      name: "a second HTTPRoute sending a path of a model only to its canary",
      policy: "canary-weight-across-routes",
      apply: (doc) => {
        const route = resources(doc).find(splitRoute);
        if (!route) return undefined;
        const obj = JSON.parse(JSON.stringify(route.inputs));
        const split = obj.spec.rules.find((r: any) => weightedPair(r).length === 2);
        const canary = [...weightedPair(split)].sort((a: any, b: any) => a.weight - b.weight)[0];
        obj.metadata = { ...obj.metadata, name: `${obj.metadata.name}-preview` };
        obj.spec.rules = [{ matches: [{ path: { type: "PathPrefix", value: "/preview" } }], backendRefs: [{ ...canary, weight: undefined }] }];
        return addLike(doc, route, "preview", route.type, obj);
      },
    },
    {
      name: "a GPU workload requesting nvidia.com/gpu with no limit",
      policy: "gpu-scheduling",
      apply: (doc) => onFirst(doc, gpuDeployment, (o) => podSpecs(o).forEach((s: any) => s.containers.forEach((c: any) => delete c.resources?.limits?.["nvidia.com/gpu"]))),
    },
    {
      name: "an ALLOW rule whose from is [{}] (one empty source)",
      policy: "authorization-sources-restricted",
      apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules[0].from = [{}])),
    },
    {
      name: "a GPU node group without the GPU taint (every pod can land on its GPUs)",
      policy: "gpu-scheduling",
      apply: (doc) => onFirst(doc, (r) => r.type === "aws:eks/nodeGroup:NodeGroup" && JSON.stringify((r.inputs as any)?.taints ?? []).includes("nvidia.com/gpu"), (o) => (o.taints = [])),
    },
    {
      // pulumi-kubernetes puts an object without a namespace in `default`, which nothing enrolls in ambient.
      name: "a tool's Deployment without a namespace (it lands in default, outside the mesh)",
      policy: "mesh-mtls-strict",
      apply: (doc) => onFirst(doc, (r) => isKind(r, "Deployment") && (r.inputs as any)?.metadata?.namespace === "tools", (o) => delete o.metadata.namespace),
    },
    // The same breakages in other spellings Istio accepts.
    {
      // Source fields are ANDed and "*" is a presence match: this admits every identity of the namespace.
      name: "an ALLOW rule from principals [\"*\"] ANDed with a namespace (every workload there)",
      policy: "authorization-sources-restricted",
      apply: (doc) => onFirst(doc, principalRule, (o) => (o.spec.rules[0].from[0].source = { principals: ["*"], namespaces: [o.metadata.namespace] })),
    },
    {
      // A ConfigMap has no secret fields: the key is plaintext in state and to every reader of ConfigMaps.
      name: "the mesh CA key kept in a ConfigMap instead of the cacerts Secret",
      policy: "sensitive-values-secret",
      apply: (doc) => {
        const secret = resources(doc).find(cacerts);
        if (!secret) return undefined;
        const key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n";
        return addLike(doc, secret, "as-configmap", "kubernetes:core/v1:ConfigMap", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cacerts-copy", namespace: "istio-system" }, data: { "ca-key.pem": key } });
      },
    },
    {
      // Both rules then match every request alike and Gateway API picks the first: all to the canary.
      name: "the canary rule's x-canary header match removed (it catches everything before the split)",
      policy: "canary-weight-limit",
      apply: (doc) =>
        onFirst(doc, splitRoute, (o) => {
          const door = o.spec.rules.find((r: any) => JSON.stringify(r.matches ?? []).includes('"x-canary"'));
          if (door) door.matches = door.matches.map((m: any) => ({ ...m, headers: (m.headers ?? []).filter((h: any) => h.name !== "x-canary") }));
        }),
    },
    {
      name: "a tls PrivateKey (the mesh root CA's) whose key outputs are no longer declared secret, in plaintext in state",
      policy: "sensitive-values-secret",
      apply: (doc) => {
        const key = resources(doc).find((r) => r.type === "tls:index/privateKey:PrivateKey");
        if (!key) return undefined;
        const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n";
        (key as { additionalSecretOutputs?: string[] }).additionalSecretOutputs = [];
        Object.assign(key.outputs ?? {}, { privateKeyPem: pem, privateKeyPemPkcs8: pem, privateKeyOpenssh: pem });
        return key.urn;
      },
    },
    {
      name: "the k3s join token's RandomPassword no longer declared secret, its result in plaintext",
      policy: "sensitive-values-secret",
      apply: (doc) => {
        const token = resources(doc).find((r) => r.type === "random:index/randomPassword:RandomPassword");
        if (!token) return undefined;
        (token as { additionalSecretOutputs?: string[] }).additionalSecretOutputs = [];
        Object.assign(token.outputs ?? {}, { result: "k3s-join-token-in-clear", bcryptHash: "$2a$10$abcdefghijklmnopqrstuv" });
        return token.urn;
      },
    },
    {
      name: "a copy of the mesh CA key in an Opaque Secret of another name, not declared secret",
      policy: "sensitive-values-secret",
      apply: (doc) => {
        const secret = resources(doc).find(cacerts);
        if (!secret) return undefined;
        const key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n";
        return addLike(doc, secret, "backup", secret.type, { apiVersion: "v1", kind: "Secret", metadata: { name: "ca-backup", namespace: "istio-system" }, type: "Opaque", data: { "ca-key.pem": Buffer.from(key).toString("base64") } });
      },
    },
    {
      // Its Service, port and DestinationRule are all in place: only the picker behind it serves another pool.
      name: "an InferencePool pointing at the endpoint picker Service of another pool (its canary's)",
      policy: "inference-pool-epp",
      apply: (doc) => {
        const pools = resources(doc).filter((r) => isKind(r, "InferencePool") && (r.inputs as any)?.spec?.endpointPickerRef?.name);
        const [pool, other] = pools;
        if (!pool || !other || pool.provider !== other.provider) return undefined;
        return edit(pool, (o) => (o.spec.endpointPickerRef.name = (other.inputs as any).spec.endpointPickerRef.name));
      },
    },
    {
      name: "an InferencePool whose endpointPickerRef names a Deployment instead of a Service",
      policy: "inference-pool-epp",
      apply: (doc) => onFirst(doc, (r) => isKind(r, "InferencePool") && !!withSpec(r).endpointPickerRef, (o) => (o.spec.endpointPickerRef.kind = "Deployment")),
    },
    {
      name: "istiod's values.pilot tolerating the GPU taint (the chart merges pilot over its top-level values)",
      policy: "gpu-scheduling",
      apply: (doc) => onFirst(doc, istiod, (o) => (o.values = { ...o.values, pilot: { ...o.values?.pilot, tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] } })),
    },
    {
      // The MCP gateway's own Service stays ClusterIP (its parameters): a hand-made one makes its plain HTTP listener public.
      name: "a LoadBalancer Service added in front of the ClusterIP MCP gateway's pods (its plaintext listener becomes public)",
      policy: "gateway-listeners-tls",
      apply: (doc) => {
        const gw = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.name === "mcp-gateway");
        const like = resources(doc).find((r) => isKind(r, "Service") && gw && r.provider === gw.provider && (r.inputs as any)?.metadata?.namespace === "tools");
        if (!gw || !like) return undefined;
        const selector = { "gateway.networking.k8s.io/gateway-name": "mcp-gateway" };
        return addLike(doc, like, "mcp-public", like.type, { apiVersion: "v1", kind: "Service", metadata: { name: "mcp-public", namespace: "tools" }, spec: { type: "LoadBalancer", selector, ports: [{ name: "http", port: 80, targetPort: 80 }] } });
      },
    },
    // Policies that read as authorization but that Istio 1.30 enforces nowhere.
    {
      name: "a model server's ALLOW policy put in dry-run (istio.io/dry-run: ztunnel drops it, the pods admit every mesh identity)",
      policy: "workload-namespaces-authorized",
      apply: (doc) =>
        onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && /-model-server$/.test((r.inputs as any)?.metadata?.name ?? ""), (o) => (o.metadata.annotations = { ...o.metadata.annotations, "istio.io/dry-run": "true" })),
    },
    {
      name: "a model server's ALLOW policy given `selector: {}` (istiod binds a selector without matchLabels to no workload)",
      policy: "workload-namespaces-authorized",
      apply: (doc) => onFirst(doc, (r) => isKind(r, "AuthorizationPolicy") && /-model-server$/.test((r.inputs as any)?.metadata?.name ?? ""), (o) => (o.spec.selector = {})),
    },
    {
      name: "a tool's L7 ALLOW policy (its waypoint guard) put in dry-run (the waypoint only logs it and lets every workload through)",
      policy: "agent-call-graph",
      apply: (doc) =>
        onFirst(
          doc,
          (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.metadata?.namespace === "tools" && withSpec(r).targetRefs?.[0]?.kind === "Service",
          (o) => (o.metadata.annotations = { ...o.metadata.annotations, "istio.io/dry-run": "true" }),
        ),
    },
    // Found by an adversarial sweep: a fork's own ambient namespace, and agents reaching tools
    // they are not configured for (only "agents may call tools" was checked, not which agent).
    {
      name: "a fork's new ambient namespace (rag) whose workload asks for a sidecar (sidecar.istio.io/inject=true)",
      policy: "ambient-no-sidecar-injection",
      apply: (doc) => {
        if (!addNamespaceWithWorkload(doc, "rag", { "istio.io/dataplane-mode": "ambient" })) return undefined;
        return onFirst(doc, (r) => isKind(r, "Deployment") && (r.inputs as any)?.metadata?.namespace === "rag", (o) => {
          o.spec.template.metadata.labels = { ...o.spec.template.metadata.labels, "sidecar.istio.io/inject": "true" };
        });
      },
    },
    {
      name: "a tool's waypoint policy admitting an agent not configured for the tool",
      policy: "agent-call-graph",
      apply: (doc) => {
        const found = unconfiguredAgent(doc);
        return found && edit(found.policy, (o) => o.spec.rules[0].from[0].source.principals.push(found.principal));
      },
    },
    {
      name: "the MCP gateway's per-tool authorization letting an agent call a tool it is not configured for",
      policy: "agent-call-graph",
      apply: (doc) => {
        const found = unconfiguredAgent(doc);
        if (!found) return undefined;
        const access = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && r.provider === found.policy.provider && !!withSpec(r).backend?.mcp?.authorization);
        const [td, , ns, , account] = found.principal.split("/");
        const clause = `(source.identity.trustDomain == "${td}" && source.identity.namespace == "${ns}" && source.identity.serviceAccount in ["${account}"] && mcp.tool.target == "${found.tool}")`;
        return access && edit(access, (o) => o.spec.backend.mcp.authorization.policy.matchExpressions.push(clause));
      },
    },
    {
      name: "the MCP gateway's per-tool authorization removed (every agent may call every tool through it)",
      policy: "agent-call-graph",
      apply: (doc) => {
        const found = unconfiguredAgent(doc);
        return found ? removeAll(doc, (r) => isKind(r, "AgentgatewayPolicy") && r.provider === found.policy.provider && !!withSpec(r).backend?.mcp?.authorization) : undefined;
      },
    },
  ];
}

/**
 * A tool's waypoint policy (targetRefs to its Service, naming agents) and an agent of the same
 * cluster it does not name, or undefined when every agent there may use every tool.
 */
function unconfiguredAgent(doc: ExportedDeployment): { policy: ExportedResource; principal: string; tool: string } | undefined {
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

const gatewayOptions = (r: ExportedResource) => isKind(r, "ConfigMap") && (r.inputs as any)?.metadata?.name === "inference-gateway-options";

/**
 * Adds a resource of `type` holding `obj` (inputs and outputs) beside `like`, on its provider and
 * parent, as the program would have rendered a new object there; returns its URN.
 */
function addLike(doc: ExportedDeployment, like: ExportedResource, suffix: string, type: string, obj: Record<string, unknown>): string {
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
 * Adds a Namespace (with `labels`) and a copy of a workload Deployment in it, on the first
 * cluster that runs one, as a fork adding its own namespace would render them; returns the
 * Namespace's URN.
 */
function addNamespaceWithWorkload(doc: ExportedDeployment, name: string, labels: Record<string, string>): string | undefined {
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
  copy(deployment, name, (o) => (o.metadata = { ...o.metadata, namespace: name }));
  return urn;
}
