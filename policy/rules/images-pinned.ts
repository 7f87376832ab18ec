import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cannotJudge, containersOf, helmChartName, isHelmInstall, isKind, kindName, meta, podSpecOf, T } from "../lib/k8s";
import { isAgentgatewayParameters } from "../lib/gateways";
import { isPatch, isWorkloadOrPatch, patchedType } from "../lib/patches";
import { isLeaderWorkerSet, lwsTemplates } from "../lib/leader-worker-sets";
import type { Container } from "../lib/k8s";
import { agentgatewayOverlayPodSpecs } from "../lib/overlays";
import { istioGatewayConfigMapPodSpecs, istiodGatewayClassPodSpecs } from "../lib/istio-overlays";
import { isObject, orUnknown, probe, Tri } from "../lib/values";
import { mergeHelmValues, readValueFiles } from "../lib/helm-value-files";
import { givenHelmValues } from "../lib/helm-values";
import { floatingTag, movingName } from "../lib/image-tags";

/** A whole digest: `sha256:` and 64 hex digits, or `sha512:` and 128 (a short one is no digest at all). */
const wholeDigest = (digest: string) => /^sha256:[0-9a-f]{64}$/.test(digest) || /^sha512:[0-9a-f]{128}$/.test(digest);

/** Why an image reference is not pinned, or undefined when a whole digest or a release tag pins it (lib/image-tags.ts). */
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
  const floating = floatingTag(tag);
  return floating && `${image} has a floating tag: ${floating}`;
}

/**
 * Helm reads a chart version as a semver constraint (an empty one is `*`), so only a full
 * `major.minor.patch` (with an optional `v`, pre-release or build) names one chart; `1.4`, `^1.4`,
 * `~1.4.0`, `>=1.0.0`, `1.x` and `*` pick the newest match at install time. Masterminds/semver
 * (Helm v3.19 pkg/registry util.go, repo index Get) aliases `=` to no operator, so `=1.4.1` is
 * `1.4.1` (and `=1.4` the range `1.4`).
 */
export function exactChartVersion(version: string): boolean {
  return /^(=\s*)?v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version.trim());
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
 * Values not known in this preview are read apart and named in `unknown` (any of them may hold an
 * image), so they hide none of the known findings. `skip` leaves out paths judged otherwise.
 */
export function unpinnedHelmValues(values: unknown, path = "values", unknown: string[] = [], skip: (path: string) => boolean = () => false): string[] {
  if (!values || typeof values !== "object") return [];
  const read = (key: string | number) => probe(() => (values as Record<string, unknown>)[key]);
  if (Array.isArray(values)) {
    return Array.from({ length: values.length }, (_, i) => {
      const item = read(i);
      if (!item.known) unknown.push(`${path}[${i}]`);
      return item.known ? unpinnedHelmValues(item.value, `${path}[${i}]`, unknown, skip) : [];
    }).flat();
  }
  const obj: Record<string, unknown> = {};
  for (const key of Object.keys(values)) {
    const v = read(key);
    if (v.known) obj[key] = v.value;
    else unknown.push(`${path}.${key}`);
  }
  const found: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const at = `${path}.${key}`;
    if (skip(at)) continue;
    const versionOfImage = key === "version" && typeof obj.image === "string";
    const tag = key === "tag" || versionOfImage ? scalar(value)?.trim() : undefined;
    // An empty tag is the chart's appVersion. A digest beside it is no excuse: not every chart reads one.
    if (tag?.toLowerCase() === "latest") {
      found.push(`${at} is '${value}' (the newest image, not a reviewed one)`);
    } else if (tag && floatingTag(tag)) {
      found.push(`${at} is '${value}': ${floatingTag(tag)}`);
    } else if (key === "image" && typeof value === "string" && /[/:@]/.test(value)) {
      const why = unpinned(value);
      const siblings = why ? siblingPin(obj) : undefined;
      if (why && siblings === undefined) {
        // A sibling tag, version or digest not known yet may pin it.
        if (["tag", "version", "digest"].some((k) => unknown.includes(`${path}.${k}`))) continue;
        found.push(`${at}: ${why}`);
      } else if (siblings) found.push(`${at}: ${value}: ${siblings}`);
    } else {
      found.push(...unpinnedHelmValues(value, at, unknown, skip));
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
  // The digest first: a whole one pins the image whatever the tag (which is then not read).
  const digest = (image as { digest?: unknown }).digest;
  if (typeof digest === "string" && digest !== "") return wholeDigest(digest) ? undefined : `spec.image.digest '${digest}' is malformed (sha256: and 64 hex digits)`;
  const tag = (image as { tag?: unknown }).tag;
  if (typeof tag !== "string") return undefined;
  if (tag.trim() === "") return "spec.image.tag is empty: the proxy image is pulled without a tag (latest) instead of the controller's release";
  if (tag.trim().toLowerCase() === "latest") return `spec.image.tag is '${tag}' (the newest proxy image, not a reviewed one)`;
  const floating = floatingTag(tag.trim());
  return floating && `spec.image.tag ${floating}`;
}

/**
 * Judges each container's image on its own, so that one image not known in this preview hides no
 * other container's. `overlay`: a container without an image only patches a generated one.
 */
function judgeContainers(read: () => Container[], what: string, overlay: boolean, report: (message: string) => void, pending: string[]): void {
  const containers = probe(read);
  if (!containers.known) {
    pending.push(`the containers of ${what}`);
    return;
  }
  const all = containers.value;
  for (let i = 0; i < all.length; i++) {
    // A container without a (string) name, which the API server refuses, is named by its place.
    const named = orUnknown(() => all[i]?.name as unknown, undefined);
    const name = typeof named === "string" && named !== "" ? named : `#${i}`;
    const image = probe(() => all[i]?.image as string | undefined | null);
    if (!image.known) pending.push(`the image of ${what} container ${name}`);
    else if (overlay && (image.value === undefined || image.value === null)) continue;
    else {
      const why = unpinned(image.value ?? undefined);
      if (why) report(`${what} container ${name}: ${why}; pin a version tag or digest`);
    }
  }
}

/**
 * An unpinned image changes under a running platform: a reschedule silently upgrades the model
 * server or gateway, and a preview cannot show what will run.
 */
export const imagesPinned: ResourceValidationPolicy = {
  name: "images-pinned",
  description:
    "Every container image of a Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Pod or LeaderWorkerSet (its leader and worker templates; and of an AgentgatewayParameters deployment/daemonSet overlay, an Istio gateway ConfigMap's data.deployment overlay, or an istiod chart gatewayClasses.<class>.deployment overlay) names a release tag (a version of at least major.minor without a moving name such as latest, nightly, main, dev or stable as a word of it), or a digest; an AgentgatewayParameters spec.image sets no empty or floating tag nor a malformed digest; every Helm release pins its chart version to one release (no range, no moving pre-release such as 0.0.0-latest-dev) and sets no floating image tag (its valueYamlFiles merged under its values), so what runs is what was reviewed.",
  enforcementLevel: "mandatory",
  validateResource: async (args, report) => {
    // What this preview cannot know yet: reported as "can't judge" after every known verdict.
    const pending: string[] = [];
    if (isHelmInstall(args.type)) {
      // A real Helm v4 Chart's state and goal carry none of its inputs: pulumi-kubernetes' Construct
      // registers the component without them (helm/v4 chart.go RegisterComponentResource), so every
      // chart looked unpinned. Its objects are judged one by one; its chart version cannot be.
      if (args.type === T.helmChart && Object.keys(args.props).length === 0) {
        cannotJudge([`the chart version of Helm v4 Chart ${args.name}: its state records none of its inputs (its rendered objects are judged on their own)`]);
      }
      const chart = probe(() => args.props.chart as unknown);
      const release = `Helm release ${orUnknown(() => (args.props.name as string | undefined) ?? args.name, args.name)} (${chart.known ? (chart.value ?? "?") : "chart not known yet"})`;
      // A chart from a local path or archive carries its version in the files under review.
      const local: Tri = chart.known ? typeof chart.value === "string" && (/^(\.{1,2}\/|\/)/.test(chart.value) || /\.tgz$/.test(chart.value)) : "unknown";
      const version = probe(() => args.props.version as unknown);
      if (local !== true) {
        const why = !version.known
          ? undefined
          : typeof version.value !== "string" || version.value.trim() === ""
            ? `${release} has no chart version: helm installs the newest chart and its images; pin version`
            : !exactChartVersion(version.value)
              ? `${release} chart version '${version.value}' is a range: helm resolves it to the newest matching chart at install time; pin one exact version (e.g. 1.4.1)`
              : movingName(version.value)
                ? `${release} chart version '${version.value}' is a moving version ('${movingName(version.value)}' is re-pushed to newer charts); pin one release (e.g. 1.4.1)`
                : undefined;
        if (!version.known) pending.push(`the chart version of ${release}`);
        else if (why && local === false) report(why);
        else if (why) pending.push(`the chart of ${release} (a local chart carries its own version), which decides: ${why}`);
      }
      const given = probe(() => givenHelmValues(args.props));
      // valueYamlFiles lie under values (helm-value-files.ts): judged merged, as the chart reads them.
      const files = await readValueFiles(args.props);
      pending.push(...files.unread.map((f) => `the values in ${f} of ${release}`));
      const merged = files.merged && given.known ? probe(() => mergeHelmValues(files.merged!, isObject(given.value) ? JSON.parse(JSON.stringify(given.value)) : {})) : undefined;
      if (merged && !merged.known) pending.push(`the valueYamlFiles of ${release}, merged under values not known yet`);
      const values = merged?.known ? merged : given;
      const unknownValues: string[] = [];
      // istiod's gatewayClasses deployment overlays are pod patches: their containers are judged as
      // containers (an image without a tag is latest there), not as chart image settings.
      const istiod = orUnknown(() => helmChartName(args.props) === "istiod", false);
      const overlayPath = (p: string) => istiod && p.startsWith("values.gatewayClasses.") && p.endsWith(".deployment");
      if (!values.known) unknownValues.push("values");
      else for (const why of unpinnedHelmValues(values.value, "values", unknownValues, overlayPath)) report(`${release}: ${why}; pin a version tag or digest`);
      if (unknownValues.length > 0) pending.push(`${unknownValues.join(", ")} of ${release}`);
      if (istiod && values.known) {
        const overlays = istiodGatewayClassPodSpecs(values.value);
        pending.push(...overlays.unknown.map((o) => `${o} of ${release}`));
        for (const { overlay, spec } of overlays.specs) judgeContainers(() => containersOf(spec), `${release} gateway deployment overlay (${overlay})`, true, report, pending);
      }
    } else if (isAgentgatewayParameters(args.type)) {
      const { namespace, name } = meta(args.props);
      const where = `AgentgatewayParameters ${namespace}/${name}`;
      const image = probe(() => unpinnedAgentgatewayImage(args.props.spec?.image));
      if (!image.known) pending.push(`spec.image of ${where}`);
      else if (image.value) report(`${where}: ${image.value}; pin a version tag or digest (or leave tag unset for the controller's own release)`);
      // Overlay containers without an image only patch the generated ones (merged by name).
      const overlays = agentgatewayOverlayPodSpecs(args.props);
      pending.push(...overlays.unknown.map((o) => `${o} of ${where}`));
      for (const { overlay, spec } of overlays.specs) {
        judgeContainers(() => containersOf(spec), `${where} ${overlay} overlay`, true, report, pending);
      }
    } else if (isKind(args.type, "core", "ConfigMap")) {
      // A gateway parameters (or GatewayClass defaults) ConfigMap: containers of its deployment
      // overlay without an image only patch the ones Istio generates (merged by name).
      const overlays = istioGatewayConfigMapPodSpecs(args.type, args.props);
      if (!overlays) return;
      const { namespace, name } = meta(args.props);
      const where = `ConfigMap ${namespace}/${name} (Istio gateway overlay)`;
      pending.push(...overlays.unknown.map((o) => `${o} of ${where}`));
      for (const { overlay, spec } of overlays.specs) judgeContainers(() => containersOf(spec), `${where} ${overlay}`, true, report, pending);
    } else if (isWorkloadOrPatch(args.type)) {
      const { namespace, name } = meta(args.props);
      const kind = kindName(args.type);
      judgeContainers(() => containersOf(podSpecOf(patchedType(args.type), args.props)), `${kind} ${namespace}/${name}`, isPatch(args.type), report, pending);
    } else if (isLeaderWorkerSet(args.type)) {
      // Multi-node vLLM: the leader and worker pods run these templates' images.
      const { namespace, name } = meta(args.props);
      for (const t of lwsTemplates(args.props)) judgeContainers(() => containersOf(t.spec()), `LeaderWorkerSet ${namespace}/${name} ${t.path}`, false, report, pending);
    }
    if (pending.length > 0) cannotJudge(pending);
  },
};
