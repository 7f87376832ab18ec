/**
 * Platform fields set beside the platform instead of inside it. `pulumi config set --path
 * versions.istio 1.29.0`, without the `platform.` in front, writes `inference-mesh:versions:
 * {istio: …}`, a key of its own in the project's namespace; the CLI hands it to the program
 * (Pulumi.yaml declares only `platform`, and mergeConfig checks declared keys for presence
 * only), which reads `inference-mesh:platform` alone, so `pulumi up` would deploy without the
 * override. A project key named after a top-level platform field is that mistake: the render and
 * the program refuse it. `environment` is left out: a shared ESC environment's unqualified
 * `pulumiConfig` keys land in the project's namespace too, where `environment` is a common name,
 * and the platform's own defaults to the stack name.
 */
import { platformSchema } from "./schema";

const MISPLACEABLE = new Set(Object.keys(platformSchema.shape).filter((field) => field !== "environment"));

/** The top-level platform field a project key names (`inference-mesh:versions`, `inference-mesh:models[0].replicas`), if any. */
function misplacedField(key: string, project: string): string | undefined {
  if (!key.startsWith(`${project}:`)) return undefined;
  const field = /^[^.[]*/.exec(key.slice(project.length + 1))?.[0] ?? "";
  return MISPLACEABLE.has(field) ? field : undefined;
}

/** The keys of `keys` that are platform fields set outside the platform, sorted. */
export function misplacedPlatformKeys(keys: Iterable<string>, project: string): string[] {
  return [...keys].filter((k) => misplacedField(k, project) !== undefined).sort();
}

/** What to do with such a key: move it under `platform`, where the program reads it. */
export function misplacedKeyHint(key: string, project: string, platformKey: string): string {
  const path = key.slice(project.length + 1);
  return (
    `'${misplacedField(key, project)}' is a field of the platform, which the program reads only inside ${project}:${platformKey}: ` +
    `move it there, as ${project}:${platformKey}.${path} (with \`pulumi config set --path\`, a path starting '${platformKey}.')`
  );
}
