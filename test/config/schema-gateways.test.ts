/**
 * The platform config schema, the inference and agent gateways: ports, hostnames, TLS, JWT and the
 * LLM routes. Each broken config is rejected with a message naming its config path (expectProblem,
 * ./support).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { clusterInferenceManifests } from "../../components/inference";
import { shippedPlatform } from "../support/render";
import { problemsOf } from "../support/config";
import { expectProblem, RejectCase, testRejections } from "./support";

const cases: RejectCase[] = [
  {
    // agentgateway v1.4.1 AgentgatewayPolicy jwtAuthentication.providers[]: issuer maxLength 256, audiences maxItems 64.
    name: "a JWT issuer agentgateway's CRD refuses (over 256 characters)",
    mutate: (p) => (p.gateways.agents.jwt.issuer = `https://auth.example.com/${"i".repeat(240)}`),
    path: "inference-mesh:platform.gateways.agents.jwt.issuer",
    message: /at most 256 characters/,
  },
  {
    name: "more JWT audiences than agentgateway's CRD takes (64)",
    mutate: (p) => (p.gateways.agents.jwt.audiences = Array.from({ length: 65 }, (_, i) => `aud-${i}`)),
    path: "inference-mesh:platform.gateways.agents.jwt.audiences",
    message: /at most 64 audiences/,
  },
  {
    // pulumi-kubernetes deletes a removed object by name: leaving selfSigned would delete this Secret, the user's by then.
    name: "the inference gateway's own Secret named like the one tls.mode selfSigned generates",
    mutate: (p) => (p.gateways.inference.tls = { mode: "secret", secretName: "inference-gateway-self-signed" }),
    path: "inference-mesh:platform.gateways.inference.tls.secretName",
    message: /'inference-gateway-self-signed' is the Secret tls.mode selfSigned generates.*choose another name/,
  },
  {
    name: "the agent gateway's own Secret named like the one tls.mode selfSigned generates",
    mutate: (p) => (p.gateways.agents.tls = { mode: "secret", secretName: "agent-gateway-self-signed" }),
    path: "inference-mesh:platform.gateways.agents.tls.secretName",
    message: /'agent-gateway-self-signed' is the Secret tls.mode selfSigned generates.*choose another name/,
  },
  {
    name: "TLS off while the policy requires it",
    mutate: (p) => (p.gateways.inference.tls = { mode: "none" }),
    path: "inference-mesh:platform.gateways.inference.tls.mode",
    message: /only allowed when policy.requireTls is false/,
  },
  {
    name: "the agent gateway on the inference gateway's port on a k3s cluster (ServiceLB host ports)",
    mutate: (p) => delete p.gateways.agents.port,
    path: "inference-mesh:platform.gateways.agents.port",
    message: /port 443 \(the default\) is also the inference gateway's on k3s cluster\(s\) 'gcp-usc1'.*ServiceLB.*e\.g\. 8443/,
  },
  {
    name: "the agent gateway on the inference gateway's in-mesh port on a k3s cluster",
    mutate: (p) => (p.gateways.agents.port = 80),
    path: "inference-mesh:platform.gateways.agents.port",
    message: /port 80 is also the inference gateway's/,
  },
  {
    // agentgateway v1.4.1's controller fetches the JWKS from agentgateway-system, which is not in
    // the ambient mesh: nothing encrypts a plain-http fetch, in-cluster or not.
    name: "a JWKS fetched over plain http from an in-cluster Service",
    mutate: (p) => (p.gateways.agents.jwt.jwksUri = "http://keycloak.auth.svc.cluster.local:8080/realms/agents/protocol/openid-connect/certs"),
    path: "inference-mesh:platform.gateways.agents.jwt.jwksUri",
    message: /must be https:\/\/: agentgateway's controller fetches the keys from agentgateway-system, outside the ambient mesh/,
  },
  {
    name: "a JWKS fetched over plain http from outside the cluster",
    mutate: (p) => (p.gateways.agents.jwt.jwksUri = "http://auth.example.com/.well-known/jwks.json"),
    path: "inference-mesh:platform.gateways.agents.jwt.jwksUri",
    message: /must be https:\/\//,
  },
  {
    name: "both gateways on one hostname",
    mutate: (p) => (p.gateways.agents.hostname = p.gateways.inference.hostname),
    path: "inference-mesh:platform.gateways.agents.hostname",
    message: /also gateways\.inference\.hostname/,
  },
  {
    name: "an unknown TLS mode (the message lists the modes, not the clouds)",
    mutate: (p) => (p.gateways.inference.tls = { mode: "magic" }),
    path: "inference-mesh:platform.gateways.inference.tls.mode",
    message: /must be one of 'selfSigned', 'secret', 'none'$/,
  },
  {
    name: "an agent gateway port the nodes already use",
    mutate: (p) => (p.gateways.agents.port = 6443),
    path: "inference-mesh:platform.gateways.agents.port",
    message: /is taken on the nodes/,
  },
  {
    name: "an agent hostname over Gateway API's 253 characters",
    mutate: (p) => (p.gateways.agents.hostname = Array.from({ length: 4 }, () => "a".repeat(60)).join(".") + ".com"),
    path: "inference-mesh:platform.gateways.agents.hostname",
    message: /Gateway API allows 253/,
  },
  {
    name: "an LLM host over Gateway API's 253 characters",
    mutate: (p) => {
      // 215 characters: every agent's host fits, the LLM host (41 more) does not.
      p.gateways.agents.hostname = Array.from({ length: 4 }, () => "a".repeat(50)).join(".") + ".example.com";
      p.gateways.agents.llm = { subdomain: "l".repeat(40) };
    },
    path: "inference-mesh:platform.gateways.agents.hostname",
    message: /the LLM routes \(gateways\.agents\.llm\.subdomain 'l{40}'\) would be served at a 256-character hostname; Gateway API allows 253/,
  },
  {
    name: "an LLM token budget of zero",
    mutate: (p) => (p.gateways.agents.llm = { tokensPerMinute: 0 }),
    path: "inference-mesh:platform.gateways.agents.llm.tokensPerMinute",
    message: />=\s*1|at least 1|too small/i,
  },
  {
    name: "an LLM subdomain that is not a DNS label",
    mutate: (p) => (p.gateways.agents.llm = { subdomain: "LLM.api" }),
    path: "inference-mesh:platform.gateways.agents.llm.subdomain",
    message: /DNS-1123 label/,
  },
  {
    name: "a JWT block with both a JWKS URI and a self-signed key",
    mutate: (p) => (p.gateways.agents.jwt.selfSigned = true),
    path: "inference-mesh:platform.gateways.agents.jwt",
    message: /set exactly one of jwksUri .* and selfSigned: true/,
  },
  {
    name: "a public agent gateway without JWT authentication",
    mutate: (p) => delete p.gateways.agents.jwt,
    path: "inference-mesh:platform.gateways.agents.jwt",
    message: /is required: on 'aws-use1', 'aws-euw1', 'gcp-usc1' the agent gateway is a public load balancer/,
  },
  {
    name: "a hostname with an empty label (Gateway API rejects it)",
    mutate: (p) => (p.gateways.inference.hostname = "inference..example.com"),
    path: "inference-mesh:platform.gateways.inference.hostname",
    message: /must be a lowercase DNS hostname/,
  },
  {
    name: "a hostname label starting with '-'",
    mutate: (p) => (p.gateways.agents.hostname = "agents.-x.example.com"),
    path: "inference-mesh:platform.gateways.agents.hostname",
    message: /must be a lowercase DNS hostname/,
  },
  {
    name: "a JWKS URI without the document's path",
    mutate: (p) => (p.gateways.agents.jwt.jwksUri = "https://auth.example.com/"),
    path: "inference-mesh:platform.gateways.agents.jwt.jwksUri",
    message: /must include the JWKS document's path/,
  },
  {
    name: "a TLS secret mode without its secret name",
    mutate: (p) => delete p.gateways.inference.tls.secretName,
    path: "inference-mesh:platform.gateways.inference.tls.secretName",
    message: /is required \(text\): it must be a Kubernetes Secret name/,
  },
];

testRejections(cases);

test("gateway hostnames are DNS names: no IP address, labels of at most 63 characters", () => {
  const p = shippedPlatform("prod");
  p.gateways.inference.hostname = `${"a".repeat(63)}.example.com`;
  p.gateways.agents.hostname = "10.0.0.1.example.com";
  assert.doesNotThrow(() => parsePlatform(p, "prod"));
  for (const [hostname, message] of [["10.0.0.1", /not an IP address/], [`${"a".repeat(64)}.example.com`, /label over 63 characters/]] as const) {
    const q = shippedPlatform("prod");
    q.gateways.inference.hostname = hostname;
    expectProblem(q, "inference-mesh:platform.gateways.inference.hostname", message);
  }
});

test("a jwksUri that is no URL is refused saying what the field takes, not zod's bare 'Invalid URL'", () => {
  for (const uri of ["", "auth.example.com/.well-known/jwks.json", "https://"]) {
    const p = shippedPlatform("prod");
    p.gateways.agents.jwt.jwksUri = uri;
    assert.deepEqual(problemsOf(p), [
      "inference-mesh:platform.gateways.agents.jwt.jwksUri: must be an https:// URL of your identity provider's JWKS document, such as https://auth.example.com/.well-known/jwks.json",
    ], uri);
  }
});

test("gateways.inference is required only once a model is served: agents need a model, and the LLM routes forward to it", () => {
  const p = shippedPlatform("prod");
  p.models = [];
  p.agents = [];
  delete p.gateways;
  const spec = parsePlatform(p, "prod");
  assert.equal(spec.gateways.inference, undefined);
  for (const c of spec.clusters) assert.deepEqual(clusterInferenceManifests(spec, c.name), [], c.name);
  const q = shippedPlatform("prod");
  delete q.gateways.inference;
  assert.deepEqual(problemsOf(q), [
    "inference-mesh:platform.gateways.inference: models are configured, so the inference gateway (hostname, tls) is required: it serves them, to callers outside and to the agents",
  ]);
});

test("a TLS secret is any Kubernetes Secret name (a DNS subdomain up to 253), not held to the 40-character label of derived names", () => {
  // cert-manager's habit: the Secret named after the host it serves.
  const p = shippedPlatform("prod");
  p.gateways.inference.tls.secretName = "inference.example.com-tls";
  p.gateways.agents.tls.secretName = `agents-gateway-tls-${"x".repeat(40)}`;
  const spec = parsePlatform(p, "prod");
  assert.equal((spec.gateways.inference!.tls as { secretName: string }).secretName, "inference.example.com-tls");
  const bad = shippedPlatform("prod");
  bad.gateways.inference.tls.secretName = "Inference_TLS";
  expectProblem(bad, "inference-mesh:platform.gateways.inference.tls.secretName", /must be a Kubernetes Secret name: lowercase letters, digits, '-' and '\.'/);
  bad.gateways.inference.tls.secretName = `${"a".repeat(250)}.tls`;
  expectProblem(bad, "inference-mesh:platform.gateways.inference.tls.secretName", /is over 253 characters/);
});
