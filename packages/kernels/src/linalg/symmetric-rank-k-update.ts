import { QuantError } from '@lowbit/dtypes';
import { checkDimension, checkSquare } from './_internal/checks.js';
import { mirrorLowerToUpper, syrkLowerNT } from './_internal/micro-kernels.js';

/** Rows of X transposed into float64 at a time (keeps the transposed chunk in cache). */
const ROW_CHUNK = 256;

/**
 * Symmetric rank-k update `C += alpha * X^T X` for a batch of rows: `x` is row-major [rows, columns] and `c`
 * the columns x columns accumulator (row-major Float64Array). This is the Hessian update of GPTQ
 * (`H += (2 / n) X^T X` for layer inputs X). Exploits symmetry: the lower triangle is accumulated in float64
 * with register-blocked dot products over chunks of transposed rows, then mirrored onto the upper triangle
 * (whatever the upper triangle held before is overwritten), so `c` stays exactly symmetric. ~rows * columns^2 flops.
 *
 * @throws QuantError `KERNELS_SHAPE_MISMATCH` when `x.length !== rows * columns` or `c` is not columns^2;
 *   `KERNELS_NON_FINITE_INPUT` (naming the flat index) when `x` holds NaN or Infinity;
 *   `KERNELS_INVALID_ARGUMENT` for a non-finite `alpha`.
 *
 * @example
 * ```ts
 * const h = new Float64Array(4);
 * symmetricRankKUpdate(h, Float32Array.of(1, 2, 3, 4), 2, 2); // h = [10, 14, 14, 20]
 * ```
 */
export function symmetricRankKUpdate(
  c: Float64Array,
  x: Float32Array | Float64Array,
  rows: number,
  columns: number,
  alpha = 1,
): void {
  const fn = 'symmetricRankKUpdate';
  checkSquare(fn, 'c', c, columns);
  if (!Number.isSafeInteger(rows) || rows < 0) {
    throw new QuantError('KERNELS_INVALID_ARGUMENT', `${fn}: rows must be an integer >= 0, got ${String(rows)}`);
  }
  if (!Number.isFinite(alpha)) {
    throw new QuantError('KERNELS_INVALID_ARGUMENT', `${fn}: alpha must be finite, got ${String(alpha)}`);
  }
  if (!(x instanceof Float32Array || x instanceof Float64Array) || x.length !== rows * columns) {
    throw new QuantError(
      'KERNELS_SHAPE_MISMATCH',
      `${fn}: x must be a Float32Array or Float64Array of rows * columns = ${rows * columns} elements, got ` +
        `${x instanceof Float32Array || x instanceof Float64Array ? x.length : typeof x}`,
      { details: { rows, columns } },
    );
  }
  if (rows === 0) return;
  checkDimension(fn, 'columns', columns);
  const chunk = Math.min(ROW_CHUNK, rows);
  // xt[col][r] = x[r0 + r][col], leading dimension `chunk`.
  const xt = new Float64Array(columns * chunk);
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const k = Math.min(chunk, rows - r0);
    for (let r = 0; r < k; r++) {
      const src = (r0 + r) * columns;
      for (let col = 0; col < columns; col++) {
        const v = x[src + col]!;
        if (v - v !== 0) {
          throw new QuantError(
            'KERNELS_NON_FINITE_INPUT',
            `${fn}: x[${src + col}] (row ${r0 + r}, column ${col}) is ${String(v)}; inputs must be finite`,
            { details: { index: src + col } },
          );
        }
        xt[col * chunk + r] = v;
      }
    }
    syrkLowerNT(c, 0, columns, xt, 0, chunk, columns, k, alpha, false);
  }
  mirrorLowerToUpper(c, columns);
}
