/** 1.5 * 2^52: adding and subtracting it rounds a float64 of magnitude < 2^51 to an integer, ties to even. */
export const RNE_MAGIC = 6755399441055744;

/** Rounds to the nearest integer, ties to even, for |v| < 2^51 (callers clamp first). */
export function rne(v: number): number {
  return v + RNE_MAGIC - RNE_MAGIC;
}
