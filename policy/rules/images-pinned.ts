import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, isWorkload, meta, podSpecOf } from "../lib/k8s";

/** Why an image reference is not pinned, or undefined when it names a tag or digest. */
export function unpinned(image: string | undefined): string | undefined {
  if (!image) return "has no image";
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  if (colon < 0) return `${image} has no tag or digest (resolves to latest)`;
  const tag = lastSegment.slice(colon + 1);
  if (tag === "" || tag.toLowerCase() === "latest") return `${image} uses the latest tag`;
  return undefined;
}

/**
 * An unpinned image changes under a running platform: a reschedule silently upgrades the model
 * server or gateway, and a preview cannot show what will run.
 */
export const imagesPinned: ResourceValidationPolicy = {
  name: "images-pinned",
  description:
    "Every container image of a Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod names a tag other than latest, or a digest, so what runs is what was reviewed.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!isWorkload(args.type)) return;
    const { namespace, name } = meta(args.props);
    const kind = args.type.split(":").pop();
    for (const c of containersOf(podSpecOf(args.type, args.props))) {
      const why = unpinned(c.image);
      if (why) report(`${kind} ${namespace}/${name} container ${c.name}: ${why}; pin a version tag or digest`);
    }
  },
};
