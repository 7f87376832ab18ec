/** Policy-review mutations of infrastructure: secrets in state, explicit providers and cluster binding, EKS and k3s API endpoints. */
import { Mutation, resources, isKind, edit, SIG, onFirst, cacerts, addLike } from "./mutations-support";

/** A private key's PEM as the mutations leave one in plaintext (a CA key copied out, a key output undeclared secret). */
const PRIVATE_KEY_PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n";

export const infrastructureMutations: Mutation[] = [
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
    name: "the k3s API firewall opened to 0.0.0.0/0",
    policy: "eks-endpoint-private",
    apply: (doc) => onFirst(doc, (r) => r.type === "gcp:compute/firewall:Firewall" && /allow-k3s-api$/.test(r.urn), (o) => (o.sourceRanges = ["0.0.0.0/0"])),
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
    name: "a cluster's provider without a kubeconfig (it falls back to the operator's $KUBECONFIG)",
    policy: "explicit-kubernetes-provider",
    apply: (doc) => {
      const r = resources(doc).find((x) => x.type === "pulumi:providers:kubernetes" && (x.inputs as any)?.kubeconfig !== undefined);
      return r && edit(r, (o) => delete o.kubeconfig);
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
  {
    // A ConfigMap has no secret fields: the key is plaintext in state and to every reader of ConfigMaps.
    name: "the mesh CA key kept in a ConfigMap instead of the cacerts Secret",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const secret = resources(doc).find(cacerts);
      if (!secret) return undefined;
      return addLike(doc, secret, "as-configmap", "kubernetes:core/v1:ConfigMap", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cacerts-copy", namespace: "istio-system" }, data: { "ca-key.pem": PRIVATE_KEY_PEM } });
    },
  },
  {
    name: "a tls PrivateKey (the mesh root CA's) whose key outputs are no longer declared secret, in plaintext in state",
    policy: "sensitive-values-secret",
    apply: (doc) => {
      const key = resources(doc).find((r) => r.type === "tls:index/privateKey:PrivateKey");
      if (!key) return undefined;
      (key as { additionalSecretOutputs?: string[] }).additionalSecretOutputs = [];
      Object.assign(key.outputs ?? {}, { privateKeyPem: PRIVATE_KEY_PEM, privateKeyPemPkcs8: PRIVATE_KEY_PEM, privateKeyOpenssh: PRIVATE_KEY_PEM });
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
      return addLike(doc, secret, "backup", secret.type, { apiVersion: "v1", kind: "Secret", metadata: { name: "ca-backup", namespace: "istio-system" }, type: "Opaque", data: { "ca-key.pem": Buffer.from(PRIVATE_KEY_PEM).toString("base64") } });
    },
  },
];
