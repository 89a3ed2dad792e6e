/**
 * The observed span `[lo, hi]` clipped to `[-t, t]`. When the span lies entirely beyond t on one side, the
 * result collapses to the clipping end (`[t, t]` or `[-t, -t]`), which quantization extends to include 0.
 */
export function clipSymmetric(lo: number, hi: number, t: number): [number, number] {
  let a = Math.max(lo, -t);
  let b = Math.min(hi, t);
  if (a > b) {
    if (lo > 0) a = b;
    else b = a;
  }
  return [a, b];
}
