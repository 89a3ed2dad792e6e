import { describe, expect, test } from 'vitest';
import { getDType, type FloatDType } from '../src/index.js';
import { REF_FLOATS, REF_INTS, refCodeCount, refValue } from './reference.js';

const SMALL_FLOATS = [
  'float8_e4m3fn',
  'float8_e5m2',
  'float6_e2m3fn',
  'float6_e3m2fn',
  'float4_e2m1fn',
  'float8_e8m0fnu',
];

describe('every code of every float dtype of 8 bits or fewer decodes to the textbook value', () => {
  for (const name of SMALL_FLOATS) {
    test(name, () => {
      const ref = REF_FLOATS[name]!;
      const dtype = getDType(name);
      const count = refCodeCount(ref);
      expect(count).toBe(2 ** dtype.bits);
      const codes = new Uint8Array(count).map((_, i) => i);
      const viaArray = dtype.decodeArray(codes);
      for (let c = 0; c < count; c++) {
        const expected = refValue(ref, c);
        expect(Object.is(dtype.decode(c), expected), `${name} code ${c}`).toBe(true);
        expect(Object.is(viaArray[c], expected), `${name} decodeArray code ${c}`).toBe(true);
      }
      expect(() => dtype.decode(count)).toThrow(expect.objectContaining({ code: 'DTYPE_INVALID_CODE' }));
      expect(() => dtype.decode(-1)).toThrow(expect.objectContaining({ code: 'DTYPE_INVALID_CODE' }));
      expect(() => dtype.decode(1.5)).toThrow(expect.objectContaining({ code: 'DTYPE_INVALID_CODE' }));
    });
  }
});

describe('every code of every integer dtype', () => {
  for (const [name, { lo, hi }] of Object.entries(REF_INTS)) {
    test(`${name} covers exactly [${lo}, ${hi}]`, () => {
      const dtype = getDType(name);
      expect([dtype.qmin, dtype.qmax]).toEqual([lo, hi]);
      expect(dtype.codeArray).toBe(lo < 0 ? 'Int8Array' : 'Uint8Array');
      for (let v = lo; v <= hi; v++) {
        expect(dtype.decode(v)).toBe(v);
        expect(dtype.encode(v)).toBe(v);
      }
      expect(() => dtype.decode(lo - 1)).toThrow(expect.objectContaining({ code: 'DTYPE_INVALID_CODE' }));
      expect(() => dtype.decode(hi + 1)).toThrow(expect.objectContaining({ code: 'DTYPE_INVALID_CODE' }));
      const all = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
      expect(Array.from(dtype.decodeArray(all))).toEqual(all);
      expect(Array.from(dtype.encodeArray(new Float32Array(all)))).toEqual(all);
    });
  }
});

describe('anchor values (OCP / ml_dtypes)', () => {
  const f = (name: string): FloatDType => getDType(name) as FloatDType;

  test('float8_e4m3fn', () => {
    const d = f('float8_e4m3fn');
    expect(d.decode(0x7e)).toBe(448);
    expect(d.decode(0xfe)).toBe(-448);
    expect(d.decode(0x7f)).toBeNaN();
    expect(d.decode(0xff)).toBeNaN();
    expect(d.decode(0x01)).toBe(2 ** -9);
    expect(d.decode(0x08)).toBe(2 ** -6);
    expect(d.decode(0x38)).toBe(1);
    expect(Object.is(d.decode(0x80), -0)).toBe(true);
    expect([d.maxFinite, d.minNormal, d.minSubnormal, d.nanCode]).toEqual([448, 2 ** -6, 2 ** -9, 0x7f]);
    expect([d.hasNaN, d.hasInf, d.hasZero, d.exponentBias]).toEqual([true, false, true, 7]);
    // Only 0x7f and 0xff are NaN: 127 finite non-negative values including zero.
    let finite = 0;
    for (let c = 0; c < 128; c++) if (Number.isFinite(d.decode(c))) finite++;
    expect(finite).toBe(127);
  });

  test('float8_e5m2', () => {
    const d = f('float8_e5m2');
    expect(d.decode(0x7b)).toBe(57344);
    expect(d.decode(0x7c)).toBe(Infinity);
    expect(d.decode(0xfc)).toBe(-Infinity);
    for (const c of [0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff]) expect(d.decode(c)).toBeNaN();
    expect([d.maxFinite, d.minNormal, d.minSubnormal, d.nanCode]).toEqual([57344, 2 ** -14, 2 ** -16, 0x7e]);
    expect([d.hasNaN, d.hasInf]).toEqual([true, true]);
  });

  test('float4_e2m1fn', () => {
    const d = f('float4_e2m1fn');
    expect(Array.from({ length: 8 }, (_, c) => d.decode(c))).toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6]);
    expect(Array.from({ length: 8 }, (_, c) => d.decode(c + 8))).toEqual([-0, -0.5, -1, -1.5, -2, -3, -4, -6]);
    expect([d.maxFinite, d.minNormal, d.minSubnormal, d.hasNaN, d.hasInf]).toEqual([6, 1, 0.5, false, false]);
    expect(d.nanCode).toBeNull();
  });

  test('float6_e2m3fn and float6_e3m2fn', () => {
    const a = f('float6_e2m3fn');
    expect([a.bits, a.maxFinite, a.minNormal, a.minSubnormal, a.hasNaN, a.hasInf]).toEqual([
      6,
      7.5,
      1,
      0.125,
      false,
      false,
    ]);
    expect(a.decode(0b011111)).toBe(7.5);
    expect(a.decode(0b111111)).toBe(-7.5);
    const b = f('float6_e3m2fn');
    expect([b.bits, b.maxFinite, b.minNormal, b.minSubnormal, b.hasNaN, b.hasInf]).toEqual([
      6,
      28,
      0.25,
      0.0625,
      false,
      false,
    ]);
    expect(b.decode(0b011111)).toBe(28);
    // 26 is half-way between 24 (mantissa 10) and 28 (mantissa 11): the even mantissa wins.
    expect(b.encode(26)).toBe(0b011110);
    expect(a.encode(7.25)).toBe(0b011110);
  });

  test('float8_e8m0fnu', () => {
    const d = f('float8_e8m0fnu');
    expect(d.decode(127)).toBe(1);
    expect(d.decode(0)).toBe(2 ** -127);
    expect(d.decode(254)).toBe(2 ** 127);
    expect(d.decode(0xff)).toBeNaN();
    expect([d.signed, d.hasZero, d.hasInf, d.hasNaN, d.nanCode]).toEqual([false, false, false, true, 0xff]);
    expect([d.qmin, d.qmax, d.minNormal, d.minSubnormal]).toEqual([2 ** -127, 2 ** 127, 2 ** -127, 2 ** -127]);
  });

  test('float16, bfloat16 and float32 limits', () => {
    const h = f('float16');
    expect([h.maxFinite, h.minNormal, h.minSubnormal, h.nanCode]).toEqual([65504, 2 ** -14, 2 ** -24, 0x7e00]);
    const b = f('bfloat16');
    expect([b.maxFinite, b.minNormal, b.minSubnormal, b.nanCode]).toEqual([
      (2 - 2 ** -7) * 2 ** 127,
      2 ** -126,
      2 ** -133,
      0x7fc0,
    ]);
    const s = f('float32');
    expect([s.maxFinite, s.minNormal, s.minSubnormal, s.nanCode]).toEqual([
      (2 - 2 ** -23) * 2 ** 127,
      2 ** -126,
      2 ** -149,
      0x7fc00000,
    ]);
    expect(s.codeArray).toBe('Uint32Array');
    expect(h.codeArray).toBe('Uint16Array');
  });
});
