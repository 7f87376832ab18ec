/**
 * Gates on a k3s server's Kubernetes API, as dynamic resources that run at deploy time.
 *
 * ApiReady waits for a new cluster's API to answer `/readyz` before anything is applied on it. A
 * k3s server VM is "created" the moment GCE boots it, minutes before its startup script has
 * installed and started k3s; without this gate the first `pulumi up` fails with "connection
 * refused" on the first Kubernetes resource.
 *
 * ServerVersionGate holds the agents back during a k3s upgrade until the server runs the new version.
 */
import * as pulumi from "@pulumi/pulumi";

/** Where and how to reach a cluster's API, and for how long. */
interface ApiProbe {
  /** `https://<host>:<port>/<path>` */
  url: string;
  /** PEM of the CA that signed the API server's certificate. */
  caPem: string;
  /** Client certificate and key the API accepts (k3s rejects anonymous requests, `/readyz` too). */
  certPem: string;
  keyPem: string;
  timeoutSeconds: number;
  intervalSeconds: number;
}

export interface ApiReadyProbe extends ApiProbe {
  /** The server VM's ID: a new server (same static address) must be waited for again. */
  serverId?: string;
}

/**
 * GETs the probe's URL until `verdict` accepts an answer (returns undefined; otherwise it describes
 * the answer) or the timeout passes, then throws `onTimeout(last answer)`. Self-contained
 * (requires its own modules) because Pulumi serializes it into the dynamic providers that run it
 * at deploy time.
 */
async function pollApi(probe: ApiProbe, verdict: (status: number, body: string) => string | undefined, onTimeout: (last: string) => string): Promise<void> {
  const https: typeof import("node:https") = require("node:https");
  const deadline = Date.now() + probe.timeoutSeconds * 1000;
  let last = "no answer yet";
  for (;;) {
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = https.request(probe.url, { ca: probe.caPem, cert: probe.certPem, key: probe.keyPem, timeout: 5000 }, (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (d: string) => (body += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("timeout", () => req.destroy(new Error("timed out after 5s")));
        req.on("error", reject);
        req.end();
      });
      const why = verdict(answer.status, answer.body);
      if (why === undefined) return;
      last = why;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() + probe.intervalSeconds * 1000 > deadline) throw new Error(onTimeout(last));
    await new Promise((r) => setTimeout(r, probe.intervalSeconds * 1000));
  }
}

/** Polls `/readyz` until it answers 200 or the timeout passes. */
export async function waitForApiReady(probe: ApiReadyProbe): Promise<void> {
  await pollApi(
    probe,
    (status) => (status === 200 ? undefined : `HTTP ${status}`),
    (last) => `Kubernetes API ${probe.url} not ready after ${probe.timeoutSeconds}s (last: ${last})`,
  );
}

export const apiReadyProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: ApiReadyProbe) {
    await waitForApiReady(inputs);
    return { id: inputs.url, outs: { url: inputs.url, serverId: inputs.serverId } };
  },
  // Once a cluster has answered, later runs wait again only for a new server: a new API address,
  // or a new VM behind the same static address (whose provider, and every object, is recreated).
  async diff(_id: string, olds: ApiReadyProbe, news: ApiReadyProbe) {
    const replaces = (["url", "serverId"] as const).filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
};

/** The API endpoint and the credentials a gate polls it with. */
export interface ApiGateArgs {
  url: pulumi.Input<string>;
  caPem: pulumi.Input<string>;
  certPem: pulumi.Input<string>;
  keyPem: pulumi.Input<string>;
  timeoutSeconds?: number;
}

/** The gate's inputs as its dynamic provider receives them (the key stays secret in state). */
const gateInputs = (args: ApiGateArgs, timeoutSeconds: number, intervalSeconds: number) => ({
  url: args.url,
  caPem: args.caPem,
  certPem: args.certPem,
  keyPem: pulumi.secret(args.keyPem),
  timeoutSeconds: args.timeoutSeconds ?? timeoutSeconds,
  intervalSeconds,
});

export interface ApiReadyArgs extends ApiGateArgs {
  /** The server VM's ID (a replaced server is waited for again). */
  serverId?: pulumi.Input<string>;
  /** How long a fresh cluster may take to come up (15 minutes). */
  timeoutSeconds?: number;
}

/** A resource that exists once the API answers; the cluster's Kubernetes provider depends on it. */
export class ApiReady extends pulumi.dynamic.Resource {
  declare readonly url: pulumi.Output<string>;
  constructor(name: string, args: ApiReadyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      apiReadyProvider,
      name,
      { ...gateInputs(args, 900, 10), serverId: args.serverId },
      opts,
    );
  }
}

export interface ServerVersionProbe extends ApiProbe {
  /** The `gitVersion` the server must report, e.g. `v1.33.5+k3s1`. */
  version: string;
}

/** Polls `/version` until the server reports `version`. */
export async function waitForServerVersion(probe: ServerVersionProbe): Promise<void> {
  await pollApi(
    probe,
    (status, body) => {
      if (status !== 200) return `HTTP ${status}`;
      const running = (JSON.parse(body) as { gitVersion?: string }).gitVersion;
      return running === probe.version ? undefined : `the server runs ${running ?? "an unknown version"}`;
    },
    (last) =>
      `Kubernetes API ${probe.url} did not report ${probe.version} within ${probe.timeoutSeconds}s (last: ${last}); ` +
      "a server created before its k3s sync timer existed upgrades only at boot: run `sudo google_metadata_script_runner startup` on it, or reboot it",
  );
}

export const serverVersionProvider: pulumi.dynamic.ResourceProvider = {
  // Also on create: the gate may be new on a server that runs an older k3s (and no sync timer
  // yet, which only its startup script installs); a new server reports the version once installed.
  async create(inputs: ServerVersionProbe) {
    await waitForServerVersion(inputs);
    return { id: inputs.url, outs: { url: inputs.url, version: inputs.version } };
  },
  async diff(_id: string, olds: ServerVersionProbe, news: ServerVersionProbe) {
    const moved = olds.url !== news.url;
    return { changes: moved || olds.version !== news.version, replaces: moved ? ["url"] : [] };
  },
  // A new pinned version: wait until the server has upgraded itself (its sync timer reads the
  // version from instance metadata) before anything depending on this gate (the agents) updates.
  async update(_id: string, _olds: ServerVersionProbe, news: ServerVersionProbe) {
    await waitForServerVersion(news);
    return { outs: { url: news.url, version: news.version } };
  },
};

export interface ServerVersionGateArgs extends ApiGateArgs {
  version: pulumi.Input<string>;
  /** How long an upgrade may take (20 minutes: the sync timer's minute, the download, the restart). */
  timeoutSeconds?: number;
}

/**
 * Orders a k3s upgrade: the control plane first, then the agents. Kubernetes' version skew policy
 * forbids kubelets newer than the API server, and a new pinned version changes the agents'
 * instance templates (their groups roll them at once) while the server only upgrades itself from
 * its metadata. The agent groups depend on this gate, which returns (on creation, and on a new
 * version) once the server reports the pinned version.
 */
export class ServerVersionGate extends pulumi.dynamic.Resource {
  declare readonly version: pulumi.Output<string>;
  constructor(name: string, args: ServerVersionGateArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      serverVersionProvider,
      name,
      { ...gateInputs(args, 1200, 15), version: args.version },
      opts,
    );
  }
}
