/**
 * Which listeners of a Gateway a route attaches to (lib/listener-routes.ts listenersServing), as
 * Istio 1.30.3 and agentgateway v1.4.1 decide it (conversion.go referenceAllowed, the same code in
 * both): a parentRef's `port` selects the listeners on that port and `sectionName` the one of that
 * name (both set: both must match); a listener with a `hostname` takes only a route one of whose
 * hostnames overlaps it (istio's host.Name.Matches, wildcards either side); none matching leaves the
 * route on no listener (Accepted=False, NoMatchingListenerHostname).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { hostnamesOverlap, listenersServing } from "../../policy/lib/listener-routes";
import { stackResource, UNKNOWN, k8sProvider } from "../support/policy";

const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const on = (type: string, name: string, props: Record<string, unknown>) => stackResource({ type, name, props, provider: k8sProvider("a") });
const gateway = (...listeners: unknown[]) => on(GATEWAY, "gw", { metadata: { name: "gw", namespace: "edge" }, spec: { gatewayClassName: "istio", listeners } });
const listener = (name: string, port: number, hostname?: unknown) => ({ name, port, protocol: "HTTP", ...(hostname !== undefined ? { hostname } : {}) });
type Route = { hostnames?: unknown; kind?: string };
/** listenersServing for a route to `gw` with `hostnames` through parentRefs `refs` (read from the route, where a preview leaves values unknown). */
const serving = (gw: ReturnType<typeof gateway>, { hostnames, kind = "HTTPRoute" }: Route, ...refs: Record<string, unknown>[]) => {
  const parentRefs = (refs.length > 0 ? refs : [{}]).map((ref) => ({ name: "gw", ...ref }));
  const r = on(`kubernetes:gateway.networking.k8s.io/v1:${kind}`, "route", { metadata: { name: "route", namespace: "edge" }, spec: { parentRefs, ...(hostnames !== undefined ? { hostnames } : {}), rules: [{}] } });
  return listenersServing(gw, r, r.props.spec.parentRefs, [gw, r]);
};
const route = (hostnames?: unknown, kind?: string): Route => ({ hostnames, kind });

test("listenersServing: a parentRef's port selects the listeners on that port", () => {
  const gw = gateway(listener("web", 80), listener("alt", 8080), listener("web-b", 80));
  // Before, the port was not read: the route counted on every listener.
  assert.deepEqual(serving(gw, route(), { port: 80 }), ["web", "web-b"]);
  assert.deepEqual(serving(gw, route(), { port: 8080 }), ["alt"]);
  assert.deepEqual(serving(gw, route(), { port: 9090 }), [], "a port no listener has: attached nowhere");
  // Port and sectionName together must both match the same listener.
  assert.deepEqual(serving(gw, route(), { port: 80, sectionName: "web-b" }), ["web-b"]);
  assert.deepEqual(serving(gw, route(), { port: 8080, sectionName: "web" }), []);
  // Two refs to one Gateway: the union of what each selects.
  assert.deepEqual(serving(gw, route(), { port: 8080 }, { sectionName: "web" }), ["web", "alt"]);
  assert.equal(serving(gw, route(), { port: UNKNOWN }), "unknown", "a port not known in a preview decides nothing");
});

test("listenersServing: a listener hostname takes only routes whose hostnames overlap it", () => {
  const gw = gateway(listener("api", 80, "api.example.com"), listener("wild", 80, "*.example.com"), listener("any", 8080));
  // Before, hostnames were not read: the route counted on every listener.
  assert.deepEqual(serving(gw, route(["api.example.com"])), ["api", "wild", "any"]);
  assert.deepEqual(serving(gw, route(["web.example.com"])), ["wild", "any"]);
  assert.deepEqual(serving(gw, route(["example.com"])), ["any"], "*.example.com does not cover example.com");
  assert.deepEqual(serving(gw, route(["a.b.example.com"])), ["wild", "any"], "a wildcard covers deeper subdomains");
  assert.deepEqual(serving(gw, route(["other.org"]), { port: 80 }), [], "no hostname matches: attached nowhere");
  // One overlapping hostname is enough; a route without hostnames matches every listener.
  assert.deepEqual(serving(gw, route(["other.org", "api.example.com"]), { port: 80 }), ["api", "wild"]);
  assert.deepEqual(serving(gw, route(), { port: 80 }), ["api", "wild"]);
  assert.deepEqual(serving(gw, route([]), { port: 80 }), ["api", "wild"]);
  // A route wildcard overlaps a listener hostname it covers, or one that covers it.
  assert.deepEqual(serving(gw, route(["*.example.com"]), { port: 80 }), ["api", "wild"]);
  assert.deepEqual(serving(gw, route(["*.api.example.com"]), { port: 80 }), ["wild"]);
  assert.deepEqual(serving(gw, route(["*.org"]), { port: 80 }), []);
  // A TCPRoute has no hostnames: every listener taking TCPRoutes takes it.
  const tcp = gateway({ name: "tcp", port: 9000, protocol: "TCP", hostname: "db.example.com" });
  assert.deepEqual(serving(tcp, route(undefined, "TCPRoute")), ["tcp"]);
  // Not known in a preview: no verdict, unless the listener refuses the route on a known ground.
  assert.equal(serving(gw, route(UNKNOWN), { port: 80 }), "unknown");
  assert.equal(serving(gateway(listener("api", 80, UNKNOWN)), route(["api.example.com"])), "unknown");
  assert.deepEqual(serving(gateway({ ...listener("api", 80), allowedRoutes: { kinds: [{ kind: "GRPCRoute" }] } }), route(UNKNOWN)), []);
});

test("hostnamesOverlap: istio's host.Name.Matches, wildcards on either side", () => {
  const cases: [string, string, boolean][] = [
    ["foo.com", "foo.com", true],
    ["foo.com", "bar.com", false],
    ["*.com", "foo.com", true],
    ["bar.com", "*.com", true],
    ["*.foo.com", "foo.com", false],
    ["*.example.com", "a.b.example.com", true],
    ["*.example.com", "*.a.example.com", true],
    ["*.a.example.com", "*.example.com", true],
    ["*.a.example.com", "*.b.example.com", false],
    ["*", "foo.com", true],
    ["foo.com", "*", true],
    ["*.example.com", "badexample.com", false],
  ];
  for (const [a, b, want] of cases) assert.equal(hostnamesOverlap(a, b), want, `${a} ~ ${b}`);
});
