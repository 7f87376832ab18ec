/**
 * The field types the platform schema is built from (names, images, CIDRs, ports, int32 counts):
 * one rule and one message each, shared by every part of `schema.ts`.
 */
import { z } from "zod";
import { parseCidr } from "./net";
import { imageReferenceProblem, imageTagOf } from "./image-ref";
import { floatingTag, RELEASE_TAG_RULE } from "../policy/lib/image-tags";

/** Dot-separated RFC 1123 labels of a-z, 0-9 and inner '-' (a DNS subdomain, without its length limits). */
export const DNS_SUBDOMAIN = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
export const dnsSubdomain = new RegExp(`^${DNS_SUBDOMAIN}$`);
export const isDnsSubdomain = (s: string): boolean => dnsSubdomain.test(s);

const dnsLabelMessage = "must be a DNS-1123 label of at most 40 characters: lowercase letters, digits and '-', starting with a letter";
/**
 * DNS-1123 label: what Kubernetes names, Istio cluster names and Helm release names accept. The
 * pattern alone refuses an empty name (one message, not a second "too small").
 */
export const dnsLabel = z.string().max(40, { message: dnsLabelMessage, abort: true }).regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, dnsLabelMessage);

/**
 * Kubernetes stores replica counts and InferenceObjective priorities as 32-bit integers
 * (`*int32`); a larger number is refused by the API server, late, inside `pulumi up`.
 */
export const INT32_MAX = 2_147_483_647;
export const int32 = (what: string) => z.number().int().max(INT32_MAX, `must be at most ${INT32_MAX}: ${what} is a 32-bit integer in Kubernetes`);
export const replicaCount = (min: number) => int32("a replica count").min(min);

export const image = z
  .string()
  .superRefine((ref, ctx) => {
    const problem = imageReferenceProblem(ref);
    if (problem) ctx.addIssue({ code: "custom", message: `'${ref}' is not an image reference: it ${problem}` });
  })
  .refine((s) => /@sha256:[a-f0-9]{64}$/.test(s) || /:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(s.split("/").pop() ?? ""), {
    message: "must pin a tag or a digest (registry/repo:tag or repo@sha256:…)",
  })
  .refine((s) => s.includes("@") || !/:latest$/i.test(s), { message: "must not use the 'latest' tag: pin a version or a digest", abort: true })
  // Any other tag a registry moves (the policy pack's images-pinned reads the same rule); a digest pins it.
  .superRefine((ref, ctx) => {
    const tag = imageTagOf(ref);
    const floating = tag && floatingTag(tag);
    if (floating) ctx.addIssue({ code: "custom", message: `must pin a release tag or a digest: ${floating}; a release tag is ${RELEASE_TAG_RULE}; a digest is repo@sha256:<64 hex digits>` });
  });


/**
 * A URL as written, before zod's URL check: that check trims surrounding whitespace and the WHATWG
 * parser drops tabs and line breaks inside, so `" https://a\t.b"` would pass as another URL than
 * the one in the stack file (and reach whatever reads the raw text as written). A URL holds no
 * whitespace or control characters (RFC 3986).
 */
export const urlText = z
  .string()
  .refine((s) => !/[\s\u0000-\u001f\u007f]/.test(s), {
    message: "must not contain whitespace or control characters (spaces, tabs, line breaks): a URL holds none; write the URL alone",
    abort: true,
  })
  // Invisible in the stack file; the WHATWG URL parser (zod's URL check, Node's URL) drops a
  // zero-width space from a host (IDNA maps it to nothing), refuses a host with a joiner, and
  // percent-escapes any of them in a path.
  .refine((s) => !/\p{Cf}/u.test(s), {
    abort: true,
    error: (issue) => {
      const invisible = /\p{Cf}/u.exec(String(issue.input))?.[0] ?? "";
      const shown = `U+${(invisible.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
      return `must not contain invisible format characters (${shown} here; zero-width spaces and joiners, soft hyphens, bidi marks): the URL parser drops them from a host (or refuses it) and percent-escapes them in a path, so another URL than the one shown would be fetched; write the URL without them`;
    },
  });

export const cidr = z.string().superRefine((text, ctx) => {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: `'${text}' ${parsed}` });
});
export const weight = z.number().int().min(0).max(100);

/**
 * Ports Istio's proxies own inside a pod's network namespace (Istio "Ports used by Istio":
 * Envoy admin/outbound/debug/inbound, HBONE 15008/15009, telemetry, health, DNS capture);
 * ztunnel redirects 15001/15006/15008 in every ambient pod, so an app listening there breaks.
 */
export const ISTIO_RESERVED_PORTS = [15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090] as const;
export const appPort = (fallback: number) =>
  z
    .number()
    .int()
    .min(1)
    .max(65535)
    .refine((p) => !(ISTIO_RESERVED_PORTS as readonly number[]).includes(p), {
      message: `is reserved by Istio (${ISTIO_RESERVED_PORTS.join(", ")}); pick another port`,
    })
    .default(fallback);
