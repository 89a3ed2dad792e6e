import type { BlockRange, NonFinitePolicy, QParams, QuantizeOptions, Tensor } from '@lowbit/kernels';
import type { QuantizationSpec, QuantizedTensor } from '@lowbit/spec';

/**
 * 4-bit weights for {@link KernelBackend.matmulW4}: `n` output rows of `k` inputs, row-major `[n, k]`, packed
 * LSB-first as one stream (element `r * k + c` in nibble `r * k + c`: the low nibble of byte `i >> 1` when `i` is
 * even), exactly the `data` of a `QuantizedTensor` of shape `[n, k]`. Scales (and zero points) are per block of
 * `blockSize` consecutive inputs of a row: `[n, ceil(k / blockSize)]` row-major. Weight value:
 * `w[r, c] = scales[r, b] * (q[r, c] - zeroPoints[r, b])` with `b = floor(c / blockSize)`.
 */
export interface W4Weights {
  readonly dtype: 'int4' | 'uint4';
  readonly n: number;
  readonly k: number;
  readonly blockSize: number;
  readonly data: Uint8Array;
  readonly scales: Float32Array;
  /** Integer zero points per block (default 0). */
  readonly zeroPoints?: Int32Array;
}

/**
 * int8 weights for {@link KernelBackend.matmulW8A8}: row-major `[n, k]` codes with one scale per output row
 * (symmetric, zero point 0): `w[r, c] = scales[r] * data[r * k + c]`.
 */
export interface W8Weights {
  readonly n: number;
  readonly k: number;
  readonly data: Int8Array;
  readonly scales: Float32Array;
}

/**
 * float8_e4m3fn weights for {@link KernelBackend.matmulF8}: row-major `[n, k]` codes (bit patterns) with scales per
 * block of `blockSize` inputs, `[n, ceil(k / blockSize)]`: `w[r, c] = e4m3(data[r * k + c]) * scales[r, b]`.
 * Use `blockSize = k` for per-channel scales. The NaN codes 0x7F / 0xFF are rejected.
 */
export interface F8Weights {
  readonly n: number;
  readonly k: number;
  readonly blockSize: number;
  readonly data: Uint8Array;
  readonly scales: Float32Array;
}

/** How {@link KernelBackend.matmulW4} computes with float activations (see {@link PrepareW4Options}). */
export type W4ActivationMode = 'float32' | 'int16';

/** Options of {@link KernelBackend.prepareW4}. */
export interface PrepareW4Options {
  /**
   * `'float32'` (the default): products of the weights and the activations in float32 arithmetic.
   * `'int16'`: every block of a row of activations (the weights' blocks) is first rounded to integers in
   * [-32767, 32767] times a power-of-two scale (a step is at most 2^-14 of the block's largest magnitude), and each
   * block's sum runs in exact integer arithmetic. About twice as fast in the WASM backend; the error this adds is at
   * most half a step per activation (bound in docs/performance.md), far below the 4-bit weights' own error.
   */
  readonly activations?: W4ActivationMode;
}

/**
 * Weights made ready for one backend's products (for the WASM backend: copied once into its memory, in the
 * kernel's internal layout). Call `release()` when done to give the memory back.
 */
export interface PreparedWeights<Kind extends 'w4' | 'w8' | 'f8' = 'w4' | 'w8' | 'f8'> {
  readonly kind: Kind;
  readonly backend: string;
  readonly n: number;
  readonly k: number;
  /** For W4 weights: the activation mode chosen at preparation. */
  readonly activations?: W4ActivationMode | undefined;
  release(): void;
}

/**
 * Caller-owned buffers for {@link KernelBackend.quantizeInto}: `data` is what `quantize` would return as `data`
 * (an `Int8Array` for int8, a `Uint8Array` otherwise; `ceil(size / 2)` bytes for packed 4-bit dtypes), `scales` one
 * float32 per block, `zeroPoints` (optional) one int32 per block, filled when the result has zero points.
 */
export interface QuantizeTarget {
  readonly data: Int8Array | Uint8Array;
  readonly scales: Float32Array;
  readonly zeroPoints?: Int32Array;
}

/** What a backend runs natively. */
export interface BackendCapabilities {
  /** True when kernels run as WebAssembly SIMD. */
  readonly simd: boolean;
  /** Threads used by products (1 when single-threaded). */
  readonly threads: number;
}

/**
 * A set of kernels. Every backend gives the same codes and dequantized values as the reference kernels of
 * `@lowbit/kernels` (bit for bit) and products within the tolerance stated in docs/performance.md.
 */
export interface KernelBackend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  /** Per-block min and max, as `reduceBlockRange` of `@lowbit/kernels`. */
  reduceBlockRange(tensor: Tensor, blockShape: readonly number[], nonFinite?: NonFinitePolicy): BlockRange;
  /** Per-block quantization parameters, as `chooseQParams` of `@lowbit/kernels`. */
  chooseQParams(tensor: Tensor, spec: QuantizationSpec, options?: Omit<QuantizeOptions, 'qparams'>): QParams;
  /** Quantization, as `quantize` of `@lowbit/kernels`. */
  quantize(tensor: Tensor, spec: QuantizationSpec, options?: QuantizeOptions): QuantizedTensor;
  /**
   * `quantize` into caller-owned buffers (no allocation of the large arrays): the result equals `quantize`'s, with
   * `data`, `scales` (and `zeroPoints`, when present in both) being the target's buffers. For the WASM backend a
   * target `data` that is a view of the backend's memory is written in place; the returned `data` is then a fresh
   * view (the old one may be detached if the memory grew). On error the buffers' contents are unspecified.
   * @throws QuantError `KERNELS_SHAPE_MISMATCH` when a buffer has the wrong type or length, else as `quantize`.
   */
  quantizeInto(tensor: Tensor, spec: QuantizationSpec, out: QuantizeTarget, options?: QuantizeOptions): QuantizedTensor;
  /** Dequantization, as `dequantize` of `@lowbit/kernels`. */
  dequantize(q: QuantizedTensor): Tensor;
  /**
   * Validates 4-bit weights and makes them ready for {@link KernelBackend.matmulW4}.
   * @throws QuantError `KERNELS_INVALID_ARGUMENT` for an unknown `options.activations`, else as the weights' checks.
   */
  prepareW4(weights: W4Weights, options?: PrepareW4Options): PreparedWeights<'w4'>;
  /** Validates int8 weights and makes them ready for {@link KernelBackend.matmulW8A8}. */
  prepareW8(weights: W8Weights): PreparedWeights<'w8'>;
  /** Validates float8 weights and makes them ready for {@link KernelBackend.matmulF8}. */
  prepareF8(weights: F8Weights): PreparedWeights<'f8'>;
  /**
   * `y = x W^T` for 4-bit weights: `x` is float32 `[m, k]` row-major, `y` float32 `[m, n]` (written to `out` when
   * given). `m = 1` is a GEMV. The arithmetic follows the weights' activation mode ({@link PrepareW4Options}).
   */
  matmulW4(weights: PreparedWeights<'w4'>, x: Float32Array, m: number, out?: Float32Array): Promise<Float32Array>;
  /**
   * `y[i, r] = aScales[i] * wScales[r] * sum_c (a[i, c] - aZeroPoints[i]) w[r, c]` with the sum exact in int32:
   * `a` is int8 or uint8 `[m, k]` (uint8 with zero points for asymmetric activations), `aScales` one scale per row
   * of `a` (or one for all), `aZeroPoints` (default 0) integers in the range of `a`'s dtype, one per row or one
   * for all. Result float32 `[m, n]`.
   */
  matmulW8A8(
    weights: PreparedWeights<'w8'>,
    a: Int8Array | Uint8Array,
    m: number,
    aScales: Float32Array,
    out?: Float32Array,
    aZeroPoints?: Int32Array,
  ): Promise<Float32Array>;
  /** The exact int32 sums `sum_c (a[i, c] - aZeroPoints[i]) w[r, c]` of {@link KernelBackend.matmulW8A8}, `[m, n]`. */
  matmulInt8(
    weights: PreparedWeights<'w8'>,
    a: Int8Array | Uint8Array,
    m: number,
    out?: Int32Array,
    aZeroPoints?: Int32Array,
  ): Promise<Int32Array>;
  /** `y = x W^T` for float8 weights, as {@link KernelBackend.matmulW4}. */
  matmulF8(weights: PreparedWeights<'f8'>, x: Float32Array, m: number, out?: Float32Array): Promise<Float32Array>;
  /** Frees the backend's own resources. A worker pool given to `createWasmBackend` stays open: close the pool itself. */
  close(): Promise<void>;
}
