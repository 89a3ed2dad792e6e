import { describe, expect, test } from 'vitest';
import { isQuantError } from '@lowbit/dtypes';
import type { QuantizationSpec } from '@lowbit/spec';
import { chooseQParams, dequantize, qparamsFromRange, quantize, reduceBlockRange, unpackCodes } from '../src/index.js';

const base = { version: 1, qformulation: 'zp', granularity: { type: 'per_tensor' } } as const;

describe('qparamsFromRange', () => {
  test('applies the scheme rules per block', () => {
    const qp = qparamsFromRange([-1, -3, 0], [2, 1, 5], { ...base, dtype: 'int8', qscheme: 'asymmetric' }, [1]);
    // block 0: s = 3 / 255, zp = -128 - round(-1 / s) = -128 + 85 = -43
    expect(qp.scales[0]).toBe(Math.fround(3 / 255));
    expect(qp.zeroPoints?.[0]).toBe(-128 + 85);
    // block 2: min clamps to 0, s = 5 / 255, zp = -128
    expect(qp.zeroPoints?.[2]).toBe(-128);
  });

  test('floatRange pins replace the observed ends', () => {
    const s: QuantizationSpec = { ...base, dtype: 'uint8', qscheme: 'asymmetric', floatRange: [0, 1] };
    const qp = qparamsFromRange([-5], [7], s, [1]);
    expect(qp.scales[0]).toBe(Math.fround(1 / 255));
    expect(qp.zeroPoints).toBeUndefined(); // zero point 0 everywhere
  });

  test('rejects NaN ranges, min > max and infinite ranges', () => {
    const s: QuantizationSpec = { ...base, dtype: 'int8', qscheme: 'symmetric' };
    for (const [lo, hi] of [
      [NaN, 1],
      [2, 1],
      [-Infinity, 1],
    ] as const) {
      try {
        qparamsFromRange([lo], [hi], s, [1]);
        expect.unreachable();
      } catch (error) {
        expect(isQuantError(error) && error.code).toBe('KERNELS_INVALID_ARGUMENT');
      }
    }
  });

  test('float16 scales are rounded to float16', () => {
    const qp = qparamsFromRange(
      [-1],
      [1],
      { ...base, dtype: 'int8', qscheme: 'symmetric_with_clipping', scaleDtype: 'float16' },
      [1],
    );
    // 1/127 = 0.007874015748...; nearest float16 is 0.007873535156 (0x2008)
    expect(qp.scales[0]).toBe(0.00787353515625);
  });

  test('e8m0 scales follow the OCP MX floor rule for float elements', () => {
    const s: QuantizationSpec = { ...base, dtype: 'float4_e2m1fn', qscheme: 'symmetric', scaleDtype: 'float8_e8m0fnu' };
    // amax 5: floor(log2 5) = 2, emax(e2m1) = 2 -> 2^0; amax 13: 2^(3-2) = 2; amax 0.3: 2^(-2-2)
    const qp = qparamsFromRange([-5, 0, -0.3], [1, 13, 0.1], s, [1]);
    expect([...qp.scales]).toEqual([1, 2, 2 ** -4]);
  });
});

describe('chooseQParams and block shapes', () => {
  test('conv weights: per-block 2 along axis 1 keeps kernel dims whole (scales [out, in/2, 1, 1])', () => {
    const data = Float32Array.from({ length: 2 * 4 * 3 * 3 }, (_, i) => (i % 7) - 3 + i / 100);
    const s: QuantizationSpec = {
      ...base,
      dtype: 'int8',
      qscheme: 'symmetric',
      granularity: { type: 'per_block', blockSize: 2 },
    };
    const qp = chooseQParams({ data, shape: [2, 4, 3, 3] }, s, { opKind: 'conv' });
    expect(qp.blockShape).toEqual([1, 2, 3, 3]);
    expect(qp.scales.length).toBe(4);
    // Block (o=1, i-block=1) holds elements o=1, i in {2,3}, all kh, kw: flat indices 36 + 18 .. 36 + 35.
    let amax = 0;
    for (let k = 54; k < 72; k++) amax = Math.max(amax, Math.abs(data[k] as number));
    expect(qp.scales[3]).toBe(Math.fround(amax / 127.5));
  });

  test('multi-axis blocks: [2, 3] blocks on a [4, 6] matrix', () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => i - 12);
    const range = reduceBlockRange({ data, shape: [4, 6] }, [2, 3]);
    // block (0,0): rows 0-1, cols 0-2 -> values -12..-10 and -6..-4
    expect([...range.min]).toEqual([-12, -9, 0, 3]);
    expect([...range.max]).toEqual([-4, -1, 8, 11]);
  });

  test('conv_transpose defaults to per-channel on axis 1', () => {
    const data = Float32Array.from({ length: 3 * 2 * 2 }, (_, i) => (i + 1) * (i % 2 === 0 ? 1 : -1));
    const s: QuantizationSpec = { ...base, dtype: 'int8', qscheme: 'symmetric', granularity: { type: 'per_channel' } };
    const q = quantize({ data, shape: [3, 2, 2] }, s, { opKind: 'conv_transpose' });
    expect(q.blockShape).toEqual([3, 1, 2]);
    expect(q.spec.granularity).toEqual({ type: 'per_channel', axis: 1 });
    // channel 0 holds elements (i, 0, k): 1, -2, 5, -6, 9, -10 -> amax 10; channel 1: 3, -4, 7, -8, 11, -12 -> 12
    expect([...q.scales]).toEqual([Math.fround(10 / 127.5), Math.fround(12 / 127.5)]);
  });

  test('a block size that does not divide the axis is an error, not a silent skip', () => {
    const s: QuantizationSpec = {
      ...base,
      dtype: 'int4',
      qscheme: 'symmetric',
      granularity: { type: 'per_block', blockSize: 32 },
    };
    expect(() => quantize({ data: new Float32Array(100), shape: [2, 50] }, s, { opKind: 'linear' })).toThrow(/32/);
  });

  test('mxfp4-style quantization round-trips through e8m0 scales', () => {
    const data = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 3);
    const s: QuantizationSpec = {
      ...base,
      dtype: 'float4_e2m1fn',
      qscheme: 'symmetric',
      scaleDtype: 'float8_e8m0fnu',
      granularity: { type: 'per_block', blockSize: 32 },
    };
    const q = quantize({ data, shape: [2, 32] }, s, { opKind: 'linear' });
    for (const scale of q.scales) expect(Number.isInteger(Math.log2(scale))).toBe(true);
    const again = quantize(dequantize(q), s, {
      opKind: 'linear',
      qparams: { blockShape: q.blockShape, scales: q.scales },
    });
    expect(unpackCodes(again)).toEqual(unpackCodes(q));
  });
});

describe('dtypes defined outside @lowbit/dtypes', () => {
  test('a registry with int3 flows through quantize, dequantize, codes and the element quantizer', async () => {
    const { createDTypeRegistry, BUILTIN_DTYPES, defineIntDType } = await import('@lowbit/dtypes');
    const { createElementQuantizer } = await import('../src/index.js');
    const registry = createDTypeRegistry([...BUILTIN_DTYPES, defineIntDType({ name: 'int3', bits: 3, signed: true })]);
    const s: QuantizationSpec = { ...base, dtype: 'int3', qscheme: 'symmetric', granularity: { type: 'per_tensor' } };
    const t = { data: new Float32Array([-4, -1, 0, 1.4, 3.5]), shape: [5] };
    expect(() => quantize(t, s)).toThrow(/int3/);
    const q = quantize(t, s, { registry });
    // s = 4 / ((3 - -4) / 2) = 8/7, stored as float32 slightly above 8/7, so -4/s = -3.4999999 -> -3;
    // x/s = [-3.5-, -0.875, 0, 1.225, 3.0625] -> [-3, -1, 0, 1, 3]
    expect(q.scales[0]).toBe(Math.fround(8 / 7));
    expect([...unpackCodes(q, { registry })]).toEqual([-3, -1, 0, 1, 3]);
    expect(q.data.length).toBe(2); // 5 x 3 bits = 15 bits
    expect(dequantize(q, { registry }).data[4]).toBe(Math.fround(3 * Math.fround(8 / 7)));
    expect(createElementQuantizer(s, { registry }).quantize(1.4, q.scales[0] as number, 0)).toBe(1);
  });
});
