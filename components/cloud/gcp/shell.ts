/**
 * Shell building blocks of the k3s VMs' startup scripts (startup.ts, nvidia.ts): files written by
 * heredoc, and retries of the steps that reach the network or take apt's locks. Pure.
 */

/**
 * What {@link writeFile} leaves in the file: a heredoc ends every line it writes with a newline, so
 * content without a final one gains it. What a reader of the file hashes (the k3s join token).
 */
export const writtenContent = (content: string): string => (content.endsWith("\n") ? content : `${content}\n`);

/** A heredoc whose delimiter cannot occur in the content. */
export function writeFile(path: string, content: string, mode: string): string {
  let delimiter = "IM_EOF";
  while (content.split("\n").includes(delimiter)) delimiter += "_";
  const body = writtenContent(content);
  return `install -m ${mode} /dev/null ${path}\ncat > ${path} <<'${delimiter}'\n${body}${delimiter}`;
}

/** Tries of a download or apt step before the boot fails, and seconds between them. */
export const retryAttempts = 10;
export const retryDelaySeconds = 30;

/**
 * `retry CMD…`: GCE runs the script once a boot and nothing watches the VM, so a step failing
 * for a passing reason (get.k3s.io, GitHub or a mirror out of reach for a moment, or an apt lock
 * that DPkg::Lock::Timeout does not cover) would leave the VM without k3s until someone reboots it.
 */
export const retryFunction = `retry() {
  local attempt
  for attempt in $(seq ${retryAttempts - 1}); do
    "$@" && return 0
    echo "attempt $attempt of '$*' failed; retrying in ${retryDelaySeconds} s" >&2
    sleep ${retryDelaySeconds}
  done
  "$@"
}`;

/** A pipeline run by `retry`: in a shell of its own with pipefail, so a failed download fails the try. */
export function retried(pipeline: string): string {
  // The pipeline sits in double quotes: what the outer shell would expand there is refused.
  if (/["$`\\]/.test(pipeline)) throw new Error(`retried(): '${pipeline}' holds a character the outer shell would expand`);
  return `retry bash -o pipefail -c "${pipeline}"`;
}
