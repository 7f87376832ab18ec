/** Fixtures shared by the traffic-*.test.ts policy tests. */
import { k8sProvider, stackResource } from "../support/policy";

export const on = (type: string, name: string, props: Record<string, unknown>, cluster = "a") => stackResource({ type, name: `${cluster}-${name}`, props, provider: k8sProvider(cluster) });

export const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";

export const https = { name: "https", port: 443, protocol: "HTTPS", hostname: "inference.example.com", tls: { mode: "Terminate", certificateRefs: [{ name: "tls" }] } };

export const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
