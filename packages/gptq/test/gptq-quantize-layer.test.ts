import { isQuantError } from '@lowbit/dtypes';
import {
  createElementQuantizer,
  dequantize,
  fakeQuantize,
  qparamsFromRange,
  quantize,
  unpackCodes,
} from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createHessianAccumulator, gptqQuantizeLayer } from '../src/index.js';
import type { GptqLayerOptions } from '../src/index.js';
import { quantErrorCode as errorCode } from '../../../tools/lib/quant-error-code.js';

// ---------- specs ----------
const base = { version: 1, qformulation: 'zp' } as const;
const SPECS: Record<string, QuantizationSpec> = {
  int4PerChannel: { ...base, dtype: 'int4', qscheme: 'symmetric', granularity: { type: 'per_channel' } },
  int4Block8: { ...base, dtype: 'int4', qscheme: 'symmetric', granularity: { type: 'per_block', blockSize: 8 } },
  uint4AsymBlock8: { ...base, dtype: 'uint4', qscheme: 'asymmetric', granularity: { type: 'per_block', blockSize: 8 } },
  int8ClippedPerTensor: {
    ...base,
    dtype: 'int8',
    qscheme: 'symmetric_with_clipping',
    granularity: { type: 'per_tensor' },
  },
  int2Minval: {
    version: 1,
    dtype: 'int2',
    qscheme: 'asymmetric',
    qformulation: 'minval',
    granularity: { type: 'per_channel' },
  },
  fp8PerChannel: { ...base, dtype: 'float8_e4m3fn', qscheme: 'symmetric', granularity: { type: 'per_channel' } },
  mxfp4Block8: {
    ...base,
    dtype: 'float4_e2m1fn',
    qscheme: 'symmetric',
    granularity: { type: 'per_block', blockSize: 8 },
    scaleDtype: 'float8_e8m0fnu',
  },
};
const specNames = Object.keys(SPECS);

// ---------- deterministic data ----------
function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Correlated inputs (a low-rank mix plus noise), like real activations, and their Hessian. */
function correlatedHessian(columns: number, rows: number, seed: number): { h: Float64Array; x: Float32Array } {
  const rand = lcg(seed);
  const rank = Math.max(1, Math.floor(columns / 4));
  const mix = Array.from({ length: rank * columns }, () => rand() * 2 - 1);
  const x = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const z = Array.from({ length: rank }, () => rand() * 2 - 1);
    for (let c = 0; c < columns; c++) {
      let v = 0.05 * (rand() * 2 - 1) * (1 + (c % 5));
      for (let k = 0; k < rank; k++) v += z[k]! * mix[k * columns + c]!;
      x[r * columns + c] = v;
    }
  }
  const acc = createHessianAccumulator(columns);
  acc.add(x, rows);
  return { h: acc.hessian.slice(), x };
}

function randomWeight(rows: number, columns: number, seed: number): Float32Array {
  const rand = lcg(seed * 7 + 3);
  return new Float32Array(rows * columns).map(() => (rand() * 2 - 1) * (rand() < 0.05 ? 4 : 1));
}

function identity(n: number): Float64Array {
  const e = new Float64Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = 1;
  return e;
}

/** sum_r (w_r - q_r) H (w_r - q_r)^T with the full matrix, written plainly. */
function proxyError(w: ArrayLike<number>, q: ArrayLike<number>, h: Float64Array, rows: number, n: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        total += (w[r * n + i]! - q[r * n + i]!) * h[i * n + j]! * (w[r * n + j]! - q[r * n + j]!);
  return total;
}

// ---------- an independent, textbook implementation ----------
/**
 * GPTQ as the paper derives it from OBS, with none of the implementation's tricks: explicit inverse Hessian
 * (Gauss-Jordan), one column at a time, every update applied at once, and the inverse downdated by Gaussian
 * elimination after each column (no Cholesky, no lazy batches, no reversed factorisation).
 */
function textbookGptq(
  w0: Float32Array,
  rows: number,
  n: number,
  h0: Float64Array,
  spec: QuantizationSpec,
  group: number,
  opts: { actOrder: boolean; staticGroups: boolean; percdamp: number },
): Float32Array {
  const eq = createElementQuantizer(spec);
  const w = Float64Array.from(w0);
  const h = h0.slice();
  const paramsFor = (src: Float64Array, cols: number[]): { s: number[]; z: number[] } => {
    const mins = Array.from({ length: rows }, () => Infinity);
    const maxs = Array.from({ length: rows }, () => -Infinity);
    for (let r = 0; r < rows; r++)
      for (const c of cols) {
        mins[r] = Math.min(mins[r]!, src[r * n + c]!);
        maxs[r] = Math.max(maxs[r]!, src[r * n + c]!);
      }
    const qp = qparamsFromRange(mins, maxs, spec, [1, group]);
    return {
      s: Array.from(qp.scales),
      z: Array.from({ length: rows }, (_, r) => qp.minvals?.[r] ?? qp.zeroPoints?.[r] ?? 0),
    };
  };
  const range = (a: number, len: number): number[] => Array.from({ length: len }, (_, k) => a + k);
  const wholeRow = group === n;
  const staticParams: { s: number[]; z: number[] }[] = [];
  if (wholeRow) staticParams.push(paramsFor(w, range(0, n)));
  for (let i = 0; i < n; i++) {
    if (h[i * n + i] === 0) {
      h[i * n + i] = 1;
      for (let r = 0; r < rows; r++) w[r * n + i] = 0;
    }
  }
  if (!wholeRow && opts.staticGroups)
    for (let g = 0; g < n / group; g++) staticParams.push(paramsFor(w, range(g * group, group)));
  const order = range(0, n);
  if (opts.actOrder) order.sort((a, b) => h[b * n + b]! - h[a * n + a]! || a - b);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += h[i * n + i]!;
  const damp = (opts.percdamp * mean) / n;
  // inverse of the permuted, dampened Hessian by Gauss-Jordan
  const m = new Float64Array(n * 2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) m[i * 2 * n + j] = h[order[i]! * n + order[j]!]! + (i === j ? damp : 0);
    m[i * 2 * n + n + i] = 1;
  }
  for (let p = 0; p < n; p++) {
    const piv = m[p * 2 * n + p]!;
    for (let j = 0; j < 2 * n; j++) m[p * 2 * n + j] = m[p * 2 * n + j]! / piv;
    for (let i = 0; i < n; i++) {
      if (i === p) continue;
      const f = m[i * 2 * n + p]!;
      for (let j = 0; j < 2 * n; j++) m[i * 2 * n + j] = m[i * 2 * n + j]! - f * m[p * 2 * n + j]!;
    }
  }
  const hinv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) hinv[i * n + j] = m[i * 2 * n + n + j]!;
  // permuted weights
  const wp = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) wp[r * n + j] = w[r * n + order[j]!]!;
  const out = new Float32Array(rows * n);
  let dyn: { s: number[]; z: number[] } | undefined;
  for (let j = 0; j < n; j++) {
    if (!wholeRow && !opts.staticGroups && j % group === 0) dyn = paramsFor(wp, range(j, group));
    const p = wholeRow ? staticParams[0]! : opts.staticGroups ? staticParams[Math.floor(order[j]! / group)]! : dyn!;
    const d = hinv[j * n + j]!;
    for (let r = 0; r < rows; r++) {
      const x = wp[r * n + j]!;
      const q = eq.dequantize(eq.quantize(x, p.s[r]!, p.z[r]!), p.s[r]!, p.z[r]!);
      out[r * n + order[j]!] = q;
      const e = (x - q) / d;
      for (let k = j + 1; k < n; k++) wp[r * n + k] = wp[r * n + k]! - e * hinv[j * n + k]!;
    }
    for (let a = j + 1; a < n; a++)
      for (let b = j + 1; b < n; b++) hinv[a * n + b] = hinv[a * n + b]! - (hinv[a * n + j]! * hinv[j * n + b]!) / d;
  }
  return out;
}

describe('gptqQuantizeLayer', () => {
  test('with an identity Hessian GPTQ gives exactly the codes of round-to-nearest', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...specNames),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.boolean(),
        (name, rows, blocks, seed, actOrder) => {
          const spec = SPECS[name]!;
          const n = blocks * 8;
          const weight = { data: randomWeight(rows, n, seed), shape: [rows, n] };
          const g = gptqQuantizeLayer(weight, identity(n), spec, { actOrder, blockSize: 5 });
          const rtn = quantize(weight, spec, { opKind: 'linear' });
          expect(Array.from(unpackCodes(g.quantized))).toEqual(Array.from(unpackCodes(rtn)));
          expect(Array.from(g.quantized.scales)).toEqual(Array.from(rtn.scales));
          expect(g.quantized.zeroPoints && Array.from(g.quantized.zeroPoints)).toEqual(
            rtn.zeroPoints && Array.from(rtn.zeroPoints),
          );
          expect(Array.from(g.dequantized.data)).toEqual(
            Array.from(fakeQuantize(weight, spec, { opKind: 'linear' }).data),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  test('matches an independent textbook implementation (explicit inverse, OBS downdates)', () => {
    const cases: [string, number, GptqLayerOptions & { staticGroups?: boolean }][] = [
      ['int4PerChannel', 48, { blockSize: 7 }],
      ['int4PerChannel', 48, { blockSize: 128, actOrder: true }],
      ['int4Block8', 8, { blockSize: 16 }],
      ['int4Block8', 8, { blockSize: 5 }], // dynamic groups force an aligned lazy batch (here 4)
      ['uint4AsymBlock8', 8, { blockSize: 12, actOrder: true, staticGroups: true }],
      ['uint4AsymBlock8', 8, { blockSize: 12, actOrder: true, staticGroups: false }],
      ['int2Minval', 48, { blockSize: 10, actOrder: true }],
      ['fp8PerChannel', 48, { blockSize: 9 }],
      ['mxfp4Block8', 8, { blockSize: 16, actOrder: true }],
    ];
    const rows = 6;
    const n = 48;
    for (const [name, group, opts] of cases) {
      for (let seed = 1; seed <= 3; seed++) {
        const { h } = correlatedHessian(n, 200, seed);
        const w = randomWeight(rows, n, seed);
        const spec = SPECS[name]!;
        const ours = gptqQuantizeLayer({ data: w, shape: [rows, n] }, h, spec, opts);
        const staticGroups = opts.staticGroups ?? opts.actOrder ?? false;
        const ref = textbookGptq(w, rows, n, h, spec, group, {
          actOrder: opts.actOrder ?? false,
          staticGroups,
          percdamp: 0.01,
        });
        const label = `${name} ${JSON.stringify(opts)} seed ${seed}`;
        expect(Array.from(ours.dequantized.data), label).toEqual(Array.from(ref));
      }
    }
  });

  test('returned codes decode with the kernels to exactly the returned dequantized weights', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...specNames),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 40 }),
        (name, rows, blocks, seed, actOrder, staticGroups, blockSize) => {
          const n = blocks * 8;
          const { h } = correlatedHessian(n, 64, seed);
          const w = randomWeight(rows, n, seed);
          const r = gptqQuantizeLayer({ data: w, shape: [rows, n] }, h, SPECS[name]!, {
            actOrder,
            staticGroups,
            blockSize,
          });
          const decoded = dequantize(r.quantized).data;
          if (r.columnPermutation === undefined) {
            expect(r.quantized.shape).toEqual([rows, n]);
            expect(Array.from(decoded)).toEqual(Array.from(r.dequantized.data));
          } else {
            const perm = r.columnPermutation;
            for (let i = 0; i < rows; i++)
              for (let j = 0; j < n; j++) expect(decoded[i * n + j]).toBe(r.dequantized.data[i * n + perm[j]!]);
          }
          for (const v of r.dequantized.data) expect(Number.isFinite(v)).toBe(true);
          // the reported error is the plain proxy error of the returned weights
          const direct = proxyError(w, r.dequantized.data, h, rows, n);
          expect(Math.abs(r.stats.outputErrorGptq! - direct)).toBeLessThanOrEqual(1e-9 * Math.max(1, direct));
        },
      ),
      { numRuns: 80 },
    );
  });

  test('act-order with groups: static groups keep the original layout, dynamic ones return the permutation', () => {
    const rows = 16;
    const n = 64;
    const { x } = correlatedHessian(n, 400, 11);
    // scale input columns unevenly so the Hessian diagonal is far from monotone and act-order really permutes
    for (let r = 0; r < 400; r++) for (let c = 0; c < n; c++) x[r * n + c] = x[r * n + c]! * (1 + ((c * 37) % 11) / 4);
    const acc = createHessianAccumulator(n);
    acc.add(x, 400);
    const h = acc.hessian;
    const w = randomWeight(rows, n, 5);
    const spec = { ...SPECS['int4Block8']!, granularity: { type: 'per_block', blockSize: 16 } } as const;
    const weight = { data: w, shape: [rows, n] };
    const plain = gptqQuantizeLayer(weight, h, spec);
    const stat = gptqQuantizeLayer(weight, h, spec, { actOrder: true, staticGroups: true });
    const dyn = gptqQuantizeLayer(weight, h, spec, { actOrder: true, staticGroups: false });
    const rtn = fakeQuantize(weight, spec, { opKind: 'linear' });
    const eRtn = proxyError(w, rtn.data, h, rows, n);

    expect(stat.columnPermutation).toBeUndefined();
    expect(stat.quantized.shape).toEqual([rows, n]);
    expect(stat.quantized.blockShape).toEqual([1, 16]);
    expect(stat.stats.staticGroups).toBe(true);
    // static groups: scales are those of the original (unupdated) weight groups, i.e. RTN's scales
    expect(Array.from(stat.quantized.scales)).toEqual(Array.from(quantize(weight, spec, { opKind: 'linear' }).scales));

    const perm = dyn.columnPermutation!;
    expect(dyn.stats.staticGroups).toBe(false);
    expect([...perm].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (let j = 1; j < n; j++)
      expect(h[perm[j - 1]! * n + perm[j - 1]!]).toBeGreaterThanOrEqual(h[perm[j]! * n + perm[j]!]!);
    expect(perm[0]).not.toBe(0);
    expect(dyn.quantized.shape).toEqual([rows, n]);
    expect(dyn.quantized.blockShape).toEqual([1, 16]);

    for (const r of [plain, stat, dyn]) {
      expect(r.stats.outputErrorGptq!).toBeLessThan(0.8 * eRtn);
      expect(r.stats.outputErrorRtn).toBeCloseTo(eRtn, 6);
    }
  });

  test('conv weights [out, in, kh, kw] are quantized as [out, in*kh*kw] and keep their shape', () => {
    const out = 4;
    const inC = 4;
    const n = inC * 3 * 3;
    const { h } = correlatedHessian(n, 300, 3);
    const w = randomWeight(out, n, 9);
    const spec4 = {
      ...base,
      dtype: 'int4',
      qscheme: 'symmetric',
      granularity: { type: 'per_block', blockSize: 2 },
    } as const;
    const conv = gptqQuantizeLayer({ data: w, shape: [out, inC, 3, 3] }, h, spec4);
    expect(conv.quantized.shape).toEqual([out, inC, 3, 3]);
    expect(conv.quantized.blockShape).toEqual([1, 2, 3, 3]);
    expect(conv.dequantized.shape).toEqual([out, inC, 3, 3]);
    // the same as a linear weight with groups of 2 * 3 * 3 columns
    const flat = gptqQuantizeLayer({ data: w, shape: [out, n] }, h, {
      ...spec4,
      granularity: { type: 'per_block', blockSize: 18 },
    });
    expect(Array.from(conv.dequantized.data)).toEqual(Array.from(flat.dequantized.data));
    expect(Array.from(dequantize(conv.quantized).data)).toEqual(Array.from(conv.dequantized.data));
  });

  test('dead columns (zero Hessian diagonal) are zeroed and counted', () => {
    const rows = 5;
    const n = 16;
    const { x } = correlatedHessian(n, 100, 4);
    const dead = [2, 9, 15];
    for (let r = 0; r < 100; r++) for (const c of dead) x[r * n + c] = 0;
    const acc = createHessianAccumulator(n);
    acc.add(x, 100);
    const w = randomWeight(rows, n, 2);
    const r = gptqQuantizeLayer({ data: w, shape: [rows, n] }, acc, SPECS['int4PerChannel']!, { actOrder: true });
    expect(r.stats.deadColumns).toBe(3);
    for (let i = 0; i < rows; i++) for (const c of dead) expect(r.dequantized.data[i * n + c]).toBe(0);
    for (const v of r.dequantized.data) expect(Number.isFinite(v)).toBe(true);
  });

  test('an indefinite Hessian is retried with more dampening and the retries are reported', () => {
    const n = 12;
    const rows = 3;
    // H = I - 0.05 * 12 * v v^T / |v|^2 style: eigenvalue 1 - 0.6 * ... build H = I + a u u^T with a negative eigenvalue
    const h = identity(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] = h[i * n + j]! - 0.1; // eigenvalue 1 - 0.1 n = -0.2
    const w = randomWeight(rows, n, 1);
    const r = gptqQuantizeLayer({ data: w, shape: [rows, n] }, h, SPECS['int4PerChannel']!);
    // mean diagonal 0.9: 0.01 -> 0.009 and 0.1 -> 0.09 fail (eigenvalue -0.2); 1 -> 0.9 succeeds
    expect(r.stats.retries).toBe(2);
    expect(r.stats.percdamp).toBeCloseTo(1, 12);
    expect(r.stats.dampening).toBeCloseTo(0.9, 12);
    for (const v of r.dequantized.data) expect(Number.isFinite(v)).toBe(true);
  });

  test('a singular Hessian without dampening is retried; hopeless ones throw GPTQ_NUMERICAL_FAILURE naming the layer', () => {
    const n = 8;
    const v = Array.from({ length: n }, (_, i) => i + 1);
    const h = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] = v[i]! * v[j]!; // rank 1
    const w = randomWeight(2, n, 3);
    const r = gptqQuantizeLayer({ data: w, shape: [2, n] }, h, SPECS['int4PerChannel']!, { percdamp: 0 });
    expect(r.stats.retries).toBe(1);
    expect(r.stats.percdamp).toBe(0.01);

    const negative = identity(n).map((x) => -x);
    try {
      gptqQuantizeLayer({ data: w, shape: [2, n] }, negative, SPECS['int4PerChannel']!, { name: 'fc7', maxRetries: 2 });
      expect.unreachable();
    } catch (e) {
      expect(isQuantError(e) && e.code).toBe('GPTQ_NUMERICAL_FAILURE');
      expect((e as Error).message).toContain("layer 'fc7'");
      expect(isQuantError(e) && e.details?.['retries']).toBe(2);
    }
  });

  test('deterministic: the same input gives bit-identical output', () => {
    const { h } = correlatedHessian(32, 100, 8);
    const w = randomWeight(8, 32, 8);
    const run = () =>
      gptqQuantizeLayer({ data: w, shape: [8, 32] }, h, SPECS['uint4AsymBlock8']!, {
        actOrder: true,
        staticGroups: false,
      });
    const a = run();
    const b = run();
    expect(Array.from(a.quantized.data)).toEqual(Array.from(b.quantized.data));
    expect(Array.from(a.quantized.scales)).toEqual(Array.from(b.quantized.scales));
    expect(Array.from(a.dequantized.data)).toEqual(Array.from(b.dequantized.data));
    expect(a.stats).toEqual(b.stats);
  });

  test('inputs are not modified', () => {
    const { h } = correlatedHessian(16, 50, 2);
    const w = randomWeight(4, 16, 2);
    const h0 = h.slice();
    const w0 = w.slice();
    gptqQuantizeLayer({ data: w, shape: [4, 16] }, h, SPECS['int4PerChannel']!, { actOrder: true });
    expect(Array.from(h)).toEqual(Array.from(h0));
    expect(Array.from(w)).toEqual(Array.from(w0));
  });

  test('bad arguments throw clear errors', () => {
    const spec = SPECS['int4PerChannel']!;
    const w = { data: new Float32Array(8), shape: [2, 4] };
    const h = identity(4);
    expect(errorCode(() => gptqQuantizeLayer({ data: new Float32Array(4), shape: [4] }, identity(4), spec))).toBe(
      'GPTQ_INVALID_ARGUMENT',
    );
    expect(errorCode(() => gptqQuantizeLayer({ data: new Float32Array(7), shape: [2, 4] }, h, spec))).toBe(
      'GPTQ_INVALID_ARGUMENT',
    );
    expect(
      errorCode(() =>
        gptqQuantizeLayer({ data: Float32Array.of(1, 2, 3, Number.NaN, 0, 0, 0, 0), shape: [2, 4] }, h, spec),
      ),
    ).toBe('GPTQ_INVALID_ARGUMENT');
    expect(errorCode(() => gptqQuantizeLayer(w, identity(3), spec))).toBe('GPTQ_INVALID_ARGUMENT');
    expect(errorCode(() => gptqQuantizeLayer(w, identity(4).fill(Number.NaN, 0, 1), spec))).toBe(
      'GPTQ_INVALID_ARGUMENT',
    );
    expect(errorCode(() => gptqQuantizeLayer(w, createHessianAccumulator(4), spec))).toBe('GPTQ_INVALID_ARGUMENT');
    expect(errorCode(() => gptqQuantizeLayer(w, h, spec, { blockSize: 0 }))).toBe('GPTQ_INVALID_ARGUMENT');
    expect(errorCode(() => gptqQuantizeLayer(w, h, spec, { percdamp: -1 }))).toBe('GPTQ_INVALID_ARGUMENT');
    // block shape that is not a run of input columns: blocks along the output axis
    expect(
      errorCode(() =>
        gptqQuantizeLayer({ data: new Float32Array(2 * 4 * 2 * 2), shape: [2, 4, 2, 2] }, identity(16), {
          ...spec,
          granularity: { type: 'per_block', blockSize: [1, 2, 1, 2] },
        }),
      ),
    ).toBe('GPTQ_INVALID_ARGUMENT');
    // block size that does not divide the input axis: the spec's own error
    expect(
      errorCode(() => gptqQuantizeLayer(w, h, { ...spec, granularity: { type: 'per_block', blockSize: 3 } })),
    ).toBe('SPEC_BLOCK_SIZE_MISMATCH');
  });
});
