/**
 * Fixture policies: each exercises one part of the engine protocol the harness must reproduce.
 */
import type { PolicyPackArgs } from "@pulumi/policy";

export const policies: PolicyPackArgs["policies"] = [
  {
    name: "namespace-label-required",
    description: "Namespaces carry the configured label (configSchema default applied by the engine, not the SDK).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { label: { type: "string", default: "app.kubernetes.io/part-of" } } },
    validateResource: (args, report) => {
      if (args.type !== "kubernetes:core/v1:Namespace") return;
      const { label } = args.getConfig<{ label: string }>();
      if (!args.props.metadata?.labels?.[label]) report(`namespace ${args.props.metadata?.name} lacks label ${label}`);
    },
  },
  {
    name: "explicit-provider",
    description: "Kubernetes resources name an explicit provider.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
      if (!args.type.startsWith("kubernetes:")) return;
      // A resource without one is bound to the engine's default provider (`default_<version>`).
      const explicit = args.provider?.type === "pulumi:providers:kubernetes" && !args.provider.name.startsWith("default");
      if (!explicit) report(`no explicit kubernetes provider (got ${args.provider?.urn ?? "none"})`);
    },
  },
  {
    name: "secret-token-length",
    description: "Token secrets hold at least minLength characters (reads a secret value).",
    enforcementLevel: "advisory",
    configSchema: { properties: { minLength: { type: "number", default: 8 } } },
    validateResource: (args, report) => {
      if (args.type !== "kubernetes:core/v1:Secret") return;
      const token: unknown = args.props.stringData?.token;
      if (typeof token !== "string" || token.length < args.getConfig<{ minLength: number }>().minLength) report(`token too short: ${JSON.stringify(token)}`);
    },
  },
  {
    name: "stack-has-namespaces",
    description: "The stack renders at least minimum namespaces (a stack policy over outputs).",
    enforcementLevel: "advisory",
    configSchema: { properties: { minimum: { type: "integer", minimum: 0, default: 1 } } },
    validateStack: (args, report) => {
      const n = args.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace").length;
      if (n < args.getConfig<{ minimum: number }>().minimum) report(`only ${n} namespaces`);
      for (const r of args.resources) {
        if (r.type.startsWith("kubernetes:") && !r.parent) report(`${r.urn} has no parent`);
      }
    },
  },
  {
    name: "namespace-owner-format",
    description: "A policy with a bug: it throws on an owner annotation that is not a string, as a policy reading a value it did not expect would.",
    enforcementLevel: "advisory",
    validateResource: (args, report) => {
      if (args.type !== "kubernetes:core/v1:Namespace") return;
      const owner = args.props.metadata?.annotations?.["fixture.example.com/owner"];
      if (owner !== undefined && !(owner as string).includes("@")) report(`owner ${owner} is not an address`);
    },
  },
];
