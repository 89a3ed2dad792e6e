import type { DType } from './dtype.js';
import { createDTypeRegistry, type DTypeRegistry } from './dtype-registry.js';
import { float4E2M1FN } from './formats/float4.js';
import { float6E2M3FN, float6E3M2FN } from './formats/float6.js';
import { float8E4M3FN, float8E5M2, float8E8M0FNU } from './formats/float8.js';
import { bfloat16, float16, float32 } from './formats/ieee.js';
import { int2, int4, int8, uint2, uint4, uint8 } from './formats/integers.js';

/**
 * Every dtype lowbit ships, in a fixed order: integers, FP8, FP6, FP4, the E8M0 scale format, float16, bfloat16
 * and float32. A frozen list; nothing is registered anywhere at import time.
 */
export const BUILTIN_DTYPES: readonly DType[] = Object.freeze([
  int2,
  uint2,
  int4,
  uint4,
  int8,
  uint8,
  float8E4M3FN,
  float8E5M2,
  float6E2M3FN,
  float6E3M2FN,
  float4E2M1FN,
  float8E8M0FNU,
  float16,
  bfloat16,
  float32,
]);

/** The registry of {@link BUILTIN_DTYPES}, used by {@link getDType} when no registry is passed. */
export const defaultDTypeRegistry: DTypeRegistry = /* @__PURE__ */ createDTypeRegistry(BUILTIN_DTYPES);
