/**
 * Entry point for `pulumi up` (Pulumi.yaml `main: infra/`, whose tsconfig.json extends the
 * project's) and for the offline render.
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

// Stack outputs. The signing key (and its key id) exists only where `jwt.selfSigned` asks for it; a top-level
// undefined export would make every other stack's update warn about an output it does not have.
export = {
  clusters: platform.clusters,
  ...(platform.agentJwtSigningKeyPem ? { agentJwtSigningKeyPem: platform.agentJwtSigningKeyPem } : {}),
  ...(platform.agentJwtKeyId ? { agentJwtKeyId: platform.agentJwtKeyId } : {}),
};
