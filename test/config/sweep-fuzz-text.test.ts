/**
 * Text a structured fuzz of the shipped stacks found accepted as something else than written:
 * URLs with whitespace or control characters (zod's URL check trims them and the URL parser drops
 * tabs and line breaks inside), a kubeconfig path with a line break, a GCE image name longer than
 * GCE allows, and JWT issuer and audiences that are blank or padded, which no token's claims
 * equal. Each is refused naming its path.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";

function onlyProblem(stack: "local" | "prod", mutate: (p: any) => void): string {
  const p = shippedPlatform(stack);
  mutate(p);
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  return problems[0];
}

test("an apiServer or jwksUri with whitespace or control characters is refused, not trimmed into another URL", () => {
  for (const url of [" https://k3s.example.internal:6443", "https://k3s.example.internal:6443\n", "https://k3s.exa\tmple.internal:6443", "https://k3s.example.internal:6443/ x"]) {
    assert.equal(
      onlyProblem("local", (p) => (p.clusters[0].apiServer = url)),
      "inference-mesh:platform.clusters[0].apiServer: must not contain whitespace or control characters (spaces, tabs, line breaks): a URL holds none; write the URL alone",
      JSON.stringify(url),
    );
  }
  for (const url of [" https://auth.example.com/.well-known/jwks.json", "https://auth.example.com/.well-known/jwks.json\n", "https://auth.exa\tmple.com/jwks.json"]) {
    assert.match(onlyProblem("prod", (p) => (p.gateways.agents.jwt.jwksUri = url)), /^inference-mesh:platform\.gateways\.agents\.jwt\.jwksUri: must not contain whitespace or control characters/, JSON.stringify(url));
  }
  const clean = shippedPlatform("local");
  clean.clusters[0].apiServer = "https://k3s.example.internal:6443";
  assert.equal((parsePlatform(clean, "local").clusters[0] as { apiServer?: string }).apiServer, "https://k3s.example.internal:6443");
});

test("an apiServer or jwksUri with an invisible format character (zero-width space, joiner, soft hyphen, bidi mark) is refused: the URL parser drops or escapes it", () => {
  for (const [url, shown] of [["https://auth.example.com/.well-known/jwks.json\u200b", "U+200B"], ["https://auth\u200d.example.com/jwks.json", "U+200D"], ["https://auth.exam\u00adple.com/jwks.json", "U+00AD"], ["https://auth.example.com/\u202ejwks.json", "U+202E"]]) {
    assert.equal(
      onlyProblem("prod", (p) => (p.gateways.agents.jwt.jwksUri = url)),
      `inference-mesh:platform.gateways.agents.jwt.jwksUri: must not contain invisible format characters (${shown} here; zero-width spaces and joiners, soft hyphens, bidi marks): the URL parser drops them from a host (or refuses it) and percent-escapes them in a path, so another URL than the one shown would be fetched; write the URL without them`,
      JSON.stringify(url),
    );
  }
  assert.match(onlyProblem("local", (p) => (p.clusters[0].apiServer = "https://k3s.example.internal\u2060:6443")), /^inference-mesh:platform\.clusters\[0\]\.apiServer: must not contain invisible format characters \(U\+2060 here/);
});

test("a kubeconfig path with a line break or tab is refused; spaces in a path stay allowed", () => {
  assert.match(onlyProblem("local", (p) => (p.clusters[0].kubeconfig = "~/.kube/config\n")), /^inference-mesh:platform\.clusters\[0\]\.kubeconfig: must not contain control characters \(line breaks, tabs\)/);
  const spaced = shippedPlatform("local");
  spaced.clusters[0].kubeconfig = "/Users/Jane Doe/.kube/config";
  assert.doesNotThrow(() => parsePlatform(spaced, "local"));
});

test("a JWT issuer or audience that is blank, padded or holds a line break is refused: no token's claim equals it", () => {
  assert.match(onlyProblem("prod", (p) => (p.gateways.agents.jwt.issuer = "   ")), /jwt\.issuer: must not be blank: the token's iss claim is compared with it$/);
  assert.match(onlyProblem("prod", (p) => (p.gateways.agents.jwt.issuer = "https://auth.example.com/\n")), /jwt\.issuer: must not start or end with whitespace nor contain control characters .*iss claim is compared with it as written \(RFC 7519\)/);
  assert.match(onlyProblem("prod", (p) => (p.gateways.agents.jwt.audiences = ["agents.example.com", " agents"])), /jwt\.audiences\[1\]: must not start or end with whitespace .*aud claim/);
  assert.match(onlyProblem("local", (p) => (p.gateways.agents.jwt.audiences = ["agents\tlocal"])), /jwt\.audiences\[0\]: .*control characters/);
  // Digits are text there (config set --path stores them as an integer), and inner spaces are a StringOrURI's own.
  const fine = shippedPlatform("prod");
  fine.gateways.agents.jwt.audiences = [12345, "my api"];
  assert.deepEqual(parsePlatform(fine, "prod").gateways.agents!.jwt!.audiences, ["12345", "my api"]);
});

test("a GCE image or family name over 63 characters is refused: GCE names none so long", () => {
  const name = `ubuntu-${"x".repeat(60)}`;
  assert.equal(onlyProblem("prod", (p) => (p.clusters[2].image = `ubuntu-os-cloud/${name}`)), `inference-mesh:platform.clusters[2].image: names an image or family of ${name.length} characters; GCE image and family names are at most 63 (RFC 1035), so no such image exists`);
  assert.match(onlyProblem("prod", (p) => (p.clusters[2].image = `projects/acme/global/images/family/${name}`)), /clusters\[2\]\.image: names an image or family of 67 characters/);
  const atLimit = shippedPlatform("prod");
  atLimit.clusters[2].image = `ubuntu-os-cloud/ubuntu-${"x".repeat(56)}`;
  assert.doesNotThrow(() => parsePlatform(atLimit, "prod"));
});
