/**
 * `versions.nvidiaDriver` against the CUDA the vLLM image is built on. The GCP GPU agents install
 * that driver branch (components/cloud/gcp/nvidia.ts); the vLLM container brings its own CUDA
 * runtime and PyTorch built for it, which start only on a driver that supports that CUDA major
 * version (NVIDIA's CUDA compatibility guide, minor version compatibility: CUDA 12.x needs driver
 * 525 or later, CUDA 13.x 580 or later). Below it the container's `nvidia-container-cli` refuses
 * the image (`requirement error: unsatisfied condition: cuda>=…`, vllm-project/vllm#5635) or
 * PyTorch finds the driver too old, and every vLLM pod on those VMs crash-loops.
 *
 * Which CUDA a vLLM image runs is read from its tag, for vLLM's own repository only (a mirror
 * keeping the name `vllm-openai` counts): a `-cu<NNN>` suffix names it (`-cu129` is CUDA 12.9,
 * `-cu130` 13.0); an unsuffixed release tag from v0.20.0 on is CUDA 13.0, the default vLLM
 * switched to (vllm-project/vllm#39878: "CUDA 13.0 wheels and Docker images are now the
 * unsuffixed default", docker/Dockerfile CUDA_VERSION 13.0.x; the pinned v0.21.0 is one). An
 * older unsuffixed tag, a digest-only pin or another image is not judged.
 */
import { PlatformConfig } from "./schema";
import { defaultVersions } from "./versions";
import { lookupGpuInstance } from "../components/gpu/catalog";
import { eachItem, Report, unlessBroken } from "./validate-support";
import { imageRepositoryName } from "./validate-server-image";
import { parseVersion, releaseBelow } from "./version-order";

/** The oldest driver branch each CUDA major version runs on (minor version compatibility). */
const MIN_BRANCH_BY_CUDA_MAJOR: Record<number, number> = { 12: 525, 13: 580 };

/** The first vLLM release whose unsuffixed image is CUDA 13.0. */
const CUDA13_DEFAULT_FROM = parseVersion("v0.20.0")!;

/** The CUDA version (`13.0`) a vLLM image is built on, read from its tag; undefined when the tag does not say. */
export function vllmImageCuda(image: string): string | undefined {
  if (!/^vllm-openai$/.test(imageRepositoryName(image))) return undefined;
  const name = image.split("@")[0];
  const colon = name.lastIndexOf(":");
  if (colon <= name.lastIndexOf("/")) return undefined;
  const tag = name.slice(colon + 1);
  const suffix = /-cu(\d{2})(\d)(?:-|$)/.exec(tag);
  if (suffix) return `${Number(suffix[1])}.${suffix[2]}`;
  const release = /^(v?\d+\.\d+\.\d+)(?:-ubuntu\d+)?$/.exec(tag);
  const version = release ? parseVersion(release[1]) : undefined;
  return version && !releaseBelow(version, CUDA13_DEFAULT_FROM) ? "13.0" : undefined;
}

/** The oldest driver branch an image of that CUDA version runs on, if known. */
export const minimumBranch = (cuda: string): number | undefined => MIN_BRANCH_BY_CUDA_MAJOR[Number(cuda.split(".")[0])];

export function checkDriverCuda(report: Report, cfg: PlatformConfig): void {
  unlessBroken(() => {
    const branch = cfg.versions.nvidiaDriver ?? defaultVersions.nvidiaDriver;
    if (!/^\d{3}$/.test(branch)) return; // its form is reported by the schema
    // The clusters whose GPU VMs install the branch: GCP clusters with a GPU node group.
    const driverClusters = new Set(
      cfg.clusters.filter((c) => c.cloud === "gcp" && c.nodeGroups.some((g) => lookupGpuInstance(g.instanceType) !== undefined)).map((c) => c.name),
    );
    let reported = false;
    eachItem(cfg.models, (m, mi) => {
      if (reported || m.server !== "vllm") return;
      const cluster = m.clusters.find((c) => driverClusters.has(c));
      if (cluster === undefined) return;
      eachItem(m.versions, (v, vi) => {
        if (reported) return;
        const image = v.image ?? cfg.versions.vllmImage ?? defaultVersions.vllmImage;
        const cuda = vllmImageCuda(image);
        const min = cuda === undefined ? undefined : minimumBranch(cuda);
        if (cuda === undefined || min === undefined || Number(branch) >= min) return;
        reported = true;
        const from = v.image !== undefined ? `models[${mi}].versions[${vi}].image` : cfg.versions.vllmImage !== undefined ? "versions.vllmImage" : "the pinned versions.vllmImage";
        const at = cfg.versions.nvidiaDriver !== undefined ? ["versions", "nvidiaDriver"] : v.image !== undefined ? ["models", mi, "versions", vi, "image"] : ["versions", "vllmImage"];
        report(
          at,
          `driver branch ${branch} is too old for '${image}' (${from}), which model '${m.name}' (version '${v.name}') runs on the GPU VMs of GCP cluster '${cluster}': that image is built on CUDA ${cuda}, and CUDA ${cuda.split(".")[0]}.x runs only on NVIDIA driver branch ${min} or later, so its pods fail to start there; set versions.nvidiaDriver to ${min} or later${Number(cuda.split(".")[0]) >= 13 ? `, or run a CUDA 12.9 image of the same release (its -cu129 tag)` : ""}`,
        );
      });
    });
  });
}
