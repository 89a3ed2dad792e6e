// Hot loops of the fused quantize path (see fused-quantize.ts). Every function here is top-level and takes every
// value it uses as an argument, constants are module-local, and nothing calls into another module: V8 compiles
// such loops far better than closures over per-call state (see chunk-codec.ts).
//
// Why the loops look the way they do (measured with Node 20 on x86-64):
// - V8 re-checks a typed array's map, length and data pointer after every typed-array store, and once per loop
//   iteration for loads. Loops therefore handle 4 or 8 elements per iteration and store one packed Int32 word
//   (4 byte codes or 8 nibbles, little-endian) instead of one byte per element.
// - Index arithmetic is written `(i + k) | 0` so it compiles to a plain 32-bit add without an overflow check.
// - A scalar loop that streams from memory exposes DRAM latency; touching one element per 64-byte line of the data
//   a few KiB ahead (touchLines) keeps many line fills in flight and roughly halves a pass over a large tensor.

// Constants are literals inside each loop: V8 reloads and re-checks a module-level binding on every use.
// 6755399441055744 = 1.5 * 2^52 (MAGIC): adding it rounds a float64 of magnitude < 2^51 to an integer, ties to
//   even (see round.ts).
// 6291456 = 1.5 * 2^22 (GRID): adding it to |v| <= 2^21 rounds v to a multiple of 2^-30 (ties to even); see
//   quantizeIntWords8 for why that makes `x * (1 / s)` round exactly like `x / s`.
// 6755399434764288 = MAGIC - GRID.

/** True on little-endian platforms: the word loops pack codes and read them back in little-endian order. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Longest tensor the loops take: their index arithmetic is 32-bit (`(i + k) | 0`). */
export const MAX_FAST_LENGTH = 0x7fff0000;

/**
 * Reads one element per 64-byte cache line of `bits[start .. end)` so that the lines are in flight before the
 * loops below reach them. Returns an OR of the values read, which callers keep so the loads are not removed.
 */
export function touchLines(bits: Int32Array, start: number, end: number): number {
  let t = 0;
  for (let i = start; i < end; i = (i + 16) | 0) t |= bits[i] as number;
  return t;
}

/**
 * What the prefetching touches read, OR-ed together. A store to module state is a side effect the compiler must
 * keep, so the loads that feed it stay too; nothing reads it.
 */
let touchSink = 0;

/** Touches `bits[start .. end)` one cache line at a time (see touchLines), keeping what it read. */
export function touchAhead(bits: Int32Array, start: number, end: number): void {
  touchSink |= touchLines(bits, start, end);
}

/** Touches a sweep's data ahead of it, `step` elements per touchLines call, never the same line twice. */
export class LineToucher {
  private touched = 0;

  constructor(
    private readonly bits: Int32Array,
    private readonly step: number,
  ) {}

  /** Touches `[from, to)` minus what earlier calls touched. */
  upTo(from: number, to: number): void {
    let t = this.touched > from ? this.touched : from;
    while (t < to) {
      const u = Math.min(to, t + this.step);
      touchAhead(this.bits, t, u);
      t = u;
    }
    this.touched = t;
  }
}

/**
 * Largest `bits[i] & 0x7fffffff` over `[start, end)`: the float32 bit pattern of max |x|, since non-negative
 * float32 values order like their bit patterns. A result >= 0x7f800000 means a NaN or an infinity is present.
 */
export function absMaxBits(bits: Int32Array, start: number, end: number): number {
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  let i = start;
  const end8 = end - ((end - start) & 7);
  for (; i < end8; i = (i + 8) | 0) {
    const a0 = (bits[i] as number) & 0x7fffffff;
    const a1 = (bits[(i + 1) | 0] as number) & 0x7fffffff;
    const a2 = (bits[(i + 2) | 0] as number) & 0x7fffffff;
    const a3 = (bits[(i + 3) | 0] as number) & 0x7fffffff;
    const a4 = (bits[(i + 4) | 0] as number) & 0x7fffffff;
    const a5 = (bits[(i + 5) | 0] as number) & 0x7fffffff;
    const a6 = (bits[(i + 6) | 0] as number) & 0x7fffffff;
    const a7 = (bits[(i + 7) | 0] as number) & 0x7fffffff;
    if (a0 > m0) m0 = a0;
    if (a1 > m1) m1 = a1;
    if (a2 > m2) m2 = a2;
    if (a3 > m3) m3 = a3;
    if (a4 > m0) m0 = a4;
    if (a5 > m1) m1 = a5;
    if (a6 > m2) m2 = a6;
    if (a7 > m3) m3 = a7;
  }
  for (; i < end; i++) {
    const a = (bits[i] as number) & 0x7fffffff;
    if (a > m0) m0 = a;
  }
  if (m1 > m0) m0 = m1;
  if (m2 > m0) m0 = m2;
  if (m3 > m0) m0 = m3;
  return m0;
}

/** True when every element of `bits[start .. end)` has the bit pattern of the first (a constant block). */
export function allBitsEqual(bits: Int32Array, start: number, end: number): boolean {
  const first = bits[start] as number;
  for (let i = start + 1; i < end; i++) if ((bits[i] as number) !== first) return false;
  return true;
}

/**
 * Integer codes of `x[start .. end)` (a multiple of 4 elements) for the zp formulation, four byte codes per
 * little-endian word `words[w ..]`: `code = clamp(round_half_even(x / s), lo, hi) + z` with `lo = qmin - z`,
 * `hi = qmax - z`, requires |lo|, |hi| <= 2^18 and finite x.
 *
 * Exactness of multiplying by `inv = 1 / s` (float64) instead of dividing by s, for float32 x and s:
 * - |x * inv - x / s| <= |x / s| * 2^-52 (two roundings), so <= 2^-33 wherever the clamp does not bind.
 * - If x / s is not exactly a half-integer k + 1/2, it is at least 2^-26 away from one: with x = X 2^a and
 *   s = S 2^b (X, S < 2^24 integers), |x / s - (k + 1/2)| = |X 2^(a+1) - (2k+1) S 2^b| / (S 2^(b+1)); the
 *   numerator is a non-zero multiple of 2^min(a+1, b), which bounds the distance below by 1 / (2S) > 2^-25 when
 *   a + 1 >= b, and by 2^(a-b) / S = |x / s| / X >= (1/2 - 2^-25) 2^-24 otherwise.
 * - Rounding the product to a multiple of 2^-30 first (adding GRID) moves it by at most 2^-31: an exact tie
 *   x / s = k + 1/2 (product within 2^-33 of it) lands exactly on k + 1/2 and then rounds to even, and any other
 *   value stays strictly on its side of every half-integer, so the final rounding agrees with rounding x / s.
 * Clamping before rounding or after gives the same integer (rounding is monotonic and lo, hi are integers).
 * The second addition `+ (MAGIC - GRID)` is exact up to the final round-half-even to an integer, and
 * ToInt32 of `MAGIC + q` is q because MAGIC is a multiple of 2^32. The zero point is added after rounding
 * (round-half-even looks at the parity of q, not of q + z).
 */
export function quantizeIntWords8(
  x: Float32Array,
  start: number,
  end: number,
  inv: number,
  loBound: number,
  hiBound: number,
  z: number,
  words: Int32Array,
  w: number,
): void {
  // Float64 copies: a clamp that mixes a tagged small integer with a double makes V8 box every result.
  const lo = loBound - 0.5 + 0.5;
  const hi = hiBound - 0.5 + 0.5;
  for (let i = start; i < end; i = (i + 4) | 0, w = (w + 1) | 0) {
    let v0 = (x[i] as number) * inv;
    let v1 = (x[(i + 1) | 0] as number) * inv;
    let v2 = (x[(i + 2) | 0] as number) * inv;
    let v3 = (x[(i + 3) | 0] as number) * inv;
    v0 = v0 > hi ? hi : v0 < lo ? lo : v0;
    v1 = v1 > hi ? hi : v1 < lo ? lo : v1;
    v2 = v2 > hi ? hi : v2 < lo ? lo : v2;
    v3 = v3 > hi ? hi : v3 < lo ? lo : v3;
    const c0 = ((v0 + 6291456 + 6755399434764288) | 0) + z;
    const c1 = ((v1 + 6291456 + 6755399434764288) | 0) + z;
    const c2 = ((v2 + 6291456 + 6755399434764288) | 0) + z;
    const c3 = ((v3 + 6291456 + 6755399434764288) | 0) + z;
    words[w] = (c0 & 255) | ((c1 & 255) << 8) | ((c2 & 255) << 16) | (c3 << 24);
  }
}

/** As {@link quantizeIntWords8}, eight 4-bit codes per word (LSB-first nibbles); `end - start` a multiple of 8. */
export function quantizeIntWords4(
  x: Float32Array,
  start: number,
  end: number,
  inv: number,
  loBound: number,
  hiBound: number,
  z: number,
  words: Int32Array,
  w: number,
): void {
  // Float64 copies: a clamp that mixes a tagged small integer with a double makes V8 box every result.
  const lo = loBound - 0.5 + 0.5;
  const hi = hiBound - 0.5 + 0.5;
  for (let i = start; i < end; i = (i + 8) | 0, w = (w + 1) | 0) {
    let v0 = (x[i] as number) * inv;
    let v1 = (x[(i + 1) | 0] as number) * inv;
    let v2 = (x[(i + 2) | 0] as number) * inv;
    let v3 = (x[(i + 3) | 0] as number) * inv;
    let v4 = (x[(i + 4) | 0] as number) * inv;
    let v5 = (x[(i + 5) | 0] as number) * inv;
    let v6 = (x[(i + 6) | 0] as number) * inv;
    let v7 = (x[(i + 7) | 0] as number) * inv;
    v0 = v0 > hi ? hi : v0 < lo ? lo : v0;
    v1 = v1 > hi ? hi : v1 < lo ? lo : v1;
    v2 = v2 > hi ? hi : v2 < lo ? lo : v2;
    v3 = v3 > hi ? hi : v3 < lo ? lo : v3;
    v4 = v4 > hi ? hi : v4 < lo ? lo : v4;
    v5 = v5 > hi ? hi : v5 < lo ? lo : v5;
    v6 = v6 > hi ? hi : v6 < lo ? lo : v6;
    v7 = v7 > hi ? hi : v7 < lo ? lo : v7;
    const c0 = ((v0 + 6291456 + 6755399434764288) | 0) + z;
    const c1 = ((v1 + 6291456 + 6755399434764288) | 0) + z;
    const c2 = ((v2 + 6291456 + 6755399434764288) | 0) + z;
    const c3 = ((v3 + 6291456 + 6755399434764288) | 0) + z;
    const c4 = ((v4 + 6291456 + 6755399434764288) | 0) + z;
    const c5 = ((v5 + 6291456 + 6755399434764288) | 0) + z;
    const c6 = ((v6 + 6291456 + 6755399434764288) | 0) + z;
    const c7 = ((v7 + 6291456 + 6755399434764288) | 0) + z;
    words[w] =
      (c0 & 15) |
      ((c1 & 15) << 4) |
      ((c2 & 15) << 8) |
      ((c3 & 15) << 12) |
      ((c4 & 15) << 16) |
      ((c5 & 15) << 20) |
      ((c6 & 15) << 24) |
      (c7 << 28);
  }
}

/**
 * As {@link quantizeIntWords8} with only the upper clamp, for a block whose codes are known to lie in
 * `[lo, hi + 1]` (from its abs-max, see quantizeBlocks): no product rounds below `lo`, so clamping it to `hi`
 * (in float64, before rounding, as quantizeIntWords8 does) is the whole clamp. One float compare per element
 * is cheaper than bringing a code of `hi + 1` back in the integer domain (`c - ((hi - c) >>> 31)`, ~10% of
 * an int8 per-channel quantize).
 */
export function quantizeIntWords8Fit(
  x: Float32Array,
  start: number,
  end: number,
  inv: number,
  hiBound: number,
  z: number,
  words: Int32Array,
  w: number,
): void {
  // Float64 copy: a clamp that mixes a tagged small integer with a double makes V8 box every result.
  const hi = hiBound - 0.5 + 0.5;
  for (let i = start; i < end; i = (i + 4) | 0, w = (w + 1) | 0) {
    let v0 = (x[i] as number) * inv;
    let v1 = (x[(i + 1) | 0] as number) * inv;
    let v2 = (x[(i + 2) | 0] as number) * inv;
    let v3 = (x[(i + 3) | 0] as number) * inv;
    v0 = v0 > hi ? hi : v0;
    v1 = v1 > hi ? hi : v1;
    v2 = v2 > hi ? hi : v2;
    v3 = v3 > hi ? hi : v3;
    const c0 = ((v0 + 6291456 + 6755399434764288) | 0) + z;
    const c1 = ((v1 + 6291456 + 6755399434764288) | 0) + z;
    const c2 = ((v2 + 6291456 + 6755399434764288) | 0) + z;
    const c3 = ((v3 + 6291456 + 6755399434764288) | 0) + z;
    words[w] = (c0 & 255) | ((c1 & 255) << 8) | ((c2 & 255) << 16) | (c3 << 24);
  }
}

/** As {@link quantizeIntWords8Fit} with eight 4-bit codes per word. */
export function quantizeIntWords4Fit(
  x: Float32Array,
  start: number,
  end: number,
  inv: number,
  hiBound: number,
  z: number,
  words: Int32Array,
  w: number,
): void {
  // Float64 copy: a clamp that mixes a tagged small integer with a double makes V8 box every result.
  const hi = hiBound - 0.5 + 0.5;
  for (let i = start; i < end; i = (i + 8) | 0, w = (w + 1) | 0) {
    let v0 = (x[i] as number) * inv;
    let v1 = (x[(i + 1) | 0] as number) * inv;
    let v2 = (x[(i + 2) | 0] as number) * inv;
    let v3 = (x[(i + 3) | 0] as number) * inv;
    let v4 = (x[(i + 4) | 0] as number) * inv;
    let v5 = (x[(i + 5) | 0] as number) * inv;
    let v6 = (x[(i + 6) | 0] as number) * inv;
    let v7 = (x[(i + 7) | 0] as number) * inv;
    v0 = v0 > hi ? hi : v0;
    v1 = v1 > hi ? hi : v1;
    v2 = v2 > hi ? hi : v2;
    v3 = v3 > hi ? hi : v3;
    v4 = v4 > hi ? hi : v4;
    v5 = v5 > hi ? hi : v5;
    v6 = v6 > hi ? hi : v6;
    v7 = v7 > hi ? hi : v7;
    const c0 = ((v0 + 6291456 + 6755399434764288) | 0) + z;
    const c1 = ((v1 + 6291456 + 6755399434764288) | 0) + z;
    const c2 = ((v2 + 6291456 + 6755399434764288) | 0) + z;
    const c3 = ((v3 + 6291456 + 6755399434764288) | 0) + z;
    const c4 = ((v4 + 6291456 + 6755399434764288) | 0) + z;
    const c5 = ((v5 + 6291456 + 6755399434764288) | 0) + z;
    const c6 = ((v6 + 6291456 + 6755399434764288) | 0) + z;
    const c7 = ((v7 + 6291456 + 6755399434764288) | 0) + z;
    words[w] =
      (c0 & 15) |
      ((c1 & 15) << 4) |
      ((c2 & 15) << 8) |
      ((c3 & 15) << 12) |
      ((c4 & 15) << 16) |
      ((c5 & 15) << 20) |
      ((c6 & 15) << 24) |
      (c7 << 28);
  }
}

/** The unclamped integer code of a product `v = x * inv` with |v| <= 2^18, rounded as the word loops do. */
export function roundedCode(v: number): number {
  return (v + 6291456 + 6755399434764288) | 0;
}

/**
 * Branch-free abs-max of a short block (`end - start` a multiple of 4), as {@link absMaxBits}: for small blocks
 * the running maximum changes often and unpredictably, and a mispredicted branch costs more than four integer
 * operations (`m - ((m - a) & ((m - a) >> 31))` is max(m, a) for non-negative int32 m, a).
 */
export function absMaxBitsShort(bits: Int32Array, start: number, end: number): number {
  let m0 = 0;
  let m1 = 0;
  for (let i = start; i < end; i = (i + 4) | 0) {
    const a0 = (bits[i] as number) & 0x7fffffff;
    const a1 = (bits[(i + 1) | 0] as number) & 0x7fffffff;
    const a2 = (bits[(i + 2) | 0] as number) & 0x7fffffff;
    const a3 = (bits[(i + 3) | 0] as number) & 0x7fffffff;
    const d0 = m0 - a0;
    m0 -= d0 & (d0 >> 31);
    const d1 = m1 - a1;
    m1 -= d1 & (d1 >> 31);
    const d2 = m0 - a2;
    m0 -= d2 & (d2 >> 31);
    const d3 = m1 - a3;
    m1 -= d3 & (d3 >> 31);
  }
  const d = m0 - m1;
  return m0 - (d & (d >> 31));
}

/** As {@link quantizeIntWords8}, one code per element into `out[o ..]` (any length, any code width). */
export function quantizeIntRun(
  x: Float32Array,
  start: number,
  end: number,
  inv: number,
  loBound: number,
  hiBound: number,
  z: number,
  out: Int32Array | Int8Array | Uint8Array,
  o: number,
): void {
  // Float64 copies: a clamp that mixes a tagged small integer with a double makes V8 box every result.
  const lo = loBound - 0.5 + 0.5;
  const hi = hiBound - 0.5 + 0.5;
  for (let i = start; i < end; i++, o++) {
    let v = (x[i] as number) * inv;
    v = v > hi ? hi : v < lo ? lo : v;
    out[o] = ((v + 6291456 + 6755399434764288) | 0) + z;
  }
}

/**
 * Codes of a small float element format for `x[start .. end)` (a multiple of 4 elements), four byte codes per
 * word: the code of `fround(x / s)` under round-to-nearest-even with saturation to the largest finite value,
 * bit for bit what the format's saturating `encodeArray` gives (finite x only). `bits` is the Int32Array view of
 * x (the sign comes from it, so -0 and negative values that round to zero keep their sign bit).
 *
 * `fround(x * inv)` with `inv = 1 / s` equals `fround(x / s)` for float32 x and s: x / s is never exactly halfway
 * between two normal float32 values (that would need x = m * s with a 25-bit odd m, more bits than x has), and
 * its relative distance to such a midpoint is at least 2^-49 (the same integer argument as in quantizeIntWords8),
 * while x * inv is within 2^-52 relative of x / s. Below 2^-126 both are far under the format's smallest
 * subnormal and give a zero magnitude; above float32's range both saturate.
 *
 * With a = min(|fround(x / s)|, maxFinite), emin the smallest normal exponent and M mantissa bits, the
 * magnitude code is `(E - emin) * 2^M + round_half_even(a * 2^(M - E))` where `E = max(floor(log2 a), emin)`
 * (subnormals share the quantum of the smallest binade; a carry out of the mantissa lands on the next exponent
 * by itself). `E - emin` is `31 - clz32(floor(a * 2^-emin))` clamped at 0, so the per-binade factor and offset
 * come from `table` indexed by that clz32: `table[2c] = 2^(M - E)`, `table[2c + 1] = MAGIC + (E - emin) * 2^M`
 * (an even offset for M >= 1, so adding it before the rounding does not change ties); `table[66]` is maxFinite
 * and `table[67]` is 2^-emin.
 */
export function quantizeFloatWords8(
  x: Float32Array,
  bits: Int32Array,
  start: number,
  end: number,
  inv: number,
  table: Float64Array,
  words: Int32Array,
  w: number,
): void {
  // Read from the table, so they are doubles for V8 (a tagged bound in the clamp would box every result).
  const maxFinite = table[66] as number;
  const binadeScale = table[67] as number;
  for (let i = start; i < end; i = (i + 4) | 0, w = (w + 1) | 0) {
    let a0 = Math.abs(Math.fround((x[i] as number) * inv));
    let a1 = Math.abs(Math.fround((x[(i + 1) | 0] as number) * inv));
    let a2 = Math.abs(Math.fround((x[(i + 2) | 0] as number) * inv));
    let a3 = Math.abs(Math.fround((x[(i + 3) | 0] as number) * inv));
    a0 = a0 > maxFinite ? maxFinite : a0;
    a1 = a1 > maxFinite ? maxFinite : a1;
    a2 = a2 > maxFinite ? maxFinite : a2;
    a3 = a3 > maxFinite ? maxFinite : a3;
    const k0 = Math.clz32((a0 * binadeScale) | 0) << 1;
    const k1 = Math.clz32((a1 * binadeScale) | 0) << 1;
    const k2 = Math.clz32((a2 * binadeScale) | 0) << 1;
    const k3 = Math.clz32((a3 * binadeScale) | 0) << 1;
    const c0 = (a0 * (table[k0] as number) + (table[k0 + 1] as number)) | 0;
    const c1 = (a1 * (table[k1] as number) + (table[k1 + 1] as number)) | 0;
    const c2 = (a2 * (table[k2] as number) + (table[k2 + 1] as number)) | 0;
    const c3 = (a3 * (table[k3] as number) + (table[k3 + 1] as number)) | 0;
    const sign =
      (((bits[i] as number) >>> 24) & 0x80) |
      (((bits[(i + 1) | 0] as number) >>> 16) & 0x8000) |
      (((bits[(i + 2) | 0] as number) >>> 8) & 0x800000) |
      ((bits[(i + 3) | 0] as number) & 0x80000000);
    words[w] = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24) | sign;
  }
}

/**
 * As {@link quantizeFloatWords8} for a 4-bit format: eight codes per word, `end - start` a multiple of 8.
 */
export function quantizeFloatWords4(
  x: Float32Array,
  bits: Int32Array,
  start: number,
  end: number,
  inv: number,
  table: Float64Array,
  words: Int32Array,
  w: number,
): void {
  // Read from the table, so they are doubles for V8 (a tagged bound in the clamp would box every result).
  const maxFinite = table[66] as number;
  const binadeScale = table[67] as number;
  for (let i = start; i < end; i = (i + 8) | 0, w = (w + 1) | 0) {
    let a0 = Math.abs(Math.fround((x[i] as number) * inv));
    let a1 = Math.abs(Math.fround((x[(i + 1) | 0] as number) * inv));
    let a2 = Math.abs(Math.fround((x[(i + 2) | 0] as number) * inv));
    let a3 = Math.abs(Math.fround((x[(i + 3) | 0] as number) * inv));
    let a4 = Math.abs(Math.fround((x[(i + 4) | 0] as number) * inv));
    let a5 = Math.abs(Math.fround((x[(i + 5) | 0] as number) * inv));
    let a6 = Math.abs(Math.fround((x[(i + 6) | 0] as number) * inv));
    let a7 = Math.abs(Math.fround((x[(i + 7) | 0] as number) * inv));
    a0 = a0 > maxFinite ? maxFinite : a0;
    a1 = a1 > maxFinite ? maxFinite : a1;
    a2 = a2 > maxFinite ? maxFinite : a2;
    a3 = a3 > maxFinite ? maxFinite : a3;
    a4 = a4 > maxFinite ? maxFinite : a4;
    a5 = a5 > maxFinite ? maxFinite : a5;
    a6 = a6 > maxFinite ? maxFinite : a6;
    a7 = a7 > maxFinite ? maxFinite : a7;
    const k0 = Math.clz32((a0 * binadeScale) | 0) << 1;
    const k1 = Math.clz32((a1 * binadeScale) | 0) << 1;
    const k2 = Math.clz32((a2 * binadeScale) | 0) << 1;
    const k3 = Math.clz32((a3 * binadeScale) | 0) << 1;
    const k4 = Math.clz32((a4 * binadeScale) | 0) << 1;
    const k5 = Math.clz32((a5 * binadeScale) | 0) << 1;
    const k6 = Math.clz32((a6 * binadeScale) | 0) << 1;
    const k7 = Math.clz32((a7 * binadeScale) | 0) << 1;
    const c0 = (a0 * (table[k0] as number) + (table[k0 + 1] as number)) | 0;
    const c1 = (a1 * (table[k1] as number) + (table[k1 + 1] as number)) | 0;
    const c2 = (a2 * (table[k2] as number) + (table[k2 + 1] as number)) | 0;
    const c3 = (a3 * (table[k3] as number) + (table[k3 + 1] as number)) | 0;
    const c4 = (a4 * (table[k4] as number) + (table[k4 + 1] as number)) | 0;
    const c5 = (a5 * (table[k5] as number) + (table[k5 + 1] as number)) | 0;
    const c6 = (a6 * (table[k6] as number) + (table[k6 + 1] as number)) | 0;
    const c7 = (a7 * (table[k7] as number) + (table[k7 + 1] as number)) | 0;
    // Sign bits: bit 31 of each input moved to bit 3 of its nibble.
    const sign =
      (((bits[i] as number) >>> 28) & 0x8) |
      (((bits[(i + 1) | 0] as number) >>> 24) & 0x80) |
      (((bits[(i + 2) | 0] as number) >>> 20) & 0x800) |
      (((bits[(i + 3) | 0] as number) >>> 16) & 0x8000) |
      (((bits[(i + 4) | 0] as number) >>> 12) & 0x80000) |
      (((bits[(i + 5) | 0] as number) >>> 8) & 0x800000) |
      (((bits[(i + 6) | 0] as number) >>> 4) & 0x8000000) |
      ((bits[(i + 7) | 0] as number) & 0x80000000);
    words[w] = c0 | (c1 << 4) | (c2 << 8) | (c3 << 12) | (c4 << 16) | (c5 << 20) | (c6 << 24) | (c7 << 28) | sign;
  }
}

/** As {@link quantizeFloatWords8}, one code per element into `out[o ..]` (any length); `signShift = bits - 1`. */
export function quantizeFloatRun(
  x: Float32Array,
  bits: Int32Array,
  start: number,
  end: number,
  inv: number,
  table: Float64Array,
  signShift: number,
  out: Int32Array | Uint8Array,
  o: number,
): void {
  // Read from the table, so they are doubles for V8 (a tagged bound in the clamp would box every result).
  const maxFinite = table[66] as number;
  const binadeScale = table[67] as number;
  for (let i = start; i < end; i++, o++) {
    let a = Math.abs(Math.fround((x[i] as number) * inv));
    a = a > maxFinite ? maxFinite : a;
    const c = Math.clz32((a * binadeScale) | 0) << 1;
    out[o] = (a * (table[c] as number) + (table[c + 1] as number)) | 0 | (((bits[i] as number) >>> 31) << signShift);
  }
}

/** Packing kinds of {@link quantizeBlocks}. */
export const INT8_WORDS = 0;
export const INT4_WORDS = 1;
export const FLOAT8_WORDS = 2;
export const FLOAT4_WORDS = 3;

/**
 * Range, parameters and packed codes of consecutive blocks of `chunk` elements in `[start, end)`, the first
 * being block `b`: for each block, its abs-max (also the NaN / Inf check), then either its parameters computed
 * from the abs-max (`scaleMode` >= 0, see below) or the given `scales` / `zeroPoints` (`scaleMode` -1;
 * `zDefault` when `hasZp` is false), then its codes with the word loop of `kind`. Returns the start of the first
 * block it leaves to the caller (one holding NaN or Inf, or a constant block when computing), or `end`.
 *
 * Computed parameters are qparamsFromRange's for a symmetric range [-amax, amax]: the raw scale
 * `(amax - -amax) / levels` (integers, zero point `zDefault`) or `amax / maxFinite` (floats), 1 when that range
 * is zero, then roundScale for the scale dtype: `scaleMode` 0 float32 (at least 2^-126, rounded to float32);
 * 1 a small float format (float16, float8_e4m3fn) described by `scaleTable` like the element `table`, rounded
 * to nearest even with saturation, `scaleTable[68]` when that rounds to 0; 2 float8_e8m0fnu for float elements,
 * `2^(floor(log2 amax) - scaleTable[70])` with the exponent clamped to [-127, 127]. `f32` / `i32` are
 * one-element views of one buffer (bit pattern to float).
 */
export function quantizeBlocks(
  x: Float32Array,
  bits: Int32Array,
  start: number,
  end: number,
  chunk: number,
  b: number,
  kind: number,
  scaleMode: number,
  levels: number,
  qmin: number,
  qmax: number,
  zDefault: number,
  scales: Float32Array,
  zeroPoints: Int32Array,
  hasZp: boolean,
  table: Float64Array,
  scaleTable: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  words: Int32Array,
): number {
  // kind: 0 INT8_WORDS, 1 INT4_WORDS, 2 FLOAT8_WORDS, 3 FLOAT4_WORDS (literals: module bindings are slow here)
  const isFloat = kind >= 2;
  const maxFinite = table[66] as number;
  const scaleMax = scaleTable[66] as number;
  const scaleBinade = scaleTable[67] as number;
  for (let p = start | 0; p < end; p = (p + chunk) | 0, b = (b + 1) | 0) {
    const q = (p + chunk) | 0;
    const m = chunk <= 64 && (chunk & 3) === 0 ? absMaxBitsShort(bits, p, q) : absMaxBits(bits, p, q);
    if (m >= 0x7f800000) return p;
    let s: number;
    let z = zDefault;
    if (scaleMode >= 0) {
      if (allBitsEqual(bits, p, q)) return p;
      i32[0] = m;
      const amax = f32[0] as number;
      const width = amax - -amax;
      const raw = isFloat ? (amax > 0 ? amax / maxFinite : 1) : width > 0 ? width / levels : 1;
      if (scaleMode === 0) {
        s = Math.fround(Math.max(raw, 1.1754943508222875e-38));
      } else if (scaleMode === 1) {
        const a = raw > scaleMax ? scaleMax : raw;
        const c = Math.clz32((a * scaleBinade) | 0) << 1;
        const f = scaleTable[c] as number;
        const r = (a * f + 6755399441055744 - 6755399441055744) / f;
        s = r > 0 ? r : (scaleTable[68] as number);
      } else {
        // floor(log2 amax) from the float32 bits (subnormals: from the leading zeros of the mantissa).
        let e =
          m === 0 ? -127 : (m >>> 23 === 0 ? -118 - Math.clz32(m) : (m >>> 23) - 127) - (scaleTable[70] as number);
        e = e < -127 ? -127 : e > 127 ? 127 : e;
        i32[0] = e >= -126 ? (e + 127) << 23 : 0x00400000;
        s = f32[0] as number;
      }
      scales[b] = s;
      if (hasZp && !isFloat) zeroPoints[b] = z;
    } else {
      s = scales[b] as number;
      if (hasZp) z = zeroPoints[b] as number;
    }
    const inv = 1 / s;
    if (kind <= 1) {
      // Codes of the block lie between those of -amax and +amax; without clamping when they fit [lo, hi + 1].
      i32[0] = m;
      const top = (f32[0] as number) * inv;
      const hi = qmax - z;
      const fits =
        top <= 262144 &&
        ((top + 6291456 + 6755399434764288) | 0) <= hi + 1 &&
        ((-top + 6291456 + 6755399434764288) | 0) >= qmin - z;
      if (kind === 0) {
        if (fits) quantizeIntWords8Fit(x, p, q, inv, hi, z, words, p >> 2);
        else quantizeIntWords8(x, p, q, inv, qmin - z, hi, z, words, p >> 2);
      } else if (fits) quantizeIntWords4Fit(x, p, q, inv, hi, z, words, p >> 3);
      else quantizeIntWords4(x, p, q, inv, qmin - z, hi, z, words, p >> 3);
    } else if (kind === 2) quantizeFloatWords8(x, bits, p, q, inv, table, words, p >> 2);
    else quantizeFloatWords4(x, bits, p, q, inv, table, words, p >> 3);
  }
  return end;
}

/**
 * Values of 8-bit integer codes read four per little-endian word from `words[w ..]` for elements
 * `[start, end)` (a multiple of 4): `out = (c - offset) * s + base` rounded once to float32, the expression of
 * the reference dequantize loop. Each byte is read as a signed value `d` of `byte ^ 0x80` when `flip` is
 * 0x80808080 (unsigned storage) and of the byte itself when `flip` is 0, then `c = d + bias` (bias 128 and 0).
 * Returns a negative number when some `d` lies outside `[lo, hi]` (an invalid code; the caller then lets the
 * reference path report it), else 0.
 */
export function dequantizeWords8(
  words: Int32Array,
  w: number,
  start: number,
  end: number,
  s: number,
  offsetMinusBias: number,
  base: number,
  flip: number,
  loCode: number,
  hiCode: number,
  out: Float32Array,
): number {
  const lo = loCode | 0; // integer arithmetic below whatever the caller passed
  const hi = hiCode | 0;
  let bad = 0;
  for (let i = start; i < end; i = (i + 4) | 0, w = (w + 1) | 0) {
    const word = (words[w] as number) ^ flip;
    const d0 = (word << 24) >> 24;
    const d1 = (word << 16) >> 24;
    const d2 = (word << 8) >> 24;
    const d3 = word >> 24;
    bad |= (d0 - lo) | (hi - d0) | (d1 - lo) | (hi - d1) | (d2 - lo) | (hi - d2) | (d3 - lo) | (hi - d3);
    out[i] = (d0 - offsetMinusBias) * s + base;
    out[(i + 1) | 0] = (d1 - offsetMinusBias) * s + base;
    out[(i + 2) | 0] = (d2 - offsetMinusBias) * s + base;
    out[(i + 3) | 0] = (d3 - offsetMinusBias) * s + base;
  }
  return bad;
}

/** As {@link dequantizeWords8} for 4-bit codes, eight per word (flip 0x88888888 and bias 8 when unsigned). */
export function dequantizeWords4(
  words: Int32Array,
  w: number,
  start: number,
  end: number,
  s: number,
  offsetMinusBias: number,
  base: number,
  flip: number,
  loCode: number,
  hiCode: number,
  out: Float32Array,
): number {
  const lo = loCode | 0; // integer arithmetic below whatever the caller passed
  const hi = hiCode | 0;
  let bad = 0;
  for (let i = start; i < end; i = (i + 8) | 0, w = (w + 1) | 0) {
    const word = (words[w] as number) ^ flip;
    const d0 = (word << 28) >> 28;
    const d1 = (word << 24) >> 28;
    const d2 = (word << 20) >> 28;
    const d3 = (word << 16) >> 28;
    const d4 = (word << 12) >> 28;
    const d5 = (word << 8) >> 28;
    const d6 = (word << 4) >> 28;
    const d7 = word >> 28;
    bad |=
      (d0 - lo) |
      (hi - d0) |
      (d1 - lo) |
      (hi - d1) |
      (d2 - lo) |
      (hi - d2) |
      (d3 - lo) |
      (hi - d3) |
      (d4 - lo) |
      (hi - d4) |
      (d5 - lo) |
      (hi - d5) |
      (d6 - lo) |
      (hi - d6) |
      (d7 - lo) |
      (hi - d7);
    out[i] = (d0 - offsetMinusBias) * s + base;
    out[(i + 1) | 0] = (d1 - offsetMinusBias) * s + base;
    out[(i + 2) | 0] = (d2 - offsetMinusBias) * s + base;
    out[(i + 3) | 0] = (d3 - offsetMinusBias) * s + base;
    out[(i + 4) | 0] = (d4 - offsetMinusBias) * s + base;
    out[(i + 5) | 0] = (d5 - offsetMinusBias) * s + base;
    out[(i + 6) | 0] = (d6 - offsetMinusBias) * s + base;
    out[(i + 7) | 0] = (d7 - offsetMinusBias) * s + base;
  }
  return bad;
}

/** Values of 8-bit float codes, four per word: `out = table[c] * s` rounded once to float32 (256-entry table). */
export function dequantizeTableWords8(
  words: Int32Array,
  w: number,
  start: number,
  end: number,
  s: number,
  table: Float32Array,
  out: Float32Array,
): void {
  for (let i = start; i < end; i = (i + 4) | 0, w = (w + 1) | 0) {
    const word = words[w] as number;
    out[i] = (table[word & 255] as number) * s;
    out[(i + 1) | 0] = (table[(word >>> 8) & 255] as number) * s;
    out[(i + 2) | 0] = (table[(word >>> 16) & 255] as number) * s;
    out[(i + 3) | 0] = (table[word >>> 24] as number) * s;
  }
}

/**
 * As {@link dequantizeWords8} without the code check and with `base` 0 (zp formulation): `out = (d - o) * s`.
 * For storage whose every byte is a valid code. Adding the reference's `+ 0` changes nothing: `(c - z) * s` is
 * exact in float64 and never -0.
 */
export function dequantizeWords8Zp(
  words: Int32Array,
  w: number,
  start: number,
  end: number,
  s: number,
  offsetMinusBias: number,
  flip: number,
  out: Float32Array,
): void {
  for (let i = start; i < end; i = (i + 4) | 0, w = (w + 1) | 0) {
    const word = (words[w] as number) ^ flip;
    out[i] = (((word << 24) >> 24) - offsetMinusBias) * s;
    out[(i + 1) | 0] = (((word << 16) >> 24) - offsetMinusBias) * s;
    out[(i + 2) | 0] = (((word << 8) >> 24) - offsetMinusBias) * s;
    out[(i + 3) | 0] = ((word >> 24) - offsetMinusBias) * s;
  }
}

/**
 * Smallest and largest order key of `bits[start .. end)` into `out[0]`, `out[1]`, where the key of a float32 bit
 * pattern b is `b ^ ((b >> 31) & 0x7fffffff)`: keys order like the values (as signed integers) for every non-NaN
 * float32, with -0 (key -1) just below +0 (key 0). NaN keys lie beyond the keys of -Inf and +Inf.
 */
export function minMaxKeys(bits: Int32Array, start: number, end: number, out: Int32Array): void {
  let lo0 = 0x7fffffff;
  let hi0 = -0x80000000;
  let lo1 = 0x7fffffff;
  let hi1 = -0x80000000;
  let i = start;
  const end2 = end - ((end - start) & 1);
  for (; i < end2; i = (i + 2) | 0) {
    const a = bits[i] as number;
    const c = bits[(i + 1) | 0] as number;
    const k0 = a ^ ((a >> 31) & 0x7fffffff);
    const k1 = c ^ ((c >> 31) & 0x7fffffff);
    if (k0 < lo0) lo0 = k0;
    if (k0 > hi0) hi0 = k0;
    if (k1 < lo1) lo1 = k1;
    if (k1 > hi1) hi1 = k1;
  }
  if (i < end) {
    const a = bits[i] as number;
    const k = a ^ ((a >> 31) & 0x7fffffff);
    if (k < lo0) lo0 = k;
    if (k > hi0) hi0 = k;
  }
  out[0] = lo0 < lo1 ? lo0 : lo1;
  out[1] = hi0 > hi1 ? hi0 : hi1;
}

/** As {@link dequantizeTableWords8} for 4-bit float codes, eight per word (16-entry table). */
export function dequantizeTableWords4(
  words: Int32Array,
  w: number,
  start: number,
  end: number,
  s: number,
  table: Float32Array,
  out: Float32Array,
): void {
  for (let i = start; i < end; i = (i + 8) | 0, w = (w + 1) | 0) {
    const word = words[w] as number;
    out[i] = (table[word & 15] as number) * s;
    out[(i + 1) | 0] = (table[(word >>> 4) & 15] as number) * s;
    out[(i + 2) | 0] = (table[(word >>> 8) & 15] as number) * s;
    out[(i + 3) | 0] = (table[(word >>> 12) & 15] as number) * s;
    out[(i + 4) | 0] = (table[(word >>> 16) & 15] as number) * s;
    out[(i + 5) | 0] = (table[(word >>> 20) & 15] as number) * s;
    out[(i + 6) | 0] = (table[(word >>> 24) & 15] as number) * s;
    out[(i + 7) | 0] = (table[word >>> 28] as number) * s;
  }
}

/** As {@link dequantizeWords8Zp} for 4-bit codes, eight per word. */
export function dequantizeWords4Zp(
  words: Int32Array,
  w: number,
  start: number,
  end: number,
  s: number,
  offsetMinusBias: number,
  flip: number,
  out: Float32Array,
): void {
  for (let i = start; i < end; i = (i + 8) | 0, w = (w + 1) | 0) {
    const word = (words[w] as number) ^ flip;
    out[i] = (((word << 28) >> 28) - offsetMinusBias) * s;
    out[(i + 1) | 0] = (((word << 24) >> 28) - offsetMinusBias) * s;
    out[(i + 2) | 0] = (((word << 20) >> 28) - offsetMinusBias) * s;
    out[(i + 3) | 0] = (((word << 16) >> 28) - offsetMinusBias) * s;
    out[(i + 4) | 0] = (((word << 12) >> 28) - offsetMinusBias) * s;
    out[(i + 5) | 0] = (((word << 8) >> 28) - offsetMinusBias) * s;
    out[(i + 6) | 0] = (((word << 4) >> 28) - offsetMinusBias) * s;
    out[(i + 7) | 0] = ((word >> 28) - offsetMinusBias) * s;
  }
}
