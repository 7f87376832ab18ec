/**
 * Where a cluster's k3s nodes read CNI configs, from the stack itself: the boot scripts (startup
 * script, cloud-init user-data) of the GCE VMs under the cluster that install k3s. With its
 * embedded flannel, the containerd k3s runs reads `<data-dir>/agent/etc/cni/net.d` (k3s
 * v1.33.5+k3s1 pkg/agent/config/config.go: CNIConfDir; data-dir /var/lib/rancher/k3s by default),
 * never /etc/cni/net.d. A node with `flannel-backend: none`, or on another runtime
 * (`container-runtime-endpoint`, `docker`), reads what its own CNI or runtime sets: not judged.
 * Also the instance type, zone and region labels k3s's embedded cloud controller gives the nodes.
 */
import type { PolicyResource } from "@pulumi/policy";
import { kindName } from "./k8s";
import { k3sBootScript } from "./gpu-nodes";
import { k3sOptionEntries, k3sOptionReadings } from "./k3s-options";
import { startsK3sServer } from "./boot-scripts";
import { probe } from "./values";
import type { BinSh } from "./shell-dialect";

export const K3S_DEFAULT_DATA_DIR = "/var/lib/rancher/k3s";

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

/**
 * The data-dir a k3s boot script gives k3s (its last `data-dir`, not one after what stops dash where
 * /bin/sh, `sh`, is dash: k3s-options.ts afterDashStop), else k3s's default; undefined where that value is not fully known
 * (`$BASE/k3s` with BASE not plainly set, `${X:-/var/lib}/rancher`, a command substitution):
 * what it expands to decides the path, so no part of it is used.
 */
export function k3sDataDir(script: string, sh?: BinSh): string | undefined {
  const last = k3sOptionReadings(script, "data-dir", sh).filter((e) => !e.stopped).pop();
  if (last && !last.known) return undefined;
  return (last?.value ?? K3S_DEFAULT_DATA_DIR).replace(/\/+$/, "");
}

const unquoted = (v: string) => v.replace(/^(["'])(.*)\1$/, "$2");

/**
 * The CNI config directory a k3s boot script leaves containerd reading; undefined where another CNI
 * or runtime decides it, null where k3s's data-dir, which decides it, is not known ({@link k3sDataDir}).
 */
export function k3sCniConfDir(script: string, sh?: BinSh): string | null | undefined {
  const last = (option: string) => k3sOptionEntries(script, option).pop();
  if (last("flannel-backend") === "none" || !k3sRunsOwnContainerd(script)) return undefined;
  const dataDir = k3sDataDir(script, sh);
  return dataDir === undefined ? null : `${dataDir}/agent/etc/cni/net.d`;
}

/**
 * The VMs of `nodes` whose boot script (startup script, cloud-init user-data) installs k3s, each
 * with that script and where it comes from; `unknown` holds those whose boot script this run cannot
 * read. The one walk over a cluster's VMs for every k3s reading (CNI paths, containerd).
 */
export function k3sNodeScripts(nodes: PolicyResource[]): { nodes: { node: PolicyResource; script: string; from: string; sh: BinSh }[]; unknown: PolicyResource[] } {
  const found: { node: PolicyResource; script: string; from: string; sh: BinSh }[] = [];
  const unknown: PolicyResource[] = [];
  for (const node of nodes) {
    const boot = probe(() => k3sBootScript(node.props));
    if (!boot.known) unknown.push(node);
    else if (boot.value) found.push({ node, script: boot.value.script, from: boot.value.from, sh: boot.value.sh });
  }
  return { nodes: found, unknown };
}

/**
 * The cluster's VMs that install k3s, each with the CNI config directory it reads (`nodes`: the
 * cluster's GCE VMs, ambient-nodes.ts clusterNodes); `unknown` names those whose boot script this
 * run cannot read, `undecided` those installing k3s whose data-dir is not known.
 */
export function k3sNodeCniDirs(nodes: PolicyResource[]): { nodes: { what: string; dir: string }[]; unknown: string[]; undecided: string[] } {
  const what = (node: PolicyResource) => `${kindName(node.type)} ${node.name}`;
  const scripts = k3sNodeScripts(nodes);
  const found: { what: string; dir: string }[] = [];
  const undecided: string[] = [];
  for (const { node, script, from, sh } of scripts.nodes) {
    const dir = k3sCniConfDir(script, sh);
    if (dir) found.push({ what: `${what(node)} (its ${from} installs k3s)`, dir });
    else if (dir === null) undecided.push(what(node));
  }
  return { nodes: found, unknown: scripts.unknown.map(what), undecided };
}

/**
 * The node labels k3s's embedded cloud controller derives from those a node registers (k3s
 * v1.33.5+k3s1 pkg/cloudprovider/instances.go InstanceMetadata: the instance type is the node's own
 * node.kubernetes.io/instance-type, else "k3s"; zone and region only its own topology labels), each
 * pair as k8s.io/cloud-provider's node controller sets it at initialization (both spellings from one
 * value, neither where it is empty: getNodeModifiersFromCloudProvider).
 */
const CLOUD_LABELS: { stable: string; beta: string; fallback?: string }[] = [
  { stable: "node.kubernetes.io/instance-type", beta: "beta.kubernetes.io/instance-type", fallback: "k3s" },
  { stable: "topology.kubernetes.io/zone", beta: "failure-domain.beta.kubernetes.io/zone" },
  { stable: "topology.kubernetes.io/region", beta: "failure-domain.beta.kubernetes.io/region" },
];

/**
 * A k3s node's labels once k3s's cloud controller has initialized it, from those it registers
 * (`node-label`): its instance type, zone and region pairs as the controller sets them, a key given
 * as undefined being one the node does not carry. A pair whose beta label the node registers with
 * another value, or only a beta zone or region, is left out (not known): the kubelet puts its own
 * value back at each start and the controller's reconciliation copies beta onto stable.
 */
export function withK3sCloudLabels(labels: Record<string, unknown>): Record<string, unknown> {
  const out = { ...labels };
  for (const { stable, beta, fallback } of CLOUD_LABELS) {
    const value = (labels[stable] === undefined ? "" : String(labels[stable])) || fallback;
    if (value !== undefined && (labels[beta] === undefined || String(labels[beta]) === value)) Object.assign(out, { [stable]: value, [beta]: value });
    else if (value === undefined && labels[stable] === undefined && labels[beta] === undefined) Object.assign(out, { [stable]: undefined, [beta]: undefined });
    else {
      delete out[stable];
      delete out[beta];
    }
  }
  return out;
}

/**
 * The VMs of a cluster (`nodes`: its GCE VMs, ambient-nodes.ts clusterNodes) that k3s's embedded
 * cloud controller initializes: only where a VM of them starts a k3s server, every boot script is
 * readable in this run, and none turns `disable-cloud-controller` on (the agents take it from the
 * server: k3s pkg/agent/config/config.go; another cloud controller may then label the nodes); and
 * of those the k3s VMs whose kubelet keeps `cloud-provider=external` (k3s passes it unless the
 * controller is disabled: pkg/daemons/agent), which registers them for it.
 */
export function k3sCloudInitialized(nodes: PolicyResource[]): Set<PolicyResource> {
  const scripts = k3sNodeScripts(nodes);
  const runs = scripts.unknown.length === 0 && scripts.nodes.some(({ script }) => startsK3sServer(script)) && !scripts.nodes.some(({ script }) => k3sSwitchOn(script, "disable-cloud-controller"));
  if (!runs) return new Set();
  const external = (script: string) => kubeletCloudProviders(script).every((p) => p === "external");
  return new Set(scripts.nodes.filter(({ script }) => external(script)).map(({ node }) => node));
}

/** The cloud-provider values a k3s boot script hands the kubelet itself (`kubelet-arg`). */
const kubeletCloudProviders = (script: string): string[] => k3sOptionEntries(script, "kubelet-arg").flatMap((a) => (/^-{0,2}cloud-provider=/.test(a) ? [a.replace(/^-{0,2}cloud-provider=/, "")] : []));

/**
 * The k3s VMs of `nodes` whose own kubelet-arg sets cloud-provider=external: where k3s's embedded
 * cloud controller does not initialize them ({@link k3sCloudInitialized}), they wait, tainted
 * node.cloudprovider.kubernetes.io/uninitialized, for another cloud controller, which sets their
 * instance type, zone and region from what it reads (k8s.io/cloud-provider node controller
 * getNodeModifiersFromCloudProvider). Without that arg, a disable-cloud-controller k3s hands its
 * kubelet no cloud-provider (v1.33.5+k3s1 pkg/daemons/agent/agent_linux.go kubeletArgsAndConfig),
 * and the node keeps the labels it registers.
 */
export function k3sExternalCloudNodes(nodes: PolicyResource[]): Set<PolicyResource> {
  return new Set(k3sNodeScripts(nodes).nodes.filter(({ script }) => kubeletCloudProviders(script).includes("external")).map(({ node }) => node));
}

/**
 * The k3s VMs of `nodes` no cloud controller initializes: every boot script readable, a k3s server
 * among them with `disable-cloud-controller` on (the agents take it from the server), and the VM's
 * kubelet given no cloud-provider of its own. k3s v1.33.5+k3s1 then hands the kubelet no
 * cloud-provider (pkg/daemons/agent/agent_linux.go kubeletArgsAndConfig), so the kubelet sets no
 * instance type, zone or region (pkg/kubelet/kubelet_node_status.go initialNode sets them only from
 * a cloud) and the node carries those labels only where its node-label gives them.
 */
export function k3sCloudlessNodes(nodes: PolicyResource[]): Set<PolicyResource> {
  const scripts = k3sNodeScripts(nodes);
  const disabled = scripts.unknown.length === 0 && scripts.nodes.some(({ script }) => startsK3sServer(script)) && scripts.nodes.some(({ script }) => k3sSwitchOn(script, "disable-cloud-controller"));
  if (!disabled) return new Set();
  return new Set(scripts.nodes.filter(({ script }) => kubeletCloudProviders(script).length === 0).map(({ node }) => node));
}

/** A k3s node's labels where no cloud controller runs: each instance type, zone and region label its node-label does not give, one it does not carry. */
export const withOnlyOwnCloudLabels = (labels: Record<string, unknown>): Record<string, unknown> =>
  ({ ...Object.fromEntries(CLOUD_LABELS.flatMap(({ stable, beta }) => [[stable, undefined], [beta, undefined]])), ...labels });

/** A k3s node's labels where another cloud controller sets its instance type, zone and region: those pairs undecided. */
export const withoutK3sCloudLabels = (labels: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(labels).filter(([key]) => !CLOUD_LABELS.some(({ stable, beta }) => key === stable || key === beta)));
