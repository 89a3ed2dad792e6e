import { QuantError } from '@lowbit/dtypes';
import { checkSquare, notPositiveDefinite } from './_internal/checks.js';
import { syrkLowerNT } from './_internal/micro-kernels.js';

/** Outcome of {@link choleskyInPlace}: success, or the first pivot that was not positive. */
export type CholeskyStatus =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Row/column index (0-based) whose pivot failed. */
      readonly pivot: number;
      /** The value the pivot would have had (<= tolerance, or NaN). */
      readonly value: number;
    };

/** Options of {@link choleskyInPlace}. */
export interface CholeskyOptions {
  /**
   * A pivot fails when it is not greater than `pivotTolerance * |a[i][i]|` (the original diagonal entry).
   * 0 gives the LAPACK rule (fail only on a pivot <= 0 or NaN); a small positive value such as 1e-12 also
   * rejects numerically singular matrices whose factor would be meaningless.
   * @defaultValue 0
   */
  readonly pivotTolerance?: number;
}

/** Panel width of the blocked factorisation. */
const PANEL = 64;

/**
 * Lower Cholesky factorisation `A = L L^T` of a symmetric positive definite n x n matrix, in place.
 *
 * Only the lower triangle of `a` (row-major) is read. On success the lower triangle holds `L` and the strict
 * upper triangle is set to 0. On failure the function stops at the first pivot that is not positive (or is NaN)
 * and reports it instead of producing NaN; `a` is then partially overwritten.
 * Blocked right-looking algorithm: ~n^3/3 flops.
 *
 * @example
 * ```ts
 * const a = Float64Array.of(4, 2, 2, 5);
 * choleskyInPlace(a, 2); // { ok: true }, a = [2, 0, 1, 2]
 * ```
 */
export function choleskyInPlace(a: Float64Array, n: number, options: CholeskyOptions = {}): CholeskyStatus {
  checkSquare('choleskyInPlace', 'a', a, n);
  const tol = options.pivotTolerance ?? 0;
  if (!(tol >= 0) || !Number.isFinite(tol)) {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      `choleskyInPlace: pivotTolerance must be a finite number >= 0, got ${String(tol)}`,
    );
  }
  const diag = tol > 0 ? new Float64Array(n) : undefined;
  if (diag !== undefined) for (let i = 0; i < n; i++) diag[i] = Math.abs(a[i * n + i]!);

  for (let k0 = 0; k0 < n; k0 += PANEL) {
    const k1 = Math.min(n, k0 + PANEL);
    // Diagonal block, row by row (Cholesky-Banachiewicz restricted to columns k0..k1).
    for (let i = k0; i < k1; i++) {
      const ri = i * n;
      for (let j = k0; j <= i; j++) {
        const rj = j * n;
        let s = a[ri + j]!;
        for (let t = k0; t < j; t++) s -= a[ri + t]! * a[rj + t]!;
        if (j < i) {
          a[ri + j] = s / a[rj + j]!;
        } else {
          const limit = diag === undefined ? 0 : tol * diag[i]!;
          if (!(s > limit)) return { ok: false, pivot: i, value: s };
          a[ri + i] = Math.sqrt(s);
        }
      }
    }
    // Panel below the diagonal block: L21 = A21 L11^-T.
    for (let i = k1; i < n; i++) {
      const ri = i * n;
      for (let j = k0; j < k1; j++) {
        const rj = j * n;
        let s = a[ri + j]!;
        for (let t = k0; t < j; t++) s -= a[ri + t]! * a[rj + t]!;
        a[ri + j] = s / a[rj + j]!;
      }
    }
    // Trailing update of the lower triangle: A22 -= L21 L21^T.
    if (k1 < n) syrkLowerNT(a, k1 * n + k1, n, a, k1 * n + k0, n, n - k1, k1 - k0, -1, false);
  }
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
  return { ok: true };
}

/**
 * Lower Cholesky factor `L` (with `A = L L^T`) of a symmetric positive definite n x n matrix, as a new array.
 * `a` is not modified.
 *
 * @throws QuantError `KERNELS_NOT_POSITIVE_DEFINITE` naming the failing pivot.
 */
export function cholesky(a: Float64Array, n: number, options: CholeskyOptions = {}): Float64Array {
  checkSquare('cholesky', 'a', a, n);
  const l = a.slice();
  const status = choleskyInPlace(l, n, options);
  if (!status.ok) throw notPositiveDefinite('cholesky', status.pivot, status.value);
  return l;
}
