/**
 * What the InferencePools of one cluster must agree on with the rest of the stack, beyond each
 * pool's own wiring: every route's InferencePool backendRef names a pool that exists (one in
 * another namespace, a pool a ReferenceGrant there opens to the route), and no model-server
 * workload's pods are members of two pools; the pods a pool selects serve its target ports over
 * the protocol it names and answer their own probes there. Read by inference-pool-epp.
 */
import type { PolicyResource } from "@pulumi/policy";
import { containersOf, isInferencePool, kindName, meta, podMetadata, podServiceAccount, podSpecOf, portTarget, T } from "./k8s";
import { GATEWAY_GROUP, isRoute } from "./gateways";
import { referenceAllowed } from "./reference-grants";
import { agwBackendAllowed, heldWhole } from "./agw-backend-refs";
import { allGatewayProxies } from "./gateway-proxies";
import { gatewayParents } from "./inference-extension";
import { declaredPorts, selectedWorkloads, type Report } from "./picker-service";
import { runsVllmHttp, vllmArgv, vllmOption } from "./vllm-args";
import { poolAbsence, poolGroupOf } from "./pool-existence";
import { unattachedRoute } from "./route-attachment";
import { list, orUnknown, probe } from "./values";


/** The label selector of a pool, in either served API (v1 `matchLabels`, v1alpha2 a flat map). */
export function poolSelector(pool: PolicyResource): Record<string, string> {
  const spec = pool.props.spec ?? {};
  const selector = poolGroupOf(pool.type) === "inference.networking.x-k8s.io" ? spec.selector : spec.selector?.matchLabels;
  return (selector ?? {}) as Record<string, string>;
}

/**
 * A backendRef to an InferencePool the stack does not hold on that cluster: Gateway API answers
 * every request the rule would send there with a 500 ("When a BackendRef refers to a resource that
 * does not exist … requests … MUST receive a 500", HTTPRoute backendRefs), so that share of the
 * model's traffic fails. Whether it exists is pool-existence.ts poolAbsence's answer (a pool a chart
 * release renders exists; one another Helm install into the namespace may render gets no verdict).
 * A pool in another namespace is one the route may not reference unless a ReferenceGrant there
 * opens InferencePools (group inference.networking.k8s.io) to the route's kind and namespace:
 * Istio 1.30.3 checks the grant before the pool (gateway/conversion.go buildDestination,
 * gatewaycommon/references.go BackendAllowed) and drops the backend (RefNotPermitted), so its
 * share gets a 500 as for a missing pool. Istio holds only routes of a Gateway to this
 * (route_collections.go: enforceRefGrant is !mesh), so a route whose every parent is a Service or
 * ServiceEntry is not judged here (those mesh routes to a pool are reported on their own). On a
 * Gateway agentgateway programs no grant opens a pool: v1.4.1 reads none to an InferencePool
 * (agw-backend-refs.ts), unless its controller checks no grants.
 */
export function checkRoutePools(resources: PolicyResource[], cluster: string, report: Report, pending: string[]): void {
  const agwGateways = new Set(allGatewayProxies(resources).filter((p) => p.byAgentgateway).map((p) => `${p.namespace}/${p.name}`));
  for (const route of resources.filter((r) => isRoute(r.type))) {
    const read = probe(() => {
      const { namespace, name } = meta(route.props);
      const refs = list(route.props.spec?.rules as { backendRefs?: any[] }[]).flatMap((rule) => list(rule.backendRefs));
      const meshOnly = list(route.props.spec?.parentRefs as { kind?: string }[]).every((p) => p?.kind === "Service" || p?.kind === "ServiceEntry");
      const onAgw = gatewayParents(route).filter((p) => agwGateways.has(`${p.namespace}/${p.name}`)).length;
      const agwOnly = onAgw > 0 && onAgw === list(route.props.spec?.parentRefs as unknown[]).length;
      return { namespace, name, meshOnly, onAgw: onAgw > 0, agwOnly, refs: refs.filter((b) => b?.kind === "InferencePool").map((b) => ({ group: String(b.group ?? ""), name: String(b.name), namespace: String(b.namespace ?? namespace) })) };
    });
    if (!read.known) {
      pending.push(`the InferencePool backendRefs of a route on ${cluster}`);
      continue;
    }
    const { namespace, name, meshOnly, onAgw, agwOnly, refs } = read.value;
    const kind = route.type.split(":").pop()!;
    const unattached = refs.length > 0 ? unattachedRoute(route, resources) : undefined;
    if (unattached === "unknown") pending.push(`whether a Gateway listener on ${cluster} takes ${kind} ${namespace}/${name}`);
    else if (unattached) {
      const pools = [...new Set(refs.map((ref) => `${ref.namespace}/${ref.name}`))].join(", ");
      report(
        `${kind} ${namespace}/${name} on ${cluster} sends to InferencePool ${pools}, but none of its parentRefs attaches it to a Gateway listener (${unattached.join("; ")}), so no gateway programs it (Accepted False) and none of the model's requests reaches those pools; name the Gateway, and a sectionName and hostnames its listeners take`,
        route.urn,
      );
    }
    const seen = new Set<string>();
    for (const ref of refs) {
      const key = `${ref.group}/${ref.namespace}/${ref.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!meshOnly) {
        const from = { group: GATEWAY_GROUP, kind, namespace };
        const to = { group: ref.group, kind: "InferencePool", namespace: ref.namespace, name: ref.name };
        const allowed = probe(() => (!onAgw || agwBackendAllowed(from, to, resources)) && (agwOnly || referenceAllowed(from, to, resources)));
        if (!allowed.known) {
          pending.push(`the ReferenceGrants in ${ref.namespace} that decide whether ${kind} ${namespace}/${name} on ${cluster} may reference InferencePool ${ref.namespace}/${ref.name}`);
          continue;
        }
        if (!allowed.value) {
          report(
            `${kind} ${namespace}/${name} on ${cluster}: backendRef InferencePool ${ref.namespace}/${ref.name} is in another namespace, and no ReferenceGrant in ${ref.namespace} lets ${kind}s of ${namespace} reference it, so the gateway refuses the reference (ResolvedRefs False, RefNotPermitted${onAgw ? "; agentgateway v1.4.1 reads no ReferenceGrant to an InferencePool" : ""}) and every request its rule would send there gets a 500; add a ReferenceGrant in ${ref.namespace} from ${kind} in ${namespace} to InferencePool (group ${ref.group}), or route from ${ref.namespace}`,
            route.urn,
          );
          continue;
        }
      }
      const absent = probe(() => poolAbsence(resources, ref));
      if (!absent.known) {
        pending.push(`the InferencePools and Helm releases in ${ref.namespace} on ${cluster} that decide whether ${kind} ${namespace}/${name}'s InferencePool ${ref.namespace}/${ref.name} exists`);
        continue;
      }
      if (!absent.value) continue;
      const { otherGroup } = absent.value;
      const why = otherGroup ? `names group ${JSON.stringify(ref.group)}, but that pool is of group ${otherGroup}, so the reference resolves to nothing` : `is not in the stack on ${cluster}`;
      report(
        `${kind} ${namespace}/${name} on ${cluster}: backendRef InferencePool ${ref.namespace}/${ref.name} ${why}; every request its rule would send there gets a 500 (Gateway API), so point it at a pool of this cluster (each cluster routes to its own pools)`,
        route.urn,
      );
    }
  }
}

/**
 * The object a pool resource manages: its API group (v1 and v1alpha2 pools are distinct objects),
 * namespace and name; its URN while a name is not known in this preview.
 */
const poolObject = (pool: PolicyResource) =>
  orUnknown(() => `${pool.type.split(":")[1]?.split("/")[0]}/${meta(pool.props).namespace}/${meta(pool.props).name}`, pool.urn);

/**
 * A model-server workload whose pods two pools select: each pool's picker balances them as its own
 * and neither sees the other's load, and the pools' shares of a split no longer go to their own
 * servers — a stable pool that also selects the canary's pods sends it a share of the stable
 * traffic beyond its weight, one selecting another model's pods sends requests to servers that do
 * not serve that model. GIE: the pods of a pool share one base model and model server, and pools
 * may share a namespace only "so long as there are no overlapping model servers (pods) in the
 * selector" (maintainers, gateway-api-inference-extension#724).
 */
export function checkPoolOverlap(resources: PolicyResource[], cluster: string, report: Report, pending: string[]): void {
  const members = new Map<string, { workload: PolicyResource; pools: PolicyResource[] }>();
  for (const pool of resources.filter((r) => isInferencePool(r.type))) {
    const read = probe(() => {
      const selector = poolSelector(pool);
      return Object.keys(selector).length === 0 ? [] : selectedWorkloads(resources, meta(pool.props).namespace, selector);
    });
    if (!read.known) {
      pending.push(`the model servers a pool on ${cluster} selects`);
      continue;
    }
    for (const w of read.value) {
      const entry = members.get(w.urn) ?? { workload: w, pools: [] };
      // Two resources managing one pool object (same group, namespace and name: a duplicate that
      // kubernetes-cluster-binding reports) are one pool on the cluster, which overlaps nothing.
      if (entry.pools.some((other) => poolObject(other) === poolObject(pool))) continue;
      entry.pools.push(pool);
      members.set(w.urn, entry);
    }
  }
  for (const { workload, pools } of members.values()) {
    if (pools.length < 2) continue;
    const names = pools.map((p) => `${meta(p.props).namespace}/${meta(p.props).name}`);
    const { namespace, name } = meta(workload.props);
    for (const [i, pool] of pools.entries()) {
      report(
        `InferencePool ${names[i]} on ${cluster} selects the pods of ${workload.type.split(":").pop()} ${namespace}/${name}, which ${names.filter((_, j) => j !== i).map((n) => `InferencePool ${n}`).join(" and ")} also select${pools.length > 2 ? "" : "s"}: a model server belongs to one pool (its picker balances it alone, and a split's shares reach only their own version's servers); narrow the selector to this pool's own servers`,
        pool.urn,
      );
    }
  }
}

/** llm-d-router v0.10.0 datastore.go: a pod's own list of the target ports it serves, the current key and GIE's. */
const ACTIVE_PORTS = ["llm-d.ai/active-ports", "inference.networking.k8s.io/active-ports"];

/**
 * Every pod a pool selects is an endpoint on each target port (llm-d-router v0.10.0 datastore.go
 * podUpdateOrAddIfNotExist: readiness and labels, then the target ports; container ports are never
 * read): a selected workload whose containers declare ports but not the target (a helper labelled
 * like the servers) gets its share of requests and fails them, unless its pods' active-ports
 * annotation leaves the target out. Pods that declare no port may still listen: no verdict.
 */
export function checkMembersServe(selected: PolicyResource[], target: number, what: string, report: Report, poolUrn: string): void {
  for (const w of selected) {
    const own = declaredPorts([w]).map((p) => p.containerPort);
    if (own.length === 0 || own.includes(target)) continue;
    const annotations = podMetadata(w.type, w.props).annotations ?? {};
    const active = ACTIVE_PORTS.map((k) => annotations[k]).find((v) => v !== undefined);
    if (active !== undefined && !String(active).split(",").map((p) => Number(p.trim())).includes(target)) continue;
    report(
      `${what} also matches the pods of ${kindName(w.type)} ${meta(w.props).namespace}/${meta(w.props).name}, whose containers declare ${[...new Set(own)].join(", ")} but not target port ${target}; the picker sends them requests on ${target} as to any model server, and those fail. Label the pool's model servers apart (narrow the selector or that workload's labels)`,
      poolUrn,
    );
  }
}

/**
 * A selected workload whose pods run as a ServiceAccount its namespace does not have gets no pod at
 * all: the ServiceAccount admission plugin refuses each one (kubernetes v1.33
 * plugin/pkg/admission/serviceaccount/admission.go, "error looking up service account"), the
 * ReplicaSet records FailedCreate, and the pool has no endpoint (the Deployment never becomes
 * Available, so `pulumi up` times out). `default` exists in every namespace; an account the stack
 * does not render counts as missing only in a namespace the stack holds whole (agw-backend-refs.ts heldWhole).
 */
export function checkMembersAccounts(selected: PolicyResource[], resources: PolicyResource[], what: string, report: Report, poolUrn: string): void {
  for (const w of selected) {
    const { namespace, name } = meta(w.props);
    const account = podServiceAccount(podSpecOf(w.type, w.props));
    if (account === "default" || !heldWhole(resources, namespace)) continue;
    if (resources.some((r) => r.type === T.serviceAccount && meta(r.props).namespace === namespace && meta(r.props).name === account)) continue;
    report(
      `${what}: ${kindName(w.type)} ${namespace}/${name} runs its pods as ServiceAccount ${account}, which the stack does not render in namespace ${namespace} (which it holds whole), so the API server refuses every pod (error looking up service account) and the pool gets no endpoint; name the ServiceAccount the stack renders for it`,
      poolUrn,
    );
  }
}

const PROBE_EFFECT: Record<string, string> = {
  readinessProbe: "its pods never turn Ready, so the pool has no ready endpoint (the gateway answers no healthy upstream) and the Deployment never becomes Available",
  startupProbe: "the kubelet kills the container once the startup probe's failureThreshold runs out, and it restarts for ever (CrashLoopBackOff)",
  livenessProbe: "the kubelet kills the container every few seconds, and it restarts for ever (CrashLoopBackOff)",
};

/**
 * A model server's probes must reach the port it serves on. The kubelet resolves a named probe
 * port among the container's own `ports` names and fails the probe when none has it (kubernetes
 * pkg/probe/util.go ResolveContainerPort, called by pkg/kubelet/prober/prober.go); vLLM's OpenAI
 * server listens on its `--port` alone (8000 unless set), so a probe of any other port is refused.
 */
export function checkMembersProbes(selected: PolicyResource[], targets: number[], what: string, report: Report, poolUrn: string): void {
  for (const w of selected) {
    for (const c of containersOf(podSpecOf(w.type, w.props)) as Record<string, any>[]) {
      const ports = list(c.ports as { name?: string; containerPort?: number }[]);
      if (!ports.some((p) => targets.includes(p?.containerPort as number))) continue;
      const flag = vllmOption(vllmArgv(c), ["--port"]);
      // A --port off the declared ports is inference-pool-epp's own finding: not reported twice here.
      const listens = runsVllmHttp(c) ? Number(flag ?? 8000) : undefined;
      if (listens !== undefined && !ports.some((p) => p?.containerPort === listens)) continue;
      for (const kind of Object.keys(PROBE_EFFECT)) {
        const action = c[kind]?.httpGet ?? c[kind]?.tcpSocket ?? c[kind]?.grpc;
        const lands = portTarget(action?.port, ports);
        if (!lands) continue;
        const problem =
          lands.port === undefined
            ? `names port ${JSON.stringify(lands.name)}, which the container does not declare (its ports: ${ports.map((p) => p?.name ?? p?.containerPort).join(", ")}), so the kubelet fails every probe`
            : listens !== undefined && Number.isInteger(listens) && lands.port !== listens
              ? `probes port ${lands.port}, but vLLM's OpenAI server listens on ${listens} alone (--port), so every probe is refused`
              : undefined;
        if (!problem) continue;
        report(
          `${what}: ${kindName(w.type)} ${meta(w.props).namespace}/${meta(w.props).name} container ${String(c.name)}'s ${kind} ${problem}: ${PROBE_EFFECT[kind]}; probe the port it serves on (${listens ?? targets.join(", ")})`,
          poolUrn,
        );
      }
    }
  }
}

/**
 * A pool's `appProtocol: kubernetes.io/h2c` makes Istio's gateway speak HTTP/2 with prior knowledge
 * to its endpoints (Istio 1.30.3 pkg/config/kube/conversion.go: h2c is protocol HTTP2). vLLM's
 * OpenAI server (`vllm.entrypoints.openai.api_server`, what `vllm serve` runs) is uvicorn, which
 * speaks HTTP/1.1 only, so every request to such a pool fails; h2c is for gRPC model servers.
 */
export function checkMembersProtocol(appProtocol: unknown, selected: PolicyResource[], targets: number[], what: string, report: Report, poolUrn: string): void {
  if (appProtocol !== "kubernetes.io/h2c") return;
  for (const w of selected) {
    for (const c of containersOf(podSpecOf(w.type, w.props)) as { name?: string; command?: unknown; args?: unknown; ports?: unknown }[]) {
      const http = runsVllmHttp(c);
      const serves = list(c.ports as { containerPort?: number }[]).some((p) => targets.includes(p?.containerPort as number));
      if (!http || !serves) continue;
      report(
        `${what}: appProtocol kubernetes.io/h2c makes Istio's gateway send HTTP/2 (prior knowledge) to its endpoints, but ${kindName(w.type)} ${meta(w.props).namespace}/${meta(w.props).name} container ${String(c.name)} runs vLLM's OpenAI HTTP server (uvicorn), which speaks HTTP/1.1 only, so every request to the pool fails; set appProtocol http (or leave it out)`,
        poolUrn,
      );
      return;
    }
  }
}
