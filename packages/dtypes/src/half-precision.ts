import { float16, bfloat16 } from './formats/ieee.js';

const IEEE = { saturate: false } as const;

/**
 * IEEE binary16 bit pattern of `x`, rounded to nearest even straight from the float64 value (no double
 * rounding). IEEE semantics: overflow gives ±Inf (0x7c00 / 0xfc00), NaN gives 0x7e00 (sign kept).
 */
export function float32ToFloat16Bits(x: number): number {
  return float16.encode(x, IEEE);
}

/** Exact value of the IEEE binary16 bit pattern `bits` (0 to 0xffff). */
export function float16BitsToFloat32(bits: number): number {
  return float16.decode(bits);
}

/**
 * bfloat16 bit pattern of `x`, rounded to nearest even straight from the float64 value. IEEE semantics: overflow
 * gives ±Inf (0x7f80 / 0xff80), NaN gives 0x7fc0 (sign kept).
 */
export function float32ToBFloat16Bits(x: number): number {
  return bfloat16.encode(x, IEEE);
}

/** Exact value of the bfloat16 bit pattern `bits` (0 to 0xffff). */
export function bfloat16BitsToFloat32(bits: number): number {
  return bfloat16.decode(bits);
}
