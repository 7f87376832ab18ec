/**
 * A k3s cluster on GCP VMs in one region: network, subnet, firewall, Cloud NAT, a k3s server with
 * a static API address, and per node group an instance template with GPUs plus a zonal managed
 * instance group of GPU agents. The cluster CAs come from Pulumi, so the admin kubeconfig (a
 * client certificate signed by the client CA) is known without SSH.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { K3sClusterSpec, NodeGroupSpec } from "../../../infra/schema";
import type { PlatformSpec } from "../../../infra/config";
import { ApiReady, ServerVersionGate } from "../api-ready";
import { ClusterHandle, egressSourceRanges, kubeconfigStaysSecret, nodeGroupLabel } from "../cluster";
import { certKubeconfig } from "../kubeconfig";
import { gpuNodeLabels, gpuTaint, lookupGpuInstance } from "../../gpu/catalog";
import { gceBootDiskType, gceNeedsFabricManager } from "../machine-types";
import { FirewallRulePlan, firewallRules, peerEgressRules, k3sApiPort, k3sNodeTag, k3sServerTag, publicGatewayPorts, serverInternalIp } from "./network";
import { k3sAgentJoinToken } from "./join-token";
import { createK3sPki } from "./pki";
import { k3sAgentStartupScript, k3sCaFiles, k3sServerStartupScript, k3sVersionMetadataKey } from "./startup";
import { k3sKubeletArgs } from "./kubelet";
import { clusterGcpProvider, gcpLabels } from "./provider";
import { machineTypeInZone } from "./zones";
import { createGcsModelReader, gcsModelReads } from "./model-reader";

export interface K3sClusterArgs {
  /** The cluster's validated spec. */
  spec: K3sClusterSpec;
  /** The whole platform: the other clusters' networks are HBONE peers. */
  platform: PlatformSpec;
  /** Pinned k3s release (infra/versions.ts `k3s`). */
  k3sVersion: string;
  /** NVIDIA driver branch (infra/versions.ts `nvidiaDriver`). */
  nvidiaDriverBranch: string;
  /** Labels on every GCP resource. */
  tags: Record<string, string>;
}

/**
 * Instance-template data of an agent node group: accelerators, scheduling, k3s agent labels and
 * taints. A catalogued GPU machine type makes GPU agents (tainted, NVIDIA driver); any other
 * machine type makes CPU agents, where the CPU workloads (pickers, gateways, agents, tools) run
 * besides the server.
 */
export function agentPlan(cluster: K3sClusterSpec, group: NodeGroupSpec) {
  const gpu = lookupGpuInstance(group.instanceType);
  if (gpu && !gpu.gcpAcceleratorType) throw new Error(`cluster '${cluster.name}': '${group.instanceType}' has no GCP accelerator in the GPU catalog`);
  const spot = { automaticRestart: false, preemptible: true, provisioningModel: "SPOT", instanceTerminationAction: "DELETE" };
  return {
    logicalName: `${cluster.name}-${group.name}`,
    machineType: group.instanceType,
    gpu: gpu !== undefined,
    // A whole NVSwitch board (a2-highgpu-8g, a3-highgpu-8g…): CUDA needs NVIDIA's fabric manager.
    fabricManager: gpu !== undefined && gceNeedsFabricManager(group.instanceType),
    guestAccelerators: gpu ? [{ type: gpu.gcpAcceleratorType!, count: gpu.gpusPerNode }] : [],
    // GPU VMs cannot live-migrate: they stop for host maintenance; spot VMs (which cannot migrate
    // either) are deleted and recreated by the group.
    scheduling: group.spot
      ? { onHostMaintenance: "TERMINATE", ...spot }
      : { onHostMaintenance: gpu ? "TERMINATE" : "MIGRATE", automaticRestart: true, preemptible: false, provisioningModel: "STANDARD" },
    nodeLabels: { [nodeGroupLabel]: group.name, ...(gpu ? gpuNodeLabels(gpu) : {}) } as Record<string, string>,
    nodeTaints: gpu ? [`${gpuTaint.key}=${gpuTaint.value}:${gpuTaint.effect}`] : [],
    // A GPU agent reserves what its vLLM replicas' pod budget leaves the system (host.ts).
    kubeletArgs: k3sKubeletArgs(gpu),
    targetSize: group.desiredSize,
    diskSizeGb: group.diskSizeGiB,
    diskType: gceBootDiskType(group.instanceType),
    // Seconds a replaced agent gets before the next is replaced: a GPU agent installs the NVIDIA
    // driver and reboots before k3s joins.
    minReadySec: gpu ? 900 : 240,
  };
}

export class K3sCluster extends pulumi.ComponentResource implements ClusterHandle {
  readonly spec: K3sClusterSpec;
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  readonly certificateAuthorityData: pulumi.Output<string>;
  readonly hasGpus: boolean;
  readonly readiness: pulumi.Resource[];
  readonly apiAddress: pulumi.Output<string>;
  /** Where this cluster's traffic to other networks comes from: the server's address and Cloud NAT's. */
  readonly egressIps: pulumi.Output<string[]>;
  private readonly network: gcp.compute.Network;
  private readonly onGcp: { parent: pulumi.Resource; provider: gcp.Provider };

  constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-mesh:cloud:K3sCluster", name, {}, opts);
    const spec = (this.spec = args.spec);
    const provider = clusterGcpProvider(name, { project: spec.project, region: spec.region, zone: spec.zone }, gcpLabels(args.tags), { parent: this });
    const onGcp = { parent: this, provider };
    // The scripts carry the join token and the cluster CA keys; the policy pack checks for this.
    const agentScriptStaysSecret = { additionalSecretOutputs: ["metadataStartupScript"] };

    const network = new gcp.compute.Network(`${name}-network`, { autoCreateSubnetworks: false, routingMode: "REGIONAL" }, onGcp);
    const subnet = new gcp.compute.Subnetwork(
      `${name}-subnet`,
      { network: network.id, region: spec.region, ipCidrRange: spec.subnetCidr, privateIpGoogleAccess: true },
      onGcp,
    );
    this.network = network;
    this.onGcp = onGcp;
    const firewalls = firewallRules(spec, args.platform.clusters, publicGatewayPorts(args.platform, spec.name)).map((rule) => this.firewall(rule, rule.sourceRanges));
    // Agents have no public address: they reach apt, NVIDIA, get.k3s.io and registries through
    // Cloud NAT, on a reserved address (not AUTO_ONLY) so that the other clusters' firewalls can
    // admit this cluster's ztunnels by it.
    const router = new gcp.compute.Router(`${name}-router`, { network: network.id, region: spec.region }, onGcp);
    const natAddress = new gcp.compute.Address(`${name}-nat-address`, { addressType: "EXTERNAL", region: spec.region }, onGcp);
    const nat = new gcp.compute.RouterNat(
      `${name}-nat`,
      {
        router: router.name,
        region: spec.region,
        natIpAllocateOption: "MANUAL_ONLY",
        natIps: [natAddress.selfLink],
        sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
      },
      onGcp,
    );

    const internalIp = serverInternalIp(spec);
    const internalAddress = new gcp.compute.Address(
      `${name}-server-internal-address`,
      { addressType: "INTERNAL", subnetwork: subnet.id, region: spec.region, address: internalIp },
      onGcp,
    );
    const apiAddress = new gcp.compute.Address(`${name}-api-address`, { addressType: "EXTERNAL", region: spec.region }, onGcp);
    this.apiAddress = apiAddress.address;
    // The server (istiod runs on it or on the agents) leaves by its own external address, the agents by NAT.
    this.egressIps = pulumi.all([apiAddress.address, natAddress.address]);

    const token = new random.RandomPassword(`${name}-k3s-token`, { length: 48, special: false }, { parent: this });
    const pki = createK3sPki(name, this);
    const caFiles = pulumi
      .all([pulumi.all(Object.fromEntries(Object.entries(pki.cas).map(([ca, p]) => [ca, pulumi.all({ certPem: p.certPem, keyPem: p.keyPem })]))), pki.serviceKeyPem])
      .apply(([cas, serviceKey]) => k3sCaFiles(cas as any, serviceKey));

    // The agents' token carries the hash of the server CA the server's script writes, so an agent
    // verifies the server before it sends the password (join-token.ts).
    const agentToken = pulumi.secret(pulumi.all([token.result, caFiles]).apply(([password, files]) => k3sAgentJoinToken(files, password)));
    const serverScript = pulumi.secret(
      pulumi.all([token.result, apiAddress.address, caFiles]).apply(([tokenValue, externalIp, files]) =>
        k3sServerStartupScript({ k3sVersion: args.k3sVersion, token: tokenValue, internalIp, externalIp, caFiles: files, nodeLabels: { [nodeGroupLabel]: "server" } }),
      ),
    );
    const image = spec.image;
    const server = new gcp.compute.Instance(
      `${name}-server`,
      {
        zone: spec.zone,
        // Only once the zone lists the type: the preview fails naming it instead (zones.ts).
        machineType: machineTypeInZone({ cluster: spec.name, zone: spec.zone, machineType: spec.serverMachineType }, provider),
        tags: [k3sNodeTag, k3sServerTag],
        bootDisk: { initializeParams: { image, size: 100, type: gceBootDiskType(spec.serverMachineType) } },
        networkInterfaces: [{ subnetwork: subnet.id, networkIp: internalIp, accessConfigs: [{ natIp: apiAddress.address }] }],
        // In `metadata`, not `metadataStartupScript`: a change to the latter (a k3s upgrade, a new
        // CA) recreates the VM, whose fixed addresses its replacement cannot take while it exists.
        // The script runs at every boot; a change applies at the next reboot, except the k3s
        // version, which the server's sync timer applies within minutes.
        metadata: { "block-project-ssh-keys": "true", "startup-script": serverScript, [k3sVersionMetadataKey]: args.k3sVersion },
        shieldedInstanceConfig: { enableSecureBoot: false, enableVtpm: true, enableIntegrityMonitoring: true },
        allowStoppingForUpdate: true,
      },
      // What still forces a replacement (a new image) must free the fixed internal and external
      // addresses first; the replacement starts a new k3s datastore from the same CAs and token.
      { ...onGcp, additionalSecretOutputs: ["metadata"], deleteBeforeReplace: true, dependsOn: [internalAddress, nat, ...firewalls] },
    );

    this.endpoint = pulumi.interpolate`https://${apiAddress.address}:${k3sApiPort}`;
    // Agents roll only once the server runs the pinned k3s (kubelets may not be newer than the API server).
    const serverVersion = new ServerVersionGate(
      `${name}-server-version`,
      { url: pulumi.interpolate`${this.endpoint}/version`, caPem: pki.cas.server.certPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem, version: args.k3sVersion },
      { parent: this, dependsOn: [server] },
    );

    const serverUrl = `https://${internalIp}:${k3sApiPort}`;
    const modelReads = gcsModelReads(args.platform, spec);
    const modelReader = createGcsModelReader(name, args.platform.environment, modelReads, onGcp);
    const groups = spec.nodeGroups.map((group) => {
      const plan = agentPlan(spec, group);
      const script = pulumi.secret(
        agentToken.apply((tokenValue) =>
          k3sAgentStartupScript({
            k3sVersion: args.k3sVersion,
            token: tokenValue,
            serverUrl,
            nodeLabels: plan.nodeLabels,
            nodeTaints: plan.nodeTaints,
            kubeletArgs: plan.kubeletArgs,
            nvidiaDriverBranch: plan.gpu ? args.nvidiaDriverBranch : undefined,
            fabricManager: plan.fabricManager,
          }),
        ),
      );
      const template = new gcp.compute.InstanceTemplate(
        `${plan.logicalName}-template`,
        {
          namePrefix: `${plan.logicalName}-`,
          machineType: machineTypeInZone({ cluster: spec.name, group: group.name, zone: spec.zone, machineType: plan.machineType }, provider),
          guestAccelerators: plan.guestAccelerators,
          scheduling: plan.scheduling,
          disks: [{ boot: true, autoDelete: true, sourceImage: image, diskSizeGb: plan.diskSizeGb, diskType: plan.diskType }],
          networkInterfaces: [{ subnetwork: subnet.id }],
          tags: [k3sNodeTag],
          metadataStartupScript: script,
          metadata: { "block-project-ssh-keys": "true" },
          // Only the VMs serving a gs:// model get an identity (model-reader.ts); the others have none.
          ...(modelReader && modelReads.nodeGroups.includes(group.name) ? { serviceAccount: modelReader.serviceAccount } : {}),
        },
        // A new template before the old one goes, so the group always points at an existing template.
        { ...onGcp, ...agentScriptStaysSecret, deleteBeforeReplace: false },
      );
      return new gcp.compute.InstanceGroupManager(
        plan.logicalName,
        {
          zone: spec.zone,
          baseInstanceName: plan.logicalName,
          versions: [{ name: "k3s-agent", instanceTemplate: template.selfLinkUnique }],
          targetSize: plan.targetSize,
          // GCE counts a VM available once it runs; a new agent needs its driver install, reboot
          // and k3s join first, so the next VM is replaced only after minReadySec.
          updatePolicy: { type: "PROACTIVE", minimalAction: "REPLACE", maxSurgeFixed: 0, maxUnavailableFixed: 1, replacementMethod: "RECREATE", minReadySec: plan.minReadySec },
          waitForInstances: false,
        },
        { ...onGcp, dependsOn: [server, serverVersion] },
      );
    });
    this.hasGpus = spec.nodeGroups.some((g) => lookupGpuInstance(g.instanceType) !== undefined);
    this.readiness = [server, ...groups, ...(modelReader?.grants ?? [])];

    this.certificateAuthorityData = pki.cas.server.certPem.apply((pem) => Buffer.from(pem).toString("base64"));
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.endpoint, pki.cas.server.certPem, pki.adminCertPem, pki.adminKeyPem])
        .apply(([server, serverCaPem, clientCertPem, clientKeyPem]) => certKubeconfig({ name, server, serverCaPem, clientCertPem, clientKeyPem })),
    );
    const apiReady = new ApiReady(
      `${name}-api-ready`,
      { url: pulumi.interpolate`${this.endpoint}/readyz`, serverId: server.instanceId, caPem: pki.cas.server.certPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem },
      { parent: this, dependsOn: [server] },
    );
    // Replaced exactly when the server VM is: a new server starts an empty datastore, and a new
    // provider recreates every object on it. Other kubeconfig changes (a renewed admin
    // certificate, unknown in that preview) update it in place instead of replacing the cluster's
    // whole contents.
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true, clusterIdentifier: server.instanceId },
      { parent: this, dependsOn: [apiReady], ...kubeconfigStaysSecret },
    );
    this.registerOutputs({ endpoint: this.endpoint, kubeconfig: this.kubeconfig, apiAddress: this.apiAddress, egressIps: this.egressIps });
  }

  /**
   * Admits the other clusters' egress addresses on the API and HBONE (`peerEgressRules`). Called
   * once every cluster exists, since k3s clusters admit each other.
   */
  admitPeers(peerEgressIps: pulumi.Output<string[]>): gcp.compute.Firewall[] {
    return peerEgressRules(this.spec).map((rule) => this.firewall(rule, peerEgressIps.apply(egressSourceRanges)));
  }

  /** An ingress rule of this cluster's network from a plan (`network.ts`). */
  private firewall(rule: Omit<FirewallRulePlan, "sourceRanges">, sourceRanges: pulumi.Input<string[]>): gcp.compute.Firewall {
    return new gcp.compute.Firewall(
      rule.logicalName,
      { network: this.network.id, direction: "INGRESS", description: rule.description, sourceRanges, allows: rule.allows, targetTags: rule.targetTags },
      this.onGcp,
    );
  }
}
