/**
 * Exact access to the bits of a float64 through a private scratch buffer. Pure allocation at module load; the
 * buffer is never exposed.
 */
const scratch = new DataView(new ArrayBuffer(8));

/**
 * Splits a positive finite float64 `a` into `a = sig * 2^exp` with `sig` in [1, 2), exactly.
 * Returns `exp` and leaves `sig` readable through {@link lastSignificand}. Float64 subnormals return exp = -1023
 * and sig = 0 (callers treat them as zero: every lowbit format's smallest value is far above 2^-1022).
 */
export function splitFloat64(a: number): number {
  scratch.setFloat64(0, a);
  const hi = scratch.getUint32(0);
  const field = (hi >>> 20) & 0x7ff;
  if (field === 0) {
    lastSig = 0;
    return -1023;
  }
  scratch.setUint32(0, (hi & 0x000fffff) | 0x3ff00000);
  lastSig = scratch.getFloat64(0);
  return field - 1023;
}

let lastSig = 1;

/** The significand in [1, 2) of the last {@link splitFloat64} call. */
export function lastSignificand(): number {
  return lastSig;
}

/** Exact 2^n for integer n in [-1022, 1023]. */
export function pow2(n: number): number {
  scratch.setUint32(0, (n + 1023) << 20);
  scratch.setUint32(4, 0);
  return scratch.getFloat64(0);
}

/** Number whose float32 bit pattern is `bits`. */
export function float32FromBits(bits: number): number {
  scratch.setUint32(0, bits >>> 0);
  return scratch.getFloat32(0);
}
