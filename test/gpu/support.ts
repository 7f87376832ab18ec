/** Helpers of the model-fit tests (fit.test.ts, node-disk.test.ts). */
import { FitModel } from "../../components/gpu/fit";

/** An 8B bf16 model on one GPU, with the fields a case changes. */
export const model = (over: Partial<FitModel> = {}): FitModel => ({
  name: "m",
  parametersBillions: 8,
  dtype: "bfloat16",
  gpusPerReplica: 1,
  gpuMemoryUtilization: 0.9,
  maxModelLen: 8192,
  ...over,
});

export const group = (instanceType: string, desiredSize = 2, name = "g") => ({ cluster: "c", name, instanceType, desiredSize });

export const opts = { minKvCacheFraction: 0.1 };
