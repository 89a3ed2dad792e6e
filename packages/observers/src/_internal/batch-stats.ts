import { QuantError } from '@lowbit/dtypes';
import type { Tensor } from '@lowbit/kernels';

/** Checks a tensor argument and returns its element count. */
export function checkTensor(tensor: Tensor, where: string): number {
  if (typeof tensor !== 'object' || tensor === null || !(tensor.data instanceof Float32Array)) {
    throw new QuantError('OBSERVER_INVALID_ARGUMENT', `${where}: expected a tensor { data: Float32Array, shape }`);
  }
  const { shape } = tensor;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new QuantError(
      'OBSERVER_INVALID_ARGUMENT',
      `${where}: shape ${JSON.stringify(shape)} must be an array of non-negative integers`,
    );
  }
  let n = 1;
  for (const d of shape) n *= d;
  if (n !== tensor.data.length) {
    throw new QuantError(
      'OBSERVER_INVALID_ARGUMENT',
      `${where}: shape [${shape.join(', ')}] holds ${n} elements but data has ${tensor.data.length}`,
    );
  }
  return n;
}

function nonFinite(where: string, data: Float32Array, i: number): QuantError {
  return new QuantError(
    'OBSERVER_INVALID_ARGUMENT',
    `${where}: tensor.data[${i}] is ${String(data[i])}; observers accept finite values only`,
    { details: { index: i } },
  );
}

/** Min and max of all elements; throws on the first NaN/Inf. `data` must not be empty. */
export function tensorMinMax(data: Float32Array, where: string): [number, number] {
  let mn = Infinity;
  let mx = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const x = data[i] as number;
    if (x - x !== 0) throw nonFinite(where, data, i);
    if (x < mn) mn = x;
    if (x > mx) mx = x;
  }
  return [mn, mx];
}

/** Resolves a possibly negative axis against a rank; throws when out of range. */
export function normalizeAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    throw new QuantError(
      'OBSERVER_INVALID_ARGUMENT',
      `${where}: axis ${axis} is out of range for a tensor of rank ${rank} (valid: ${-rank} .. ${rank - 1})`,
    );
  }
  return a;
}

/** Per-channel min and max along `axis` (already normalized); throws on the first NaN/Inf. */
export function channelMinMax(tensor: Tensor, axis: number, where: string): [Float64Array, Float64Array] {
  const { data, shape } = tensor;
  const channels = shape[axis] as number;
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d] as number;
  const outer = channels * inner === 0 ? 0 : data.length / (channels * inner);
  const mn = new Float64Array(channels).fill(Infinity);
  const mx = new Float64Array(channels).fill(-Infinity);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      let lo = mn[c] as number;
      let hi = mx[c] as number;
      const end = i + inner;
      for (; i < end; i++) {
        const x = data[i] as number;
        if (x - x !== 0) throw nonFinite(where, data, i);
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      mn[c] = lo;
      mx[c] = hi;
    }
  }
  return [mn, mx];
}
