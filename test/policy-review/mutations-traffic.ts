/** Policy-review mutations of traffic: canary splits and their header doors, InferencePools and their endpoint pickers, external Gateway listeners. */
import { Mutation, resources, isKind, edit, withSpec, onFirst, removeAll, weightedPair, splitRoute, onSplits, eppRule, eppService, addLike, addPoolRewriteSplit } from "./mutations-support";

export const trafficMutations: Mutation[] = [
  {
    name: "an external Gateway listener in plain HTTP",
    policy: "gateway-listeners-tls",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "Gateway") && withSpec(r).listeners.some((l: any) => l.protocol === "HTTPS"), (o) =>
        o.spec.listeners.forEach((l: any) => {
          if (l.protocol !== "HTTPS") return;
          l.protocol = "HTTP";
          delete l.tls;
        }),
      ),
  },
  {
    name: "an external HTTPS listener without a certificate",
    policy: "gateway-listeners-tls",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "Gateway") && (r.inputs as any).spec.listeners.some((l: any) => l.protocol === "HTTPS" && l.tls?.certificateRefs?.length), (o) =>
        o.spec.listeners.forEach((l: any) => {
          if (l.protocol === "HTTPS") delete l.tls.certificateRefs;
        }),
      ),
  },
  {
    name: "split weights summing to 105",
    policy: "canary-weight-limit",
    apply: (doc) => onSplits(doc, (pair) => ([pair[0].weight, pair[1].weight] = [95, 10])),
  },
  {
    name: "a 20% canary under an 80% primary",
    policy: "canary-weight-limit",
    apply: (doc) =>
      onSplits(doc, (pair) => {
        const [canary, primary] = pair[0].weight < pair[1].weight ? [pair[0], pair[1]] : [pair[1], pair[0]];
        [canary.weight, primary.weight] = [20, 80];
      }),
  },
  {
    name: "a split swapped so the canary gets 95%",
    policy: "canary-weight-limit",
    apply: (doc) =>
      onSplits(doc, (pair) => {
        const [heavy, light] = pair[0].weight >= pair[1].weight ? pair : [pair[1], pair[0]];
        [heavy.weight, light.weight] = [light.weight, heavy.weight];
      }),
  },
  {
    // Only the program's inputs lose it: the API server defaults it to FailClose, so the outputs
    // (what a stack policy sees, in previews too) keep one.
    name: "an InferencePool without a failure mode (inputs only; the server's default stays in the outputs)",
    policy: "inference-pool-failure-mode",
    apply: (doc) => {
      const pool = resources(doc).find((r) => isKind(r, "InferencePool") && (r.outputs as any)?.spec?.endpointPickerRef?.failureMode);
      if (!pool) return undefined;
      delete (pool.inputs as any).spec.endpointPickerRef.failureMode;
      (pool.outputs as any).spec.endpointPickerRef.failureMode = "FailClose";
      return pool.urn;
    },
  },
  {
    name: "an InferencePool pointing at an EPP port no Service exposes",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "InferencePool"), (o) => (o.spec.endpointPickerRef.port = { number: 9999 })),
  },
  {
    name: "an InferencePool whose selector matches no model server",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "InferencePool"), (o) => (o.spec.selector = { matchLabels: { "app.kubernetes.io/instance": "no-such-server" } })),
  },
  {
    name: "the EPP's TLS DestinationRules removed",
    policy: "inference-pool-epp",
    apply: (doc) => removeAll(doc, (r) => isKind(r, "DestinationRule") && JSON.stringify(r.inputs).includes("-epp")),
  },
  {
    // Envoy then verifies the picker's self-signed certificate against the system CAs.
    name: "the EPP's DestinationRule without insecureSkipVerify",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, eppRule, (o) => delete o.spec.trafficPolicy.tls.insecureSkipVerify),
  },
  {
    // istiod qualifies only dotless names: `<svc>.<ns>` matches no Service.
    name: "the EPP's DestinationRule host written as <svc>.<ns>",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, eppRule, (o) => (o.spec.host = o.spec.host.replace(/\.svc\.cluster\.local$/, ""))),
  },
  {
    name: "the EPP's DestinationRule in a namespace the gateway does not look in",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, eppRule, (o) => (o.metadata.namespace = "agents")),
  },
  {
    name: "the EPP Service targeting a port the picker does not listen on",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, eppService, (o) => (o.spec.ports.find((p: any) => p.port === 9002).targetPort = 9999)),
  },
  {
    name: "the EPP Service selecting no picker pod",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, eppService, (o) => (o.spec.selector = { ...o.spec.selector, "app.kubernetes.io/instance": "no-such-picker" })),
  },
  {
    name: "a route's default rule sending everything to the canary",
    policy: "canary-weight-limit",
    apply: (doc) =>
      onFirst(doc, splitRoute, (o) =>
        o.spec.rules.forEach((rule: any) => {
          const pair = weightedPair(rule);
          if (pair.length === 2) rule.backendRefs = [{ ...pair.reduce((a: any, b: any) => (a.weight < b.weight ? a : b)), weight: 1 }];
        }),
      ),
  },
  {
    name: "the inference gateway admitting callers without a mesh identity on every port, and no NetworkPolicy keeping its in-mesh listener to the agents",
    policy: "gateway-listeners-tls",
    apply: (doc) => {
      const urn = onFirst(
        doc,
        (r) => isKind(r, "AuthorizationPolicy") && (r.inputs as any)?.spec?.targetRefs?.some((t: any) => t.kind === "Gateway" && t.name === "inference-gateway"),
        (o) => o.spec.rules.forEach((rule: any) => rule.from?.some((f: any) => (f.source?.notPrincipals ?? []).includes("*")) && delete rule.to),
      );
      removeAll(doc, (r) => isKind(r, "NetworkPolicy") && (r.inputs as any)?.metadata?.name === "inference-gateway-callers");
      return urn;
    },
  },
  {
    name: "the inference gateway's Service rewriting client addresses (externalTrafficPolicy Cluster), so its NetworkPolicy admits outside clients via the node",
    policy: "gateway-listeners-tls",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "ConfigMap") && (r.inputs as any)?.metadata?.name === "inference-gateway-options",
        (o) => (o.data.service = "spec:\n  externalTrafficPolicy: Cluster\n"),
      ),
  },
  {
    name: "the inference gateway's NetworkPolicy opening its in-mesh listener (port 80) to anywhere",
    policy: "gateway-listeners-tls",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "NetworkPolicy") && (r.inputs as any)?.spec?.ingress?.some((rule: any) => rule.from && rule.ports?.some((p: any) => p.port === 80)),
        (o) => o.spec.ingress.forEach((rule: any) => rule.ports?.some((p: any) => p.port === 80) && delete rule.from),
      ),
  },
  {
    name: "the canary rule given a second match that takes all traffic (matches are ORed)",
    policy: "canary-weight-limit",
    apply: (doc) =>
      onFirst(doc, splitRoute, (o) => {
        const door = o.spec.rules.find((rule: any) => (rule.matches ?? []).some((m: any) => (m.headers ?? []).some((h: any) => h.name === "x-canary")));
        door.matches.push({ path: { type: "PathPrefix", value: "/" } });
      }),
  },
  {
    name: "a route's split rule left with a single backend at weight 0 (all its traffic gets 500s)",
    policy: "canary-weight-limit",
    apply: (doc) =>
      onFirst(doc, splitRoute, (o) =>
        o.spec.rules.forEach((rule: any) => {
          const pair = weightedPair(rule);
          if (pair.length === 2) rule.backendRefs = [{ ...pair.reduce((a: any, b: any) => (a.weight >= b.weight ? a : b)), weight: 0 }];
        }),
      ),
  },
  // Splits outside HTTPRoute weights, node agents kept off the GPU nodes, Istio gateway
  // overlays, and a workload kind the rules once did not know.
  {
    name: "an InferenceModelRewrite sending half of a model's requests to another version",
    policy: "canary-weight-limit",
    apply: (doc) => addPoolRewriteSplit(doc, [50, 50]),
  },
  {
    name: "the canary rule's own split summing to 110 (the canary listed twice at 60 and 50)",
    policy: "canary-weight-limit",
    apply: (doc) =>
      onFirst(
        doc,
        (r) => isKind(r, "HTTPRoute") && withSpec(r).rules?.some((x: any) => x.matches?.some((m: any) => m.headers?.some((h: any) => h.name === "x-canary"))),
        (o) => {
          const door = o.spec.rules.find((x: any) => x.matches?.some((m: any) => m.headers?.some((h: any) => h.name === "x-canary")));
          door.backendRefs = [{ ...door.backendRefs[0], weight: 60 }, { ...door.backendRefs[0], weight: 50 }];
        },
      ),
  },
  {
    name: "a plaintext listener added to the inference gateway on another port",
    policy: "gateway-listeners-tls",
    apply: (doc) =>
      onFirst(doc, (r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.name === "inference-gateway", (o) =>
        o.spec.listeners.push({ name: "http-alt", port: 8080, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } }),
      ),
  },
  {
    name: "a 50/50 split of a model's pools by a new HTTPRoute in another namespace",
    policy: "canary-weight-limit",
    apply: (doc) => {
      const route = resources(doc).find(splitRoute);
      if (!route) return undefined;
      const obj = JSON.parse(JSON.stringify(route.inputs));
      const ns = obj.metadata.namespace;
      obj.metadata = { name: `${obj.metadata.name}-ab`, namespace: "agents" };
      obj.spec.parentRefs = obj.spec.parentRefs.map((p: any) => ({ ...p, namespace: p.namespace ?? ns }));
      obj.spec.rules = obj.spec.rules.filter((r: any) => weightedPair(r).length === 2);
      obj.spec.rules.forEach((r: any) => weightedPair(r).forEach((b: any) => Object.assign(b, { weight: 50, namespace: ns })));
      return addLike(doc, route, "ab", route.type, obj);
    },
  },
  {
    name: "a second HTTPRoute giving a model's canary 95% of its split (the declaring route's x-canary rule names the canary)",
    policy: "canary-weight-across-routes",
    apply: (doc) => {
      const route = resources(doc).find(splitRoute);
      if (!route) return undefined;
      const obj = JSON.parse(JSON.stringify(route.inputs));
      obj.metadata = { ...obj.metadata, name: `${obj.metadata.name}-swapped` };
      obj.spec.hostnames = ["swapped.example.com"];
      obj.spec.rules = obj.spec.rules.filter((r: any) => weightedPair(r).length === 2);
      // The lighter backend of each split is the canary: it now takes the stable version's share.
      obj.spec.rules.forEach((r: any) => {
        const [light, heavy] = [...weightedPair(r)].sort((a: any, b: any) => a.weight - b.weight);
        [light.weight, heavy.weight] = [heavy.weight, light.weight];
      });
      return addLike(doc, route, "swapped", route.type, obj);
    },
  },
  {
    name: "a second HTTPRoute sending a path of a model only to its canary",
    policy: "canary-weight-across-routes",
    apply: (doc) => {
      const route = resources(doc).find(splitRoute);
      if (!route) return undefined;
      const obj = JSON.parse(JSON.stringify(route.inputs));
      const split = obj.spec.rules.find((r: any) => weightedPair(r).length === 2);
      const canary = [...weightedPair(split)].sort((a: any, b: any) => a.weight - b.weight)[0];
      obj.metadata = { ...obj.metadata, name: `${obj.metadata.name}-preview` };
      obj.spec.rules = [{ matches: [{ path: { type: "PathPrefix", value: "/preview" } }], backendRefs: [{ ...canary, weight: undefined }] }];
      return addLike(doc, route, "preview", route.type, obj);
    },
  },
  {
    // Read only by canary-weight-limit, which sees a lone backend of the patch, the patch passed.
    name: "an HTTPRoutePatch of another route on the cluster sending it all to a model's canary",
    policy: "canary-weight-across-routes",
    apply: (doc) => {
      const route = resources(doc).find(splitRoute);
      const other = route && resources(doc).find((r) => isKind(r, "HTTPRoute") && r.provider === route.provider && r.urn !== route.urn);
      if (!route || !other) return undefined;
      const split = withSpec(route).rules.find((r: any) => weightedPair(r).length === 2);
      const canary = [...weightedPair(split)].sort((a: any, b: any) => a.weight - b.weight)[0];
      const { name, namespace } = (other.inputs as any).metadata;
      const obj = { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name, namespace }, spec: { rules: [{ backendRefs: [{ ...canary, namespace: (route.inputs as any).metadata.namespace, weight: undefined }] }] } };
      return addLike(doc, other, "patch", `${other.type}Patch`, obj);
    },
  },
  {
    // Both rules then match every request alike and Gateway API picks the first: all to the canary.
    name: "the canary rule's x-canary header match removed (it catches everything before the split)",
    policy: "canary-weight-limit",
    apply: (doc) =>
      onFirst(doc, splitRoute, (o) => {
        const door = o.spec.rules.find((r: any) => JSON.stringify(r.matches ?? []).includes('"x-canary"'));
        if (door) door.matches = door.matches.map((m: any) => ({ ...m, headers: (m.headers ?? []).filter((h: any) => h.name !== "x-canary") }));
      }),
  },
  {
    // Its Service, port and DestinationRule are all in place: only the picker behind it serves another pool.
    name: "an InferencePool pointing at the endpoint picker Service of another pool (its canary's)",
    policy: "inference-pool-epp",
    apply: (doc) => {
      const pools = resources(doc).filter((r) => isKind(r, "InferencePool") && (r.inputs as any)?.spec?.endpointPickerRef?.name);
      const [pool, other] = pools;
      if (!pool || !other || pool.provider !== other.provider) return undefined;
      return edit(pool, (o) => (o.spec.endpointPickerRef.name = (other.inputs as any).spec.endpointPickerRef.name));
    },
  },
  {
    name: "an InferencePool whose endpointPickerRef names a Deployment instead of a Service",
    policy: "inference-pool-epp",
    apply: (doc) => onFirst(doc, (r) => isKind(r, "InferencePool") && !!withSpec(r).endpointPickerRef, (o) => (o.spec.endpointPickerRef.kind = "Deployment")),
  },
  {
    // The MCP gateway's own Service stays ClusterIP (its parameters): a hand-made one makes its plain HTTP listener public.
    name: "a LoadBalancer Service added in front of the ClusterIP MCP gateway's pods (its plaintext listener becomes public)",
    policy: "gateway-listeners-tls",
    apply: (doc) => {
      const gw = resources(doc).find((r) => isKind(r, "Gateway") && (r.inputs as any)?.metadata?.name === "mcp-gateway");
      const like = resources(doc).find((r) => isKind(r, "Service") && gw && r.provider === gw.provider && (r.inputs as any)?.metadata?.namespace === "tools");
      if (!gw || !like) return undefined;
      const selector = { "gateway.networking.k8s.io/gateway-name": "mcp-gateway" };
      return addLike(doc, like, "mcp-public", like.type, { apiVersion: "v1", kind: "Service", metadata: { name: "mcp-public", namespace: "tools" }, spec: { type: "LoadBalancer", selector, ports: [{ name: "http", port: 80, targetPort: 80 }] } });
    },
  },
];
