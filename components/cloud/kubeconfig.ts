/**
 * Kubeconfigs as plain functions of what the clouds return, so that their exact shape is tested
 * and the same for `pulumi up` and the offline render.
 */
import * as yaml from "js-yaml";

export interface EksKubeconfigArgs {
  /** Physical EKS cluster name (what `aws eks get-token --cluster-name` expects). */
  clusterName: string;
  /** API server URL. */
  endpoint: string;
  /** Base64 PEM of the cluster CA. */
  certificateAuthorityData: string;
  /** Region of the cluster: the token must be requested there, whatever the caller's default region. */
  region: string;
  /** Context/user name in the file; the platform's cluster name. */
  contextName: string;
}

/**
 * An EKS kubeconfig that authenticates with `aws eks get-token` (short-lived tokens from the
 * caller's AWS credentials, mapped to Kubernetes permissions by an EKS access entry).
 */
export function eksKubeconfig(args: EksKubeconfigArgs): string {
  const name = args.contextName;
  return yaml.dump({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: args.endpoint, "certificate-authority-data": args.certificateAuthorityData } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", args.clusterName, "--region", args.region, "--output", "json"],
            interactiveMode: "Never",
          },
        },
      },
    ],
  }, { lineWidth: -1 });
}

export interface CertKubeconfigArgs {
  /** Context/cluster/user name in the file. */
  name: string;
  /** API server URL, e.g. `https://34.1.2.3:6443`. */
  server: string;
  /** PEM of the CA that signs the API server's serving certificate. */
  serverCaPem: string;
  /** PEM of the client certificate (signed by the cluster's client CA). */
  clientCertPem: string;
  /** PEM of the client certificate's private key. */
  clientKeyPem: string;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A kubeconfig that authenticates with a client certificate (k3s admin). */
export function certKubeconfig(args: CertKubeconfigArgs): string {
  const name = args.name;
  return yaml.dump({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: args.server, "certificate-authority-data": b64(args.serverCaPem) } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    "current-context": name,
    users: [{ name: `${name}-admin`, user: { "client-certificate-data": b64(args.clientCertPem), "client-key-data": b64(args.clientKeyPem) } }],
  }, { lineWidth: -1 });
}
