import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { fakeQuantize, mse } from '@lowbit/kernels';
import type { Tensor } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';
import { createEntropyObserver, createMinMaxObserver, createMseObserver } from '../src/index.js';
import type { Observer } from '../src/index.js';
import { createRandom, sample } from './random.js';

const base = { version: 1, qformulation: 'zp', granularity: { type: 'per_tensor' } } as const;
const SPECS: Record<string, QuantizationSpec> = {
  int8: { ...base, dtype: 'int8', qscheme: 'symmetric' },
  uint8_asym: { ...base, dtype: 'uint8', qscheme: 'asymmetric' },
  int4: { ...base, dtype: 'int4', qscheme: 'symmetric' },
  int4_minval: { ...base, dtype: 'int4', qscheme: 'asymmetric', qformulation: 'minval' },
  fp8: { ...base, dtype: 'float8_e4m3fn', qscheme: 'symmetric' },
};

type Dist = 'normal' | 'uniform' | 'shifted' | 'relu' | 'student3';

function batches(dist: Dist, seed: number, count = 4, size = 2048): Tensor[] {
  const rng = createRandom(seed);
  const draw: Record<Dist, () => number> = {
    normal: () => rng.normal(),
    uniform: () => rng.uniform() * 2 - 1,
    shifted: () => rng.normal() * 0.5 + 2,
    relu: () => Math.max(0, rng.normal()),
    student3: () => rng.studentT(3),
  };
  return Array.from({ length: count }, () => ({ data: sample(size, draw[dist]), shape: [size] }));
}

function concat(ts: readonly Tensor[]): Tensor {
  const n = ts.reduce((a, t) => a + t.data.length, 0);
  const data = new Float32Array(n);
  let o = 0;
  for (const t of ts) data.set(t.data, (o += t.data.length) - t.data.length);
  return { data, shape: [n] };
}

/** Actual quantization MSE over all observed values with the observer's qparams. */
function quantMse(o: Observer, ts: readonly Tensor[], spec: QuantizationSpec): number {
  const all = concat(ts);
  for (const t of ts) o.observe(t);
  const fq = fakeQuantize(all, spec, { qparams: o.qparams(spec, { shape: all.shape }) });
  return mse(all.data, fq.data);
}

describe('mse observer', () => {
  test('never worse than min-max in quantization MSE on random data (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Dist>('normal', 'uniform', 'shifted', 'relu', 'student3'),
        fc.constantFrom(...Object.keys(SPECS)),
        fc.nat(),
        (dist, specName, seed) => {
          const spec = SPECS[specName]!;
          const ts = batches(dist, seed, 2, 2048);
          const mm = quantMse(createMinMaxObserver(), ts, spec);
          const ms = quantMse(createMseObserver(), ts, spec);
          expect(ms).toBeLessThanOrEqual(mm * (1 + 1e-9));
        },
      ),
      { numRuns: 40 },
    );
  });

  test('strictly better than min-max on heavy-tailed (Student-t, df = 3) data', () => {
    const ts = batches('student3', 11, 4, 4096);
    // Measured on this seed: int8 0.86x, int4 0.21x, uint8 asymmetric 0.92x the min-max MSE.
    expect(quantMse(createMseObserver(), ts, SPECS['int8']!)).toBeLessThan(
      0.95 * quantMse(createMinMaxObserver(), ts, SPECS['int8']!),
    );
    expect(quantMse(createMseObserver(), ts, SPECS['int4']!)).toBeLessThan(
      0.4 * quantMse(createMinMaxObserver(), ts, SPECS['int4']!),
    );
    expect(quantMse(createMseObserver(), ts, SPECS['uint8_asym']!)).toBeLessThan(
      0.97 * quantMse(createMinMaxObserver(), ts, SPECS['uint8_asym']!),
    );
  });

  test('the spec given to range() shapes the search: int4 clips harder than int8', () => {
    const o = createMseObserver();
    for (const t of batches('normal', 3)) o.observe(t);
    const t8 = o.range(SPECS['int8']).max[0]!;
    const t4 = o.range(SPECS['int4']).max[0]!;
    expect(t4).toBeLessThan(0.8 * t8);
  });
});

describe('entropy observer', () => {
  test('picks a finite threshold inside [0, amax] for every distribution', () => {
    for (const dist of ['normal', 'uniform', 'shifted', 'relu', 'student3'] as const) {
      const ts = batches(dist, 21);
      const o = createEntropyObserver();
      for (const t of ts) o.observe(t);
      const all = concat(ts).data;
      let lo = Infinity;
      let hi = -Infinity;
      for (const x of all) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
      const r = o.range();
      const amax = Math.max(-lo, hi);
      expect(Number.isFinite(r.min[0]!) && Number.isFinite(r.max[0]!)).toBe(true);
      expect(r.min[0]!).toBeGreaterThanOrEqual(lo);
      expect(r.max[0]!).toBeLessThanOrEqual(hi);
      const t = Math.max(-r.min[0]!, r.max[0]!);
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThanOrEqual(amax);
    }
  });

  test('keeps the full range of uniform data and clips heavy tails', () => {
    const u = createEntropyObserver();
    for (const t of batches('uniform', 4)) u.observe(t);
    expect(u.range().max[0]!).toBeGreaterThan(0.98);
    const s = createEntropyObserver();
    const ts = batches('student3', 4);
    for (const t of ts) s.observe(t);
    let amax = 0;
    for (const x of concat(ts).data) amax = Math.max(amax, Math.abs(x));
    // int4 has 8 quantized bins per side: the KL search clips far inside the tails.
    expect(s.range(SPECS['int4']).max[0]!).toBeLessThan(0.5 * amax);
    expect(s.range().max[0]!).toBeLessThan(amax);
  });
});
