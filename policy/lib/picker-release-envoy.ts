/**
 * Envoy configs of llm-d-router-standalone v0.10.0's proxy, read as Envoy reads its bootstrap: the
 * envoy preset's envoy.yaml (values.yaml router.proxy.presets.envoy, as routerlib _helpers.tpl fills
 * in its ext_proc host and TLS) and an envoy.yaml of the values' or the stack's own. Split from
 * picker-release-proxy.ts, which decides which of them the proxy runs. Also what Envoy makes of an
 * envoy.yaml holding no bootstrap at all, there and in GIE v1.5.0's standalone chart's sidecar.
 */
import * as yaml from "js-yaml";
import { dig } from "./k8s";
import { goTruthy, isObject, list, yamlMapping } from "./values";
import type { ChartRelease } from "./picker-release-serving";
import { chartPickerName } from "./picker-release-names";

/** A port a container of the proxy binds, and what binds it. */
export type Bind = { port: number | undefined; what: string };

/**
 * What an Envoy proxy's config says: the ports it binds and where its ext_proc filter calls the
 * picker (the one endpoint of its `envoy_grpc` cluster, over TLS where that cluster has a TLS
 * transport socket). `preset` where it is the envoy preset's own envoy.yaml.
 */
export interface EnvoyView {
  preset: boolean;
  from: string;
  binds: Bind[];
  extProc?: { host: string; port: number; tls: boolean };
}

const num = (x: unknown) => (typeof x === "number" || (typeof x === "string" && /^[0-9]+$/.test(x)) ? Number(x) : undefined);

/** The picker host the presets dial (routerlib _helpers.tpl proxy.extProcHost). */
export function presetExtProcHost(rel: ChartRelease, sidecar: boolean): string {
  if (sidecar) return "127.0.0.1";
  const domain = dig(rel.values, "router.clusterDomain");
  return `${chartPickerName(String(rel.name ?? "<release>"))}.${rel.namespace}.svc.${goTruthy(domain) ? String(domain) : "cluster.local"}`;
}

/** The envoy preset's envoy.yaml, as its values.yaml writes it and routerlib fills it in. */
export function presetView(rel: ChartRelease, sidecar: boolean): EnvoyView {
  const flags = dig(rel.values, "router.epp.flags");
  const given = isObject(flags) ? flags["secure-serving"] : undefined;
  return {
    preset: true,
    from: "the chart's envoy preset",
    binds: [
      { port: 8081, what: "the Envoy proxy's listener port (its envoy preset's listener)" },
      { port: 19001, what: "the Envoy proxy's readiness listener port (its envoy preset's listener envoy-proxy-ready)" },
      { port: 19000, what: "the Envoy proxy's admin port (its envoy preset's admin, 127.0.0.1:19000)" },
    ],
    // routerlib _helpers.tpl eppSecureServing: TLS unless the flag prints as exactly "false".
    extProc: { host: presetExtProcHost(rel, sidecar), port: 9002, tls: given === undefined || given === null || String(given) !== "false" },
  };
}

const socketPort = (a: unknown) => num(dig(a, "socket_address.port_value"));

/** An envoy.yaml of the values' own, read as Envoy's bootstrap (static_resources). Undefined where it does not parse. */
export function parseEnvoy(text: string, from: string): EnvoyView | undefined {
  const doc = yamlMapping(text);
  if (!doc) return undefined;
  const binds: Bind[] = [];
  const admin = socketPort(dig(doc, "admin.address"));
  if (admin !== undefined) binds.push({ port: admin, what: `the Envoy proxy's admin port (${from}: admin)` });
  const listeners = list(dig(doc, "static_resources.listeners") as Record<string, unknown>[]).filter(isObject);
  let cluster: unknown;
  for (const l of listeners) {
    const ports = new Set([socketPort(l.address), ...list(l.additional_addresses as unknown[]).map((a) => socketPort(dig(a, "address")))]);
    for (const port of ports) if (port !== undefined) binds.push({ port, what: `the Envoy proxy's listener ${String(l.name ?? "")} port (${from})` });
    for (const chain of list(l.filter_chains as unknown[])) {
      for (const f of list(dig(chain, "filters") as unknown[])) {
        for (const h of list(dig(f, "typed_config.http_filters") as unknown[])) {
          if (!String(dig(h, "typed_config.@type") ?? "").endsWith(".ExternalProcessor")) continue;
          cluster ??= dig(h, "typed_config.grpc_service.envoy_grpc.cluster_name");
        }
      }
    }
  }
  const view: EnvoyView = { preset: false, from, binds };
  const c = list(dig(doc, "static_resources.clusters") as Record<string, unknown>[]).find((x) => isObject(x) && typeof cluster === "string" && x.name === cluster);
  if (!c) return view;
  const endpoints = list(dig(c, "load_assignment.endpoints") as unknown[]).flatMap((e) => list(dig(e, "lb_endpoints") as unknown[]));
  const socket = endpoints.length === 1 ? dig(endpoints[0], "endpoint.address.socket_address") : undefined;
  const port = num(dig(socket, "port_value"));
  const host = dig(socket, "address");
  if (typeof host !== "string" || port === undefined) return view;
  const transport = c.transport_socket;
  const tls = isObject(transport) && (transport.name === "envoy.transport_sockets.tls" || String(dig(transport, "typed_config.@type") ?? "").endsWith(".UpstreamTlsContext"));
  return { ...view, extProc: { host, port, tls } };
}

/**
 * Whether an envoy.yaml holds no bootstrap: Envoy's MessageUtil::loadFromYaml (MessageUtil::
 * loadFromFile of its -c path) converts only a YAML map or list into the Bootstrap, and refuses an
 * empty document (empty text, only blanks or comments, a YAML null) or a scalar (such as the text
 * "<nil>"). Text that is not YAML is refused otherwise, and not read here (false).
 */
export function noBootstrap(text: string): boolean {
  try {
    const doc = yaml.load(text);
    return doc === null || doc === undefined || typeof doc !== "object";
  } catch {
    return false;
  }
}

/** What Envoy does with such a bootstrap, as the verdicts say it. */
export const bootstrapRefused = (text: string) => `exits at start ("Unable to convert YAML as JSON: ${text.trim()}") and crash-loops`;
