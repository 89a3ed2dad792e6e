/**
 * @lowbit/kernels-wasm/testing: the conformance suite every {@link KernelBackend} must pass. It runs inside vitest
 * and uses fast-check (both peer dependencies of this subpath only).
 *
 * @example
 * ```ts
 * import { createWasmBackend } from '@lowbit/kernels-wasm';
 * import { describeKernelConformance } from '@lowbit/kernels-wasm/testing';
 * describeKernelConformance('wasm-simd', () => createWasmBackend());
 * ```
 */
import { isQuantError } from '@lowbit/dtypes';
import { chooseQParams, dequantize, quantize, reduceBlockRange } from '@lowbit/kernels';
import type { Tensor } from '@lowbit/kernels';
import type { QuantizationSpec, QuantizedTensor } from '@lowbit/spec';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { KernelBackend, W4Weights } from '../kernel-backend.js';

/** Options of {@link describeKernelConformance}. */
export interface ConformanceOptions {
  /** fast-check runs per property. @defaultValue 60 */
  readonly numRuns?: number;
}

/**
 * Relative tolerance of float products: `|y - y64| <= (k + 8) * 2^-23 * sum_c |w[r, c] x[i, c]|`, where `y64` is
 * the float64 product of the dequantized weights. That is the classic bound for float32 summation of `k` terms
 * (any order) plus the scale multiplications; a wrong index or a lost block breaks it by orders of magnitude.
 */
export function productTolerance(k: number, absSum: number): number {
  return (k + 8) * 2 ** -23 * absSum + 1e-35;
}

// ----------------------------------------------------------------------------------------------------------------
// Independent helpers (written apart from the kernels): element decoding and float64 products.

function nibble(data: Uint8Array, i: number, signed: boolean): number {
  const v = ((data[i >> 1] as number) >> ((i & 1) * 4)) & 15;
  return signed && v >= 8 ? v - 16 : v;
}

function e4m3(code: number): number {
  const sign = code & 0x80 ? -1 : 1;
  const e = (code >> 3) & 15;
  const m = code & 7;
  return sign * (e === 0 ? m * 2 ** -9 : (1 + m / 8) * 2 ** (e - 7));
}

/** float64 product and the sum of |terms| for each output. */
function product64(
  w: (r: number, c: number) => number,
  n: number,
  k: number,
  x: ArrayLike<number>,
  m: number,
): { y: Float64Array; abs: Float64Array } {
  const y = new Float64Array(m * n);
  const abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < n; r++) {
      let s = 0;
      let a = 0;
      for (let c = 0; c < k; c++) {
        const t = w(r, c) * (x[i * k + c] as number);
        s += t;
        a += Math.abs(t);
      }
      y[i * n + r] = s;
      abs[i * n + r] = a;
    }
  }
  return { y, abs };
}

function expectClose(actual: Float32Array, ref: { y: Float64Array; abs: Float64Array }, k: number): void {
  expect(actual.length).toBe(ref.y.length);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs((actual[i] as number) - (ref.y[i] as number));
    const tol = productTolerance(k, ref.abs[i] as number);
    if (!(err <= tol)) {
      expect.fail(`output ${i}: got ${actual[i]}, float64 reference ${ref.y[i]} (error ${err} > tolerance ${tol})`);
    }
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Generators

const QUANT_DTYPES = ['int8', 'uint8', 'int4', 'uint4', 'float8_e4m3fn'] as const;
/** Dtypes outside the SIMD kernels: backends must still match the reference (usually by delegating). */
const OTHER_DTYPES = ['int2', 'uint3', 'float8_e5m2', 'float4_e2m1fn'] as const;

/** A value generator mixing ordinary floats with the adversarial ones: zeros of both signs, ties, extremes. */
function valueArb(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.float({ min: -8, max: 8, noNaN: true, noDefaultInfinity: true }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -0, 1, -1, 0.5, -0.5, 2.5, 127.5, -128.5, 448, -464, 1e-40, -3e38) },
    { weight: 1, arbitrary: fc.integer({ min: -300, max: 300 }).map((j) => j / 2) },
    { weight: 1, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }) },
  );
}

interface Case {
  readonly tensor: Tensor;
  readonly spec: QuantizationSpec;
  readonly blockShape: readonly number[];
}

/** Random tensors [rows, cols] with a spec and a block shape (per-tensor, per-row, per-block along cols, 2-D blocks). */
function caseArb(dtypes: readonly string[]): fc.Arbitrary<Case> {
  return fc
    .record({
      dtype: fc.constantFrom(...dtypes),
      scheme: fc.constantFrom('symmetric', 'symmetric_with_clipping', 'asymmetric'),
      minval: fc.boolean(),
      rows: fc.integer({ min: 1, max: 5 }),
      block: fc.constantFrom(1, 3, 16, 17, 32, 33, 64),
      blocksPerRow: fc.integer({ min: 1, max: 4 }),
      layout: fc.constantFrom('tensor', 'row', 'block', 'block2d', 'column'),
      seed: fc.array(valueArb(), { minLength: 1, maxLength: 64 }),
      constantRow: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
    })
    .map((r) => {
      const isFloat = r.dtype.startsWith('float');
      const cols = r.block * r.blocksPerRow;
      const size = r.rows * cols;
      const data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = r.seed[(i * 7 + (i >> 3)) % r.seed.length] as number;
      if (r.constantRow !== undefined && r.constantRow < r.rows)
        data.fill(r.seed[0] as number, r.constantRow * cols, (r.constantRow + 1) * cols);
      const blockShape =
        r.layout === 'tensor'
          ? [r.rows, cols]
          : r.layout === 'row'
            ? [1, cols]
            : r.layout === 'block'
              ? [1, r.block]
              : r.layout === 'column'
                ? [r.rows, 1]
                : [r.rows, r.block];
      const spec: QuantizationSpec = {
        version: 1,
        dtype: r.dtype,
        qscheme: isFloat ? 'symmetric' : (r.scheme as QuantizationSpec['qscheme']),
        qformulation: !isFloat && r.minval && r.scheme === 'asymmetric' ? 'minval' : 'zp',
        granularity: { type: 'per_tensor' },
      };
      return { tensor: { data, shape: [r.rows, cols] }, spec, blockShape };
    });
}

/** Runs `f` and returns its result or the QuantError code it threw. */
function outcome<T>(f: () => T): { ok: T } | { code: string } {
  try {
    return { ok: f() };
  } catch (error) {
    if (isQuantError(error)) return { code: error.code };
    throw error;
  }
}

function randomScales(n: number, seed: readonly number[]): Float32Array {
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++)
    s[i] = Math.fround(2 ** (((seed[i % seed.length] as number) % 12) - 6) * (1 + (i % 5) / 7));
  return s;
}

interface W4Case {
  readonly dtype: 'int4' | 'uint4';
  readonly n: number;
  readonly k: number;
  readonly m: number;
  readonly block: number;
  readonly zp: boolean;
  readonly seed: readonly number[];
  readonly bytes: Uint8Array;
}

/** Random W4 products: odd sizes, blocks that do and do not divide k, zero points, adversarial activations. */
function w4CaseArb(): fc.Arbitrary<W4Case> {
  return fc.record({
    dtype: fc.constantFrom('int4' as const, 'uint4' as const),
    n: fc.integer({ min: 0, max: 9 }),
    k: fc.integer({ min: 0, max: 140 }),
    m: fc.constantFrom(0, 1, 1, 2, 3, 5, 9),
    block: fc.constantFrom(1, 7, 16, 32, 64, 1000),
    zp: fc.boolean(),
    seed: fc.array(valueArb(), { minLength: 1, maxLength: 50 }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  });
}

/** The weights, activations and an independent weight lookup `wv(r, c)` of a {@link W4Case}. */
function buildW4Case(c: W4Case): {
  weights: W4Weights;
  x: Float32Array;
  m: number;
  wv: (r: number, c: number) => number;
} {
  const { dtype, n, k, m, block, zp, seed, bytes } = c;
  const nb = Math.ceil(k / block);
  const data = new Uint8Array(Math.ceil((n * k) / 2));
  for (let i = 0; i < data.length; i++) data[i] = bytes[i % bytes.length] as number;
  const scales = randomScales(n * nb, bytes.length > 1 ? [...bytes] : [3]);
  const zeroPoints = zp
    ? Int32Array.from(
        { length: n * nb },
        (_, i) => ((bytes[i % bytes.length] as number) % 16) - (dtype === 'int4' ? 8 : 0),
      )
    : undefined;
  const weights: W4Weights = zeroPoints
    ? { dtype, n, k, blockSize: block, data, scales, zeroPoints }
    : { dtype, n, k, blockSize: block, data, scales };
  const x = Float32Array.from({ length: m * k }, (_, i) =>
    Math.max(-1e30, Math.min(1e30, seed[i % seed.length] as number)),
  );
  const wv = (r: number, col: number): number => {
    const b = r * nb + Math.floor(col / block);
    return (scales[b] as number) * (nibble(data, r * k + col, dtype === 'int4') - (zeroPoints?.[b] ?? 0));
  };
  return { weights, x, m, wv };
}

/**
 * The activations the int16 mode computes with, derived here from its definition: per block of a row, the smallest
 * power of two `s >= 2^-149` with `max |x| / s <= 32767`, and every value rounded to a multiple of `s`, ties to even.
 */
function int16ActivationValues(
  x: Float32Array,
  m: number,
  k: number,
  block: number,
): { values: Float64Array; steps: Float64Array } {
  const values = new Float64Array(m * k);
  const steps = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let start = 0; start < k; start += block) {
      const end = Math.min(k, start + block);
      let amax = 0;
      for (let c = start; c < end; c++) amax = Math.max(amax, Math.abs(x[i * k + c] as number));
      let s = 2 ** -149;
      while (amax / s > 32767) s *= 2;
      for (let c = start; c < end; c++) {
        const v = (x[i * k + c] as number) / s;
        const f = Math.floor(v);
        const d = v - f;
        const q = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
        values[i * k + c] = q * s;
        steps[i * k + c] = s;
      }
    }
  }
  return { values, steps };
}

// ----------------------------------------------------------------------------------------------------------------

/**
 * Declares the conformance tests of one backend (a vitest `describe` block): exact codes, parameters and
 * dequantized values against the reference kernels of `@lowbit/kernels`, the same errors, and products within
 * {@link productTolerance} of a float64 reference, on random and adversarial inputs (odd sizes, sizes not divisible
 * by the SIMD width or the block, empty inputs).
 */
export function describeKernelConformance(
  name: string,
  backendFactory: () => KernelBackend | Promise<KernelBackend>,
  options: ConformanceOptions = {},
): void {
  const numRuns = options.numRuns ?? 60;
  describe(`kernel conformance: ${name}`, () => {
    let backend: KernelBackend;
    beforeAll(async () => {
      backend = await backendFactory();
    });
    afterAll(async () => {
      await backend?.close();
    });

    test('quantize gives the reference codes, scales and zero points, bit for bit', () => {
      fc.assert(
        fc.property(caseArb([...QUANT_DTYPES, ...OTHER_DTYPES]), ({ tensor, spec, blockShape }) => {
          const expected = outcome(() => quantize(tensor, spec, { blockShape }));
          const actual = outcome(() => backend.quantize(tensor, spec, { blockShape }));
          expect(actual).toStrictEqual(expected);
        }),
        { numRuns },
      );
    });

    test("quantizeInto writes exactly what quantize returns into the caller's buffers", () => {
      fc.assert(
        fc.property(caseArb([...QUANT_DTYPES, ...OTHER_DTYPES]), fc.boolean(), (c, withZeroPoints) => {
          const expected = outcome(() => quantize(c.tensor, c.spec, { blockShape: c.blockShape }));
          if (!('ok' in expected)) return;
          const q = expected.ok;
          const blocks = q.scales.length;
          const data = q.data instanceof Int8Array ? new Int8Array(q.data.length) : new Uint8Array(q.data.length);
          data.fill(77);
          const scales = new Float32Array(blocks).fill(-1);
          const zeroPoints = withZeroPoints ? new Int32Array(blocks).fill(-5) : undefined;
          const out = zeroPoints ? { data, scales, zeroPoints } : { data, scales };
          const r = backend.quantizeInto(c.tensor, c.spec, out, { blockShape: c.blockShape });
          expect({ ...r }).toStrictEqual({ ...q });
          expect(r.data).toBe(data);
          expect(r.scales).toBe(scales);
          if (q.zeroPoints && zeroPoints) expect(r.zeroPoints).toBe(zeroPoints);
          // Buffers of the wrong type or length are refused.
          const wrongType = q.data instanceof Int8Array ? new Uint8Array(q.data.length) : new Int8Array(q.data.length);
          for (const bad of [
            { data: wrongType, scales },
            { data: data.subarray(1), scales },
            { data, scales: new Float32Array(blocks + 1) },
            { data, scales, zeroPoints: new Int32Array(blocks + 1) },
          ]) {
            expect(outcome(() => backend.quantizeInto(c.tensor, c.spec, bad, { blockShape: c.blockShape }))).toEqual({
              code: 'KERNELS_SHAPE_MISMATCH',
            });
          }
        }),
        { numRuns },
      );
    });

    test('quantize with given parameters (random scales and zero points, values near rounding ties)', () => {
      fc.assert(
        fc.property(caseArb(QUANT_DTYPES), fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1 }), (c, seed) => {
          const base = outcome(() => chooseQParams(c.tensor, c.spec, { blockShape: c.blockShape }));
          if (!('ok' in base)) return;
          const n = base.ok.scales.length;
          const scales = randomScales(n, seed);
          const qparams: { blockShape: readonly number[]; scales: Float32Array; zeroPoints?: Int32Array } = {
            blockShape: c.blockShape,
            scales,
          };
          if (base.ok.zeroPoints)
            qparams.zeroPoints = base.ok.zeroPoints.map((z, i) => z + ((seed[i % seed.length]! % 3) - 1));
          // Put every value on or next to a rounding tie of its block's scale.
          const x = new Float32Array(c.tensor.data.length);
          const per = x.length / n;
          for (let i = 0; i < x.length; i++) {
            const s = scales[Math.floor(i / per)] as number;
            const j = (seed[i % seed.length]! % 40) - 20 + 0.5;
            x[i] = Math.fround(j * s * (1 + ((i % 3) - 1) * 2 ** -23));
          }
          // Per-block parameter order equals element order only for contiguous blocks; others just need consistency.
          const t = { data: x, shape: c.tensor.shape };
          expect(outcome(() => backend.quantize(t, c.spec, { qparams }))).toStrictEqual(
            outcome(() => quantize(t, c.spec, { qparams })),
          );
        }),
        { numRuns },
      );
    });

    test('dequantize gives the reference values bit for bit (quantized tensors and random codes)', () => {
      fc.assert(
        fc.property(
          caseArb([...QUANT_DTYPES, ...OTHER_DTYPES]),
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          (c, bytes) => {
            const q = outcome(() => quantize(c.tensor, c.spec, { blockShape: c.blockShape }));
            if (!('ok' in q)) return;
            expect(outcome(() => backend.dequantize(q.ok))).toStrictEqual(outcome(() => dequantize(q.ok)));
            // The same parameters over arbitrary code bytes (every code of the dtype, NaN codes included).
            const data =
              q.ok.data instanceof Int8Array ? new Int8Array(q.ok.data.length) : new Uint8Array(q.ok.data.length);
            for (let i = 0; i < data.length; i++) data[i] = bytes[i % bytes.length] as number;
            const r: QuantizedTensor = { ...q.ok, data };
            expect(outcome(() => backend.dequantize(r))).toStrictEqual(outcome(() => dequantize(r)));
          },
        ),
        { numRuns },
      );
    });

    test('block ranges and parameters match the reference (zero signs included)', () => {
      fc.assert(
        fc.property(caseArb(QUANT_DTYPES), ({ tensor, spec, blockShape }) => {
          expect(outcome(() => backend.reduceBlockRange(tensor, blockShape))).toStrictEqual(
            outcome(() => reduceBlockRange(tensor, blockShape)),
          );
          expect(outcome(() => backend.chooseQParams(tensor, spec, { blockShape }))).toStrictEqual(
            outcome(() => chooseQParams(tensor, spec, { blockShape })),
          );
        }),
        { numRuns },
      );
    });

    test('NaN and Inf: the same error, or the same saturated result', () => {
      fc.assert(
        fc.property(
          caseArb(QUANT_DTYPES),
          fc.nat(),
          fc.constantFrom(Number.NaN, Infinity, -Infinity),
          ({ tensor, spec, blockShape }, at, bad) => {
            const data = Float32Array.from(tensor.data);
            data[at % data.length] = bad;
            const t = { data, shape: tensor.shape };
            const e = outcome(() => backend.quantize(t, spec, { blockShape }));
            expect(e).toStrictEqual(outcome(() => quantize(t, spec, { blockShape })));
            expect('code' in e && e.code).toBe('KERNELS_NON_FINITE_INPUT');
            expect(outcome(() => backend.quantize(t, spec, { blockShape, nonFinite: 'saturate' }))).toStrictEqual(
              outcome(() => quantize(t, spec, { blockShape, nonFinite: 'saturate' })),
            );
          },
        ),
        { numRuns: Math.ceil(numRuns / 2) },
      );
    });

    test('empty tensors and long blocks (larger than the WASM staging tile)', () => {
      const spec: QuantizationSpec = {
        version: 1,
        dtype: 'int4',
        qscheme: 'asymmetric',
        qformulation: 'zp',
        granularity: { type: 'per_tensor' },
      };
      const empty = { data: new Float32Array(0), shape: [0, 32] };
      expect(outcome(() => backend.quantize(empty, spec, { blockShape: [1, 32] }))).toStrictEqual(
        outcome(() => quantize(empty, spec, { blockShape: [1, 32] })),
      );
      const n = 70_001 * 2;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.37) * 3 + (i % 11 === 0 ? 0.5 : 0);
      for (const dtype of ['int8', 'uint4', 'float8_e4m3fn']) {
        const s = {
          ...spec,
          dtype,
          qscheme: dtype.startsWith('float') ? 'symmetric' : 'asymmetric',
        } as QuantizationSpec;
        const t = { data, shape: [2, n / 2] };
        const q = backend.quantize(t, s, { blockShape: [1, n / 2] });
        expect(q).toStrictEqual(quantize(t, s, { blockShape: [1, n / 2] }));
        expect(backend.dequantize(q)).toStrictEqual(dequantize(q));
      }
    });

    test('W4 products (GEMV and GEMM) are within tolerance of float64', async () => {
      await fc.assert(
        fc.asyncProperty(w4CaseArb(), async (c) => {
          const { weights, x, m, wv } = buildW4Case(c);
          const prepared = backend.prepareW4(weights);
          try {
            const y = await backend.matmulW4(prepared, x, m);
            expectClose(y, product64(wv, weights.n, weights.k, x, m), weights.k);
          } finally {
            prepared.release();
          }
        }),
        { numRuns },
      );
    });

    test('W4 products in the int16 activation mode equal the float64 product of the rounded activations', async () => {
      await fc.assert(
        fc.asyncProperty(w4CaseArb(), async (c) => {
          const { weights, x, m, wv } = buildW4Case(c);
          const { n, k, blockSize } = weights;
          const prepared = backend.prepareW4(weights, { activations: 'int16' });
          try {
            expect(prepared.activations).toBe('int16');
            const y = await backend.matmulW4(prepared, x, m);
            const { values, steps } = int16ActivationValues(x, m, k, blockSize);
            expectClose(y, product64(wv, n, k, values, m), k);
            // The documented bound against the unrounded activations: half a step per activation.
            const exact = product64(wv, n, k, x, m);
            for (let i = 0; i < m; i++) {
              for (let r = 0; r < n; r++) {
                let bound = productTolerance(k, exact.abs[i * n + r] as number) * 2;
                for (let col = 0; col < k; col++) bound += (Math.abs(wv(r, col)) * (steps[i * k + col] as number)) / 2;
                const err = Math.abs((y[i * n + r] as number) - (exact.y[i * n + r] as number));
                if (!(err <= bound)) expect.fail(`output [${i}, ${r}]: error ${err} > bound ${bound}`);
              }
            }
          } finally {
            prepared.release();
          }
        }),
        { numRuns },
      );
    });

    test('the int16 activation mode covers blocks too long for the integer kernel', async () => {
      const k = 16400;
      const data = Uint8Array.from({ length: k }, (_, i) => (i * 37) & 0xff);
      const weights: W4Weights = { dtype: 'int4', n: 2, k, blockSize: k, data, scales: Float32Array.of(0.5, 0.25) };
      const x = Float32Array.from({ length: k }, (_, i) => Math.sin(i) * 3);
      const prepared = backend.prepareW4(weights, { activations: 'int16' });
      try {
        const y = await backend.matmulW4(prepared, x, 1);
        const wv = (r: number, c: number): number => (weights.scales[r] as number) * nibble(data, r * k + c, true);
        expectClose(y, product64(wv, 2, k, int16ActivationValues(x, 1, k, k).values, 1), k);
      } finally {
        prepared.release();
      }
    });

    test('W8A8 products: exact int32 sums and exactly scaled outputs', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 9 }),
          fc.integer({ min: 0, max: 90 }),
          fc.constantFrom(0, 1, 2, 4, 5, 7),
          fc.int8Array({ minLength: 1, maxLength: 64 }),
          fc.boolean(),
          async (n, k, m, seed, extreme) => {
            const pick = (i: number): number =>
              extreme ? (i % 3 === 0 ? 127 : -128) : (seed[i % seed.length] as number);
            const w = Int8Array.from({ length: n * k }, (_, i) => pick(i * 5 + 1));
            const a = Int8Array.from({ length: m * k }, (_, i) => pick(i * 3));
            const wScales = Float32Array.from({ length: n }, (_, i) => 0.01 * (i + 1));
            const aScales = Float32Array.from({ length: Math.max(1, m) }, (_, i) => 0.5 / (i + 1));
            const prepared = backend.prepareW8({ n, k, data: w, scales: wScales });
            try {
              const acc = await backend.matmulInt8(prepared, a, m);
              const y = await backend.matmulW8A8(prepared, a, m, aScales);
              for (let i = 0; i < m; i++) {
                for (let r = 0; r < n; r++) {
                  let s = 0;
                  for (let c = 0; c < k; c++) s += (a[i * k + c] as number) * (w[r * k + c] as number);
                  expect(acc[i * n + r]).toBe(s);
                  expect(y[i * n + r]).toBe(Math.fround(s * ((aScales[i] as number) * (wScales[r] as number))));
                }
              }
              expect(acc.length).toBe(m * n);
            } finally {
              prepared.release();
            }
          },
        ),
        { numRuns },
      );
    });

    test('W8A8 with asymmetric activations (uint8 or int8 with zero points): exact sums of (a - za) w', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 9 }),
          fc.integer({ min: 0, max: 70 }),
          fc.constantFrom(0, 1, 3, 4),
          fc.boolean(),
          fc.boolean(),
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          async (n, k, m, unsigned, perRow, seed) => {
            const byte = (i: number): number => seed[i % seed.length] as number;
            const w = Int8Array.from({ length: n * k }, (_, i) => byte(i * 5 + 1) - 128);
            const a = unsigned
              ? Uint8Array.from({ length: m * k }, (_, i) => byte(i * 3))
              : Int8Array.from({ length: m * k }, (_, i) => byte(i * 3) - 128);
            const zeros = Int32Array.from({ length: perRow ? m : 1 }, (_, i) => byte(i * 7 + 2) - (unsigned ? 0 : 128));
            const wScales = Float32Array.from({ length: n }, (_, i) => 0.02 * (i + 1));
            const aScales = Float32Array.of(0.25);
            const prepared = backend.prepareW8({ n, k, data: w, scales: wScales });
            try {
              const acc = await backend.matmulInt8(prepared, a, m, undefined, zeros);
              const y = await backend.matmulW8A8(prepared, a, m, aScales, undefined, zeros);
              for (let i = 0; i < m; i++) {
                const z = zeros[perRow ? i : 0] as number;
                for (let r = 0; r < n; r++) {
                  let s = 0;
                  for (let c = 0; c < k; c++) s += ((a[i * k + c] as number) - z) * (w[r * k + c] as number);
                  expect(acc[i * n + r]).toBe(s);
                  expect(y[i * n + r]).toBe(Math.fround(s * (0.25 * (wScales[r] as number))));
                }
              }
              // Zero points outside the activation dtype's range, or of the wrong count, are refused.
              const outside = Int32Array.of(unsigned ? 256 : -129);
              await expect(backend.matmulInt8(prepared, a, m, undefined, outside)).rejects.toMatchObject({
                code: 'KERNELS_INVALID_ARGUMENT',
              });
              if (m > 1) {
                await expect(
                  backend.matmulInt8(prepared, a, m, undefined, new Int32Array(m + 1)),
                ).rejects.toMatchObject({ code: 'KERNELS_SHAPE_MISMATCH' });
              }
            } finally {
              prepared.release();
            }
          },
        ),
        { numRuns },
      );
    });

    test('float8 products are within tolerance of float64', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 9 }),
          fc.integer({ min: 0, max: 100 }),
          fc.constantFrom(0, 1, 3, 6),
          fc.constantFrom(5, 16, 32, 1000),
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          fc.array(valueArb(), { minLength: 1, maxLength: 30 }),
          async (n, k, m, block, bytes, seed) => {
            const nb = Math.ceil(k / block);
            const data = Uint8Array.from({ length: n * k }, (_, i) => {
              const b = bytes[i % bytes.length] as number;
              return (b & 0x7f) === 0x7f ? b - 1 : b;
            });
            const scales = randomScales(n * nb, [...bytes]);
            const x = Float32Array.from({ length: m * k }, (_, i) =>
              Math.max(-1e30, Math.min(1e30, seed[i % seed.length] as number)),
            );
            const prepared = backend.prepareF8({ n, k, blockSize: block, data, scales });
            try {
              const y = await backend.matmulF8(prepared, x, m);
              const wv = (r: number, c: number): number =>
                e4m3(data[r * k + c] as number) * (scales[r * nb + Math.floor(c / block)] as number);
              expectClose(y, product64(wv, n, k, x, m), k);
            } finally {
              prepared.release();
            }
          },
        ),
        { numRuns },
      );
    });

    test('products reject bad weights and activations with QuantErrors', async () => {
      const bad = (f: () => unknown): string | undefined => {
        const r = outcome(f);
        return 'code' in r ? r.code : undefined;
      };
      expect(
        bad(() =>
          backend.prepareW4({
            dtype: 'int4',
            n: 2,
            k: 4,
            blockSize: 4,
            data: new Uint8Array(3),
            scales: new Float32Array(2).fill(1),
          }),
        ),
      ).toBe('KERNELS_SHAPE_MISMATCH');
      expect(
        bad(() =>
          backend.prepareW4({
            dtype: 'int4',
            n: 1,
            k: 4,
            blockSize: 4,
            data: new Uint8Array(2),
            scales: Float32Array.of(0),
          }),
        ),
      ).toBe('KERNELS_INVALID_ARGUMENT');
      expect(
        bad(() =>
          backend.prepareF8({ n: 1, k: 2, blockSize: 2, data: Uint8Array.of(0x7f, 0), scales: Float32Array.of(1) }),
        ),
      ).toBe('KERNELS_INVALID_ARGUMENT');
      expect(bad(() => backend.prepareW8({ n: 1, k: 2, data: new Int8Array(3), scales: Float32Array.of(1) }))).toBe(
        'KERNELS_SHAPE_MISMATCH',
      );
      const w = backend.prepareW4({
        dtype: 'uint4',
        n: 1,
        k: 2,
        blockSize: 2,
        data: new Uint8Array(1),
        scales: Float32Array.of(1),
      });
      expect(
        bad(() =>
          backend.prepareW4(
            { dtype: 'uint4', n: 1, k: 2, blockSize: 2, data: new Uint8Array(1), scales: Float32Array.of(1) },
            { activations: 'int8' as 'int16' },
          ),
        ),
      ).toBe('KERNELS_INVALID_ARGUMENT');
      await expect(backend.matmulW4(w, new Float32Array(3), 1)).rejects.toSatisfy(
        (e: unknown) => isQuantError(e) && e.code === 'KERNELS_SHAPE_MISMATCH',
      );
      await expect(backend.matmulW4(w, Float32Array.of(1, Number.NaN), 1)).rejects.toSatisfy(
        (e: unknown) => isQuantError(e) && e.code === 'KERNELS_NON_FINITE_INPUT',
      );
      w.release();
    });
  });
}
