import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { getDType, isQuantError, type DType, type FloatDType } from '../src/index.js';
import { REF_FLOATS, REF_INTS, refNearestCode, refPositiveLadder, type RefFloatFormat } from './reference.js';

const FLOAT_NAMES = Object.keys(REF_FLOATS);
const ALL_NAMES = [...Object.keys(REF_INTS), ...FLOAT_NAMES, 'float32'];

/** Expected saturating code of a non-NaN x, by brute force. */
function expectedFloatCode(ref: RefFloatFormat, ladder: ReturnType<typeof refPositiveLadder>, x: number): number {
  const negative = x < 0 || Object.is(x, -0);
  if (!ref.signed) return negative ? ladder.codes[0]! : refNearestCode(ref, ladder, x);
  const signBit = 2 ** (ref.e + ref.m);
  return (negative ? signBit : 0) + refNearestCode(ref, ladder, Math.abs(x));
}

/** Runs f, returning its value or the QuantError code it threw. */
function outcome(f: () => number | ArrayLike<number>): unknown {
  try {
    const r = f();
    return typeof r === 'number' ? r : Array.from(r);
  } catch (error) {
    if (isQuantError(error)) return `throws ${error.code}`;
    throw error;
  }
}

describe('round to nearest: no representable value is strictly closer (brute force over every code)', () => {
  for (const name of FLOAT_NAMES) {
    test(name, () => {
      const ref = REF_FLOATS[name]!;
      const ladder = refPositiveLadder(ref);
      const dtype = getDType(name) as FloatDType;
      const max = dtype.maxFinite;
      // Wide range, and values clustered around representable points (where ties and near-ties live).
      const wide = fc.double({ min: -2 * max, max: 2 * max, noNaN: true });
      const near = fc
        .tuple(
          fc.integer({ min: 0, max: ladder.values.length - 1 }),
          fc.double({ min: -1, max: 1, noNaN: true }),
          fc.boolean(),
        )
        .map(([i, t, neg]) => {
          const v = ladder.values[i]!;
          const step =
            (ladder.values[Math.min(i + 1, ladder.values.length - 1)]! - ladder.values[Math.max(i - 1, 0)]!) / 2;
          const x = v + t * step;
          return neg ? -x : x;
        });
      fc.assert(
        fc.property(fc.oneof(wide, near), (x) => {
          expect(dtype.encode(x)).toBe(expectedFloatCode(ref, ladder, x));
        }),
        { numRuns: 2000 },
      );
    });
  }
});

describe('ties go to the even code', () => {
  for (const name of FLOAT_NAMES) {
    test(name, () => {
      const ref = REF_FLOATS[name]!;
      const { values, codes } = refPositiveLadder(ref);
      const dtype = getDType(name);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: values.length - 2 }), (i) => {
          const mid = (values[i]! + values[i + 1]!) / 2;
          const code = dtype.encode(mid);
          if (ref.special === 'e8m0') {
            // No mantissa: the significand rounds 1.5 -> 2, i.e. a tie takes the larger power of two.
            expect(code).toBe(codes[i + 1]);
          } else {
            expect(code % 2).toBe(0);
            expect([codes[i], codes[i + 1]]).toContain(code);
            expect(dtype.encode(-mid)).toBe(code + 2 ** (dtype.bits - 1));
          }
        }),
        { numRuns: 500 },
      );
    });
  }

  test('integers: half-way values go to the even integer', () => {
    const int8 = getDType('int8');
    fc.assert(
      fc.property(fc.integer({ min: -128, max: 126 }), (k) => {
        const r = int8.encode(k + 0.5);
        expect(r % 2 === 0).toBe(true);
        expect([k, k + 1]).toContain(r);
      }),
    );
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5].map((x) => getDType('int4').encode(x))).toEqual([0, 2, 2, 0, -2, -2]);
  });
});

describe('integers round half to even and clamp', () => {
  for (const [name, { lo, hi }] of Object.entries(REF_INTS)) {
    test(name, () => {
      const dtype = getDType(name);
      fc.assert(
        fc.property(fc.double({ min: lo - 50, max: hi + 50, noNaN: true }), (x) => {
          // Reference: floor, then compare the remainder with one half.
          const f = Math.floor(x);
          const rem = x - f;
          let r = rem > 0.5 ? f + 1 : rem < 0.5 ? f : f % 2 === 0 ? f : f + 1;
          r = Math.min(hi, Math.max(lo, r)) + 0; // codes are never -0
          expect(dtype.encode(x)).toBe(r);
        }),
        { numRuns: 1000 },
      );
      expect(dtype.encode(Infinity)).toBe(hi);
      expect(dtype.encode(-Infinity)).toBe(lo);
    });
  }
});

describe('monotonic: x <= y implies decode(encode(x)) <= decode(encode(y))', () => {
  for (const name of ALL_NAMES) {
    test(name, () => {
      const dtype = getDType(name);
      fc.assert(
        fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true }), (a, b) => {
          const [x, y] = a <= b ? [a, b] : [b, a];
          expect(dtype.decode(dtype.encode(x)) <= dtype.decode(dtype.encode(y))).toBe(true);
        }),
        { numRuns: 500 },
      );
    });
  }
});

describe('saturation and the non-saturating rules', () => {
  const overflowOf = (d: FloatDType, negative: boolean): unknown => {
    const sign = negative && d.signed ? 2 ** (d.bits - 1) : 0;
    if (d.hasInf) return sign + (2 ** (d.exponentBits + d.mantissaBits) - 2 ** d.mantissaBits); // ±Inf
    if (d.hasNaN) return (d.specials === 'e8m0' ? 0 : sign) + d.nanCode!;
    return 'throws DTYPE_VALUE_OUT_OF_RANGE';
  };

  for (const name of [...FLOAT_NAMES, 'float32']) {
    test(name, () => {
      const d = getDType(name) as FloatDType;
      const maxCode = d.encode(d.maxFinite);
      expect(d.decode(maxCode)).toBe(d.maxFinite);
      const signBit = d.signed ? 2 ** (d.bits - 1) : 0;
      // Overflow boundary: half-way between max and the next binade step above it (computed, not looked up).
      // The step above max: one unit in the last place of max (E8M0: the next power of two, 2^128).
      const step = d.specials === 'e8m0' ? d.maxFinite : d.maxFinite - d.decode(maxCode - 1);
      const mid = d.maxFinite + step / 2;
      const tieOverflows = maxCode % 2 === 1 && d.specials !== 'e8m0' ? true : d.specials === 'e8m0';
      fc.assert(
        fc.property(fc.double({ min: mid, max: 1e300, noNaN: true }), fc.boolean(), (x, neg) => {
          if (!d.signed && neg) return;
          const v = neg ? -x : x;
          expect(d.encode(v)).toBe((neg ? signBit : 0) + maxCode);
          if (x > mid || tieOverflows)
            expect(outcome(() => d.encode(v, { saturate: false }))).toEqual(overflowOf(d, neg));
          else expect(d.encode(v, { saturate: false })).toBe((neg ? signBit : 0) + maxCode);
        }),
        { numRuns: 300 },
      );
      // Just below the half-way point stays at max in both modes.
      const justBelow = mid - step / 1024;
      expect(d.encode(justBelow, { saturate: false })).toBe(maxCode);
      // Infinities saturate to ±max by default.
      expect(d.encode(Infinity)).toBe(maxCode);
      if (d.signed) expect(d.encode(-Infinity)).toBe(signBit + maxCode);
      expect(outcome(() => d.encode(Infinity, { saturate: false }))).toEqual(overflowOf(d, false));
    });
  }

  test('ml_dtypes / OCP anchors', () => {
    const e4 = getDType('float8_e4m3fn');
    expect(e4.encode(460)).toBe(0x7e);
    expect(e4.encode(464)).toBe(0x7e);
    expect(e4.encode(464, { saturate: false })).toBe(0x7e);
    expect(e4.encode(465, { saturate: false })).toBe(0x7f);
    expect(e4.encode(-465, { saturate: false })).toBe(0xff);
    expect(e4.encode(1e9)).toBe(0x7e);
    expect(e4.encode(2 ** -10)).toBe(0);
    expect(e4.encode(3 * 2 ** -10)).toBe(0x02);
    expect(e4.encode(2.5 * 2 ** -9)).toBe(0x02);
    expect(e4.encode(NaN)).toBe(0x7f);
    const e5 = getDType('float8_e5m2');
    expect(e5.encode(61439, { saturate: false })).toBe(0x7b);
    expect(e5.encode(61440, { saturate: false })).toBe(0x7c);
    expect(e5.encode(61440)).toBe(0x7b);
    expect(e5.encode(-Infinity, { saturate: false })).toBe(0xfc);
    const fp4 = getDType('float4_e2m1fn');
    const pairs: [number, number][] = [
      [0.25, 0],
      [0.26, 0.5],
      [0.75, 1],
      [1.25, 1],
      [1.75, 2],
      [2.5, 2],
      [3.5, 4],
      [5, 4],
      [5.5, 6],
      [6.5, 6],
      [100, 6],
    ];
    for (const [x, v] of pairs) expect(fp4.decode(fp4.encode(x)), String(x)).toBe(v);
    expect(outcome(() => fp4.encode(7, { saturate: false }))).toBe('throws DTYPE_VALUE_OUT_OF_RANGE');
    expect(fp4.encode(6.9, { saturate: false })).toBe(0b0111);
  });

  test('float8_e8m0fnu: powers of two, no zero, no negatives', () => {
    const d = getDType('float8_e8m0fnu');
    expect([0.75, 1, 1.5, 3, 1.49, 2 ** -127, 1e-40, 2 ** 127].map((x) => d.encode(x))).toEqual([
      127, 127, 128, 129, 127, 0, 0, 254,
    ]);
    expect([d.encode(0), d.encode(-0), d.encode(-3), d.encode(-Infinity)]).toEqual([0, 0, 0, 0]);
    expect([0, -3, 2 ** 128, 1.5 * 2 ** 127, Infinity, NaN].map((x) => d.encode(x, { saturate: false }))).toEqual([
      255, 255, 255, 255, 255, 255,
    ]);
    expect([2 ** 128, Infinity, 1.49 * 2 ** 127].map((x) => d.encode(x))).toEqual([254, 254, 254]);
    expect(d.encode(NaN)).toBe(255);
  });
});

describe('NaN', () => {
  test('formats without a NaN code throw DTYPE_NAN_UNREPRESENTABLE, scalar and array', () => {
    for (const name of [
      'int2',
      'uint2',
      'int4',
      'uint4',
      'int8',
      'uint8',
      'float4_e2m1fn',
      'float6_e2m3fn',
      'float6_e3m2fn',
    ]) {
      const d = getDType(name);
      expect(
        outcome(() => d.encode(NaN)),
        name,
      ).toBe('throws DTYPE_NAN_UNREPRESENTABLE');
      expect(
        outcome(() => d.encode(NaN, { saturate: false })),
        name,
      ).toBe('throws DTYPE_NAN_UNREPRESENTABLE');
      expect(
        outcome(() => d.encodeArray(new Float32Array([1, NaN]))),
        name,
      ).toBe('throws DTYPE_NAN_UNREPRESENTABLE');
      expect(
        outcome(() => d.encodeArray([1, NaN])),
        name,
      ).toBe('throws DTYPE_NAN_UNREPRESENTABLE');
    }
    try {
      getDType('int8').encodeArray(new Float32Array([1, 2, NaN]));
      expect.unreachable();
    } catch (error) {
      expect(isQuantError(error) && error.message).toMatch(/element 2/);
    }
  });

  test('formats with NaN map every NaN, whatever its sign bit, to the canonical positive NaN code', () => {
    const negNaN = new Float32Array(new Uint32Array([0xffc00000]).buffer);
    const negNaN64 = new Float64Array(new Uint32Array([0, 0xfff80000]).buffer)[0]!;
    const expected: Record<string, [number, number]> = {
      float8_e4m3fn: [0x7f, 0xff],
      float8_e5m2: [0x7e, 0xfe],
      float16: [0x7e00, 0xfe00],
      bfloat16: [0x7fc0, 0xffc0],
      float32: [0x7fc00000, 0xffc00000],
      float8_e8m0fnu: [0xff, 0xff],
    };
    for (const [name, [pos, neg]] of Object.entries(expected)) {
      const d = getDType(name);
      expect(d.encode(NaN), name).toBe(pos);
      expect(d.encodeArray(new Float32Array([NaN]))[0], name).toBe(pos);
      expect(d.encodeArray(negNaN)[0], name).toBe(pos);
      expect(d.encodeArray(negNaN, { saturate: false })[0], name).toBe(pos);
      expect(d.encode(negNaN64), name).toBe(pos);
      expect(Number.isNaN(d.decode(neg)), name).toBe(true);
    }
  });
});

describe('the Float32Array fast path equals the exact scalar path', () => {
  const bitPatterns = fc
    .array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 64 })
    .map((xs) => new Float32Array(new Uint32Array(xs).buffer));
  const floats = fc.array(fc.float(), { maxLength: 64 }).map((xs) => new Float32Array(xs));
  // Values near every format's interesting region: scaled small integers.
  const scaled = fc
    .array(fc.tuple(fc.integer({ min: -4096, max: 4096 }), fc.integer({ min: -140, max: 20 })), { maxLength: 64 })
    .map((xs) => new Float32Array(xs.map(([k, e]) => k * 2 ** e)));
  for (const name of ALL_NAMES) {
    test(name, () => {
      const d: DType = getDType(name);
      fc.assert(
        fc.property(fc.oneof(bitPatterns, floats, scaled), fc.boolean(), (src, saturate) => {
          const fast = outcome(() => d.encodeArray(src, { saturate }));
          const slow = outcome(() => Array.from(src, (x) => d.encode(x, { saturate })));
          expect(fast).toEqual(slow);
          // Plain arrays and Float64Array take the generic path; same answers.
          expect(outcome(() => d.encodeArray(Array.from(src), { saturate }))).toEqual(slow);
        }),
        { numRuns: 300 },
      );
    });
  }
});
