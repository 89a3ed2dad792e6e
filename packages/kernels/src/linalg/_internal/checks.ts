import { QuantError } from '@lowbit/dtypes';

/** Throws KERNELS_INVALID_ARGUMENT unless `n` is a positive safe integer. */
export function checkDimension(fn: string, name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new QuantError('KERNELS_INVALID_ARGUMENT', `${fn}: ${name} must be a positive integer, got ${String(n)}`, {
      details: { [name]: n },
    });
  }
}

/** Throws unless `a` is a Float64Array holding exactly an n x n matrix. */
export function checkSquare(fn: string, name: string, a: unknown, n: number): asserts a is Float64Array {
  checkDimension(fn, 'n', n);
  if (!(a instanceof Float64Array)) {
    throw new QuantError('KERNELS_INVALID_ARGUMENT', `${fn}: ${name} must be a Float64Array`);
  }
  if (a.length !== n * n) {
    throw new QuantError(
      'KERNELS_SHAPE_MISMATCH',
      `${fn}: ${name} has ${a.length} elements, expected n * n = ${n * n} for n = ${n}`,
      { details: { length: a.length, n } },
    );
  }
}

/** The error raised when a factorisation meets a non-positive pivot. */
export function notPositiveDefinite(fn: string, pivot: number, value: number): QuantError {
  return new QuantError(
    'KERNELS_NOT_POSITIVE_DEFINITE',
    `${fn}: matrix is not positive definite: pivot ${pivot} is ${String(value)}, expected a positive number ` +
      `(add dampening to the diagonal)`,
    { details: { pivot, value } },
  );
}
