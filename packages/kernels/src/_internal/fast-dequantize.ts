import type { QParams } from '../qparams.js';
import type { BlockGeometry } from './block-geometry.js';
import {
  dequantizeTableWords4,
  dequantizeTableWords8,
  dequantizeWords4,
  dequantizeWords4Zp,
  dequantizeWords8,
  dequantizeWords8Zp,
  LITTLE_ENDIAN,
  MAX_FAST_LENGTH,
} from './fast-loops.js';
import type { SpecContext } from './spec-context.js';

/**
 * Fast dequantize for byte and nibble codes: reads the storage as little-endian 32-bit words. Writes every
 * element of `out` and returns true, or returns false when it does not apply or meets a code outside the dtype's
 * range (the caller then runs the reference loop, which reports it). Bit for bit the reference's values.
 */
export function dequantizeFast(
  data: Int8Array | Uint8Array,
  ctx: SpecContext,
  g: BlockGeometry,
  qparams: QParams,
  out: Float32Array,
): boolean {
  const codeBits = ctx.dtype.bits;
  const { rows, rowLength, chunk, chunksPerRow, rowBase } = g;
  if (!LITTLE_ENDIAN || g.size === 0 || g.size > MAX_FAST_LENGTH || data.byteOffset % 4 !== 0) return false;
  if (!(data instanceof Int8Array || data instanceof Uint8Array)) return false;
  if (!((codeBits === 8 && chunk % 4 === 0) || (codeBits === 4 && chunk % 8 === 0))) return false;
  const words = new Int32Array(data.buffer, data.byteOffset, data.byteLength >> 2);
  const { scales, zeroPoints, minvals } = qparams;
  if (ctx.isFloat) {
    // Every code of the format is in the table (as in the reference's table, built the same way).
    const table = ctx.dtype.decodeArray(Uint16Array.from({ length: 2 ** codeBits }, (_, c) => c));
    for (let r = 0; r < rows; r++) {
      const base = rowBase[r] as number;
      for (let c = 0; c < chunksPerRow; c++) {
        const start = r * rowLength + c * chunk;
        const s = scales[base + c] as number;
        if (codeBits === 8) dequantizeTableWords8(words, start >> 2, start, start + chunk, s, table, out);
        else dequantizeTableWords4(words, start >> 3, start, start + chunk, s, table, out);
      }
    }
    return true;
  }
  const signed = ctx.dtype.signed;
  const half = 1 << (codeBits - 1);
  const bias = signed ? 0 : half;
  const flip = signed ? 0 : codeBits === 8 ? 0x80808080 | 0 : 0x88888888 | 0;
  const lo = ctx.qmin - bias;
  const hi = ctx.qmax - bias;
  // Codes of a dtype that uses every bit pattern need no check (int8 / uint8 / int4 / uint4, full range).
  const unchecked = !minvals && lo === -half && hi === half - 1;
  const kernel = codeBits === 8 ? dequantizeWords8 : dequantizeWords4;
  const shift = codeBits === 8 ? 2 : 3;
  let bad = 0;
  for (let r = 0; r < rows; r++) {
    const base = rowBase[r] as number;
    for (let c = 0; c < chunksPerRow; c++) {
      const b = base + c;
      const start = r * rowLength + c * chunk;
      // zp: (c - z) * s + 0; minval: (c - qmin) * s + minval (the reference's one expression for both).
      const offset = minvals ? ctx.qmin : zeroPoints ? (zeroPoints[b] as number) : ctx.implicitZeroPoint;
      const add = minvals ? (minvals[b] as number) : 0;
      if (unchecked) {
        const s = scales[b] as number;
        if (codeBits === 8) dequantizeWords8Zp(words, start >> 2, start, start + chunk, s, offset - bias, flip, out);
        else dequantizeWords4Zp(words, start >> 3, start, start + chunk, s, offset - bias, flip, out);
        continue;
      }
      bad |= kernel(
        words,
        start >> shift,
        start,
        start + chunk,
        scales[b] as number,
        offset - bias,
        add,
        flip,
        lo,
        hi,
        out,
      );
    }
  }
  return bad >= 0;
}
