/** Helpers of the config schema tests (test/config/schema-*.test.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { problemsOf } from "../support/config";
import { shippedPlatform } from "../support/render";

/** A broken config and the problem it must be rejected with. `stack`: the shipped stack the case mutates (prod unless given). */
export type RejectCase = { name: string; mutate: (p: any) => void; path: string; message: RegExp; stack?: "prod" | "local" };

export function expectProblem(platform: unknown, path: string, fragment: RegExp): void {
  const problems = problemsOf(platform);
  const hit = problems.find((p) => p.startsWith(`${path}:`) && fragment.test(p));
  assert.ok(hit, `no problem at ${path} matching ${fragment}; got:\n${problems.join("\n")}`);
}

/** The config paths of a rejected config's problems, `inference-mesh:platform.` left out. */
export const pathsOf = (platform: unknown) => problemsOf(platform).map((l) => l.slice("inference-mesh:platform.".length).split(": ")[0]);

/** One test per case: the shipped stack, mutated, is rejected with the case's problem at its path. */
export function testRejections(cases: RejectCase[]): void {
  for (const c of cases) {
    test(`rejects ${c.name}, naming ${c.path}`, () => {
      const p = shippedPlatform(c.stack ?? "prod");
      c.mutate(p);
      expectProblem(p, c.path, c.message);
    });
  }
}

/** A mutation of the shipped prod stack, the config path it must be refused at and the problem's text. */
export type Rejection = [mutate: (p: any) => void, path: string, message: RegExp];

/** Within one test: prod, mutated by each case in turn, is refused at the case's path. */
export function expectEachRejected(cases: Rejection[]): void {
  for (const [mutate, at, message] of cases) {
    const p = shippedPlatform("prod");
    mutate(p);
    expectProblem(p, `inference-mesh:platform.${at}`, message);
  }
}
