/**
 * The pod security context of agents and tools. Their containers drop every capability, so a
 * process binding a port below 1024 needs the pod's network namespace to treat that port as
 * unprivileged. Adding NET_BIND_SERVICE back would not do: Kubernetes grants no ambient
 * capabilities, so a non-root process loses added ones at exec (kubernetes/kubernetes#56374), and
 * `allowPrivilegeEscalation: false` (no_new_privs) voids an image's file capabilities too.
 *
 * containerd 2.x sets `net.ipv4.ip_unprivileged_port_start=0` in every pod's network namespace by
 * default (CRI `enable_unprivileged_ports`, true since 2.0), as k3s's containerd template does on
 * kernels from 4.11; but containerd 1.7 defaults it off and CRI-O (OpenShift) never sets it
 * (cri-o/cri-o#10050), so there the bind fails with EACCES and the pod crash-loops. The sysctl is
 * one of the kubelet's safe sysctls (namespaced per pod, allowed without kubelet flags since
 * Kubernetes 1.22), so the pod asks for it itself: only from its own port up, where it listens below
 * 1024, and nothing otherwise.
 */
export const unprivilegedPortStartSysctl = "net.ipv4.ip_unprivileged_port_start";

/** The kernel's default first unprivileged port. */
export const FIRST_UNPRIVILEGED_PORT = 1024;

export function podSecurityContext(port: number): Record<string, unknown> {
  return {
    seccompProfile: { type: "RuntimeDefault" },
    ...(port < FIRST_UNPRIVILEGED_PORT ? { sysctls: [{ name: unprivilegedPortStartSysctl, value: String(port) }] } : {}),
  };
}
