/**
 * The offline render contract (ARCHITECTURE.md): every shipped stack renders; the output has the
 * contract's files; every Kubernetes resource sits on its own cluster's explicit provider; no
 * value is `undefined`; every object validates against upstream schemas; a write failing midway
 * leaves the previous output untouched. What the render refuses is render-refusals.test.ts's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { renderShipped, renderPlatform, shippedPlatform, runRender, repoRoot } from "../support/render";
import { validateObject } from "../support/schemas";
import { tempDir } from "../support/tmp";
import { runPolicyCli } from "../support/policy-cli";
import { clusterOfProvider } from "../../scripts/lib/outputs";
import { knownStacks } from "../../scripts/lib/stack-config";

const stacks = ["local", "dev", "prod"] as const;

/** Every file under `dir`, as paths relative to it, sorted. */
const files = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)).map((f) => path.join(e.name, f)) : [e.name])).sort();

for (const stack of stacks) {
  test(`${stack}: renders the contract's files`, () => {
    const r = renderShipped(stack);
    assert.equal(r.run.code, 0, r.run.stderr);
    assert.equal(r.exported.version, 3);
    const stackResource = r.resources.find((x) => x.type === "pulumi:pulumi:Stack");
    assert.ok(stackResource, "root stack resource");
    // A clean program warns about nothing (an undefined stack output used to warn on every update).
    assert.doesNotMatch(r.run.stderr, /warning: \[runtime\]/);
    const selfSigned = Boolean(shippedPlatform(stack).gateways?.agents?.jwt?.selfSigned);
    assert.equal("agentJwtSigningKeyPem" in ((stackResource as any).outputs ?? {}), selfSigned, "the signing key output exists only with jwt.selfSigned");
    assert.equal("agentJwtKeyId" in ((stackResource as any).outputs ?? {}), selfSigned, "so does its key id");
    for (const res of r.resources) {
      assert.ok(res.urn.startsWith(`urn:pulumi:${stack}::inference-mesh::`), res.urn);
      if (res !== stackResource) assert.ok(res.parent, `${res.urn} has a parent`);
    }
    for (const f of ["stack.json", "policy.json", "topology.md", "policy-config.json"]) assert.ok(fs.existsSync(path.join(r.run.dir, f)), f);
    // The review judged the stack by its own policy settings; policy-config.json says how, for `pulumi preview`.
    const settings = { maxCanaryWeight: 10, requireTls: true, allowPublicApiEndpoints: false, ...(shippedPlatform(stack).policy ?? {}) };
    const packConfig = JSON.parse(fs.readFileSync(path.join(r.run.dir, "policy-config.json"), "utf8"));
    assert.equal(packConfig["canary-weight-limit"].maxCanaryWeight, settings.maxCanaryWeight);
    assert.equal(packConfig["gateway-listeners-tls"].allowPlaintextListeners, !settings.requireTls);
    assert.equal(packConfig["eks-endpoint-private"].allowPublicApiEndpoints, settings.allowPublicApiEndpoints);
    const spec = shippedPlatform(stack);
    for (const cluster of spec.clusters) {
      const dir = path.join(r.run.dir, "manifests", cluster.name);
      assert.ok(fs.readdirSync(dir).length > 0, `manifests for ${cluster.name}`);
    }
  });

  test(`${stack}: one Kubernetes provider per cluster, and every Kubernetes resource uses its own`, () => {
    const r = renderShipped(stack);
    const spec = shippedPlatform(stack);
    const providers = r.ofType("pulumi:providers:kubernetes");
    const providerClusters = providers.map((p) => clusterOfProvider(`${p.urn}::${p.id}`));
    assert.deepEqual([...providerClusters].sort(), spec.clusters.map((c: any) => c.name).sort());
    const refs = new Set(providers.map((p) => `${p.urn}::${p.id}`));
    const k8sResources = r.resources.filter((x) => x.type.startsWith("kubernetes:") && x.custom);
    assert.ok(k8sResources.length > 0);
    for (const res of k8sResources) {
      assert.ok(res.provider && refs.has(res.provider), `${res.urn} has an explicit kubernetes provider`);
      const cluster = clusterOfProvider(res.provider);
      assert.ok(res.urn.split("::").pop()!.startsWith(`${cluster}-`), `${res.urn} is named after its cluster ${cluster}`);
    }
  });

  test(`${stack}: no value is undefined in stack.json`, () => {
    // A dynamic resource's `__provider` is the serialized source of its provider, not a value.
    const exported = JSON.parse(renderShipped(stack).file("stack.json"));
    for (const res of exported.deployment.resources) {
      if (res.inputs?.__provider) res.inputs.__provider = "<serialized dynamic provider>";
      if (res.outputs?.__provider) res.outputs.__provider = "<serialized dynamic provider>";
    }
    const text = JSON.stringify(exported);
    assert.ok(!/undefined/.test(text), text.match(/.{80}undefined.{40}/)?.[0]);
  });

  test(`${stack}: every rendered object validates against the upstream schemas`, async () => {
    const failures: string[] = [];
    for (const { cluster, object } of renderShipped(stack).allObjects()) {
      const result = await validateObject(object);
      if (!result.ok) failures.push(`${cluster} ${object.kind} ${object.metadata.namespace ?? ""}/${object.metadata.name} (${result.schema}): ${result.errors.join("; ")}`);
    }
    assert.deepEqual(failures, []);
  });
}

test("manifests list CRD bundles and CRDs before the objects that use them", () => {
  const r = renderShipped("local");
  const files = fs.readdirSync(path.join(r.run.dir, "manifests", "local")).sort();
  // local's agentgateway and GIE objects need the bundles' CRDs: the bundle list sorts before them all.
  assert.equal(files.findIndex((f) => /crd-bundles/.test(f)), 0, files.join("\n"));
  const firstNamespace = files.findIndex((f) => /-namespace-/.test(f));
  assert.ok(firstNamespace >= 0);
  const custom = files.findIndex((f) => !/-(namespace|customresourcedefinition)-|crd-bundles/.test(f));
  assert.ok(custom === -1 || custom > firstNamespace);
});

test("kubeconfig outputs are secret", () => {
  for (const stack of stacks) {
    const outputs = renderShipped(stack).resources.find((x) => x.type === "pulumi:pulumi:Stack")!.outputs as any;
    for (const c of outputs.clusters) {
      assert.equal(c.kubeconfig["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", `${stack}/${c.name}`);
    }
  }
});

test("leftovers of killed renders (temporary and swapped-out trees) are swept by the next render", () => {
  const out = tempDir("im-sweep-");
  const stale = path.join(out, ".local+tmp-999999999-abcd0123");
  const old = path.join(out, ".local+old-999999999");
  const otherStack = path.join(out, ".dev+tmp-999999999-abcd0123");
  const lock = path.join(out, ".local+lock");
  for (const d of [stale, old, otherStack]) fs.mkdirSync(d);
  fs.writeFileSync(lock, "999999999");
  const r = runRender(["--stack", "local"], out);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(out).sort(), [".dev+tmp-999999999-abcd0123", "local"], "the stack's debris and dead lock are gone; another stack's is not ours to sweep");
});

test("a new stack is reviewed by its own policy settings, without a policy/config.<stack> file; npm run policy reuses them", () => {
  const dir = tempDir("im-own-policy-");
  const platform = shippedPlatform("prod");
  platform.policy = { ...platform.policy, requireTls: false, allowPublicApiEndpoints: true, maxCanaryWeight: 20 };
  platform.gateways.inference.tls = { mode: "none" };
  platform.clusters[0].endpointPublicAccess = true;
  platform.clusters[0].publicAccessCidrs = ["203.0.113.0/24"];
  platform.models[0].versions = [{ name: "v1", weight: 80 }, { name: "v2", weight: 20, canary: true, replicas: 1 }];
  const file = path.join(dir, "Pulumi.staging.yaml");
  fs.writeFileSync(file, `config:\n  inference-mesh:platform: ${JSON.stringify(platform)}\n`);
  // What pulumi preview ignores (a misspelt knob, a policy the pack lacks) is ignored and said, not silent.
  const typos = path.join(dir, "typos.json");
  fs.writeFileSync(typos, JSON.stringify({ "canary-weight-limit": { maxCanaryWeigth: 5 }, "no-such-policy": "advisory" }));
  const r = runRender(["--stack-file", file, "--policy-config", typos], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\nnote: policy config names policies the pack inference-mesh does not have, .*: no-such-policy /);
  assert.match(r.stdout, /\nnote: policy config sets properties .*: canary-weight-limit\.maxCanaryWeigth \(did you mean maxCanaryWeight\?\)/);
  const state = path.join(dir, "staging", "stack.json");
  const policy = runPolicyCli(["--state", state, "--out", "-"]);
  assert.equal(policy.status, 0, policy.stdout + policy.stderr);
  assert.match(policy.stdout, /policy config: .*staging\/policy-config\.json/);
});

// A fork's own stacks (stacks/Pulumi.<name>.yaml besides the shipped three) are held to the same bar.
for (const stack of knownStacks().filter((s) => !["local", "dev", "prod"].includes(s))) {
  test(`fork stack ${stack} renders and reviews without mandatory violations`, () => {
    const out = tempDir("im-fork-");
    const r = runRender(["--stack", stack], out);
    assert.equal(r.code, 0, r.stderr);
  });
}

test("local: the agent gateway authenticates with a Pulumi-made key (inline JWKS); the signing key is a secret stack output", () => {
  const r = renderShipped("local");
  const policy = r.objects("local").find((o) => o.kind === "AgentgatewayPolicy" && o.metadata.name === "agent-gateway-jwt") as any;
  assert.ok(policy, "JWT policy rendered on local");
  const jwks = JSON.parse(policy.spec.traffic.jwtAuthentication.providers[0].jwks.inline);
  const key = r.ofType("tls:index/privateKey:PrivateKey").find((k) => k.urn.endsWith("::agent-jwt-signing-key"))!;
  const pem = (key.outputs as any).publicKeyPem as string;
  assert.equal(require("node:crypto").createPublicKey({ key: jwks.keys[0], format: "jwk" }).export({ type: "spki", format: "pem" }).toString(), pem);
  const stack = r.ofType("pulumi:pulumi:Stack")[0];
  assert.ok("4dabf18193072939515e22adb298388d" in ((stack.outputs as any).agentJwtSigningKeyPem ?? {}), "the private key stays secret");
  // agentgateway v1.4.1 refuses a token whose header has no `kid`, or one its JWKS lacks
  // (crates/agentgateway/src/http/jwt.rs validate_claims): the stack says which kid to sign with.
  assert.equal(typeof jwks.keys[0].kid, "string");
  assert.equal((stack.outputs as any).agentJwtKeyId, jwks.keys[0].kid, "agentJwtKeyId is the kid of the inline JWKS, in the clear");
});

test("the mesh root CA is protected where mesh.ca.protectRoot holds (dev, prod), not on the laptop stack", () => {
  for (const stack of ["local", "dev", "prod"] as const) {
    const protectedUrns = renderShipped(stack).resources.filter((r) => (r as any).protect).map((r) => r.urn.split("::").pop());
    assert.deepEqual(protectedUrns.sort(), stack === "local" ? [] : ["mesh-trust-root-ca", "mesh-trust-root-ca-key"], stack);
  }
});

test("renders are reproducible: the same stack twice is byte-identical, and a changed secret shows as a changed ciphertext", () => {
  const [a, b] = [tempDir("im-same-"), tempDir("im-same-")];
  for (const out of [a, b]) assert.equal(runRender(["--stack", "prod"], out).code, 0);
  assert.deepEqual(files(path.join(b, "prod")), files(path.join(a, "prod")));
  for (const f of files(path.join(a, "prod"))) assert.ok(fs.readFileSync(path.join(a, "prod", f)).equals(fs.readFileSync(path.join(b, "prod", f))), f);
  // A k3s bump changes only secret parts of the server (its startup script); the ciphertext shows it.
  const p = shippedPlatform("prod");
  p.versions = { ...(p.versions ?? {}), k3s: "v1.34.1+k3s1" };
  const bumped = renderPlatform("prod", p);
  const scriptOf = (resources: { urn: string; inputs: unknown }[]) => (resources.find((r) => r.urn.endsWith("::gcp-usc1-server"))!.inputs as any).metadata["startup-script"].ciphertext;
  const before = scriptOf(JSON.parse(fs.readFileSync(path.join(a, "prod", "stack.json"), "utf8")).deployment.resources);
  assert.match(before, /^v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/=]+$/);
  assert.notEqual(scriptOf(bumped.resources), before);
});

test("a render whose writing fails midway (disk full at topology.md) exits 1 and leaves the previous out/<stack> as it was, with no temporary or old trees", () => {
  const out = tempDir("im-enospc-");
  // The previous output: a good render of local.
  fs.cpSync(renderShipped("local").run.dir, path.join(out, "local"), { recursive: true });
  const before = new Map(files(path.join(out, "local")).map((f) => [f, fs.readFileSync(path.join(out, "local", f), "utf8")]));
  // A changed config, so that every file written before the failure differs from the previous one.
  const p = shippedPlatform("local");
  p.tools[0].replicas = 3;
  const stackFile = path.join(out, "Pulumi.local.yaml");
  fs.writeFileSync(stackFile, `config:\n  inference-mesh:platform: ${JSON.stringify(p)}\n`);
  const res = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures", "failing-write.ts"), "--stack", "local", "--stack-file", stackFile, "--out", out], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(res.status, 1, res.stderr);
  assert.match(res.stderr, /render of stack 'local' failed: ENOSPC: no space left on device, write '.*topology\.md'/);
  assert.deepEqual(files(path.join(out, "local")), [...before.keys()]);
  for (const [f, content] of before) assert.equal(fs.readFileSync(path.join(out, "local", f), "utf8"), content, `${f} is the previous render's`);
  assert.deepEqual(fs.readdirSync(out).sort(), ["Pulumi.local.yaml", "local"], "no temporary (.local+tmp-*) or old (.local+old-*) trees left");
  fs.rmSync(out, { recursive: true, force: true });
});

test("a laptop stack without gateways.agents.jwt renders and passes review (the pack is told not to require it); its export reviewed with the pack's defaults fails agent-call-graph", () => {
  const platform = shippedPlatform("local");
  delete platform.gateways.agents.jwt;
  const r = renderPlatform("nojwt", platform);
  assert.equal(r.run.code, 0, r.run.stdout + r.run.stderr);
  assert.deepEqual(JSON.parse(r.file("policy-config.json"))["agent-call-graph"], { requireAgentJwt: false });
  const dir = tempDir("no-agent-jwt-");
  const empty = path.join(dir, "empty.json");
  fs.writeFileSync(empty, "{}");
  const review = runPolicyCli(["--state", path.join(r.run.dir, "stack.json"), "--config", empty, "--out", "-"]);
  assert.equal(review.status, 1, review.stdout + review.stderr);
  assert.match(review.stdout, /HTTPRoute agents\/research-agent is served by the agent gateway agents\/agent-gateway on cluster local, .*no AgentgatewayPolicy with traffic\.jwtAuthentication targets the Gateway or the route/);
});
