import type { QuantizationSpec } from '@lowbit/spec';
import { rne } from './_internal/round.js';
import { specContext } from './_internal/spec-context.js';
import type { DTypeLookup } from './dequantize.js';
import { assertByteCodes } from './quantize.js';

/**
 * Quantizes single elements with known parameters, for algorithms that work element by element (GPTQ, QAT).
 * Results are identical to what {@link quantize} and {@link dequantize} produce for the same parameters.
 */
export interface ElementQuantizer {
  /** Smallest code value (integer dtypes) or most negative representable value (float dtypes). */
  readonly qmin: number;
  /** Largest code value (integer dtypes) or largest finite value (float dtypes). */
  readonly qmax: number;
  /**
   * Code of `x` for a block with `scale` and `offset` (the zero point in the zp formulation, the minval in the
   * minval formulation; ignored for float dtypes). Integer codes are values, float codes bit patterns.
   */
  quantize(x: number, scale: number, offset: number): number;
  /** Float32 value of `code` for a block with `scale` and `offset`. */
  dequantize(code: number, scale: number, offset: number): number;
}

/**
 * Creates an {@link ElementQuantizer} for a spec.
 * @example
 * ```ts
 * const eq = createElementQuantizer(spec);
 * const code = eq.quantize(0.37, 0.05, 0); // 7
 * eq.dequantize(code, 0.05, 0);          // 0.35000000521540645 (float32 of 0.35)
 * ```
 */
export function createElementQuantizer(spec: QuantizationSpec, options: DTypeLookup = {}): ElementQuantizer {
  const ctx = specContext(spec, 'createElementQuantizer', options.registry);
  assertByteCodes(ctx, 'createElementQuantizer');
  const { qmin, qmax, dtype } = ctx;
  if (ctx.isFloat) {
    return {
      qmin,
      qmax,
      quantize: (x, scale) => dtype.encode(Math.fround(x / scale)),
      dequantize: (code, scale) => Math.fround(dtype.decode(code) * scale),
    };
  }
  if (ctx.minval) {
    return {
      qmin,
      qmax,
      quantize: (x, scale, minval) => {
        const v = (x - minval) / scale;
        return rne(Math.min(qmax - qmin, Math.max(0, v))) + qmin;
      },
      dequantize: (code, scale, minval) => Math.fround(scale * (code - qmin) + minval),
    };
  }
  return {
    qmin,
    qmax,
    quantize: (x, scale, zeroPoint) => {
      const v = x / scale;
      return rne(Math.min(qmax - zeroPoint, Math.max(qmin - zeroPoint, v))) + zeroPoint;
    },
    dequantize: (code, scale, zeroPoint) => Math.fround((code - zeroPoint) * scale),
  };
}
