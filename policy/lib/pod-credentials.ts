/**
 * Credentials a workload's pod spec holds in plaintext: an env var given a literal `value` that
 * is one (a JWT, a k3s join token, a private key, or anything under a name naming a token, secret,
 * password or API key: HF_TOKEN, OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY), and a literal after a
 * command-line option naming one (vLLM's `--api-key`). The pod spec is plaintext in state, in
 * exports and preview diffs, and to every reader of the workload in the cluster; Kubernetes takes
 * such a value from a Secret instead (`valueFrom.secretKeyRef`, or `$(VAR)` of such a variable in
 * the args). Read by sensitive-values-secret.
 */
import { CREDENTIAL_NAME, configMapCredential, FoundCredential } from "./credentials";
import { scriptCredential } from "./boot-scripts";
import { orUnknown, probe } from "./values";
import { kindName, meta } from "./k8s";
import { podTemplatesOf } from "./leader-worker-sets";

/**
 * The credentials of every container (init and ephemeral ones too) of a pod spec, each with where
 * it sits; an env value under a credential's name not known in this run is named in `unknown`
 * (others, such as a Service address, are no credential whatever they turn out to be).
 */
export function podCredentials(spec: Record<string, any>, found: FoundCredential[], unknown: string[]): void {
  for (const field of ["initContainers", "containers", "ephemeralContainers"]) {
    const list = probe(() => spec[field] as unknown);
    if (!list.known || !Array.isArray(list.value)) continue;
    list.value.forEach((_, i) => {
      const c = (list.value as Record<string, any>[])[i];
      const where = `container ${orUnknown(() => String(c?.name), `${field}[${i}]`)}`;
      const env = probe(() => c?.env as unknown);
      if (env.known && Array.isArray(env.value)) {
        env.value.forEach((__, j) => {
          const name = probe(() => (env.value as Record<string, unknown>[])[j]?.name);
          const value = probe(() => (env.value as Record<string, unknown>[])[j]?.value);
          if (!name.known || typeof name.value !== "string") return;
          if (!value.known) {
            if (CREDENTIAL_NAME.test(name.value)) unknown.push(`${where} env ${name.value}`);
            return;
          }
          const what = configMapCredential(value.value, name.value);
          if (what) found.push({ path: `${where} env ${name.value}`, what });
        });
      }
      // The command line read as a script reads it: `--api-key sk-…` or `--token=…` (each word
      // the kubelet passes as one argument, joined so an option meets its value).
      const argv = probe(() => [...((c?.command as unknown[]) ?? []), ...((c?.args as unknown[]) ?? [])]);
      if (argv.known && argv.value.every((a) => typeof a === "string")) {
        const what = scriptCredential((argv.value as string[]).join(" "));
        if (what) found.push({ path: `${where} command/args`, what });
      }
    });
  }
}

/**
 * The credentials in plaintext of every pod template of a workload or a LeaderWorkerSet (multi-node
 * vLLM: its leader's and workers'), each path led by the workload (and the template), and what is
 * not known in this run.
 */
export function workloadCredentials(type: string, props: Record<string, any>): { found: FoundCredential[]; pending: string[] } {
  const found: FoundCredential[] = [];
  const pending: string[] = [];
  for (const t of podTemplatesOf(type, props)) {
    const spec = probe(t.spec);
    if (!spec.known || !spec.value) continue;
    const inTemplate: FoundCredential[] = [];
    const unknown: string[] = [];
    podCredentials(spec.value, inTemplate, unknown);
    const { namespace, name } = meta(props);
    const workload = `${kindName(type)} ${namespace}/${name}${t.path ? ` ${t.path}` : ""}`;
    found.push(...inTemplate.map(({ path, what }) => ({ path: `${workload}: ${path}`, what })));
    pending.push(...unknown.map((p) => `${p} of ${workload}`));
  }
  return { found, pending };
}
