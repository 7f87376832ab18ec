/**
 * GCE boot images as the Google provider reads them, for config validation: the shapes it takes,
 * and which public project (which distribution) an image comes from.
 */

/**
 * A GCE image in a form the Google provider resolves (terraform-provider-google ResolveImage,
 * services/compute/image.go): `[project/]family-or-image`, `projects/<p>/global/images/[family/]<name>`,
 * that path as its self link (`https://www.googleapis.com/compute/v1/projects/…`, what
 * `gcloud compute images describe` prints), or `global/images/[family/]<name>` and
 * `family/<name>` in the cluster's own project.
 */
const GCE_IMAGE =
  /^([a-z][-a-z0-9]*[a-z0-9]\/)?[a-z][-a-z0-9]*[a-z0-9]$|^(https:\/\/www\.googleapis\.com\/compute\/[a-z0-9]+\/)?projects\/[^/\s]+\/global\/images\/(family\/)?[a-z][-a-z0-9]*$|^(global\/images\/(family\/)?|family\/)[a-z][-a-z0-9]*$/;

export const isGceImage = (image: string) => GCE_IMAGE.test(image);

/** The longest GCE image or image family name: RFC 1035 labels of 1 to 63 characters (the Compute API's Image.name and family). */
export const GCE_IMAGE_NAME_MAX = 63;

/** Why the image or family an image reference names is longer than GCE allows, or undefined. */
export function gceImageNameProblem(image: string): string | undefined {
  const name = image.split("/").pop() ?? "";
  if (name.length <= GCE_IMAGE_NAME_MAX) return undefined;
  return `names an image or family of ${name.length} characters; GCE image and family names are at most ${GCE_IMAGE_NAME_MAX} (RFC 1035), so no such image exists`;
}

/** GCE public image projects of distributions other than Ubuntu (an image elsewhere may be anything, and is taken as is). */
const nonUbuntuImageProjects = new Set([
  "debian-cloud", "cos-cloud", "centos-cloud", "rhel-cloud", "rhel-sap-cloud", "rocky-linux-cloud", "almalinux-cloud",
  "oracle-linux-cloud", "suse-cloud", "suse-sap-cloud", "opensuse-cloud", "fedora-coreos-cloud", "fedora-cloud", "windows-cloud", "windows-sql-cloud",
]);

/**
 * The public project the Google provider looks a bare image or family name up in when the stack's
 * own project has none of that name: the first distribution it names (terraform-provider-google
 * compute image helpers, ImageMap: `debian-12` → debian-cloud).
 */
function bareImageProject(name: string): string | undefined {
  if (name.includes("ubuntu")) return "ubuntu-os-cloud";
  const map: [string, string][] = [
    ["windows-sql", "windows-sql-cloud"], ["rocky-linux", "rocky-linux-cloud"], ["centos", "centos-cloud"], ["coreos", "coreos-cloud"],
    ["debian", "debian-cloud"], ["opensuse", "opensuse-cloud"], ["rhel", "rhel-cloud"], ["sles", "suse-cloud"], ["windows", "windows-cloud"],
  ];
  return map.find(([key]) => name.includes(key))?.[1];
}

/**
 * Why a GCP cluster's GPU agents cannot boot with this image: another distribution's public image
 * lacks the apt and ubuntu-drivers the agents install the NVIDIA driver with
 * (components/cloud/gcp/startup.ts), so they would boot without GPUs. Images of other projects
 * (custom or golden images) are taken as they are.
 */
export function nonUbuntuImageProblem(image: string): string | undefined {
  if (!isGceImage(image)) return undefined;
  const bare = !image.includes("/");
  // `global/images/…` and `family/…` are the cluster's own project: taken as they are.
  if (/^(global|family)\//.test(image)) return undefined;
  const project = /(?:^|\/)projects\/([^/]+)\//.exec(image)?.[1] ?? (bare ? bareImageProject(image) : image.split("/")[0]);
  if (!project || !nonUbuntuImageProjects.has(project)) return undefined;
  const where = bare ? ` (a bare name the provider looks up in ${project} unless your project has an image of that name: write <project>/<name> for your own)` : "";
  return `'${image}' is from ${project}, not Ubuntu${where}; the GPU agents install the NVIDIA driver with apt and ubuntu-drivers, so use an Ubuntu image such as ubuntu-os-cloud/ubuntu-2204-lts`;
}

/**
 * Why a GCP cluster cannot boot this image: its name says Arm (`ubuntu-2404-lts-arm64`,
 * `debian-12-arm64`, as the public projects name their Arm images and families), while the k3s
 * server and every node group run x86_64 machine types (Arm series are refused), and GCE refuses
 * to create an instance whose boot disk's architecture is not its machine type's ("Requested boot
 * disk architecture (ARM64) is not compatible with machine type architecture (X86_64)").
 */
export function armImageProblem(image: string): string | undefined {
  const name = image.split("/").pop() ?? image;
  if (!/(^|-)(arm64|aarch64)(-|$)/.test(name)) return undefined;
  return (
    `'${image}' is an Arm (arm64) image by its name, but the k3s server and node groups run x86_64 machine types (Arm series are refused), ` +
    `and GCE refuses to boot an Arm disk on an x86_64 machine type (the instance create fails: requested boot disk architecture not compatible with the machine type's); use an x86_64 image, such as ubuntu-os-cloud/ubuntu-2204-lts or ubuntu-os-cloud/ubuntu-2404-lts-amd64`
  );
}
