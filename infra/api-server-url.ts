/**
 * An existing cluster's API server URL (`clusters[].apiServer`, or its kubeconfig's server): what
 * the other clusters' istiod get in their remote secret for it, and the stack output `endpoint`.
 */

/**
 * Why an `apiServer` URL cannot be the one the other clusters reach this API server at. A
 * `user:password@` is kept in plaintext in the stack config and the `clusters[].endpoint` output,
 * and buys nothing: Kubernetes removed basic authentication in 1.19, and the remote secret
 * authenticates with its own token. Port 0 is no port to dial.
 */
export function apiServerUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined; // the schema's URL rule reports it
  }
  if (url.username || url.password) {
    return "must not carry credentials (user:password@): it is kept in plaintext in the stack config and the clusters[].endpoint output, and Kubernetes has had no basic authentication since 1.19 (the remote secrets authenticate with a token); give the URL alone, such as https://k3s.example.internal:6443";
  }
  if (url.port === "0") return "has port 0; an API server URL's port is 1 to 65535 (443 when left out)";
  // client-go keeps only the URL's path, as a proxy prefix (rest.DefaultServerURL), and every
  // request replaces the query with its own (rest.Request.URL sets RawQuery from its params): a
  // query would be dropped without a word, and a fragment never leaves the client.
  if (/[?#]/.test(text)) {
    return "must not have a query string or fragment ('?…' or '#…'): a Kubernetes client (client-go's rest config Host) keeps only scheme, host, port and an optional path prefix, and drops the rest; give the URL alone, such as https://k3s.example.internal:6443";
  }
  return undefined;
}

/**
 * One spelling of an API server URL, so that two clusters naming one server differently are seen
 * as one: the host in lower case without a trailing dot (`K3S.lan.` is `k3s.lan`), the default
 * port of the scheme left out (URL drops it), an empty path for `/` (client-go reads only a longer
 * path, as a proxy prefix), and a kubeconfig's bare `host:port` read as https, as client-go reads
 * it (rest.DefaultServerURL). Text that is no URL stays as written.
 */
export function apiServerKey(text: string): string {
  const url = parseApiServerUrl(text);
  if (!url) return text;
  const host = url.hostname.replace(/\.$/, "");
  const port = url.port ? `:${url.port}` : "";
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${host}${port}${path}`;
}

/** An API server URL as client-go reads it: a bare `host:port` (a kubeconfig may hold one) is https. */
export function parseApiServerUrl(text: string): URL | undefined {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    return undefined;
  }
}
