/**
 * Whether a GPU Operator's container toolkit reaches the containerd of a k3s cluster. gpu-operator
 * v26.7.0 mounts into the toolkit pod the host directories of the containerd config and socket it
 * is given (controllers/object_controls.go transformRuntimeConfigAndSocketMounts: CONTAINERD_CONFIG,
 * else RUNTIME_CONFIG, default /etc/containerd/config.toml; CONTAINERD_SOCKET only, default
 * /run/containerd/containerd.sock, then overwriting RUNTIME_SOCKET with the mounted path). k3s runs
 * its own containerd on /run/k3s/containerd/containerd.sock, rendering its config to
 * /var/lib/rancher/k3s/agent/etc/containerd/config.toml (pkg/agent/config applyContainerdStateAndAddress,
 * Containerd.Config), so at the defaults the toolkit (nvidia-ctk-installer v1.20.0, the chart's
 * toolkit.version) writes a file k3s's containerd never reads and fails to signal a socket that is
 * not there: its pod restarts, the operator never marks the toolkit ready, and the device plugin
 * (whose init container waits for toolkit-ready) never starts. The operator's own test gives the
 * k3s values (controllers/transforms_test.go). k3s fixes that socket whatever its data-dir (pkg/agent/
 * config applyContainerdStateAndAddress), so any other socket fails alike; the config path matters
 * less: k3s rewrites config.toml at every start and registers by itself the nvidia runtime the
 * toolkit leaves in /usr/local/nvidia/toolkit (pkg/agent/containerd/runtimes.go
 * findNvidiaContainerRuntimes, "Path when installing via GPU Operator"), so only the defaults are
 * judged there. Rootless k3s (`rootless`) runs its containerd inside rootlesskit's namespaces: its
 * socket is not judged.
 */
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { dig, isHelmInstall, isReleaseOf } from "./k8s";
import { GPU_OPERATOR_CHART } from "./device-plugin";
import { GCE_NODE_TYPES } from "./gpu-nodes";
import { K3S_DEFAULT_DATA_DIR, k3sDataDir, k3sNodeScripts, k3sRunsOwnContainerd, k3sRootless } from "./k3s-nodes";
import { clusterNodes } from "./ambient-nodes";
import { isNodePool } from "./node-settings";
import { istioPlatform } from "./istio-cni";
import { goTruthy, isObject, orUnknown, probe } from "./values";
import { releaseLabel } from "./release-namespace";
import type { BinSh } from "./shell-dialect";

export const K3S_CONTAINERD_SOCKET = "/run/k3s/containerd/containerd.sock";
const DEFAULT_CONFIG = "/etc/containerd/config.toml";
const DEFAULT_SOCKET = "/run/containerd/containerd.sock";

/**
 * Why the cluster runs k3s's own containerd: a GCE VM of it whose boot script installs k3s without
 * another runtime (`container-runtime-endpoint`, `docker`), or a Helm release declaring Istio's
 * `global.platform` k3s. Undefined when nothing the stack holds says so; `unknown` lists the VMs
 * whose script this run cannot read.
 */
export function k3sEvidence(cluster: { name: string; urn: string }, all: PolicyResource[], resources: PolicyResource[]): { why?: string; script?: string; sh?: BinSh; unknown: string[] } {
  const scripts = k3sNodeScripts(clusterNodes(cluster, all, isNodePool).filter((n) => GCE_NODE_TYPES.has(n.type)));
  const unknown = scripts.unknown.map((n) => n.name);
  // A k3s told to use another runtime's socket (an installed containerd, cri-dockerd) keeps none of its own.
  const own = scripts.nodes.find((n) => k3sRunsOwnContainerd(n.script));
  if (own) return { why: `${own.node.type.split(":").pop()} ${own.node.name} joins it as a k3s node (its ${own.from} installs k3s)`, script: own.script, sh: own.sh, unknown };
  const declared = resources.find((r) => isHelmInstall(r.type) && orUnknown(() => istioPlatform(r.props.values) === "k3s", false));
  if (declared) return { why: `Helm release ${declared.name} declares it k3s (global.platform)`, unknown };
  return { unknown };
}

/** The last value each env var is given (the operator sets them in order, each replacing the one before). */
function envOf(entries: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of Array.isArray(entries) ? entries : []) {
    if (isObject(e) && typeof e.name === "string") out.set(e.name, typeof e.value === "string" ? e.value : String(e.value ?? ""));
  }
  return out;
}

/**
 * Whether a GPU Operator release's toolkit runs (toolkit.enabled, on by default) and configures
 * containerd (not the NRI plugin mode, cdi.enabled with cdi.nriPluginEnabled, in which it touches
 * neither file nor socket).
 */
function toolkitConfiguresContainerd(v: Record<string, unknown>): boolean {
  const enabled = dig(v, "toolkit.enabled");
  if (enabled !== undefined && enabled !== null && !goTruthy(enabled)) return false;
  const cdi = dig(v, "cdi.enabled");
  return !((cdi === undefined || cdi === null || goTruthy(cdi)) && goTruthy(dig(v, "cdi.nriPluginEnabled")));
}

/** What a GPU Operator release's values leave at containerd's defaults where its toolkit configures containerd; empty when both are set. */
export function toolkitDefaults(values: unknown): string[] {
  const v = isObject(values) ? values : {};
  if (!toolkitConfiguresContainerd(v)) return [];
  const env = envOf(dig(v, "toolkit.env"));
  const gaps: string[] = [];
  const socket = env.get("CONTAINERD_SOCKET") || DEFAULT_SOCKET;
  if (socket === DEFAULT_SOCKET) {
    const runtime = env.get("RUNTIME_SOCKET");
    gaps.push(`the socket ${DEFAULT_SOCKET} (values.toolkit.env ${env.has("CONTAINERD_SOCKET") ? "sets it as CONTAINERD_SOCKET" : "sets no CONTAINERD_SOCKET"}${runtime ? `; its RUNTIME_SOCKET ${runtime} the operator overwrites with the socket it mounts` : ""})`);
  }
  const config = env.get("CONTAINERD_CONFIG") || env.get("RUNTIME_CONFIG") || DEFAULT_CONFIG;
  if (config === DEFAULT_CONFIG) gaps.push(`the config ${DEFAULT_CONFIG} (values.toolkit.env ${env.has("CONTAINERD_CONFIG") || env.has("RUNTIME_CONFIG") ? "sets it" : "sets neither CONTAINERD_CONFIG nor RUNTIME_CONFIG"})`);
  return gaps;
}

/** Where k3s's socket is reached: /var/run is /run on the distributions k3s supports. */
const K3S_SOCKETS = new Set([K3S_CONTAINERD_SOCKET, `/var${K3S_CONTAINERD_SOCKET}`]);

/** The CONTAINERD_SOCKET a running toolkit is given when it is neither containerd's default (toolkitDefaults) nor k3s's socket. */
export function toolkitSocketOffK3s(values: unknown): string | undefined {
  const v = isObject(values) ? values : {};
  if (!toolkitConfiguresContainerd(v)) return undefined;
  const socket = envOf(dig(v, "toolkit.env")).get("CONTAINERD_SOCKET");
  return socket && socket !== DEFAULT_SOCKET && !K3S_SOCKETS.has(socket.replace(/\/+$/, "")) ? socket : undefined;
}

/**
 * Reports each GPU Operator release on a k3s cluster of the stack whose container toolkit is left
 * at containerd's defaults, or given a socket that is not k3s's: the toolkit never reaches k3s's
 * containerd, and no GPU pod runs.
 */
export function reportOperatorToolkitOnK3s(cluster: { name: string; urn: string }, all: PolicyResource[], resources: PolicyResource[], report: ReportViolation, pending: string[]): void {
  const operators = resources.filter((r) => isReleaseOf(r, GPU_OPERATOR_CHART));
  if (operators.length === 0) return;
  const k3s = k3sEvidence(cluster, all, resources);
  if (!k3s.why) {
    if (k3s.unknown.length > 0) pending.push(`whether cluster ${cluster.name} runs k3s's own containerd (the boot script of ${k3s.unknown.join(", ")} is not known), which decides where the GPU Operator's container toolkit must point`);
    return;
  }
  // A data-dir not fully known (k3sDataDir) leaves the config path unnamed; the defaults are wrong whatever it is.
  const dataDir = k3s.script === undefined ? K3S_DEFAULT_DATA_DIR : k3sDataDir(k3s.script, k3s.sh);
  const configPath = `${dataDir ?? "<data-dir>"}/agent/etc/containerd/config.toml`;
  const reads = dataDir === undefined ? `${configPath} (its data-dir is not known)` : configPath;
  const rootless = k3s.script !== undefined && k3sRootless(k3s.script);
  for (const r of operators) {
    const values = probe(() => JSON.parse(JSON.stringify(r.props.values ?? {})) as unknown);
    if (!values.known) {
      pending.push(`the toolkit values of GPU Operator release ${r.name} on cluster ${cluster.name}, which decide whether its container toolkit reaches k3s's containerd`);
      continue;
    }
    const release = releaseLabel(r);
    const gaps = toolkitDefaults(values.value);
    const offSocket = toolkitSocketOffK3s(values.value);
    if (gaps.length > 0) {
      report(
        `cluster ${cluster.name}: Helm release ${release} (chart ${GPU_OPERATOR_CHART}) runs its container toolkit (toolkit.enabled) against containerd's defaults, ${gaps.join(" and ")}, though ${k3s.why}, whose containerd listens on ${K3S_CONTAINERD_SOCKET} and reads ${reads}: the toolkit never registers the nvidia runtime with k3s's containerd (and fails signalling a socket that is not there), the operator never marks the toolkit ready and starts no device plugin, so no node advertises a GPU and GPU pods stay Pending; set values.toolkit.env CONTAINERD_CONFIG=${configPath} and CONTAINERD_SOCKET=${K3S_CONTAINERD_SOCKET} (gpu-operator v26.7.0 controllers/transforms_test.go), or toolkit.enabled: false where the nodes install the toolkit themselves (as components/cloud/gcp/nvidia.ts does)`,
        r.urn,
      );
    } else if (offSocket && rootless) {
      pending.push(`whether the socket ${offSocket} GPU Operator release ${r.name} gives its container toolkit reaches the containerd of rootless k3s on cluster ${cluster.name}`);
    } else if (offSocket) {
      report(
        `cluster ${cluster.name}: Helm release ${release} (chart ${GPU_OPERATOR_CHART}) points its container toolkit at the socket ${offSocket} (values.toolkit.env CONTAINERD_SOCKET), though ${k3s.why}, whose containerd listens on ${K3S_CONTAINERD_SOCKET} whatever its data-dir (k3s pkg/agent/config applyContainerdStateAndAddress): the toolkit fails signalling a socket that is not there, the operator never marks the toolkit ready and starts no device plugin, so no node advertises a GPU and GPU pods stay Pending; set values.toolkit.env CONTAINERD_SOCKET=${K3S_CONTAINERD_SOCKET}`,
        r.urn,
      );
    }
  }
}
