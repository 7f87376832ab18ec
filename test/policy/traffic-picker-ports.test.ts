/**
 * inference-pool-epp on the program's own inference objects (one prod cluster's pools, pickers and
 * routes, as components/inference renders them): the picker Service must land on the port the
 * picker serves ext-proc on (llm-d-router v0.10.0 options.go: --grpc-port 9002, health 9003,
 * metrics 9090), not merely on a port its pods declare; the picker reads its own pool, over TLS
 * or not as its flags say, with a token to reach the API server; model servers listen on the
 * port they declare, in the protocol the pool names.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { inferencePoolEpp } from "../../policy/rules/inference-pool-epp";
import { pflagBool } from "../../policy/lib/picker-service";
import { clusterInferenceManifests } from "../../components/inference";
import { runStack } from "../support/policy";
import { spec } from "../inference/support";
import { on } from "./traffic-support";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };

/** aws-use1's inference objects, each edited by `edit` (a deep copy), as stack resources. */
async function review(edit: (objects: Obj[]) => void = () => {}): Promise<string[]> {
  const objects = JSON.parse(JSON.stringify(clusterInferenceManifests(spec("prod"), "aws-use1"))) as Obj[];
  edit(objects);
  const resources = objects.map((o) => {
    const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["core", o.apiVersion];
    return on(`kubernetes:${group}/${version}:${o.kind}`, `${o.kind}-${o.metadata.name}`, o);
  });
  return (await runStack(inferencePoolEpp, resources)).violations.map((v) => v.message);
}

const named = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const picker = (objects: Obj[]) => named(objects, "Deployment", "qwen3-32b-v1-epp").spec.template.spec.containers[0];
const setArg = (args: string[], flag: string, value: string) => (args[args.indexOf(flag) + 1] = value);

test("inference-pool-epp: the rendered pickers pass, and so do forks that move ext-proc consistently", async () => {
  assert.deepEqual(await review(), []);
  // A named targetPort, and ext-proc moved to 9443 on the flag, the container port and the Service's target.
  const moved = await review((objects) => {
    named(objects, "Service", "qwen3-32b-v1-epp").spec.ports[0].targetPort = "grpc";
    const c = picker(objects);
    setArg(c.args, "--grpc-port", "9443");
    c.ports.find((p: any) => p.name === "grpc").containerPort = 9443;
  });
  assert.deepEqual(moved, []);
});

test("inference-pool-epp: a picker Service port landing on the picker's metrics or health port, or on a port it does not serve ext-proc on, fails", async () => {
  // Before: each passed, since the target was a port the picker pods declare.
  const metrics = await review((objects) => (named(objects, "InferencePool", "qwen3-32b-v1").spec.endpointPickerRef.port.number = 9090));
  assert.equal(metrics.length, 2, metrics.join("\n"));
  assert.match(
    metrics[0],
    /^InferencePool inference\/qwen3-32b-v1 on a: Service inference\/qwen3-32b-v1-epp port 9090 targets port 9090 of the endpoint picker inference\/qwen3-32b-v1-epp, which serves ext-proc on 9002 \(--grpc-port, default 9002\); 9090 is its metrics port, so the gateway's ext-proc calls fail/,
  );
  // The metrics port is plain HTTP to Istio, so the gateway would not even speak gRPC's HTTP/2 there.
  assert.match(metrics[1], /Service port 9090 is protocol HTTP to Istio \(from its name "http-metrics"\)/);
  const health = await review((objects) => (named(objects, "Service", "qwen3-32b-v1-epp").spec.ports[0].targetPort = "grpc-health"));
  assert.equal(health.length, 1, health.join("\n"));
  assert.match(health[0], /port 9002 targets port 9003 \(grpc-health\) of the endpoint picker inference\/qwen3-32b-v1-epp, which serves ext-proc on 9002 .*; 9003 is its gRPC health port/);
  // The flag moved without the container port and the Service: nothing listens on 9002.
  const flag = await review((objects) => setArg(picker(objects).args, "--grpc-port", "9005"));
  assert.equal(flag.length, 1, flag.join("\n"));
  assert.match(flag[0], /port 9002 targets port 9002 of the endpoint picker inference\/qwen3-32b-v1-epp, which serves ext-proc on 9005 \(--grpc-port, default 9002\), so the gateway's ext-proc calls fail .*; target port 9005$/);
  // The canary's pool is still judged on its own.
  assert.ok(flag.every((m) => m.includes("qwen3-32b-v1 ")));
});

test("inference-pool-epp: a picker Service of type ExternalName fails, its selector and ports kept (Kubernetes ignores the selector; Istio aliases the Service to the external host)", async () => {
  // Before: it passed, since its selector still matched the picker's pods.
  const external = await review((objects) => Object.assign(named(objects, "Service", "qwen3-32b-v1-epp").spec, { type: "ExternalName", externalName: "picker.example.com" }));
  assert.equal(external.length, 1, external.join("\n"));
  assert.match(
    external[0],
    /^InferencePool inference\/qwen3-32b-v1 on a: Service inference\/qwen3-32b-v1-epp is of type ExternalName \(an alias of picker\.example\.com\): Kubernetes ignores its selector and gives it no endpoints, and Istio takes it as that external host, so the gateway sends its ext-proc calls \(each request's headers and body\) to picker\.example\.com, not to the endpoint picker/,
  );
  // The other pools' pickers are still judged on their own.
  assert.ok(external.every((m) => m.includes("qwen3-32b-v1 ")));
});

test("inference-pool-epp: a headless picker Service (clusterIP: None) passes: the gateway still load-balances the picker's pods", async () => {
  // Istio 1.30.3: a headless Service has resolution Passthrough (serviceregistry/kube/conversion.go), but
  // convertResolution (networking/core/cluster.go) gives a gateway (Router) an EDS cluster for it, not
  // ORIGINAL_DST, and the endpoint builder serves it (xds/endpoints/endpoint_builder.go). The ext_proc
  // override names that cluster, outbound|<port>||<epp host> (networking/core/route/route.go), so the
  // gateway's gRPC calls reach the picker pods through EDS as for a ClusterIP Service.
  assert.deepEqual(await review((objects) => (named(objects, "Service", "qwen3-32b-v1-epp").spec.clusterIP = "None")), []);
});

const dropRule = (objects: Obj[]) => objects.splice(objects.indexOf(named(objects, "DestinationRule", "qwen3-32b-v1-epp")), 1);

test("inference-pool-epp: a picker run with --secure-serving=false answers in plaintext, so a TLS DestinationRule breaks it and none is needed", async () => {
  const plaintext = (objects: Obj[]) => picker(objects).args.push("--secure-serving=false");
  // Before: this passed (the rule's SIMPLE was all the check asked for) while the handshake fails.
  const simple = await review(plaintext);
  assert.equal(simple.length, 1, simple.join("\n"));
  assert.match(
    simple[0],
    /^InferencePool inference\/qwen3-32b-v1 on a: the picker qwen3-32b-v1-epp\.inference\.svc\.cluster\.local serves ext-proc in plaintext \(its pods run --secure-serving=false\), but for Gateway inference\/inference-gateway DestinationRule inference\/qwen3-32b-v1-epp gives port 9002 tls\.mode SIMPLE, so the gateway's TLS handshake with it fails/,
  );
  // Before: both failed with "the gateway speaks TLS to the picker".
  assert.deepEqual(await review((objects) => (plaintext(objects), dropRule(objects))), []);
  assert.deepEqual(await review((objects) => (plaintext(objects), (named(objects, "DestinationRule", "qwen3-32b-v1-epp").spec.trafficPolicy.tls = { mode: "DISABLE" }))), []);
  // A bool flag: `--secure-serving false` leaves it true (pflag), so the picker still serves TLS.
  const spaced = await review((objects) => (picker(objects).args.push("--secure-serving", "false"), dropRule(objects)));
  assert.match(spaced.join("\n"), /the gateway speaks TLS to the picker qwen3-32b-v1-epp\.inference\.svc\.cluster\.local port 9002, but for Gateway inference\/inference-gateway no DestinationRule applies/);
  assert.deepEqual(await review((objects) => picker(objects).args.push("--secure-serving=false", "--secure-serving=true")), [], "the last one given wins");
});

test("inference-pool-epp: a picker without --pool-namespace reads its pool from its NAMESPACE env, else from namespace default", async () => {
  const dropFlag = (objects: Obj[]) => {
    const args = picker(objects).args;
    args.splice(args.indexOf("--pool-namespace"), 2);
  };
  // The rendered NAMESPACE env (the pod's namespace) keeps it on its own pool; so does a literal one.
  assert.deepEqual(await review(dropFlag), []);
  assert.deepEqual(await review((objects) => (dropFlag(objects), (picker(objects).env[0] = { name: "NAMESPACE", value: "inference" }))), []);
  // Before: passed, read as the pod's own namespace; the picker looks for default/qwen3-32b-v1 and never serves.
  const none = await review((objects) => (dropFlag(objects), picker(objects).env.splice(0, 1)));
  assert.equal(none.length, 1, none.join("\n"));
  assert.match(
    none[0],
    /^InferencePool inference\/qwen3-32b-v1 on a: Service inference\/qwen3-32b-v1-epp reaches the endpoint picker of inference\/qwen3-32b-v1-epp, started for InferencePool default\/qwen3-32b-v1 \(--pool-name, and with neither --pool-namespace nor a NAMESPACE env it looks in namespace default\)/,
  );
  assert.match((await review((objects) => (dropFlag(objects), (picker(objects).env[0] = { name: "NAMESPACE", value: "agents" }))))[0] ?? "", /started for InferencePool agents\/qwen3-32b-v1 \(--pool-name\)/);
  // From a ConfigMap (envFrom) it is not known here: no verdict.
  assert.deepEqual(await review((objects) => (dropFlag(objects), picker(objects).env.splice(0, 1), (picker(objects).envFrom = [{ configMapRef: { name: "epp-env" } }]))), []);
});

test("inference-pool-epp: a picker whose pods get no ServiceAccount token cannot watch its pool", async () => {
  const pod = (objects: Obj[]) => named(objects, "Deployment", "qwen3-32b-v1-epp").spec.template.spec;
  const account = (objects: Obj[]) => named(objects, "ServiceAccount", "qwen3-32b-v1-epp");
  // Before: both passed (the RBAC was right, the credentials to use it were gone).
  const onPod = await review((objects) => (pod(objects).automountServiceAccountToken = false));
  assert.equal(onPod.length, 1, onPod.join("\n"));
  assert.match(onPod[0], /^InferencePool inference\/qwen3-32b-v1 on a: the endpoint picker inference\/qwen3-32b-v1-epp gets no ServiceAccount token \(its pod template sets automountServiceAccountToken: false\), so it cannot reach the API server/);
  const onAccount = await review((objects) => (account(objects).automountServiceAccountToken = false));
  assert.match(onAccount.join("\n"), /gets no ServiceAccount token \(its ServiceAccount sets automountServiceAccountToken: false and the pod template does not set it true\)/);
  // The pod opting back in, or bringing its own projected token, is a way in.
  assert.deepEqual(await review((objects) => ((account(objects).automountServiceAccountToken = false), (pod(objects).automountServiceAccountToken = true))), []);
  const projected = await review((objects) => {
    pod(objects).automountServiceAccountToken = false;
    // What Kubernetes itself mounts there: the token, the cluster CA and the namespace.
    const sources = [{ serviceAccountToken: { path: "token" } }, { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } }, { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } }];
    pod(objects).volumes.push({ name: "token", projected: { sources } });
    picker(objects).volumeMounts.push({ name: "token", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount/" });
  });
  assert.deepEqual(projected, []);
});

test("inference-pool-epp: a model server started on another --port than the target port it declares fails; one moved with its containerPort and the pool passes", async () => {
  const server = (objects: Obj[]) => named(objects, "Deployment", "qwen3-32b-v1").spec.template.spec.containers[0];
  // Before: passed, as the declared containerPort matched the pool's targetPorts.
  const moved = await review((objects) => setArg(server(objects).args, "--port", "8080"));
  assert.equal(moved.length, 1, moved.join("\n"));
  assert.match(moved[0], /^InferencePool inference\/qwen3-32b-v1 on a: Deployment inference\/qwen3-32b-v1 container vllm declares the target port 8000 but is started with --port 8080, so nothing listens on 8000/);
  const consistent = await review((objects) => {
    setArg(server(objects).args, "--port", "8080");
    server(objects).ports[0].containerPort = 8080;
    named(objects, "InferencePool", "qwen3-32b-v1").spec.targetPorts = [{ number: 8080 }];
  });
  assert.deepEqual(consistent, []);
});

test("inference-pool-epp: a pool of vLLM's OpenAI HTTP servers with appProtocol kubernetes.io/h2c fails (Istio speaks HTTP/2 to them, uvicorn only HTTP/1.1)", async () => {
  const setProtocol = (objects: Obj[], appProtocol?: string) => {
    const spec = named(objects, "InferencePool", "qwen3-32b-v1").spec;
    if (appProtocol) spec.appProtocol = appProtocol;
    else delete spec.appProtocol;
  };
  // Before: passed.
  const h2c = await review((objects) => setProtocol(objects, "kubernetes.io/h2c"));
  assert.equal(h2c.length, 1, h2c.join("\n"));
  assert.match(h2c[0], /^InferencePool inference\/qwen3-32b-v1 on a: appProtocol kubernetes\.io\/h2c makes Istio's gateway send HTTP\/2 \(prior knowledge\) to its endpoints, but Deployment inference\/qwen3-32b-v1 container vllm runs vLLM's OpenAI HTTP server/);
  // `vllm serve` runs the same server.
  const serve = await review((objects) => {
    setProtocol(objects, "kubernetes.io/h2c");
    named(objects, "Deployment", "qwen3-32b-v1").spec.template.spec.containers[0].command = ["vllm", "serve"];
  });
  assert.equal(serve.length, 1, serve.join("\n"));
  // http, or none (the CRD's default), is what it speaks.
  assert.deepEqual(await review((objects) => setProtocol(objects, "http")), []);
  assert.deepEqual(await review((objects) => setProtocol(objects)), []);
});

test("inference-pool-epp: a model server whose probes name a port it does not declare, or (vLLM) a port it does not listen on, fails; probes of the port it serves pass", async () => {
  const server = (objects: Obj[]) => named(objects, "Deployment", "qwen3-32b-v1").spec.template.spec.containers[0];
  // Before: passed, though the kubelet then fails every probe.
  const misnamed = await review((objects) => (server(objects).readinessProbe.httpGet.port = "metrics"));
  assert.equal(misnamed.length, 1, misnamed.join("\n"));
  assert.match(misnamed[0], /^InferencePool inference\/qwen3-32b-v1 on a: Deployment inference\/qwen3-32b-v1 container vllm's readinessProbe names port "metrics", which the container does not declare .* its pods never turn Ready/);
  const elsewhere = await review((objects) => {
    server(objects).livenessProbe.httpGet.port = 8080;
    server(objects).startupProbe.httpGet.port = "8081";
  });
  assert.equal(elsewhere.length, 2, elsewhere.join("\n"));
  assert.match(elsewhere[0], /container vllm's startupProbe probes port 8081, but vLLM's OpenAI server listens on 8000 alone/);
  assert.match(elsewhere[1], /container vllm's livenessProbe probes port 8080, .*\(CrashLoopBackOff\)/);
  // The port it serves, by number, or by name after a consistent move, passes.
  assert.deepEqual(await review((objects) => (server(objects).readinessProbe.httpGet.port = 8000)), []);
  assert.deepEqual(
    await review((objects) => {
      setArg(server(objects).args, "--port", "8080");
      server(objects).ports[0].containerPort = 8080;
      named(objects, "InferencePool", "qwen3-32b-v1").spec.targetPorts = [{ number: 8080 }];
      server(objects).readinessProbe.httpGet.port = 8080;
    }),
    [],
  );
});

test("inference-pool-epp: a probe port or picker targetPort that is no IntOrString (the API server refuses the object) gets no port verdict; numbers and names still do", async () => {
  const server = (objects: Obj[]) => named(objects, "Deployment", "qwen3-32b-v1").spec.template.spec.containers[0];
  const service = (objects: Obj[]) => named(objects, "Service", "qwen3-32b-v1-epp").spec.ports[0];
  for (const odd of [true, null, { port: 8000 }, 8000.5]) {
    // Before: "probes port 1" (true), 0 (null), NaN, 8000.5.
    assert.deepEqual(await review((objects) => (server(objects).readinessProbe.httpGet.port = odd)), [], `probe port ${JSON.stringify(odd)}`);
    // Before: "targets port 1, which is not a containerPort", likewise NaN and 8000.5 (a null one is the Service's port, as Kubernetes defaults it).
    assert.deepEqual(await review((objects) => (service(objects).targetPort = odd)), [], `targetPort ${JSON.stringify(odd)}`);
  }
  // A number, digits as text, and a name each still resolve, for both.
  assert.match((await review((objects) => (server(objects).readinessProbe.httpGet.port = "8001"))).join("\n"), /readinessProbe probes port 8001, but vLLM's OpenAI server listens on 8000/);
  assert.match((await review((objects) => (server(objects).readinessProbe.httpGet.port = "grpc"))).join("\n"), /readinessProbe names port "grpc", which the container does not declare/);
  assert.match((await review((objects) => (service(objects).targetPort = 9003))).join("\n"), /targets port 9003 of the endpoint picker .*; 9003 is its gRPC health port/);
  assert.match((await review((objects) => (service(objects).targetPort = "9090"))).join("\n"), /targets port 9090 of the endpoint picker .*; 9090 is its metrics port/);
  assert.match((await review((objects) => (service(objects).targetPort = "admin"))).join("\n"), /targets the port named admin, which no selected pod declares/);
});

test("inference-pool-epp: a route matching a base model name its pools' vLLM servers do not serve fails (vLLM answers 404); a name among their --served-model-name passes", async () => {
  const server = (objects: Obj[]) => named(objects, "Deployment", "qwen3-32b-v1").spec.template.spec.containers[0];
  const served = (objects: Obj[]) => server(objects).args[server(objects).args.indexOf("--served-model-name") + 1];
  // Before: passed, though every request of the model then gets a 404.
  const renamed = await review((objects) => setArg(server(objects).args, "--served-model-name", "qwen"));
  assert.ok(renamed.length >= 1, renamed.join("\n"));
  assert.ok(renamed.every((m) => /^HTTPRoute inference\/qwen3-32b on a: a rule matching X-Gateway-Base-Model-Name: ".*" sends to InferencePool inference\/qwen3-32b-v1, whose Deployment inference\/qwen3-32b-v1 container vllm runs vLLM serving only "qwen" .* 404/.test(m)), renamed.join("\n"));
  // A second served name (nargs +) that is the route's passes.
  assert.deepEqual(await review((objects) => server(objects).args.splice(server(objects).args.indexOf("--served-model-name") + 1, 0, "qwen")), []);
  // Without --served-model-name vLLM serves its --model.
  assert.deepEqual(
    await review((objects) => {
      const args = server(objects).args;
      const name = served(objects);
      args.splice(args.indexOf("--served-model-name"), 2);
      setArg(args, "--model", name);
    }),
    [],
  );
});

test("inference-pool-epp: a vLLM server's served names are read as its FlexibleArgumentParser reads them (`_` for `-`, the last of the `--name v` and `--name=v` forms, a --config file)", async () => {
  const server = (objects: Obj[]) => named(objects, "Deployment", "qwen3-32b-v1").spec.template.spec.containers[0];
  /** The server's --served-model-name pair replaced by `flags`; its --model kept. */
  const serving = (...flags: string[]) => (objects: Obj[]) => {
    const args: string[] = server(objects).args;
    args.splice(args.indexOf("--served-model-name"), 2, ...flags);
  };
  const model = (objects: Obj[]) => server(objects).args[server(objects).args.indexOf("--model") + 1];
  const notServed = /runs vLLM serving only "qwen" .* 404/;
  // Before: passed, `--served_model_name` unread and the --model taken, though vLLM serves "qwen" alone.
  const underscore = await review(serving("--served_model_name", "qwen"));
  assert.ok(underscore.length >= 1 && underscore.every((m) => notServed.test(m)), underscore.join("\n"));
  // Before: passed, the spaced form read whatever came after it; the last one given wins.
  const last = await review((objects) => serving("--served-model-name", model(objects), "--served-model-name=qwen")(objects));
  assert.ok(last.length >= 1 && last.every((m) => notServed.test(m)), last.join("\n"));
  // Before: failed, the spaced form read though the `=` form came last.
  assert.deepEqual(await review((objects) => serving("--served-model-name", "qwen", "--served_model_name=" + model(objects))(objects)), []);
  // `--served-model-name=a b` as two words: the `=` form takes one value (argparse), `b` is no served name.
  const inline = await review((objects) => serving("--served-model-name=qwen", model(objects))(objects));
  assert.ok(inline.length >= 1 && inline.every((m) => notServed.test(m)), inline.join("\n"));
  // As one word, one name holding a space.
  const spaced = await review((objects) => serving(`--served-model-name=qwen ${model(objects)}`)(objects));
  assert.ok(spaced.length >= 1 && spaced.every((m) => /serving only "qwen Qwen\/Qwen3-32B"/.test(m)), spaced.join("\n"));
  // Values after the spaced form run up to the next option: a negative number or a word with a space is a value.
  assert.deepEqual(await review((objects) => serving("--served_model_name", "-1", "a b", model(objects), "--enforce-eager")(objects)), []);
  // Before: failed on the --model; a --config file may name the served names (vLLM reads its YAML first), so no verdict.
  assert.deepEqual(await review((objects) => (serving("--config", "/etc/vllm/serve.yaml")(objects), setArg(server(objects).args, "--model", "qwen"))), []);
  // Before: failed on the --model; an empty name is not judged.
  assert.deepEqual(await review((objects) => (serving("--served-model-name=")(objects), setArg(server(objects).args, "--model", "qwen"))), []);
  // Names given on the command line win over the file's.
  const overridden = await review(serving("--config", "/etc/vllm/serve.yaml", "--served-model-name", "qwen"));
  assert.ok(overridden.length >= 1 && overridden.every((m) => notServed.test(m)), overridden.join("\n"));
});

test("pflagBool reads a picker's bool flag as pflag does: the last one given, a value only after `=`", () => {
  const flag = (...args: string[]) => pflagBool({ command: ["/epp"], args }, "secure-serving");
  assert.equal(flag(), undefined);
  assert.equal(flag("--secure-serving"), true);
  assert.equal(flag("--secure-serving", "false"), true, "`false` is then an argument, not the value");
  assert.equal(flag("--secure-serving=F"), false);
  assert.equal(flag("--secure-serving=0", "--secure-serving=True"), true);
  assert.equal(flag("--secure-serving=no"), undefined, "strconv.ParseBool refuses it");
  assert.equal(pflagBool({ args: ["--allow-experimental-plugins"] }, "allow-experimental-plugins"), true);
});
