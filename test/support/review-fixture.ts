/**
 * The review harness's fixture: the small pack in test/policy-review/fixture-pack and a
 * `pulumi stack export` of a stack `staging` of project `shop` for it, as the CLI writes one
 * (encrypted and `--show-secrets` plaintext secrets, a provider, a resource pending deletion).
 */
import * as path from "node:path";
import { SIG_KEY, SECRET_SIG, type ExportedDeployment } from "../../scripts/lib/review-wire";
import { repoRoot } from "./render";

export const packDir = path.join(repoRoot, "test", "policy-review", "fixture-pack");
export const prefix = "urn:pulumi:staging::shop";
const providerUrn = `${prefix}::pulumi:providers:kubernetes::k8s`;

/** A `pulumi stack export` as the CLI writes it: encrypted and `--show-secrets` plaintext secrets. */
export function stackExport(opts: { tokenSecret?: "ciphertext" | "plaintext"; dropProvider?: boolean; unlabelled?: boolean } = {}): ExportedDeployment {
  const secret =
    opts.tokenSecret === "plaintext"
      ? { [SIG_KEY]: SECRET_SIG, plaintext: JSON.stringify({ token: "s3cr3t-token-value" }) }
      : { [SIG_KEY]: SECRET_SIG, ciphertext: "v1:Zm9vYmFy:cGFzc3BocmFzZQ==" };
  const ns = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "apps", labels: opts.unlabelled ? {} : { "app.kubernetes.io/part-of": "shop" } },
  };
  const secretObj = { apiVersion: "v1", kind: "Secret", metadata: { name: "api", namespace: "apps" }, stringData: secret };
  return {
    version: 3,
    deployment: {
      manifest: { time: "2026-11-01T10:00:00Z", magic: "abc", version: "v3.200.0" },
      secrets_providers: { type: "passphrase", state: { salt: "v1:abc" } },
      resources: [
        { urn: `${prefix}::pulumi:pulumi:Stack::shop-staging`, custom: false, type: "pulumi:pulumi:Stack", outputs: {} },
        {
          urn: providerUrn, custom: true, id: "prov-id", type: "pulumi:providers:kubernetes",
          inputs: { kubeconfig: { [SIG_KEY]: SECRET_SIG, ciphertext: "v1:a2Vr" }, __internal: "x" },
          outputs: { kubeconfig: { [SIG_KEY]: SECRET_SIG, ciphertext: "v1:a2Vr" } },
          parent: `${prefix}::pulumi:pulumi:Stack::shop-staging`,
        },
        {
          urn: `${prefix}::kubernetes:core/v1:Namespace::apps`, custom: true, id: "apps", type: "kubernetes:core/v1:Namespace",
          inputs: ns, outputs: { ...ns, __initialApiVersion: "v1" }, parent: `${prefix}::pulumi:pulumi:Stack::shop-staging`,
          ...(opts.dropProvider ? {} : { provider: `${providerUrn}::prov-id` }), dependencies: [], protect: true,
        },
        {
          urn: `${prefix}::kubernetes:core/v1:Secret::api`, custom: true, id: "apps/api", type: "kubernetes:core/v1:Secret",
          inputs: secretObj, outputs: secretObj, parent: `${prefix}::pulumi:pulumi:Stack::shop-staging`,
          provider: `${providerUrn}::prov-id`, dependencies: [`${prefix}::kubernetes:core/v1:Namespace::apps`],
          propertyDependencies: { metadata: [`${prefix}::kubernetes:core/v1:Namespace::apps`] },
        },
        // Pending deletion: the engine does not analyze it.
        { urn: `${prefix}::kubernetes:core/v1:Namespace::old`, custom: true, type: "kubernetes:core/v1:Namespace", delete: true, inputs: { metadata: { name: "old" } } },
      ],
    },
  };
}
