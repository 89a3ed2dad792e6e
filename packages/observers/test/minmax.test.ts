import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { qparamsFromRange } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';
import { createMinMaxObserver, createMovingAverageObserver, createObserver } from '../src/index.js';
import { quantErrorCode as codeOf } from '../../../tools/lib/quant-error-code.js';

const finite = fc.float({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const batches = (cols: number) =>
  fc.array(
    fc
      .integer({ min: 1, max: 5 })
      .chain((rows) =>
        fc
          .array(finite, { minLength: rows * cols, maxLength: rows * cols })
          .map((v) => ({ data: new Float32Array(v), shape: [rows, cols] })),
      ),
    { minLength: 1, maxLength: 6 },
  );

const INT8: QuantizationSpec = {
  version: 1,
  dtype: 'int8',
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity: { type: 'per_tensor' },
};

describe('minmax observer', () => {
  test('per-tensor range is exactly the min and max of every value seen', () => {
    fc.assert(
      fc.property(batches(3), (bs) => {
        const o = createMinMaxObserver();
        for (const b of bs) o.observe(b);
        const all = bs.flatMap((b) => Array.from(b.data));
        const r = o.range();
        expect(r.axis).toBeNull();
        expect(Array.from(r.min)).toEqual([Math.min(...all)]);
        expect(Array.from(r.max)).toEqual([Math.max(...all)]);
      }),
    );
  });

  test('per-channel ranges are exact along axis 0 and axis -1', () => {
    fc.assert(
      fc.property(batches(4), fc.constantFrom(0, 1, -1), (bs, axis) => {
        const o = createMinMaxObserver({ axis });
        // Axis 0 changes size between batches; keep the row count fixed for it.
        const fixed = axis === 0 ? bs.filter((b) => b.shape[0] === bs[0]!.shape[0]) : bs;
        for (const b of fixed) o.observe(b);
        const a = axis < 0 ? 2 + axis : axis;
        const channels = fixed[0]!.shape[a]!;
        const lo = Array.from({ length: channels }, () => Infinity);
        const hi = Array.from({ length: channels }, () => -Infinity);
        for (const b of fixed) {
          const [rows, cols] = b.shape as [number, number];
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < cols; c++) {
              const ch = a === 0 ? r : c;
              const v = b.data[r * cols + c]!;
              lo[ch] = Math.min(lo[ch]!, v);
              hi[ch] = Math.max(hi[ch]!, v);
            }
          }
        }
        const r = o.range();
        expect(r.axis).toBe(a);
        // Ranges report a zero end as +0 (Math.min / Math.max would keep -0 when the data hold one).
        expect(Array.from(r.min)).toEqual(lo.map((v) => v + 0));
        expect(Array.from(r.max)).toEqual(hi.map((v) => v + 0));
      }),
    );
  });

  test('merge equals sequential for any split (fast-check)', () => {
    fc.assert(
      fc.property(batches(2), fc.nat(), fc.constantFrom(undefined, 1), (bs, k, axis) => {
        const cut = k % (bs.length + 1);
        const mk = () => (axis === undefined ? createMinMaxObserver() : createMinMaxObserver({ axis }));
        const seq = mk();
        const a = mk();
        const b = mk();
        bs.forEach((t, i) => (seq.observe(t), (i < cut ? a : b).observe(t)));
        a.merge(b);
        expect(a.toJSON()).toEqual(seq.toJSON());
      }),
    );
  });

  test('qparams equal kernels qparamsFromRange on the exact range', () => {
    const o = createMinMaxObserver({ axis: 0 });
    o.observe({ data: Float32Array.of(-1, 2, 0.5, 3, -4, 1), shape: [2, 3] });
    const perChannel: QuantizationSpec = {
      ...INT8,
      qscheme: 'asymmetric',
      dtype: 'uint8',
      granularity: { type: 'per_channel', axis: 0 },
    };
    expect(o.qparams(perChannel)).toEqual(qparamsFromRange([-1, -4], [2, 3], perChannel, [1, 3]));
    // A per-tensor spec reduces the channels.
    expect(o.qparams(INT8)).toEqual(qparamsFromRange([-4], [3], INT8, [2, 3]));
    expect(o.qparams(INT8, { shape: [7, 3] }).blockShape).toEqual([7, 3]);
  });

  test('granularity mismatches and channel changes are reported', () => {
    const perTensor = createMinMaxObserver();
    perTensor.observe({ data: Float32Array.of(1, 2), shape: [1, 2] });
    expect(codeOf(() => perTensor.qparams({ ...INT8, granularity: { type: 'per_channel' } }))).toBe(
      'OBSERVER_INVALID_ARGUMENT',
    );
    expect(codeOf(() => perTensor.qparams({ ...INT8, granularity: { type: 'per_block', blockSize: 2 } }))).toBe(
      'OBSERVER_INVALID_ARGUMENT',
    );
    const perChannel = createMinMaxObserver({ axis: 1 });
    perChannel.observe({ data: Float32Array.of(1, 2), shape: [1, 2] });
    expect(codeOf(() => perChannel.qparams({ ...INT8, granularity: { type: 'per_channel', axis: 0 } }))).toBe(
      'OBSERVER_INVALID_ARGUMENT',
    );
    expect(codeOf(() => perChannel.observe({ data: Float32Array.of(1, 2, 3), shape: [1, 3] }))).toBe(
      'OBSERVER_INVALID_ARGUMENT',
    );
    expect(codeOf(() => perChannel.observe({ data: Float32Array.of(1), shape: [1] }))).toBe(
      'OBSERVER_INVALID_ARGUMENT',
    );
    const other = createMinMaxObserver({ axis: 1 });
    other.observe({ data: Float32Array.of(1, 2, 3), shape: [1, 3] });
    expect(codeOf(() => perChannel.merge(other))).toBe('OBSERVER_MERGE_MISMATCH');
    expect(codeOf(() => perChannel.merge(perTensor))).toBe('OBSERVER_MERGE_MISMATCH');
    expect(codeOf(() => createMinMaxObserver({ axis: 0.5 }))).toBe('OBSERVER_INVALID_ARGUMENT');
    expect(codeOf(() => createObserver({ kind: 'bogus' } as never))).toBe('OBSERVER_INVALID_ARGUMENT');
  });

  test('error messages name the function and the offending index', () => {
    const o = createMinMaxObserver();
    const data = Float32Array.of(1, 2, NaN);
    expect(() => o.observe({ data, shape: [3] })).toThrow(/minmax observer: observe: tensor.data\[2\] is NaN/);
  });
});

describe('moving average observer', () => {
  test('matches the EMA formula computed by hand (c = 0.01)', () => {
    const o = createMovingAverageObserver();
    o.observe({ data: Float32Array.of(-1, 2), shape: [2] });
    o.observe({ data: Float32Array.of(-3, 4, 0), shape: [3] });
    o.observe({ data: Float32Array.of(0.5, 1), shape: [2] });
    // min: -1 -> -1 + 0.01 (-3 + 1) = -1.02 -> -1.02 + 0.01 (0.5 + 1.02) = -1.0048
    // max:  2 ->  2 + 0.01 (4 - 2)  =  2.02 ->  2.02 + 0.01 (1 - 2.02)  =  2.0098
    const r = o.range();
    expect(r.min[0]).toBeCloseTo(-1.0048, 12);
    expect(r.max[0]).toBeCloseTo(2.0098, 12);
  });

  test('per-channel EMA with a custom constant', () => {
    const o = createMovingAverageObserver({ axis: 0, averagingConstant: 0.5 });
    o.observe({ data: Float32Array.of(0, 4, -2, 2), shape: [2, 2] });
    o.observe({ data: Float32Array.of(2, 2, -6, 6), shape: [2, 2] });
    const r = o.range();
    expect(Array.from(r.min)).toEqual([1, -4]);
    expect(Array.from(r.max)).toEqual([3, 4]);
  });

  test('a.merge(b) equals observing a then b, up to rounding (fast-check), and is order-dependent', () => {
    fc.assert(
      fc.property(batches(2), fc.nat(), fc.double({ min: 0.001, max: 1, noNaN: true }), (bs, k, c) => {
        const cut = k % (bs.length + 1);
        const seq = createMovingAverageObserver({ averagingConstant: c });
        const a = createMovingAverageObserver({ averagingConstant: c });
        const b = createMovingAverageObserver({ averagingConstant: c });
        bs.forEach((t, i) => (seq.observe(t), (i < cut ? a : b).observe(t)));
        a.merge(b);
        const x = a.range();
        const y = seq.range();
        const tol = 1e-9 * Math.max(1, Math.abs(y.min[0]!), Math.abs(y.max[0]!));
        expect(Math.abs(x.min[0]! - y.min[0]!)).toBeLessThanOrEqual(tol);
        expect(Math.abs(x.max[0]! - y.max[0]!)).toBeLessThanOrEqual(tol);
        expect(a.count).toBe(bs.length);
      }),
    );
    const a = createMovingAverageObserver({ averagingConstant: 0.5 });
    const b = createMovingAverageObserver({ averagingConstant: 0.5 });
    a.observe({ data: Float32Array.of(0, 8), shape: [2] });
    b.observe({ data: Float32Array.of(0, 0), shape: [2] });
    const ab = createMovingAverageObserver({ averagingConstant: 0.5 }).merge(a).merge(b);
    const ba = createMovingAverageObserver({ averagingConstant: 0.5 }).merge(b).merge(a);
    expect(ab.range().max[0]).toBe(4);
    expect(ba.range().max[0]).toBe(4);
    a.observe({ data: Float32Array.of(0, 0), shape: [2] }); // a saw maxima 8, 0
    b.observe({ data: Float32Array.of(0, 8), shape: [2] }); // b saw maxima 0, 8
    // a then b: 8 -> 4 -> 2 -> 5; b then a: 0 -> 4 -> 6 -> 3.
    expect(createMovingAverageObserver({ averagingConstant: 0.5 }).merge(a).merge(b).range().max[0]).toBe(5);
    expect(createMovingAverageObserver({ averagingConstant: 0.5 }).merge(b).merge(a).range().max[0]).toBe(3);
  });

  test('rejects averaging constants outside (0, 1] and merges with different constants', () => {
    expect(codeOf(() => createMovingAverageObserver({ averagingConstant: 0 }))).toBe('OBSERVER_INVALID_ARGUMENT');
    expect(codeOf(() => createMovingAverageObserver({ averagingConstant: 1.5 }))).toBe('OBSERVER_INVALID_ARGUMENT');
    const a = createMovingAverageObserver({ averagingConstant: 0.1 });
    const b = createMovingAverageObserver({ averagingConstant: 0.2 });
    b.observe({ data: Float32Array.of(1), shape: [1] });
    expect(codeOf(() => a.merge(b))).toBe('OBSERVER_MERGE_MISMATCH');
  });
});
