/**
 * Where a cluster's k3s nodes read CNI configs, from the stack itself: the boot scripts (startup
 * script, cloud-init user-data) of the GCE VMs under the cluster that install k3s. With its
 * embedded flannel, the containerd k3s runs reads `<data-dir>/agent/etc/cni/net.d` (k3s
 * v1.33.5+k3s1 pkg/agent/config/config.go: CNIConfDir; data-dir /var/lib/rancher/k3s by default),
 * never /etc/cni/net.d. A node with `flannel-backend: none`, or on another runtime
 * (`container-runtime-endpoint`, `docker`), reads what its own CNI or runtime sets: not judged.
 */
import type { PolicyResource } from "@pulumi/policy";
import { kindName } from "./k8s";
import { k3sBootScript, k3sOptionEntries } from "./gpu-nodes";
import { probe } from "./values";

const DEFAULT_DATA_DIR = "/var/lib/rancher/k3s";

/**
 * Whether a k3s boot script leaves k3s on its own embedded containerd: not pointed at another
 * runtime's socket (`container-runtime-endpoint`: an installed containerd, cri-dockerd) nor told to
 * use Docker (`--docker` is a bare flag, `--docker=false` or `docker: false` in the config file
 * leave it off).
 */
export function k3sRunsOwnContainerd(script: string): boolean {
  if (k3sOptionEntries(script, "container-runtime-endpoint").length > 0) return false;
  return !k3sSwitchOn(script, "docker");
}

/** Whether a k3s boot script turns a bare k3s switch on: `--<name>` (`--<name>=false` leaves it off) or `<name>: true` in the config file. */
function k3sSwitchOn(script: string, name: string): boolean {
  const text = script.split("\n").filter((line) => !/^\s*#/.test(line)).join("\n");
  const flags = [...text.matchAll(new RegExp(`(?:^|\\s)--${name}(?:=(\\S+))?(?=\\s|$)`, "g"))].map((m) => unquoted(m[1] ?? "true"));
  const keys = [...text.matchAll(new RegExp(`^\\s*["']?${name}["']?\\s*:\\s*(\\S+)`, "gm"))].map((m) => unquoted(m[1]));
  return [...keys, ...flags].some((v) => v !== "false");
}

/** Whether a k3s boot script runs k3s rootless (`--rootless`, `rootless: true`; experimental, inside rootlesskit's namespaces: k3s docs "Running Rootless Servers"). */
export const k3sRootless = (script: string): boolean => k3sSwitchOn(script, "rootless");

/** The data-dir a k3s boot script gives k3s (its last `data-dir`), else k3s's default. */
export const k3sDataDir = (script: string): string => (k3sOptionEntries(script, "data-dir").pop() ?? DEFAULT_DATA_DIR).replace(/\/+$/, "");

const unquoted = (v: string) => v.replace(/^(["'])(.*)\1$/, "$2");

/** The CNI config directory a k3s boot script leaves containerd reading; undefined where another CNI or runtime decides it. */
export function k3sCniConfDir(script: string): string | undefined {
  const last = (option: string) => k3sOptionEntries(script, option).pop();
  if (last("flannel-backend") === "none" || !k3sRunsOwnContainerd(script)) return undefined;
  return `${k3sDataDir(script)}/agent/etc/cni/net.d`;
}

/**
 * The VMs of `nodes` whose boot script (startup script, cloud-init user-data) installs k3s, each
 * with that script and where it comes from; `unknown` holds those whose boot script this run cannot
 * read. The one walk over a cluster's VMs for every k3s reading (CNI paths, containerd).
 */
export function k3sNodeScripts(nodes: PolicyResource[]): { nodes: { node: PolicyResource; script: string; from: string }[]; unknown: PolicyResource[] } {
  const found: { node: PolicyResource; script: string; from: string }[] = [];
  const unknown: PolicyResource[] = [];
  for (const node of nodes) {
    const boot = probe(() => k3sBootScript(node.props));
    if (!boot.known) unknown.push(node);
    else if (boot.value) found.push({ node, script: boot.value.script, from: boot.value.from });
  }
  return { nodes: found, unknown };
}

/**
 * The cluster's VMs that install k3s, each with the CNI config directory it reads (`nodes`: the
 * cluster's GCE VMs, ambient-nodes.ts clusterNodes); `unknown` names those whose boot script this
 * run cannot read.
 */
export function k3sNodeCniDirs(nodes: PolicyResource[]): { nodes: { what: string; dir: string }[]; unknown: string[] } {
  const what = (node: PolicyResource) => `${kindName(node.type)} ${node.name}`;
  const scripts = k3sNodeScripts(nodes);
  const found: { what: string; dir: string }[] = [];
  for (const { node, script, from } of scripts.nodes) {
    const dir = k3sCniConfDir(script);
    if (dir) found.push({ what: `${what(node)} (its ${from} installs k3s)`, dir });
  }
  return { nodes: found, unknown: scripts.unknown.map(what) };
}
