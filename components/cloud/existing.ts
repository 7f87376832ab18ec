/**
 * An existing cluster (a laptop k3s, or any cluster you already run): a kubeconfig file and
 * context from config, wrapped in the same handle the cloud components return.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as yaml from "js-yaml";
import { ExistingClusterSpec } from "../../infra/schema";
import { ClusterHandle } from "./cluster";

export interface ExistingClusterArgs {
  /** The cluster's validated spec (kubeconfig path and context). */
  spec: ExistingClusterSpec;
}

/**
 * The directory `~` stands for where the provider reads the kubeconfig: pulumi-kubernetes expands
 * `~` and `~/` itself (parseKubeconfigString) to Go's user.Current().HomeDir, the account's entry in
 * the password database, not $HOME (which Go reads only when the uid has no entry). Node's
 * os.homedir() prefers $HOME: under a HOME override (a CI container job, `sudo -E`) the program
 * would validate, and take the endpoint and CA of the remote secrets from, another file than the
 * one the provider deploys with.
 */
function providerHome(): string {
  try {
    return os.userInfo().homedir || os.homedir();
  } catch {
    return os.homedir(); // no password-database entry for this uid
  }
}

export function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(providerHome(), p.slice(1)) : p;
}

interface KubeconfigFile {
  "current-context"?: unknown;
  contexts?: { name?: unknown; context?: { cluster?: string; user?: unknown } }[];
  clusters?: { name?: unknown; cluster: { server?: unknown; "certificate-authority-data"?: string } }[];
  users?: { name?: unknown }[];
}

/** What is wrong with an existing cluster's kubeconfig, and the config field that fixes it. */
export class KubeconfigProblem extends Error {
  constructor(
    message: string,
    readonly field: "kubeconfig" | "context",
  ) {
    super(message);
  }
}

/**
 * Server URL and CA of a kubeconfig context; empty strings when the file is not here (it may live
 * only where `pulumi up` runs). A file that is here but is not a kubeconfig, or whose context
 * pulumi-kubernetes could not use, is a KubeconfigProblem.
 *
 * The provider loads the file alone (parseKubeconfigString: clientcmd.Load) and builds its client
 * with clientcmd.NewDefaultClientConfig(file, {CurrentContext: context}); ClientConfig() then
 * refuses (client-go clientcmd DirectClientConfig.ConfirmUsable, validateClusterInfo) a context
 * the file lacks ("context was not found for specified context"), no context at all or a context
 * whose cluster the file lacks ("no configuration has been provided"), and a cluster without a
 * server ("no server found for cluster"); and a server whose scheme is not http or https, which the
 * client sends nothing to (see foreignScheme). A context naming a user the file lacks passes
 * ConfirmUsable (getAuthInfo goes on with an empty user unless an override names it), so every
 * request would go without credentials: refused too. The provider marks such a cluster unreachable and
 * `pulumi up` fails on its first object, so the same is refused here, naming the field to fix. A
 * context with no user at all passes ConfirmUsable as well (only clientcmd.Validate reports "user was
 * not specified for context"), and is left alone: it is how a kubeconfig for `kubectl proxy`, which
 * adds the credentials, is written.
 */
export function readKubeconfigCluster(file: string, context?: string): { server: string; caData: string } {
  if (!fs.existsSync(file)) return { server: "", caData: "" };
  if (fs.statSync(file).isDirectory()) throw new KubeconfigProblem(`kubeconfig ${file} is a directory, not a kubeconfig file`, "kubeconfig");
  let doc: KubeconfigFile;
  try {
    doc = (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as KubeconfigFile;
  } catch (err) {
    throw new KubeconfigProblem(`kubeconfig ${file} is not valid YAML: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`, "kubeconfig");
  }
  const notKubeconfig = () => new KubeconfigProblem(`kubeconfig ${file} is not a kubeconfig (expected a mapping with clusters, contexts, users)`, "kubeconfig");
  if (typeof doc !== "object" || Array.isArray(doc)) throw notKubeconfig();
  const contexts = doc.contexts ?? [];
  const clusters = doc.clusters ?? [];
  if (!Array.isArray(contexts) || !Array.isArray(clusters)) throw notKubeconfig();
  const contextNames = contexts.map((c) => c?.name).filter((n): n is string => typeof n === "string");
  const known = contextNames.join(", ") || "none";
  if (context !== undefined && !contextNames.includes(context)) {
    throw new KubeconfigProblem(`kubeconfig ${file} has no context '${context}' (contexts: ${known})`, "context");
  }
  if (contextNames.length === 0) {
    throw new KubeconfigProblem(`kubeconfig ${file} defines no contexts, so the Kubernetes provider would have no cluster to use; point kubeconfig at the cluster's kubeconfig file`, "kubeconfig");
  }
  const current = doc["current-context"];
  const ctxName = context ?? (typeof current === "string" && current !== "" ? current : undefined);
  if (ctxName === undefined) {
    throw new KubeconfigProblem(
      `kubeconfig ${file} sets no current-context, so the Kubernetes provider would have no cluster to use; set context to one of its contexts (${known})`,
      "context",
    );
  }
  if (!contextNames.includes(ctxName)) {
    throw new KubeconfigProblem(
      `kubeconfig ${file}'s current-context '${ctxName}' is not one of its contexts (${known}), so the Kubernetes provider could not use it; set context to one of them`,
      "context",
    );
  }
  const clusterName = contexts.find((c) => c?.name === ctxName)?.context?.cluster;
  const cluster = clusters.find((c) => c?.name === clusterName && clusterName !== undefined);
  const which = context === undefined ? `its current context '${ctxName}'` : `context '${ctxName}'`;
  if (!cluster) {
    const defined = clusters.map((c) => c?.name).filter((n) => typeof n === "string").join(", ") || "none";
    throw new KubeconfigProblem(
      `kubeconfig ${file}: ${which} names ${clusterName === undefined ? "no cluster" : `cluster '${clusterName}'`}, which the file does not define (clusters: ${defined}); the Kubernetes provider would have no API server to reach`,
      "kubeconfig",
    );
  }
  const server = cluster.cluster?.server;
  if (typeof server !== "string" || server === "") {
    throw new KubeconfigProblem(`kubeconfig ${file}: cluster '${clusterName}' of ${which} has no server; the Kubernetes provider would have no API server to reach`, "kubeconfig");
  }
  const scheme = foreignScheme(server);
  if (scheme) {
    throw new KubeconfigProblem(
      `kubeconfig ${file}: cluster '${clusterName}' of ${which} has the server ${server}, whose scheme '${scheme}' no Kubernetes client speaks ` +
        `(client-go sends requests over https or http only); write https://<host>:<port>`,
      "kubeconfig",
    );
  }
  const user = contexts.find((c) => c?.name === ctxName)?.context?.user;
  const users = Array.isArray(doc.users) ? doc.users.map((u) => u?.name).filter((n): n is string => typeof n === "string") : [];
  if (typeof user === "string" && user !== "" && !users.includes(user)) {
    throw new KubeconfigProblem(
      `kubeconfig ${file}: ${which} names user '${user}', which the file does not define (users: ${users.join(", ") || "none"}); ` +
        "the Kubernetes provider would send its requests without credentials, and the API server refuse them",
      "kubeconfig",
    );
  }
  return { server, caData: cluster.cluster["certificate-authority-data"] ?? "" };
}

/**
 * The scheme of a server URL that is neither http nor https. client-go (rest.DefaultServerURL)
 * keeps a server with a scheme and a host as written, adding https:// (or http://) only to one
 * without (a bare host:port), and Go's net/http refuses every other scheme ("unsupported protocol
 * scheme"). Go lowercases a URL's scheme.
 */
function foreignScheme(server: string): string | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/[^/?#]/.exec(server)?.[1];
  return scheme && !["http", "https"].includes(scheme.toLowerCase()) ? scheme : undefined;
}

/**
 * An existing cluster's kubeconfig as config validation sees it, read once: its context's server
 * (empty when the file is not on this machine), or what is wrong with the file and which field fixes it.
 */
export type KubeconfigReading = { server: string; onThisMachine: boolean } | { problem: string; field: "kubeconfig" | "context" };

export function readKubeconfigForValidation(kubeconfig: string, context?: string): KubeconfigReading {
  const file = expandHome(kubeconfig);
  try {
    return { server: readKubeconfigCluster(file, context).server, onThisMachine: fs.existsSync(file) };
  } catch (err) {
    return { problem: err instanceof Error ? err.message : String(err), field: err instanceof KubeconfigProblem ? err.field : "kubeconfig" };
  }
}

export class ExistingCluster extends pulumi.ComponentResource implements ClusterHandle {
  readonly spec: ExistingClusterSpec;
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  readonly certificateAuthorityData: pulumi.Output<string>;
  readonly hasGpus = false;
  readonly readiness: pulumi.Resource[] = [];

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-mesh:cloud:ExistingCluster", name, {}, opts);
    this.spec = args.spec;
    const file = expandHome(args.spec.kubeconfig);
    // The provider reads the file itself at deploy time, so the kubeconfig never enters state.
    // It gets the path as configured, `~/` unexpanded: pulumi-kubernetes expands `~/` itself
    // (parseKubeconfigString, in Configure and DiffConfig alike). An expanded path would make the
    // input differ for every operator or CI runner with another home directory, and DiffConfig
    // parses the old value: a path missing on this machine is read as kubeconfig text and fails
    // the whole preview ("failed to parse kubeconfig: couldn't get version/kind").
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: args.spec.kubeconfig, context: args.spec.context, enableServerSideApply: true },
      { parent: this },
    );
    const { server, caData } = readKubeconfigCluster(file, args.spec.context);
    this.kubeconfig = pulumi.secret(args.spec.kubeconfig);
    this.endpoint = pulumi.output(args.spec.apiServer ?? server);
    this.certificateAuthorityData = pulumi.output(caData);
    this.registerOutputs({ kubeconfig: this.kubeconfig, endpoint: this.endpoint });
  }
}
