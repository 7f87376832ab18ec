import * as path from "node:path";

/**
 * A path as the caller meant it: npm runs scripts from the package root, and INIT_CWD is the
 * directory `npm run` was called from.
 */
export function fromCaller(p: string): string;
export function fromCaller(p: string | undefined): string | undefined;
export function fromCaller(p: string | undefined): string | undefined {
  return p && path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
}
