/**
 * GCP cluster configs a render used to accept although a real `pulumi up` fails on them (the
 * boot image's distribution and architecture, the zones of each region): each is refused naming
 * its config path and what is allowed. The other cluster and version sweeps: sweep-clusters.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePlatform } from "../../infra/config";
import { problemsOf } from "../support/config";
import { pathsOf } from "./support";
import { shippedPlatform } from "../support/render";
import { gcpRegions, zonesOf } from "../../infra/regions";

test("a GCP cluster with GPU agents refuses another distribution's public image; a CPU-only one or a custom image passes", () => {
  const p = shippedPlatform("prod");
  p.clusters[2].image = "debian-cloud/debian-12";
  const problems = problemsOf(p);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^inference-mesh:platform\.clusters\[2\]\.image: 'debian-cloud\/debian-12' is from debian-cloud, not Ubuntu; .*apt and ubuntu-drivers.*ubuntu-os-cloud\/ubuntu-2204-lts/);
  const full = shippedPlatform("prod");
  full.clusters[2].image = "projects/rocky-linux-cloud/global/images/family/rocky-linux-9";
  assert.match(problemsOf(full)[0], /clusters\[2\]\.image: .* is from rocky-linux-cloud, not Ubuntu/);
  const bare = shippedPlatform("prod");
  bare.clusters[2].image = "debian-12";
  assert.match(problemsOf(bare)[0], /clusters\[2\]\.image: 'debian-12' is from debian-cloud, not Ubuntu \(a bare name the provider looks up in debian-cloud/);
  const bareUbuntu = shippedPlatform("prod");
  bareUbuntu.clusters[2].image = "ubuntu-2204-lts";
  assert.doesNotThrow(() => parsePlatform(bareUbuntu, "prod"));
  const cpuOnly = shippedPlatform("prod");
  cpuOnly.clusters[2].image = "debian-cloud/debian-12";
  cpuOnly.clusters[2].nodeGroups = cpuOnly.clusters[2].nodeGroups.filter((g: { name: string }) => g.name === "cpu");
  for (const m of cpuOnly.models) m.clusters = m.clusters.filter((c: string) => c !== "gcp-usc1");
  assert.doesNotThrow(() => parsePlatform(cpuOnly, "prod"));
  const custom = shippedPlatform("prod");
  custom.clusters[2].image = "my-images/ubuntu-2204-gpu-golden";
  assert.doesNotThrow(() => parsePlatform(custom, "prod"));
  const ubuntu24 = shippedPlatform("prod");
  ubuntu24.clusters[2].image = "ubuntu-os-cloud/ubuntu-2404-lts-amd64";
  assert.doesNotThrow(() => parsePlatform(ubuntu24, "prod"));
});


test("every zone of every GCP region in infra/regions.ts is taken, two-digit regions (europe-west10, europe-west12) included", () => {
  // The zone's shape once allowed a one-digit region only, refusing europe-west10-a as "not a GCP zone".
  for (const region of gcpRegions) {
    for (const zone of zonesOf(region)) {
      const p = shippedPlatform("prod");
      Object.assign(p.clusters[2], { region, zone });
      assert.doesNotThrow(() => parsePlatform(p, "prod"), zone);
    }
  }
  const p = shippedPlatform("prod");
  Object.assign(p.clusters[2], { region: "europe-west10", zone: "europe-west10-d" });
  assert.deepEqual(problemsOf(p), [
    "inference-mesh:platform.clusters[2].zone: 'europe-west10-d' is not a zone of europe-west10; its zones are europe-west10-a, europe-west10-b, europe-west10-c (the table is infra/regions.ts)",
  ]);
  Object.assign(p.clusters[2], { zone: "Europe-west10-a" });
  assert.deepEqual(pathsOf(p), ["clusters[2].zone"]);
});

test("a GCP image in the other forms the Google provider resolves (a self link, global/images/…, family/…) is taken; another distribution's self link is still refused", () => {
  for (const image of [
    "https://www.googleapis.com/compute/v1/projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64",
    "https://www.googleapis.com/compute/beta/projects/my-project/global/images/ubuntu-2204-gpu-golden",
    "global/images/ubuntu-2204-gpu-golden",
    "global/images/family/ubuntu-gpu",
    "family/ubuntu-gpu",
  ]) {
    const p = shippedPlatform("prod");
    p.clusters[2].image = image;
    assert.doesNotThrow(() => parsePlatform(p, "prod"), image);
  }
  const debian = shippedPlatform("prod");
  debian.clusters[2].image = "https://www.googleapis.com/compute/v1/projects/debian-cloud/global/images/family/debian-12";
  const problems = problemsOf(debian);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^inference-mesh:platform\.clusters\[2\]\.image: '.*' is from debian-cloud, not Ubuntu/);
  const broken = shippedPlatform("prod");
  broken.clusters[2].image = "https://example.com/projects/x/global/images/y";
  assert.match(problemsOf(broken)[0], /clusters\[2\]\.image: '.*' is not a GCE image \(.*its https:\/\/www\.googleapis\.com\/compute\/v1\/… self link/);
});

test("a GCP image whose name says Arm (…-arm64) is refused: the server and node groups are x86_64, and GCE boots no Arm disk on them", () => {
  for (const image of ["ubuntu-os-cloud/ubuntu-2404-lts-arm64", "projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts-arm64", "ubuntu-os-accelerator-images/ubuntu-accelerator-2404-arm64-with-nvidia-570"]) {
    const p = shippedPlatform("prod");
    p.clusters[2].image = image;
    const problems = problemsOf(p);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0], /^inference-mesh:platform\.clusters\[2\]\.image: '.*' is an Arm \(arm64\) image by its name, but the k3s server and node groups run x86_64 machine types .*use an x86_64 image, such as ubuntu-os-cloud\/ubuntu-2204-lts/, image);
  }
  // A CPU-only cluster too: the server boots it as well.
  const cpuOnly = shippedPlatform("prod");
  cpuOnly.clusters[2].image = "ubuntu-os-cloud/ubuntu-2404-lts-arm64";
  cpuOnly.clusters[2].nodeGroups = cpuOnly.clusters[2].nodeGroups.filter((g: { name: string }) => g.name === "cpu");
  for (const m of cpuOnly.models) m.clusters = m.clusters.filter((c: string) => c !== "gcp-usc1");
  assert.match(problemsOf(cpuOnly).join("\n"), /clusters\[2\]\.image: 'ubuntu-os-cloud\/ubuntu-2404-lts-arm64' is an Arm \(arm64\) image/);
  // Names that only contain the letters are not Arm.
  const amd = shippedPlatform("prod");
  amd.clusters[2].image = "my-images/farm64box-ubuntu";
  assert.doesNotThrow(() => parsePlatform(amd, "prod"));
});
