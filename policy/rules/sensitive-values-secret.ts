import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { Secret } from "@pulumi/policy";
import { meta, T } from "../lib/k8s";
import { probe } from "../lib/values";

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
 * Whether an inline kubeconfig carries credentials (a client key, token or password); one that
 * only runs an exec plugin (`aws eks get-token`) holds nothing secret.
 */
export function kubeconfigHasCredentials(value: unknown): boolean {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? "");
  return /(^|[\s{,"])"?(client-key-data|client-key|token|id-token|refresh-token|password|tokenFile)"?\s*:/m.test(text);
}

/** VM types whose startup script runs with the instance: a join token or key in it is a credential. */
const startupScriptTypes = new Set(["gcp:compute/instance:Instance", "gcp:compute/instanceTemplate:InstanceTemplate"]);

/** Whether a bootstrap script carries credentials: a private key, a k3s/kubeadm join token. */
export function scriptHasCredentials(script: unknown): boolean {
  if (typeof script !== "string") return false;
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----|^\s*"?[\w-]*token"?\s*:\s*\S|K3S_(AGENT_)?TOKEN=\S|--(agent-)?token[= ]\S/m.test(script);
}

/** Why a Secret holds credentials that must never sit in state in plaintext. */
function sensitiveSecret(props: Record<string, any>): string | undefined {
  const m = meta(props);
  if (props.type === "kubernetes.io/service-account-token") return "a service-account token";
  if (m.name === "cacerts") return "the mesh CA key (ca-key.pem)";
  if (m.labels["istio/multiCluster"] === "true") return "an Istio remote secret (a kubeconfig)";
  if (props.type === "kubernetes.io/tls") return "a TLS private key";
  return undefined;
}

/**
 * Kubeconfigs, service-account tokens and CA keys grant cluster or mesh-wide control: in
 * plaintext they leak through state files, stack exports and CI logs.
 */
export const sensitiveValuesSecret: ResourceValidationPolicy = {
  name: "sensitive-values-secret",
  description:
    "Kubeconfigs carrying credentials (kubernetes provider input), service-account tokens, Istio remote secrets, TLS keys, the mesh CA key (cacerts) and VM startup scripts carrying a join token or private key are Pulumi secrets, so they never reach state, exports or logs in plaintext.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === T.k8sProvider) {
      const kc = probe(() => args.props.kubeconfig as unknown);
      if (keptSecret(args, "kubeconfig")) return;
      if (!kc.known) report(`provider ${args.name}: ${unreadable("kubeconfig")}; list "kubeconfig" in the provider's additionalSecretOutputs`);
      else if (inlineKubeconfig(kc.value) && kubeconfigHasCredentials(kc.value)) {
        report(`provider ${args.name}: the inline kubeconfig carries credentials but is not secret; list "kubeconfig" in the provider's additionalSecretOutputs (and keep it pulumi.secret())`);
      }
      return;
    }
    if (startupScriptTypes.has(args.type)) {
      const script = probe(() => args.props.metadataStartupScript as unknown);
      if (!keptSecret(args, "metadataStartupScript")) {
        if (!script.known) report(`${args.type.split(":").pop()} ${args.name}: ${unreadable("metadataStartupScript")}; list it in additionalSecretOutputs`);
        else if (scriptHasCredentials(script.value)) {
          report(`${args.type.split(":").pop()} ${args.name}: metadataStartupScript carries a join token or private key but is not secret; list it in additionalSecretOutputs (and keep it pulumi.secret())`);
        }
      }
      // Every metadata value the VM runs or hands to cloud-init (startup-script, user-data, …).
      const metadata = probe(() => args.props.metadata as Record<string, unknown> | undefined);
      if (!keptSecret(args, "metadata")) {
        if (!metadata.known) report(`${args.type.split(":").pop()} ${args.name}: ${unreadable("metadata")}; list "metadata" in additionalSecretOutputs`);
        else {
          for (const [key, value] of Object.entries(metadata.value ?? {})) {
            const v = probe(() => value);
            if (!v.known) report(`${args.type.split(":").pop()} ${args.name}: ${unreadable(`metadata.${key}`)}; list "metadata" in additionalSecretOutputs`);
            else if (scriptHasCredentials(v.value)) {
              report(`${args.type.split(":").pop()} ${args.name}: metadata.${key} carries a join token or private key but is not secret; list "metadata" in additionalSecretOutputs`);
            }
          }
        }
      }
      return;
    }
    if (args.type !== T.secret) return;
    const what = sensitiveSecret(args.props);
    if (!what) return;
    const { namespace, name } = meta(args.props);
    for (const key of ["data", "stringData"]) {
      const present = probe(() => args.props[key] !== undefined);
      if (present.known && present.value && !keptSecret(args, key)) {
        report(`Secret ${namespace}/${name} holds ${what} but its ${key} is not secret; create it with k8s.core.v1.Secret or pulumi.secret()`);
      }
    }
    // Token Secrets are filled in by the cluster: only additionalSecretOutputs keeps the token out of state.
    if (args.props.type === "kubernetes.io/service-account-token" && !(args.opts?.additionalSecretOutputs ?? []).includes("data")) {
      report(`Secret ${namespace}/${name} holds ${what} filled in by the cluster, but data is not in additionalSecretOutputs`);
    }
  },
  // Wrapping a value as secret changes nothing in the cluster; it only keeps state encrypted.
  remediateResource: (args) => {
    if (args.type !== T.k8sProvider) return undefined;
    const kc = probe(() => args.props.kubeconfig as unknown);
    if (!kc.known || !inlineKubeconfig(kc.value) || !kubeconfigHasCredentials(kc.value) || keptSecret(args, "kubeconfig")) return undefined;
    return { ...args.props, kubeconfig: new Secret(kc.value) };
  },
};
