import type { StackValidationPolicy } from "@pulumi/policy";
import { cannotJudge, clusterResolver, meta } from "../lib/k8s";
import { probe } from "../lib/values";
import { entriesOf, isAgentgatewayPolicy, isRawKey, keySource, picks, readFromManifests, refusedEntry, refusedKeySources } from "../lib/api-key-sources";
import { holdsCredentialRefs, reportUnreadableCredentialRefs } from "../lib/credential-refs";

/** Judged with the policy's key sources (refusedKeySources, keySource), not by the generic walk. */
const API_KEY_SECRET_REF = new Set(["spec.traffic.apiKeyAuthentication.secretRef"]);

/**
 * API keys an AgentgatewayPolicy checks live in ConfigMaps or Secrets it picks by label or name,
 * under names of the fork's choosing (`client1`): no per-resource check can tell such an entry
 * from configuration, so this one follows each policy's source to the objects the stack renders
 * beside it (same cluster, the policy's namespace). The v1.4.1 CRD admits exactly one source and
 * validates a `secretRef`'s fields even beside a selector the controller would prefer, so a second
 * source, or a secretRef without a name or with a group or kind alone, gets the policy rejected by
 * the API server: no key is checked at all. agentgateway v1.4.1 refuses a raw key from a
 * ConfigMap and drops any entry it cannot read (traffic_plugin.go processAPIKeyAuthenticationPolicy),
 * so its client is refused; it reads no key from a `secretRef` naming a custom credential kind (it
 * resolves core Secrets only). A raw key in a Secret whose data is not declared secret sits in
 * state, exports and preview diffs in clear.
 * Objects outside the stack are not judged. Every other credential ref of an agentgateway backend
 * or policy (a backend's auth.secretRef, an MCP client secret, a signing key, a certificate) goes
 * through the same resolver, so one naming a custom credential kind is reported too.
 */
export const agentgatewayApiKeySources: StackValidationPolicy = {
  name: "agentgateway-api-key-sources",
  description:
    "Every AgentgatewayPolicy's traffic.apiKeyAuthentication reads keys agentgateway v1.4.1 takes and state never holds in clear: it sets exactly one of secretRef, secretSelector and configMapSelector, and a secretRef has a name and no group without a kind or kind without a group, even beside a selector (the CRD refuses anything else, so the API server rejects the policy); each entry of the stack's ConfigMaps its configMapSelector picks (by label, in the policy's namespace, on its cluster) is JSON with a keyHash (sha256:<64 hex>), since the controller refuses a raw key from a ConfigMap (and an empty, unparsable or malformed entry from any source) and drops it, refusing its client; and a Secret its secretSelector or secretRef picks holding raw keys (a bare value or a JSON key, under any entry name) keeps data and stringData secret (additionalSecretOutputs, as k8s.core.v1.Secret declares them); a secretRef names a core Secret (a custom credential kind is ErrUnsupportedCredentialKind to the released controller, which checks no key from it); and so does every other credential ref of an AgentgatewayBackend or AgentgatewayPolicy (secretRef, clientSecretRef, signingKeyRef, certificateRef, mtlsCertificateRef items), since the controller resolves them all so and what needs the credential goes without.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const cluster = clusterResolver(args.resources);
    const pending: string[] = [];
    for (const policy of args.resources.filter((r) => isAgentgatewayPolicy(r.type))) {
      const { namespace, name } = meta(policy.props);
      const auth = probe(() => policy.props.spec?.traffic?.apiKeyAuthentication as Record<string, any> | undefined);
      if (!auth.known) {
        pending.push(`spec.traffic.apiKeyAuthentication of AgentgatewayPolicy ${namespace}/${name}`);
        continue;
      }
      if (!auth.value || typeof auth.value !== "object") continue;
      const refused = probe(() => refusedKeySources(auth.value!));
      if (!refused.known) {
        pending.push(`the key sources of AgentgatewayPolicy ${namespace}/${name}`);
        continue;
      }
      // The API server rejects such a policy whichever source the controller would read: no key is checked.
      for (const [path, why] of refused.value) {
        report(`AgentgatewayPolicy ${namespace}/${name}: spec.traffic.apiKeyAuthentication${path} ${why}: the API server rejects the policy, so no key is checked on the routes it targets; keep one source (a secretRef with only a name, or one selector)`, policy.urn);
      }
      if (refused.value.length > 0) continue;
      const source = probe(() => keySource(auth.value!));
      if (!source.known) {
        pending.push(`the key source of AgentgatewayPolicy ${namespace}/${name}`);
        continue;
      }
      if (!source.value) continue;
      if ("unreadable" in source.value) {
        report(`AgentgatewayPolicy ${namespace}/${name}: spec.traffic.apiKeyAuthentication.secretRef ${source.value.unreadable}; keep the keys in a Secret in the policy's namespace (secretRef with only a name, or secretSelector)`, policy.urn);
        continue;
      }
      const src = source.value;
      const at = `AgentgatewayPolicy ${namespace}/${name} (traffic.apiKeyAuthentication.${src.field})`;
      for (const r of args.resources) {
        const picked = probe(() => cluster(r) === cluster(policy) && picks(src, namespace, r));
        if (!picked.known) {
          pending.push(`whether ${at} picks ${r.name}`);
          continue;
        }
        if (!picked.value) continue;
        const kind = src.field === "configMapSelector" ? "ConfigMap" : "Secret";
        const object = `${kind} ${namespace}/${meta(r.props).name}`;
        const unknown: string[] = [];
        const entries = entriesOf(r, unknown);
        pending.push(...unknown.map((u) => `${u} of ${object}`));
        for (const [path, text] of entries) {
          const why = refusedEntry(text, kind === "ConfigMap");
          if (why) report(`${object} ${path}, which ${at} reads as an API key, ${why}: agentgateway v1.4.1 refuses the entry (an error on the policy's status) and drops it, so a client presenting that key is refused; write it as {"keyHash":"sha256:<hex of the key's SHA-256>"}${kind === "ConfigMap" ? " (or move the raw key to a Secret)" : ""}`, r.urn);
        }
        if (kind === "ConfigMap" || readFromManifests(r.urn)) continue;
        const raw = entries.filter(([, text]) => !refusedEntry(text, false) && isRawKey(text)).map(([path]) => path);
        if (raw.length === 0) continue;
        const declared = r.opts?.additionalSecretOutputs ?? [];
        for (const field of ["data", "stringData"].filter((f) => raw.some((p) => p.startsWith(`${f}.`)) && !declared.includes(f))) {
          report(`${object}: ${raw.filter((p) => p.startsWith(`${field}.`)).join(", ")} (which ${at} reads as API keys) hold raw keys, and ${field} is not declared secret (not in the resource's additionalSecretOutputs), so they sit in state, exports and preview diffs in clear; create it with k8s.core.v1.Secret (which declares data and stringData secret) or list ${field} in additionalSecretOutputs, or hold keyHash entries instead`, r.urn);
        }
      }
    }
    // Every other credential ref goes through the same resolver, which reads core Secrets only.
    for (const r of args.resources.filter((x) => holdsCredentialRefs(x.type))) reportUnreadableCredentialRefs(r.type, r.props, API_KEY_SECRET_REF, (m) => report(m, r.urn), pending);
    if (pending.length > 0) cannotJudge(pending);
  },
};
