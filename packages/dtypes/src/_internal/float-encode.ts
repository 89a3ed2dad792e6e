import { QuantError } from '../quant-error.js';
import { describeValue } from './describe.js';
import { lastSignificand, splitFloat64 } from './float64-bits.js';
import { magnitudeValue, type FloatLayout } from './float-layout.js';

const TWO_POW_52 = 4503599627370496;

/** Code for an overflowing magnitude (|x| rounds above the largest finite value, or is infinite). */
function overflowCode(layout: FloatLayout, x: number, negative: boolean, saturate: boolean, where: string): number {
  const sign = negative ? layout.signValue : 0;
  if (saturate) return sign + layout.maxMag;
  if (layout.infMag >= 0) return sign + layout.infMag;
  if (layout.nanMag >= 0) return (layout.specials === 'e8m0' ? 0 : sign) + layout.nanMag;
  throw new QuantError(
    'DTYPE_VALUE_OUT_OF_RANGE',
    `${where}: ${describeValue(x)} is outside the finite range ${rangeText(layout)} of ` +
      `${layout.name}, which has no Inf or NaN code; use { saturate: true } to clamp to the largest value`,
    { details: { dtype: layout.name, value: x } },
  );
}

function rangeText(layout: FloatLayout): string {
  const max = magnitudeValue(layout, layout.maxMag);
  const min = layout.signed ? -max : magnitudeValue(layout, 0);
  return `[${String(min)}, ${String(max)}]`;
}

/**
 * Rounds a float64 to the nearest code of `layout` (ties to even), exactly: the float64 is rounded once, straight
 * from its own bits. `where` names the public function for error messages.
 */
export function encodeFloat(layout: FloatLayout, x: number, saturate: boolean, where: string): number {
  if (x !== x) {
    if (layout.nanMag < 0) {
      throw new QuantError(
        'DTYPE_NAN_UNREPRESENTABLE',
        `${where}: NaN cannot be encoded in ${layout.name}, which has no NaN code; replace or reject NaN before encoding`,
        { details: { dtype: layout.name } },
      );
    }
    // Always the canonical positive NaN code: JavaScript engines do not preserve the sign bit of NaN reliably
    // (arithmetic and conversions may flip or canonicalize it), and codes must not depend on the engine.
    return layout.nanMag;
  }
  const negative = x < 0 || (x === 0 && 1 / x < 0);
  if (negative && !layout.signed && x !== 0) {
    // Below the range of an unsigned format: saturate to the smallest code, or report overflow.
    if (saturate) return 0;
    return overflowCode(layout, x, false, false, where);
  }
  const a = negative ? -x : x;
  const sign = negative && layout.signed ? layout.signValue : 0;
  if (a === 0) {
    if (layout.specials !== 'e8m0') return sign;
    // E8M0 has no zero: clamp to its smallest value 2^-127 when saturating, NaN otherwise (like ml_dtypes).
    return saturate ? 0 : layout.nanMag;
  }
  if (a === Number.POSITIVE_INFINITY) return overflowCode(layout, x, negative, saturate, where);
  const e = splitFloat64(a);
  const sig = lastSignificand();
  let mag: number;
  if (layout.specials === 'e8m0') {
    // Every code is a power of two; below 2^emin the nearest value is the smallest code.
    if (e < layout.emin) return 0;
    // Round the significand to an integer (ties to even, so 1.5 -> 2) and carry into the exponent.
    const k = sig + TWO_POW_52 - TWO_POW_52;
    mag = e - layout.emin + (k - 1);
  } else {
    const shift = e < layout.emin ? layout.emin - e : 0;
    const n = layout.mantissaBits - shift;
    // sig * 2^n < 2^(n+1) <= 1/2 when n < -1: rounds to zero (a tie only when n = -1 and sig = 1, which goes to 0).
    const k = n < -1 ? 0 : sig * 2 ** n + TWO_POW_52 - TWO_POW_52;
    mag = (e + shift - layout.emin) * layout.mantScale + k;
  }
  if (mag > layout.maxMag) return overflowCode(layout, x, negative, saturate, where);
  return sign + mag;
}
