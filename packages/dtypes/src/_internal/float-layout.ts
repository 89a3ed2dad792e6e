import type { FloatSpecials } from '../dtype.js';
import { pow2 } from './float64-bits.js';

/** Everything the float codec needs to know about one format, derived once from its definition. */
export interface FloatLayout {
  readonly name: string;
  readonly exponentBits: number;
  readonly mantissaBits: number;
  readonly exponentBias: number;
  readonly signed: boolean;
  readonly specials: FloatSpecials;
  /** Storage width: sign + exponent + mantissa. */
  readonly bits: number;
  /** Number of codes, 2^bits. */
  readonly codeCount: number;
  /** Value of the sign bit as a code (2^(bits-1)), or 0 for unsigned formats. */
  readonly signValue: number;
  /** Number of magnitude codes, 2^(exponentBits + mantissaBits). */
  readonly magCount: number;
  /** 2^mantissaBits. */
  readonly mantScale: number;
  /** Unbiased exponent of the smallest normal binade (the subnormal binade shares it). */
  readonly emin: number;
  /** Magnitude code of the largest finite value. */
  readonly maxMag: number;
  /** Magnitude code of +Inf, or -1. */
  readonly infMag: number;
  /** Magnitude code of the canonical NaN, or -1. */
  readonly nanMag: number;
}

/** Builds the layout; the definition has been validated by the caller. */
export function makeFloatLayout(
  name: string,
  exponentBits: number,
  mantissaBits: number,
  exponentBias: number,
  signed: boolean,
  specials: FloatSpecials,
): FloatLayout {
  const bits = (signed ? 1 : 0) + exponentBits + mantissaBits;
  const magCount = 2 ** (exponentBits + mantissaBits);
  const mantScale = 2 ** mantissaBits;
  const topField = 2 ** exponentBits - 1;
  let maxMag: number;
  let infMag = -1;
  let nanMag = -1;
  switch (specials) {
    case 'ieee':
      maxMag = topField * mantScale - 1;
      infMag = topField * mantScale;
      nanMag = infMag + mantScale / 2;
      break;
    case 'fn':
      maxMag = magCount - 2;
      nanMag = magCount - 1;
      break;
    case 'e8m0':
      maxMag = magCount - 2;
      nanMag = magCount - 1;
      break;
    case 'none':
      maxMag = magCount - 1;
      break;
  }
  return {
    name,
    exponentBits,
    mantissaBits,
    exponentBias,
    signed,
    specials,
    bits,
    codeCount: 2 ** bits,
    signValue: signed ? 2 ** (bits - 1) : 0,
    magCount,
    mantScale,
    emin: specials === 'e8m0' ? -exponentBias : 1 - exponentBias,
    maxMag,
    infMag,
    nanMag,
  };
}

/** Exact value of a magnitude code (sign not applied). NaN for NaN codes, Infinity for the Inf code. */
export function magnitudeValue(layout: FloatLayout, mag: number): number {
  if (mag === layout.nanMag) return Number.NaN;
  if (layout.specials === 'e8m0') return pow2(mag - layout.exponentBias);
  if (mag === layout.infMag) return Number.POSITIVE_INFINITY;
  if (layout.specials === 'ieee' && mag > layout.infMag) return Number.NaN;
  const field = Math.floor(mag / layout.mantScale);
  const mant = mag - field * layout.mantScale;
  if (field === 0) return mant * pow2(layout.emin - layout.mantissaBits);
  return (layout.mantScale + mant) * pow2(field - layout.exponentBias - layout.mantissaBits);
}

/** Exact value of a full code (validated by the caller). */
export function codeValue(layout: FloatLayout, code: number): number {
  if (layout.signed && code >= layout.signValue) return -magnitudeValue(layout, code - layout.signValue);
  return magnitudeValue(layout, code);
}
