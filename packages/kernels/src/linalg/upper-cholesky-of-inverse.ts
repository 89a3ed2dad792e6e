import { QuantError } from '@lowbit/dtypes';
import { checkSquare, notPositiveDefinite } from './_internal/checks.js';
import { choleskyInPlace, type CholeskyOptions } from './cholesky.js';
import { invertLowerTriangular } from './triangular-inverse.js';

/**
 * Upper Cholesky factor `U` of the inverse of a symmetric positive definite matrix: `A^-1 = U^T U`, `U` upper
 * triangular with a positive diagonal. This is the matrix GPTQ works with (`cholesky(inverse(H)).upper`).
 *
 * Computed without forming `A^-1`: with `J` the index-reversal permutation, factor `J A J = L' L'^T`; then
 * `A = (J L' J)(J L' J)^T` with `J L' J` upper triangular, so `U = (J L' J)^-1 = J L'^-1 J`. One Cholesky and
 * one triangular inverse (~2n^3/3 flops) instead of factor, invert, multiply and factor again. `a` is not
 * modified; only its lower triangle is read.
 *
 * @throws QuantError `KERNELS_NOT_POSITIVE_DEFINITE` with `details.pivot` (index in `a`'s numbering) when `a`
 *   is not positive definite (under `options.pivotTolerance`).
 *
 * @example
 * ```ts
 * const u = upperCholeskyOfInverse(Float64Array.of(4, 2, 2, 5), 2);
 * // u = [sqrt(0.3125), -0.125 / sqrt(0.3125), 0, 0.5]
 * ```
 */
export function upperCholeskyOfInverse(a: Float64Array, n: number, options: CholeskyOptions = {}): Float64Array {
  checkSquare('upperCholeskyOfInverse', 'a', a, n);
  const last = n - 1;
  // r = J A J (lower triangle): r[i][j] = A[last-i][last-j] = A[last-j][last-i], which lies in A's lower triangle.
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const dst = i * n;
    const col = last - i;
    for (let j = 0; j <= i; j++) r[dst + j] = a[(last - j) * n + col]!;
  }
  const status = choleskyInPlace(r, n, options);
  if (!status.ok) {
    throw notPositiveDefinite('upperCholeskyOfInverse', last - status.pivot, status.value);
  }
  let lInv: Float64Array;
  try {
    lInv = invertLowerTriangular(r, n);
  } catch (cause) {
    throw new QuantError('KERNELS_NOT_POSITIVE_DEFINITE', 'upperCholeskyOfInverse: the Cholesky factor is singular', {
      cause,
    });
  }
  // U = J lInv J: u[i][j] = lInv[n-1-i][n-1-j]; reversing the flat array does exactly that.
  return lInv.reverse();
}
