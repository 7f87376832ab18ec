/**
 * The NVIDIA part of a GPU agent's startup script: the driver (reboots once into it), fabric
 * manager on NVSwitch boards, and the container toolkit, all before k3s so that k3s detects the
 * `nvidia` runtime. Pure.
 */
import { retried, writeFile } from "./shell";

/** The systemd unit the Ubuntu `nvidia-fabricmanager-<branch>` package ships. */
export const fabricManagerUnit = "nvidia-fabricmanager.service";

/**
 * NVIDIA fabric manager for NVSwitch boards (a2-highgpu-8g, a3-highgpu-8g…): until it has set up
 * the NVLink fabric, CUDA fails with "system not yet initialized" (802) although nvidia-smi lists
 * the GPUs. The Ubuntu archive's `nvidia-fabricmanager-<branch>` goes with the `-server` driver
 * ubuntu-drivers installs (`--gpgpu` picks that flavour for fabric manager's sake) and depends on
 * `nvidia-kernel-common-<branch>-server-<version>`, the exact driver version: installed in the
 * same apt run as the driver, apt installs the matching one or fails the boot, never a mismatch
 * (which fabric manager refuses to start with).
 *
 * These drop-ins are written at every boot, before the packages are installed: the service starts
 * only where the guest sees NVSwitch devices (as NVIDIA's own driver images gate it), so neither
 * the package's install before the driver is loaded nor a shape whose switches stay with the host
 * fails on it; and the k3s agent starts after it at every boot, so no pod reaches CUDA before the
 * fabric is up.
 */
function fabricManagerDropIns(): string {
  const condition = `[Unit]\nConditionDirectoryNotEmpty=/proc/driver/nvidia-nvswitch/devices\n`;
  const ordering = `[Unit]\nWants=${fabricManagerUnit}\nAfter=${fabricManagerUnit}\n`;
  return [
    `install -d -m 0755 /etc/systemd/system/${fabricManagerUnit}.d /etc/systemd/system/k3s-agent.service.d`,
    writeFile(`/etc/systemd/system/${fabricManagerUnit}.d/10-inference-mesh-nvswitch.conf`, condition, "0644"),
    writeFile("/etc/systemd/system/k3s-agent.service.d/10-inference-mesh-fabricmanager.conf", ordering, "0644"),
    "systemctl daemon-reload",
  ].join("\n");
}

/** Seconds apt waits for the dpkg lock before giving up (unattended-upgrades may hold it for minutes). */
export const aptLockWaitSeconds = 600;

/**
 * GCE orders the startup script only before apt-daily.service (guest-agent's
 * google-startup-scripts.service; ordering it before apt-daily-upgrade too was reverted), so on a
 * fresh Ubuntu image unattended-upgrades can hold the dpkg lock while this script installs, and an
 * apt-get that finds it held fails the boot. apt 1.9.11 and later (Ubuntu 22.04 has 2.4) wait for
 * it up to DPkg::Lock::Timeout, read from apt.conf.d by apt-get and ubuntu-drivers (which runs
 * apt-get) alike. The timeout covers the dpkg locks only (apt-pkg/deb/debsystem.cc): the lists
 * lock of apt-get update and the archives lock of apt-get install are taken once, without waiting
 * (pkgAcquire::GetLock), so every apt call is also retried (`retry`), as it is for a mirror's
 * passing failure.
 */
const aptWaitsForLock = () => writeFile("/etc/apt/apt.conf.d/90inference-mesh-lock-timeout", `DPkg::Lock::Timeout "${aptLockWaitSeconds}";\n`, "0644");

/**
 * apt-get update only warns (and exits 0) when an index fails to download for a passing network
 * reason (apt-pkg/update.cc, Error-Mode `persistent`); the install after it would then fail on a
 * package it cannot find. `any` makes that a failure, which `retry` tries again.
 */
const aptUpdate = "retry apt-get -o APT::Update::Error-Mode=any update";

/**
 * NVIDIA driver (reboots once into it), fabric manager where asked, and container toolkit, before
 * k3s so k3s detects the runtime.
 */
export function installNvidia(branch: string, fabricManager: boolean): string {
  return `${aptWaitsForLock()}\n${fabricManager ? `${fabricManagerDropIns()}\n` : ""}if ! nvidia-smi >/dev/null 2>&1; then
  if [ -f /var/lib/inference-mesh/nvidia-driver-installed ]; then
    echo "NVIDIA driver installed but nvidia-smi fails; not rebooting again" >&2
    exit 1
  fi
  ${aptUpdate}
  retry apt-get install -y ubuntu-drivers-common
  retry ubuntu-drivers install --gpgpu 'nvidia:${branch}-server'
  retry apt-get install -y 'nvidia-utils-${branch}-server'${fabricManager ? `\n  retry apt-get install -y 'nvidia-fabricmanager-${branch}'` : ""}
  install -d /var/lib/inference-mesh
  touch /var/lib/inference-mesh/nvidia-driver-installed
  reboot
  exit 0
fi${fabricManager ? `\nsystemctl enable --now ${fabricManagerUnit}` : ""}
if ! command -v nvidia-container-runtime >/dev/null 2>&1; then
  ${retried("curl -fsSL https://nvidia.github.io/libnvidia-container/gpgkey | gpg --dearmor --yes -o /usr/share/keyrings/nvidia-container-toolkit-keyring.gpg")}
  ${retried("curl -fsSL https://nvidia.github.io/libnvidia-container/stable/deb/nvidia-container-toolkit.list | sed 's#deb https://#deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg] https://#g' > /etc/apt/sources.list.d/nvidia-container-toolkit.list")}
  ${aptUpdate}
  retry apt-get install -y nvidia-container-toolkit
fi`;
}
