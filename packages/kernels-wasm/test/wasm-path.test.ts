import { dequantize, quantize, reduceBlockRange } from '@lowbit/kernels';
import { quantRange } from '@lowbit/spec';
import type { QuantizationSpec } from '@lowbit/spec';
import fc from 'fast-check';
import { beforeAll, expect, test } from 'vitest';
import { createWasmKernels } from '../src/index.js';
import type { WasmKernels } from '../src/index.js';
import { SIMD_INT_SCHEMES } from './simd-int-schemes.js';
import { TILE, wasmDequantize, wasmQuantize, wasmReduceBlockRange } from '../src/_internal/wasm-quantize.js';

// These call the SIMD paths directly: a null result would mean "delegated to the reference", so each case
// asserts that the SIMD kernels themselves produced the reference's exact output.

let k: WasmKernels;
beforeAll(async () => {
  k = await createWasmKernels();
});

const spec = (dtype: string, qscheme: QuantizationSpec['qscheme']): QuantizationSpec => ({
  version: 1,
  dtype,
  qscheme,
  qformulation: 'zp',
  granularity: { type: 'per_tensor' },
});

const specs = fc.constantFrom(
  spec('int8', 'symmetric'),
  spec('int8', 'asymmetric'),
  spec('int8', 'symmetric_with_clipping'),
  spec('uint8', 'symmetric'),
  spec('uint8', 'asymmetric'),
  spec('int4', 'symmetric'),
  spec('int4', 'asymmetric'),
  spec('uint4', 'asymmetric'),
  spec('float8_e4m3fn', 'symmetric'),
);

test('SIMD quantize / dequantize / ranges run and equal the reference (contiguous blocks of >= 16)', () => {
  fc.assert(
    fc.property(
      specs,
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom(16, 17, 31, 32, 100),
      fc.integer({ min: 1, max: 3 }),
      fc.array(fc.float({ min: -1000, max: 1000, noNaN: true }), { minLength: 1, maxLength: 97 }),
      (s, rows, block, perRow, seed) => {
        const cols = block * perRow;
        const data = Float32Array.from({ length: rows * cols }, (_, i) => seed[(i * 13) % seed.length] as number);
        const t = { data, shape: [rows, cols] };
        const blockShape = [1, block];
        const q = wasmQuantize(k, t, s, { blockShape });
        expect(q).not.toBeNull();
        expect(q).toStrictEqual(quantize(t, s, { blockShape }));
        const d = wasmDequantize(k, q!);
        expect(d).not.toBeNull();
        expect(d).toStrictEqual(dequantize(q!));
        expect(wasmReduceBlockRange(k, t, blockShape)).toStrictEqual(reduceBlockRange(t, blockShape));
      },
    ),
    { numRuns: 120 },
  );
});

test('float32 rounding ties: codes follow the float64 quotient, half to even', () => {
  // x = (j + 1/2) s exactly: true ties; x one ulp either side: not ties.
  const s = Math.fround(0.1);
  const xs: number[] = [];
  for (let j = -130; j <= 130; j++) {
    const x = Math.fround((j + 0.5) * s);
    xs.push(x, x * (1 + 2 ** -23), x * (1 - 2 ** -23));
  }
  while (xs.length % 16 !== 0) xs.push(0);
  const data = Float32Array.from(xs);
  const t = { data, shape: [data.length] };
  const qparams = { blockShape: [data.length], scales: Float32Array.of(s) };
  const q = wasmQuantize(k, t, spec('int8', 'symmetric'), { qparams });
  expect(q).not.toBeNull();
  const codes = q!.data as Int8Array;
  for (let i = 0; i < data.length; i++) {
    const v = (data[i] as number) / s;
    const fl = Math.floor(v);
    const r = v - fl === 0.5 ? (fl % 2 === 0 ? fl : fl + 1) : Math.round(v);
    expect(codes[i]).toBe(Math.max(-128, Math.min(127, r)) + 0);
  }
});

test('float8_e4m3fn: every code round-trips and saturation is at 448', () => {
  const values = new Float32Array(256 + 16);
  for (let c = 0; c < 256; c++) {
    const e = (c >> 3) & 15;
    const m = c & 7;
    const v = e === 0 ? m * 2 ** -9 : (1 + m / 8) * 2 ** (e - 7);
    values[c] = (c & 0x80 ? -1 : 1) * ((c & 0x7f) === 0x7f ? 448 : v);
  }
  values.set([464, 465, 1e30, -1e30, 2 ** -10, 2 ** -10 * 1.0001, 3 * 2 ** -11, 2.5 * 2 ** -9], 256);
  const t = { data: values, shape: [values.length] };
  const q = wasmQuantize(k, t, spec('float8_e4m3fn', 'symmetric'), {
    qparams: { blockShape: [values.length], scales: Float32Array.of(1) },
  })!;
  const codes = q.data as Uint8Array;
  for (let c = 0; c < 256; c++) expect(codes[c]).toBe((c & 0x7f) === 0x7f ? c - 1 : c);
  // 464 is the tie between 448 (0x7E) and 480 (no such value): ties to even 0x7E; beyond saturates.
  // 2^-10 is half the smallest subnormal: a tie, to even 0; 2.5 * 2^-9 ties to 2.
  expect(Array.from(codes.subarray(256, 264))).toEqual([0x7e, 0x7e, 0x7e, 0xfe, 0, 1, 1, 2]);
});

test('zero-copy: a tensor living in WebAssembly memory is quantized without a copy from JS', () => {
  const n = TILE + 48;
  const ptr = k.alloc(n * 4);
  const view = k.f32(ptr, n);
  for (let i = 0; i < n; i++) view[i] = Math.cos(i);
  const copy = Float32Array.from(view);
  const s = spec('int8', 'symmetric');
  const q = wasmQuantize(k, { data: view, shape: [n / 16, 16] }, s, { blockShape: [1, 16] });
  expect(q).toStrictEqual(quantize({ data: copy, shape: [n / 16, 16] }, s, { blockShape: [1, 16] }));
  k.free(ptr);
});

test('outside the SIMD kernels the path declines (the backend then runs the reference)', () => {
  const t = { data: new Float32Array(64).fill(1), shape: [8, 8] };
  expect(wasmQuantize(k, t, spec('int2', 'symmetric'), { blockShape: [1, 8] })).toBeNull(); // dtype
  expect(wasmQuantize(k, t, spec('int8', 'symmetric'), { blockShape: [8, 1] })).toBeNull(); // strided blocks
  expect(wasmQuantize(k, t, spec('int8', 'symmetric'), { blockShape: [1, 8] })).toBeNull(); // blocks < 16
  t.data[3] = Number.NaN;
  expect(wasmQuantize(k, t, spec('int8', 'symmetric'), { blockShape: [8, 8] })).toBeNull(); // NaN
});

test('computed parameters (fused range + quantize kernel): values on and next to ties of the computed scale', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(
        spec('int8', 'symmetric'),
        spec('int8', 'symmetric_with_clipping'),
        spec('int8', 'asymmetric'),
        spec('uint8', 'symmetric'),
        spec('uint8', 'asymmetric'),
        spec('int4', 'asymmetric'),
        spec('uint4', 'symmetric'),
      ),
      fc.float({ min: Math.fround(1e-3), max: 1e3, noNaN: true }),
      fc.float({ min: 0, max: 1, noNaN: true }),
      fc.array(fc.integer({ min: -300, max: 300 }), { minLength: 1, maxLength: 50 }),
      (s, amax, ratio, js) => {
        const rows = 3;
        const cols = 80;
        const data = new Float32Array(rows * cols);
        // Row r spans [lo, hi]: its scale is fixed by those two elements; the others sit at (j + 1/2) s and one
        // float32 ulp either side, clamped into [lo, hi] so that they do not change the range.
        for (let r = 0; r < rows; r++) {
          const hi = Math.fround(amax * (r + 1));
          const lo = Math.fround(-hi * ratio);
          const row = { data: Float32Array.of(lo, hi), shape: [1, 2] };
          const scale = quantize(row, s, { blockShape: [1, 2] }).scales[0] as number;
          data[r * cols] = lo;
          data[r * cols + 1] = hi;
          for (let c = 2; c < cols; c++) {
            const j = js[c % js.length] as number;
            const tie = Math.fround((j + 0.5) * scale);
            const x = Math.fround(tie * (1 + ((c % 3) - 1) * 2 ** -23));
            data[r * cols + c] = Math.min(hi, Math.max(lo, x));
          }
        }
        const t = { data, shape: [rows, cols] };
        const q = wasmQuantize(k, t, s, { blockShape: [1, cols] });
        expect(q).not.toBeNull();
        expect(q).toStrictEqual(quantize(t, s, { blockShape: [1, cols] }));
      },
    ),
    { numRuns: 150 },
  );
});

test('clipped ranges: SIMD dequantize runs, and declines a code outside the range (the reference reports it)', () => {
  for (const dtype of ['int8', 'uint8', 'int4', 'uint4']) {
    const s = spec(dtype, 'symmetric_with_clipping');
    const n = 37;
    const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
    const q = quantize({ data, shape: [n] }, s, { blockShape: [n] });
    expect(wasmDequantize(k, q)).toStrictEqual(dequantize(q));
    // The one code a clipped range leaves out: -128 / 255 / -8 / 15, put at the last (scalar tail) or first position.
    const outside = { int8: 0x80, uint8: 0xff, int4: 0x8, uint4: 0xf }[dtype]!;
    for (const at of [0, n - 1]) {
      const codes = Uint8Array.from(q.data);
      if (dtype.endsWith('4'))
        codes[at >> 1] = (codes[at >> 1]! & (at & 1 ? 0x0f : 0xf0)) | (outside << ((at & 1) * 4));
      else codes[at] = outside;
      const bad = { ...q, data: q.data instanceof Int8Array ? new Int8Array(codes.buffer) : codes };
      expect(wasmDequantize(k, bad)).toBeNull();
      expect(() => dequantize(bad)).toThrow(/outside the dtype's range/);
    }
  }
});

test('int8 symmetric, computed parameters: constant, zero, max-first and non-finite blocks equal the reference', () => {
  const s = spec('int8', 'symmetric');
  const special = fc.constantFrom(0, -0, 1, -1, 2.5, -127.5, 3e38, -3e38, 1e-40);
  fc.assert(
    fc.property(
      fc.constantFrom(16, 17, 31, 48, 100),
      fc.integer({ min: 1, max: 5 }),
      fc.array(
        fc.record({
          kind: fc.constantFrom('random', 'constant', 'zeros', 'negZeros', 'maxFirst', 'almostConstant'),
          c: special,
        }),
        { minLength: 5, maxLength: 5 },
      ),
      fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 61 }),
      (cols, rows, kinds, seed) => {
        const data = Float32Array.from({ length: rows * cols }, (_, i) => seed[(i * 7) % seed.length] as number);
        for (let r = 0; r < rows; r++) {
          const { kind, c } = kinds[r]!;
          const row = data.subarray(r * cols, (r + 1) * cols);
          if (kind === 'constant') row.fill(c === 0 ? 1 : c);
          else if (kind === 'zeros') row.fill(0);
          else if (kind === 'negZeros') row.fill(-0);
          else if (kind === 'maxFirst') row[0] = 1000;
          else if (kind === 'almostConstant') {
            row.fill(c === 0 ? 1 : c);
            row[cols - 1] = -row[0]!; // same |x| everywhere, not constant
          }
        }
        const t = { data, shape: [rows, cols] };
        const q = wasmQuantize(k, t, s, { blockShape: [1, cols] });
        expect(q).not.toBeNull();
        expect(q).toStrictEqual(quantize(t, s, { blockShape: [1, cols] }));
        // a NaN or an infinity in any row, at any position: the SIMD path declines (the reference reports it)
        for (const bad of [Number.NaN, Infinity, -Infinity]) {
          const at = (seed.length * 5 + rows * 3) % data.length;
          const copy = Float32Array.from(data);
          copy[at] = bad;
          expect(wasmQuantize(k, { data: copy, shape: [rows, cols] }, s, { blockShape: [1, cols] })).toBeNull();
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('quant_rows computes the reference parameters itself, so no block needs a second pass', () => {
  // A block whose parameters differed would still come out right (quantizeRows redoes it), only slower: this
  // checks the kernel's own parameters, for short chunks (four at a time and one by one) and long ones.
  fc.assert(
    fc.property(
      fc.constantFrom(...SIMD_INT_SCHEMES),
      fc.constantFrom(16, 32, 48, 256, 272, 1000),
      fc.integer({ min: 1, max: 11 }),
      fc.array(fc.float({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 2, maxLength: 40 }),
      ([dtype, qscheme], chunk, nchunks, seed) => {
        const n = chunk * nchunks;
        const data = Float32Array.from(
          { length: n },
          (_, i) => (seed[(i * 7) % seed.length] as number) * (1 + (i % 5)),
        );
        const s = spec(dtype, qscheme);
        const { qmin: lo, qmax: hi } = quantRange(s);
        const zsym = qscheme === 'asymmetric' ? 0 : Math.floor((hi + lo + 1) / 2);
        const x = k.alloc(n * 4);
        const out = k.alloc(n);
        const params = k.alloc(16 * nchunks);
        try {
          k.f32(x, n).set(data);
          const bad = k.exports.quant_rows(
            x,
            nchunks,
            chunk,
            lo,
            hi,
            zsym,
            qscheme === 'asymmetric' ? 1 : 0,
            out,
            params,
            params + 4 * nchunks,
            params + 8 * nchunks,
            params + 12 * nchunks,
          );
          expect(bad).toBe(0);
          const min = k.f32(params + 8 * nchunks, nchunks).slice();
          const max = k.f32(params + 12 * nchunks, nchunks).slice();
          const blockShape = [1, chunk];
          const ref = reduceBlockRange({ data, shape: [nchunks, chunk] }, blockShape);
          // ranges as the reference has them, up to the sign of a zero end
          expect(Array.from(min, (v) => v + 0)).toEqual(Array.from(ref.min, (v) => v + 0));
          expect(Array.from(max, (v) => v + 0)).toEqual(Array.from(ref.max, (v) => v + 0));
          const qp = quantize({ data, shape: [nchunks, chunk] }, s, { blockShape });
          const constant = Array.from(ref.min, (v, b) => v === ref.max[b] && v !== 0);
          const scales = k.f32(params, nchunks);
          const zps = k.i32(params + 4 * nchunks, nchunks);
          for (let b = 0; b < nchunks; b++) {
            if (constant[b]) continue; // constant blocks get their own parameters from qparamsFromRange
            expect(scales[b]).toBe(qp.scales[b]);
            expect(zps[b]).toBe(qp.zeroPoints ? qp.zeroPoints[b] : zsym);
          }
        } finally {
          for (const p of [x, out, params]) k.free(p);
        }
      },
    ),
    { numRuns: 200 },
  );
});
