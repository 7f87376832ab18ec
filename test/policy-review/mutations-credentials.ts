/**
 * Policy-review mutations of who holds the keys: providers and their kubeconfigs, Secrets kept
 * secret, EKS endpoints, the root of trust each istiod actually reads, and the service account GCE
 * VMs hand their pods (what the k3s agents' boot scripts write: mutations-boot-scripts.ts, and
 * through bash's control flow: mutations-boot-flow.ts).
 */
import { SIG_KEY, ASSET_SIG } from "../../scripts/lib/state-signatures";
import { bootScriptMutations } from "./mutations-boot-scripts";
import { bootFlowMutations } from "./mutations-boot-flow";
import { Mutation, resources, edit, istiod, addLike, cacerts, gpuDeployment, podSpecs, onFirst, isKind, withSpec } from "./mutations-support";

export const credentialsMutations: Mutation[] = [
  {
    // A StringAsset's text is kept in state as given: a password in a values file is plaintext there.
    name: "a password in istiod's valueYamlFiles StringAsset, not declared secret",
    policy: "sensitive-values-secret",
    apply: (doc) => onFirst(doc, istiod, (o) => (o.valueYamlFiles = [{ [SIG_KEY]: ASSET_SIG, text: "adminPassword: hunter2-Plain\n" }])),
  },
  {
    // The istiod chart mounts cacerts from its release namespace: moved to another namespace, the
    // cluster's istiod no longer sees the shared CA and mints its own root.
    name: "a cluster's istiod moved to another namespace, its cacerts left in istio-system",
    policy: "mesh-root-ca-shared",
    apply: (doc) => {
      const all = resources(doc).filter(istiod);
      return all.length > 1 ? edit(all[all.length - 1], (o) => ((o.namespace = "istio"), (o.values.global = { ...o.values.global, istioNamespace: "istio" }))) : undefined;
    },
  },
  {
    // istiod takes its cluster's network from its own namespace's label: one naming another
    // network than global.network splits the cluster's endpoints between two networks.
    name: "a cluster's istiod in its own namespace, labelled with another network than istiod's",
    policy: "mesh-identity-consistent",
    apply: (doc) => {
      const all = resources(doc).filter(istiod);
      if (all.length < 2) return undefined;
      const moved = all[all.length - 1];
      edit(moved, (o) => ((o.namespace = "istio"), (o.values.global = { ...o.values.global, istioNamespace: "istio" })));
      const ns = resources(doc).find((r) => r.type === "kubernetes:core/v1:Namespace" && r.provider === moved.provider && (r.inputs as any)?.metadata?.name === "istio-system")!;
      addLike(doc, ns, "istio", ns.type, { apiVersion: "v1", kind: "Namespace", metadata: { name: "istio", labels: { "topology.istio.io/network": "some-other-network" } } });
      return moved.urn;
    },
  },
  {
    // A Secret of a credential type holds a credential whatever its entries look like.
    name: "a node bootstrap token Secret added without declaring its data secret",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const like = resources(doc).find(cacerts);
      return like && addLike(doc, like, "bootstrap-token", like.type, {
        apiVersion: "v1", kind: "Secret", type: "bootstrap.kubernetes.io/token",
        metadata: { name: "bootstrap-token-abcdef", namespace: "kube-system" },
        stringData: { "token-id": "abcdef", "token-secret": "0123456789abcdef", "usage-bootstrap-authentication": "true" },
      });
    },
  },
  ...bootScriptMutations,
  ...bootFlowMutations,
  {
    // The vLLM servers take HF_TOKEN from the hf-token Secret: given as a literal instead, the token
    // sits in the Deployment's state and in its pod spec for every reader of Deployments.
    name: "a vLLM server's HF_TOKEN given as a literal env value instead of from its Secret",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const server = resources(doc).find(gpuDeployment);
      return server && edit(server, (o) => podSpecs(o).forEach((spec: any) => spec.containers.forEach((c: any) => {
        c.env = (c.env ?? []).map((e: any) => (e.name === "HF_TOKEN" ? { name: "HF_TOKEN", value: "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345" } : e));
        if (!c.env.some((e: any) => e.name === "HF_TOKEN")) c.env.push({ name: "HF_TOKEN", value: "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345" });
      })));
    },
  },
  {
    // A ConfigMap declares nothing secret: the k3s join token moved into one (for a node bootstrap
    // job, say) is plaintext in state, exports and to every reader of ConfigMaps.
    name: "a join token moved into a ConfigMap (under a key naming it)",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const like = resources(doc).find(cacerts);
      return like && addLike(doc, like, "join-token", "kubernetes:core/v1:ConfigMap", {
        apiVersion: "v1", kind: "ConfigMap", metadata: { name: "k3s-join", namespace: "kube-system" }, data: { "join-token": "Zq8vN3pL0xR7sT2w" },
      });
    },
  },
  {
    // agentgateway's auth.key is "the least secure" way to give a backend its key (its CRDs): an
    // LLM provider's key put there is plaintext in state and to every reader of the backend.
    name: "the agents' LLM backend given its provider's API key inline (policies.auth.key) instead of from a Secret",
    policy: "sensitive-values-secret",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AgentgatewayBackend") && !!withSpec(r).ai, (o) => (o.spec.policies = { ...o.spec.policies, auth: { key: "sk-proj-abc123def456" } })),
  },
  {
    // agentgateway v1.4.1 joins basicAuthentication.users into the proxy's htpasswd file: each password a hash (its CRD).
    name: "a basic-auth AgentgatewayPolicy on the agent gateway whose htpasswd line holds a password in clear",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const jwt = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication);
      if (!jwt) return undefined;
      const { namespace } = (jwt.inputs as any).metadata;
      return addLike(doc, jwt, "basic", jwt.type, {
        apiVersion: "agentgateway.dev/v1alpha1",
        kind: "AgentgatewayPolicy",
        metadata: { name: "operators-basic", namespace },
        spec: { targetRefs: withSpec(jwt).targetRefs, traffic: { basicAuthentication: { mode: "Strict", users: ["ops:correct-horse-battery-staple"] } } },
      });
    },
  },
  {
    // agentgateway v1.4.1 (traffic_plugin.go processAPIKeyAuthenticationPolicy) takes only keyHash from a ConfigMap.
    name: "an API-key AgentgatewayPolicy on the agent gateway reading a raw key from a ConfigMap its configMapSelector picks",
    policy: "agentgateway-api-key-sources",
    apply: (doc) => {
      const jwt = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication);
      if (!jwt) return undefined;
      const { namespace } = (jwt.inputs as any).metadata;
      addLike(doc, jwt, "api-keys", jwt.type, {
        apiVersion: "agentgateway.dev/v1alpha1",
        kind: "AgentgatewayPolicy",
        metadata: { name: "clients-api-keys", namespace },
        spec: { targetRefs: withSpec(jwt).targetRefs, traffic: { apiKeyAuthentication: { mode: "Strict", configMapSelector: { matchLabels: { "agentgateway.dev/api-keys": "clients" } } } } },
      });
      return addLike(doc, jwt, "api-keys-cm", "kubernetes:core/v1:ConfigMap", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "client-api-keys", namespace, labels: { "agentgateway.dev/api-keys": "clients" } },
        data: { client1: JSON.stringify({ key: "k-123", metadata: { group: "sales" } }) },
      });
    },
  },
  {
    // agentgateway v1.4.1's released controller resolves core Secrets only (kubeutils/secrets.go):
    // a secretRef to another credential kind is "unsupported credential kind", and no key is checked.
    name: "an API-key AgentgatewayPolicy on the agent gateway whose secretRef names a custom credential kind",
    policy: "agentgateway-api-key-sources",
    apply: (doc) => {
      const jwt = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication);
      if (!jwt) return undefined;
      const { namespace } = (jwt.inputs as any).metadata;
      return addLike(doc, jwt, "vault-api-keys", jwt.type, {
        apiVersion: "agentgateway.dev/v1alpha1",
        kind: "AgentgatewayPolicy",
        metadata: { name: "clients-vault-api-keys", namespace },
        spec: { targetRefs: withSpec(jwt).targetRefs, traffic: { apiKeyAuthentication: { mode: "Strict", secretRef: { name: "client-api-keys", group: "secrets.example.com", kind: "VaultCredential" } } } },
      });
    },
  },
  {
    // The v1.4.1 CRD admits one key source (ExactlyOneOf=secretRef;secretSelector;configMapSelector)
    // and checks secretRef's group/kind whatever else is set: the API server rejects the policy.
    name: "an API-key AgentgatewayPolicy on the agent gateway whose configMapSelector sits beside a secretRef naming a kind without a group",
    policy: "agentgateway-api-key-sources",
    apply: (doc) => {
      const jwt = resources(doc).find((r) => isKind(r, "AgentgatewayPolicy") && !!withSpec(r).traffic?.jwtAuthentication);
      if (!jwt) return undefined;
      const { namespace } = (jwt.inputs as any).metadata;
      const apiKeys = { mode: "Strict", configMapSelector: { matchLabels: { "agentgateway.dev/api-keys": "clients" } }, secretRef: { name: "legacy-api-keys", kind: "VaultCredential" } };
      return addLike(doc, jwt, "two-source-api-keys", jwt.type, {
        apiVersion: "agentgateway.dev/v1alpha1",
        kind: "AgentgatewayPolicy",
        metadata: { name: "clients-two-source-api-keys", namespace },
        spec: { targetRefs: withSpec(jwt).targetRefs, traffic: { apiKeyAuthentication: apiKeys } },
      });
    },
  },
  {
    // Every credential ref goes through the controller's Secret-only resolver (kubeutils/secrets.go):
    // a backend's key in a custom credential kind is never read, and the backend is sent none.
    name: "the agents' LLM backend given its API key by a secretRef naming a custom credential kind",
    policy: "agentgateway-api-key-sources",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "AgentgatewayBackend") && !!withSpec(r).ai, (o) => (o.spec.policies = { ...o.spec.policies, auth: { secretRef: { name: "llm-api-key", group: "secrets.example.com", kind: "VaultCredential" } } })),
  },
  {
    // A Release keeps its values in state, inputs and outputs alike: a token handed to a chart
    // there in plaintext sits in every export and preview diff.
    name: "a service-account token handed to istiod in plaintext through its Helm values",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const release = resources(doc).find(istiod);
      const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6aXN0aW8tc3lzdGVtOnJlYWRlciJ9.c2ln";
      return release && edit(release, (o) => (o.values = { ...o.values, env: { ...o.values?.env, REMOTE_READER_TOKEN: token } }));
    },
  },
  {
    // lws v0.10.0 makes the worker pods from workerTemplate: its env is a pod spec, plaintext in state like a Deployment's.
    name: "a multi-node vLLM LeaderWorkerSet beside a vLLM Deployment whose worker template passes HF_TOKEN as a literal",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const server = resources(doc).find(gpuDeployment);
      if (!server) return undefined;
      const template = JSON.parse(JSON.stringify((server.inputs as any).spec.template));
      const worker = JSON.parse(JSON.stringify(template));
      worker.spec.containers[0].env = [...(worker.spec.containers[0].env ?? []), { name: "HF_TOKEN", value: "hf_" + "q".repeat(34) }];
      const { name, namespace } = (server.inputs as any).metadata;
      return addLike(doc, server, "lws", "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet", {
        apiVersion: "leaderworkerset.x-k8s.io/v1",
        kind: "LeaderWorkerSet",
        metadata: { name: `${name}-multinode`, namespace },
        spec: { replicas: 1, leaderWorkerTemplate: { size: 2, leaderTemplate: template, workerTemplate: worker } },
      });
    },
  },
  {
    name: "a k3s GPU agent template running as the Compute Engine default service account",
    policy: "gce-service-account-dedicated",
    apply: (doc) =>
      onFirst(doc, (r) => r.type === "gcp:compute/instanceTemplate:InstanceTemplate" && ((r.inputs as any).guestAccelerators ?? []).length > 0, (o) => {
        o.serviceAccount = { email: "123456789012-compute@developer.gserviceaccount.com", scopes: ["https://www.googleapis.com/auth/cloud-platform"] };
      }),
  },
];
