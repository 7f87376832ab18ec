/**
 * Image overrides older than the flags and config the program hands them. The rendered EPP,
 * body-based router and simulator run with arguments (and, for the EPP, an EndpointPickerConfig)
 * that older releases refuse at start, so their pods crash-loop and `pulumi up` waits on them.
 * Only the upstream repositories are recognised (by name, so a mirror keeping it still is), and
 * only a tag that is a release version is compared: a digest-only pin, or a tag such as `main`
 * behind a digest (the schema refuses it without one), names no release and is the operator's to
 * vouch for. Each floor names the upstream fact behind it.
 */
import { PlatformConfig } from "./schema";
import { defaultVersions } from "./versions";
import { eachItem, Report, unlessBroken } from "./validate-support";
import { parseVersion, releaseBelow } from "./version-order";

interface ImageFloor {
  /** The image's repository path, or its last segments for a mirror. */
  repository: RegExp;
  min: string;
  why: string;
}

/**
 * llm-d-router decodes the EndpointPickerConfig strictly and registers `llm-d.ai/v1alpha1` from
 * v0.9.0-rc.1 on (apix/config/v1alpha1 GroupName; pkg/epp/config/loader/configloader.go). Up to
 * v0.8.0 the picker was the image llm-d-inference-scheduler, built on GIE v1.5.0's config API
 * (inference.networking.x-k8s.io only).
 */
const eppFloor: ImageFloor = {
  repository: /(^|\/)(llm-d-router-endpoint-picker|llm-d-inference-scheduler)$/,
  min: "v0.9.0",
  why: "the picker's EndpointPickerConfig is llm-d.ai/v1alpha1, which llm-d-router's config loader knows from v0.9.0; an older picker fails to decode it and exits, so every InferencePool's EPP crash-loops",
};

/**
 * GIE's own picker, whatever its release: its config API is inference.networking.x-k8s.io only
 * (apix/config/v1alpha1 GroupName, v1.0.0 to v1.5.0, the last release with cmd/epp), decoded as
 * strictly, so it exits on the llm-d.ai config as an old llm-d-router does.
 */
const gieEpp = /(^|\/)gateway-api-inference-extension\/epp$/;

function gieEppProblem(image: string): string | undefined {
  if (!gieEpp.test(splitImage(image).repository)) return undefined;
  return `'${image}' is GIE's endpoint picker, whose config loader reads only inference.networking.x-k8s.io/v1alpha1 in every release, while the rendered EndpointPickerConfig is llm-d.ai/v1alpha1 (the picker left GIE for llm-d-router); it would exit at start. Use ghcr.io/llm-d/llm-d-router-endpoint-picker at ${eppFloor.min} or later (the default is pinned in infra/versions.ts)`;
}

/**
 * GIE's BBR parses its flags with pflag's ExitOnError set; `--tracing` and the
 * `base-model-to-header` plugin first appear in v1.5.0-rc.1 (pkg/bbr/server/options.go,
 * pkg/bbr/plugins/basemodelextractor); v1.4.0 has neither.
 */
const bbrFloor: ImageFloor = {
  repository: /(^|\/)gateway-api-inference-extension\/bbr$/,
  min: "v1.5.0",
  why: "the body-based router runs with --tracing=false and the base-model-to-header plugin, which GIE's bbr has from v1.5.0; an older one exits on the unknown flag, and with it every request to the inference gateway fails",
};

/**
 * llm-d-inference-sim parses its flags with pflag (ContinueOnError; main returns on the error);
 * `--force-dummy-tokenizer` is added in v0.9.2 (pkg/common/parser.go, #505).
 */
const simulatorFloor: ImageFloor = {
  repository: /(^|\/)llm-d-inference-sim$/,
  min: "v0.9.2",
  why: "the simulator runs with --force-dummy-tokenizer, which llm-d-inference-sim accepts from v0.9.2; an older one exits on the unknown flag and its pods crash-loop",
};

/** `repo/name:tag@sha256:…` → its repository path and tag (undefined without one). */
function splitImage(ref: string): { repository: string; tag?: string } {
  const name = ref.split("@")[0];
  const colon = name.lastIndexOf(":");
  return colon > name.lastIndexOf("/") ? { repository: name.slice(0, colon), tag: name.slice(colon + 1) } : { repository: name };
}

/** `'<image>' is older than <min>: <why>`, or undefined when the image is not that repository's or its tag names no release below the floor. */
export function imageFloorProblem(image: string, floor: ImageFloor): string | undefined {
  const { repository, tag } = splitImage(image);
  const given = tag === undefined || !floor.repository.test(repository) ? undefined : parseVersion(tag);
  // By release only, as the chart floors: a pre-release of the floor's release is taken as that release.
  if (!given || !releaseBelow(given, parseVersion(floor.min)!)) return undefined;
  return `'${image}' is older than ${floor.min}: ${floor.why}`;
}

const useDefault = (floor: ImageFloor) => `; use a tag of ${floor.min} or later (the default is pinned in infra/versions.ts)`;

export function checkImageFloors(report: Report, cfg: PlatformConfig): void {
  // Every placed model has its pools' pickers and its cluster's body-based router.
  unlessBroken(() => {
    if (cfg.models.length === 0) return;
    for (const [key, floor] of [["eppImage", eppFloor], ["bbrImage", bbrFloor]] as const) {
      unlessBroken(() => {
        const image = cfg.versions[key];
        if (image === undefined) return;
        const belowFloor = imageFloorProblem(image, floor);
        const problem = (key === "eppImage" ? gieEppProblem(image) : undefined) ?? (belowFloor && belowFloor + useDefault(floor));
        if (problem) report(["versions", key], problem);
      });
    }
  });
  let defaultReported = false;
  eachItem(cfg.models, (m, mi) => {
    if (m.server !== "simulator") return;
    eachItem(m.versions, (v, vi) => {
      if (v.image !== undefined) {
        const problem = imageFloorProblem(v.image, simulatorFloor);
        if (problem) report(["models", mi, "versions", vi, "image"], `${problem}; use a tag of ${simulatorFloor.min} or later`);
        return;
      }
      const problem = defaultReported ? undefined : imageFloorProblem(cfg.versions.simulatorImage ?? defaultVersions.simulatorImage, simulatorFloor);
      if (problem) {
        defaultReported = true;
        report(["versions", "simulatorImage"], `${problem} (model '${m.name}' runs it)${useDefault(simulatorFloor)}`);
      }
    });
  });
}
