/**
 * Whether a route's parentRefs attach it to a listener of a Gateway at all. A route is served only
 * through the listeners its parentRefs select and that take it (listener-routes.ts listenersServing:
 * sectionName and port, kind, namespace, hostnames, as Istio 1.30.3 conversion.go referenceAllowed
 * decides); a parentRef naming a Gateway that does not exist attaches it nowhere either (Gateway
 * API: Accepted False, NoMatchingParent). A route left with no listener is programmed on no proxy,
 * so none of its requests reaches its backends: the gateway answers them 404 as unrouted. A Gateway
 * the stack does not render counts as absent only in a namespace the stack holds whole
 * (agw-backend-refs.ts heldWhole); elsewhere it may be made outside the stack.
 */
import type { PolicyResource } from "@pulumi/policy";
import { gatewayResource } from "./gateways";
import { gatewayParents } from "./inference-extension";
import { listenersServing } from "./listener-routes";
import { heldWhole } from "./agw-backend-refs";
import { list, probe } from "./values";

/**
 * Why none of `route`'s parentRefs attaches it to a Gateway listener, one reason a parentRef;
 * undefined where one may (or a parentRef is not a Gateway's, which this does not read);
 * "unknown" while a Gateway, its listeners or a namespace's releases are not known.
 */
export function unattachedRoute(route: PolicyResource, resources: PolicyResource[]): string[] | "unknown" | undefined {
  const read = probe((): string[] | "unknown" | undefined => {
    const parents = gatewayParents(route);
    if (parents.length === 0 || parents.length !== list(route.props.spec?.parentRefs as unknown[]).length) return undefined;
    const reasons: string[] = [];
    let open = false;
    for (const { name, namespace, ref } of parents) {
      const gw = gatewayResource(resources, namespace, name, "unknown");
      if (!gw) {
        if (!heldWhole(resources, namespace)) return undefined;
        reasons.push(`Gateway ${namespace}/${name} is not in the stack, which holds namespace ${namespace} whole`);
        continue;
      }
      const serving = listenersServing(gw, route, [ref], resources);
      if (serving === "unknown") {
        open = true;
        continue;
      }
      if (serving === null || serving.length > 0) return undefined;
      const by = [ref.sectionName !== undefined && ref.sectionName !== null ? `sectionName ${JSON.stringify(ref.sectionName)}` : "", ref.port !== undefined && ref.port !== null ? `port ${JSON.stringify(ref.port)}` : ""].filter(Boolean).join(" and ");
      reasons.push(`no listener of Gateway ${namespace}/${name} takes it${by ? ` (its parentRef selects by ${by})` : ""}, by kind, namespace or hostnames`);
    }
    return open ? "unknown" : reasons;
  });
  if (!read.known) return "unknown";
  return read.value;
}
