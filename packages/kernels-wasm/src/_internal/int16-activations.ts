import { QuantError } from '@lowbit/dtypes';
import type { PrepareW4Options, W4ActivationMode, W4Weights } from '../kernel-backend.js';
import { blocksPerRow, w4RowCodes } from './weights.js';

/** The activation mode of `prepareW4` options, validated (`'float32'` when absent). */
export function w4ActivationMode(options: PrepareW4Options | undefined, where: string): W4ActivationMode {
  const mode = options?.activations ?? 'float32';
  if (mode !== 'float32' && mode !== 'int16') {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      `${where}: options.activations is ${JSON.stringify(mode)}; valid modes are 'float32' and 'int16'`,
    );
  }
  return mode;
}

/** Largest activation code magnitude of the `int16` W4 product mode. */
export const INT16_ACTIVATION_MAX = 32767;

/** 1.5 * 2^52: adding and subtracting it rounds a float64 below 2^51 in magnitude to an integer, ties to even. */
const RNE_MAGIC = 6755399441055744;

/**
 * Activations of the `int16` W4 product mode: every block of `blockSize` inputs of a row (the weights' blocks)
 * quantized symmetrically to integers in [-32767, 32767] with a power-of-two scale, so scaling is exact and only the
 * rounding to an integer loses information (at most half a step, and a step is at most amax / 16384).
 */
export interface Int16Activations {
  /** Codes `[m, k]`, row-major. */
  readonly codes: Int16Array;
  /** Scale of each block, `[m, ceil(k / blockSize)]`: a power of two in [2^-149, 2^114]. */
  readonly scales: Float32Array;
}

/**
 * Power-of-two scale `2^e` for a block whose largest magnitude is `amax`: the smallest with
 * `amax / 2^e <= 32767`, but not below 2^-149 (every float32 is a multiple of it, so the codes stay exact).
 */
export function int16ActivationScale(amax: number): number {
  if (!(amax > 0)) return 1;
  let e = Math.max(-149, Math.ceil(Math.log2(amax / INT16_ACTIVATION_MAX)));
  while (amax / 2 ** e > INT16_ACTIVATION_MAX) e++;
  while (e > -149 && amax / 2 ** (e - 1) <= INT16_ACTIVATION_MAX) e--;
  return 2 ** e;
}

/**
 * Quantizes finite activations `x` `[m, k]` per block of `blockSize` inputs: `code = rne(x / s)` with
 * `s = int16ActivationScale(max |x| of the block)`.
 */
export function quantizeActivationsInt16(x: Float32Array, m: number, k: number, blockSize: number): Int16Activations {
  const nb = blocksPerRow(k, blockSize);
  const codes = new Int16Array(m * k);
  const scales = new Float32Array(m * nb);
  for (let i = 0; i < m; i++) {
    for (let b = 0; b < nb; b++) {
      const start = i * k + b * blockSize;
      const end = i * k + Math.min(k, (b + 1) * blockSize);
      let amax = 0;
      for (let c = start; c < end; c++) amax = Math.max(amax, Math.abs(x[c]!));
      const s = int16ActivationScale(amax);
      scales[i * nb + b] = s;
      const inv = 1 / s;
      // x * inv is exact (a power of two), so rounding it is rounding x / s.
      for (let c = start; c < end; c++) codes[c] = x[c]! * inv + RNE_MAGIC - RNE_MAGIC;
    }
  }
  return { codes, scales };
}

/**
 * Reference `int16`-mode W4 product: `y[i, r] = sum_b scales[r, b] * as[i, b] * sum_{c in b} (q[r, c] - z[r, b]) a[i, c]`
 * with the inner sums exact integers and the outer sum in float64, rounded once to float32.
 */
export function referenceMatmulW4Int16(w: W4Weights, acts: Int16Activations, m: number, out: Float32Array): void {
  const { n, k, blockSize, scales, zeroPoints } = w;
  const nb = blocksPerRow(k, blockSize);
  const q = new Int8Array(k);
  for (let r = 0; r < n; r++) {
    w4RowCodes(w, r, q);
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let b = 0; b < nb; b++) {
        const z = zeroPoints ? zeroPoints[r * nb + b]! : 0;
        let dot = 0;
        const end = Math.min(k, (b + 1) * blockSize);
        for (let c = b * blockSize; c < end; c++) dot += (q[c]! - z) * acts.codes[i * k + c]!;
        acc += scales[r * nb + b]! * acts.scales[i * nb + b]! * dot;
      }
      out[i * n + r] = acc;
    }
  }
}

/** The values the `int16` codes stand for, `codes * scale` (exact in float32: 15-bit codes times powers of two). */
export function dequantizeActivationsInt16(
  acts: Int16Activations,
  m: number,
  k: number,
  blockSize: number,
): Float32Array {
  const nb = blocksPerRow(k, blockSize);
  const x = new Float32Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < k; c++)
      x[i * k + c] = acts.codes[i * k + c]! * acts.scales[i * nb + Math.floor(c / blockSize)]!;
  }
  return x;
}
