import { QuantError } from '@lowbit/dtypes';
import type { QParams } from '../qparams.js';
import type { NonFinitePolicy } from '../reduce-range.js';
import { nonFiniteError } from '../reduce-range.js';
import { RNE_MAGIC } from './round.js';
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
  /**
   * Writes values of `codes[codesStart .. codesStart+len)` (block `b`) to `out[outStart ..]`; `outStart` is the
   * first element's index in the tensor. `codes` is a scratch run or the one-byte-per-code storage itself.
   */
  dequantize(codes: CodeSink, codesStart: number, len: number, b: number, out: Float32Array, outStart: number): void;
}

// The hot loops are top-level functions that take every value they use as an argument: V8 compiles those far
// better than closures over per-call state, and they make no call into another module (some module systems
// turn imports into property reads). Rounding is inlined with a module-local copy of the constant.
const MAGIC = RNE_MAGIC;

/**
 * `out[outStart + k] = clamp(round(x[start + k] / s), lo, hi) + z` for the zp formulation (lo = qmin - z,
 * hi = qmax - z). It multiplies by the reciprocal, which can differ from `x / s` only within ~1e-13 of a rounding
 * tie, and recomputes elements within 1e-7 of a tie with the true division. NaN / Inf are not tested per element:
 * the returned `x * 0` sum is NaN when the run holds one, and the caller then redoes the run carefully.
 */
function quantizeZpRun(
  x: Float32Array,
  start: number,
  len: number,
  s: number,
  z: number,
  lo: number,
  hi: number,
  out: CodeSink,
  outStart: number,
): number {
  const inv = 1 / s;
  let poison = 0;
  for (let k = 0; k < len; k++) {
    const xv = x[start + k] as number;
    poison += xv * 0;
    let v = xv * inv;
    v = v > hi ? hi : v < lo ? lo : v;
    let q = v + MAGIC - MAGIC;
    const e = v - q;
    if (e * e > 0.2499999) {
      const exact = xv / s;
      q = (exact > hi ? hi : exact >= lo ? exact : lo) + MAGIC - MAGIC;
    }
    out[outStart + k] = q + z;
  }
  return poison;
}

/** `out = clamp(round((x - m) / s), 0, levels) + qmin` for the minval formulation; returns the NaN poison. */
function quantizeMinvalRun(
  x: Float32Array,
  start: number,
  len: number,
  s: number,
  m: number,
  levels: number,
  qmin: number,
  out: CodeSink,
  outStart: number,
): number {
  let poison = 0;
  for (let k = 0; k < len; k++) {
    const xv = x[start + k] as number;
    poison += xv * 0;
    let v = (xv - m) / s;
    v = v > levels ? levels : v < 0 ? 0 : v;
    out[outStart + k] = v + MAGIC - MAGIC + qmin;
  }
  return poison;
}

/** `out = x / s` in float32 for float element dtypes; returns the NaN poison. */
function scaleRun(x: Float32Array, start: number, len: number, s: number, out: Float32Array): number {
  let poison = 0;
  for (let k = 0; k < len; k++) {
    const xv = x[start + k] as number;
    poison += xv * 0;
    out[k] = xv / s;
  }
  return poison;
}

/**
 * `out = (c - offset) * s + base`, which is both integer formulations: zp (`offset = z`, `base = 0`) and minval
 * (`offset = qmin`, `base = minval`). Adding a zero base changes nothing: `(c - z) * s` is never -0. Returns the
 * offset of the first code outside [qmin, qmax], or -1.
 */
function dequantizeAffineRun(
  codes: CodeSink,
  codesStart: number,
  len: number,
  s: number,
  offset: number,
  base: number,
  qmin: number,
  qmax: number,
  out: Float32Array,
  outStart: number,
): number {
  for (let k = 0; k < len; k++) {
    const c = codes[codesStart + k] as number;
    if (!(c >= qmin && c <= qmax)) return k;
    out[outStart + k] = (c - offset) * s + base;
  }
  return -1;
}

/** `out = table[c] * s` for float element dtypes; returns the offset of the first code not in the table, or -1. */
function dequantizeTableRun(
  codes: CodeSink,
  codesStart: number,
  len: number,
  s: number,
  table: Float32Array,
  out: Float32Array,
  outStart: number,
): number {
  const n = table.length;
  for (let k = 0; k < len; k++) {
    const c = codes[codesStart + k] as number;
    if (!(c >= 0 && c < n)) return k;
    out[outStart + k] = (table[c] as number) * s;
  }
  return -1;
}

/** Rewrites the codes of NaN / +-Inf elements of a run: `zeroCode`, `qmax`, `qmin` (the saturate policy). */
function saturateNonFinite(
  x: Float32Array,
  start: number,
  len: number,
  zeroCode: number,
  qmin: number,
  qmax: number,
  out: CodeSink,
  outStart: number,
): void {
  for (let k = 0; k < len; k++) {
    const v = x[start + k] as number;
    if (v !== v) out[outStart + k] = zeroCode;
    else if (v === Infinity) out[outStart + k] = qmax;
    else if (v === -Infinity) out[outStart + k] = qmin;
  }
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
  const badCode = (codes: CodeSink, at: number, outIndex: number): never => {
    throw invalidCode(where, codes[at] as number, outIndex);
  };
  /** First NaN / Inf of a run, thrown under the `error` policy. */
  const checkFinite = (x: Float32Array, start: number, len: number): void => {
    if (!strict) return;
    for (let k = 0; k < len; k++) {
      const v = x[start + k] as number;
      if (v - v !== 0) throw nonFiniteError(where, v, start + k, shape);
    }
  };
  if (ctx.isFloat) {
    const dtype = ctx.dtype;
    const table = dtype.decodeArray(Uint16Array.from({ length: 2 ** dtype.bits }, (_, c) => c));
    // Scratch buffers per run length (at most two lengths occur in one call), so the hot loop allocates nothing.
    const scratchByLength = new Map<number, { scaled: Float32Array; codes: Uint8Array }>();
    return {
      quantize(x, start, len, b, out, outStart) {
        let buffers = scratchByLength.get(len);
        if (!buffers) {
          buffers = { scaled: new Float32Array(len), codes: new Uint8Array(len) };
          scratchByLength.set(len, buffers);
        }
        const { scaled, codes } = buffers;
        if (scaleRun(x, start, len, scales[b] as number, scaled) !== 0) {
          checkFinite(x, start, len);
          // Saturate policy: NaN quantizes as 0; +-Inf / s stays infinite and the saturating encoder clamps it.
          for (let k = 0; k < len; k++) if (scaled[k] !== scaled[k]) scaled[k] = 0;
        }
        dtype.encodeArray(scaled, { out: codes });
        for (let k = 0; k < len; k++) out[outStart + k] = codes[k] as number;
      },
      dequantize(codes, codesStart, len, b, out, outStart) {
        const bad = dequantizeTableRun(codes, codesStart, len, scales[b] as number, table, out, outStart);
        if (bad >= 0) badCode(codes, codesStart + bad, outStart + bad);
      },
    };
  }
  if (minvals) {
    const levels = qmax - qmin;
    return {
      quantize(x, start, len, b, out, outStart) {
        const s = scales[b] as number;
        const m = minvals[b] as number;
        if (quantizeMinvalRun(x, start, len, s, m, levels, qmin, out, outStart) !== 0) {
          checkFinite(x, start, len);
          // Saturate policy: NaN quantizes as 0 would, +-Inf to the range ends.
          const zeroCode = Math.min(levels, Math.max(0, -m / s + MAGIC - MAGIC)) + qmin;
          saturateNonFinite(x, start, len, zeroCode, qmin, qmax, out, outStart);
        }
      },
      dequantize(codes, codesStart, len, b, out, outStart) {
        const bad = dequantizeAffineRun(
          codes,
          codesStart,
          len,
          scales[b] as number,
          qmin,
          minvals[b] as number,
          qmin,
          qmax,
          out,
          outStart,
        );
        if (bad >= 0) badCode(codes, codesStart + bad, outStart + bad);
      },
    };
  }
  const zImplicit = ctx.implicitZeroPoint;
  return {
    quantize(x, start, len, b, out, outStart) {
      const s = scales[b] as number;
      const z = zeroPoints ? (zeroPoints[b] as number) : zImplicit;
      if (quantizeZpRun(x, start, len, s, z, qmin - z, qmax - z, out, outStart) !== 0) {
        checkFinite(x, start, len);
        // Saturate policy: NaN quantizes as 0 (code z), +-Inf to the range ends.
        saturateNonFinite(x, start, len, z, qmin, qmax, out, outStart);
      }
    },
    dequantize(codes, codesStart, len, b, out, outStart) {
      const z = zeroPoints ? (zeroPoints[b] as number) : zImplicit;
      const bad = dequantizeAffineRun(codes, codesStart, len, scales[b] as number, z, 0, qmin, qmax, out, outStart);
      if (bad >= 0) badCode(codes, codesStart + bad, outStart + bad);
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
