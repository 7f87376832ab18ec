/**
 * When an image tag (or a release version that becomes one) floats: a registry moves it to
 * another build without the reference changing, so a reschedule runs what nobody reviewed. One
 * definition for the config validation (infra/schema-fields.ts, infra/version-rules.ts) and the
 * policy pack (policy/rules/images-pinned.ts).
 *
 * A tag is a release when it is version-shaped, at least major.minor with an optional `v`
 * (`v0.21.0`, `1.30.3-distroless`, `12.4.1-cudnn-runtime-ubuntu22.04`, `3.10`), and carries none
 * of the moving names below as one of its words (split on `-`, `_` and `.`, any case). Anything
 * else floats unless a digest pins it: a moving name alone or prefixed/suffixed (`latest-gpu`,
 * `gpu-latest`, `nightly-aarch64`, `v1.5.0-latest`), a bare major (`16`, `v1`: the release line's
 * newest, as Docker's official images tag them), a branch or flavour name (`feature-x`, `slim`).
 *
 * A tag that names one build by its commit or build number is a release too: a commit alone or
 * with the `sha-`/`git-`/`g` prefix CI tools write (docker/metadata-action's `type=sha` tags
 * `sha-1a2b3c4`), and a moving name followed by the build it was cut from (vLLM's per-commit
 * `nightly-d223c90`, a semver pre-release `1.2.0-canary.3`): those builds are never re-pushed.
 *
 * The moving names are those the platform's upstreams re-push: `latest` (vllm/vllm-openai,
 * ghcr.io/llm-d/*, agentgateway on each release, gcr.io/istio-testing), `nightly` (vLLM's
 * `nightly`, `nightly-aarch64`), `main` (ghcr.io/llm-d/llm-d-router-endpoint-picker:main),
 * `dev` (agentgateway v1.4.1 nightly.yml: image `latest-dev`, chart `0.0.0-latest-dev`; Istio's
 * `1.30-dev` builds), and the channel and branch names other registries move the same way:
 * `stable`, `edge`, `master`, `develop`, `head`, `trunk`, `canary`, `current`, `next`,
 * `snapshot`, `unstable`, `rolling`. Flavour words that only look alike (`devel` in
 * nvidia/cuda's `12.4.1-devel-ubuntu22.04`, `dev0` in a Python pre-release) are not moving names.
 */
export const MOVING_TAG_NAMES = [
  "latest",
  "stable",
  "nightly",
  "main",
  "master",
  "edge",
  "dev",
  "develop",
  "head",
  "trunk",
  "canary",
  "current",
  "next",
  "snapshot",
  "unstable",
  "rolling",
] as const;

const MOVING = new Set<string>(MOVING_TAG_NAMES);

/** A word naming one build: a build number, or a commit (7 to 40 hex digits, at least one a digit). */
const buildId = (word: string): boolean => /^\d+$/.test(word) || (/^[0-9a-f]{7,40}$/.test(word) && /\d/.test(word));

/**
 * The moving name among a tag's (or version's) words, lowercased; undefined when it has none. A
 * moving name followed by a build number or commit (`nightly-d223c90`, `canary.3`) names that build.
 */
export function movingName(tag: string): string | undefined {
  const words = tag.toLowerCase().split(/[-_.+]/);
  return words.find((word, at) => MOVING.has(word) && !cutFrom(words, at));
}

/** Whether the moving name at `at` is followed by the build it was cut from. */
const cutFrom = (words: string[], at: number): boolean => at + 1 < words.length && buildId(words[at + 1]);

/** A tag that names a build by a moving name and its commit or number (`nightly-d223c90`). */
const namedBuild = (tag: string): boolean => {
  const words = tag.toLowerCase().split(/[-_.+]/);
  return words.some((word, at) => MOVING.has(word) && cutFrom(words, at));
};

/** A commit tag: the commit alone or after a CI tool's `sha-`, `git-` or `g` prefix (`sha-1a2b3c4`). */
const commitTag = (tag: string): boolean => {
  const id = tag.toLowerCase().replace(/^(sha-|git-|g)(?=[0-9a-f]{7,40}$)/, "");
  return /^[0-9a-f]{7,40}$/.test(id) && /\d/.test(id) && /[a-f]/.test(id);
};

/** At least major.minor, with an optional `v`, then anything (`v0.21.0`, `3.10`, `1.30.3-distroless`). */
export const versionShaped = (tag: string): boolean => /^v?\d+\.\d+/i.test(tag);

/** What a pinned tag is, for messages that say what is allowed. */
export const RELEASE_TAG_RULE = `a version of at least major.minor (such as v0.21.0 or 1.30.3-distroless) without a moving name (${MOVING_TAG_NAMES.join(", ")}) as one of its words, or one build named by its commit (such as sha-1a2b3c4 or nightly-d223c90)`;

/**
 * Why an image tag floats, or undefined when it names one release. An empty tag is left to the
 * caller (no tag at all is `latest` in a reference, but the chart's appVersion in Helm values).
 */
export function floatingTag(tag: string): string | undefined {
  const moving = movingName(tag);
  if (moving) return `'${tag}' is a moving tag ('${moving}' is re-pushed to newer builds)`;
  if (/^v?\d+$/i.test(tag)) return `'${tag}' names a release line, not a release (it moves to each newer ${tag}.x)`;
  if (!versionShaped(tag) && !commitTag(tag) && !namedBuild(tag)) return `'${tag}' is not a release version (a branch or flavour name the registry can move)`;
  return undefined;
}
