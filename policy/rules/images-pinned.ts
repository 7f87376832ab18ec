import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, isHelmInstall, isWorkload, meta, podSpecOf } from "../lib/k8s";

/** Why an image reference is not pinned, or undefined when it names a tag or digest. */
export function unpinned(image: string | undefined): string | undefined {
  if (!image) return "has no image";
  const at = image.indexOf("@");
  if (at >= 0) {
    // A digest pins whatever tag stands beside it, but only a whole one: sha256 is 64 hex digits.
    const digest = image.slice(at + 1);
    return /^sha256:[0-9a-f]{64}$/.test(digest) || /^sha512:[0-9a-f]{128}$/.test(digest) ? undefined : `${image} has a malformed digest '${digest}' (sha256: and 64 hex digits)`;
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

/**
 * What in a Helm release's values unpins an image: a `tag` (or Istio's `global.tag`) of `latest`,
 * or an `image` string that is not pinned. Charts default their image tags to the chart's
 * appVersion, so an absent or empty tag (the usual "use appVersion") is pinned by the chart version.
 */
export function unpinnedHelmValues(values: unknown, path = "values"): string[] {
  if (!values || typeof values !== "object") return [];
  if (Array.isArray(values)) return values.flatMap((v, i) => unpinnedHelmValues(v, `${path}[${i}]`));
  const found: string[] = [];
  for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
    const at = `${path}.${key}`;
    if (key === "tag" && typeof value === "string" && value.trim().toLowerCase() === "latest") {
      found.push(`${at} is '${value}' (the newest image, not a reviewed one)`);
    } else if (key === "image" && typeof value === "string" && /[/:@]/.test(value)) {
      const why = unpinned(value);
      if (why) found.push(`${at}: ${why}`);
    } else {
      found.push(...unpinnedHelmValues(value, at));
    }
  }
  return found;
}

/**
 * An unpinned image changes under a running platform: a reschedule silently upgrades the model
 * server or gateway, and a preview cannot show what will run.
 */
export const imagesPinned: ResourceValidationPolicy = {
  name: "images-pinned",
  description:
    "Every container image of a Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod names a tag other than latest, or a digest, and every Helm release pins its chart version and sets no image tag to latest, so what runs is what was reviewed.",
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
    if (!isWorkload(args.type)) return;
    const { namespace, name } = meta(args.props);
    const kind = args.type.split(":").pop();
    for (const c of containersOf(podSpecOf(args.type, args.props))) {
      const why = unpinned(c.image);
      if (why) report(`${kind} ${namespace}/${name} container ${c.name}: ${why}; pin a version tag or digest`);
    }
  },
};
