import { QuantError } from '@lowbit/dtypes';
import { checkSquare } from './_internal/checks.js';
import { gemmNN } from './_internal/micro-kernels.js';

/**
 * Inverse of a lower-triangular n x n matrix (row-major; the strict upper triangle of `l` is ignored).
 * The result is lower triangular with zeros above the diagonal. `out` may be given (n * n, not `l` itself).
 * Blocked by row panels: each diagonal block is inverted by forward substitution, the part left of it is
 * `X21 = -X22 L21 X11` with cache-tiled products that skip the zero triangle of `X11`: ~n^3/3 flops.
 *
 * @throws QuantError `KERNELS_INVALID_ARGUMENT` when a diagonal entry is zero or not finite (singular matrix).
 *
 * @example
 * ```ts
 * invertLowerTriangular(Float64Array.of(2, 0, 1, 4), 2); // [0.5, 0, -0.125, 0.25]
 * ```
 */
export function invertLowerTriangular(l: Float64Array, n: number, out?: Float64Array): Float64Array {
  checkSquare('invertLowerTriangular', 'l', l, n);
  if (out !== undefined) {
    checkSquare('invertLowerTriangular', 'out', out, n);
    if (
      out.buffer === l.buffer &&
      out.byteOffset < l.byteOffset + l.byteLength &&
      l.byteOffset < out.byteOffset + out.byteLength
    ) {
      throw new QuantError('KERNELS_INVALID_ARGUMENT', 'invertLowerTriangular: out must not overlap l');
    }
  }
  const inv = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = l[i * n + i]!;
    if (d === 0 || !Number.isFinite(d)) {
      throw new QuantError(
        'KERNELS_INVALID_ARGUMENT',
        `invertLowerTriangular: diagonal entry ${i} is ${String(d)}; a triangular matrix is invertible only with ` +
          `finite non-zero diagonal entries`,
        { details: { index: i, value: d } },
      );
    }
    inv[i] = 1 / d;
  }
  const x = out === undefined ? new Float64Array(n * n) : out.fill(0);
  const t = new Float64Array(PANEL * 4);
  const tmp = new Float64Array(n <= PANEL ? 0 : PANEL * (n - PANEL));
  for (let i0 = 0; i0 < n; i0 += PANEL) {
    const p = Math.min(PANEL, n - i0);
    invertDiagonalBlock(l, x, n, i0, p, inv, t);
    if (i0 === 0) continue;
    // X21 = -X22 (L21 X11): first T = L21 X11 (X11 lower triangular), then X21 = -X22 T.
    tmp.fill(0, 0, p * i0);
    gemmNN(tmp, 0, i0, l, i0 * n, n, x, 0, n, p, i0, i0, 1, true);
    gemmNN(x, i0 * n, n, x, i0 * n + i0, n, tmp, 0, i0, p, p, i0, -1);
  }
  return x;
}

/** Rows per panel of the blocked inverse. */
const PANEL = 64;

/**
 * Inverse of the p x p diagonal block of `l` starting at (i0, i0), written to the same block of `x`, by forward
 * substitution on four right-hand sides at a time (interleaved in `t`: t[r * 4 + c] = X[i0 + r][j0 + c]).
 */
function invertDiagonalBlock(
  l: Float64Array,
  x: Float64Array,
  n: number,
  i0: number,
  p: number,
  inv: Float64Array,
  t: Float64Array,
): void {
  const end = i0 + p;
  for (let j0 = i0; j0 < end; j0 += 4) {
    const cols = Math.min(4, end - j0);
    for (let i = j0; i < end; i++) {
      const d = i - j0;
      let s0 = d === 0 ? 1 : 0;
      let s1 = d === 1 ? 1 : 0;
      let s2 = d === 2 ? 1 : 0;
      let s3 = d === 3 ? 1 : 0;
      const ri = i * n;
      for (let k = j0; k < i; k++) {
        const v = l[ri + k]!;
        const tk = (k - i0) * 4;
        s0 -= v * t[tk]!;
        s1 -= v * t[tk + 1]!;
        s2 -= v * t[tk + 2]!;
        s3 -= v * t[tk + 3]!;
      }
      const r = inv[i]!;
      const ti = (i - i0) * 4;
      t[ti] = s0 * r;
      t[ti + 1] = s1 * r;
      t[ti + 2] = s2 * r;
      t[ti + 3] = s3 * r;
    }
    for (let i = j0; i < end; i++) {
      const ri = i * n;
      const ti = (i - i0) * 4;
      for (let c = 0; c < cols && j0 + c <= i; c++) x[ri + j0 + c] = t[ti + c]!;
    }
  }
}
