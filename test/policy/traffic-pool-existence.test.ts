/**
 * One answer to "does the InferencePool a route names exist" for both policies that ask it:
 * inference-pool-epp on an HTTPRoute's or GRPCRoute's pool (pool-membership.ts checkRoutePools) and
 * agent-call-graph on a TCPRoute's or TLSRoute's on the agent and MCP gateways (agw-backend-refs.ts
 * unrenderedBackend), both through pool-existence.ts poolAbsence. A pool exists where the stack
 * renders it, or a chart release renders it (GIE v1.5.0's inferencepool and standalone charts and
 * llm-d-router's: an InferencePool named after the release, in the release's namespace), and may
 * exist where a Helm install into that namespace renders objects this review cannot read; one in
 * another namespace is refused first (Gateway API ReferenceGrant; agentgateway v1.4.1 reads none to
 * a pool). Each failure is reported once, by the policy that owns that route kind.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { agentCallGraph } from "../../policy/rules/agent-call-graph";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { runStack } from "../support/policy";
import { on } from "./authz-support";

const GW = "gateway.networking.k8s.io";
const POOL_GROUP = "inference.networking.k8s.io";
const gateway = on(`kubernetes:${GW}/v1:Gateway`, "agw", {
  metadata: { name: "agent-gateway", namespace: "agents" },
  spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP" }, { name: "tcp", port: 9000, protocol: "TCP" }] },
});
const ns = (name: string) => on("kubernetes:core/v1:Namespace", `ns-${name}`, { metadata: { name } });
const route = (kind: string, ref: Record<string, unknown>) =>
  on(`kubernetes:${GW}/v1:${kind}`, `route-${kind}`, { metadata: { name: "r", namespace: "agents" }, spec: { parentRefs: [{ name: "agent-gateway" }], rules: [{ backendRefs: [{ group: POOL_GROUP, kind: "InferencePool", port: 8000, ...ref }] }] } });
const pool = (namespace: string, name = "p") =>
  on(`kubernetes:${POOL_GROUP}/v1:InferencePool`, `pool-${namespace}-${name}`, { metadata: { name, namespace }, spec: { selector: { matchLabels: { a: "b" } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: "x", port: { number: 9002 } } } });
const release = (chart: string, namespace: string, name: string | undefined, values: Record<string, unknown> = {}, type = "kubernetes:helm.sh/v3:Release") =>
  on(type, `${chart}-${namespace}-${name}-${JSON.stringify(values)}`, { chart, ...(name === undefined ? {} : { name }), namespace, values });
const grant = on(`kubernetes:${GW}/v1beta1:ReferenceGrant`, "grant", {
  metadata: { name: "g", namespace: "inference" },
  spec: { from: ["HTTPRoute", "TCPRoute"].map((kind) => ({ group: GW, kind, namespace: "agents" })), to: [{ group: POOL_GROUP, kind: "InferencePool" }] },
});
const noGrantChecks = release("agentgateway", "agentgateway-system", "agentgateway", { inferenceExtension: { enabled: true }, controller: { extraEnv: { AGW_BACKEND_REF_GRANT_MODE: "none" } } });
const here = { name: "p" };
const away = { name: "p", namespace: "inference" };

type Verdict = "missing" | "refused" | "none";
const cases: [string, Record<string, unknown>, ReturnType<typeof on>[], Verdict][] = [
  ["no pool, in a namespace the stack creates", here, [ns("agents")], "missing"],
  ["no pool, in a namespace the stack does not create", here, [], "missing"],
  ["rendered by the stack", here, [pool("agents")], "none"],
  ["GIE inferencepool release p in the route's namespace", here, [release("inferencepool", "agents", "p")], "none"],
  ["GIE inferencepool release q there (it renders InferencePool q)", here, [ns("agents"), release("inferencepool", "agents", "q")], "missing"],
  ["llm-d-router-gateway release p without its pool (router.inferencePool.create false)", here, [release("llm-d-router-gateway", "agents", "p", { router: { inferencePool: { create: false }, modelServers: { matchLabels: { a: "b" } } } })], "missing"],
  ["auto-named GIE release there (its pool's name is not known)", here, [release("inferencepool", "agents", undefined)], "none"],
  ["a Helm release of a chart this review does not read there", here, [ns("agents"), release("some-chart", "agents", "x")], "none"],
  ["a Helm v4 Chart of a chart this review does not read there", here, [ns("agents"), release("some-chart", "agents", "x", {}, "kubernetes:helm.sh/v4:Chart")], "none"],
  ["GIE release p in another namespace, no grant", away, [release("inferencepool", "inference", "p")], "refused"],
  ["pool in another namespace, a grant (agentgateway reads none to a pool)", away, [pool("inference"), grant], "refused"],
  ["pool in another namespace, grant checks off", away, [pool("inference"), noGrantChecks], "none"],
  ["GIE release p in another namespace, grant checks off", away, [release("inferencepool", "inference", "p"), noGrantChecks], "none"],
  ["GIE release q in another namespace, grant checks off", away, [release("inferencepool", "inference", "q"), noGrantChecks], "missing"],
];

const shapes: Record<Exclude<Verdict, "none">, RegExp> = {
  missing: /InferencePool (agents|inference)\/p (is not in the stack on a|names an InferencePool the cluster does not have)/,
  refused: /InferencePool inference\/p is in another namespace, and no ReferenceGrant in inference lets (HTTPRoute|TCPRoute)s of agents reference it.*RefNotPermitted/,
};

for (const [kind, owner] of [["HTTPRoute", "inference-pool-epp"], ["TCPRoute", "agent-call-graph"]] as const) {
  test(`a ${kind}'s InferencePool on an agentgateway Gateway: one verdict on whether it exists, from ${owner} alone`, async () => {
    for (const [what, ref, extra, verdict] of cases) {
      const resources = [gateway, route(kind, ref), ...extra];
      // The pools' own wiring (selectors, pickers) is not what this test is about.
      const epp = (await runStack(inferencePoolEpp, resources)).violations.map((v) => v.message).filter((m) => !m.startsWith("InferencePool ") && !m.startsWith("cluster a: agentgateway release"));
      const acg = (await runStack(agentCallGraph, resources, { requireAgentJwt: false })).violations.map((v) => v.message);
      const [mine, other] = owner === "inference-pool-epp" ? [epp, acg] : [acg, epp];
      assert.deepEqual(other, [], `${what}: reported by the other policy`);
      if (verdict === "none") assert.deepEqual(mine, [], what);
      else {
        assert.equal(mine.length, 1, `${what}:\n${mine.join("\n")}`);
        assert.match(mine[0], shapes[verdict], what);
      }
    }
  });
}

// A route to a pool that no Gateway listener takes is programmed on no proxy: none of its requests
// reach the pool (route-attachment.ts). Istio's inference gateway, as the program renders it.
const inferenceGateway = on(`kubernetes:${GW}/v1:Gateway`, "inference-gw", {
  metadata: { name: "inference-gateway", namespace: "inference" },
  spec: {
    gatewayClassName: "istio",
    listeners: [
      { name: "https", port: 443, protocol: "HTTPS", hostname: "inference.example.com", tls: { mode: "Terminate", certificateRefs: [{ name: "tls" }] } },
      { name: "http-mesh", port: 80, protocol: "HTTP", hostname: "inference-gateway-istio.inference.svc.cluster.local" },
    ],
  },
});
const modelRoute = (spec: Record<string, unknown>, parentRefs: Record<string, unknown>[] = [{ name: "inference-gateway" }]) =>
  on(`kubernetes:${GW}/v1:HTTPRoute`, "model-route", { metadata: { name: "m", namespace: "inference" }, spec: { parentRefs, rules: [{ backendRefs: [{ group: POOL_GROUP, kind: "InferencePool", name: "p" }] }], ...spec } });
const attachment: [string, ReturnType<typeof on>[], RegExp | undefined][] = [
  ["attached to the Gateway", [modelRoute({})], undefined],
  ["attached by sectionName https", [modelRoute({}, [{ name: "inference-gateway", sectionName: "https" }])], undefined],
  ["hostnames one listener takes", [modelRoute({ hostnames: ["inference.example.com"] })], undefined],
  ["a Gateway name the stack does not render, in a namespace it holds whole", [modelRoute({}, [{ name: "inference-gatway" }])], /Gateway inference\/inference-gatway is not in the stack, which holds namespace inference whole/],
  ["a sectionName no listener has", [modelRoute({}, [{ name: "inference-gateway", sectionName: "http" }])], /no listener of Gateway inference\/inference-gateway takes it \(its parentRef selects by sectionName "http"\)/],
  ["hostnames no listener takes", [modelRoute({ hostnames: ["inference.example.con"] })], /no listener of Gateway inference\/inference-gateway takes it, by kind, namespace or hostnames/],
  ["one parentRef attached beside one that is not", [modelRoute({}, [{ name: "inference-gatway" }, { name: "inference-gateway" }])], undefined],
];

test("inference-pool-epp: a route to an InferencePool that no Gateway listener takes (a misspelt Gateway, sectionName or hostname) reaches no pool", async () => {
  for (const [what, extra, shape] of attachment) {
    const resources = [inferenceGateway, ns("inference"), pool("inference"), ...extra];
    const found = (await runStack(inferencePoolEpp, resources)).violations.map((v) => v.message).filter((m) => m.startsWith("HTTPRoute "));
    if (!shape) assert.deepEqual(found, [], what);
    else {
      assert.equal(found.length, 1, `${what}:\n${found.join("\n")}`);
      assert.match(found[0], /^HTTPRoute inference\/m on a sends to InferencePool inference\/p, but none of its parentRefs attaches it to a Gateway listener/, what);
      assert.match(found[0], shape, what);
    }
  }
});
