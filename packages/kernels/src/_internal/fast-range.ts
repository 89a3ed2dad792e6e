import type { BlockGeometry } from './block-geometry.js';
import { LineToucher, MAX_FAST_LENGTH, minMaxKeys } from './fast-loops.js';

/** Elements per range piece, and how far ahead the data is touched (see touchLines). */
const PIECE = 4096;

/** Key of -Inf; every key at or below it is -Inf or a NaN, every key at or above 0x7f800000 is +Inf or a NaN. */
const NEG_INF_KEY = 0xff800000 ^ 0x7fffffff;

const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);
/** Float value of an order key (the key transform is its own inverse). */
function floatFromKey(k: number): number {
  I32[0] = k ^ ((k >> 31) & 0x7fffffff);
  return F32[0] as number;
}

/**
 * Per-block min and max in the integer domain, bit for bit what the reference loop of blockRange returns, or
 * null when the tensor holds a NaN or an infinity (the caller then runs the reference loop, which reports it or
 * leaves it out). A chunk whose smallest or largest value is a zero is redone with the reference's float loop,
 * which keeps the first of +0 / -0 it meets.
 */
export function blockRangeFast(x: Float32Array, g: BlockGeometry): { min: Float32Array; max: Float32Array } | null {
  if (x.length > MAX_FAST_LENGTH) return null;
  const min = new Float32Array(g.numBlocks).fill(Infinity);
  const max = new Float32Array(g.numBlocks).fill(-Infinity);
  const bits = new Int32Array(x.buffer, x.byteOffset, x.length);
  const n = x.length;
  const keys = new Int32Array(2);
  const { rows, rowLength, chunk, chunksPerRow, rowBase } = g;
  const toucher = new LineToucher(bits, PIECE);
  for (let r = 0; r < rows; r++) {
    const base = rowBase[r] as number;
    const rowStart = r * rowLength;
    for (let c = 0; c < chunksPerRow; c++) {
      const start = rowStart + c * chunk;
      const end = start + chunk;
      let kmin = 0x7fffffff;
      let kmax = -0x80000000;
      for (let p = start; p < end; p += PIECE) {
        const q = Math.min(end, p + PIECE);
        toucher.upTo(q, Math.min(n, q + PIECE));
        minMaxKeys(bits, p, q, keys);
        if ((keys[0] as number) < kmin) kmin = keys[0] as number;
        if ((keys[1] as number) > kmax) kmax = keys[1] as number;
      }
      if (kmin <= NEG_INF_KEY || kmax >= 0x7f800000) return null;
      let lo: number;
      let hi: number;
      if (kmin === 0 || kmin === -1 || kmax === 0 || kmax === -1) {
        // A zero end: the reference keeps whichever of +0 / -0 comes first.
        lo = Infinity;
        hi = -Infinity;
        for (let i = start; i < end; i++) {
          const v = x[i] as number;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      } else {
        lo = floatFromKey(kmin);
        hi = floatFromKey(kmax);
      }
      const b = base + c;
      if (lo < (min[b] as number)) min[b] = lo;
      if (hi > (max[b] as number)) max[b] = hi;
    }
  }
  return { min, max };
}
