import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { getDType, isQuantError } from '@lowbit/dtypes';
import type { FloatDType } from '@lowbit/dtypes';
import { quantRange } from '@lowbit/spec';
import type { QScheme, QuantizationSpec, QuantizedTensor } from '@lowbit/spec';
import {
  assembleQuantizedTensor,
  chooseQParams,
  createElementQuantizer,
  dequantize,
  qparamsFromRange,
  quantize,
  reduceBlockRange,
  unpackCodes,
} from '../src/index.js';
import type { NonFinitePolicy, QParams } from '../src/index.js';

// The quantize / dequantize / range loops have fused integer-domain paths (src/_internal/fused-quantize.ts,
// fast-range.ts, fast-dequantize.ts). These properties pin them to scalar references written from the
// documented formulae, element by element, so any change of a result bit fails here.

const INT_DTYPES = ['int2', 'uint2', 'int4', 'uint4', 'int8', 'uint8'] as const;
const FLOAT_DTYPES = ['float8_e4m3fn', 'float8_e5m2', 'float4_e2m1fn', 'float6_e2m3fn', 'float6_e3m2fn'] as const;
const SCHEMES: QScheme[] = ['symmetric', 'symmetric_with_clipping', 'asymmetric'];

/** Block index of every element (row-major block grid), independent of the kernels' block geometry. */
function blockIndexOf(shape: readonly number[], blockShape: readonly number[]): Int32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Int32Array(size);
  const idx = shape.map(() => 0);
  for (let i = 0; i < size; i++) {
    let b = 0;
    for (let d = 0; d < shape.length; d++) {
      b =
        b * ((shape[d] as number) / (blockShape[d] as number)) +
        Math.floor((idx[d] as number) / (blockShape[d] as number));
    }
    out[i] = b;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (shape[d] as number)) break;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Reference ranges: one pass in flat order with float comparisons (so the first of +0 / -0 seen wins a tie),
 * NaN / Inf skipped; `firstNonFinite` is the flat index of the first NaN or Inf, or -1.
 */
function referenceRange(
  x: Float32Array,
  shape: readonly number[],
  blockShape: readonly number[],
): { min: Float32Array; max: Float32Array; firstNonFinite: number } {
  const blocks = blockIndexOf(shape, blockShape);
  const n = shape.reduce((a, d, i) => a * (d / (blockShape[i] as number)), 1);
  const min = new Float32Array(n).fill(Infinity);
  const max = new Float32Array(n).fill(-Infinity);
  let firstNonFinite = -1;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (!Number.isFinite(v)) {
      if (firstNonFinite < 0) firstNonFinite = i;
      continue;
    }
    const b = blocks[i] as number;
    if (v < (min[b] as number)) min[b] = v;
    if (v > (max[b] as number)) max[b] = v;
  }
  return { min, max, firstNonFinite };
}

/** Reference codes for given parameters: createElementQuantizer per element; NaN quantizes as 0 would. */
function referenceCodes(x: Float32Array, spec: QuantizationSpec, q: QuantizedTensor): number[] {
  const eq = createElementQuantizer(spec);
  const blocks = blockIndexOf(q.shape, q.blockShape);
  const isFloat = getDType(spec.dtype).kind === 'float';
  return Array.from(x, (v, i) => {
    const b = blocks[i] as number;
    const s = q.scales[b] as number;
    const offset = q.minvals ? (q.minvals[b] as number) : (q.zeroPoints?.[b] ?? 0);
    // NaN quantizes as 0 would (the 'saturate' policy); +-Inf clamps to the range ends inside eq.quantize.
    if (Number.isNaN(v)) return isFloat ? 0 : q.minvals ? eq.quantize(0, s, offset) : offset;
    return eq.quantize(v, s, offset);
  });
}

function sameBits(a: Float32Array | Int32Array | undefined, b: Float32Array | Int32Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.every((v, i) => v === ub[i]);
}

/** The flat index a thrown QuantError names, or undefined when `fn` does not throw. */
function thrownIndex(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    if (!isQuantError(error)) throw error;
    return (error.details as { index?: number } | undefined)?.index ?? -1;
  }
  return undefined;
}

const special = fc.constantFrom(0, -0, 1e-45, -1e-45, 1.1754942e-38, -2.5, 2.5, 0.5, -0.5, 3.4028235e38, -3.4028235e38);
const nonFinite = fc.constantFrom(NaN, Infinity, -Infinity);
const anyFloat = fc.oneof(
  { weight: 8, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 8, arbitrary: fc.float({ min: -8, max: 8, noNaN: true }) },
  { weight: 3, arbitrary: special },
  { weight: 3, arbitrary: fc.integer({ min: -64, max: 64 }).map((k) => k / 4) },
);

/** A [rows, cols] tensor with cols a multiple of `block`, sometimes a view into a larger buffer, few non-finite. */
const tensor = (block: number, withNonFinite: boolean) =>
  fc
    .record({
      rows: fc.integer({ min: 1, max: 4 }),
      blocks: fc.integer({ min: 1, max: 3 }),
      offset: fc.constantFrom(0, 0, 1, 3),
    })
    .chain(({ rows, blocks, offset }) =>
      fc
        .array(
          withNonFinite ? fc.oneof({ weight: 30, arbitrary: anyFloat }, { weight: 1, arbitrary: nonFinite }) : anyFloat,
          {
            minLength: rows * blocks * block,
            maxLength: rows * blocks * block,
          },
        )
        .map((values) => {
          const buffer = new Float32Array(values.length + offset + 1);
          buffer.set(values, offset);
          return { data: buffer.subarray(offset, offset + values.length), shape: [rows, blocks * block] };
        }),
    );

const granularities = [
  { type: 'per_tensor' },
  { type: 'per_channel' },
  { type: 'per_channel', axis: 1 },
  { type: 'per_block', blockSize: 4 },
  { type: 'per_block', blockSize: 8 },
  { type: 'per_block', blockSize: 32 },
] as const;

const specArb = fc
  .record({
    dtype: fc.constantFrom(...INT_DTYPES, ...FLOAT_DTYPES),
    qscheme: fc.constantFrom(...SCHEMES),
    qformulation: fc.constantFrom('zp' as const, 'zp' as const, 'minval' as const),
    granularity: fc.constantFrom(...granularities),
    scaleDtype: fc.constantFrom(
      undefined,
      undefined,
      'float16' as const,
      'float8_e8m0fnu' as const,
      'float8_e4m3fn' as const,
    ),
    pinned: fc.constantFrom(false, false, false, true),
  })
  .map(({ dtype, qscheme, qformulation, granularity, scaleDtype, pinned }): QuantizationSpec => {
    const isFloat = getDType(dtype).kind === 'float';
    return {
      version: 1,
      dtype,
      qscheme: isFloat ? 'symmetric' : qscheme,
      qformulation: isFloat ? 'zp' : qformulation,
      granularity,
      // Low-precision float scales are for float element dtypes only.
      ...(scaleDtype && (isFloat || scaleDtype === 'float16') ? { scaleDtype } : {}),
      ...(pinned ? { floatRange: [-1, null] as const } : {}),
    };
  });

describe('integer-domain range pass', () => {
  test('reduceBlockRange equals the flat-order float reference under both NaN / Inf policies', () => {
    fc.assert(
      fc.property(
        tensor(32, true),
        fc.constantFrom<readonly number[]>([1, 32], [1, 4], [1, 1], [2, 32]),
        fc.constantFrom<NonFinitePolicy>('error', 'saturate'),
        (t, blockShape, policy) => {
          const bs = blockShape.map((b, d) => ((t.shape[d] as number) % b === 0 ? b : 1));
          const ref = referenceRange(t.data, t.shape, bs);
          const at = thrownIndex(() => reduceBlockRange(t, bs, policy));
          if (policy === 'error' && ref.firstNonFinite >= 0) {
            expect(at).toBe(ref.firstNonFinite);
            return;
          }
          const got = reduceBlockRange(t, bs, policy);
          expect(sameBits(got.min, ref.min)).toBe(true);
          expect(sameBits(got.max, ref.max)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  test('a zero at either end keeps the sign of the first zero seen', () => {
    const t = { data: new Float32Array([0, -0, 1, 2, -0, 0, -3, -1, -0, 5, 0, -0]), shape: [3, 4] };
    const r = reduceBlockRange(t, [1, 4]);
    expect(Object.is(r.min[0], 0)).toBe(true);
    expect(Object.is(r.max[1], -0)).toBe(true);
    expect(Object.is(r.min[2], -0)).toBe(true);
  });
});

describe('fused quantize', () => {
  test('parameters and codes equal qparamsFromRange over the reference ranges plus per-element quantization', () => {
    fc.assert(
      fc.property(
        specArb,
        tensor(32, true),
        fc.constantFrom<NonFinitePolicy>('error', 'saturate'),
        (spec, t, policy) => {
          const blockShape = chooseBlockShape(t, spec);
          const ref = referenceRange(t.data, t.shape, blockShape);
          const options = { opKind: 'linear', nonFinite: policy } as const;
          if (policy === 'error' && ref.firstNonFinite >= 0) {
            expect(thrownIndex(() => quantize(t, spec, options))).toBe(ref.firstNonFinite);
            return;
          }
          let qp: QParams;
          try {
            qp = qparamsFromRange(ref.min, ref.max, spec, blockShape);
          } catch (error) {
            // e.g. a pinned end beyond the observed range, or a block with nothing finite in it
            expect(() => quantize(t, spec, options)).toThrowError((error as Error).message);
            return;
          }
          const q = quantize(t, spec, options);
          expect(sameBits(q.scales, qp.scales)).toBe(true);
          if (qp.minvals) expect(sameBits(q.minvals, qp.minvals)).toBe(true);
          if (qp.zeroPoints) expect([...(q.zeroPoints ?? [])]).toEqual([...qp.zeroPoints]);
          expect([...unpackCodes(q)]).toEqual(referenceCodes(t.data, spec, q));
        },
      ),
      { numRuns: 600 },
    );
  });

  test('given parameters: exact ties x = (k + 1/2) s round to even, out-of-range values clamp, NaN / Inf saturate', () => {
    const scaleArb = fc.oneof(
      fc.constantFrom(0.25, 0.375, 0.1, 1 / 3, 3 * 2 ** -20, 2 ** -126, 1e-30),
      fc.float({ min: Math.fround(1e-6), max: 1e6, noNaN: true }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('int8', 'uint8', 'int4', 'uint4', 'int2'),
        fc.constantFrom<QScheme>('symmetric', 'asymmetric'),
        fc.array(scaleArb, { minLength: 2, maxLength: 2 }),
        fc.array(
          fc.tuple(fc.integer({ min: -300, max: 300 }), fc.constantFrom(-1, 0, 0, 1), fc.integer({ min: 0, max: 99 })),
          {
            minLength: 64,
            maxLength: 64,
          },
        ),
        fc.constantFrom(0, 1, 3),
        (dtype, qscheme, scales, picks, z) => {
          const spec: QuantizationSpec = {
            version: 1,
            dtype,
            qscheme,
            qformulation: 'zp',
            granularity: { type: 'per_block', blockSize: 32 },
          };
          const { qmin, qmax } = quantRange(spec);
          const zp = qscheme === 'asymmetric' ? Math.min(qmax, qmin + z) : undefined;
          const qparams: QParams = {
            blockShape: [1, 32],
            scales: Float32Array.from(scales),
            ...(zp === undefined ? {} : { zeroPoints: new Int32Array([zp, zp]) }),
          };
          const data = new Float32Array(64);
          picks.forEach(([k, nudge, r], i) => {
            const s = qparams.scales[i >> 5] as number;
            let v = Math.fround((k + 0.5) * s);
            if (nudge !== 0) v = nextFloat32(v, nudge);
            data[i] = r < 3 ? ([NaN, Infinity, -Infinity][r] as number) : v;
          });
          const t = { data, shape: [2, 32] };
          const q = quantize(t, spec, { qparams, nonFinite: 'saturate' });
          expect([...unpackCodes(q)]).toEqual(referenceCodes(data, spec, q));
        },
      ),
      { numRuns: 400 },
    );
  });

  test('given parameters that put a block end just past qmax or qmin clamp like the reference', () => {
    // One block per (zero point, target): the block holds +1 and -1 and values in between, and its scale puts
    // 1 / s at the target, around the ends of [qmin - z, qmax - z] (ties included), so the largest codes land
    // one or two past either end. Block lengths 32 and 1024 take the segment loop and the per-block loop.
    for (const dtype of ['int8', 'uint8', 'int4', 'uint4', 'int2', 'float8_e4m3fn', 'float4_e2m1fn']) {
      const isFloat = getDType(dtype).kind === 'float';
      const spec: QuantizationSpec = {
        version: 1,
        dtype,
        qscheme: isFloat ? 'symmetric' : 'asymmetric',
        qformulation: 'zp',
        granularity: { type: 'per_block', blockSize: 32 },
      };
      const { qmin, qmax } = quantRange(spec);
      const zs = isFloat
        ? [0]
        : Array.from({ length: Math.min(16, qmax - qmin + 1) }, (_, k) => qmin + Math.round((k * (qmax - qmin)) / 15));
      const offsets = [-1.25, -1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 3];
      const blocks: [number, number][] = []; // [zero point, 1 / s]
      for (const z of zs) {
        const ends = isFloat ? [(getDType(dtype) as FloatDType).maxFinite] : [qmax - z, z - qmin];
        for (const end of ends) for (const o of offsets) if (end + o > 0) blocks.push([z, end + o]);
      }
      for (const block of [32, 1024]) {
        const data = new Float32Array(blocks.length * block);
        let seed = 11;
        for (let b = 0; b < blocks.length; b++) {
          for (let i = 2; i < block; i++) {
            seed = (seed * 1103515245 + 12345) % 2147483648;
            data[b * block + i] = (seed / 2147483648) * 2 - 1;
          }
          data[b * block] = 1;
          data[b * block + 1 + (b % (block - 1))] = -1;
        }
        const given: QuantizationSpec = { ...spec, granularity: { type: 'per_block', blockSize: block } };
        const qparams: QParams = {
          blockShape: [1, block],
          scales: Float32Array.from(blocks, ([, top]) => 1 / top),
          ...(isFloat ? {} : { zeroPoints: Int32Array.from(blocks, ([z]) => z) }),
        };
        const q = quantize({ data, shape: [1, data.length] }, given, { qparams });
        expect([...unpackCodes(q)]).toEqual(referenceCodes(data, given, q));
      }
    }
  });

  test('float element codes equal the format encoder at every code boundary (scale 1)', () => {
    for (const name of FLOAT_DTYPES) {
      const dtype = getDType(name) as FloatDType;
      const codes = Uint16Array.from({ length: 2 ** dtype.bits }, (_, c) => c);
      const values = [...dtype.decodeArray(codes)].filter((v) => Number.isFinite(v));
      const sorted = [...new Set(values)].sort((a, b) => a - b);
      // Finite probes only: a block holding NaN or Inf goes to the reference codec (tested elsewhere).
      const probes: number[] = [1e30, -1e30, 3.4028235e38, 2 ** -126, 1e-45, -1e-45, -0];
      for (let i = 0; i < sorted.length; i++) {
        const v = sorted[i] as number;
        probes.push(v, nextFloat32(v, 1), nextFloat32(v, -1));
        const next = sorted[i + 1];
        if (next !== undefined) {
          const mid = Math.fround((v + next) / 2);
          probes.push(mid, nextFloat32(mid, 1), nextFloat32(mid, -1));
        }
      }
      const n = Math.ceil(probes.length / 8) * 8;
      const data = new Float32Array(n);
      data.set(probes);
      const spec: QuantizationSpec = {
        version: 1,
        dtype: name,
        qscheme: 'symmetric',
        qformulation: 'zp',
        granularity: { type: 'per_tensor' },
      };
      const q = quantize({ data, shape: [n] }, spec, { qparams: { blockShape: [n], scales: new Float32Array([1]) } });
      expect([...unpackCodes(q)]).toEqual([...dtype.encodeArray(data)]);
    }
  });

  test('computed scales equal qparamsFromRange at the rounding boundaries of every scale dtype', () => {
    const cases: [string, QuantizationSpec['scaleDtype']][] = [
      ['int8', 'float16'],
      ['uint4', 'float16'],
      ['float8_e4m3fn', 'float16'],
      ['float4_e2m1fn', 'float8_e4m3fn'],
      ['float4_e2m1fn', 'float8_e8m0fnu'],
      ['float8_e5m2', 'float8_e8m0fnu'],
      ['int4', 'float32'],
    ];
    for (const [dtype, scaleDtype] of cases) {
      const spec: QuantizationSpec = {
        version: 1,
        dtype,
        qscheme: 'symmetric',
        qformulation: 'zp',
        granularity: { type: 'per_block', blockSize: 32 },
        ...(scaleDtype ? { scaleDtype } : {}),
      };
      const element = getDType(dtype);
      const { qmin, qmax } = quantRange(spec);
      // amax that makes the raw scale (amax / maxFinite, or 2 amax / (qmax - qmin)) land on the scale format's
      // values, on the midpoints between them and one float32 step either side, plus powers of two.
      const k = element.kind === 'float' ? (element as FloatDType).maxFinite : (qmax - qmin) / 2;
      const targets: number[] = [];
      if (scaleDtype !== 'float32' && scaleDtype !== 'float8_e8m0fnu') {
        const fmt = getDType(scaleDtype as string) as FloatDType;
        const vals = [...fmt.decodeArray(Uint16Array.from({ length: 2 ** fmt.bits }, (_, c) => c))]
          .filter((v) => Number.isFinite(v) && v >= 0)
          .sort((a, b) => a - b);
        for (let i = 0; i < vals.length; i += Math.max(1, Math.floor(vals.length / 400))) {
          const v = vals[i] as number;
          const next = vals[i + 1] ?? v * 2;
          targets.push(v, (v + next) / 2, v * 1.0000001);
        }
        targets.push(fmt.maxFinite * 1.01, fmt.maxFinite * 1000, fmt.minSubnormal / 2, fmt.minSubnormal / 3);
      }
      for (let e = -140; e <= 120; e += 3) targets.push(2 ** e, 2 ** e * 1.5);
      const amaxes = targets.flatMap((t) => {
        const a = Math.fround(t * k);
        return a > 0 && Number.isFinite(a) ? [a, nextFloat32(a, 1), nextFloat32(a, -1)] : [];
      });
      amaxes.push(1e-45, 3e-39, 3.4028235e38);
      const data = new Float32Array(amaxes.length * 32);
      amaxes.forEach((a, b) => {
        data[b * 32] = b % 2 ? a : -a;
        data[b * 32 + 5] = a / 3;
      });
      const t = { data, shape: [amaxes.length, 32] };
      const q = quantize(t, spec, { opKind: 'linear' });
      const ref = referenceRange(data, t.shape, q.blockShape);
      expect(sameBits(q.scales, qparamsFromRange(ref.min, ref.max, spec, q.blockShape).scales)).toBe(true);
      expect([...unpackCodes(q)]).toEqual(referenceCodes(data, spec, q));
    }
  });

  test('large tensors (segments, pieces, prefetching) match the small-tensor results row by row', () => {
    const data = new Float32Array(3 * 20000);
    let seed = 7;
    for (let i = 0; i < data.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data[i] = ((seed / 2 ** 32 - 0.5) * 2 ** ((i % 37) - 18)) as number;
    }
    data[5] = 0;
    data[25000] = -0;
    for (const dtype of ['int8', 'uint8', 'int4', 'float8_e4m3fn']) {
      for (const granularity of [
        { type: 'per_channel' },
        { type: 'per_block', blockSize: 32 },
        { type: 'per_tensor' },
      ] as const) {
        const spec: QuantizationSpec = { version: 1, dtype, qscheme: 'symmetric', qformulation: 'zp', granularity };
        const t = { data, shape: [3, 20000] };
        const q = quantize(t, spec, { opKind: 'linear' });
        const ref = referenceRange(data, t.shape, q.blockShape);
        expect(sameBits(q.scales, qparamsFromRange(ref.min, ref.max, spec, q.blockShape).scales)).toBe(true);
        expect([...unpackCodes(q)]).toEqual(referenceCodes(data, spec, q));
        expect(sameBits(dequantize(q).data, referenceValues(q, spec))).toBe(true);
      }
    }
    // A NaN far into a large tensor: the error names it; 'saturate' quantizes it as 0.
    data[41234] = NaN;
    const spec: QuantizationSpec = {
      version: 1,
      dtype: 'int8',
      qscheme: 'symmetric',
      qformulation: 'zp',
      granularity: { type: 'per_channel' },
    };
    expect(thrownIndex(() => quantize({ data, shape: [3, 20000] }, spec, { opKind: 'linear' }))).toBe(41234);
    const q = quantize({ data, shape: [3, 20000] }, spec, { opKind: 'linear', nonFinite: 'saturate' });
    expect(unpackCodes(q)[41234]).toBe(0);
    expect([...unpackCodes(q)]).toEqual(referenceCodes(data, spec, q));
  });
});

describe('fast dequantize', () => {
  test('values equal createElementQuantizer.dequantize for every code, dtype and formulation', () => {
    fc.assert(
      fc.property(
        specArb,
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (spec, rows, seed) => {
          const cols = 64;
          const t = { data: new Float32Array(rows * cols), shape: [rows, cols] };
          let s = seed;
          for (let i = 0; i < t.data.length; i++) {
            s = (s * 1103515245 + 12345) >>> 0;
            t.data[i] = (s / 2 ** 32 - 0.5) * 10;
          }
          const { floatRange: _pins, ...unpinned } = spec;
          const q = quantize(t, unpinned, { opKind: 'linear' });
          const isFloat = getDType(spec.dtype).kind === 'float';
          const lo = isFloat ? 0 : quantRange(spec).qmin;
          const hi = isFloat ? 2 ** getDType(spec.dtype).bits - 1 : quantRange(spec).qmax;
          // Random valid codes (every float code, NaN codes included) with the same parameters.
          const codes = Array.from({ length: t.data.length }, () => {
            s = (s * 1103515245 + 12345) >>> 0;
            return lo + (s % (hi - lo + 1));
          });
          const r = assembleQuantizedTensor({
            spec,
            shape: t.shape,
            blockShape: q.blockShape,
            codes,
            scales: q.scales,
            ...(q.zeroPoints ? { zeroPoints: q.zeroPoints } : {}),
            ...(q.minvals ? { minvals: q.minvals } : {}),
          });
          expect(sameBits(dequantize(r).data, referenceValues(r, spec))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('an invalid code is reported at its flat index (int8 with clipping has no -128)', () => {
    const spec: QuantizationSpec = {
      version: 1,
      dtype: 'int8',
      qscheme: 'symmetric_with_clipping',
      qformulation: 'zp',
      granularity: { type: 'per_channel', axis: 0 },
    };
    const data = new Int8Array(2 * 8).fill(3);
    data[13] = -128;
    const q: QuantizedTensor = {
      dtype: 'int8',
      shape: [2, 8],
      blockShape: [1, 8],
      spec,
      data,
      scales: new Float32Array([0.5, 0.25]),
    };
    expect(thrownIndex(() => dequantize(q))).toBe(13);
    data[13] = -127;
    expect(Array.from(dequantize(q).data.subarray(8))).toEqual([3, 3, 3, 3, 3, -127, 3, 3].map((c) => c * 0.25));
  });

  test('storage at an unaligned byte offset takes the reference loop and gives the same values', () => {
    const spec: QuantizationSpec = {
      version: 1,
      dtype: 'int8',
      qscheme: 'symmetric',
      qformulation: 'zp',
      granularity: { type: 'per_tensor' },
    };
    const buffer = new Int8Array(17);
    for (let i = 0; i < 17; i++) buffer[i] = i * 15 - 120;
    const q: QuantizedTensor = {
      dtype: 'int8',
      shape: [16],
      blockShape: [16],
      spec,
      data: buffer.subarray(1),
      scales: new Float32Array([0.1]),
    };
    expect(sameBits(dequantize(q).data, referenceValues(q, spec))).toBe(true);
  });
});

/** Reference dequantized values: createElementQuantizer.dequantize per element. */
function referenceValues(q: QuantizedTensor, spec: QuantizationSpec): Float32Array {
  const eq = createElementQuantizer(spec);
  const blocks = blockIndexOf(q.shape, q.blockShape);
  const isFloat = getDType(spec.dtype).kind === 'float';
  return Float32Array.from(unpackCodes(q), (c, i) => {
    const b = blocks[i] as number;
    const offset = q.minvals ? (q.minvals[b] as number) : isFloat ? 0 : (q.zeroPoints?.[b] ?? 0);
    return eq.dequantize(c, q.scales[b] as number, offset);
  });
}

/** Block shape quantize resolves for a [rows, cols] tensor and a linear op. */
function chooseBlockShape(
  t: { data: Float32Array; shape: readonly number[] },
  spec: QuantizationSpec,
): readonly number[] {
  return chooseQParams({ data: new Float32Array(t.data.length), shape: t.shape }, spec, { opKind: 'linear' })
    .blockShape;
}

/** The float32 next to `v` in direction `dir` (+1 up, -1 down). */
function nextFloat32(v: number, dir: number): number {
  const f = new Float32Array([v]);
  const u = new Int32Array(f.buffer);
  if (v === 0) {
    u[0] = dir > 0 ? 1 : -2147483647;
  } else {
    u[0] = (u[0] as number) + (v > 0 === dir > 0 ? 1 : -1);
  }
  return f[0] as number;
}
