/** policy/lib/gateways.ts: the one lookup of a Gateway of the stack by namespace and name. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { gatewayResource } from "../../policy/lib/gateways";
import { isUnknownError } from "../../policy/lib/values";
import { UNKNOWN } from "../support/policy";
import { gw, on } from "./authz-support";

const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const unreadableName = on(GW, "tools-gw-unknown-name", { metadata: { namespace: "tools", name: UNKNOWN }, spec: {} });
const unreadableMetadata = on(GW, "tools-gw-unknown-metadata", { metadata: UNKNOWN, spec: {} });

test("gatewayResource finds a Gateway by namespace and name, of the Gateway kind only", () => {
  const mcp = gw("tools", "mcp-gateway", "agentgateway");
  const route = on("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "tools-route-mcp-gateway", { metadata: { namespace: "tools", name: "mcp-gateway" }, spec: {} });
  assert.equal(gatewayResource([route, gw("agents", "mcp-gateway", "agentgateway"), mcp], "tools", "mcp-gateway"), mcp);
  assert.equal(gatewayResource([route, mcp], "tools", "other"), undefined);
  // Without a namespace the object lands in `default`.
  const bare = on(GW, "gw-bare", { metadata: { name: "edge" }, spec: {} });
  assert.equal(gatewayResource([bare], "default", "edge"), bare);
});

test("gatewayResource: a Gateway whose metadata cannot be read is never matched, and hides no other", () => {
  const mcp = gw("tools", "mcp-gateway", "agentgateway");
  for (const unreadable of [unreadableName, unreadableMetadata]) {
    // Ahead of the Gateway named: the readable one is the one (a cluster holds one object of a name), whichever mode.
    assert.equal(gatewayResource([unreadable, mcp], "tools", "mcp-gateway"), mcp);
    assert.equal(gatewayResource([unreadable, mcp], "tools", "mcp-gateway", "unknown"), mcp);
    // Alone, it stands for none by default, and is "not known in this preview" for a caller asking so.
    assert.equal(gatewayResource([unreadable], "tools", "mcp-gateway"), undefined);
    assert.throws(() => gatewayResource([unreadable, mcp], "tools", "other", "unknown"), (err: unknown) => isUnknownError(err) && /Gateway a-tools-gw-unknown-/.test((err as Error).message));
  }
  // Nothing unreadable: undefined in either mode.
  assert.equal(gatewayResource([mcp], "tools", "other", "unknown"), undefined);
});
