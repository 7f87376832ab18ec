/**
 * sensitive-values-secret on pod specs: a literal credential in a container's env or command line
 * sits in state and in the workload for every reader to see; one taken from a Secret does not.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { sensitiveValuesSecret } from "../../policy/rules/sensitive-values-secret";
import { runResource, UNKNOWN } from "../support/policy";

const deployment = (name: string, container: Record<string, unknown>) => ({
  type: "kubernetes:apps/v1:Deployment",
  name,
  props: { metadata: { name, namespace: "inference" }, spec: { template: { spec: { containers: [{ name: "server", image: "vllm/vllm-openai@sha256:" + "a".repeat(64), ...container }] } } } },
});

// Before, the rule read Secrets, ConfigMaps, Helm values, providers and VMs, never a pod spec:
// HF_TOKEN or an LLM API key given as a literal env value, or vLLM's --api-key, passed.
test("sensitive-values-secret: a literal token, API key or secret key in a workload's env or args is reported", async () => {
  const cronPod = { initContainers: [{ name: "login", env: [{ name: "OPENAI_API_KEY", value: "sk-proj-0123456789abcdef" }] }] };
  const out = await runResource(sensitiveValuesSecret, [
    deployment("hf", { env: [{ name: "HF_TOKEN", value: "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345" }] }),
    deployment("aws", { env: [{ name: "AWS_SECRET_ACCESS_KEY", value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }] }),
    deployment("vllm", { args: ["--model", "meta-llama/Llama-3.1-8B-Instruct", "--api-key", "token-abc123"] }),
    deployment("litellm", { env: [{ name: "DATABASE_URL", value: "postgresql://litellm:Zq8vN3pL0xR7sT2w@postgres:5432/litellm" }] }),
    { type: "kubernetes:batch/v1:CronJob", name: "sync", props: { metadata: { name: "sync", namespace: "agents" }, spec: { jobTemplate: { spec: { template: { spec: cronPod } } } } } },
  ]);
  const messages = out.violations.map((v) => v.message);
  assert.deepEqual(messages.map((m) => m.split(":")[0]), ["Deployment inference/hf", "Deployment inference/aws", "Deployment inference/vllm", "Deployment inference/litellm", "CronJob agents/sync"]);
  assert.match(messages[0], /^Deployment inference\/hf: container server env HF_TOKEN holds a credential \(its key HF_TOKEN names one\) in plaintext: a pod spec is never secret .*take it from a Secret \(env valueFrom\.secretKeyRef/);
  assert.match(messages[1], /env AWS_SECRET_ACCESS_KEY holds a credential/);
  assert.match(messages[2], /container server command\/args holds a credential \(given as --api-key\)/);
  assert.match(messages[3], /container server env DATABASE_URL holds a password in a URL \(user:password@\)/);
  assert.match(messages[4], /container login env OPENAI_API_KEY/);
});

test("sensitive-values-secret: a credential a workload takes from a Secret, a reference, a switch or another env var is no violation", async () => {
  const out = await runResource(sensitiveValuesSecret, [
    deployment("ref", {
      env: [
        { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "token", optional: true } } },
        { name: "VLLM_API_KEY", valueFrom: { secretKeyRef: { name: "vllm", key: "api-key" } } },
        { name: "HF_HUB_DISABLE_TOKEN", value: "true" },
        { name: "TOKENIZERS_PARALLELISM", value: "false" },
        { name: "SERVICE_ADDRESS", value: UNKNOWN },
        { name: "DATABASE_URL", value: "postgresql://litellm:$(DB_PASSWORD)@postgres:5432/litellm" },
        { name: "UPSTREAM", value: "https://api.openai.com:443/v1" },
      ],
      args: ["--api-key", "$(VLLM_API_KEY)", "--secret=vllm-api-key"],
    }),
  ]);
  assert.deepEqual(out.violations, []);
  assert.deepEqual(out.unknown, []);
  // A credential-named value not known in this preview may hold one: can't judge, neither pass nor violation.
  const unknown = await runResource(sensitiveValuesSecret, deployment("later", { env: [{ name: "HF_TOKEN", value: UNKNOWN }] }));
  assert.deepEqual(unknown.violations, []);
  assert.match(unknown.unknown.join("\n"), /container server env HF_TOKEN of Deployment inference\/later/);
});
