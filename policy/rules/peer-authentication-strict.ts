import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isKindOrPatch, kindName, meta } from "../lib/k8s";

const weakModes = new Set(["PERMISSIVE", "DISABLE"]);

/** A PeerAuthentication, or a PeerAuthenticationPatch: a weak mode it sets is as weak (a mode it leaves out changes nothing). */
const judged = (type: string) => isKindOrPatch(type, "security.istio.io", "PeerAuthentication");

/**
 * No PeerAuthentication may weaken the mesh-wide STRICT default for a namespace, a workload or a
 * port: one PERMISSIVE or DISABLE opens a plaintext path past every AuthorizationPolicy.
 */
export const peerAuthenticationStrict: ResourceValidationPolicy = {
  name: "peer-authentication-strict",
  description:
    "No PeerAuthentication (nor a PeerAuthenticationPatch, which sets the modes it names on an existing one) is weaker than STRICT (mtls.mode or portLevelMtls PERMISSIVE/DISABLE): a plaintext port bypasses identity-based authorization.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!judged(args.type)) return;
    const { namespace, name } = meta(args.props);
    const kind = kindName(args.type);
    const spec = args.props.spec ?? {};
    const mode: string | undefined = spec.mtls?.mode;
    if (mode && weakModes.has(mode)) report(`${kind} ${namespace}/${name} sets mtls.mode ${mode}; use STRICT (or leave it unset to inherit)`);
    for (const [port, setting] of Object.entries((spec.portLevelMtls ?? {}) as Record<string, { mode?: string }>)) {
      if (setting?.mode && weakModes.has(setting.mode)) {
        report(`${kind} ${namespace}/${name} sets portLevelMtls[${port}].mode ${setting.mode}; use STRICT`);
      }
    }
  },
  // Raising a mode to STRICT never widens access; it only refuses plaintext.
  remediateResource: (args) => {
    if (!judged(args.type)) return undefined;
    const props = JSON.parse(JSON.stringify(args.props));
    const spec = props.spec ?? {};
    let changed = false;
    if (spec.mtls?.mode && weakModes.has(spec.mtls.mode)) {
      spec.mtls.mode = "STRICT";
      changed = true;
    }
    for (const setting of Object.values((spec.portLevelMtls ?? {}) as Record<string, { mode?: string }>)) {
      if (setting?.mode && weakModes.has(setting.mode)) {
        setting.mode = "STRICT";
        changed = true;
      }
    }
    return changed ? props : undefined;
  },
};
