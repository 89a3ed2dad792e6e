/**
 * Reference arithmetic for the tests, written independently of src/: the value of a code straight from the
 * sign / exponent / mantissa formula, and nearest-value search by brute force over every code.
 */

export interface RefFloatFormat {
  readonly e: number;
  readonly m: number;
  readonly bias: number;
  readonly signed: boolean;
  readonly special: 'ieee' | 'fn' | 'none' | 'e8m0';
}

export const REF_FLOATS: Readonly<Record<string, RefFloatFormat>> = {
  float8_e4m3fn: { e: 4, m: 3, bias: 7, signed: true, special: 'fn' },
  float8_e5m2: { e: 5, m: 2, bias: 15, signed: true, special: 'ieee' },
  float6_e2m3fn: { e: 2, m: 3, bias: 1, signed: true, special: 'none' },
  float6_e3m2fn: { e: 3, m: 2, bias: 3, signed: true, special: 'none' },
  float4_e2m1fn: { e: 2, m: 1, bias: 1, signed: true, special: 'none' },
  float8_e8m0fnu: { e: 8, m: 0, bias: 127, signed: false, special: 'e8m0' },
  float16: { e: 5, m: 10, bias: 15, signed: true, special: 'ieee' },
  bfloat16: { e: 8, m: 7, bias: 127, signed: true, special: 'ieee' },
};

export const REF_INTS: Readonly<Record<string, { lo: number; hi: number }>> = {
  int2: { lo: -2, hi: 1 },
  uint2: { lo: 0, hi: 3 },
  int4: { lo: -8, hi: 7 },
  uint4: { lo: 0, hi: 15 },
  int8: { lo: -128, hi: 127 },
  uint8: { lo: 0, hi: 255 },
};

/** Value of `code` in format `f`, from the textbook formula. */
export function refValue(f: RefFloatFormat, code: number): number {
  const width = f.e + f.m;
  const negative = f.signed && Math.floor(code / 2 ** width) === 1;
  const body = code % 2 ** width;
  const expField = Math.floor(body / 2 ** f.m);
  const frac = body % 2 ** f.m;
  const allOnesExp = expField === 2 ** f.e - 1;
  let magnitude: number;
  if (f.special === 'e8m0') {
    magnitude = allOnesExp ? NaN : Math.pow(2, expField - f.bias);
  } else if (f.special === 'ieee' && allOnesExp) {
    magnitude = frac === 0 ? Infinity : NaN;
  } else if (f.special === 'fn' && allOnesExp && frac === 2 ** f.m - 1) {
    magnitude = NaN;
  } else if (expField === 0) {
    magnitude = (frac / 2 ** f.m) * Math.pow(2, 1 - f.bias);
  } else {
    magnitude = (1 + frac / 2 ** f.m) * Math.pow(2, expField - f.bias);
  }
  return negative ? -magnitude : magnitude;
}

/** Number of codes of the format. */
export function refCodeCount(f: RefFloatFormat): number {
  return 2 ** ((f.signed ? 1 : 0) + f.e + f.m);
}

/** Finite non-negative values with their codes, ascending (the -0 / negative half is excluded). */
export function refPositiveLadder(f: RefFloatFormat): { values: number[]; codes: number[] } {
  const pairs: [number, number][] = [];
  const half = f.signed ? refCodeCount(f) / 2 : refCodeCount(f);
  for (let c = 0; c < half; c++) {
    const v = refValue(f, c);
    if (Number.isFinite(v)) pairs.push([v, c]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  return { values: pairs.map((p) => p[0]), codes: pairs.map((p) => p[1]) };
}

/**
 * Saturating round-to-nearest by brute force: the ladder entry closest to |x|; on a tie the code with a zero
 * least significant bit (E8M0, which has no mantissa: the larger power of two). Returns the magnitude code.
 */
export function refNearestCode(f: RefFloatFormat, ladder: { values: number[]; codes: number[] }, a: number): number {
  const { values, codes } = ladder;
  if (a >= values[values.length - 1]!) return codes[codes.length - 1]!;
  if (a <= values[0]!) return codes[0]!;
  let lo = 0;
  let hi = values.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= a) lo = mid;
    else hi = mid;
  }
  const dLo = a - values[lo]!;
  const dHi = values[hi]! - a;
  if (dLo < dHi) return codes[lo]!;
  if (dHi < dLo) return codes[hi]!;
  if (f.special === 'e8m0') return codes[hi]!;
  return codes[lo]! % 2 === 0 ? codes[lo]! : codes[hi]!;
}
