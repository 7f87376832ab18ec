/**
 * Policy-review mutations of who holds the keys: providers and their kubeconfigs, Secrets and
 * startup scripts kept secret, EKS endpoints, the root of trust each istiod actually reads, and the
 * service account GCE VMs hand their pods.
 */
import { gzipSync } from "zlib";
import { SIG_KEY, ASSET_SIG } from "../../scripts/lib/state-signatures";
import type { ExportedDeployment } from "../../scripts/lib/review-wire";
import { Mutation, resources, edit, istiod, addLike, cacerts, gpuDeployment, podSpecs, onFirst, isKind, withSpec } from "./mutations-support";

/** The k3s agents' instance template with `metadata` set over its own (a startup script, cloud-init user-data). */
function withAgentMetadata(doc: ExportedDeployment, metadata: Record<string, string>) {
  const t = resources(doc).find((r) => r.type === "gcp:compute/instanceTemplate:InstanceTemplate");
  return t && edit(t, (o) => (o.metadata = { ...o.metadata, ...metadata }));
}

/** A startup script for the k3s agents, as bash runs it, each writing a credential in a way bash reads alike. */
const AGENT_SCRIPTS: [string, string][] = [
  [
    // In double quotes `\"` does not end the string (Bash Reference Manual 3.1.2.3): the whole login is encoded.
    "a registry login whose password holds an escaped quote, base64-encoded by the k3s agents' startup script into registries.yaml",
    `AUTH=$(echo -n "ci-bot:pa\\"ss|word" | base64 -w0)\necho "auth: $AUTH" >> /etc/rancher/k3s/registries.yaml\n`,
  ],
  [
    // printf -v assigns what it would print (Bash Reference Manual 4.2, printf): echoed into config.json, it is the login.
    "a registry login printed into a variable by printf -v, then echoed into the k3s agents' Docker config.json by their startup script",
    `printf -v CFG '{"auths":{"ghcr.io":{"auth":"%s"}}}' ${Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64")}\necho "$CFG" > /root/.docker/config.json\n`,
  ],
  [
    // %b takes its argument's escapes (\x22 is a double quote): the JSON printed holds the login under auth.
    "a registry login printed by printf %b with its quotes as \\x22 escapes into the k3s agents' Docker config.json",
    `printf '%b' '{\\x22auths\\x22:{\\x22ghcr.io\\x22:{\\x22auth\\x22:\\x22${Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64")}\\x22}}}' > /root/.docker/config.json\n`,
  ],
  [
    // printf reuses its format while arguments remain: the second pass prints `token: <literal>`.
    "the k3s agents' join token printed by printf reusing its format for key/value pairs into their config.yaml",
    "printf '%s: %s\\n' server https://10.0.0.2:6443 token Zq8vN3pL0xR7sT2w > /etc/rancher/k3s/config.yaml\n",
  ],
  [
    // ${VAR:-word} gives its word when VAR is unset, as on a fresh VM (Bash Reference Manual 3.5.3).
    "the k3s agents' join token given as the default of ${K3S_TOKEN:-…} in their startup script",
    'curl -sfL https://get.k3s.io | sh -s - agent --server https://10.0.0.2:6443 --token "${K3S_TOKEN:-Zq8vN3pL0xR7sT2w}"\n',
  ],
  [
    // $'…' is the string with its escapes taken off (Bash Reference Manual 3.1.2.4).
    "the k3s agents' join token given ANSI-C quoted ($'…') in their startup script",
    "export K3S_TOKEN=$'Zq8v\\x4e3pL0xR7sT2w'\n",
  ],
  [
    // A here-string is the command's standard input (Bash Reference Manual 3.6.7): install writes it to the token file.
    "the k3s agents' join token written by install /dev/stdin from a here-string into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\ninstall -m 600 /dev/stdin /etc/rancher/k3s/token <<< 'Zq8vN3pL0xR7sT2w'\n",
  ],
  [
    // read assigns its here-string's word to the variable the install line passes as --token.
    "the k3s agents' join token assigned by read from a here-string, then passed as --token in their startup script",
    `IFS= read -r T <<< 'Zq8vN3pL0xR7sT2w'\ncurl -sfL https://get.k3s.io | sh -s - agent --server https://10.0.0.2:6443 --token "$T"\n`,
  ],
  [
    // base64 -d only reshapes what echo prints: the token file gets the token itself.
    "the k3s agents' join token echoed base64-encoded through base64 -d into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\necho WnE4dk4zcEwweFI3c1Qydw== | base64 -d > /etc/rancher/k3s/token\n",
  ],
  [
    // --password-stdin reads the password from the pipe: echoed there, it is written in the script.
    "a registry password echoed into docker login --password-stdin by the k3s agents' startup script",
    "echo 'ghp_0123456789abcdef' | docker login -u ci-bot --password-stdin ghcr.io\n",
  ],
  [
    // tee writes every file it names: the token file among them gets the token.
    "the k3s agents' join token piped to tee naming a log file and the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\necho Zq8vN3pL0xR7sT2w | tee /var/log/join.log /etc/rancher/k3s/token\n",
  ],
  [
    // echo -e takes \x22 as a double quote (Bash Reference Manual 4.2, echo): the JSON written holds the login.
    "a registry login echoed by echo -e with its quotes as \\x22 escapes into the k3s agents' Docker config.json",
    `echo -e '{\\x22auths\\x22:{\\x22ghcr.io\\x22:{\\x22auth\\x22:\\x22${Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64")}\\x22}}}' > /root/.docker/config.json\n`,
  ],
  [
    // <<\EOF quotes the delimiter like <<'EOF' (Bash Reference Manual 3.6.6): the body is written as is.
    "the k3s agents' join token written by a heredoc with a backslash-quoted delimiter (<<\\EOF) into the file token-file names",
    "echo 'token-file: /etc/rancher/k3s/token' > /etc/rancher/k3s/config.yaml\ncat > /etc/rancher/k3s/token <<\\EOF\nZq8vN3pL0xR7sT2w\nEOF\n",
  ],
];

/** Each of AGENT_SCRIPTS as the k3s agents' startup script. */
const shellMutations = (): Mutation[] =>
  AGENT_SCRIPTS.map(([name, script]) => ({ name, policy: "sensitive-values-secret", apply: (doc) => withAgentMetadata(doc, { "startup-script": `#!/bin/bash\n${script}` }) }));

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
  {
    // A regional template holds the same startup script as the instance template it replaces.
    name: "the k3s agents' instance template made regional, its startup script (join token) in plaintext",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const t = resources(doc).find((r) => r.type === "gcp:compute/instanceTemplate:InstanceTemplate");
      if (!t) return undefined;
      t.type = "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate";
      t.urn = t.urn.replace("gcp:compute/instanceTemplate:InstanceTemplate", t.type);
      (t as any).additionalSecretOutputs = [];
      return edit(t, (o) => (o.metadata = { ...o.metadata, "startup-script": "#!/bin/bash\nK3S_TOKEN=0123456789abcdef sh /opt/k3s-install.sh agent\n" }));
    },
  },
  {
    // cloud-init uncompresses gzip user-data, which GCE hands it base64-decoded (user-data-encoding):
    // a bare-password token written to the file token-file names is as plain in the template's
    // metadata, which is not declared secret, as it would be in clear.
    name: "the k3s agents' join token (a bare password, in the file token-file names) moved into base64+gzip cloud-init user-data",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const cloudConfig = "#cloud-config\nwrite_files:\n- path: /etc/rancher/k3s/token\n  content: Zq8vN3pL0xR7sT2w\n- path: /etc/rancher/k3s/config.yaml\n  content: |\n    token-file: /etc/rancher/k3s/token\n";
      const userData = gzipSync(Buffer.from(cloudConfig)).toString("base64");
      return withAgentMetadata(doc, { "user-data": userData, "user-data-encoding": "base64" });
    },
  },
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
    // k3s reads its registry logins from /etc/rancher/k3s/registries.yaml, whose `auth` is
    // user:password base64-encoded (docs.k3s.io Private Registry Configuration): written by
    // cloud-init from the template's metadata, which is not declared secret, it is plaintext.
    name: "a registry login (base64 user:password under auth) written to the k3s agents' registries.yaml by cloud-init user-data",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const auth = Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64");
      const cloudConfig = `#cloud-config\nwrite_files:\n- path: /etc/rancher/k3s/registries.yaml\n  content: |\n    configs:\n      ghcr.io:\n        auth:\n          auth: ${auth}\n`;
      return withAgentMetadata(doc, { "user-data": cloudConfig });
    },
  },
  {
    // k3s reads registries.yaml's `auth` as base64 user:password (docs.k3s.io Private Registry
    // Configuration): a script encoding a password it holds itself carries that password in clear.
    name: "a registry login the k3s agents' startup script base64-encodes itself (AUTH=$(echo -n user:password | base64)) into registries.yaml",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const script = `#!/bin/bash\nAUTH=$(echo -n "ci-bot:ghp_0123456789abcdefABCDEF" | base64 -w0)\ncat > /etc/rancher/k3s/registries.yaml <<EOF\nconfigs:\n  ghcr.io:\n    auth:\n      auth: $AUTH\nEOF\n`;
      return withAgentMetadata(doc, { "startup-script": script });
    },
  },
  {
    // Docker reads ~/.docker/config.json's auths.<registry>.auth as base64 user:password (docker/cli
    // AuthConfig): written from a double-quoted string, its quotes escaped, it is as plain in the
    // template's metadata, which is not declared secret, as JSON in clear.
    name: "a registry login written to the k3s agents' Docker config.json as JSON escaped in a double-quoted string by their startup script",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const auth = Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64");
      const script = `#!/bin/bash\nmkdir -p /root/.docker\necho "{\\"auths\\":{\\"ghcr.io\\":{\\"auth\\":\\"${auth}\\"}}}" > /root/.docker/config.json\n`;
      return withAgentMetadata(doc, { "startup-script": script });
    },
  },
  {
    // printf prints its argument where the format's %s stands: the login given as that argument
    // lands under auth in config.json, and sits in the template's metadata in plaintext.
    name: "a registry login passed as printf's argument into the k3s agents' Docker config.json by their startup script",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const auth = Buffer.from("ci-bot:ghp_0123456789abcdefABCDEF").toString("base64");
      const script = `#!/bin/bash\nmkdir -p /root/.docker\nprintf '{"auths":{"ghcr.io":{"auth":"%s"}}}\\n' ${auth} > /root/.docker/config.json\n`;
      return withAgentMetadata(doc, { "startup-script": script });
    },
  },
  ...shellMutations(),
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
