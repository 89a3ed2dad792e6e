/** NumPy-style broadcasting of two shapes and strided iteration over the result. */
import { showShape } from '../errors.js';

/** Broadcast result shape, or null when the shapes are incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out: number[] = Array.from({ length: rank }, () => 0);
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** Strides of `shape` (row-major) aligned to `rank`, with 0 for broadcast dimensions of size 1. */
export function broadcastStrides(shape: readonly number[], rank: number): number[] {
  const strides = Array.from({ length: rank }, () => 0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i] as number;
    strides[rank - shape.length + i] = d === 1 ? 0 : s;
    s *= d;
  }
  return strides;
}

/**
 * Applies `f` element-wise over broadcast `x` and `y` into a new array of the broadcast shape. The innermost
 * dimension runs as a tight loop; outer dimensions advance an odometer.
 */
export function broadcastBinary(
  x: Float32Array,
  xShape: readonly number[],
  y: Float32Array,
  yShape: readonly number[],
  f: (a: number, b: number) => number,
  where: string,
  fail: (message: string) => never,
): { data: Float32Array; shape: number[] } {
  const shape = broadcastShapes(xShape, yShape);
  if (shape === null) fail(`${where}: shapes ${showShape(xShape)} and ${showShape(yShape)} do not broadcast`);
  let n = 1;
  for (const d of shape) n *= d;
  const out = new Float32Array(n);
  if (n === 0) return { data: out, shape };
  if (x.length === n && y.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(x[i] as number, y[i] as number);
    return { data: out, shape };
  }
  if (y.length === 1 && x.length === n) {
    const b = y[0] as number;
    for (let i = 0; i < n; i++) out[i] = f(x[i] as number, b);
    return { data: out, shape };
  }
  const rank = shape.length;
  const xs = broadcastStrides(xShape, rank);
  const ys = broadcastStrides(yShape, rank);
  const inner = shape[rank - 1] as number;
  const xi = xs[rank - 1] as number;
  const yi = ys[rank - 1] as number;
  const idx = Array.from({ length: rank }, () => 0);
  let xo = 0;
  let yo = 0;
  for (let o = 0; o < n; o += inner) {
    for (let k = 0; k < inner; k++) out[o + k] = f(x[xo + k * xi] as number, y[yo + k * yi] as number);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      xo += xs[d] as number;
      yo += ys[d] as number;
      if ((idx[d] as number) < (shape[d] as number)) break;
      xo -= (xs[d] as number) * (shape[d] as number);
      yo -= (ys[d] as number) * (shape[d] as number);
      idx[d] = 0;
    }
  }
  return { data: out, shape };
}
