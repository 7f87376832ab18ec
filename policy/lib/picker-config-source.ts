/**
 * Where an endpoint picker reads its EndpointPickerConfig, and the loader's verdict on it
 * (picker-config.ts). The picker takes `--config-text`, else reads `--config-file` once at start
 * (llm-d-router v0.10.0 cmd/epp/runner parseConfigurationPhaseOne): a file it cannot read
 * ("failed to load config from a file") or a config its loader refuses makes it exit, so it
 * crash-loops and its pool's requests fail (or skip it under FailOpen). Read by inference-pool-epp.
 */
import type { PolicyResource } from "@pulumi/policy";
import { containersOf, isWorkload, meta, podSpecOf, T } from "./k8s";
import { flagValue, pflagBool, type Report } from "./picker-service";
import { pickerConfigProblems } from "./picker-config";
import { judgedPickerTag } from "./picker-plugins";
import { checkReleasePickerConfigs } from "./picker-release-config";
import { isObject, list, probe } from "./values";

type Container = { name?: string; image?: string; command?: unknown; args?: unknown; volumeMounts?: unknown };
type Mount = { name?: string; mountPath?: string; subPath?: string };


/**
 * The config a picker container runs with: its `--config-text`, or the ConfigMap key its
 * `--config-file` is mounted from. Undefined where it is not visible here (no config flag: the
 * built-in default; a file from the image, another volume kind, or a ConfigMap not in the stack);
 * `missing` where the stack's ConfigMap holds no such file.
 */
function configOf(w: PolicyResource, c: Container, resources: PolicyResource[]): { text: string; from: string } | { missing: string } | undefined {
  const text = flagValue(c, "config-text");
  if (text !== undefined && text !== "") return { text, from: "its --config-text" };
  const path = flagValue(c, "config-file");
  if (!path) return undefined;
  const trim = (p: string) => p.replace(/\/+$/, "");
  const covers = (m: Mount) => (m.subPath ? trim(String(m.mountPath)) === path : path.startsWith(`${trim(String(m.mountPath ?? ""))}/`));
  const mount = list(c.volumeMounts as Mount[])
    .filter((m) => typeof m?.mountPath === "string" && covers(m))
    .sort((a, b) => String(b.mountPath).length - String(a.mountPath).length)[0];
  const volume = mount && list(podSpecOf(w.type, w.props)?.volumes as { name?: string; configMap?: { name?: string; items?: { key?: string; path?: string }[] } }[]).find((v) => v?.name === mount.name);
  if (!volume?.configMap?.name) return undefined;
  const { namespace } = meta(w.props);
  const cm = resources.find((r) => r.type === T.configMap && meta(r.props).name === volume.configMap!.name && meta(r.props).namespace === namespace);
  if (!cm) return undefined;
  const file = mount.subPath ?? path.slice(trim(String(mount.mountPath)).length + 1);
  const items = list(volume.configMap.items);
  const key = items.length > 0 ? items.find((i) => i?.path === file)?.key : file;
  const where = `ConfigMap ${namespace}/${volume.configMap.name}`;
  const data = { ...(isObject(cm.props.binaryData) ? cm.props.binaryData : {}), ...(isObject(cm.props.data) ? cm.props.data : {}) } as Record<string, unknown>;
  // The API server decodes a null entry of data or binaryData (encoding/json: a null leaves a string or []byte element
  // its zero value) as an empty one: the key is there, its file empty.
  if (key !== undefined && data[key] === null) data[key] = "";
  if (key === undefined || typeof data[key] !== "string") {
    const keys = Object.keys(data).join(", ") || "none";
    return { missing: `its --config-file ${path} is mounted from ${where} (volume ${String(mount.name)}), which holds no such file (${items.length > 0 ? "its volume's items map no key to it" : `no key ${file}`}; keys: ${keys})` };
  }
  const raw = data[key] as string;
  const decoded = isObject(cm.props.data) && key in cm.props.data ? raw : Buffer.from(raw, "base64").toString("utf8");
  return { text: decoded, from: `${where} key ${key} (its --config-file ${path})` };
}

/** Every llm-d-router v0.10.x picker container of the cluster, judged on the config it runs with. */
export function checkPickerConfigs(resources: PolicyResource[], cluster: string, report: Report, pending: string[]): void {
  for (const w of resources.filter((r) => isWorkload(r.type))) {
    const read = probe(() => {
      for (const c of containersOf(podSpecOf(w.type, w.props)) as Container[]) {
        const tag = judgedPickerTag(String(c.image ?? ""));
        if (tag === undefined) continue;
        const config = configOf(w, c, resources);
        if (!config) continue;
        const { namespace, name } = meta(w.props);
        const lead = `the endpoint picker ${namespace}/${name} on ${cluster} (container ${String(c.name)})`;
        const exits = "so it exits at start and crash-loops, and every request to its pool fails (or, FailOpen, skips the picker)";
        if ("missing" in config) {
          report(`${lead}: ${config.missing}; it cannot read its config, ${exits}`, w.urn);
          continue;
        }
        const problems = pickerConfigProblems(config.text, pflagBool(c, "allow-experimental-plugins") === true);
        if (problems.length > 0) {
          report(`${lead}: its EndpointPickerConfig, ${config.from}, is one llm-d-router ${tag}'s config loader refuses or misreads: ${problems.join("; ")}; where refused, ${exits}`, w.urn);
        }
      }
    });
    if (!read.known) pending.push(`the EndpointPickerConfig of ${w.name} on ${cluster}`);
  }
  // Pickers whose Deployment and ConfigMap a Helm release of llm-d-router's or GIE's chart renders.
  checkReleasePickerConfigs(resources, cluster, report, pending);
}
