/**
 * An OCI image reference as container runtimes parse it: an optional registry (a first component
 * with '.' or ':', or `localhost`), lowercase repository path components, then a tag and/or a
 * sha256 digest (distribution/reference grammar).
 */
const IMAGE_PATH = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const IMAGE_REGISTRY = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::\d+)?$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const IMAGE_DIGEST = /^sha256:[a-f0-9]{64}$/;
/**
 * The longest repository path a runtime takes: distribution/reference v0.6.0 refuses a path (the
 * name without its registry) over RepositoryNameTotalLengthMax, 255, with ErrNameTooLong. The
 * kubelet parses every container image with ParseNormalizedNamed first, which puts a Docker Hub
 * name of one component under `library/`, and a pod whose image fails it never starts
 * (InvalidImageName), so its Deployment never becomes available.
 */
const REPOSITORY_PATH_MAX = 255;
const DOCKER_HUB = new Set(["docker.io", "index.docker.io"]);

/** Why `ref` is not a valid image reference, or undefined when it is one. */
export function imageReferenceProblem(ref: string): string | undefined {
  const [nameAndTag, digest, ...extra] = ref.split("@");
  if (extra.length || (digest !== undefined && !IMAGE_DIGEST.test(digest))) return "has a malformed digest (expected @sha256:<64 hex digits>)";
  const lastSlash = nameAndTag.lastIndexOf("/");
  const colon = nameAndTag.indexOf(":", lastSlash + 1);
  const name = colon < 0 ? nameAndTag : nameAndTag.slice(0, colon);
  const tag = colon < 0 ? undefined : nameAndTag.slice(colon + 1);
  if (tag !== undefined && !IMAGE_TAG.test(tag)) return `has an invalid tag '${tag}'`;
  const [first, ...rest] = name.split("/");
  const hasRegistry = rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasRegistry && !IMAGE_REGISTRY.test(first)) return `has an invalid registry '${first}'`;
  const path = hasRegistry ? rest.join("/") : name;
  if (!IMAGE_PATH.test(path)) return `has an invalid repository '${path}' (lowercase letters, digits and separators . _ __ -)`;
  const official = (!hasRegistry || DOCKER_HUB.has(first)) && !path.includes("/");
  const normalized = official ? `library/${path}` : path;
  if (normalized.length > REPOSITORY_PATH_MAX) {
    const hub = official ? ", with the library/ the kubelet puts before a one-part Docker Hub name" : "";
    return `has a repository path of ${normalized.length} characters (the name without its registry${hub}); container runtimes take at most ${REPOSITORY_PATH_MAX}, and the kubelet fails the pod with InvalidImageName: shorten it`;
  }
  return undefined;
}

/** The tag of a reference without a digest (`registry:5000/repo:tag` → `tag`), or undefined when it has none. */
export function imageTagOf(ref: string): string | undefined {
  if (ref.includes("@")) return undefined;
  const lastSegment = ref.slice(ref.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  return colon < 0 ? undefined : lastSegment.slice(colon + 1);
}
