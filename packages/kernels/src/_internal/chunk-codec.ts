import { QuantError } from '@lowbit/dtypes';
import type { QParams } from '../qparams.js';
import type { NonFinitePolicy } from '../reduce-range.js';
import { nonFiniteError } from '../reduce-range.js';
import { RNE_MAGIC, rne } from './round.js';
import type { SpecContext } from './spec-context.js';

/** Where quantized codes are written. */
export type CodeSink = Int32Array | Int8Array | Uint8Array;

/**
 * Quantizes and dequantizes runs of elements that share one block's parameters. Every quantize / dequantize /
 * fake-quantize loop in the package goes through these two methods, so the rounding rule lives in one place.
 */
export interface ChunkCodec {
  /**
   * Writes codes of `x[start .. start+len)` (block `b`) to `out[outStart .. outStart+len)`: a scratch run, or
   * the final one-byte-per-code storage directly.
   */
  quantize(x: Float32Array, start: number, len: number, b: number, out: CodeSink, outStart: number): void;
  /** Writes values of `codes[0 .. len)` (block `b`) to `out[outStart ..]`; `start` is the first element's index. */
  dequantize(codes: Int32Array, start: number, len: number, b: number, out: Float32Array, outStart: number): void;
}

/** Builds the chunk codec for a resolved spec and its parameters. */
export function createChunkCodec(
  ctx: SpecContext,
  qparams: QParams,
  nonFinite: NonFinitePolicy,
  where: string,
  shape: readonly number[],
): ChunkCodec {
  const { scales, zeroPoints, minvals } = qparams;
  const { qmin, qmax } = ctx;
  const strict = nonFinite === 'error';
  // Rounding is inlined in the loops below (a local constant, not a call into another module), which keeps
  // them fast under module systems that turn imports into property accesses.
  const magic = RNE_MAGIC;
  const fail = (v: number, i: number): never => {
    throw nonFiniteError(where, v, i, shape);
  };
  if (ctx.isFloat) {
    const dtype = ctx.dtype;
    const table = dtype.decodeArray(Uint16Array.from({ length: 2 ** dtype.bits }, (_, c) => c));
    // Scratch buffers per run length (at most two lengths occur in one call), so the hot loop allocates nothing.
    const scratchByLength = new Map<number, { scaled: Float32Array; codes: Uint8Array }>();
    return {
      quantize(x, start, len, b, out, outStart) {
        const s = scales[b] as number;
        let buffers = scratchByLength.get(len);
        if (!buffers) {
          buffers = { scaled: new Float32Array(len), codes: new Uint8Array(len) };
          scratchByLength.set(len, buffers);
        }
        const scratch = buffers.scaled;
        const codeScratch = buffers.codes;
        for (let k = 0; k < len; k++) {
          const v = x[start + k] as number;
          if (v - v !== 0) {
            if (strict) fail(v, start + k);
            scratch[k] = v !== v ? 0 : v;
            continue;
          }
          scratch[k] = v / s;
        }
        dtype.encodeArray(scratch, { out: codeScratch });
        for (let k = 0; k < len; k++) out[outStart + k] = codeScratch[k] as number;
      },
      dequantize(codes, start, len, b, out, outStart) {
        const s = scales[b] as number;
        for (let k = 0; k < len; k++) {
          const c = codes[k] as number;
          const v = table[c];
          if (v === undefined) throw invalidCode(where, c, start + k);
          out[outStart + k] = v * s;
        }
      },
    };
  }
  if (minvals) {
    const levels = qmax - qmin;
    return {
      quantize(x, start, len, b, out, outStart) {
        const s = scales[b] as number;
        const m = minvals[b] as number;
        for (let k = 0; k < len; k++) {
          const xv = x[start + k] as number;
          let v = (xv - m) / s;
          if (!(v >= 0 && v <= levels)) {
            if (xv - xv !== 0) {
              if (strict) fail(xv, start + k);
              if (xv !== xv) v = -m / s;
            }
            v = v > levels ? levels : v >= 0 ? v : 0;
          }
          out[outStart + k] = v + magic - magic + qmin;
        }
      },
      dequantize(codes, start, len, b, out, outStart) {
        const s = scales[b] as number;
        const m = minvals[b] as number;
        for (let k = 0; k < len; k++) {
          const c = codes[k] as number;
          if (!(c >= qmin && c <= qmax)) throw invalidCode(where, c, start + k);
          out[outStart + k] = s * (c - qmin) + m;
        }
      },
    };
  }
  const zImplicit = ctx.implicitZeroPoint;
  return {
    quantize(x, start, len, b, out, outStart) {
      const s = scales[b] as number;
      // Multiplying by the reciprocal is faster than dividing; it can differ from x / s only within ~1e-13 of
      // a rounding tie, so those rare elements are recomputed with the true division the formula states.
      const inv = 1 / s;
      const z = zeroPoints ? (zeroPoints[b] as number) : zImplicit;
      const lo = qmin - z;
      const hi = qmax - z;
      for (let k = 0; k < len; k++) {
        const xv = x[start + k] as number;
        let v = xv * inv;
        if (!(v >= lo && v <= hi)) {
          if (xv - xv !== 0) {
            if (strict) fail(xv, start + k);
            if (xv !== xv) v = 0;
          }
          v = v > hi ? hi : v >= lo ? v : lo;
        }
        let q = v + magic - magic;
        const d = v - q;
        if (d > 0.4999999 || d < -0.4999999) {
          const exact = xv / s;
          q = rne(exact > hi ? hi : exact >= lo ? exact : lo);
        }
        out[outStart + k] = q + z;
      }
    },
    dequantize(codes, start, len, b, out, outStart) {
      const s = scales[b] as number;
      const z = zeroPoints ? (zeroPoints[b] as number) : zImplicit;
      for (let k = 0; k < len; k++) {
        const c = codes[k] as number;
        if (!(c >= qmin && c <= qmax)) throw invalidCode(where, c, start + k);
        out[outStart + k] = (c - z) * s;
      }
    },
  };
}

function invalidCode(where: string, code: number, index: number): QuantError {
  return new QuantError(
    'KERNELS_INVALID_ARGUMENT',
    `${where}: code ${code} at flat index ${index} is outside the dtype's range`,
    { details: { index, code } },
  );
}
