import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { cannotJudge, isWorkload, kindName, meta, T } from "../lib/k8s";
import { orUnknown, probe } from "../lib/values";
import { releaseLabel } from "../lib/release-namespace";
import { isEksOwnProvider } from "../lib/eks";
import { configMapCredential, credentialsInValueFiles, credentialsInValues, FoundCredential, kubeconfigCredentials } from "../lib/credentials";
import { EC2_USER_DATA, scriptCredential } from "../lib/boot-scripts";
import { gceBinSh } from "../lib/gce-driver";
import { workloadCredentials } from "../lib/pod-credentials";
import { isLeaderWorkerSet } from "../lib/leader-worker-sets";
import { isInlineKeyKind, reportInlineKeys } from "../lib/inline-keys";
import { givenHelmValues } from "../lib/helm-values";
import { readFromManifests } from "../lib/api-key-sources";

/**
 * Whether the top-level property `key` is kept secret. Policies receive secrets already
 * unwrapped (`pulumi preview` decrypts them before the pack sees them), so the one evidence is
 * the resource's additionalSecretOutputs: what the engine keeps encrypted in state.
 */
function keptSecret(args: ResourceValidationArgs, key: string): boolean {
  return (args.opts?.additionalSecretOutputs ?? []).includes(key);
}

/** What to say of a value this run cannot read (ciphertext offline, or computed during a preview). */
const unreadable = (key: string) =>
  `${key} cannot be read here (encrypted in the state under review, or not known until deployment), so whether it carries credentials cannot be checked, and it is not in additionalSecretOutputs`;

/** A kubeconfig given inline (YAML or JSON) rather than as a path to a file outside state. */
function inlineKubeconfig(value: unknown): boolean {
  if (typeof value !== "string") return value !== undefined && value !== null;
  return value.includes("\n") || value.trimStart().startsWith("{") || /apiVersion|clusters:/.test(value);
}

/**
 * What is true of a value this policy finds in plaintext: the SDK hands policies secrets already
 * unwrapped, so a pulumi.secret() looks the same as plaintext here, and the resource's
 * additionalSecretOutputs is the one signal that the output stays encrypted in state.
 */
const notDeclared = (key: string) => `${key} is not declared secret (not in the resource's additionalSecretOutputs)`;

/**
 * VM types whose startup script runs with the instance: a join token or key in it is a credential.
 * Every @pulumi/gcp 9.37.0 compute resource with `metadataStartupScript` and `metadata`: a fork's
 * regional template or instance made from a template or machine image holds the same script.
 */
const startupScriptTypes = new Set([
  "gcp:compute/instance:Instance",
  "gcp:compute/instanceTemplate:InstanceTemplate",
  "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate",
  "gcp:compute/instanceFromTemplate:InstanceFromTemplate",
  "gcp:compute/instanceFromMachineImage:InstanceFromMachineImage",
]);

/**
 * What a Secret's entries hold, whatever its type, name or labels say: a private key or a
 * kubeconfig carrying credentials (data is base64). Entries not known here are left to the checks
 * by kind.
 */
function secretContent(props: Record<string, any>): string | undefined {
  for (const field of ["data", "stringData"]) {
    const entries = probe(() => (props[field] ?? {}) as Record<string, unknown>);
    if (!entries.known || typeof entries.value !== "object") continue;
    for (const key of Object.keys(entries.value)) {
      const v = probe(() => entries.value[key]);
      if (!v.known || typeof v.value !== "string") continue;
      const what = configMapCredential(field === "data" ? Buffer.from(v.value, "base64").toString("utf8") : v.value, key);
      if (what) return `${what} (${field}.${key})`;
    }
  }
  return undefined;
}

/**
 * Secret types that hold a credential by definition (Kubernetes "Secret types"): a node bootstrap
 * (join) token, registry credentials, a basic-auth password, an SSH key; the type alone says so,
 * whatever the entries look like.
 */
const CREDENTIAL_SECRET_TYPES = new Map<unknown, string>([
  ["bootstrap.kubernetes.io/token", "a bootstrap (node join) token"],
  ["kubernetes.io/dockerconfigjson", "registry credentials"],
  ["kubernetes.io/dockercfg", "registry credentials"],
  ["kubernetes.io/basic-auth", "a basic-auth password"],
  ["kubernetes.io/ssh-auth", "an SSH private key"],
]);

/** Why a Secret holds credentials that must never sit in state in plaintext. */
function sensitiveSecret(props: Record<string, any>): string | undefined {
  const m = meta(props);
  if (props.type === "kubernetes.io/service-account-token") return "a service-account token";
  const byType = CREDENTIAL_SECRET_TYPES.get(props.type);
  if (byType) return byType;
  if (m.name === "cacerts") return "the mesh CA key (ca-key.pem)";
  if (m.labels["istio/multiCluster"] === "true") return "an Istio remote secret (a kubeconfig)";
  if (props.type === "kubernetes.io/tls") return "a TLS private key";
  return secretContent(props);
}

/**
 * Credentials other providers hand out, and the properties their SDKs declare secret (the
 * generated classes of @pulumi/tls 5.6.1 and @pulumi/random 4.21.2 add them to
 * additionalSecretOutputs): a resource missing one keeps its key or token in plaintext in state.
 * `input`: the property is an input the program may leave out (a write-only `*Wo` one instead).
 */
const credentialProperties = new Map<string, { what: string; keys: string[]; input?: boolean }>([
  ["tls:index/privateKey:PrivateKey", { what: "a private key", keys: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"] }],
  ["tls:index/certRequest:CertRequest", { what: "the private key it signs with", keys: ["privateKeyPem"], input: true }],
  ["tls:index/selfSignedCert:SelfSignedCert", { what: "the private key it signs with", keys: ["privateKeyPem"], input: true }],
  ["tls:index/locallySignedCert:LocallySignedCert", { what: "the CA's private key", keys: ["caPrivateKeyPem"], input: true }],
  ["random:index/randomPassword:RandomPassword", { what: "a password or join token", keys: ["result", "bcryptHash"] }],
]);

/**
 * Kubeconfigs, service-account tokens and CA keys grant cluster or mesh-wide control: in
 * plaintext they leak through state files, stack exports and CI logs.
 */
export const sensitiveValuesSecret: ResourceValidationPolicy = {
  name: "sensitive-values-secret",
  description:
    "Kubeconfigs carrying credentials (kubernetes provider input: a client key, token or password, an auth-provider token or client secret, a secret exec env var), service-account tokens, Secrets of a credential type (bootstrap token, registry credentials, basic-auth, SSH key), Istio remote secrets, TLS keys, the mesh CA key (cacerts), any Secret whose entries hold a private key, a bare token (a JWT, a k3s join token, a value under a key naming a token, secret, password, API key, secret access key or private key, a URL with a password, registry credentials: a base64 user:password under auth) or such a kubeconfig, also inside a config file (JSON or YAML) held as one value, the keys of tls PrivateKey/CertRequest/SelfSignedCert/LocallySignedCert and random RandomPassword results (and a RandomString's named as a token, password or secret), and VM startup scripts, metadata and EC2 user data (cloud-init user-data) carrying a join token in any form k3s takes, another literal token or password (a registry login's too, also as a user:password the script base64-encodes itself), or a private key, also under base64 or gzip or in JSON written from an escaped shell string or from printf's arguments, are Pulumi secrets, no ConfigMap (never secret) holds a private key, such a bare token or a kubeconfig carrying credentials, a Helm Release's values, repositoryOpts and valueYamlFiles StringAssets (whose text state keeps as given) hold none of these unless declared secret, no workload's (a LeaderWorkerSet's leader or worker template too) env or command line holds such a token, API key or password as a literal (a pod spec is never secret: a Secret's secretKeyRef is), no agentgateway backend or policy gives a backend its API key inline (auth.key; auth.secretRef instead), and no AgentgatewayPolicy's basicAuthentication.users line holds a password that is not an htpasswd hash, so they never reach state, exports or logs in plaintext.",
  enforcementLevel: "mandatory",
  validateResource: async (args, report) => {
    if (args.type === T.k8sProvider) {
      const kc = probe(() => args.props.kubeconfig as unknown);
      if (keptSecret(args, "kubeconfig")) return;
      // @pulumi/eks's own provider takes the kubeconfig it generates (an exec plugin, no credential),
      // unknown in a cluster's first preview; the program cannot declare it secret, nor need to.
      if (!kc.known) {
        if (!isEksOwnProvider(args.urn)) report(`provider ${args.name}: ${unreadable("kubeconfig")}; list "kubeconfig" in the provider's additionalSecretOutputs`);
      } else if (inlineKubeconfig(kc.value)) {
        const credentials = kubeconfigCredentials(kc.value);
        if (credentials.length > 0) {
          report(`provider ${args.name}: the inline kubeconfig carries credentials (${credentials.join(", ")}) and its ${notDeclared("kubeconfig")}, so its output may sit in state in plaintext; list "kubeconfig" in the provider's additionalSecretOutputs (and keep the input pulumi.secret())`);
        }
      }
      return;
    }
    if (args.type === "random:index/randomString:RandomString") {
      // @pulumi/random declares RandomPassword's result secret and RandomString's not (the SDK's
      // docs: "identical to RandomString with the exception that the result is treated as
      // sensitive"): only its name tells a join token or password drawn as a RandomString.
      const named = /token|passw(or)?d|secret/i.exec(args.name);
      if (named && !keptSecret(args, "result")) {
        report(`RandomString ${args.name} is named as a credential (${named[0]}) but its result is not declared secret: @pulumi/random keeps a RandomString's result in plaintext in state (only RandomPassword's is secret); draw it with random.RandomPassword, or list "result" in additionalSecretOutputs`);
      }
      return;
    }
    const credential = credentialProperties.get(args.type);
    if (credential) {
      const missing = credential.keys.filter((key) => !keptSecret(args, key) && (!credential.input || orUnknown(() => args.props[key] !== undefined && args.props[key] !== null, true)));
      if (missing.length > 0) {
        report(`${kindName(args.type)} ${args.name} holds ${credential.what} but ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not declared secret (not in the resource's additionalSecretOutputs), so it sits in state in plaintext; create it with its SDK class (which declares them) or list them in additionalSecretOutputs`);
      }
      return;
    }
    if (startupScriptTypes.has(args.type)) {
      const script = probe(() => args.props.metadataStartupScript as unknown);
      if (!keptSecret(args, "metadataStartupScript")) {
        if (!script.known) report(`${kindName(args.type)} ${args.name}: ${unreadable("metadataStartupScript")}; list it in additionalSecretOutputs`);
        else {
          const what = scriptCredential(script.value, gceBinSh(args.props));
          if (what) report(`${kindName(args.type)} ${args.name}: metadataStartupScript carries ${what} but ${notDeclared("metadataStartupScript")}; list it in additionalSecretOutputs (and keep it pulumi.secret())`);
        }
      }
      // Every metadata value the VM runs or hands to cloud-init (startup-script, user-data, …).
      const metadata = probe(() => args.props.metadata as Record<string, unknown> | undefined);
      if (!keptSecret(args, "metadata")) {
        if (!metadata.known) report(`${kindName(args.type)} ${args.name}: ${unreadable("metadata")}; list "metadata" in additionalSecretOutputs`);
        else {
          // Each entry read apart: one not known yet (a computed script) hides none of the others.
          const entries = metadata.value ?? {};
          for (const key of Object.keys(entries)) {
            const v = probe(() => entries[key]);
            if (!v.known) report(`${kindName(args.type)} ${args.name}: ${unreadable(`metadata.${key}`)}; list "metadata" in additionalSecretOutputs`);
            else {
              const what = scriptCredential(v.value, gceBinSh(args.props));
              if (what) report(`${kindName(args.type)} ${args.name}: metadata.${key} carries ${what} but ${notDeclared("metadata")}; list "metadata" in additionalSecretOutputs`);
            }
          }
        }
      }
      return;
    }
    const userData = EC2_USER_DATA.get(args.type);
    if (userData) {
      // Unlike the k3s scripts, user data holds no credential by design (EKS's nodeadm config
      // holds none): one not known in this run is can't judge, not a violation.
      const pending: string[] = [];
      for (const key of userData.filter((k) => !keptSecret(args, k))) {
        const v = probe(() => args.props[key] as unknown);
        if (!v.known) pending.push(`${key} of ${kindName(args.type)} ${args.name}`);
        else {
          const what = scriptCredential(v.value);
          if (what) report(`${kindName(args.type)} ${args.name}: ${key} carries ${what} but ${notDeclared(key)}; list it in additionalSecretOutputs (and keep it pulumi.secret())`);
        }
      }
      if (pending.length > 0) cannotJudge(pending);
      return;
    }
    if (args.type === T.helmRelease) {
      // A Release keeps its values and repositoryOpts in state, inputs and outputs alike
      // (pulumi-kubernetes helm_release.go Check and checkpointRelease). The v4 Chart is left out: the
      // engine hands a remote component to Construct and records no state of its own (source_eval.go),
      // and chart.go registers it without inputs, so its values never reach state or the pack.
      const release = `Helm release ${releaseLabel(args)} (${args.name})`;
      const pending: string[] = [];
      for (const field of ["values", "repositoryOpts"]) {
        if (keptSecret(args, field)) continue;
        const found: FoundCredential[] = [];
        const unknown: string[] = [];
        // The release's own values: what its valueYamlFiles set is judged below, where it sits.
        const tree = probe(() => (field === "values" ? givenHelmValues(args.props) : args.props[field]) as unknown);
        if (!tree.known) unknown.push(field);
        else credentialsInValues(tree.value, field, found, unknown);
        pending.push(...unknown.map((path) => `${path} of ${release}`));
        for (const { path, what } of found) {
          report(`${release}: ${path} holds ${what} in plaintext and ${notDeclared(field)}, so it sits in state, exports and preview diffs in clear; pass it as pulumi.secret() and list "${field}" in the release's additionalSecretOutputs, or hand the chart the name of a Secret holding it`);
        }
      }
      // A StringAsset values file is plaintext in state too (helm-value-files.ts); its path and URI ones hold no content there.
      if (!keptSecret(args, "valueYamlFiles")) {
        for (const { path, what } of await credentialsInValueFiles(args.props)) {
          report(`${release}: ${path} holds ${what} in plaintext (a StringAsset's text is kept in state as given) and ${notDeclared("valueYamlFiles")}; pass it in values as pulumi.secret() with "values" in additionalSecretOutputs, or hand the chart the name of a Secret holding it`);
        }
      }
      if (pending.length > 0) cannotJudge(pending);
      return;
    }
    if (isWorkload(args.type) || isLeaderWorkerSet(args.type)) {
      // No additionalSecretOutputs clears it: every reader of the workload sees its pod spec.
      const { found, pending } = workloadCredentials(args.type, args.props);
      for (const { path, what } of found) {
        report(`${path} holds ${what} in plaintext: a pod spec is never secret (in state, exports and preview diffs, and to every reader of the workload); take it from a Secret (env valueFrom.secretKeyRef, and $(VAR) of that variable in args)`);
      }
      if (pending.length > 0) cannotJudge(pending);
      return;
    }
    if (isInlineKeyKind(args.type)) {
      reportInlineKeys(args.type, args.props, report);
      return;
    }
    if (args.type === T.configMap) {
      // A key or kubeconfig put in a ConfigMap is plaintext in state and in the cluster alike.
      const { namespace, name } = meta(args.props);
      const pending: string[] = [];
      for (const field of ["data", "binaryData"]) {
        const entries = probe(() => (args.props[field] ?? {}) as Record<string, unknown>);
        if (!entries.known) {
          pending.push(`${field} of ConfigMap ${namespace}/${name}`);
          continue;
        }
        const values = entries.value;
        for (const key of Object.keys(values)) {
          const v = probe(() => values[key]);
          if (!v.known) pending.push(`${field}.${key} of ConfigMap ${namespace}/${name}`);
          else {
            const text = field === "binaryData" && typeof v.value === "string" ? Buffer.from(v.value, "base64").toString("utf8") : v.value;
            const what = configMapCredential(text, key);
            if (what) report(`ConfigMap ${namespace}/${name} ${field}.${key} holds ${what}: a ConfigMap is never secret (plaintext in state, exports and to every reader of ConfigMaps); move it to a Secret`);
          }
        }
      }
      if (pending.length > 0) cannotJudge(pending);
      return;
    }
    if (args.type !== T.secret) return;
    const what = sensitiveSecret(args.props);
    if (!what || readFromManifests(args.urn)) return;
    const { namespace, name } = meta(args.props);
    for (const key of ["data", "stringData"]) {
      // Only whether it is set matters (the Secret's kind says what it holds): a value not known in
      // this preview, or ciphertext offline, is set (before, it passed unchecked).
      const present = probe(() => args.props[key] !== undefined);
      if ((!present.known || present.value) && !keptSecret(args, key)) {
        report(`Secret ${namespace}/${name} holds ${what} but its ${notDeclared(key)}; create it with k8s.core.v1.Secret (which declares data and stringData secret) or list them in additionalSecretOutputs`);
      }
    }
    // Token Secrets are filled in by the cluster: only additionalSecretOutputs keeps the token out of state.
    if (args.props.type === "kubernetes.io/service-account-token" && !(args.opts?.additionalSecretOutputs ?? []).includes("data")) {
      report(`Secret ${namespace}/${name} holds ${what} filled in by the cluster, but data is not in additionalSecretOutputs`);
    }
  },
  // No remediateResource: what fixes a violation is additionalSecretOutputs, a resource option,
  // and a remediation returns properties only (pulumirpc.Remediation; the engine replaces the
  // inputs with them, step_generator.go). Wrapping the input instead changed no verdict (the
  // validation that follows still sees no additionalSecretOutputs) while the preview reported the
  // resource remediated, also where the input was a secret already.
};
