import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createHessianAccumulator, restoreHessianAccumulator } from '../src/index.js';
import { quantErrorCode as code } from '../../../tools/lib/quant-error-code.js';

/** 2/n * sum x x^T, written directly. */
function naiveHessian(x: ArrayLike<number>, rows: number, columns: number): Float64Array {
  const h = new Float64Array(columns * columns);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < columns; i++)
      for (let j = 0; j < columns; j++)
        h[i * columns + j] = h[i * columns + j]! + x[r * columns + i]! * x[r * columns + j]!;
  return h.map((v) => (2 / rows) * v);
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / Math.max(scale, 1e-300);
}

/** A batch of rows of bounded float32 values. */
const batchArb = (columns: number) =>
  fc.integer({ min: 1, max: 12 }).chain((rows) =>
    fc.record({
      rows: fc.constant(rows),
      x: fc.float32Array({
        minLength: rows * columns,
        maxLength: rows * columns,
        min: -4,
        max: 4,
        noNaN: true,
        noDefaultInfinity: true,
      }),
    }),
  );

describe('HessianAccumulator', () => {
  test('exact small case by hand', () => {
    const acc = createHessianAccumulator(2);
    acc.add(Float32Array.of(1, 2), 1); // H = 2 * [[1,2],[2,4]]
    expect(Array.from(acc.hessian)).toEqual([2, 4, 4, 8]);
    acc.add(Float32Array.of(3, 0, 0, 1), 2); // sum = [[1,2],[2,4]] + [[9,0],[0,0]] + [[0,0],[0,1]]
    expect(acc.count).toBe(3);
    const expected = [10, 2, 2, 5].map((v) => (2 / 3) * v);
    expect(maxRelDiff(acc.hessian, expected)).toBeLessThan(1e-15);
  });

  test('running average over batches == 2/n X^T X over all rows', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 9 })
          .chain((c) => fc.tuple(fc.constant(c), fc.array(batchArb(c), { minLength: 1, maxLength: 5 }))),
        ([columns, batches]) => {
          const acc = createHessianAccumulator(columns);
          const all: number[] = [];
          let rows = 0;
          for (const b of batches) {
            acc.add(b.x, b.rows);
            all.push(...b.x);
            rows += b.rows;
          }
          expect(acc.count).toBe(rows);
          expect(maxRelDiff(acc.hessian, naiveHessian(all, rows, columns))).toBeLessThan(1e-12);
        },
      ),
    );
  });

  test('merge of workers == one accumulator fed sequentially', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 9 })
          .chain((c) =>
            fc.tuple(
              fc.constant(c),
              fc.array(batchArb(c), { minLength: 0, maxLength: 4 }),
              fc.array(batchArb(c), { minLength: 0, maxLength: 4 }),
            ),
          ),
        ([columns, first, second]) => {
          const sequential = createHessianAccumulator(columns);
          const a = createHessianAccumulator(columns);
          const b = createHessianAccumulator(columns);
          for (const batch of first) {
            sequential.add(batch.x, batch.rows);
            a.add(batch.x, batch.rows);
          }
          for (const batch of second) {
            sequential.add(batch.x, batch.rows);
            b.add(batch.x, batch.rows);
          }
          a.merge(b);
          expect(a.count).toBe(sequential.count);
          expect(maxRelDiff(a.hessian, sequential.hessian)).toBeLessThan(1e-12);
          // symmetric exactly
          for (let i = 0; i < columns; i++)
            for (let j = 0; j < i; j++) expect(a.hessian[i * columns + j]).toBe(a.hessian[j * columns + i]);
        },
      ),
    );
  });

  test('toJSON / restore round trip, through JSON text', () => {
    const acc = createHessianAccumulator(3);
    acc.add(Float32Array.of(1, 2, 3, -1, 0.5, 2), 2);
    const back = restoreHessianAccumulator(JSON.parse(JSON.stringify(acc)));
    expect(back.count).toBe(2);
    expect(Array.from(back.hessian)).toEqual(Array.from(acc.hessian));
    back.add(Float32Array.of(1, 1, 1), 1);
    acc.add(Float32Array.of(1, 1, 1), 1);
    expect(Array.from(back.hessian)).toEqual(Array.from(acc.hessian));
  });

  test('bad input is rejected and leaves the accumulator unchanged', () => {
    const acc = createHessianAccumulator(2);
    acc.add(Float32Array.of(1, 2), 1);
    const before = Array.from(acc.hessian);
    expect(code(() => acc.add(Float32Array.of(1, Number.NaN), 1))).toBe('GPTQ_INVALID_ARGUMENT');
    expect(code(() => acc.add(Float32Array.of(1, 2, 3), 1))).toBe('GPTQ_INVALID_ARGUMENT');
    expect(code(() => acc.add(Float32Array.of(1, 2), -1))).toBe('GPTQ_INVALID_ARGUMENT');
    expect(Array.from(acc.hessian)).toEqual(before);
    expect(acc.count).toBe(1);
    expect(code(() => acc.merge(createHessianAccumulator(3)))).toBe('GPTQ_INVALID_ARGUMENT');
    expect(code(() => acc.merge(acc))).toBe('GPTQ_INVALID_ARGUMENT');
    expect(code(() => createHessianAccumulator(0))).toBe('GPTQ_INVALID_ARGUMENT');
    expect(code(() => restoreHessianAccumulator({ version: 1, columns: 2, count: 1, hessian: [1, 2, 3] }))).toBe(
      'GPTQ_INVALID_ARGUMENT',
    );
  });
});
