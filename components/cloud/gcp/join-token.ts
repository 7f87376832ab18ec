/**
 * The join token the k3s agents use, in k3s's secure form `K10<CA hash>::<user>:<password>`. With
 * the bare password an agent takes whatever CA the server's /cacerts answers without verifying it
 * (k3s logs a warning saying so) and then sends the password to that server; with the hash it
 * refuses a CA that does not hash to it before sending anything (k3s pkg/clientaccess/token.go,
 * validateCAHash).
 *
 * The hash is known here because the CA is Pulumi's: /cacerts serves the bytes of the server's
 * tls/server-ca.crt as they are on disk (pkg/server/handlers CACerts), k3s keeps a server-ca.crt
 * that it finds beside its key (pkg/daemons/control/deps createSigningCertKey), and the server's
 * startup script writes that file with a heredoc before k3s first starts (startup.ts). k3s hashes
 * a bundle of one certificate as the SHA-256 of those literal bytes (hashCA), which is what the
 * heredoc leaves in the file (shell.ts writtenContent); a bundle of several certificates hashes
 * by its root's DER instead, so it is refused here rather than given a token no agent accepts.
 */
import { createHash } from "node:crypto";
import { writtenContent } from "./shell";
import type { TlsFile } from "./startup";

/** The file, relative to the server's TLS directory, whose bytes /cacerts serves. */
export const k3sServerCaPath = "server-ca.crt";

/**
 * The user an agent authenticates as: k3s agents replace the token's user with `node`
 * (clientaccess.WithUser), the user k3s gives the server token's password when no agent token is
 * set (deps.go genUsers).
 */
export const k3sAgentUser = "node";

/** The secure join token for the CA files the server's script writes and the cluster's password. */
export function k3sAgentJoinToken(caFiles: TlsFile[], password: string): string {
  const file = caFiles.find((f) => f.path === k3sServerCaPath);
  if (!file) throw new Error(`k3s join token: the server writes no ${k3sServerCaPath}, whose hash the token carries`);
  const certificates = (file.content.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
  if (certificates !== 1) {
    throw new Error(`k3s join token: ${k3sServerCaPath} holds ${certificates} certificates; k3s hashes the file's bytes only when it holds exactly one`);
  }
  if (password === "" || password.includes("\n")) throw new Error("k3s join token: the password must be one non-empty line");
  const hash = createHash("sha256").update(writtenContent(file.content), "utf8").digest("hex");
  return `K10${hash}::${k3sAgentUser}:${password}`;
}
