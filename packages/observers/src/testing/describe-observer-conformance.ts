import { isQuantError } from '@lowbit/dtypes';
import type { QuantizationSpec } from '@lowbit/spec';
import type { Tensor } from '@lowbit/kernels';
import { describe, expect, test } from 'vitest';
import type { ObservedRange, Observer, ObserverJSON } from '../observer.js';
import { restoreObserver } from '../restore-observer.js';

/** Options of {@link describeObserverConformance}. */
export interface ObserverConformanceOptions {
  /** Rebuilds an observer from `toJSON()` output. @defaultValue the built-in `restoreObserver` */
  readonly restore?: (json: unknown) => Observer;
  /**
   * How `a.merge(b)` must relate to one observer that saw a's batches then b's: `'exact'` (equal ranges and
   * equal JSON state) or a relative tolerance on the ranges (order-dependent observers such as moving averages).
   * @defaultValue 'exact'
   */
  readonly merge?: 'exact' | { readonly tolerance: number };
  /** Shape of every generated batch; per-channel observers see its channels. @defaultValue [6, 10] */
  readonly shape?: readonly number[];
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Distribution = 'normal' | 'student' | 'positive' | 'tiny' | 'huge' | 'zeros' | 'constant';

function batch(shape: readonly number[], seed: number, dist: Distribution = 'normal'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const r = rng(seed);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    switch (dist) {
      case 'normal':
        data[i] = g + 0.3;
        break;
      case 'student': {
        const chi = (g * g + (r() * 2 - 1) ** 2 + (r() * 2 - 1) ** 2) / 3;
        data[i] = g / Math.sqrt(chi + 1e-3);
        break;
      }
      case 'positive':
        data[i] = Math.max(0, g) * 2;
        break;
      case 'tiny':
        data[i] = g * 1e-30;
        break;
      case 'huge':
        data[i] = g * 1e30;
        break;
      case 'zeros':
        data[i] = 0;
        break;
      case 'constant':
        data[i] = 3.5;
        break;
    }
  }
  return { data, shape: [...shape] };
}

const INT8: QuantizationSpec = {
  version: 1,
  dtype: 'int8',
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity: { type: 'per_tensor' },
};
const UINT8_ASYM: QuantizationSpec = { ...INT8, dtype: 'uint8', qscheme: 'asymmetric' };
const FP8: QuantizationSpec = { ...INT8, dtype: 'float8_e4m3fn' };

function expectQuantError(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isQuantError(caught), `expected a QuantError ${code}, got ${String(caught)}`).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
}

function expectRangeClose(a: ObservedRange, b: ObservedRange, tolerance: number): void {
  expect(a.axis).toBe(b.axis);
  expect(a.min.length).toBe(b.min.length);
  for (let i = 0; i < a.min.length; i++) {
    for (const [x, y] of [
      [a.min[i] as number, b.min[i] as number],
      [a.max[i] as number, b.max[i] as number],
    ] as const) {
      if (tolerance === 0) expect(x).toBe(y);
      else expect(Math.abs(x - y)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(x), Math.abs(y)));
    }
  }
}

function expectSaneRange(r: ObservedRange, lo: number, hi: number): void {
  expect(r.min.length).toBeGreaterThan(0);
  expect(r.max.length).toBe(r.min.length);
  for (let i = 0; i < r.min.length; i++) {
    const a = r.min[i] as number;
    const b = r.max[i] as number;
    expect(Number.isFinite(a) && Number.isFinite(b)).toBe(true);
    expect(a).toBeLessThanOrEqual(b);
    expect(a).toBeGreaterThanOrEqual(lo - 1e-9 * Math.abs(lo));
    expect(b).toBeLessThanOrEqual(hi + 1e-9 * Math.abs(hi));
  }
}

function dataBounds(tensors: readonly Tensor[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of tensors) {
    for (const x of t.data) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
  }
  return [lo, hi];
}

function expectFiniteQParams(o: Observer, spec: QuantizationSpec): void {
  const qp = o.qparams(spec);
  expect(qp.scales.length).toBeGreaterThan(0);
  for (const s of qp.scales) expect(Number.isFinite(s) && s > 0).toBe(true);
  if (qp.zeroPoints) for (const z of qp.zeroPoints) expect(Number.isInteger(z)).toBe(true);
  if (qp.minvals) for (const m of qp.minvals) expect(Number.isFinite(m)).toBe(true);
}

/** A foreign observer used to check that `merge` rejects other kinds. */
function foreignObserver(): Observer {
  const json: ObserverJSON = {
    format: 'lowbit-observer',
    version: 1,
    kind: 'conformance-foreign',
    options: {},
    state: {},
  };
  const self: Observer = {
    kind: 'conformance-foreign',
    count: 1,
    observe: () => undefined,
    range: () => ({ min: Float64Array.of(0), max: Float64Array.of(1), axis: null }),
    qparams: () => ({ blockShape: [1], scales: Float32Array.of(1) }),
    merge: () => self,
    toJSON: () => json,
    reset: () => undefined,
  };
  return self;
}

/**
 * Registers a vitest `describe` block checking that observers made by `factory` follow the {@link Observer}
 * contract: empty observers throw `OBSERVER_EMPTY`, batches are counted, ranges are finite, ordered and inside
 * the observed values, NaN/Inf are rejected without changing the state, `merge` equals sequential observation
 * (or is within the given tolerance), merging another kind throws `OBSERVER_MERGE_MISMATCH`, JSON round trips
 * restore an identical observer, `reset` empties, and constant, tiny, huge, heavy-tailed or all-zero inputs give
 * finite qparams for int8, uint8 asymmetric and float8 specs.
 */
export function describeObserverConformance(
  name: string,
  factory: () => Observer,
  options: ObserverConformanceOptions = {},
): void {
  const restore = options.restore ?? restoreObserver;
  const shape = options.shape ?? [6, 10];
  const tolerance = options.merge === undefined || options.merge === 'exact' ? 0 : options.merge.tolerance;
  const seeded = (seed: number, dist?: Distribution): Tensor => batch(shape, seed, dist);

  describe(`observer conformance: ${name}`, () => {
    test('a new observer is empty: count 0, range() and qparams() throw OBSERVER_EMPTY', () => {
      const o = factory();
      expect(o.count).toBe(0);
      expectQuantError(() => o.range(), 'OBSERVER_EMPTY');
      expectQuantError(() => o.qparams(INT8), 'OBSERVER_EMPTY');
    });

    test('counts non-empty batches and ignores empty tensors', () => {
      const o = factory();
      o.observe(seeded(1));
      o.observe(seeded(2));
      o.observe({ data: new Float32Array(0), shape: shape.map((d, i) => (i === shape.length - 1 ? 0 : d)) });
      expect(o.count).toBe(2);
    });

    test('ranges are finite, ordered and inside the observed values', () => {
      for (const dist of ['normal', 'student', 'positive', 'tiny', 'huge'] as const) {
        const o = factory();
        const seen = [seeded(10, dist), seeded(11, dist), seeded(12, dist)];
        for (const t of seen) o.observe(t);
        const [lo, hi] = dataBounds(seen);
        expectSaneRange(o.range(), lo, hi);
      }
    });

    test('rejects NaN and Inf with a QuantError and leaves the state unchanged', () => {
      const o = factory();
      o.observe(seeded(3));
      const before = JSON.stringify(o.toJSON());
      for (const bad of [NaN, Infinity, -Infinity]) {
        const t = seeded(4);
        t.data[7] = bad;
        expect(() => o.observe(t)).toThrow();
        expectQuantError(() => o.observe(t), 'OBSERVER_INVALID_ARGUMENT');
      }
      expect(JSON.stringify(o.toJSON())).toBe(before);
      expect(o.count).toBe(1);
    });

    test('rejects malformed tensors with a QuantError', () => {
      const o = factory();
      expect(() => o.observe({ data: new Float32Array(5), shape: [2, 2] })).toThrow();
      let caught: unknown;
      try {
        o.observe({ data: new Float32Array(5), shape: [2, 2] });
      } catch (e) {
        caught = e;
      }
      expect(isQuantError(caught)).toBe(true);
    });

    test('merge equals sequential observation', () => {
      for (const dist of ['normal', 'student', 'positive'] as const) {
        const seq = factory();
        const a = factory();
        const b = factory();
        const batches = [1, 2, 3, 4, 5].map((s) => seeded(100 + s, dist));
        // Widen the range in later batches so histograms must re-bin on merge.
        for (const x of batches[4]!.data.keys()) batches[4]!.data[x] = batches[4]!.data[x]! * 7;
        for (const t of batches) seq.observe(t);
        for (const t of batches.slice(0, 2)) a.observe(t);
        for (const t of batches.slice(2)) b.observe(t);
        const bBefore = JSON.stringify(b.toJSON());
        expect(a.merge(b)).toBe(a);
        expect(JSON.stringify(b.toJSON())).toBe(bBefore);
        expect(a.count).toBe(seq.count);
        expectRangeClose(a.range(), seq.range(), tolerance);
        if (tolerance === 0) expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(seq.toJSON()));
      }
    });

    test('merging into or from an empty observer', () => {
      const full = factory();
      full.observe(seeded(5));
      full.observe(seeded(6));
      const empty = factory();
      empty.merge(full);
      expectRangeClose(empty.range(), full.range(), 0);
      expect(empty.count).toBe(2);
      const before = JSON.stringify(full.toJSON());
      full.merge(factory());
      expect(JSON.stringify(full.toJSON())).toBe(before);
    });

    test('merging a different kind throws OBSERVER_MERGE_MISMATCH', () => {
      const o = factory();
      o.observe(seeded(7));
      expectQuantError(() => o.merge(foreignObserver()), 'OBSERVER_MERGE_MISMATCH');
    });

    test('toJSON survives a JSON round trip and restores an identical observer', () => {
      const o = factory();
      const empty = restore(JSON.parse(JSON.stringify(o.toJSON())));
      expect(empty.count).toBe(0);
      o.observe(seeded(20, 'student'));
      o.observe(seeded(21, 'student'));
      const json = JSON.parse(JSON.stringify(o.toJSON())) as unknown;
      const copy = restore(json);
      expect(copy.kind).toBe(o.kind);
      expect(copy.count).toBe(o.count);
      expect(JSON.stringify(copy.toJSON())).toBe(JSON.stringify(o.toJSON()));
      expectRangeClose(copy.range(), o.range(), 0);
      const next = seeded(22, 'student');
      o.observe(next);
      copy.observe(next);
      expectRangeClose(copy.range(), o.range(), 0);
    });

    test('restore rejects malformed JSON with a QuantError', () => {
      for (const bad of [null, 42, {}, { format: 'lowbit-observer', version: 2 }]) {
        let caught: unknown;
        try {
          restore(bad);
        } catch (e) {
          caught = e;
        }
        expect(isQuantError(caught)).toBe(true);
      }
    });

    test('reset forgets everything', () => {
      const o = factory();
      o.observe(seeded(30));
      o.reset();
      expect(o.count).toBe(0);
      expectQuantError(() => o.range(), 'OBSERVER_EMPTY');
      const fresh = factory();
      o.observe(seeded(31));
      fresh.observe(seeded(31));
      expectRangeClose(o.range(), fresh.range(), 0);
    });

    test('constant, all-zero, tiny, huge and heavy-tailed inputs give finite qparams', () => {
      for (const dist of ['zeros', 'constant', 'tiny', 'huge', 'student', 'positive'] as const) {
        const o = factory();
        o.observe(seeded(40, dist));
        o.observe(seeded(41, dist));
        const r = o.range();
        for (const v of [...r.min, ...r.max]) expect(Number.isFinite(v)).toBe(true);
        for (const spec of [INT8, UINT8_ASYM, FP8]) expectFiniteQParams(o, spec);
      }
    });
  });
}
