import type { ResourceValidationPolicy } from "@pulumi/policy";
import { kindName, meta } from "../lib/k8s";
import { isKindOrPatch } from "../lib/patches";

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

/** A PeerAuthentication, or a PeerAuthenticationPatch: a weak mode it sets is as weak (a mode it leaves out changes nothing). */
const judged = (type: string) => isKindOrPatch(type, "security.istio.io", "PeerAuthentication");

/**
 * No PeerAuthentication may weaken the mesh-wide STRICT default for a namespace, a workload or a
 * port: one PERMISSIVE or DISABLE opens a plaintext path past every AuthorizationPolicy.
 */
export const peerAuthenticationStrict: ResourceValidationPolicy = {
  name: "peer-authentication-strict",
  description:
    "No PeerAuthentication (nor a PeerAuthenticationPatch, which sets the modes it names on an existing one) is weaker than STRICT (mtls.mode or portLevelMtls PERMISSIVE/DISABLE) nor sets a mode Istio does not know (`permissive`: the API server refuses it, so the intended policy never applies): a plaintext port bypasses identity-based authorization.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!judged(args.type)) return;
    const { namespace, name } = meta(args.props);
    const kind = kindName(args.type);
    const spec = args.props.spec ?? {};
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
