import { describe, expect, test } from 'vitest';
import type { QuantizationSpec } from '@lowbit/spec';
import { dequantize, fakeQuantize, quantize, unpackCodes } from '../src/index.js';

// The worked example of the fact sheet (algorithms.md §2.7), with every expected value derived by hand from
// the formulae of the seeds: scale-only, zero-point and minval.
const x = new Float32Array([-1.5, 0.2, 3.0, -0.01]);
const tensor = { data: x, shape: [4] };

function spec(partial: Partial<QuantizationSpec> & Pick<QuantizationSpec, 'dtype'>): QuantizationSpec {
  return { version: 1, qscheme: 'symmetric', qformulation: 'zp', granularity: { type: 'per_tensor' }, ...partial };
}

describe('scale-only formulation (symmetric)', () => {
  test('int8 symmetric: s = amax / 127.5, 0.2/s = 8.5 ties to even, +amax clamps to 127', () => {
    const q = quantize(tensor, spec({ dtype: 'int8' }));
    expect(q.scales[0]).toBe(Math.fround(3 / 127.5));
    expect([...unpackCodes(q)]).toEqual([-64, 8, 127, 0]);
    expect(q.zeroPoints).toBeUndefined();
  });

  test('int4 symmetric: s = 0.4, codes [-4, 0, 7, 0], reconstruction [-1.6, 0, 2.8, 0]', () => {
    const q = quantize(tensor, spec({ dtype: 'int4' }));
    expect(q.scales[0]).toBe(Math.fround(0.4));
    expect([...unpackCodes(q)]).toEqual([-4, 0, 7, 0]);
    expect(q.data).toEqual(new Uint8Array([0x0c, 0x07])); // -4 = 0xC in the low nibble, 0 high; 7 low, 0 high
    const s = Math.fround(0.4);
    expect([...dequantize(q).data]).toEqual([-4 * s, 0, 7 * s, 0].map(Math.fround));
  });

  test('int8 symmetric_with_clipping (coremltools): s = amax / 127', () => {
    const q = quantize(tensor, spec({ dtype: 'int8', qscheme: 'symmetric_with_clipping' }));
    expect(q.scales[0]).toBe(Math.fround(3 / 127));
    expect([...unpackCodes(q)]).toEqual([-64, 8, 127, 0]);
  });

  test('uint8 symmetric uses zero point 128', () => {
    const q = quantize(tensor, spec({ dtype: 'uint8' }));
    expect([...(q.zeroPoints ?? [])]).toEqual([128]);
    expect([...unpackCodes(q)]).toEqual([64, 136, 255, 128]);
  });
});

describe('zero-point formulation (asymmetric)', () => {
  test('uint8 asymmetric: s = 4.5 / 255, zp = 85, codes [0, 96, 255, 84]', () => {
    const q = quantize(tensor, spec({ dtype: 'uint8', qscheme: 'asymmetric' }));
    expect(q.scales[0]).toBe(Math.fround(4.5 / 255));
    expect([...(q.zeroPoints ?? [])]).toEqual([85]);
    expect([...unpackCodes(q)]).toEqual([0, 96, 255, 84]);
    const s = Math.fround(4.5 / 255);
    expect([...dequantize(q).data]).toEqual([0 - 85, 96 - 85, 255 - 85, 84 - 85].map((c) => Math.fround(c * s)));
  });
});

describe('minval formulation', () => {
  test('uint4 asymmetric minval: s = 4.5 / 15, minval = -1.5, codes [0, 6, 15, 5]', () => {
    const q = quantize(tensor, spec({ dtype: 'uint4', qscheme: 'asymmetric', qformulation: 'minval' }));
    const s = Math.fround(0.3);
    expect(q.scales[0]).toBe(s);
    expect([...(q.minvals ?? [])]).toEqual([-1.5]);
    expect([...unpackCodes(q)]).toEqual([0, 6, 15, 5]);
    expect([...dequantize(q).data]).toEqual([0, 6, 15, 5].map((c) => Math.fround(s * c - 1.5)));
  });

  test('int8 symmetric minval: minval = -amax, code of 0 is 0', () => {
    const q = quantize(tensor, spec({ dtype: 'int8', qformulation: 'minval' }));
    expect(q.minvals?.[0]).toBe(-3);
    expect(q.scales[0]).toBe(Math.fround(6 / 255));
    // (x + 3) / s + qmin: -1.5 -> 63.75 -> 64 - 128 = -64; 0.2 -> 136 -> 8; 3 -> 255 -> 127; -0.01 -> 127.075 -> 127 -> -1
    expect([...unpackCodes(q)]).toEqual([-64, 8, 127, -1]);
  });
});

describe('float dtypes', () => {
  test('float8_e4m3fn: s = amax / 448; codes are bit patterns', () => {
    const q = quantize(tensor, spec({ dtype: 'float8_e4m3fn' }));
    const s = Math.fround(3 / 448);
    expect(q.scales[0]).toBe(s);
    // -1.5/s = -224 (0xF6 = 1.1110.110: -1.75 * 2^7); 0.2/s = 29.87 -> 30 (0x5F... exponent 11, m 7: 30 = 1.875*16);
    // 3/s = 448 (0x7E); -0.01/s = -1.493 -> -1.5 (0xBC)
    expect([...unpackCodes(q)]).toEqual([0xf6, 0x5f, 0x7e, 0xbc]);
    expect([...dequantize(q).data]).toEqual([-224, 30, 448, -1.5].map((v) => Math.fround(v * s)));
  });

  test('float4_e2m1fn packs two codes per byte', () => {
    const q = quantize(tensor, spec({ dtype: 'float4_e2m1fn' }));
    // s = 0.5; x/s = [-3, 0.4, 6, -0.02] -> codes [0b1101, 0b0001 (0.5), 0b0111, 0b1000 (-0)]
    expect([...unpackCodes(q)]).toEqual([0b1101, 0b0001, 0b0111, 0b1000]);
    expect(q.data).toEqual(new Uint8Array([0x1d, 0x87]));
  });
});

describe('fakeQuantize', () => {
  test('equals dequantize(quantize(x)) for every formulation', () => {
    for (const s of [
      spec({ dtype: 'int8' }),
      spec({ dtype: 'uint4', qscheme: 'asymmetric' }),
      spec({ dtype: 'int4', qscheme: 'asymmetric', qformulation: 'minval' }),
      spec({ dtype: 'float8_e5m2' }),
    ]) {
      expect(fakeQuantize(tensor, s).data).toEqual(dequantize(quantize(tensor, s)).data);
    }
  });
});
