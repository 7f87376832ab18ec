/**
 * Waits for a new cluster's Kubernetes API to answer `/readyz` before anything is applied on it.
 * A k3s server VM is "created" the moment GCE boots it, minutes before its startup script has
 * installed and started k3s; without this gate the first `pulumi up` fails with "connection
 * refused" on the first Kubernetes resource.
 */
import * as pulumi from "@pulumi/pulumi";

export interface ApiReadyProbe {
  /** `https://<host>:<port>/readyz` */
  url: string;
  /** PEM of the CA that signed the API server's certificate. */
  caPem: string;
  /** Client certificate and key the API accepts (k3s rejects anonymous `/readyz`). */
  certPem: string;
  keyPem: string;
  timeoutSeconds: number;
  intervalSeconds: number;
}

/**
 * Polls the probe until it answers 200 or the timeout passes. Self-contained (requires its own
 * modules) because Pulumi serializes it into the dynamic provider that runs it at deploy time.
 */
export async function waitForApiReady(probe: ApiReadyProbe): Promise<void> {
  const https: typeof import("node:https") = require("node:https");
  const deadline = Date.now() + probe.timeoutSeconds * 1000;
  let last = "no answer yet";
  for (;;) {
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(probe.url, { ca: probe.caPem, cert: probe.certPem, key: probe.keyPem, timeout: 5000 }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("timeout", () => req.destroy(new Error("timed out after 5s")));
        req.on("error", reject);
        req.end();
      });
      if (status === 200) return;
      last = `HTTP ${status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() + probe.intervalSeconds * 1000 > deadline) {
      throw new Error(`Kubernetes API ${probe.url} not ready after ${probe.timeoutSeconds}s (last: ${last})`);
    }
    await new Promise((r) => setTimeout(r, probe.intervalSeconds * 1000));
  }
}

const apiReadyProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: ApiReadyProbe) {
    await waitForApiReady(inputs);
    return { id: inputs.url, outs: { url: inputs.url } };
  },
  // Once a cluster has answered, later runs wait again only for a new API address (a new server).
  async diff(_id: string, olds: ApiReadyProbe, news: ApiReadyProbe) {
    const moved = olds.url !== news.url;
    return { changes: moved, replaces: moved ? ["url"] : [], deleteBeforeReplace: true };
  },
};

export interface ApiReadyArgs {
  url: pulumi.Input<string>;
  caPem: pulumi.Input<string>;
  certPem: pulumi.Input<string>;
  keyPem: pulumi.Input<string>;
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
      { url: args.url, caPem: args.caPem, certPem: args.certPem, keyPem: pulumi.secret(args.keyPem), timeoutSeconds: args.timeoutSeconds ?? 900, intervalSeconds: 10 },
      opts,
    );
  }
}
