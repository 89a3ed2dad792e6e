import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createEntropyObserver, createMseObserver, createPercentileObserver } from '../src/index.js';
import type { Observer } from '../src/index.js';
import { createRandom, sample } from './random.js';

function binWidth(o: Observer): number {
  const h = o.toJSON().state['histogram'] as { exponent: number };
  return 2 ** h.exponent;
}

/** Nearest-rank percentile: the value of rank ceil(q n) (1-based) in sorted order. */
function exactPercentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

const value = fc.oneof(
  fc.float({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }),
  fc.float({ min: Math.fround(-1e-3), max: Math.fround(1e-3), noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, 1, -1, 2.5),
);
const batchList = fc.array(fc.array(value, { minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 5 });

describe('histogram observers', () => {
  test('percentile is within one histogram bin of the exact sorted-sample percentile (fast-check)', () => {
    fc.assert(
      fc.property(
        batchList,
        fc.constantFrom(50, 90, 99, 99.9, 99.99, 100),
        fc.constantFrom(16, 64, 2048),
        (bs, p, bins) => {
          const asym = createPercentileObserver({ percentile: p, symmetric: false, bins });
          const sym = createPercentileObserver({ percentile: p, bins });
          for (const b of bs) {
            asym.observe({ data: new Float32Array(b), shape: [b.length] });
            sym.observe({ data: new Float32Array(b), shape: [b.length] });
          }
          const all = bs.flat().map((v) => Math.fround(v));
          const cut = (1 - p / 100) / 2;
          const w = binWidth(asym);
          const r = asym.range();
          expect(Math.abs(r.max[0]! - exactPercentile(all, 1 - cut))).toBeLessThanOrEqual(w);
          expect(Math.abs(r.min[0]! - exactPercentile(all, cut))).toBeLessThanOrEqual(w);
          const t = exactPercentile(all.map(Math.abs), p / 100);
          const s = sym.range();
          expect(Math.abs(s.max[0]! - Math.min(Math.max(...all), t))).toBeLessThanOrEqual(w);
          expect(Math.abs(s.min[0]! - Math.max(Math.min(...all), -t))).toBeLessThanOrEqual(w);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('merged equals sequential, bit for bit, for every split and every histogram kind (fast-check)', () => {
    const kinds = [
      () => createPercentileObserver({ bins: 32 }),
      () => createMseObserver({ bins: 32 }),
      () => createEntropyObserver({ bins: 32, quantizedBins: 8 }),
      () => createPercentileObserver(),
    ];
    fc.assert(
      fc.property(batchList, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.nat(3), (bs, cuts, k) => {
        const make = kinds[k]!;
        // Split the batches into consecutive groups, one observer each, then merge them left to right.
        const seq = make();
        const parts = [make(), make(), make(), make(), make()];
        const bounds = cuts.map((c) => c % (bs.length + 1)).sort((a, b) => a - b);
        bs.forEach((b, i) => {
          const t = { data: new Float32Array(b), shape: [b.length] };
          seq.observe(t);
          parts[bounds.filter((x) => x <= i).length]!.observe(t);
        });
        const merged = parts.reduce((acc, o) => acc.merge(o), make());
        expect(merged.toJSON()).toEqual(seq.toJSON());
        expect(merged.range()).toEqual(seq.range());
        // Merging in another order gives the same state too (the statistics are order-free).
        const reversed = [...parts].reverse().reduce((acc, o) => acc.merge(o), make());
        expect(reversed.toJSON().state['histogram']).toEqual(seq.toJSON().state['histogram']);
      }),
      { numRuns: 150 },
    );
  });

  test('the histogram keeps at least bins / 2 bins across the observed span', () => {
    const rng = createRandom(5);
    for (const scale of [1e-6, 1, 1e6]) {
      const o = createPercentileObserver({ bins: 256 });
      for (let b = 0; b < 4; b++)
        o.observe({ data: sample(1000, () => rng.normal() * scale * (b + 1)), shape: [1000] });
      const h = o.toJSON().state['histogram'] as { min: number; max: number };
      expect((h.max - h.min) / binWidth(o)).toBeGreaterThanOrEqual(127);
      expect((h.max - h.min) / binWidth(o)).toBeLessThanOrEqual(256);
    }
  });

  test('options are validated', () => {
    expect(() => createPercentileObserver({ percentile: 0 })).toThrow(/percentile 0 must be in \(0, 100\]/);
    expect(() => createPercentileObserver({ bins: 15 })).toThrow(/bins 15/);
    expect(() => createMseObserver({ axis: 0 } as never)).toThrow(/per-tensor only/);
    expect(() => createEntropyObserver({ quantizedBins: 1 })).toThrow(/quantizedBins/);
    expect(() => createMseObserver({ spec: { version: 1, dtype: 'int77' } as never })).toThrow(
      /createMseObserver: spec is not usable/,
    );
  });
});
