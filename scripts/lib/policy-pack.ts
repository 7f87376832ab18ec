/**
 * A CrossGuard policy pack run the way `pulumi preview --policy-pack DIR` runs it: a node process
 * in the pack's directory (so `new PolicyPack` finds the pack's package.json version) that prints
 * its gRPC port on stdout, driven over the analyzer protocol with `AnalyzerClient`.
 *
 * The engine's nodejs policy runtime (`@pulumi/pulumi/cmd/run-policy-pack`) loads the pack with a
 * type-checking ts-node; here the pack is transpiled once by the TypeScript compiler and started
 * with plain node (pack-build.ts; `npm test` type-checks it). Everything after the boot is the
 * engine's own sequence.
 */
import { spawn, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as yaml from "js-yaml";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { packEntry } from "./pack-build";
import { cpuSeconds, statusKb } from "./proc";
import { levelName, levelNumbers, toResult, type AnalyzeResult, type AnalyzerInfo, type PackUsage, type PolicyConfig, type PolicyInfo, type StackIdentity } from "./analyzer-types";

function call<Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}

function readVersionFromPolicyYaml(dir: string): string | undefined {
  const file = path.join(dir, "PulumiPolicy.yaml");
  if (!fs.existsSync(file)) return undefined;
  const doc = yaml.load(fs.readFileSync(file, "utf8")) as { version?: unknown } | undefined;
  return typeof doc?.version === "string" ? doc.version : undefined;
}

/**
 * Pack processes still running: killed when this process exits or is interrupted, so a render or
 * review that is stopped never leaves a gRPC server behind (the pack does not watch its parent).
 */
const livePacks = new Set<ChildProcess>();
let exitHooked = false;

function trackPack(child: ChildProcess): void {
  livePacks.add(child);
  child.once("exit", () => livePacks.delete(child));
  if (exitHooked) return;
  exitHooked = true;
  const killAll = () => livePacks.forEach((c) => c.kill("SIGKILL"));
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      killAll();
      // Ours is the only handler: do what the default one would have done.
      if (process.listenerCount(signal) === 1) process.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
}

export class PolicyPackProcess {
  private constructor(
    readonly dir: string,
    private readonly child: ChildProcess,
    private readonly client: AnalyzerClient,
    private readonly stderr: string[],
  ) {}

  /**
   * Boots the pack in `dir` (which must hold PulumiPolicy.yaml and a package.json with a version),
   * then runs the engine's opening sequence: ConfigureStack (stack, project, config, tags).
   */
  static async start(dir: string, stack: StackIdentity, timeoutMs = 60_000): Promise<PolicyPackProcess> {
    const packDir = path.resolve(dir);
    for (const f of ["PulumiPolicy.yaml", "package.json"]) {
      if (!fs.existsSync(path.join(packDir, f))) throw new Error(`${packDir} is not a policy pack: ${f} is missing`);
    }
    const entry = packEntry(packDir);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_OPTIONS: "",
      PULUMI_NODEJS_PROJECT: stack.project,
      PULUMI_NODEJS_STACK: stack.stack,
      PULUMI_NODEJS_DRY_RUN: "true",
      PULUMI_PROJECT: stack.project,
      PULUMI_STACK: stack.stack,
      PULUMI_DRY_RUN: "true",
      ...(stack.organization ? { PULUMI_NODEJS_ORGANIZATION: stack.organization, PULUMI_ORGANIZATION: stack.organization } : {}),
      ...(stack.config && Object.keys(stack.config).length ? { PULUMI_CONFIG: JSON.stringify(stack.config) } : {}),
    };
    const child = spawn(process.execPath, ["--enable-source-maps", entry], { cwd: packDir, env, stdio: ["ignore", "pipe", "pipe"] });
    // Tracked from the start: a stop while the pack boots must not leave it running.
    trackPack(child);
    const stderr: string[] = [];
    child.stderr!.setEncoding("utf8").on("data", (d: string) => stderr.push(d));
    let onEarlyExit: (code: number | null) => void = () => undefined;
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => fail(new Error(`policy pack in ${packDir} printed no port within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new Error(`${err.message}\n${stderr.join("")}`.trim()));
      };
      child.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const line = out.split("\n").find((l) => /^\d+$/.test(l.trim()));
        if (line) {
          clearTimeout(timer);
          child.stdout!.removeAllListeners("data");
          child.stdout!.resume();
          resolve(Number(line.trim()));
        }
      });
      onEarlyExit = (code) => fail(new Error(`policy pack in ${packDir} exited with code ${code} before serving`));
      child.once("exit", onEarlyExit);
      child.once("error", fail);
    });
    child.removeListener("exit", onEarlyExit);
    const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 400 * 1024 * 1024,
      "grpc.max_send_message_length": 400 * 1024 * 1024,
    });
    const pack = new PolicyPackProcess(packDir, child, client, stderr);
    await pack.configureStack(stack);
    return pack;
  }

  private async configureStack(stack: StackIdentity): Promise<void> {
    const req = new pb.AnalyzerStackConfigureRequest();
    req.setStack(stack.stack);
    req.setProject(stack.project);
    req.setOrganization(stack.organization ?? "");
    req.setDryRun(true);
    for (const [k, v] of Object.entries(stack.config ?? {})) req.getConfigMap().set(k, v);
    for (const [k, v] of Object.entries(stack.tags ?? {})) req.getTagsMap().set(k, v);
    try {
      await call(this.client.configureStack.bind(this.client), req);
    } catch (err) {
      if ((err as grpc.ServiceError).code !== grpc.status.UNIMPLEMENTED) throw err;
    }
  }

  /** GetAnalyzerInfo; the version in PulumiPolicy.yaml wins over the SDK's, as in the engine. */
  async info(): Promise<AnalyzerInfo> {
    const res = await call<Empty, pb.AnalyzerInfo>(this.client.getAnalyzerInfo.bind(this.client), new Empty());
    const policies = res.getPoliciesList().map((p): PolicyInfo => {
      const schema = p.getConfigschema();
      return {
        name: p.getName(),
        description: p.getDescription(),
        enforcementLevel: levelName(p.getEnforcementlevel()),
        type: p.getPolicyType() === pb.PolicyType.POLICY_TYPE_RESOURCE ? "resource" : p.getPolicyType() === pb.PolicyType.POLICY_TYPE_STACK ? "stack" : "unknown",
        ...(schema
          ? { configSchema: { properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<string, Record<string, unknown>>, required: schema.getRequiredList() } }
          : {}),
      };
    });
    const initialConfig: Record<string, PolicyConfig> = {};
    res.getInitialconfigMap().forEach((v, k) => {
      initialConfig[k] = { enforcementLevel: levelName(v.getEnforcementlevel()), properties: (v.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown> };
    });
    return { name: res.getName(), version: readVersionFromPolicyYaml(this.dir) ?? res.getVersion(), policies, initialConfig };
  }

  async configure(config: Record<string, PolicyConfig>): Promise<void> {
    const req = new pb.ConfigureAnalyzerRequest();
    for (const [name, c] of Object.entries(config)) {
      const pc = new pb.PolicyConfig();
      pc.setEnforcementlevel(levelNumbers[c.enforcementLevel ?? "advisory"]);
      pc.setProperties(Struct.fromJavaScript((c.properties ?? {}) as any));
      req.getPolicyconfigMap().set(name, pc);
    }
    await call(this.client.configure.bind(this.client), req);
  }

  /**
   * Calls an Analyzer method with a request already encoded (review-wire.ts writes the bytes;
   * building google-protobuf message objects first doubled the review's cost).
   */
  private send<Res>(method: string, request: Uint8Array, decode: (bytes: Uint8Array) => Res): Promise<Res> {
    return new Promise((resolve, reject) =>
      this.client.makeUnaryRequest(`/pulumirpc.Analyzer/${method}`, (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength), decode, request, (err, res) =>
        err ? reject(err) : resolve(res!),
      ),
    );
  }

  /** Analyze with an encoded pulumirpc.AnalyzeRequest. */
  async analyze(req: Uint8Array): Promise<AnalyzeResult> {
    return toResult(await this.send("Analyze", req, pb.AnalyzeResponse.deserializeBinary));
  }

  /** AnalyzeStack with an encoded pulumirpc.AnalyzeStackRequest. */
  async analyzeStack(req: Uint8Array): Promise<AnalyzeResult> {
    return toResult(await this.send("AnalyzeStack", req, pb.AnalyzeResponse.deserializeBinary));
  }

  /** Remediate with an encoded pulumirpc.AnalyzeRequest. */
  async remediate(req: Uint8Array): Promise<pb.RemediateResponse> {
    return this.send("Remediate", req, pb.RemediateResponse.deserializeBinary);
  }

  /** Stderr of the pack so far (policy errors and console output land here). */
  log(): string {
    return this.stderr.join("");
  }

  /**
   * The pack process's CPU seconds and peak RSS so far, from /proc (Linux); undefined elsewhere.
   * The benchmark reports them as the pack's share of a render.
   */
  usage(): PackUsage | undefined {
    const pid = this.child.pid!;
    const cpu = cpuSeconds(pid);
    const peakKb = statusKb(pid, "VmHWM");
    return cpu === undefined || peakKb === undefined ? undefined : { cpuSeconds: cpu, peakRssMb: peakKb / 1024 };
  }

  /** What `usage()` read just before the pack was stopped. */
  finalUsage: PackUsage | undefined;

  /** Stops the pack and waits for it, so that its resource usage is accounted to this process. */
  async close(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.finalUsage = this.usage();
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGKILL");
    await exited;
  }
}
