/** Fixtures shared by the mesh-*.test.ts policy tests. */
import { k8sProvider, stackResource } from "../support/policy";

export const PA = "kubernetes:security.istio.io/v1:PeerAuthentication";

export const NS = "kubernetes:core/v1:Namespace";

export const REL = "kubernetes:helm.sh/v3:Release";

export const provider = (cluster: string) => stackResource({ type: "pulumi:providers:kubernetes", name: `${cluster}-k8s`, urn: `urn:pulumi:test::inference-mesh::pulumi:providers:kubernetes::${cluster}-k8s`, props: {}, provider: null });

export const pa = (cluster: string, namespace: string, name: string, spec: unknown) =>
  stackResource({ type: PA, name: `${cluster}-${namespace}-pa-${name}`, props: { metadata: { name, namespace }, spec }, provider: k8sProvider(cluster) });

export const messages = (o: { violations: { message: string }[] }) => o.violations.map((v) => v.message);

// <Kind>Patch resources (pulumi-kubernetes `kubernetes:<group>/<version>:<Kind>Patch`): judged for
// the fields they set, never for what they leave out.
export const NS_PATCH = "kubernetes:core/v1:NamespacePatch";

export const nsPatch = (name: string, labels: Record<string, string>, cluster = "a") =>
  stackResource({ type: NS_PATCH, name: `${cluster}-${name}-patch`, props: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } }, provider: k8sProvider(cluster) });

export const deploymentPatch = (namespace: string, name: string, template: Record<string, unknown>, cluster = "a") =>
  stackResource({ type: "kubernetes:apps/v1:DeploymentPatch", name: `${cluster}-${name}-patch`, props: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace }, spec: { template } }, provider: k8sProvider(cluster) });
