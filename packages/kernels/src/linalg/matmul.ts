import { QuantError } from '@lowbit/dtypes';
import { checkDimension } from './_internal/checks.js';
import { gemmNN } from './_internal/micro-kernels.js';

/**
 * A rectangular window onto a row-major Float64Array: element (i, j) is `data[offset + i * stride + j]`.
 * Lets a product read or update a sub-block of a larger matrix without copying it.
 */
export interface MatrixView {
  readonly data: Float64Array;
  readonly rows: number;
  readonly columns: number;
  /** Index of element (0, 0). @defaultValue 0 */
  readonly offset?: number;
  /** Distance between the starts of consecutive rows (>= columns). @defaultValue columns */
  readonly stride?: number;
}

function resolveView(fn: string, name: string, v: MatrixView): { off: number; ld: number } {
  if (!(v.data instanceof Float64Array)) {
    throw new QuantError('KERNELS_INVALID_ARGUMENT', `${fn}: ${name}.data must be a Float64Array`);
  }
  if (!Number.isSafeInteger(v.rows) || v.rows < 0 || !Number.isSafeInteger(v.columns) || v.columns < 0) {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      `${fn}: ${name} must have integer rows and columns >= 0, got ${String(v.rows)} x ${String(v.columns)}`,
    );
  }
  const off = v.offset ?? 0;
  const ld = v.stride ?? v.columns;
  if (!Number.isSafeInteger(off) || off < 0 || !Number.isSafeInteger(ld) || ld < v.columns) {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      `${fn}: ${name} needs offset >= 0 and stride >= columns (${v.columns}), got offset ${String(off)}, ` +
        `stride ${String(ld)}`,
    );
  }
  if (v.rows > 0 && v.columns > 0 && off + (v.rows - 1) * ld + v.columns > v.data.length) {
    throw new QuantError(
      'KERNELS_SHAPE_MISMATCH',
      `${fn}: ${name} (${v.rows} x ${v.columns}, offset ${off}, stride ${ld}) reaches past the end of its ` +
        `${v.data.length}-element array`,
    );
  }
  return { off, ld };
}

/**
 * General matrix product in place: `C += alpha * A B` on matrix views (use `alpha = -1` to subtract).
 * `A` is m x k, `B` k x n, `C` m x n. `C` must not overlap `A` or `B`. Register-blocked and column-tiled.
 *
 * @throws QuantError `KERNELS_SHAPE_MISMATCH` when the inner or outer dimensions disagree or a view
 *   exceeds its array; `KERNELS_INVALID_ARGUMENT` for malformed views or a non-finite alpha.
 */
export function multiplyAdd(c: MatrixView, a: MatrixView, b: MatrixView, alpha = 1): void {
  const fn = 'multiplyAdd';
  const vc = resolveView(fn, 'c', c);
  const va = resolveView(fn, 'a', a);
  const vb = resolveView(fn, 'b', b);
  if (a.columns !== b.rows || c.rows !== a.rows || c.columns !== b.columns) {
    throw new QuantError(
      'KERNELS_SHAPE_MISMATCH',
      `${fn}: cannot add (${a.rows} x ${a.columns}) * (${b.rows} x ${b.columns}) into ${c.rows} x ${c.columns}`,
    );
  }
  if (!Number.isFinite(alpha)) {
    throw new QuantError('KERNELS_INVALID_ARGUMENT', `${fn}: alpha must be finite, got ${String(alpha)}`);
  }
  if (c.rows === 0 || c.columns === 0 || a.columns === 0) return;
  gemmNN(c.data, vc.off, vc.ld, a.data, va.off, va.ld, b.data, vb.off, vb.ld, a.rows, a.columns, b.columns, alpha);
}

/**
 * Matrix product `A B` of row-major Float64Arrays, `A` m x k and `B` k x n, into a new m x n array.
 *
 * @example
 * ```ts
 * matmul(Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6, 7, 8), 2, 2, 2); // [19, 22, 43, 50]
 * ```
 */
export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  checkDimension('matmul', 'm', m);
  checkDimension('matmul', 'k', k);
  checkDimension('matmul', 'n', n);
  if (!(a instanceof Float64Array) || !(b instanceof Float64Array) || a.length !== m * k || b.length !== k * n) {
    throw new QuantError(
      'KERNELS_SHAPE_MISMATCH',
      `matmul: expected Float64Arrays of m * k = ${m * k} and k * n = ${k * n} elements, got ` +
        `${String(a?.length)} and ${String(b?.length)}`,
    );
  }
  const c = new Float64Array(m * n);
  gemmNN(c, 0, n, a, 0, k, b, 0, n, m, k, n, 1);
  return c;
}
