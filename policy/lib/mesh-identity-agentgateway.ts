/**
 * agentgateway's side of mesh-identity-consistent: the Istio settings its proxies take their mesh
 * identity from (AgentgatewayParameters `istio`, the controller chart's `istio.*`) against istiod's,
 * and the trust domains they accept beside istiod's own.
 */
import type { PolicyResource } from "@pulumi/policy";
import { isReleaseOf, meta } from "./k8s";
import { Probe, probe } from "./values";
import { releaseName, stringSetting } from "./release-settings";

/** A value this preview cannot know, and whether it could change a verdict (decided once every cluster is read). */
export interface Unknown {
  what: string;
  matters: () => boolean;
}

export interface MeshIdentity {
  trustDomain: Probe<string>;
  /** istiod's meshConfig.trustDomainAliases: identities of these domains are the mesh's own too. */
  aliases: Probe<string[]>;
  network: Probe<string | undefined>;
  clusterId: Probe<string>;
}

/**
 * The trust domains an agentgateway proxy accepts on inbound HBONE beside its own: v1.4.1 takes
 * `istio.additionalTrustDomains` (the ADDITIONAL_TRUST_DOMAINS env its chart renders, which the
 * parameters' own `env` overrides) and turns the check off with SKIP_VALIDATE_TRUST_DOMAIN
 * (crates/agentgateway/src/config.rs allowed_trust_domains; controller helm _helpers.tpl). A peer of
 * a domain istiod does not count as the mesh's (its trust domain or an alias) then reaches the
 * proxy, and a CEL rule pinning only `source.identity.namespace`/`serviceAccount`, as the call
 * graph reads them, admits it as the mesh's workload of that name.
 */
function checkExtraTrustDomains(cluster: string, where: string, r: PolicyResource, mesh: MeshIdentity, report: (message: string, urn?: string) => void, unknowns: Unknown[]): void {
  const read = probe(() => {
    const env = new Map((Array.isArray(r.props.spec?.env) ? r.props.spec.env : []).map((e: { name?: unknown; value?: unknown }) => [String(e?.name), e?.value] as [string, unknown]));
    const listed = env.has("ADDITIONAL_TRUST_DOMAINS") ? String(env.get("ADDITIONAL_TRUST_DOMAINS") ?? "").split(",") : (r.props.spec?.istio?.additionalTrustDomains ?? []);
    return { extra: (listed as unknown[]).map((d) => String(d).trim()).filter((d) => d !== ""), skip: String(env.get("SKIP_VALIDATE_TRUST_DOMAIN") ?? "").trim() === "true" };
  });
  if (read.known && read.value.extra.length === 0 && !read.value.skip) return;
  if (!read.known || !mesh.trustDomain.known || !mesh.aliases.known) {
    unknowns.push({ what: `the trust domains ${where} on cluster ${cluster} accepts beside istiod's`, matters: () => true });
    return;
  }
  const own = [mesh.trustDomain.value, ...mesh.aliases.value];
  const foreign = read.value.extra.filter((d) => !own.includes(d));
  const why = `agentgateway then accepts HBONE peers of it (config.rs allowed_trust_domains), and CEL rules pinning only source.identity.namespace and serviceAccount admit them as the mesh's workloads of those names`;
  if (read.value.skip) report(`cluster ${cluster}: ${where} sets SKIP_VALIDATE_TRUST_DOMAIN=true, so its proxy accepts every trust domain, not only istiod's (${own.join(", ")}): ${why}`, r.urn);
  else if (foreign.length > 0) report(`cluster ${cluster}: ${where} accepts trust domain ${foreign.join(", ")} (istio.additionalTrustDomains or ADDITIONAL_TRUST_DOMAINS), which is neither istiod's trust domain ${mesh.trustDomain.value} nor one of its trustDomainAliases: ${why}; list only the mesh's aliases`, r.urn);
}

/**
 * agentgateway's proxies take their mesh identity from istiod (AgentgatewayParameters `istio`, the
 * controller chart's `istio.*`): a trust domain, network or cluster ID other than istiod's gives
 * them certificates no policy names, or endpoints in a network that does not exist.
 */
export function checkAgentgateway(
  cluster: string,
  resources: PolicyResource[],
  mesh: MeshIdentity,
  report: (message: string, urn?: string) => void,
  unknowns: Unknown[],
): void {
  const expect = (where: string, field: string, actual: Probe<unknown>, expected: Probe<string | undefined>, urn: string) => {
    // Unset on agentgateway's side: it takes istiod's, nothing to compare. Unset on istiod's: no expectation.
    if ((actual.known && typeof actual.value !== "string") || (expected.known && expected.value === undefined)) return;
    if (!actual.known || !expected.known) {
      unknowns.push({ what: `whether ${where} ${field} on cluster ${cluster} is istiod's`, matters: () => true });
      return;
    }
    if (actual.value !== expected.value) report(`cluster ${cluster}: ${where} ${field}=${actual.value} but istiod's is ${expected.value}`, urn);
  };
  for (const r of resources.filter((x) => x.type.startsWith("kubernetes:agentgateway.dev/") && x.type.endsWith(":AgentgatewayParameters"))) {
    const where = `AgentgatewayParameters ${meta(r.props).namespace}/${meta(r.props).name}`;
    const istio = probe(() => r.props.spec?.istio as Record<string, unknown> | undefined);
    if (!istio.known) {
      unknowns.push({ what: `spec.istio of ${where} on cluster ${cluster}`, matters: () => true });
      continue;
    }
    if (!istio.value) continue;
    const settings = istio.value;
    expect(where, "istio.trustDomain", probe(() => settings.trustDomain), mesh.trustDomain, r.urn);
    expect(where, "istio.network", probe(() => settings.network), mesh.network, r.urn);
    expect(where, "istio.clusterId", probe(() => settings.clusterId), mesh.clusterId, r.urn);
    checkExtraTrustDomains(cluster, where, r, mesh, report, unknowns);
  }
  for (const r of resources.filter((x) => isReleaseOf(x, "agentgateway"))) {
    const where = `Helm release ${releaseName(r)} (agentgateway)`;
    expect(where, "istio.network", stringSetting(r, "istio.network"), mesh.network, r.urn);
    expect(where, "istio.clusterId", stringSetting(r, "istio.clusterId"), mesh.clusterId, r.urn);
  }
}
