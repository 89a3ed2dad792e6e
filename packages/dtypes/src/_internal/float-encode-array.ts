import { QuantError, isQuantError } from '../quant-error.js';
import { encodeFloat } from './float-encode.js';
import type { FloatLayout } from './float-layout.js';

/**
 * Per-binade rounding table for the bit-level Float32Array encoder (see {@link makeBinadeTable}): three int32 per
 * float32 exponent field f, at 3f: the right shift, the rounding bias 2^(shift-1) - 1, and the code offset.
 */
export type BinadeTable = Int32Array;

/**
 * True when the table-driven Float32Array encoder is exact for this layout: a signed non-E8M0 format of at most
 * 16 bits whose quantum 2^(emin - M) is at least 2^-124, so every float32 subnormal (below 2^-125) rounds to zero.
 */
export function binadeTableApplies(layout: FloatLayout): boolean {
  return (
    layout.signed &&
    layout.specials !== 'e8m0' &&
    layout.mantissaBits <= 22 &&
    layout.emin - layout.mantissaBits >= -124 &&
    layout.bits <= 16
  );
}

/** True when the format shares float32's exponent (bfloat16, float32): rounding is a plain shift of the bits. */
export function float32ExponentApplies(layout: FloatLayout): boolean {
  return layout.signed && layout.specials === 'ieee' && layout.exponentBits === 8 && layout.exponentBias === 127;
}

/**
 * Builds the table indexed by the float32 exponent field f. Binade f holds values m * 2^(f - 150) with the
 * 24-bit significand m (implicit bit included). In the target format that binade is either normal (quantum
 * 2^(f - 127 - M)) or inside the subnormal range (quantum 2^(emin - M)); either way the magnitude code is
 * offset + roundHalfEven(m / 2^shift), and a carry out of the mantissa lands on the next exponent by itself.
 */
export function makeBinadeTable(layout: FloatLayout): BinadeTable {
  const table = new Int32Array(3 * 256);
  const m = layout.mantissaBits;
  for (let f = 0; f < 256; f++) {
    // f = 0 (float32 zero and subnormals) is treated as the binade of 2^-126; it rounds to zero (see binadeTableApplies).
    const e = f === 0 ? -126 : f - 127;
    const sh = Math.min(31, 23 - m + (e < layout.emin ? layout.emin - e : 0));
    const off = e < layout.emin ? 0 : (e - layout.emin) * layout.mantScale;
    table[3 * f] = sh;
    table[3 * f + 1] = 2 ** (sh - 1) - 1;
    // Above the format's range (and for Inf, f = 255) any offset beyond maxMag makes the element overflow.
    table[3 * f + 2] = f === 255 || off > layout.maxMag ? layout.maxMag + 1 : off;
  }
  return table;
}

/** Error for a NaN element in a format without NaN. */
function nanError(layout: FloatLayout, index: number): QuantError {
  return new QuantError(
    'DTYPE_NAN_UNREPRESENTABLE',
    `${layout.name}.encodeArray: element ${String(index)} is NaN, which ${layout.name} cannot represent (no NaN code); ` +
      'replace or reject NaN before encoding',
    { details: { dtype: layout.name, index } },
  );
}

/** Error for an overflowing element in a format without Inf or NaN. */
function rangeError(layout: FloatLayout, index: number, value: number): QuantError {
  return new QuantError(
    'DTYPE_VALUE_OUT_OF_RANGE',
    `${layout.name}.encodeArray: element ${String(index)} = ${String(value)} is outside the finite range of ` +
      `${layout.name}, which has no Inf or NaN code; use { saturate: true } to clamp to the largest value`,
    { details: { dtype: layout.name, index, value } },
  );
}

/**
 * Rewrites the NaN elements of a finished pass with the canonical NaN code, or throws at the first one when the
 * format has no NaN. NaN signs are ignored, as in the scalar encoder (see encodeFloat).
 */
function fixNaNs(layout: FloatLayout, bits: Uint32Array, out: Uint8Array | Uint16Array | Uint32Array): void {
  for (let i = 0; i < bits.length; i++) {
    if ((bits[i]! & 0x7fffffff) > 0x7f800000) {
      if (layout.nanMag < 0) throw nanError(layout, i);
      out[i] = layout.nanMag;
    }
  }
}

/** Table-driven encoder over the bits of a Float32Array (formats for which binadeTableApplies). */
export function encodeFloat32ArrayByTable(
  layout: FloatLayout,
  table: BinadeTable,
  src: Float32Array,
  out: Uint8Array | Uint16Array,
  saturate: boolean,
): void {
  const n = src.length;
  const bits = new Uint32Array(src.buffer, src.byteOffset, n);
  const maxMag = layout.maxMag;
  const signShift = layout.bits - 1;
  // Sign bit of (0x7f800000 - |u|) is set exactly for NaN inputs: accumulate it instead of branching per element.
  let nan = 0;
  if (saturate) {
    for (let i = 0; i < n; i++) {
      const u = bits[i]!;
      const a = u & 0x7fffffff;
      nan |= 0x7f800000 - a;
      const j = (a >>> 23) * 3;
      const m = (a & 0x7fffff) | 0x800000;
      const sh = table[j]!;
      const c = table[j + 2]! + ((m + table[j + 1]! + ((m >>> sh) & 1)) >>> sh);
      out[i] = (c > maxMag ? maxMag : c) | ((u >>> 31) << signShift);
    }
  } else {
    const overflowMag = layout.infMag >= 0 ? layout.infMag : layout.nanMag;
    for (let i = 0; i < n; i++) {
      const u = bits[i]!;
      const a = u & 0x7fffffff;
      nan |= 0x7f800000 - a;
      const j = (a >>> 23) * 3;
      const m = (a & 0x7fffff) | 0x800000;
      const sh = table[j]!;
      let c = table[j + 2]! + ((m + table[j + 1]! + ((m >>> sh) & 1)) >>> sh);
      if (c > maxMag && a <= 0x7f800000) {
        if (overflowMag < 0) {
          // Report the first bad element: an earlier NaN wins over this overflow.
          if (nan < 0) fixNaNs(layout, bits, out);
          throw rangeError(layout, i, src[i]!);
        }
        c = overflowMag;
      }
      out[i] = c | ((u >>> 31) << signShift);
    }
  }
  if (nan < 0) fixNaNs(layout, bits, out);
}

/** Shift-based encoder for formats with float32's exponent (bfloat16, float32), over the Float32Array's bits. */
export function encodeFloat32ArrayByShift(
  layout: FloatLayout,
  src: Float32Array,
  out: Uint16Array | Uint32Array,
  saturate: boolean,
): void {
  const n = src.length;
  const bits = new Uint32Array(src.buffer, src.byteOffset, n);
  const sh = 23 - layout.mantissaBits;
  const rb = sh === 0 ? 0 : 2 ** (sh - 1) - 1;
  const lsbMask = sh === 0 ? 0 : 1;
  const maxMag = layout.maxMag;
  const overflowMag = saturate ? maxMag : layout.infMag;
  const signShift = layout.bits - 1;
  let nan = 0;
  for (let i = 0; i < n; i++) {
    const u = bits[i]!;
    const a = u & 0x7fffffff;
    nan |= 0x7f800000 - a;
    // Plain right shift with round-half-even; a carry out of the mantissa correctly bumps the exponent.
    let c = (a + rb + ((a >>> sh) & lsbMask)) >>> sh;
    if (c > maxMag) c = overflowMag;
    out[i] = c | ((u >>> 31) << signShift);
  }
  if (nan < 0) fixNaNs(layout, bits, out);
}

/** Exact scalar encoder applied element by element (any ArrayLike input, any layout). */
export function encodeArrayByScalar(
  layout: FloatLayout,
  src: ArrayLike<number>,
  out: Uint8Array | Uint16Array | Uint32Array,
  saturate: boolean,
): void {
  const n = src.length;
  const where = `${layout.name}.encodeArray`;
  let i = 0;
  try {
    for (; i < n; i++) out[i] = encodeFloat(layout, src[i]!, saturate, where);
  } catch (error) {
    if (!isQuantError(error)) throw error;
    throw new QuantError(error.code, `${error.message} (element ${String(i)})`, {
      cause: error,
      details: { ...error.details, index: i },
    });
  }
}
