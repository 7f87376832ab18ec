/**
 * Policy tests for inference-pool-epp beyond one pool's own wiring: every route's InferencePool
 * backendRef names a pool of the stack on that cluster, no model server is a member of two pools,
 * every member serves the target port, and the endpoint picker's ServiceAccount may watch what the
 * picker reads (RBAC).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { runStack } from "../support/policy";
import { on, ROUTE } from "./traffic-support";

const POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool";
const version = (v: string) => ({ "app.kubernetes.io/name": "llama", "app.kubernetes.io/instance": `llama-${v}` });

const pool = (v: string, selector: Record<string, string> = version(v)) =>
  on(POOL, `pool-${v}`, {
    metadata: { name: `llama-${v}`, namespace: "inference" },
    spec: { selector: { matchLabels: selector }, targetPorts: [{ number: 8000 }], endpointPickerRef: { kind: "Service", name: `llama-${v}-epp`, port: { number: 9002 }, failureMode: "FailOpen" } },
  });
const servers = (v: string) =>
  on("kubernetes:apps/v1:Deployment", `vllm-${v}`, {
    metadata: { name: `llama-${v}`, namespace: "inference" },
    spec: { template: { metadata: { labels: version(v) }, spec: { containers: [{ name: "vllm", image: "v:1", ports: [{ containerPort: 8000 }] }] } } },
  });
const watch = ["get", "list", "watch"];
const pickerRules = [
  { apiGroups: [""], resources: ["pods"], verbs: watch },
  { apiGroups: ["inference.networking.k8s.io"], resources: ["inferencepools"], verbs: watch },
  { apiGroups: ["llm-d.ai"], resources: ["inferenceobjectives", "inferencemodelrewrites"], verbs: watch },
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
];
/** One version's picker: Deployment (llm-d-router, leader election), Service, ServiceAccount, Role, RoleBinding, DestinationRule. */
function picker(v: string, rules: unknown[] = pickerRules, binding = true) {
  const name = `llama-${v}-epp`;
  const labels = { "app.kubernetes.io/instance": name };
  const meta = { name, namespace: "inference" };
  return [
    on("kubernetes:apps/v1:Deployment", `epp-${v}`, {
      metadata: meta,
      spec: {
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            containers: [{ name: "epp", image: "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0", args: ["--pool-name", `llama-${v}`, "--pool-namespace", "inference", "--ha-enable-leader-election"], ports: [{ name: "grpc", containerPort: 9002 }] }],
          },
        },
      },
    }),
    on("kubernetes:core/v1:Service", `epp-svc-${v}`, { metadata: meta, spec: { selector: labels, ports: [{ name: "grpc-ext-proc", port: 9002, targetPort: 9002 }] } }),
    on("kubernetes:core/v1:ServiceAccount", `epp-sa-${v}`, { metadata: meta }),
    on("kubernetes:rbac.authorization.k8s.io/v1:Role", `epp-role-${v}`, { metadata: meta, rules }),
    ...(binding
      ? [on("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", `epp-rb-${v}`, { metadata: meta, subjects: [{ kind: "ServiceAccount", name, namespace: "inference" }], roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name } })]
      : []),
    on("kubernetes:networking.istio.io/v1:DestinationRule", `epp-dr-${v}`, { metadata: meta, spec: { host: `${name}.inference.svc.cluster.local`, trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: true } } } }),
  ];
}
const route = (backends: { name: string; weight: number; group?: string }[]) =>
  on(ROUTE, "route", {
    metadata: { name: "llama", namespace: "inference" },
    spec: { parentRefs: [{ name: "inference-gateway" }], rules: [{ backendRefs: backends.map((b) => ({ group: b.group ?? "inference.networking.k8s.io", kind: "InferencePool", ...b })) }] },
  });
const fleet = () => [pool("v1"), servers("v1"), ...picker("v1"), pool("v2"), servers("v2"), ...picker("v2")];
const messages = async (resources: unknown[]) => (await runStack(inferencePoolEpp, resources as any)).violations.map((v) => v.message);

test("inference-pool-epp: a two-version fleet with its routes and picker RBAC passes", async () => {
  assert.deepEqual(await messages([...fleet(), route([{ name: "llama-v2", weight: 5 }, { name: "llama-v1", weight: 95 }])]), []);
});

test("inference-pool-epp: a route's InferencePool backendRef must name a pool of the stack on that cluster", async () => {
  const missing = await messages([...fleet(), route([{ name: "llama-v3", weight: 5 }, { name: "llama-v1", weight: 95 }])]);
  assert.equal(missing.length, 1);
  assert.match(missing[0], /HTTPRoute inference\/llama on a: backendRef InferencePool inference\/llama-v3 is not in the stack on a; every request its rule would send there gets a 500/);
  const legacyGroup = await messages([...fleet(), route([{ name: "llama-v1", weight: 100, group: "inference.networking.x-k8s.io" }])]);
  assert.match(legacyGroup.join("\n"), /names group "inference.networking.x-k8s.io", but that pool is of group inference.networking.k8s.io/);
  // A pool a chart installs into the namespace is not visible: no verdict.
  const chart = on("kubernetes:helm.sh/v3:Release", "router", { chart: "llm-d-router-gateway", version: "0.10.0", namespace: "inference", values: {} });
  assert.deepEqual(await messages([...fleet(), chart, route([{ name: "llama-v3", weight: 100 }])]), []);
});

test("inference-pool-epp: a route's InferencePool backendRef to another namespace needs a ReferenceGrant there (Gateway API RefNotPermitted)", async () => {
  const GRANT = "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant";
  const fromApps = (to: Record<string, unknown>, from: Record<string, unknown> = {}, namespace = "inference") =>
    on(GRANT, `grant-${namespace}-${JSON.stringify({ to, from })}`, { metadata: { name: "apps-routes", namespace }, spec: { from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "apps", ...from }], to: [to] } });
  const pools = { group: "inference.networking.k8s.io", kind: "InferencePool" };
  // The route lives in apps and names the pools of inference; the Gateway is inference's.
  const cross = (parentRefs: unknown[] = [{ name: "inference-gateway", namespace: "inference" }]) =>
    on(ROUTE, "cross", {
      metadata: { name: "llama", namespace: "apps" },
      spec: { parentRefs, rules: [{ backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "llama-v1", namespace: "inference", weight: 95 }, { group: "inference.networking.k8s.io", kind: "InferencePool", name: "llama-v2", namespace: "inference", weight: 5 }] }] },
    });
  const refused = await messages([...fleet(), cross()]);
  assert.equal(refused.length, 2, refused.join("\n"));
  assert.match(refused[0], /^HTTPRoute apps\/llama on a: backendRef InferencePool inference\/llama-v1 is in another namespace, and no ReferenceGrant in inference lets HTTPRoutes of apps reference it, so the gateway refuses the reference \(ResolvedRefs False, RefNotPermitted\) and every request its rule would send there gets a 500/);
  for (const [what, grants] of [
    ["every pool of inference", [fromApps(pools)]],
    ["each pool by name", [fromApps({ ...pools, name: "llama-v1" }), fromApps({ ...pools, name: "llama-v2" })]],
  ] as const) {
    assert.deepEqual(await messages([...fleet(), cross(), ...grants]), [], what);
  }
  for (const [what, grant, count] of [
    ["one pool by name only", fromApps({ ...pools, name: "llama-v1" }), 1],
    ["the core group (Services), not InferencePools", fromApps({ group: "", kind: "InferencePool" }), 2],
    ["the legacy pool group", fromApps({ ...pools, group: "inference.networking.x-k8s.io" }), 2],
    ["GRPCRoutes, not HTTPRoutes", fromApps(pools, { kind: "GRPCRoute" }), 2],
    ["routes of another namespace", fromApps(pools, { namespace: "agents" }), 2],
    ["a grant in the route's namespace", fromApps(pools, {}, "apps"), 2],
  ] as const) {
    assert.equal((await messages([...fleet(), cross(), grant])).length, count, what);
  }
  // On an agentgateway Gateway no grant opens a pool: v1.4.1 reads none to an InferencePool (reference_indexes.go DefaultReferenceTypes), unless its controller checks none.
  const agw = on("kubernetes:gateway.networking.k8s.io/v1:Gateway", "agw", { metadata: { name: "agw", namespace: "inference" }, spec: { gatewayClassName: "agentgateway", listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }] } });
  const release = (env: Record<string, unknown>) => on("kubernetes:helm.sh/v3:Release", "agw-release", { chart: "agentgateway", namespace: "agentgateway-system", values: { inferenceExtension: { enabled: true }, controller: { extraEnv: env } } });
  const onAgw = await messages([...fleet(), agw, release({}), cross([{ name: "agw", namespace: "inference" }]), fromApps(pools)]);
  assert.equal(onAgw.length, 2, onAgw.join("\n"));
  assert.match(onAgw[0], /\(ResolvedRefs False, RefNotPermitted; agentgateway v1\.4\.1 reads no ReferenceGrant to an InferencePool\) and every request its rule would send there gets a 500/);
  assert.deepEqual(await messages([...fleet(), agw, release({ AGW_BACKEND_REF_GRANT_MODE: "none" }), cross([{ name: "agw", namespace: "inference" }])]), []);
});

test("inference-pool-epp: no model server is a member of two pools", async () => {
  // The stable pool broadened to the model: it also holds the canary's servers.
  const broad = await messages([pool("v1", { "app.kubernetes.io/name": "llama" }), servers("v1"), ...picker("v1"), pool("v2"), servers("v2"), ...picker("v2")]);
  assert.equal(broad.length, 2, broad.join("\n"));
  assert.match(broad.join("\n"), /InferencePool inference\/llama-v1 on a selects the pods of Deployment inference\/llama-v2, which InferencePool inference\/llama-v2 also selects: a model server belongs to one pool/);
  assert.match(broad.join("\n"), /InferencePool inference\/llama-v2 on a selects the pods of Deployment inference\/llama-v2, which InferencePool inference\/llama-v1 also selects/);
});

test("inference-pool-epp: every workload a pool selects serves its target port (the picker takes each selected pod as an endpoint)", async () => {
  // A helper labelled like the v1 servers (a cache warmer on 8080): before, it passed, since another selected workload declared 8000.
  const helper = (annotations?: Record<string, string>, ports: unknown[] = [{ containerPort: 8080 }]) =>
    on("kubernetes:apps/v1:Deployment", "warmer", {
      metadata: { name: "llama-v1-warmer", namespace: "inference" },
      spec: { template: { metadata: { labels: version("v1"), ...(annotations ? { annotations } : {}) }, spec: { containers: [{ name: "warm", image: "w:1", ports }] } } },
    });
  const found = await messages([...fleet(), helper()]);
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /^InferencePool inference\/llama-v1 on a: selector \{"app.kubernetes.io\/name":"llama","app.kubernetes.io\/instance":"llama-v1"\} also matches the pods of Deployment inference\/llama-v1-warmer, whose containers declare 8080 but not target port 8000; the picker sends them requests on 8000/);
  // Pods that declare no port may listen anywhere; pods whose active-ports annotation leaves 8000 out are no endpoint of it.
  assert.deepEqual(await messages([...fleet(), helper(undefined, [])]), []);
  assert.deepEqual(await messages([...fleet(), helper({ "llm-d.ai/active-ports": "8080" })]), []);
  assert.equal((await messages([...fleet(), helper({ "inference.networking.k8s.io/active-ports": "8000, 8080" })])).length, 1);
});

test("inference-pool-epp: the picker's ServiceAccount may watch pods, its pool, the llm-d.ai objectives and rewrites, and hold its lease", async () => {
  const without = (resource: string) => pickerRules.map((r) => ({ ...r, resources: r.resources.filter((x) => x !== resource) }));
  const noPools = await messages([pool("v1"), servers("v1"), ...picker("v1", without("inferencepools"))]);
  assert.equal(noPools.length, 1);
  assert.match(noPools[0], /the endpoint picker inference\/llama-v1-epp runs as ServiceAccount inference\/llama-v1-epp, which no Role or ClusterRole bound in the stack allows to get inferencepools \(inference.networking.k8s.io\), list inferencepools .*crash-loops/);
  assert.match((await messages([pool("v1"), servers("v1"), ...picker("v1", without("inferenceobjectives"))]))[0], /get inferenceobjectives \(llm-d.ai\)/);
  assert.match((await messages([pool("v1"), servers("v1"), ...picker("v1", without("leases"))]))[0], /get leases \(coordination.k8s.io\), create leases/);
  assert.match((await messages([pool("v1"), servers("v1"), ...picker("v1", pickerRules, false)]))[0], /get pods, list pods, watch pods/);
  // Granted by a ClusterRoleBinding to the namespace's ServiceAccounts group: passes.
  const clusterWide = [
    on("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "cr", { metadata: { name: "pickers" }, rules: pickerRules }),
    on("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "crb", { metadata: { name: "pickers" }, subjects: [{ kind: "Group", name: "system:serviceaccounts:inference" }], roleRef: { kind: "ClusterRole", name: "pickers" } }),
  ];
  assert.deepEqual(await messages([pool("v1"), servers("v1"), ...picker("v1", [], false), ...clusterWide]), []);
  // A binding to a role the stack does not hold (built in, made elsewhere): what it grants is not visible, no verdict.
  const external = on("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "ext", { metadata: { name: "ext", namespace: "inference" }, subjects: [{ kind: "ServiceAccount", name: "llama-v1-epp" }], roleRef: { kind: "ClusterRole", name: "epp-reader" } });
  assert.deepEqual(await messages([pool("v1"), servers("v1"), ...picker("v1", [], false), external]), []);
  // An aggregated ClusterRole holds the rules of the ClusterRoles it selects (Kubernetes
  // clusterroleaggregation syncClusterRole), not its own: granted by the stack's one it selects.
  const aggregated = (rules: unknown[]) => [
    on("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "cr", { metadata: { name: "pickers" }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "example.com/aggregate-to-pickers": "true" } }] }, rules }),
    on("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "cr-part", { metadata: { name: "pickers-part", labels: { "example.com/aggregate-to-pickers": "true" } }, rules: pickerRules }),
    clusterWide[1],
  ];
  assert.deepEqual(await messages([pool("v1"), servers("v1"), ...picker("v1", [], false), ...aggregated([])]), []);
});

test("inference-pool-epp: an InferenceObjective's or InferenceModelRewrite's poolRef names a pool of the stack in its own namespace (no picker reads one that does not)", async () => {
  const objective = (poolRef: Record<string, unknown>, namespace = "inference", type = "kubernetes:llm-d.ai/v1alpha2:InferenceObjective") =>
    on(type, `objective-${namespace}-${String(poolRef.name)}`, { metadata: { name: "llama", namespace }, spec: { poolRef, priority: 10 } });
  const rewrite = (poolRef: Record<string, unknown>) =>
    on("kubernetes:llm-d.ai/v1alpha2:InferenceModelRewrite", `rewrite-${String(poolRef.name)}`, { metadata: { name: "llama-rollout", namespace: "inference" }, spec: { poolRef, rules: [{ targets: [{ modelRewrite: "llama-v1", weight: 95 }, { modelRewrite: "llama-v2", weight: 5 }] }] } });
  // Group and kind left to the CRD defaults, or spelt out; the legacy group's objects likewise.
  assert.deepEqual(
    await messages([
      ...fleet(),
      objective({ name: "llama-v1" }),
      objective({ group: "inference.networking.k8s.io", kind: "InferencePool", name: "llama-v2" }),
      objective({ name: "llama-v1" }, "inference", "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceObjective"),
      rewrite({ name: "llama-v1" }),
    ]),
    [],
  );
  // Before: none of these was reported, and the objective's priority or the rewrite silently never applied.
  const bad = await messages([
    ...fleet(),
    objective({ name: "llama-v3" }),
    objective({ name: "llama-v1" }, "agents"),
    objective({ group: "inference.networking.x-k8s.io", name: "llama-v1" }),
    rewrite({ name: "llama-3" }),
  ]);
  assert.equal(bad.length, 4, bad.join("\n"));
  assert.match(bad[0], /^InferenceObjective inference\/llama on a: poolRef InferencePool inference\/llama-v3 is not in the stack on a \(a poolRef reaches only a pool in the InferenceObjective's own namespace\), so no endpoint picker reads it .* its priority never applies/);
  assert.match(bad[1], /^InferenceObjective agents\/llama on a: poolRef InferencePool agents\/llama-v1 is not in the stack/);
  assert.match(bad[2], /names group "inference\.networking\.x-k8s\.io", but that pool is of group inference\.networking\.k8s\.io/);
  assert.match(bad[3], /^InferenceModelRewrite inference\/llama-rollout on a: .* its rules never rename or split the model's requests/);
  // A pool a chart may install into the namespace is not visible: no verdict.
  const chart = on("kubernetes:helm.sh/v3:Release", "router", { chart: "llm-d-router-gateway", version: "0.10.0", namespace: "inference", values: {} });
  assert.deepEqual(await messages([...fleet(), chart, objective({ name: "llama-v3" })]), []);
});

test("inference-pool-epp: the picker's ServiceAccount is read as the API server reads it (serviceAccountName, else the deprecated serviceAccount alias)", async () => {
  // The same picker with its pod template naming the ServiceAccount in other spellings.
  const spelled = (names: Record<string, string>) =>
    picker("v1").map((r) => (r.name === "a-epp-v1" ? { ...r, props: { ...r.props, spec: { template: { ...r.props.spec.template, spec: { ...(({ serviceAccountName, ...rest }) => rest)(r.props.spec.template.spec), ...names } } } } } : r));
  assert.deepEqual(await messages([pool("v1"), servers("v1"), ...spelled({ serviceAccount: "llama-v1-epp" })]), []);
  // An empty serviceAccountName is no name: Kubernetes takes the alias (pkg/apis/core/v1/conversion.go).
  assert.deepEqual(await messages([pool("v1"), servers("v1"), ...spelled({ serviceAccountName: "", serviceAccount: "llama-v1-epp" })]), []);
  // Both set: serviceAccountName wins, so the alias' grants do not count.
  const both = await messages([pool("v1"), servers("v1"), ...spelled({ serviceAccountName: "other", serviceAccount: "llama-v1-epp" })]);
  assert.equal(both.length, 1, both.join("\n"));
  assert.match(both[0], /runs as ServiceAccount inference\/other, which no Role or ClusterRole bound in the stack allows/);
});

test("inference-pool-epp: a pool lists its target ports, each once (GIE v1.6.0's CRD: 1 to 8, unique numbers)", async () => {
  const withPorts = (ports: unknown) => {
    const p = pool("v1") as any;
    if (ports === undefined) delete p.props.spec.targetPorts;
    else p.props.spec.targetPorts = ports;
    return p;
  };
  const rest = [servers("v1"), ...picker("v1")];
  for (const ports of [[], undefined]) {
    const found = await messages([withPorts(ports), ...rest]);
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0], /^InferencePool inference\/llama-v1 on a lists no spec\.targetPorts, so the pool exposes no endpoint on its servers \(the API server refuses it: the CRD requires 1 to 8\)/);
  }
  const twice = await messages([withPorts([{ number: 8000 }, { number: 8000 }]), ...rest]);
  assert.equal(twice.length, 1, twice.join("\n"));
  assert.match(twice[0], /^InferencePool inference\/llama-v1 on a lists target port 8000 twice in spec\.targetPorts \(the API server refuses it: port numbers must be unique\)/);
});

test("inference-pool-epp: a model server running as a ServiceAccount its namespace does not have never gets a pod, so the pool has no endpoint", async () => {
  const asAccount = (account: string | undefined) =>
    on("kubernetes:apps/v1:Deployment", "vllm-v1", {
      metadata: { name: "llama-v1", namespace: "inference" },
      spec: { template: { metadata: { labels: version("v1") }, spec: { ...(account ? { serviceAccountName: account } : {}), containers: [{ name: "vllm", image: "v:1", ports: [{ containerPort: 8000 }] }] } } },
    });
  const namespace = on("kubernetes:core/v1:Namespace", "ns-inference", { metadata: { name: "inference" } });
  const account = on("kubernetes:core/v1:ServiceAccount", "sa-server", { metadata: { name: "llama-v1-server", namespace: "inference" } });
  const cases: [string, unknown[], boolean][] = [
    ["its ServiceAccount rendered", [asAccount("llama-v1-server"), account, namespace], false],
    ["no serviceAccountName (default, which every namespace has)", [asAccount(undefined), namespace], false],
    ["a ServiceAccount the stack does not render, in a namespace it holds whole", [asAccount("llama-v1-srv"), account, namespace], true],
    ["a ServiceAccount the stack does not render, in a namespace it does not create", [asAccount("llama-v1-srv"), account], false],
  ];
  for (const [what, extra, broken] of cases) {
    const found = (await runStack(inferencePoolEpp, [pool("v1"), ...picker("v1"), ...(extra as ReturnType<typeof on>[])])).violations.map((v) => v.message).filter((m) => /ServiceAccount/.test(m));
    if (!broken) assert.deepEqual(found, [], what);
    else {
      assert.equal(found.length, 1, `${what}:\n${found.join("\n")}`);
      assert.match(found[0], /^InferencePool inference\/llama-v1 on a: Deployment inference\/llama-v1 runs its pods as ServiceAccount llama-v1-srv, which the stack does not render in namespace inference/, what);
    }
  }
});
