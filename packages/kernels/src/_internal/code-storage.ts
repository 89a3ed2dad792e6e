import type { SpecContext } from './spec-context.js';

/** Storage of a quantized tensor's codes: one byte per code at 8 bits, LSB-first packed bytes below. */
export type CodeStorage = Int8Array | Uint8Array;

/** Allocates zeroed storage for `size` codes of the spec's dtype. */
export function createCodeStorage(ctx: SpecContext, size: number): CodeStorage {
  const bits = ctx.dtype.bits;
  if (bits < 8) return new Uint8Array(Math.ceil((size * bits) / 8));
  return ctx.dtype.signed && !ctx.isFloat ? new Int8Array(size) : new Uint8Array(size);
}

/**
 * Stores `count` codes from `src` as elements `start ..` of `storage`. Sub-byte codes are written LSB-first
 * (element i in bits [i*bits, (i+1)*bits) of the little-endian bit stream), two's complement when signed:
 * the same layout as `packBits` of `@lowbit/dtypes`, written in place so quantization needs no second pass.
 */
export function storeCodes(storage: CodeStorage, bits: number, src: Int32Array, count: number, start: number): void {
  if (bits >= 8) {
    for (let k = 0; k < count; k++) storage[start + k] = src[k] as number;
    return;
  }
  const mask = (1 << bits) - 1;
  const bytes = storage as Uint8Array;
  if (bits === 4 && (start & 1) === 0) {
    let byte = start >> 1;
    let k = 0;
    for (; k + 1 < count; k += 2) {
      bytes[byte++] = ((src[k] as number) & 15) | (((src[k + 1] as number) & 15) << 4);
    }
    if (k < count) bytes[byte] = (bytes[byte] as number) | ((src[k] as number) & 15);
    return;
  }
  for (let k = 0; k < count; k++) {
    const pos = (start + k) * bits;
    const byte = pos >> 3;
    const shift = pos & 7;
    const v = (src[k] as number) & mask;
    bytes[byte] = (bytes[byte] as number) | ((v << shift) & 0xff);
    if (shift + bits > 8) bytes[byte + 1] = (bytes[byte + 1] as number) | (v >> (8 - shift));
  }
}

/** Reads `count` codes starting at element `start` of `storage` into `dst` (the inverse of {@link storeCodes}). */
export function loadCodes(
  storage: CodeStorage,
  bits: number,
  signed: boolean,
  start: number,
  count: number,
  dst: Int32Array,
): void {
  if (bits >= 8) {
    if (signed && storage instanceof Uint8Array) {
      for (let k = 0; k < count; k++) dst[k] = ((storage[start + k] as number) << 24) >> 24;
    } else if (!signed && storage instanceof Int8Array) {
      for (let k = 0; k < count; k++) dst[k] = (storage[start + k] as number) & 0xff;
    } else {
      for (let k = 0; k < count; k++) dst[k] = storage[start + k] as number;
    }
    return;
  }
  const mask = (1 << bits) - 1;
  const signShift = 32 - bits;
  for (let k = 0; k < count; k++) {
    const pos = (start + k) * bits;
    const byte = pos >> 3;
    const shift = pos & 7;
    let v = ((storage[byte] as number) & 0xff) >> shift;
    if (shift + bits > 8) v |= ((storage[byte + 1] as number) & 0xff) << (8 - shift);
    v &= mask;
    dst[k] = signed ? (v << signShift) >> signShift : v;
  }
}
