import type { ResourceValidationPolicy } from "@pulumi/policy";
import { kindName, meta } from "../lib/k8s";
import { isKindOrPatch, isPatch } from "../lib/patches";

const weakModes = new Set(["PERMISSIVE", "DISABLE"]);
/**
 * The modes Istio 1.30.3's CRD takes (an enum, matched exactly): the API server refuses any other
 * value (`permissive`, `Strict`), so such a policy is never applied and its intent never checked.
 * A null mode is pruned, as an unset one.
 */
const knownModes = new Set(["UNSET", "DISABLE", "PERMISSIVE", "STRICT"]);

/** Why a mode is not acceptable, or undefined for STRICT, UNSET and none. */
function weakness(mode: unknown): string | undefined {
  if (mode === undefined || mode === null) return undefined;
  if (typeof mode === "string" && weakModes.has(mode)) return mode;
  if (typeof mode === "string" && knownModes.has(mode)) return undefined;
  return `${JSON.stringify(mode)}, which is not a mode Istio knows (UNSET, DISABLE, PERMISSIVE or STRICT, in capitals): the API server refuses the policy`;
}

/**
 * Why the API server refuses the policy's portLevelMtls, or undefined. Istio 1.30.3's CRD
 * (x-kubernetes-validations, minProperties) and istiod's webhook (ValidatePeerAuthentication) take
 * port-level modes only on a policy whose selector has matchLabels, only a non-empty map, only
 * ports 1..65535: a mesh-wide STRICT policy refused for its ports never lands, and the cluster
 * keeps Istio's PERMISSIVE default though every mode written reads STRICT.
 */
function refusedPorts(spec: { selector?: { matchLabels?: unknown }; portLevelMtls?: unknown }, patch: boolean): string | undefined {
  const ports = spec.portLevelMtls;
  if (ports === undefined || ports === null || typeof ports !== "object") return undefined;
  const keys = Object.keys(ports);
  if (keys.length === 0) return "sets an empty portLevelMtls: the API server refuses it (minProperties 1)";
  const labels = spec.selector?.matchLabels;
  // A patch leaving the selector out keeps the object's own, judged on the object.
  if (!(patch && spec.selector === undefined) && (labels === undefined || labels === null || typeof labels !== "object" || Object.keys(labels).length === 0)) {
    return "sets portLevelMtls without a selector (matchLabels): the API server refuses it (portLevelMtls requires selector)";
  }
  const bad = keys.find((k) => !/^[0-9]+$/.test(k) || Number(k) < 1 || Number(k) > 65535);
  return bad === undefined ? undefined : `sets portLevelMtls[${bad}], a port outside 1..65535: the API server refuses it`;
}

/** A PeerAuthentication, or a PeerAuthenticationPatch: a weak mode it sets is as weak (a mode it leaves out changes nothing). */
const judged = (type: string) => isKindOrPatch(type, "security.istio.io", "PeerAuthentication");

/**
 * No PeerAuthentication may weaken the mesh-wide STRICT default for a namespace, a workload or a
 * port: one PERMISSIVE or DISABLE opens a plaintext path past every AuthorizationPolicy.
 */
export const peerAuthenticationStrict: ResourceValidationPolicy = {
  name: "peer-authentication-strict",
  description:
    "No PeerAuthentication (nor a PeerAuthenticationPatch, which sets the modes it names on an existing one) is weaker than STRICT (mtls.mode or portLevelMtls PERMISSIVE/DISABLE) nor sets a mode Istio does not know (`permissive`: the API server refuses it, so the intended policy never applies), nor a portLevelMtls the API server refuses (on a policy without selector matchLabels, such as the mesh-wide one, empty, or a port outside 1..65535: a refused mesh-wide STRICT policy leaves the cluster PERMISSIVE): a plaintext port bypasses identity-based authorization.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!judged(args.type)) return;
    const { namespace, name } = meta(args.props);
    const kind = kindName(args.type);
    const spec = args.props.spec ?? {};
    const refused = refusedPorts(spec, isPatch(args.type));
    if (refused) report(`${kind} ${namespace}/${name} ${refused}, so its mtls.mode ${spec.mtls?.mode ?? "UNSET"} never applies; ${refused.includes("selector") ? "drop portLevelMtls (the API server takes it only on a workload policy)" : "give it ports 1..65535, or drop it"}`);
    const mode = weakness(spec.mtls?.mode);
    if (mode) report(`${kind} ${namespace}/${name} sets mtls.mode ${mode}; use STRICT (or leave it unset to inherit)`);
    for (const [port, setting] of Object.entries((spec.portLevelMtls ?? {}) as Record<string, { mode?: unknown }>)) {
      const portMode = weakness(setting?.mode);
      if (portMode) report(`${kind} ${namespace}/${name} sets portLevelMtls[${port}].mode ${portMode}; use STRICT`);
    }
  },
  // Raising a mode to STRICT never widens access; it only refuses plaintext. The modes are set
  // through the SDK's props proxy, which keeps a secret value secret and hands every other value
  // back as it came (a copy would unwrap secrets and stop at any unknown, even one beside the mode).
  // Everything is read before anything is written: a mode not known yet (the SDK then reports that
  // the remediation cannot run) leaves the props untouched for the policies after this one.
  remediateResource: (args) => {
    if (!judged(args.type)) return undefined;
    const spec = args.props.spec ?? {};
    const weak: { mode?: unknown }[] = [];
    if (weakness(spec.mtls?.mode)) weak.push(spec.mtls);
    for (const setting of Object.values((spec.portLevelMtls ?? {}) as Record<string, { mode?: unknown }>)) {
      if (weakness(setting?.mode)) weak.push(setting);
    }
    for (const setting of weak) setting.mode = "STRICT";
    return weak.length > 0 ? args.props : undefined;
  },
};
