import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { getDType } from '@lowbit/dtypes';
import type { FloatDType } from '@lowbit/dtypes';
import { quantRange } from '@lowbit/spec';
import type { QScheme, QuantizationSpec } from '@lowbit/spec';
import { chooseQParams, dequantize, fakeQuantize, quantize, unpackCodes } from '../src/index.js';

const INT_DTYPES = ['int2', 'uint2', 'int4', 'uint4', 'int8', 'uint8'] as const;
const FLOAT_DTYPES = ['float8_e4m3fn', 'float8_e5m2', 'float4_e2m1fn', 'float6_e2m3fn', 'float6_e3m2fn'] as const;
const SCHEMES: QScheme[] = ['symmetric', 'symmetric_with_clipping', 'asymmetric'];

const finite = fc.float({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true });

/** A [rows, cols] tensor whose cols is a multiple of `block`. */
const matrix = (block: number) =>
  fc
    .record({ rows: fc.integer({ min: 1, max: 6 }), blocks: fc.integer({ min: 1, max: 4 }) })
    .chain(({ rows, blocks }) =>
      fc
        .array(finite, { minLength: rows * blocks * block, maxLength: rows * blocks * block })
        .map((values) => ({ data: new Float32Array(values), shape: [rows, blocks * block] })),
    );

const granularities = [{ type: 'per_tensor' }, { type: 'per_channel' }, { type: 'per_block', blockSize: 4 }] as const;

const intSpec = fc.record({
  dtype: fc.constantFrom(...INT_DTYPES),
  qscheme: fc.constantFrom(...SCHEMES),
  qformulation: fc.constantFrom('zp' as const, 'minval' as const),
  granularity: fc.constantFrom(...granularities),
});

function asSpec(s: {
  dtype: string;
  qscheme: QScheme;
  qformulation: 'zp' | 'minval';
  granularity: QuantizationSpec['granularity'];
}): QuantizationSpec {
  return { version: 1, ...s };
}

/** The scale of each element's block, expanded to one entry per element (independent of the kernels' loops). */
function elementScales(scales: Float32Array, shape: readonly number[], blockShape: readonly number[]): number[] {
  const [rows, cols] = shape as [number, number];
  const [br, bc] = blockShape as [number, number];
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out.push(scales[Math.floor(r / br) * (cols / bc) + Math.floor(c / bc)] as number);
  }
  return out;
}

describe('integer dtypes', () => {
  test('codes lie in [qmin, qmax] and every element is reconstructed within scale / 2', () => {
    fc.assert(
      fc.property(intSpec, matrix(4), (raw, t) => {
        const spec = asSpec(raw);
        const q = quantize(t, spec, { opKind: 'linear' });
        const { qmin, qmax } = quantRange(spec);
        for (const c of unpackCodes(q)) expect(c >= qmin && c <= qmax).toBe(true);
        const xh = dequantize(q).data;
        const s = elementScales(q.scales, t.shape, q.blockShape);
        for (let i = 0; i < t.data.length; i++) {
          const err = Math.abs((t.data[i] as number) - (xh[i] as number));
          const bound = (s[i] as number) / 2 + 1e-6 * Math.max(Math.abs(t.data[i] as number), s[i] as number);
          expect(err).toBeLessThanOrEqual(bound);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('quantize(dequantize(q)) == q with the same parameters (idempotence)', () => {
    fc.assert(
      fc.property(intSpec, matrix(4), (raw, t) => {
        const spec = asSpec(raw);
        const q = quantize(t, spec, { opKind: 'linear' });
        const qparams = {
          blockShape: q.blockShape,
          scales: q.scales,
          ...(q.zeroPoints ? { zeroPoints: q.zeroPoints } : {}),
          ...(q.minvals ? { minvals: q.minvals } : {}),
        };
        const again = quantize(dequantize(q), spec, { qparams });
        expect(unpackCodes(again)).toEqual(unpackCodes(q));
      }),
      { numRuns: 200 },
    );
  });

  test('per-channel equals per-tensor applied to each channel separately', () => {
    fc.assert(
      fc.property(intSpec, matrix(4), (raw, t) => {
        const spec = asSpec({ ...raw, granularity: { type: 'per_channel', axis: 0 } });
        const whole = dequantize(quantize(t, spec)).data;
        const [rows, cols] = t.shape as [number, number];
        for (let r = 0; r < rows; r++) {
          const row = { data: t.data.slice(r * cols, (r + 1) * cols), shape: [cols] };
          const alone = dequantize(quantize(row, { ...spec, granularity: { type: 'per_tensor' } })).data;
          expect(whole.slice(r * cols, (r + 1) * cols)).toEqual(alone);
        }
      }),
      { numRuns: 150 },
    );
  });

  // The zp formulation keeps 0 on the grid (an integer zero point); the minval formulation, like coreai-opt's,
  // reconstructs 0 only up to float rounding of s * (q - qmin) + minval.
  test('asymmetric quantization (zp formulation) represents 0 exactly', () => {
    fc.assert(
      fc.property(fc.constantFrom(...INT_DTYPES), matrix(4), (dtype, t) => {
        t.data[0] = 0;
        const spec = asSpec({ dtype, qscheme: 'asymmetric', qformulation: 'zp', granularity: { type: 'per_tensor' } });
        expect(dequantize(quantize(t, spec)).data[0]).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  test('values outside a pinned float range land exactly on the range ends', () => {
    fc.assert(
      fc.property(fc.constantFrom('int8', 'int4', 'uint8'), matrix(4), (dtype, t) => {
        const spec: QuantizationSpec = {
          version: 1,
          dtype,
          qscheme: 'asymmetric',
          qformulation: 'zp',
          granularity: { type: 'per_tensor' },
          floatRange: [-1, 2],
        };
        const q = quantize(t, spec);
        const xh = dequantize(q).data;
        const { qmin, qmax } = quantRange(spec);
        const s = q.scales[0] as number;
        const z = q.zeroPoints?.[0] ?? 0;
        for (let i = 0; i < t.data.length; i++) {
          if ((t.data[i] as number) > 2 + s) expect(xh[i]).toBe(Math.fround((qmax - z) * s));
          if ((t.data[i] as number) < -1 - s) expect(xh[i]).toBe(Math.fround((qmin - z) * s));
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('float dtypes', () => {
  test('reconstruction is within half an ulp of the scaled value plus the subnormal floor', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FLOAT_DTYPES),
        fc.constantFrom(...granularities),
        matrix(4),
        (dtype, granularity, t) => {
          const info = getDType(dtype) as FloatDType;
          const spec: QuantizationSpec = { version: 1, dtype, qscheme: 'symmetric', qformulation: 'zp', granularity };
          const q = quantize(t, spec, { opKind: 'linear' });
          const xh = dequantize(q).data;
          const s = elementScales(q.scales, t.shape, q.blockShape);
          const rel = 2 ** -(info.mantissaBits + 1);
          for (let i = 0; i < t.data.length; i++) {
            const x = t.data[i] as number;
            const si = s[i] as number;
            const bound = rel * Math.abs(x) + (si * info.minSubnormal) / 2 + 1e-6 * Math.abs(x) + 1e-30;
            expect(Math.abs(x - (xh[i] as number))).toBeLessThanOrEqual(bound);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test('fakeQuantize matches dequantize(quantize(x)) for every dtype and granularity', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...INT_DTYPES, ...FLOAT_DTYPES),
        fc.constantFrom(...granularities),
        matrix(4),
        (dtype, granularity, t) => {
          const spec: QuantizationSpec = { version: 1, dtype, qscheme: 'symmetric', qformulation: 'zp', granularity };
          expect(fakeQuantize(t, spec, { opKind: 'linear' }).data).toEqual(
            dequantize(quantize(t, spec, { opKind: 'linear' })).data,
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('degenerate blocks', () => {
  test('all-zero and constant blocks get finite scales and reconstruct exactly', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...INT_DTYPES, ...FLOAT_DTYPES),
        fc.constantFrom(...SCHEMES),
        fc.constantFrom('zp' as const, 'minval' as const),
        // Constants far above the smallest scale (2^-126) so that c / 2^k stays a normal float32.
        fc
          .float({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true })
          .filter((c) => c === 0 || Math.abs(c) >= 2 ** -60),
        (dtype, qscheme, qformulation, c) => {
          const isFloat = getDType(dtype).kind === 'float';
          const spec: QuantizationSpec = {
            version: 1,
            dtype,
            qscheme: isFloat ? 'symmetric' : qscheme,
            qformulation: isFloat ? 'zp' : qformulation,
            granularity: { type: 'per_block', blockSize: 8 },
          };
          const data = new Float32Array(16);
          data.fill(c === 0 ? 0 : c, 8); // first block zeros, second block constant c (-0 reconstructs as +0)
          const t = { data, shape: [1, 16] };
          const q = quantize(t, spec, { opKind: 'linear' });
          for (const s of q.scales) expect(Number.isFinite(s) && s > 0).toBe(true);
          expect(dequantize(q).data).toEqual(data);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('non-finite input', () => {
  test('NaN or Inf is an error naming the position', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, NaN]);
    const spec: QuantizationSpec = {
      version: 1,
      dtype: 'int8',
      qscheme: 'symmetric',
      qformulation: 'zp',
      granularity: { type: 'per_tensor' },
    };
    expect(() => quantize({ data, shape: [2, 3] }, spec)).toThrowError(/element \[1, 2\] \(flat index 5\) is NaN/);
    data[5] = Infinity;
    expect(() => chooseQParams({ data, shape: [2, 3] }, spec)).toThrowError(/is Infinity/);
  });

  test("the 'saturate' policy quantizes NaN as 0 and Inf as the range end", () => {
    const data = new Float32Array([0.9, -2, NaN, Infinity, -Infinity, 0.5]);
    const spec: QuantizationSpec = {
      version: 1,
      dtype: 'int8',
      qscheme: 'symmetric_with_clipping',
      qformulation: 'zp',
      granularity: { type: 'per_tensor' },
    };
    const q = quantize({ data, shape: [6] }, spec, { nonFinite: 'saturate' });
    expect(q.scales[0]).toBe(Math.fround(2 / 127));
    expect([...unpackCodes(q)]).toEqual([57, -127, 0, 127, -127, 32]);
  });

  test("the 'saturate' policy: a block of nothing but NaN gets the [0, 0] range (scale 1, codes of 0)", () => {
    const data = new Float32Array([NaN, NaN, NaN, 1, -0.5, 0.25]);
    for (const qscheme of ['symmetric', 'asymmetric'] as const) {
      const spec: QuantizationSpec = {
        version: 1,
        dtype: 'uint8',
        qscheme,
        qformulation: 'zp',
        granularity: { type: 'per_channel', axis: 0 },
      };
      const q = quantize({ data, shape: [2, 3] }, spec, { nonFinite: 'saturate' });
      expect(q.scales[0]).toBe(1);
      const zero = qscheme === 'symmetric' ? 128 : 0;
      expect([...unpackCodes(q)].slice(0, 3)).toEqual([zero, zero, zero]);
      expect([...dequantize(q).data].slice(0, 3)).toEqual([0, 0, 0]);
    }
  });

  test("the 'saturate' policy in the minval formulation: NaN as 0, Inf as the range ends", () => {
    const data = new Float32Array([3, NaN, Infinity, -Infinity, -1]);
    const spec: QuantizationSpec = {
      version: 1,
      dtype: 'uint8',
      qscheme: 'asymmetric',
      qformulation: 'minval',
      granularity: { type: 'per_tensor' },
    };
    const q = quantize({ data, shape: [5] }, spec, { nonFinite: 'saturate' });
    expect(q.minvals?.[0]).toBe(-1);
    // s = 4 / 255; 0 -> (0 + 1) / s = 63.75 -> 64
    expect([...unpackCodes(q)]).toEqual([255, 64, 255, 0, 0]);
    expect(() => quantize({ data, shape: [5] }, spec)).toThrowError(/flat index 1\) is NaN/);
  });
});
