/**
 * Whether the k3s cluster's zone offers a VM's machine type, asked of Compute Engine at deploy
 * time (machineTypes.list in the zone: it lists only the types available there).
 *
 * GPU machine types are offered in a few zones each (the A2 Ultra / A100 80 GB types in some
 * zones of some regions, none in others), which zones changing as Google adds capacity, so no
 * table here can say it. Without this, a zone lacking a GPU type still takes its instance template
 * (templates are global) and its managed instance group (created without waiting for instances):
 * `pulumi up` goes on, the group's VMs fail to be created in the background, and the update ends
 * much later with model server Deployments that never become ready. The server VM would fail at
 * creation, after the network and firewall exist. Checked at preview instead, naming the group.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

/** A VM's place, for messages: the node group, or the server when `group` is absent. */
export interface MachinePlace {
  cluster: string;
  group?: string;
  zone: string;
  machineType: string;
}

/** machineTypes.list arguments: the zone's machine types of that one name. */
export function machineTypesQuery(zone: string, machineType: string): gcp.compute.GetMachineTypesArgs {
  return { zone, filter: `name = "${machineType}"` };
}

/** Why the zone cannot run the VM (its machine type is not listed there), or undefined. */
export function zoneMachineTypeProblem(place: MachinePlace, listed: string[]): string | undefined {
  if (listed.includes(place.machineType)) return undefined;
  const what = place.group ? `node group '${place.group}'` : "k3s server (serverMachineType)";
  return (
    `cluster '${place.cluster}' ${what}: zone ${place.zone} does not offer ${place.machineType} (Compute Engine machineTypes.list), ` +
    `so ${place.group ? "its instance group could create no VM" : "the server VM cannot be created"}: use a zone that offers it (clusters[].zone) or another machine type`
  );
}

/**
 * The machine type, once Compute Engine lists it in the zone: an input for the VM or template, so
 * the preview fails naming the place instead of the update failing later.
 */
export function machineTypeInZone(place: MachinePlace, provider: gcp.Provider): pulumi.Output<string> {
  return gcp.compute.getMachineTypesOutput(machineTypesQuery(place.zone, place.machineType), { provider }).machineTypes.apply((types) => {
    const problem = zoneMachineTypeProblem(place, types.map((t) => t.name));
    if (problem) throw new Error(problem);
    return place.machineType;
  });
}
