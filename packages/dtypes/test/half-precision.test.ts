import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBFloat16Bits,
  float32ToFloat16Bits,
  getDType,
} from '../src/index.js';
import { REF_FLOATS, refNearestCode, refPositiveLadder, refValue } from './reference.js';

const H = REF_FLOATS.float16!;
const B = REF_FLOATS.bfloat16!;

describe('float16', () => {
  test('all 65536 codes decode to the textbook value and round-trip', () => {
    const d = getDType('float16');
    const codes = new Uint16Array(65536).map((_, i) => i);
    const decoded = d.decodeArray(codes);
    const reencoded = d.encodeArray(decoded, { saturate: false });
    for (let c = 0; c < 65536; c++) {
      const v = refValue(H, c);
      expect(Object.is(float16BitsToFloat32(c), v)).toBe(true);
      expect(Object.is(decoded[c], v)).toBe(true);
      if (Number.isNaN(v)) {
        expect(Number.isNaN(float16BitsToFloat32(reencoded[c]!))).toBe(true);
      } else {
        expect(float32ToFloat16Bits(v)).toBe(c);
        expect(reencoded[c]).toBe(c);
      }
    }
  });

  test('anchors: max 65504, 65520 -> inf (tie to even), 65519 -> max, NaN', () => {
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65519.99)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-65520)).toBe(0xfc00);
    expect(getDType('float16').encode(65520)).toBe(0x7bff); // saturating by default
    expect(getDType('float16').encode(Infinity)).toBe(0x7bff);
    expect(float32ToFloat16Bits(Infinity)).toBe(0x7c00);
    expect(float32ToFloat16Bits(NaN)).toBe(0x7e00);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0); // tie between 0 and 2^-24 -> even (0)
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(2); // tie between 1 and 2 quanta -> 2
    expect(float32ToFloat16Bits(2 ** -25 + 2 ** -60)).toBe(1);
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even mantissa
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  test('rounds a float64 exactly once (no double rounding through float32)', () => {
    // 1 + 2^-11 + 2^-40: float32 would round it to 1 + 2^-11 (a tie for float16, then to 1.0); exact answer is up.
    const x = 1 + 2 ** -11 + 2 ** -40;
    expect(Math.fround(x)).toBe(1 + 2 ** -11);
    expect(float32ToFloat16Bits(x)).toBe(0x3c01);
    expect(getDType('float16').encodeArray(new Float64Array([x]))[0]).toBe(0x3c01);
  });

  test('fast-check: matches brute-force nearest search on float64 inputs', () => {
    const ladder = refPositiveLadder(H);
    fc.assert(
      fc.property(fc.double({ min: -70000, max: 70000, noNaN: true }), (x) => {
        const a = Math.abs(x);
        const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
        const expected = sign + refNearestCode(H, ladder, a);
        return getDType('float16').encode(x) === expected;
      }),
      { numRuns: 3000 },
    );
  });
});

describe('bfloat16', () => {
  test('all 65536 codes decode to the textbook value and round-trip', () => {
    for (let c = 0; c < 65536; c++) {
      const v = refValue(B, c);
      expect(Object.is(bfloat16BitsToFloat32(c), v)).toBe(true);
      if (!Number.isNaN(v)) expect(float32ToBFloat16Bits(v)).toBe(c);
    }
  });

  test('round half to even on ties, up past ties', () => {
    expect(float32ToBFloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie, even = 1.0
    expect(float32ToBFloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie, even = 1 + 2^-6
    expect(float32ToBFloat16Bits(1 + 2 ** -8 + 2 ** -30)).toBe(0x3f81);
    expect(float32ToBFloat16Bits(-(1 + 2 ** -8))).toBe(0xbf80);
    expect(float32ToBFloat16Bits(2 ** -133)).toBe(1); // min subnormal
    expect(float32ToBFloat16Bits(2 ** -134)).toBe(0); // tie with zero -> 0
    expect(float32ToBFloat16Bits(3.4e38)).toBe(0x7f80); // rounds past max -> inf
    expect(getDType('bfloat16').encode(3.4e38)).toBe(0x7f7f); // saturating by default
    expect(float32ToBFloat16Bits(NaN)).toBe(0x7fc0);
  });

  test('fast-check: bfloat16 of a float32 equals the top 16 bits rounded half to even', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const bits = new Uint32Array(new Float32Array([x]).buffer)[0]!;
        const low = bits & 0xffff;
        let top = bits >>> 16;
        if (low > 0x8000 || (low === 0x8000 && (top & 1) === 1)) top += 1;
        return float32ToBFloat16Bits(x) === top;
      }),
      { numRuns: 3000 },
    );
  });
});
