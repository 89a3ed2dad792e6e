/** 2^52: adding then subtracting it rounds a float64 in [0, 2^52) to an integer, ties to even. */
const TWO_POW_52 = 4503599627370496;

/**
 * Rounds to the nearest integer, ties to the even integer (banker's rounding), like `torch.round`, `np.rint` and
 * C `nearbyint`. Exact for every float64. The sign of zero is kept (`roundHalfToEven(-0.3)` is `-0`); NaN and
 * infinities are returned unchanged.
 *
 * @example
 * ```ts
 * roundHalfToEven(2.5); // 2
 * roundHalfToEven(3.5); // 4
 * roundHalfToEven(-0.5); // -0
 * ```
 */
export function roundHalfToEven(x: number): number {
  const a = x < 0 ? -x : x;
  // Values of magnitude >= 2^52 (and NaN/Inf, for which the comparison is false) are already integral.
  if (!(a < TWO_POW_52)) return x;
  const r = a + TWO_POW_52 - TWO_POW_52;
  return x < 0 || Object.is(x, -0) ? -r : r;
}
