import { isQuantError } from '@lowbit/dtypes';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  cholesky,
  choleskyInPlace,
  choleskyInverse,
  invertLowerTriangular,
  matmul,
  multiplyAdd,
  symmetricRankKUpdate,
  upperCholeskyOfInverse,
} from '../src/index.js';
import { quantErrorCode as code } from '../../../tools/lib/quant-error-code.js';

// ---- independent reference helpers (naive triple loops, written separately from the implementation) ----

function naiveMatmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t]! * b[t * n + j]!;
      c[i * n + j] = s;
    }
  return c;
}

function transpose(a: ArrayLike<number>, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
  return t;
}

/** Random SPD matrix B B^T + eps I from a flat array of entries for B (n x n). */
function spdFrom(entries: readonly number[], n: number, eps: number): Float64Array {
  const b = Float64Array.from(entries.slice(0, n * n));
  const a = naiveMatmul(b, transpose(b, n, n), n, n, n);
  for (let i = 0; i < n; i++) a[i * n + i] = a[i * n + i]! + eps;
  return a;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function identity(n: number): Float64Array {
  const e = new Float64Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = 1;
  return e;
}

// Sizes cover the 4x4 register blocks, their remainders, and the 64-wide Cholesky panels.
const spdArb = fc.integer({ min: 1, max: 80 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    entries: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n * n, maxLength: n * n }),
    eps: fc.double({ min: 0.5, max: 2, noNaN: true }),
  }),
);

describe('exact small cases', () => {
  test('cholesky of [[4, 2], [2, 5]] is [[2, 0], [1, 2]]', () => {
    expect(Array.from(cholesky(Float64Array.of(4, 2, 2, 5), 2))).toEqual([2, 0, 1, 2]);
  });

  test('cholesky of a 3x3 by hand', () => {
    // L = [[2,0,0],[6,1,0],[-8,5,3]] -> A = L L^T = [[4,12,-16],[12,37,-43],[-16,-43,98]]
    const a = Float64Array.of(4, 12, -16, 12, 37, -43, -16, -43, 98);
    expect(Array.from(cholesky(a, 3))).toEqual([2, 0, 0, 6, 1, 0, -8, 5, 3]);
    // input untouched
    expect(a[1]).toBe(12);
  });

  test('choleskyInPlace reads only the lower triangle and zeroes the upper one', () => {
    const a = Float64Array.of(4, 999, 2, 5);
    expect(choleskyInPlace(a, 2)).toEqual({ ok: true });
    expect(Array.from(a)).toEqual([2, 0, 1, 2]);
  });

  test('triangular inverse by hand', () => {
    expect(Array.from(invertLowerTriangular(Float64Array.of(2, 0, 1, 4), 2))).toEqual([0.5, 0, -0.125, 0.25]);
  });

  test('cholesky inverse and upper cholesky of the inverse by hand', () => {
    // A = [[4,2],[2,5]], det 16, A^-1 = [[5,-2],[-2,4]]/16
    const l = cholesky(Float64Array.of(4, 2, 2, 5), 2);
    expect(Array.from(choleskyInverse(l, 2))).toEqual([0.3125, -0.125, -0.125, 0.25]);
    const u = upperCholeskyOfInverse(Float64Array.of(4, 2, 2, 5), 2);
    // U^T U = A^-1 with U upper: u00^2 = 5/16, u00 u01 = -2/16, u01^2 + u11^2 = 4/16
    const u00 = Math.sqrt(5 / 16);
    const u01 = -2 / 16 / u00;
    const u11 = Math.sqrt(4 / 16 - u01 * u01);
    expect(u[2]).toBe(0);
    expect(u[0]).toBeCloseTo(u00, 15);
    expect(u[1]).toBeCloseTo(u01, 15);
    expect(u[3]).toBeCloseTo(u11, 15);
  });

  test('symmetricRankKUpdate by hand, with alpha, accumulating', () => {
    const h = new Float64Array(4);
    symmetricRankKUpdate(h, Float32Array.of(1, 2, 3, 4), 2, 2);
    expect(Array.from(h)).toEqual([10, 14, 14, 20]);
    symmetricRankKUpdate(h, Float64Array.of(1, -1), 1, 2, 0.5);
    expect(Array.from(h)).toEqual([10.5, 13.5, 13.5, 20.5]);
  });

  test('matmul by hand', () => {
    expect(Array.from(matmul(Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6, 7, 8), 2, 2, 2))).toEqual([
      19, 22, 43, 50,
    ]);
  });

  test('multiplyAdd on sub-blocks of larger matrices', () => {
    // C (3x4 array) block rows 1..2, cols 1..3 -= A (2x2 block of a 3x3 array) * B (2x3)
    const c = new Float64Array(12).fill(1);
    const a = Float64Array.of(0, 0, 0, 0, 1, 2, 0, 3, 4);
    const b = Float64Array.of(1, 0, 2, 0, 1, 3);
    multiplyAdd(
      { data: c, rows: 2, columns: 3, offset: 5, stride: 4 },
      { data: a, rows: 2, columns: 2, offset: 4, stride: 3 },
      { data: b, rows: 2, columns: 3 },
      -1,
    );
    // A*B = [[1,2,8],[3,4,18]]
    expect(Array.from(c)).toEqual([1, 1, 1, 1, 1, 0, -1, -7, 1, -2, -3, -17]);
  });
});

describe('properties', () => {
  test('L L^T == A for random SPD A = B B^T + eps I', () => {
    fc.assert(
      fc.property(spdArb, ({ n, entries, eps }) => {
        const a = spdFrom(entries, n, eps);
        const l = cholesky(a, n);
        for (let i = 0; i < n; i++) {
          expect(l[i * n + i]).toBeGreaterThan(0);
          for (let j = i + 1; j < n; j++) expect(l[i * n + j]).toBe(0);
        }
        const llt = naiveMatmul(l, transpose(l, n, n), n, n, n);
        expect(maxAbsDiff(llt, a)).toBeLessThanOrEqual(1e-12 * Math.max(1, maxAbs(a)) * n);
      }),
      { numRuns: 60 },
    );
  });

  test('cholesky inverse: inv(A) A == I, and the result is symmetric', () => {
    fc.assert(
      fc.property(spdArb, ({ n, entries, eps }) => {
        const a = spdFrom(entries, n, eps);
        const inv = choleskyInverse(cholesky(a, n), n);
        expect(maxAbsDiff(naiveMatmul(inv, a, n, n, n), identity(n))).toBeLessThan(1e-8);
        expect(maxAbsDiff(inv, transpose(inv, n, n))).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  test('triangular inverse: L^-1 L == I and L^-1 is lower triangular', () => {
    fc.assert(
      fc.property(spdArb, ({ n, entries, eps }) => {
        const l = cholesky(spdFrom(entries, n, eps), n);
        const x = invertLowerTriangular(l, n);
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(x[i * n + j]).toBe(0);
        expect(maxAbsDiff(naiveMatmul(x, l, n, n, n), identity(n))).toBeLessThan(1e-9);
      }),
      { numRuns: 60 },
    );
  });

  test('upper cholesky of the inverse: upper, positive diagonal, U^T U A == I', () => {
    fc.assert(
      fc.property(spdArb, ({ n, entries, eps }) => {
        const a = spdFrom(entries, n, eps);
        const u = upperCholeskyOfInverse(a, n);
        for (let i = 0; i < n; i++) {
          expect(u[i * n + i]).toBeGreaterThan(0);
          for (let j = 0; j < i; j++) expect(u[i * n + j]).toBe(0);
        }
        const utu = naiveMatmul(transpose(u, n, n), u, n, n, n);
        expect(maxAbsDiff(naiveMatmul(utu, a, n, n, n), identity(n))).toBeLessThan(1e-8);
        // Same as the inverse computed the long way.
        const inv = choleskyInverse(cholesky(a, n), n);
        expect(maxAbsDiff(utu, inv)).toBeLessThan(1e-9 * Math.max(1, maxAbs(inv)));
      }),
      { numRuns: 60 },
    );
  });

  test('symmetricRankKUpdate == naive X^T X (alpha-scaled), exactly symmetric', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 300 }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (columns, rows, alpha, seed) => {
          let s = seed;
          const x = new Float32Array(rows * columns).map(() => {
            s = (s * 1103515245 + 12345) % 2147483648;
            return s / 2147483648 - 0.5;
          });
          const h = new Float64Array(columns * columns);
          symmetricRankKUpdate(h, x, rows, columns, alpha);
          const ref = naiveMatmul(transpose(x, rows, columns), x, columns, rows, columns);
          for (let i = 0; i < ref.length; i++) ref[i] = ref[i]! * alpha;
          expect(maxAbsDiff(h, ref)).toBeLessThan(1e-12 * Math.max(1, rows));
          expect(maxAbsDiff(h, transpose(h, columns, columns))).toBe(0);
        },
      ),
      { numRuns: 80 },
    );
  });

  test('matmul == naive product', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 23 }),
        fc.integer({ min: 1, max: 23 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 0, max: 1000 }),
        (m, k, n, seed) => {
          const a = new Float64Array(m * k).map((_, i) => Math.sin(i * 12.9898 + seed));
          const b = new Float64Array(k * n).map((_, i) => Math.cos(i * 78.233 + seed));
          expect(maxAbsDiff(matmul(a, b, m, k, n), naiveMatmul(a, b, m, k, n))).toBeLessThan(1e-12 * k);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('failures', () => {
  test('non positive definite matrices report the failing pivot instead of NaN', () => {
    // [[1,2],[2,1]] has eigenvalues 3 and -1: pivot 1 = 1 - 4 = -3
    const a = Float64Array.of(1, 2, 2, 1);
    expect(choleskyInPlace(a.slice(), 2)).toEqual({ ok: false, pivot: 1, value: -3 });
    expect(choleskyInPlace(Float64Array.of(-1, 0, 0, 1), 2)).toEqual({ ok: false, pivot: 0, value: -1 });
    const withNaN = choleskyInPlace(Float64Array.of(1, 0, 0, Number.NaN), 2);
    expect(withNaN.ok).toBe(false);
    try {
      cholesky(a, 2);
      expect.unreachable();
    } catch (e) {
      expect(isQuantError(e) && e.code).toBe('KERNELS_NOT_POSITIVE_DEFINITE');
      expect(isQuantError(e) && e.details).toEqual({ pivot: 1, value: -3 });
    }
  });

  test('a singular PSD matrix fails under a pivot tolerance, a rank-deficient large one is caught', () => {
    // rank-1 matrix v v^T of size 70 (crosses a Cholesky panel boundary)
    const n = 70;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (i + 1) * (j + 1);
    const status = choleskyInPlace(a.slice(), n, { pivotTolerance: 1e-10 });
    expect(status).toMatchObject({ ok: false, pivot: 1 });
  });

  test('upperCholeskyOfInverse reports the pivot in the caller numbering', () => {
    // Reversed factorisation meets index 2 first: a[2][2] = -1.
    const a = Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, -1);
    try {
      upperCholeskyOfInverse(a, 3);
      expect.unreachable();
    } catch (e) {
      expect(isQuantError(e) && e.code).toBe('KERNELS_NOT_POSITIVE_DEFINITE');
      expect(isQuantError(e) && e.details?.['pivot']).toBe(2);
    }
  });

  test('bad arguments throw the documented codes', () => {
    expect(code(() => cholesky(new Float64Array(3), 2))).toBe('KERNELS_SHAPE_MISMATCH');
    expect(code(() => cholesky(new Float64Array(4), 0))).toBe('KERNELS_INVALID_ARGUMENT');
    expect(code(() => invertLowerTriangular(Float64Array.of(1, 0, 2, 0), 2))).toBe('KERNELS_INVALID_ARGUMENT');
    expect(code(() => symmetricRankKUpdate(new Float64Array(4), new Float32Array(3), 2, 2))).toBe(
      'KERNELS_SHAPE_MISMATCH',
    );
    expect(code(() => symmetricRankKUpdate(new Float64Array(4), Float32Array.of(1, Number.NaN), 1, 2))).toBe(
      'KERNELS_NON_FINITE_INPUT',
    );
    expect(code(() => matmul(new Float64Array(4), new Float64Array(4), 2, 3, 2))).toBe('KERNELS_SHAPE_MISMATCH');
    expect(
      code(() =>
        multiplyAdd(
          { data: new Float64Array(4), rows: 2, columns: 2 },
          { data: new Float64Array(4), rows: 2, columns: 2 },
          { data: new Float64Array(6), rows: 3, columns: 2 },
        ),
      ),
    ).toBe('KERNELS_SHAPE_MISMATCH');
    expect(
      code(() =>
        multiplyAdd(
          { data: new Float64Array(4), rows: 2, columns: 2, offset: 1 },
          { data: new Float64Array(4), rows: 2, columns: 2 },
          { data: new Float64Array(4), rows: 2, columns: 2 },
        ),
      ),
    ).toBe('KERNELS_SHAPE_MISMATCH');
    expect(code(() => choleskyInPlace(new Float64Array(4), 2, { pivotTolerance: -1 }))).toBe(
      'KERNELS_INVALID_ARGUMENT',
    );
  });
});
