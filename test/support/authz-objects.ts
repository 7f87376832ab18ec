/**
 * The objects the authorization policy tests build on a cluster of the harness's stack (`a` unless
 * given): any object by type, ServiceAccounts, AuthorizationPolicies, Gateways, and an ALLOW spec
 * from principals. Shared by test/policy/authz-support.ts and the fixtures here that build fleets.
 */
import { k8sProvider, stackResource } from "./policy";

export const AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy";

export const on = (type: string, name: string, props: Record<string, unknown>, cluster = "a") => stackResource({ type, name: `${cluster}-${name}`, props, provider: k8sProvider(cluster) });

export const sa = (namespace: string, name: string, cluster = "a") => on("kubernetes:core/v1:ServiceAccount", `${namespace}-sa-${name}`, { metadata: { name, namespace } }, cluster);

export const ap = (namespace: string, name: string, spec: Record<string, unknown>, cluster = "a") => on(AP, `${namespace}-ap-${name}`, { metadata: { name, namespace }, spec }, cluster);

export const gw = (namespace: string, name: string, gatewayClassName: string) => on("kubernetes:gateway.networking.k8s.io/v1:Gateway", `${namespace}-gw-${name}`, { metadata: { name, namespace }, spec: { gatewayClassName, listeners: [] } });

export const allowFrom = (...principals: string[]) => ({ action: "ALLOW", rules: [{ from: [{ source: { principals } }] }] });
