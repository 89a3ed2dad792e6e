/** How the float range is mapped onto the quantized grid. */
export type QScheme = 'symmetric' | 'symmetric_with_clipping' | 'asymmetric';

/**
 * How the offset is expressed. `zp`: `q = clamp(round(x / s) + zp)`, `x' = s (q - zp)`.
 * `minval`: `q = clamp(round((x - minval) / s) + qmin)`, `x' = s (q - qmin) + minval`.
 */
export type QFormulation = 'zp' | 'minval';

/** One set of quantization parameters for the whole tensor. */
export interface PerTensorGranularity {
  readonly type: 'per_tensor';
}

/** One set of quantization parameters per index of `axis` (default: chosen from the op kind). */
export interface PerChannelGranularity {
  readonly type: 'per_channel';
  readonly axis?: number;
}

/**
 * One set of quantization parameters per block. A number `blockSize` blocks along `axis` (default: the op
 * kind's input axis) and keeps the channel axis per-index; an array gives one block size per dimension.
 * A block size of 0 means the whole dimension.
 */
export interface PerBlockGranularity {
  readonly type: 'per_block';
  readonly axis?: number;
  readonly blockSize: number | readonly number[];
}

/** Which elements share quantization parameters. */
export type Granularity = PerTensorGranularity | PerChannelGranularity | PerBlockGranularity;

/** The number formats scales may be stored in. `float8_e8m0fnu` gives MX-style power-of-two scales. */
export type ScaleDType = 'float32' | 'float16' | 'float8_e8m0fnu' | 'float8_e4m3fn';

/**
 * A quantization spec: plain, versioned, JSON-able data that says how one tensor is quantized.
 *
 * @example
 * ```ts
 * const w4: QuantizationSpec = {
 *   version: 1, dtype: 'int4', qscheme: 'symmetric', qformulation: 'zp',
 *   granularity: { type: 'per_block', blockSize: 32 },
 * };
 * ```
 */
export interface QuantizationSpec {
  /** Format version of this document; always 1 today. */
  readonly version: 1;
  /** Element dtype, by registered name (`int8`, `int4`, `float8_e4m3fn`...). */
  readonly dtype: string;
  /** Range mapping. Float dtypes accept only `symmetric`. */
  readonly qscheme: QScheme;
  /** Offset formulation. Float dtypes accept only `zp`. */
  readonly qformulation: QFormulation;
  /** Which elements share parameters. */
  readonly granularity: Granularity;
  /** Storage format of the scales. @defaultValue `'float32'` */
  readonly scaleDtype?: ScaleDType;
  /** A pinned float range `[min, max]`; `null` leaves that end to be observed. min <= 0 <= max. */
  readonly floatRange?: readonly [number | null, number | null];
}
