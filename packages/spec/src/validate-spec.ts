import type { DTypeRegistry } from '@lowbit/dtypes';
import { newContext, readSpec } from './_internal/spec-reader.js';
import { throwIssues } from './_internal/throw-issues.js';
import type { QuantizationSpec } from './quantization-spec.js';

/**
 * Checks that a value is a complete, canonical {@link QuantizationSpec} whose fields agree with each other.
 * Shape-dependent checks (axis range, block divisibility) happen in `resolveBlockShape`.
 *
 * Rules: `version` is 1; `dtype` is registered and can hold elements (not `float8_e8m0fnu`); float dtypes take
 * only `qscheme: 'symmetric'` and `qformulation: 'zp'`; integer dtypes take `scaleDtype` `float32` or
 * `float16` only (coreai-opt: scale_dtype must be None for integers); `floatRange` is `[min, max]` with
 * min <= 0 <= max and min < max; granularity fields are well-formed (integer axis, positive integer block size
 * or an array of non-negative integers without an axis). No unknown fields.
 *
 * @throws QuantError `SPEC_INVALID` (a field's value) or `SPEC_UNSUPPORTED_COMBINATION` (fields that disagree).
 * The message names the field, what was given and what would be valid; `details.issues` lists every problem.
 */
export function validateSpec(spec: QuantizationSpec, registry?: DTypeRegistry): QuantizationSpec {
  const ctx = newContext(false, registry);
  const checked = readSpec(spec, '', ctx);
  if (checked === undefined || ctx.issues.length > 0) throwIssues('validateSpec', ctx.issues);
  return spec;
}
