/**
 * Whether the stack grants an endpoint picker's ServiceAccount what the picker watches. An
 * llm-d-router v0.10.0 picker lists and watches its namespace's pods, its InferencePool and, when
 * the llm-d.ai CRDs are installed (discovery, pkg/epp/server/controller_config.go), the
 * InferenceObjectives and InferenceModelRewrites; a replicated one (--ha-enable-leader-election)
 * holds a Lease. A watch the API server forbids never syncs its cache and the picker exits, so it
 * crash-loops (GIE#1737, istio.io#17528) and every request to the pool fails. The rules needed are
 * those of llm-d-router v0.10.0's deploy/components/inference-gateway/rbac.yaml. Read by
 * inference-pool-epp.
 */
import type { PolicyResource } from "@pulumi/policy";
import { containersOf, isHelmInstall, meta, podServiceAccount, podSpecOf } from "./k8s";
import { list } from "./values";
import { accountBindings, missingGrants, type Need, type Rule } from "./rbac-grants";
import type { Report } from "./picker-service";

const watch = ["get", "list", "watch"];

function argv(w: PolicyResource): string[] {
  return containersOf(podSpecOf(w.type, w.props)).flatMap((c: any) => [...list(c.command as unknown[]), ...list(c.args as unknown[])].map(String));
}

function needs(w: PolicyResource, poolGroup: string): Need[] {
  const images = containersOf(podSpecOf(w.type, w.props)).map((c) => String(c.image ?? ""));
  const args = argv(w);
  const out: Need[] = [
    { group: "", resource: "pods", verbs: watch },
    { group: poolGroup, resource: "inferencepools", verbs: watch },
  ];
  // The objectives' group depends on the picker's build: only llm-d-router's is known here.
  if (images.some((i) => i.includes("llm-d-router"))) {
    out.push({ group: "llm-d.ai", resource: "inferenceobjectives", verbs: watch }, { group: "llm-d.ai", resource: "inferencemodelrewrites", verbs: watch });
  }
  if (args.some((a) => a === "--ha-enable-leader-election" || a === "--ha-enable-leader-election=true")) {
    out.push({ group: "coordination.k8s.io", resource: "leases", verbs: ["get", "create", "update"] });
  }
  return out;
}

/**
 * The rules the stack binds to a ServiceAccount in `ns` (its namespace's RoleBindings and every
 * ClusterRoleBinding) at least, and whether they are all (not where a binding names a role the
 * stack does not hold, a built-in or pre-existing one, or an aggregated one: rbac-grants.ts).
 */
function boundRules(resources: PolicyResource[], sa: string, ns: string): { granted: Rule[]; complete: boolean } {
  const bindings = accountBindings(resources, sa, ns).filter((b) => b.clusterWide || b.namespace === ns);
  return { granted: bindings.flatMap((b) => b.granted), complete: bindings.every((b) => b.rules) };
}

const TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * Why a picker's pods get no ServiceAccount token, or undefined when they get one. The picker
 * reaches the API server with controller-runtime's GetConfig (llm-d-router v0.10.0 cmd/epp/runner):
 * in a pod, the token Kubernetes mounts at TOKEN_DIR, which `automountServiceAccountToken: false`
 * on the pod, or on its ServiceAccount where the pod does not say, leaves out. A token or
 * kubeconfig the pod brings itself (a mount there, KUBECONFIG, --kubeconfig) is its own way in.
 */
function noToken(w: PolicyResource, spec: Record<string, any>, sa: string, resources: PolicyResource[]): string | undefined {
  const containers = containersOf(spec);
  const ownWay = containers.some(
    (c: any) =>
      list(c.volumeMounts as { mountPath?: string }[]).some((m) => String(m?.mountPath ?? "").replace(/\/+$/, "") === TOKEN_DIR) ||
      list(c.env as { name?: string }[]).some((e) => e?.name === "KUBECONFIG") ||
      [...list(c.command as unknown[]), ...list(c.args as unknown[])].some((a) => String(a) === "--kubeconfig" || String(a).startsWith("--kubeconfig=")),
  );
  if (ownWay) return undefined;
  if (spec.automountServiceAccountToken === false) return "its pod template sets automountServiceAccountToken: false";
  if (spec.automountServiceAccountToken === true) return undefined;
  const account = resources.find((r) => r.type === "kubernetes:core/v1:ServiceAccount" && meta(r.props).name === sa && meta(r.props).namespace === meta(w.props).namespace);
  return account?.props.automountServiceAccountToken === false ? "its ServiceAccount sets automountServiceAccountToken: false and the pod template does not set it true" : undefined;
}

export function checkPickerRbac(pickers: PolicyResource[], resources: PolicyResource[], poolGroup: string, where: string, report: Report, poolUrn: string): void {
  for (const w of pickers) {
    const { namespace, name } = meta(w.props);
    // A chart installing into the namespace may bring the picker's RBAC: not visible here.
    if (resources.some((r) => isHelmInstall(r.type) && r.props.namespace === namespace)) return;
    const spec = podSpecOf(w.type, w.props) ?? {};
    const sa = podServiceAccount(spec);
    const tokenless = noToken(w, spec, sa, resources);
    if (tokenless) {
      report(
        `${where}: the endpoint picker ${namespace}/${name} gets no ServiceAccount token (${tokenless}), so it cannot reach the API server to watch its pool and pods, exits at start and crash-loops, and every request to the pool fails; let the picker's pods mount the token (automountServiceAccountToken: true on the pod template)`,
        poolUrn,
      );
      continue;
    }
    const bound = boundRules(resources, sa, namespace);
    const missing = missingGrants(bound.granted, needs(w, poolGroup));
    if (missing.length === 0 || !bound.complete) continue;
    report(
      `${where}: the endpoint picker ${namespace}/${name} runs as ServiceAccount ${namespace}/${sa}, which no Role or ClusterRole bound in the stack allows to ${missing.join(", ")}; the picker cannot watch what it reads, exits before serving and crash-loops, so every request to the pool fails. Bind it a Role with get/list/watch on pods, inferencepools and (llm-d-router) llm-d.ai inferenceobjectives and inferencemodelrewrites, and get/create/update on leases when it elects a leader`,
      poolUrn,
    );
  }
}
