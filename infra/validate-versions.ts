/**
 * Version overrides older than what the program renders for. The schema checks each version's
 * form; these are the floors below which a real `pulumi up` installs something that cannot serve
 * the objects this program creates (each floor names the upstream fact behind it).
 */
import { PlatformConfig } from "./schema";
import { Report, unlessBroken } from "./validate-support";

interface Floor {
  key: "istio" | "gie" | "llmdRouter";
  min: string;
  why: string;
}

const floors: Floor[] = [
  {
    key: "istio",
    min: "1.28.0",
    // Istio 1.27 handled only InferencePool v1alpha2 (istio/istio#57219); every model renders an inference.networking.k8s.io/v1 pool.
    why: "Istio accepts InferencePool v1 (inference.networking.k8s.io/v1, what the inference routes point at) from 1.28; older istiods leave those routes unresolved",
  },
  {
    key: "gie",
    min: "v1.1.0",
    // The CRDs are applied from the release asset v1-manifests.yaml, which GIE's Makefile first builds in v1.1.0.
    why: "the InferencePool CRD is applied from the release asset v1-manifests.yaml, which GIE publishes from v1.1.0 (older releases have no such file)",
  },
  {
    key: "llmdRouter",
    min: "v0.9.0",
    // llm-d-router's manifests.yaml holds the llm-d.ai CRDs (InferenceObjective v1alpha2) from v0.9.0 on.
    why: "the InferenceObjective CRD (llm-d.ai/v1alpha2) ships in llm-d-router's manifests.yaml from v0.9.0; older releases do not define it",
  },
];

/** `v1.2.3` / `1.2.3-rc.1` → [1, 2, 3]; undefined when the schema let through another form. */
function release(version: string): number[] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? m.slice(1, 4).map(Number) : undefined;
}

function older(a: number[], b: number[]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

export function checkVersions(report: Report, cfg: PlatformConfig): void {
  // All three serve the inference routes, rendered only where a model is placed.
  if (cfg.models.length === 0) return;
  for (const floor of floors) {
    unlessBroken(() => {
      const given = cfg.versions[floor.key];
      const parsed = given === undefined ? undefined : release(given);
      if (given !== undefined && parsed && older(parsed, release(floor.min)!)) {
        report(["versions", floor.key], `${given} is older than ${floor.min}: ${floor.why}; use ${floor.min} or later (the default is pinned in infra/versions.ts)`);
      }
    });
  }
}
