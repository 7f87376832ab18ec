/**
 * The forms `versions.<name>` overrides take (infra/versions.ts holds the pinned defaults): a
 * release version, never a moving tag, and per key the stricter form its consumer reads.
 */
import { z } from "zod";
import { movingName } from "../policy/lib/image-tags";

/**
 * A version shaped like a release but naming a build upstream re-pushes: agentgateway's nightly
 * pushes its chart as `0.0.0-latest-dev` and its image as `latest-dev` every night (v1.4.1
 * .github/workflows/nightly.yml), Istio tags its branch builds `1.30-dev`. The image tag rule's
 * moving names (policy/lib/image-tags.ts) as a word of the version.
 */
const notMoving = (rule: z.ZodString) =>
  rule.superRefine((v, ctx) => {
    const moving = movingName(v);
    if (moving) ctx.addIssue({ code: "custom", message: `must be a release, not a moving build: '${v}' carries the moving name '${moving}', which upstream re-pushes to newer builds; pin a release version` });
  });

/** A release version (`1.30.3`, `v1.5.1`, `v1.33.5+k3s1`, a driver branch `580`), never a moving tag. */
export const pinnedVersion = notMoving(
  z.string().regex(/^v?\d+(\.\d+)*([-+][0-9A-Za-z.+-]+)?$/, { message: "must be a release version such as 1.30.3 or v1.5.1 (not a moving tag like 'latest')", abort: true }),
);

/**
 * A SemVer pre-release, as Helm's semver library (Masterminds/semver v3, NewVersion and
 * NewConstraint) parses one: dot-separated identifiers of [0-9A-Za-z-], none empty, a numeric
 * one without leading zeros. `1.30.3-a.` or `1.30.3-rc.01` is no version to Helm, which fails
 * the release ("improper constraint"), and a version ending in '.' or '-' is no label value.
 */
const PRERELEASE = "(-(0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)(\\.(0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*))*)?";
const prereleaseHint = (example: string) => `; a pre-release is dot-separated identifiers of letters, digits and '-', as in ${example}`;

/**
 * Chart and release-manifest versions: Helm reads a chart version as a semver constraint, so
 * `1.30` would install the newest 1.30.x; only major.minor.patch names one release.
 */
const exactRelease = z
  .string()
  // No build metadata: these versions also become `app.kubernetes.io/version` labels, where '+' is not allowed.
  .regex(new RegExp(`^v?\\d+\\.\\d+\\.\\d+${PRERELEASE}$`), {
    message: `must be one exact release, major.minor.patch such as 1.30.3 or v1.5.1 (Helm reads anything shorter as a range)${prereleaseHint("1.30.0-rc.0")}`,
    abort: true,
  })
  .apply(notMoving);
/** GitHub release tags the pinned manifests are downloaded from: `v` + major.minor.patch. */
const releaseTag = z
  .string()
  .regex(new RegExp(`^v\\d+\\.\\d+\\.\\d+${PRERELEASE}$`), {
    message: `must be the release tag, 'v' + major.minor.patch such as v1.5.1 (the download URL uses the tag)${prereleaseHint("v1.5.0-rc.1")}`,
    abort: true,
  })
  .apply(notMoving);

/**
 * Versions that also label objects (`app.kubernetes.io/version` on the waypoints and east-west
 * gateways for Istio, on the agent gateways for agentgateway): a label value is at most 63
 * characters and ends with a letter or digit (a SemVer identifier may end with '-'), and the API
 * server refuses the object otherwise.
 */
const labelled = (rule: z.ZodString) =>
  rule
    .max(63, { message: "must be at most 63 characters: it becomes the app.kubernetes.io/version label of the objects it installs, and label values are at most 63", abort: true })
    .regex(/[A-Za-z0-9]$/, "must end with a letter or digit: it becomes the app.kubernetes.io/version label of the objects it installs, and label values end with one");

/** Per-key rules where the generic pinned version is too loose; the rest use `pinnedVersion` or `image`. */
export const versionRules: Record<string, z.ZodString> = {
  istio: labelled(exactRelease),
  // Charts are pushed as both 1.4.1 and v1.4.1, images only as v1.4.1: the tag names both.
  agentgateway: labelled(releaseTag),
  nvidiaDevicePlugin: exactRelease,
  gatewayApi: releaseTag,
  gie: releaseTag,
  llmdRouter: releaseTag,
  k3s: z.string().regex(/^v\d+\.\d+\.\d+\+k3s\d+$/, "must be a k3s release such as v1.33.5+k3s1"),
  eksKubernetes: z.string().regex(/^1\.\d+$/, "must be an EKS Kubernetes minor version such as 1.33"),
  nvidiaDriver: z.string().superRefine((s, ctx) => {
    const problem = nvidiaBranchProblem(s);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
};

/**
 * Why `versions.nvidiaDriver` is no branch the GPU agents can install. They run `ubuntu-drivers
 * install --gpgpu nvidia:<branch>-server` and `apt-get install nvidia-utils-<branch>-server`
 * (components/cloud/gcp/nvidia.ts): the Ubuntu archive names its NVIDIA packages by branch, the
 * three digits of NVIDIA's release branches (R535, R550, R570, R580), and holds only a branch's
 * current release, so neither a full driver version (570.133.20, as NVIDIA publishes releases)
 * nor a spelling the package names do not take (R580, 580-server) installs anything.
 */
export function nvidiaBranchProblem(value: string): string | undefined {
  const allowed = "must be an NVIDIA driver branch, its three digits such as 535, 550, 570 or 580: the GPU agents install the Ubuntu archive's nvidia:<branch>-server with ubuntu-drivers";
  if (/^\d{3}$/.test(value)) return undefined;
  const full = /^[Rr]?(\d{3})\.\d+(\.\d+)?$/.exec(value);
  if (full) return `${allowed}, which installs the branch's current release and cannot pin one: '${value}' is a full driver version, give its branch ${full[1]}`;
  const spelled = /^(?:[Rr]|nvidia[-:]|nvidia-driver-)?(\d{3})(?:-server|-open|-server-open)?$/.exec(value);
  if (spelled) return `${allowed} (the install adds nvidia: and -server itself): give ${spelled[1]}`;
  return allowed;
}
