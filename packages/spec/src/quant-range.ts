import { getDType } from '@lowbit/dtypes';
import type { DTypeRegistry } from '@lowbit/dtypes';
import type { QuantizationSpec } from './quantization-spec.js';
import { validateSpec } from './validate-spec.js';

/** The closed range `[qmin, qmax]` codes (or, for float dtypes, scaled values) are clamped to. */
export interface QuantRange {
  readonly qmin: number;
  readonly qmax: number;
}

/**
 * The quantized range of a spec, exactly as the reference implementations use it. `amax = max(|min|, |max|)`
 * over a block; `min`, `max` are first extended to include 0.
 *
 * | dtype, qscheme | range | scale `s` | zero point `zp` |
 * |---|---|---|---|
 * | signed int, `symmetric` | full: int8 [-128, 127], int4 [-8, 7] | `amax / ((qmax - qmin) / 2)`: int8 amax/127.5, int4 amax/7.5 | 0 |
 * | unsigned int, `symmetric` | full: uint8 [0, 255] | `amax / ((qmax - qmin) / 2)`: uint8 amax/127.5 | `floor((qmax + qmin + 1) / 2)`: uint8 128, uint4 8 |
 * | signed int, `symmetric_with_clipping` | qmin + 1: int8 [-127, 127], int4 [-7, 7] | `amax / qmax`: int8 amax/127 | 0 |
 * | unsigned int, `symmetric_with_clipping` | qmax - 1: uint8 [0, 254], uint4 [0, 14] | `amax / (qmax / 2)`: uint8 amax/127 | `qmax / 2`: uint8 127, uint4 7 |
 * | int, `asymmetric` | full | `(max - min) / (qmax - qmin)` | `qmin - round(min / s)`, clamped to the range |
 * | float (`symmetric` only) | `[-maxFinite, maxFinite]`: e4m3fn ±448, e5m2 ±57344, e2m1fn ±6 | `amax / maxFinite` | none |
 *
 * The first symmetric row is torchao / coreai-opt's `SYMMETRIC` (+amax lands on 127.5 and clips to 127); the
 * clipping rows are coremltools' `linear_symmetric`. In the `minval` formulation the range is the same and
 * `minval` replaces the zero point: `q = clamp(round((x - minval) / s) + qmin)`.
 *
 * @throws QuantError from {@link validateSpec} when the spec is invalid.
 */
export function quantRange(spec: QuantizationSpec, registry?: DTypeRegistry): QuantRange {
  validateSpec(spec, registry);
  const dtype = getDType(spec.dtype, registry);
  if (dtype.kind === 'float') return { qmin: -dtype.maxFinite, qmax: dtype.maxFinite };
  if (spec.qscheme === 'symmetric_with_clipping') {
    return dtype.signed ? { qmin: dtype.qmin + 1, qmax: dtype.qmax } : { qmin: dtype.qmin, qmax: dtype.qmax - 1 };
  }
  return { qmin: dtype.qmin, qmax: dtype.qmax };
}
