/**
 * Whether a GCE GPU VM that joins k3s gets the NVIDIA driver: Compute Engine's public OS images
 * carry none (its GPU docs: pick a boot image and install the driver yourself; Deep Learning VM
 * images have it preinstalled), so a VM booting one must install it from its boot script, or the
 * cluster's GPU Operator must (gpu-operator v26.7.0 values.yaml driver.enabled, on by default).
 * Without a driver the device plugin finds no GPU and every GPU pod stays Pending.
 */
import type { PolicyResource } from "@pulumi/policy";
import { helmChartName, isHelmInstall } from "./k8s";
import { list, probe, type Tri } from "./values";
import { GPU_OPERATOR_CHART } from "./device-plugin";
import type { BinSh } from "./shell-dialect";

/**
 * Public image projects of stock OS images, none of which ships the NVIDIA driver. Images of other
 * projects (deeplearning-platform-release, ubuntu-os-accelerator-images, a fork's own) and names
 * that say they carry it (nvidia, cuda, gpu, accelerator) are not judged.
 */
const STOCK_PROJECTS = new Set(["ubuntu-os-cloud", "ubuntu-os-pro-cloud", "debian-cloud", "centos-cloud", "rocky-linux-cloud", "rhel-cloud", "almalinux-cloud", "suse-cloud", "opensuse-cloud", "fedora-coreos-cloud"]);

/** The project of a GCE image reference (`projects/<p>/global/images/…`, a URL of it, or `<p>/<family or name>`); undefined for a bare name (the VM's own project). */
export function imageProject(image: string): string | undefined {
  const long = /(?:^|\/)projects\/([^/]+)\/global\/images\//.exec(image);
  if (long) return long[1];
  const parts = image.split("/");
  return parts.length === 2 ? parts[0] : undefined;
}

/** The boot disk image of a VM: an instance's bootDisk, a template's boot disk (the one marked boot, else the first). */
function bootImage(props: Record<string, any>): unknown {
  const fromInstance = props.bootDisk?.initializeParams?.image;
  if (fromInstance !== undefined) return fromInstance;
  const disks = list(props.disks as { boot?: unknown; sourceImage?: unknown }[]);
  return (disks.find((d) => d?.boot === true) ?? disks[0])?.sourceImage;
}

/** Public image projects whose images run Debian or Ubuntu, where /bin/sh is dash (Deep Learning VM images: by their name). */
const DASH_PROJECTS = new Set(["ubuntu-os-cloud", "ubuntu-os-pro-cloud", "ubuntu-os-accelerator-images", "debian-cloud"]);
/** Public image projects of the RHEL family, SUSE and Fedora CoreOS, where /bin/sh is bash (run in its POSIX mode). */
const BASH_PROJECTS = new Set(["centos-cloud", "rocky-linux-cloud", "rocky-linux-accelerator-cloud", "rhel-cloud", "rhel-sap-cloud", "almalinux-cloud", "suse-cloud", "suse-sap-cloud", "opensuse-cloud", "fedora-coreos-cloud"]);

/**
 * What /bin/sh is on a GCE VM's boot image, the shell of cloud-init's runcmd and of a boot script
 * headed `#!/bin/sh` (shell-dialect.ts): dash on a public Debian or Ubuntu image (a Deep Learning VM
 * image named for one too), bash on a public RHEL-family, SUSE or Fedora CoreOS image; undefined
 * for any other (a project's own image, Container-Optimized OS) or one not known yet.
 */
export function gceBinSh(props: Record<string, any>): BinSh {
  const image = probe(() => bootImage(props));
  if (!image.known || typeof image.value !== "string") return undefined;
  const project = imageProject(image.value) ?? "";
  if (DASH_PROJECTS.has(project) || (project === "deeplearning-platform-release" && /(?:^|[-/])(?:ubuntu|debian)-\d/.test(image.value))) return "dash";
  return BASH_PROJECTS.has(project) ? "bash" : undefined;
}

/** Commands that install the NVIDIA driver on a stock image (Ubuntu's ubuntu-drivers or packages, NVIDIA's CUDA repository or runfile, Google's installers). */
// Package names only: `nvidia-driver-<branch>` or Debian's `nvidia-driver`, not a marker file such as nvidia-driver-installed.
const DRIVER_INSTALL = /ubuntu-drivers|nvidia-driver(?:-\d|(?=[\s'"]|$))|nvidia-headless-\d|nvidia-open\b|nvidia-dkms|linux-modules-nvidia|cuda-drivers|NVIDIA-Linux-|cuda_installer|install_gpu_driver|cos-extensions/m;

/**
 * Installs of NVIDIA's container toolkit, which gives containerd the `nvidia` runtime (k3s
 * registers it when it finds nvidia-container-runtime): without it no container, the device
 * plugin's included, sees the GPUs. A package manager installing `nvidia-container-toolkit` (NVIDIA's
 * install guide spells it over continued lines: `apt-get install -y \` then the pinned packages),
 * or dpkg/rpm installing a local package, the offline install NVIDIA publishes its `.deb` and `.rpm`
 * files for (container-toolkit arch-overview, "Package Repository"): one named for the toolkit, or
 * a glob that may hold it. On an install command only: not the toolkit's keyring or apt list files.
 */
const TOOLKIT_INSTALLS = [
  /\b(?:apt-get|apt|dnf|yum|zypper)\b[^\n]*\binstall\b[^\n]*(?:\bnvidia-container-toolkit\b|\*\.(?:deb|rpm)\b)/m,
  /\b(?:dpkg|rpm)\s+(?:-\S+\s+)*?(?:-[a-zA-Z]*[iU][a-zA-Z]*|--install|--upgrade)\s[^\n]*(?:nvidia-container-toolkit[^\s]*\.(?:deb|rpm)|\*\.(?:deb|rpm))\b/m,
];

/** Whether a script (lines that are not comments) installs the container toolkit; a line ending in `\` goes on with the next, as the shell reads it. */
export function installsContainerToolkit(script: string): boolean {
  const joined = liveLines(script).replace(/\\\r?\n/g, " ");
  return TOOLKIT_INSTALLS.some((re) => re.test(joined));
}

/** The stock image a GPU VM boots, when it is one (undefined for any other image). */
function stockImage(props: Record<string, any>): string | undefined {
  const image = bootImage(props);
  if (typeof image !== "string") return undefined;
  const project = imageProject(image);
  return !project || !STOCK_PROJECTS.has(project) || /nvidia|cuda|gpu|accelerator/i.test(image) ? undefined : image;
}

const liveLines = (script: string) => script.split("\n").filter((line) => !/^\s*#/.test(line)).join("\n");

/** The stock image a GPU VM boots when its boot script (lines that are not comments) installs no driver; undefined otherwise. */
export function driverlessBoot(props: Record<string, any>, script: string): string | undefined {
  const image = stockImage(props);
  return image && !DRIVER_INSTALL.test(liveLines(script)) ? image : undefined;
}

/** The stock image a GPU VM boots when its boot script installs the driver but not the container toolkit; undefined otherwise. */
export function toolkitlessBoot(props: Record<string, any>, script: string): string | undefined {
  const image = stockImage(props);
  return image && DRIVER_INSTALL.test(liveLines(script)) && !installsContainerToolkit(script) ? image : undefined;
}

/**
 * Whether a GPU Operator release on the cluster installs the driver (driver.enabled, on by
 * default), or with `part` toolkit the container toolkit (toolkit.enabled, on by default: v26.7.0
 * values.yaml); "unknown" while one's values are not known.
 */
export function operatorInstallsDriver(resources: PolicyResource[], part: "driver" | "toolkit" = "driver"): Tri {
  let result: Tri = false;
  for (const r of resources.filter((x) => isHelmInstall(x.type))) {
    const chart = probe(() => helmChartName(r.props));
    if (!chart.known) {
      result = result === true ? true : "unknown";
      continue;
    }
    if (chart.value !== GPU_OPERATOR_CHART) continue;
    const enabled = probe(() => r.props.values?.[part]?.enabled);
    if (!enabled.known) result = result === true ? true : "unknown";
    else if (enabled.value !== false) return true;
  }
  return result;
}
