/**
 * Test-side reference formulas, written independently of src/: block ids of a [rows, cols] matrix, half-even
 * rounding, and the straight-through / LSQ / LSQ+ gradients in closed form.
 */
import type { QuantizationSpec } from '@lowbit/spec';

/** Round half to even (written differently from src: via Math.round and a tie check). */
export function rhe(v: number): number {
  const r = Math.round(v);
  if (Math.abs(r - v) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** Block id of element (r, c) of a [rows, cols] `linear` weight. */
export function blockId(spec: QuantizationSpec, r: number, c: number, cols: number): number {
  const g = spec.granularity;
  if (g.type === 'per_tensor') return 0;
  if (g.type === 'per_channel') return r;
  const size = g.blockSize as number;
  return r * (cols / size) + Math.floor(c / size);
}

export interface Range {
  readonly qmin: number;
  readonly qmax: number;
}

/** Region of an element: -1 below the clamp range, 0 inside, 1 above (integer zp formulation). */
export function regionZp(x: number, s: number, z: number, range: Range): -1 | 0 | 1 {
  const q = rhe(x / s) + z;
  return q < range.qmin ? -1 : q > range.qmax ? 1 : 0;
}

/** The STE surrogate of zp fake quantization (rounding removed): s * clamp(x/s, lo - 1/2, hi + 1/2). */
export function surrogateZp(x: number, s: number, z: number, range: Range): number {
  const lo = range.qmin - z - 0.5;
  const hi = range.qmax - z + 0.5;
  return s * Math.min(hi, Math.max(lo, x / s));
}
