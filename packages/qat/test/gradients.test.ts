import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { getDType } from '@lowbit/dtypes';
import { fakeQuantize } from '@lowbit/kernels';
import { quantRange } from '@lowbit/spec';
import type { QScheme, QuantizationSpec } from '@lowbit/spec';
import { createFakeQuantizer } from '../src/index.js';
import { blockId, regionZp, rhe, surrogateZp } from './helpers/reference.js';

const COLS = 8;
const granularities = [
  { type: 'per_tensor' },
  { type: 'per_channel' },
  { type: 'per_block', blockSize: 4 },
] as const satisfies readonly QuantizationSpec['granularity'][];

const value = fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true });

/** A [rows, 8] matrix plus a second draw used to push some elements outside the observed range. */
const matrixPair = fc.integer({ min: 1, max: 5 }).chain((rows) =>
  fc.record({
    rows: fc.constant(rows),
    x0: fc.array(value, { minLength: rows * COLS, maxLength: rows * COLS }),
    x1: fc.array(value, { minLength: rows * COLS, maxLength: rows * COLS }),
    g: fc.array(fc.float({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }), {
      minLength: rows * COLS,
      maxLength: rows * COLS,
    }),
  }),
);

function intSpec(dtype: string, qscheme: QScheme, granularity: QuantizationSpec['granularity']): QuantizationSpec {
  return { version: 1, dtype, qscheme, qformulation: 'zp', granularity };
}

/** Block `b`'s zero point: the stored one, else the implicit one (mid-range for symmetric unsigned, else 0). */
function zeroPointOf(
  zeroPoints: Int32Array | undefined,
  b: number,
  qscheme: QScheme,
  range: { qmin: number; qmax: number },
): number {
  return zeroPoints?.[b] ?? (qscheme === 'asymmetric' ? 0 : Math.floor((range.qmax + range.qmin + 1) / 2));
}

/** Positive levels Q_P as docs/qat.md defines them, computed from the range alone. */
function positiveLevels(spec: QuantizationSpec, qmin: number, qmax: number): number {
  if (spec.qscheme === 'asymmetric' || spec.qformulation === 'minval') return qmax - qmin;
  return qmax - Math.floor((qmax + qmin + 1) / 2);
}

describe('zp formulation: STE input gradient and LSQ / LSQ+ parameter gradients', () => {
  const specs = fc.record({
    dtype: fc.constantFrom('int4', 'int8', 'uint8', 'int2'),
    qscheme: fc.constantFrom<QScheme>('symmetric', 'symmetric_with_clipping', 'asymmetric'),
    granularity: fc.constantFrom(...granularities),
  });

  test('input gradient = gradOut * d(surrogate)/dx by central differences: 1 inside the clamp range, 0 outside', () => {
    fc.assert(
      fc.property(specs, matrixPair, ({ dtype, qscheme, granularity }, { rows, x0, x1, g }) => {
        const spec = intSpec(dtype, qscheme, granularity);
        const range = quantRange(spec);
        const fq = createFakeQuantizer({ spec, opKind: 'linear' });
        fq.forward({ data: Float32Array.from(x0), shape: [rows, COLS] });
        fq.observerEnabled = false;
        // 1.7x the observed values: some land outside the range.
        const x = Float32Array.from(x1, (v) => v * 1.7);
        const grads = fq.backward(g, { data: x, shape: [rows, COLS] });
        const qp = fq.qparams()!;
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < COLS; c++) {
            const i = r * COLS + c;
            const b = blockId(spec, r, c, COLS);
            const s = qp.scales[b]!;
            const z = zeroPointOf(qp.zeroPoints, b, qscheme, range);
            const xi = x[i]!;
            const h = 1e-3 * s;
            const edgeLo = (range.qmin - z - 0.5) * s;
            const edgeHi = (range.qmax - z + 0.5) * s;
            if (Math.abs(xi - edgeLo) < 4 * h || Math.abs(xi - edgeHi) < 4 * h) continue;
            const fd = (surrogateZp(xi + h, s, z, range) - surrogateZp(xi - h, s, z, range)) / (2 * h);
            expect(grads.input[i]).toBeCloseTo(g[i]! * fd, 4);
            expect(grads.input[i] === 0 || regionZp(xi, s, z, range) === 0).toBe(true);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  test('scale (LSQ) and zero-point (LSQ+) gradients match the closed form with g = 1/sqrt(N Q_P)', () => {
    fc.assert(
      fc.property(specs, matrixPair, ({ dtype, qscheme, granularity }, { rows, x0, x1, g }) => {
        const spec = intSpec(dtype, qscheme, granularity);
        const range = quantRange(spec);
        const learning = qscheme === 'asymmetric' ? 'lsq_plus' : 'lsq';
        const fq = createFakeQuantizer({ spec, opKind: 'linear', learning });
        fq.forward({ data: Float32Array.from(x0), shape: [rows, COLS] });
        fq.observerEnabled = false;
        const x = Float32Array.from(x1, (v) => v * 1.7);
        const grads = fq.backward(g, { data: x, shape: [rows, COLS] });
        const qp = fq.qparams()!;
        const nBlocks = qp.scales.length;
        const perBlock = (rows * COLS) / nBlocks;
        const gf = 1 / Math.sqrt(perBlock * positiveLevels(spec, range.qmin, range.qmax));
        const ds = new Float64Array(nBlocks);
        const dz = new Float64Array(nBlocks);
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < COLS; c++) {
            const i = r * COLS + c;
            const b = blockId(spec, r, c, COLS);
            const s = qp.scales[b]!;
            const z = zeroPointOf(qp.zeroPoints, b, qscheme, range);
            const v = x[i]! / s;
            const region = regionZp(x[i]!, s, z, range);
            if (region === 0) ds[b] = ds[b]! + g[i]! * (rhe(v) - v);
            else {
              ds[b] = ds[b]! + g[i]! * ((region < 0 ? range.qmin : range.qmax) - z);
              dz[b] = dz[b]! + -g[i]! * s;
            }
          }
        }
        expect(grads.scales).toBeDefined();
        for (let b = 0; b < nBlocks; b++) {
          const expected = ds[b]! * gf;
          expect(Math.abs(grads.scales![b]! - expected)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(expected)));
        }
        if (learning === 'lsq_plus') {
          for (let b = 0; b < nBlocks; b++) {
            const expected = dz[b]! * gf;
            expect(Math.abs(grads.offsets![b]! - expected)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(expected)));
          }
        } else {
          expect(grads.offsets).toBeUndefined();
        }
      }),
      { numRuns: 150 },
    );
  });

  test('one-step finite differences of the real fake-quant function agree with the STE mask', () => {
    // (fq(x + s) - fq(x)) / s is exactly 1 when both points are inside the range and 0 when both are clamped.
    const spec = intSpec('int4', 'symmetric', { type: 'per_tensor' });
    const range = quantRange(spec);
    fc.assert(
      fc.property(fc.array(value, { minLength: 16, maxLength: 16 }), (values) => {
        const fq = createFakeQuantizer({ spec });
        const scale = 0.25;
        fq.setScales([scale]);
        const x = Float32Array.from(values, (v) => v + 1e-3); // avoid exact rounding ties
        const shifted = Float32Array.from(x, (v) => v + scale);
        const a = fq.forward({ data: x, shape: [16] }, { observe: false }).data;
        const bShift = fq.forward({ data: shifted, shape: [16] }, { observe: false }).data;
        const grads = fq.backward(new Float32Array(16).fill(1), { data: x, shape: [16] });
        for (let i = 0; i < 16; i++) {
          const here = regionZp(x[i]!, scale, 0, range);
          const there = regionZp(shifted[i]!, scale, 0, range);
          if (here !== there) continue;
          const slope = (bShift[i]! - a[i]!) / scale;
          expect(slope).toBeCloseTo(here === 0 ? 1 : 0, 5);
          expect(grads.input[i]).toBe(here === 0 ? 1 : 0);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('minval formulation (LSQ+)', () => {
  test('input, scale and minval gradients match the closed form', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('uint4', 'int4', 'uint8'),
        fc.constantFrom(...granularities),
        matrixPair,
        (dtype, granularity, { rows, x0, x1, g }) => {
          const spec: QuantizationSpec = {
            version: 1,
            dtype,
            qscheme: 'asymmetric',
            qformulation: 'minval',
            granularity,
          };
          const { qmin, qmax } = quantRange(spec);
          const levels = qmax - qmin;
          const fq = createFakeQuantizer({ spec, opKind: 'linear', learning: 'lsq_plus' });
          fq.forward({ data: Float32Array.from(x0), shape: [rows, COLS] });
          fq.observerEnabled = false;
          const x = Float32Array.from(x1, (v) => v * 1.7 - 0.3);
          const grads = fq.backward(g, { data: x, shape: [rows, COLS] });
          const qp = fq.qparams()!;
          const nBlocks = qp.scales.length;
          const gf = 1 / Math.sqrt(((rows * COLS) / nBlocks) * levels);
          const ds = new Float64Array(nBlocks);
          const dm = new Float64Array(nBlocks);
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < COLS; c++) {
              const i = r * COLS + c;
              const b = blockId(spec, r, c, COLS);
              const s = qp.scales[b]!;
              const m = qp.minvals![b]!;
              const v = (x[i]! - m) / s;
              const code = rhe(v);
              if (code < 0) {
                dm[b] = dm[b]! + g[i]!;
                expect(grads.input[i]).toBe(0);
              } else if (code > levels) {
                ds[b] = ds[b]! + g[i]! * levels;
                dm[b] = dm[b]! + g[i]!;
                expect(grads.input[i]).toBe(0);
              } else {
                ds[b] = ds[b]! + g[i]! * (code - v);
                expect(grads.input[i]).toBe(Math.fround(g[i]!));
              }
            }
          }
          for (let b = 0; b < nBlocks; b++) {
            expect(Math.abs(grads.scales![b]! - ds[b]! * gf)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(ds[b]! * gf)));
            expect(Math.abs(grads.offsets![b]! - dm[b]! * gf)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(dm[b]! * gf)));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('float8 / float4 element dtypes', () => {
  test('mask is |x/s| <= maxFinite; LSQ scale gradient is (R(x/s) - x/s) inside, sign * maxFinite outside', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('float8_e4m3fn', 'float4_e2m1fn'),
        fc.constantFrom(...granularities),
        matrixPair,
        (dtype, granularity, { rows, x0, x1, g }) => {
          const spec: QuantizationSpec = { version: 1, dtype, qscheme: 'symmetric', qformulation: 'zp', granularity };
          const dt = getDType(dtype);
          const maxFinite = quantRange(spec).qmax;
          const fq = createFakeQuantizer({ spec, opKind: 'linear', learning: 'lsq' });
          fq.forward({ data: Float32Array.from(x0), shape: [rows, COLS] });
          fq.observerEnabled = false;
          const x = Float32Array.from(x1, (v) => v * 1.7);
          const grads = fq.backward(g, { data: x, shape: [rows, COLS] });
          const qp = fq.qparams()!;
          const nBlocks = qp.scales.length;
          const gf = 1 / Math.sqrt(((rows * COLS) / nBlocks) * maxFinite);
          const ds = new Float64Array(nBlocks);
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < COLS; c++) {
              const i = r * COLS + c;
              const b = blockId(spec, r, c, COLS);
              const s = qp.scales[b]!;
              const v = Math.fround(x[i]! / s);
              if (Math.abs(v) <= maxFinite) {
                const rounded = dt.decode(dt.encode(v));
                ds[b] = ds[b]! + g[i]! * (rounded - v);
                expect(grads.input[i]).toBe(Math.fround(g[i]!));
              } else {
                ds[b] = ds[b]! + g[i]! * Math.sign(v) * maxFinite;
                expect(grads.input[i]).toBe(0);
              }
            }
          }
          for (let b = 0; b < nBlocks; b++) {
            expect(Math.abs(grads.scales![b]! - ds[b]! * gf)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(ds[b]! * gf)));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('forward, options and updates', () => {
  const spec = intSpec('int4', 'symmetric', { type: 'per_channel' });
  const w = { data: Float32Array.of(0.1, -0.7, 0.33, 1.2, -0.05, 0.8), shape: [2, 3] };

  test('forward is kernels fakeQuantize with the current parameters', () => {
    const fq = createFakeQuantizer({ spec, opKind: 'linear' });
    const y = fq.forward(w);
    expect(y.data).toEqual(fakeQuantize(w, spec, { qparams: fq.qparams()! }).data);
    // per-channel: scale = amax / 7.5 per row
    expect(Array.from(fq.qparams()!.scales)).toEqual([
      Math.fround(Math.fround(0.7) / 7.5),
      Math.fround(Math.fround(1.2) / 7.5),
    ]);
  });

  test('a numeric gradScale multiplies the raw gradient; learning none returns no parameter gradients', () => {
    const a = createFakeQuantizer({ spec, opKind: 'linear', learning: 'lsq', gradScale: 1 });
    const b = createFakeQuantizer({ spec, opKind: 'linear', learning: 'lsq', gradScale: 0.25 });
    const c = createFakeQuantizer({ spec, opKind: 'linear' });
    for (const fq of [a, b, c]) fq.forward(w);
    const g = Float32Array.of(1, -2, 0.5, 3, 1, -1);
    const ga = a.backward(g, w);
    const gb = b.backward(g, w);
    expect(Array.from(gb.scales!)).toEqual(Array.from(ga.scales!, (v) => Math.fround(v * 0.25)));
    expect(c.backward(g, w).scales).toBeUndefined();
    expect(c.backward(g, w).input).toEqual(ga.input);
  });

  test('fake quantization disabled: forward and backward are the identity', () => {
    const fq = createFakeQuantizer({ spec, opKind: 'linear', learning: 'lsq' });
    fq.fakeQuantEnabled = false;
    expect(fq.forward(w)).toBe(w);
    const g = Float32Array.of(1, 2, 3, 4, 5, 6);
    const grads = fq.backward(g, w);
    expect(Array.from(grads.input)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(grads.scales!)).toEqual([0, 0]);
  });

  test('applyGradients is one SGD step and keeps scales positive', () => {
    const fq = createFakeQuantizer({ spec, opKind: 'linear', learning: 'lsq' });
    fq.setScales([0.5, 0.25]);
    fq.applyGradients({ input: new Float32Array(6), scales: Float32Array.of(1, 100) }, 0.1);
    const s = fq.scales()!;
    expect(s[0]).toBeCloseTo(0.4, 12);
    expect(s[1]).toBeGreaterThan(0);
    expect(fq.qparams()!.scales[1]).toBeGreaterThan(0);
  });
});
