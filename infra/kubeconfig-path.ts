/**
 * An existing cluster's `kubeconfig`: the path the Kubernetes provider reads at deploy time. The
 * provider gets it as written (components/cloud/existing.ts: an expanded path would differ per
 * operator and fail DiffConfig where it is missing), so only the forms that name one file wherever
 * Pulumi runs are taken.
 */
import * as path from "node:path";
import { z } from "zod";

/**
 * Absolute, `~` or `~/…`. pulumi-kubernetes expands only `~` and `~/` (parseKubeconfigString); a
 * path it cannot stat is parsed as kubeconfig text, failing the preview. Under `pulumi up` the
 * provider and the program run in infra/ (Pulumi.yaml's main: the CLI's getPwdMain), the offline
 * render in whatever directory it is started from, so a relative path would be checked against one
 * file and deployed with another.
 */
export const kubeconfigPath = z
  .string()
  .min(1)
  // A line break or tab (a quoted YAML value keeps a trailing one) names a file nobody has: the
  // check here would skip it as not on this machine, and pulumi up would read it as kubeconfig text.
  .refine((p) => !/[\u0000-\u001f\u007f]/.test(p), { message: "must not contain control characters (line breaks, tabs): a kubeconfig path such as ~/.kube/config holds none", abort: true })
  .refine((p) => path.isAbsolute(p) || p === "~" || p.startsWith("~/"), {
    error: (issue) => {
      const given = String(issue.input);
      const why = given.startsWith("~")
        ? "pulumi-kubernetes expands only ~/ (the home directory of whoever runs Pulumi), not ~user/; write that user's home directory out"
        : "pulumi up reads a relative path from infra/ (the program's and the Kubernetes provider's working directory), the offline render from the directory it is started in";
      return `must be an absolute path or start with ~/ (such as ~/.kube/config), not '${given}': ${why}`;
    },
  });
