import { checkSquare } from './_internal/checks.js';
import { mirrorLowerToUpper, syrkLowerNT } from './_internal/micro-kernels.js';
import { invertLowerTriangular } from './triangular-inverse.js';

/**
 * Inverse of a symmetric positive definite matrix `A` from its lower Cholesky factor `L` (`A = L L^T`):
 * `A^-1 = L^-T L^-1`, returned as a full symmetric n x n matrix (the counterpart of LAPACK `potri` /
 * `torch.cholesky_inverse`). Only the lower triangle of `l` is read.
 *
 * @throws QuantError `KERNELS_INVALID_ARGUMENT` when `l` has a zero or non-finite diagonal entry.
 *
 * @example
 * ```ts
 * choleskyInverse(cholesky(Float64Array.of(4, 2, 2, 5), 2), 2); // [0.3125, -0.125, -0.125, 0.25]
 * ```
 */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  checkSquare('choleskyInverse', 'l', l, n);
  const x = invertLowerTriangular(l, n);
  // xt = X^T is upper triangular; (A^-1)[i][j] = sum_{k >= max(i, j)} xt[i][k] xt[j][k].
  const xt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = i; k < n; k++) xt[i * n + k] = x[k * n + i]!;
  const out = x.fill(0);
  syrkLowerNT(out, 0, n, xt, 0, n, n, n, 1, true);
  mirrorLowerToUpper(out, n);
  return out;
}
