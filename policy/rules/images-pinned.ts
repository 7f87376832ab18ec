import type { ResourceValidationPolicy } from "@pulumi/policy";
import { agentgatewayOverlayPodSpecs, containersOf, isAgentgatewayParameters, isHelmInstall, isWorkload, meta, podSpecOf } from "../lib/k8s";
import { probe } from "../lib/values";

/** A whole digest: `sha256:` and 64 hex digits, or `sha512:` and 128 (a short one is no digest at all). */
const wholeDigest = (digest: string) => /^sha256:[0-9a-f]{64}$/.test(digest) || /^sha512:[0-9a-f]{128}$/.test(digest);

/** Why an image reference is not pinned, or undefined when it names a tag or digest. */
export function unpinned(image: string | undefined): string | undefined {
  if (!image) return "has no image";
  const at = image.indexOf("@");
  if (at >= 0) {
    // A digest pins whatever tag stands beside it, but only a whole one: sha256 is 64 hex digits.
    const digest = image.slice(at + 1);
    return wholeDigest(digest) ? undefined : `${image} has a malformed digest '${digest}' (sha256: and 64 hex digits)`;
  }
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  if (colon < 0) return `${image} has no tag or digest (resolves to latest)`;
  const tag = lastSegment.slice(colon + 1);
  if (tag === "" || tag.toLowerCase() === "latest") return `${image} uses the latest tag`;
  return undefined;
}

/**
 * Helm reads a chart version as a semver constraint (an empty one is `*`), so only a full
 * `major.minor.patch` (with an optional `v`, pre-release or build) names one chart; `1.4`, `^1.4`,
 * `~1.4.0`, `>=1.0.0`, `1.x` and `*` pick the newest match at install time.
 */
export function exactChartVersion(version: string): boolean {
  return /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version.trim());
}

/** A scalar Helm value as the chart prints it (`tag: 1.2` is a number in YAML); undefined when absent. */
const scalar = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);

/**
 * How the keys beside an `image` string pin it: charts that take `image: <repository>` compose it
 * with a sibling `tag`, `version` or `digest`. Undefined when no sibling sets one (the image string
 * stands alone); otherwise why the siblings leave it unpinned, or "" when they pin it. A `latest`
 * sibling is reported on the sibling itself.
 */
function siblingPin(obj: Record<string, unknown>): string | undefined {
  const digest = scalar(obj.digest)?.trim();
  if (digest) return wholeDigest(digest) ? "" : `the digest '${digest}' beside it is malformed (sha256: and 64 hex digits)`;
  const tag = ["tag", "version"].map((k) => scalar(obj[k])?.trim()).find((v) => !!v);
  return tag ? "" : undefined;
}

/**
 * What in a Helm release's values unpins an image: a `tag` (or Istio's `global.tag`), or the
 * `version` beside an `image` string, of `latest`; or an `image` string that is not pinned by
 * itself nor by a sibling `tag`/`version`/`digest`. Charts default their image tags to the chart's
 * appVersion, so an absent or empty tag (the usual "use appVersion") is pinned by the chart version.
 */
export function unpinnedHelmValues(values: unknown, path = "values"): string[] {
  if (!values || typeof values !== "object") return [];
  if (Array.isArray(values)) return values.flatMap((v, i) => unpinnedHelmValues(v, `${path}[${i}]`));
  const obj = values as Record<string, unknown>;
  const found: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const at = `${path}.${key}`;
    const versionOfImage = key === "version" && typeof obj.image === "string";
    if ((key === "tag" || versionOfImage) && scalar(value)?.trim().toLowerCase() === "latest") {
      found.push(`${at} is '${value}' (the newest image, not a reviewed one)`);
    } else if (key === "image" && typeof value === "string" && /[/:@]/.test(value)) {
      const why = unpinned(value);
      const siblings = why ? siblingPin(obj) : undefined;
      if (why && siblings === undefined) found.push(`${at}: ${why}`);
      else if (siblings) found.push(`${at}: ${value}: ${siblings}`);
    } else {
      found.push(...unpinnedHelmValues(value, at));
    }
  }
  return found;
}

/**
 * Why an AgentgatewayParameters' `spec.image` leaves the proxy image unpinned. The controller
 * builds `<registry>/<repository>[:<tag>][@<digest>]`, and a field left out keeps the controller's
 * default (its own release as the tag); a tag set to "" replaces that default with none at all.
 */
export function unpinnedAgentgatewayImage(image: unknown): string | undefined {
  if (!image || typeof image !== "object") return undefined;
  const { tag, digest } = image as { tag?: unknown; digest?: unknown };
  if (typeof digest === "string" && digest !== "") return wholeDigest(digest) ? undefined : `spec.image.digest '${digest}' is malformed (sha256: and 64 hex digits)`;
  if (typeof tag !== "string") return undefined;
  if (tag.trim() === "") return "spec.image.tag is empty: the proxy image is pulled without a tag (latest) instead of the controller's release";
  if (tag.trim().toLowerCase() === "latest") return `spec.image.tag is '${tag}' (the newest proxy image, not a reviewed one)`;
  return undefined;
}

/**
 * An unpinned image changes under a running platform: a reschedule silently upgrades the model
 * server or gateway, and a preview cannot show what will run.
 */
export const imagesPinned: ResourceValidationPolicy = {
  name: "images-pinned",
  description:
    "Every container image of a Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod (and of an AgentgatewayParameters deployment/daemonSet overlay) names a tag other than latest, or a digest; an AgentgatewayParameters spec.image sets no empty or latest tag nor a malformed digest; every Helm release pins its chart version and sets no image tag to latest, so what runs is what was reviewed.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (isHelmInstall(args.type)) {
      const release = `Helm release ${args.props.name ?? args.name} (${args.props.chart ?? "?"})`;
      // A chart from a local path or archive carries its version in the files under review.
      const local = typeof args.props.chart === "string" && (/^(\.{1,2}\/|\/)/.test(args.props.chart) || /\.tgz$/.test(args.props.chart));
      const version = args.props.version;
      if (!local && (typeof version !== "string" || version.trim() === "")) {
        report(`${release} has no chart version: helm installs the newest chart and its images; pin version`);
      } else if (!local && !exactChartVersion(version)) {
        report(`${release} chart version '${version}' is a range: helm resolves it to the newest matching chart at install time; pin one exact version (e.g. 1.4.1)`);
      }
      for (const why of unpinnedHelmValues(args.props.values)) report(`${release}: ${why}; pin a version tag or digest`);
      return;
    }
    if (isAgentgatewayParameters(args.type)) {
      const { namespace, name } = meta(args.props);
      const where = `AgentgatewayParameters ${namespace}/${name}`;
      const image = probe(() => unpinnedAgentgatewayImage(args.props.spec?.image));
      if (image.known && image.value) report(`${where}: ${image.value}; pin a version tag or digest (or leave tag unset for the controller's own release)`);
      // Overlay containers without an image only patch the generated ones (merged by name).
      for (const { overlay, spec } of agentgatewayOverlayPodSpecs(args.props).specs) {
        for (const c of containersOf(spec)) {
          const ref = probe(() => c.image);
          if (!ref.known || ref.value === undefined || ref.value === null) continue;
          const why = unpinned(ref.value);
          if (why) report(`${where} ${overlay} overlay container ${c.name}: ${why}; pin a version tag or digest`);
        }
      }
      return;
    }
    if (!isWorkload(args.type)) return;
    const { namespace, name } = meta(args.props);
    const kind = args.type.split(":").pop();
    for (const c of containersOf(podSpecOf(args.type, args.props))) {
      const why = unpinned(c.image);
      if (why) report(`${kind} ${namespace}/${name} container ${c.name}: ${why}; pin a version tag or digest`);
    }
  },
};
