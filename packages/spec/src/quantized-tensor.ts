import type { QuantizationSpec } from './quantization-spec.js';

/**
 * A quantized tensor in the one form every lowbit package exchanges: produced by `@lowbit/kernels`, `ptq`,
 * `gptq` and `qat`, written to disk by `@lowbit/io-mlpackage`.
 *
 * Dequantization of element `i` in block `b`:
 * - zp formulation: `x = scales[b] * (code_i - (zeroPoints?.[b] ?? 0))` (float dtypes decode the code first);
 * - minval formulation: `x = scales[b] * (code_i - qmin) + minvals[b]`.
 */
export interface QuantizedTensor {
  /** Element dtype name (same as `spec.dtype`). */
  readonly dtype: string;
  /** Logical shape of the tensor, row-major. */
  readonly shape: readonly number[];
  /** Block size per dimension: elements that share one scale. `shape[i] % blockShape[i] === 0`. */
  readonly blockShape: readonly number[];
  /** The spec this tensor was quantized with, granularity axes resolved. */
  readonly spec: QuantizationSpec;
  /**
   * Element codes, row-major. Integer dtypes hold integer values, float dtypes bit patterns. Dtypes narrower
   * than 8 bits are packed LSB-first (element 0 in the low bits) into bytes, two's complement when signed.
   */
  readonly data: Int8Array | Uint8Array;
  /** One scale per block, row-major over `shape[i] / blockShape[i]`, already rounded to `spec.scaleDtype`. */
  readonly scales: Float32Array;
  /** Zero points (integer values in [qmin, qmax]) in the zp formulation whenever one is not 0 (asymmetric, unsigned symmetric). */
  readonly zeroPoints?: Int32Array;
  /** Minimum values when the spec uses the minval formulation. */
  readonly minvals?: Float32Array;
}
