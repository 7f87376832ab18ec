import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isPeerAuthentication, meta } from "../lib/k8s";

const weakModes = new Set(["PERMISSIVE", "DISABLE"]);

/**
 * No PeerAuthentication may weaken the mesh-wide STRICT default for a namespace, a workload or a
 * port: one PERMISSIVE or DISABLE opens a plaintext path past every AuthorizationPolicy.
 */
export const peerAuthenticationStrict: ResourceValidationPolicy = {
  name: "peer-authentication-strict",
  description:
    "No PeerAuthentication is weaker than STRICT (mtls.mode or portLevelMtls PERMISSIVE/DISABLE): a plaintext port bypasses identity-based authorization.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!isPeerAuthentication(args.type)) return;
    const { namespace, name } = meta(args.props);
    const spec = args.props.spec ?? {};
    const mode: string | undefined = spec.mtls?.mode;
    if (mode && weakModes.has(mode)) report(`PeerAuthentication ${namespace}/${name} sets mtls.mode ${mode}; use STRICT (or leave it unset to inherit)`);
    for (const [port, setting] of Object.entries((spec.portLevelMtls ?? {}) as Record<string, { mode?: string }>)) {
      if (setting?.mode && weakModes.has(setting.mode)) {
        report(`PeerAuthentication ${namespace}/${name} sets portLevelMtls[${port}].mode ${setting.mode}; use STRICT`);
      }
    }
  },
  // Raising a mode to STRICT never widens access; it only refuses plaintext.
  remediateResource: (args) => {
    if (!isPeerAuthentication(args.type)) return undefined;
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
