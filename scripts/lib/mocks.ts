/**
 * Realistic computed outputs for every provider resource and invoke the program uses, so that
 * no value the program reads comes out `undefined` under the mock engine. Outputs are derived
 * deterministically from the resource's name and inputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { mockPrivateKey, mockSelfSignedCert, mockCertRequest, mockLocallySignedCert } from "./mock-crypto";
import { opensshForms } from "./mock-openssh";

const hex = (seed: string, n = 16) => createHash("sha256").update(seed).digest("hex").slice(0, n);
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A fake but well-formed JWT, as the token controller would write into a token Secret. */
function serviceAccountToken(seed: string): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${enc({ alg: "RS256", kid: hex(seed, 8) })}.${enc({ iss: "kubernetes/serviceaccount", sub: seed })}.${hex(seed + "sig", 43)}`;
}

const fakeCaPem = (seed: string) =>
  `-----BEGIN CERTIFICATE-----\n${b64(`mock-ca-${hex(seed, 32)}`)}\n-----END CERTIFICATE-----\n`;

function eksClusterState(name: string, inputs: Record<string, any>): Record<string, unknown> {
  const endpoint = `https://${hex(name, 32).toUpperCase()}.gr7.mock-region.eks.amazonaws.com`;
  const caData = b64(fakeCaPem(name));
  const clusterName = `${name}-eksCluster-${hex(name, 7)}`;
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "kubernetes", cluster: { server: endpoint, "certificate-authority-data": caData } }],
    contexts: [{ name: "aws", context: { cluster: "kubernetes", user: "aws" } }],
    "current-context": "aws",
    users: [{ name: "aws", user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", clusterName, "--output", "json"] } } }],
  };
  return {
    ...inputs,
    kubeconfig,
    kubeconfigJson: JSON.stringify(kubeconfig),
    clusterSecurityGroupId: `sg-${hex(name + "csg", 17)}`,
    nodeSecurityGroupId: `sg-${hex(name + "nsg", 17)}`,
    oidcProviderArn: `arn:aws:iam::123456789012:oidc-provider/oidc.eks.mock.amazonaws.com/id/${hex(name, 32)}`,
    oidcIssuer: `oidc.eks.mock.amazonaws.com/id/${hex(name, 32)}`,
    eksCluster: {
      name: clusterName,
      arn: `arn:aws:eks:mock:123456789012:cluster/${clusterName}`,
      endpoint,
      version: inputs.version ?? "1.33",
      certificateAuthority: { data: caData },
      vpcConfig: {
        endpointPublicAccess: inputs.endpointPublicAccess ?? true,
        endpointPrivateAccess: inputs.endpointPrivateAccess ?? false,
        publicAccessCidrs: inputs.publicAccessCidrs ?? [],
      },
    },
    core: { cluster: { name: clusterName, endpoint } },
  };
}

/** Mock Availability Zone names: a VPC's i-th subnet of each kind lies in the i-th. */
const mockZones = ["zone-a", "zone-b", "zone-c", "zone-d", "zone-e", "zone-f"];
/** The zone of every subnet the mock VPCs made, for the DescribeSubnets mock. */
const subnetZones = new Map<string, string>();

/**
 * Zones of a region that offer a type (DescribeInstanceTypeOfferings): every zone, except that
 * p4de.24xlarge stands for the GPU types EC2 offers in a subset of a region's zones (g6e.12xlarge
 * is offered in four of us-east-1's six) and is offered in the first zone only.
 */
const scarceTypeZones: Record<string, number> = { "p4de.24xlarge": 1 };

/**
 * Zones whose machineTypes.list lacks a GCE machine type: every zone lists every type, except that
 * a2-ultragpu-4g stands for the GPU types Compute Engine offers in a few zones only and is missing
 * from us-central1-f's list.
 */
const machineTypeMissingIn: Record<string, string[]> = { "a2-ultragpu-4g": ["us-central1-f"] };

/** The machine type names a machineTypes.list filter `name = "<type>"` asks for. */
function machineTypesListed(inputs: Record<string, any>): { name: string }[] {
  const name = /^name = "([^"]+)"$/.exec(String(inputs.filter ?? ""))?.[1];
  if (!name) return [];
  return (machineTypeMissingIn[name] ?? []).includes(String(inputs.zone)) ? [] : [{ name }];
}

function vpcState(name: string, inputs: Record<string, any>): Record<string, unknown> {
  const azs = inputs.numberOfAvailabilityZones ?? 3;
  const ids = (kind: string) =>
    Array.from({ length: azs }, (_, i) => {
      const id = `subnet-${hex(`${name}-${kind}-${i}`, 17)}`;
      subnetZones.set(id, mockZones[i]);
      return id;
    });
  return { ...inputs, vpcId: `vpc-${hex(name, 17)}`, privateSubnetIds: ids("private"), publicSubnetIds: ids("public"), isolatedSubnetIds: [] };
}

/** The values of a `{name, values}` invoke filter. */
const filterValues = (inputs: any, name: string): string[] => (inputs.filters ?? []).find((f: any) => f.name === name)?.values ?? [];

/** Secret inputs reach mocks wrapped as `{<sig>: <secret sig>, value}`; the crypto mocks need the values. */
function unwrapSecretInputs(value: any): any {
  if (Array.isArray(value)) return value.map(unwrapSecretInputs);
  if (value && typeof value === "object") {
    if ("4dabf18193072939515e22adb298388d" in value) return unwrapSecretInputs(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecretInputs(v)]));
  }
  return value;
}

async function tlsState(type: string, name: string, inputs: Record<string, any>): Promise<Record<string, unknown> | undefined> {
  // Crypto reads plain values; the state echoes the inputs as given, so secrets stay wrapped.
  const plain = type.startsWith("tls:") ? unwrapSecretInputs(inputs) : inputs;
  switch (type) {
    case "tls:index/privateKey:PrivateKey": {
      const algorithm = inputs.algorithm ?? "RSA";
      const key = await mockPrivateKey(
        algorithm === "ECDSA" ? { algorithm, ecdsaCurve: inputs.ecdsaCurve ?? "P224" } : { algorithm: "RSA", rsaBits: inputs.rsaBits ?? 2048 },
        name,
      );
      // The tls provider marks the key outputs secret (all three forms); so does the mock.
      const secret = (value: string) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
      const ssh = await opensshForms(key.privateKey);
      return {
        ...inputs,
        privateKeyPem: secret(key.privateKeyPem),
        privateKeyPemPkcs8: secret(key.privateKeyPem),
        privateKeyOpenssh: secret(ssh.privateKeyOpenssh),
        publicKeyPem: key.publicKeyPem,
        publicKeyOpenssh: ssh.publicKeyOpenssh,
        publicKeyFingerprintSha256: hex(key.publicKeyPem, 64),
      };
    }
    case "tls:index/selfSignedCert:SelfSignedCert":
      return { ...inputs, certPem: await mockSelfSignedCert(plain as any), validityStartTime: "2026-01-01T00:00:00Z" };
    case "tls:index/certRequest:CertRequest":
      return { ...inputs, certRequestPem: await mockCertRequest(plain as any) };
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { ...inputs, certPem: await mockLocallySignedCert(plain as any), validityStartTime: "2026-01-01T00:00:00Z" };
  }
  return undefined;
}

function kubernetesState(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  const state: Record<string, any> = { ...inputs };
  if (type === "kubernetes:core/v1:Secret" && inputs.type === "kubernetes.io/service-account-token") {
    // The token controller fills the data of a service-account-token Secret.
    state.data = { token: b64(serviceAccountToken(name)), "ca.crt": b64(fakeCaPem(name)), namespace: b64(inputs.metadata?.namespace ?? "default") };
  }
  if (type === "kubernetes:helm.sh/v3:Release") {
    state.status = { name: inputs.name, namespace: inputs.namespace, chart: inputs.chart, version: inputs.version, status: "deployed", revision: 1 };
  }
  return state;
}

function cloudState(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> | undefined {
  switch (type) {
    case "eks:index:Cluster":
      return eksClusterState(name, inputs);
    case "awsx:ec2:Vpc":
      return vpcState(name, inputs);
    case "aws:iam/role:Role":
      return { ...inputs, arn: `arn:aws:iam::123456789012:role/${name}-${hex(name, 7)}`, name: `${name}-${hex(name, 7)}` };
    case "aws:ec2/eip:Eip": {
      const publicIp = `3.${parseInt(hex(name, 2), 16) % 255}.${parseInt(hex(name + "b", 2), 16) % 255}.${parseInt(hex(name + "c", 2), 16) % 254 + 1}`;
      return { ...inputs, allocationId: `eipalloc-${hex(name, 17)}`, publicIp, publicDns: `ec2-${publicIp.replace(/\./g, "-")}.compute-1.amazonaws.com` };
    }
    case "gcp:compute/address:Address":
      return { ...inputs, address: inputs.address ?? `34.${parseInt(hex(name, 2), 16) % 255}.${parseInt(hex(name + "b", 2), 16) % 255}.10`, selfLink: `projects/mock/regions/mock/addresses/${name}` };
    case "gcp:compute/instanceTemplate:InstanceTemplate": {
      const templateName = `${inputs.namePrefix ?? name}${hex(name, 12)}`;
      return { ...inputs, name: templateName, selfLink: `projects/mock/global/instanceTemplates/${templateName}`, selfLinkUnique: `projects/mock/global/instanceTemplates/${templateName}?uniqueId=${parseInt(hex(name, 12), 16)}` };
    }
    case "gcp:serviceaccount/account:Account": {
      // GCP names an account by its ID in the provider's project; the mock's project is "mock".
      const email = `${inputs.accountId}@mock.iam.gserviceaccount.com`;
      return { ...inputs, email, member: `serviceAccount:${email}`, name: `projects/mock/serviceAccounts/${email}`, uniqueId: String(parseInt(hex(name, 12), 16)) };
    }
    case "gcp:compute/instance:Instance":
      return { ...inputs, instanceId: hex(name, 19), selfLink: `projects/mock/zones/mock/instances/${name}` };
    case "random:index/randomPassword:RandomPassword":
      // The random provider marks a password's result secret; so does the mock.
      return { ...inputs, result: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: hex(`${type}-${name}`, inputs.length ?? 32) } };
    case "random:index/randomString:RandomString":
      return { ...inputs, result: hex(`${type}-${name}`, inputs.length ?? 32) };
    case "random:index/randomId:RandomId":
      return { ...inputs, hex: hex(name, (inputs.byteLength ?? 4) * 2), b64Url: b64(name).slice(0, 8), dec: String(parseInt(hex(name, 8), 16)) };
  }
  if (type.startsWith("gcp:") || type.startsWith("aws:")) {
    const id = `${name}-${hex(name, 8)}`;
    return { ...inputs, name: inputs.name ?? id, selfLink: `projects/mock/${type.split(":")[1]}/${id}`, arn: `arn:aws:mock:::${id}` };
  }
  return undefined;
}

export const platformMocks: pulumi.runtime.Mocks = {
  async newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string | undefined; state: Record<string, any> }> {
    const { type, name, inputs } = args;
    const state =
      (await tlsState(type, name, inputs)) ??
      (type.startsWith("kubernetes:") ? kubernetesState(type, name, inputs) : undefined) ??
      cloudState(type, name, inputs) ??
      { ...inputs };
    return { id: args.custom === false ? undefined : `${name}-${hex(type + name, 8)}`, state };
  },
  call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    switch (args.token) {
      case "aws:index/getAvailabilityZones:getAvailabilityZones": {
        const region = String(args.inputs.region ?? "us-east-1");
        return { names: ["a", "b", "c"].map((z) => `${region}${z}`), zoneIds: ["az1", "az2", "az3"], id: region };
      }
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/mock", userId: "MOCK" };
      case "aws:index/getRegion:getRegion":
        return { name: args.inputs.name ?? "us-east-1", id: args.inputs.name ?? "us-east-1" };
      case "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": {
        const [type] = filterValues(args.inputs, "instance-type");
        const locations = mockZones.slice(0, scarceTypeZones[type] ?? mockZones.length);
        return { id: "mock", instanceTypes: locations.map(() => type), locationTypes: locations.map(() => "availability-zone"), locations };
      }
      case "aws:ec2/getSubnets:getSubnets": {
        const zones = filterValues(args.inputs, "availability-zone");
        const ids = filterValues(args.inputs, "subnet-id").filter((id) => zones.includes(subnetZones.get(id) ?? ""));
        return { id: "mock", ids };
      }
      case "gcp:compute/getMachineTypes:getMachineTypes":
        return { id: "mock", zone: args.inputs.zone, project: "mock", filter: args.inputs.filter, machineTypes: machineTypesListed(args.inputs) };
      case "aws:iam/getPolicyDocument:getPolicyDocument":
        return { json: JSON.stringify({ Version: "2012-10-17", Statement: args.inputs.statements ?? [] }) };
    }
    return args.inputs;
  },
};
