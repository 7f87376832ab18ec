/**
 * Kubeconfigs as istiod reads a remote secret's (Istio 1.30.3 pkg/kube/multicluster/secretcontroller.go
 * → pkg/kube/util.go NewUntrustedRestConfig): loaded, validated and then sanitized, any failure
 * leaving that cluster out of istiod's registry (logged, nothing else). Only readable content is
 * judged: a remote secret is a Pulumi secret, so offline it needs the export's passphrase.
 */
import { X509Certificate } from "crypto";
import * as yaml from "js-yaml";
import { yamlMapping } from "./values";

type Named = { name?: unknown; [k: string]: unknown };

/** The entry named `name` of a kubeconfig list (`clusters`, `contexts`, `users`). */
const entry = (items: unknown, name: unknown): Named | undefined =>
  Array.isArray(items) ? (items as Named[]).find((i) => i && typeof i === "object" && i.name === name) : undefined;

/** The API server a kubeconfig's current context names, or why client-go cannot build a client from it. */
export function kubeconfigServer(text: string): { server: string } | { problem: string } {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    return { problem: `is not YAML (${err instanceof Error ? err.message.split("\n")[0] : String(err)})` };
  }
  if (!doc || typeof doc !== "object") return { problem: "is empty" };
  const config = doc as Record<string, unknown>;
  const current = config["current-context"];
  if (typeof current !== "string" || current === "") return { problem: "names no current-context" };
  const context = entry(config.contexts, current)?.context as Record<string, unknown> | undefined;
  if (!context) return { problem: `has no context ${current} (its current-context)` };
  const named = entry(config.clusters, context.cluster);
  if (!named) return { problem: `has no cluster ${String(context.cluster)} (context ${current}'s)` };
  const cluster = (named.cluster ?? {}) as Record<string, unknown>;
  if (typeof cluster.server !== "string" || cluster.server === "") return { problem: `gives cluster ${String(context.cluster)} no server` };
  return { server: cluster.server };
}

/**
 * The authentication a remote secret's kubeconfig uses that istiod refuses unless
 * PILOT_INSECURE_MULTICLUSTER_KUBECONFIG_OPTIONS lists it (pkg/kube/util.go sanitizeKubeConfig,
 * over every user of the file): exec plugins, auth providers other than oidc, and credentials read
 * from files (client-key, client-certificate, tokenFile).
 */
export function refusedAuth(text: string, allowed: ReadonlySet<string>): string[] {
  const users = yamlMapping(text)?.users;
  const refused: string[] = [];
  for (const u of Array.isArray(users) ? (users as Named[]) : []) {
    const user = (u?.user ?? {}) as Record<string, unknown>;
    const provider = (user["auth-provider"] as { name?: unknown } | undefined)?.name;
    if (typeof provider === "string" && provider !== "oidc" && !allowed.has(provider)) refused.push(`auth-provider ${provider}`);
    if (user.exec && !allowed.has("exec")) refused.push("exec");
    if (user["client-key"] && !allowed.has("clientKey")) refused.push("client-key (a file)");
    if (user["client-certificate"] && !allowed.has("clientCertificate")) refused.push("client-certificate (a file)");
    if (user.tokenFile && !allowed.has("tokenFile")) refused.push("tokenFile");
  }
  return [...new Set(refused)];
}

/** The kubeconfig options istiod allows from its env (`env`, with `pilot.env` merged over it by the chart), split on commas as istiod splits them (untrimmed). */
export function allowedOptions(values: Record<string, any> | undefined): Set<string> {
  const env = { ...(values?.env ?? {}), ...(values?.pilot?.env ?? {}) } as Record<string, unknown>;
  const raw = env.PILOT_INSECURE_MULTICLUSTER_KUBECONFIG_OPTIONS;
  return new Set(typeof raw === "string" ? raw.split(",").filter(Boolean) : []);
}

/** The `user` of the entry a kubeconfig's current context names (empty where it names none). */
function currentUser(text: string): Record<string, unknown> {
  const config = yamlMapping(text);
  if (!config) return {};
  const context = entry(config.contexts, config["current-context"])?.context as Record<string, unknown> | undefined;
  return (entry(config.users, context?.user)?.user ?? {}) as Record<string, unknown>;
}

/**
 * The bearer token of the user a kubeconfig's current context names (`users[].user.token`, what
 * istioctl create-remote-secret writes by default), or undefined where it authenticates otherwise
 * or names no such user.
 */
export function kubeconfigToken(text: string): string | undefined {
  const token = currentUser(text).token;
  return typeof token === "string" && token !== "" ? token : undefined;
}

/**
 * Whether the current context's user authenticates by an EKS IAM token alone: a bearer token
 * `k8s-aws-v1.` + a presigned STS GetCallerIdentity URL, what `aws eks get-token` prints, with no
 * other credential beside it (a client certificate would be authenticated first: otherCredentials).
 * The authenticator refuses it 15 minutes after its X-Amz-Date (kubernetes-sigs/aws-iam-authenticator
 * pkg/token/token.go Verify, presignedURLExpiration), so as a kubeconfig's static token it soon
 * authenticates nobody; only an exec plugin fetching fresh ones keeps such an identity in.
 */
export function staticIamToken(text: string): boolean {
  return kubeconfigToken(text)?.startsWith("k8s-aws-v1.") === true && otherCredentials(text).length === 0;
}

/**
 * The credentials other than a bearer token that the current context's user presents: a client
 * certificate (inline or a file), which kube-apiserver authenticates before any bearer token
 * (pkg/kubeapiserver/authenticator/config.go New: the x509 authenticator ahead of the token ones,
 * the first that authenticates naming the user), an exec plugin (which may hand client-go a client
 * certificate) or an auth provider (which sets its own token).
 */
export function otherCredentials(text: string): string[] {
  const user = currentUser(text);
  const provider = (user["auth-provider"] as { name?: unknown } | undefined)?.name;
  return [
    ...(["client-certificate-data", "client-certificate", "exec"] as const).filter((k) => user[k]),
    ...(user["auth-provider"] ? [`auth-provider ${typeof provider === "string" ? provider : "(unnamed)"}`] : []),
  ];
}

/**
 * The user and groups the inline client certificate of the current context's user
 * (`client-certificate-data`, base64 PEM) names, as kube-apiserver's x509 authenticator takes
 * them (k8s.io/apiserver pkg/authentication/request/x509 CommonNameUserConversion: the subject's
 * common name is the user, its organizations the groups; a certificate without a common name
 * authenticates nobody); `why` where it cannot be read; undefined without one.
 */
export function clientCertificateUser(text: string): { user: string; groups: string[] } | { why: string } | undefined {
  const data = currentUser(text)["client-certificate-data"];
  if (data === undefined) return undefined;
  try {
    const subject = new X509Certificate(Buffer.from(String(data), "base64")).toLegacyObject().subject as unknown as Record<string, string | string[] | undefined>;
    const all = (k: string) => [subject[k] ?? []].flat();
    const cn = all("CN").at(-1);
    if (!cn) return { why: "its client certificate names no common name" };
    return { user: cn, groups: all("O") };
  } catch {
    return { why: "its client-certificate-data is no certificate readable here" };
  }
}
