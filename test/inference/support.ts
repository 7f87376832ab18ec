/** Helpers shared by the inference-*.test.ts tests (pure cores, no render). */
import { parsePlatform, PlatformSpec } from "../../infra/config";
import { shippedPlatform } from "../support/render";

export const spec = (stack: "local" | "dev" | "prod"): PlatformSpec => parsePlatform(shippedPlatform(stack), stack);

export const model = (s: PlatformSpec, name: string) => s.models.find((m) => m.name === name)!;
