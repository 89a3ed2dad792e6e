import { QuantError } from '@lowbit/dtypes';
import { blockGeometry } from './_internal/block-geometry.js';
import type { BlockGeometry } from './_internal/block-geometry.js';
import { blockRangeFast } from './_internal/fast-range.js';
import { assertTensor, formatIndex } from './tensor.js';
import type { Tensor } from './tensor.js';

/** What to do with NaN and infinite inputs. */
export type NonFinitePolicy =
  /** Throw `KERNELS_NON_FINITE_INPUT` naming the first offending position (the default). */
  | 'error'
  /** Leave NaN out of ranges and quantize it as 0; leave +-Inf out of ranges and saturate it to the range ends. */
  | 'saturate';

/** Per-block ranges of a tensor. */
export interface BlockRange {
  readonly blockShape: readonly number[];
  /** Minimum per block (+Infinity for a block with no finite value under the `saturate` policy). */
  readonly min: Float32Array;
  /** Maximum per block (-Infinity for a block with no finite value under the `saturate` policy). */
  readonly max: Float32Array;
}

/**
 * Reduces a tensor to its minimum and maximum per block in one pass.
 * @throws QuantError `KERNELS_NON_FINITE_INPUT` (policy `error`) naming the position of a NaN or Inf.
 */
export function reduceBlockRange(
  tensor: Tensor,
  blockShape: readonly number[],
  nonFinite: NonFinitePolicy = 'error',
): BlockRange {
  const where = 'reduceBlockRange';
  assertTensor(tensor, where);
  const g = blockGeometry(tensor.shape, blockShape, where);
  const { min, max } = blockRange(tensor, g, nonFinite, where);
  return { blockShape: [...blockShape], min, max };
}

/**
 * @internal Per-block min and max. Finite tensors take blockRangeFast (integer order keys, bit for bit the same
 * result); otherwise the loop below carries a `x * 0` accumulator instead of a branch per element: it turns NaN
 * as soon as a NaN or Inf passes, and only then does a slow pass find the position.
 */
export function blockRange(
  tensor: Tensor,
  g: BlockGeometry,
  nonFinite: NonFinitePolicy,
  where: string,
): { min: Float32Array; max: Float32Array } {
  // Integer-domain pass for finite tensors (the common case); null sends NaN / Inf to the loops below.
  const fast = blockRangeFast(tensor.data, g);
  if (fast) return fast;
  const min = new Float32Array(g.numBlocks).fill(Infinity);
  const max = new Float32Array(g.numBlocks).fill(-Infinity);
  const x = tensor.data;
  const { rows, rowLength, chunk, chunksPerRow, rowBase } = g;
  let poison = 0;
  for (let r = 0; r < rows; r++) {
    const base = rowBase[r] as number;
    const rowStart = r * rowLength;
    for (let c = 0; c < chunksPerRow; c++) {
      const start = rowStart + c * chunk;
      const end = start + chunk;
      const b = base + c;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = start; i < end; i++) {
        const v = x[i] as number;
        poison += v * 0;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (lo < (min[b] as number)) min[b] = lo;
      if (hi > (max[b] as number)) max[b] = hi;
    }
  }
  if (poison === 0) return { min, max };
  if (nonFinite === 'error') {
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      if (v - v !== 0) throw nonFiniteError(where, v, i, tensor.shape);
    }
  }
  return finiteBlockRange(tensor, g);
}

/** Slow path of {@link blockRange} under the `saturate` policy: ranges over finite values only. */
function finiteBlockRange(tensor: Tensor, g: BlockGeometry): { min: Float32Array; max: Float32Array } {
  const min = new Float32Array(g.numBlocks).fill(Infinity);
  const max = new Float32Array(g.numBlocks).fill(-Infinity);
  const x = tensor.data;
  for (let r = 0; r < g.rows; r++) {
    for (let c = 0; c < g.chunksPerRow; c++) {
      const b = (g.rowBase[r] as number) + c;
      const start = r * g.rowLength + c * g.chunk;
      for (let i = start; i < start + g.chunk; i++) {
        const v = x[i] as number;
        if (v - v !== 0) continue;
        if (v < (min[b] as number)) min[b] = v;
        if (v > (max[b] as number)) max[b] = v;
      }
    }
  }
  return { min, max };
}

/** @internal The error raised for NaN/Inf input. */
export function nonFiniteError(where: string, value: number, flat: number, shape: readonly number[]): QuantError {
  return new QuantError(
    'KERNELS_NON_FINITE_INPUT',
    `${where}: element ${formatIndex(flat, shape)} (flat index ${flat}) is ${value}; inputs must be finite, ` +
      `or pass nonFinite: 'saturate' to quantize NaN as 0 and Inf as the range ends`,
    { details: { index: flat, value } },
  );
}
