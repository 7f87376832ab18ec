/**
 * Envoy bootstraps of the shape llm-d-router-standalone v0.10.0's envoy preset mounts (the proxy's
 * envoy.yaml): one listener whose ext_proc filter calls a `picker` cluster. Shared by the
 * picker-release policy tests and their review mutations.
 */

/** An Envoy bootstrap whose ext_proc filter calls `host`:`port` (127.0.0.1 unless given), over TLS where `tls`, and whose admin binds `admin`. */
export const envoyYaml = (port: number, tls: boolean, admin = 19000, host = "127.0.0.1") =>
  [
    `admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${admin} } } }`,
    "static_resources:",
    "  listeners:",
    "  - name: proxy",
    "    address: { socket_address: { address: 0.0.0.0, port_value: 8081 } }",
    "    filter_chains:",
    "    - filters:",
    "      - name: envoy.filters.network.http_connection_manager",
    "        typed_config:",
    "          '@type': type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    "          http_filters:",
    "          - name: envoy.filters.http.ext_proc",
    "            typed_config: { '@type': type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor, grpc_service: { envoy_grpc: { cluster_name: picker } } }",
    "  clusters:",
    "  - name: picker",
    `    load_assignment: { cluster_name: picker, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: ${host}, port_value: ${port} } } } }] }] }`,
    ...(tls ? ["    transport_socket: { name: envoy.transport_sockets.tls, typed_config: { '@type': type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext } }"] : []),
  ].join("\n");
