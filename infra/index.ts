/**
 * Entry point for `pulumi up` (Pulumi.yaml `main: infra/`) and for the offline render.
 * A config problem stops the program with one readable list of every problem.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadPlatformSpec } from "./config";
import { buildPlatform } from "./platform";

function load() {
  try {
    return loadPlatformSpec();
  } catch (err) {
    // RunError prints its message without a stack trace.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const platform = buildPlatform(load());

export const clusters = platform.clusters;
export const agentJwtSigningKeyPem = platform.agentJwtSigningKeyPem;
