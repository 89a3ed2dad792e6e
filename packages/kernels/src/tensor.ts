import { QuantError } from '@lowbit/dtypes';

/** A dense float32 tensor: row-major `data` and its `shape`. */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Number of elements of a shape (1 for a scalar shape `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Builds a {@link Tensor} after checking that `shape` is made of non-negative integers whose product is
 * `data.length`.
 * @throws QuantError `KERNELS_SHAPE_MISMATCH`
 */
export function createTensor(data: Float32Array, shape: readonly number[]): Tensor {
  assertTensor({ data, shape }, 'createTensor');
  return { data, shape: [...shape] };
}

/** @internal Validates a tensor argument; `where` names the calling function. */
export function assertTensor(tensor: Tensor, where: string): void {
  if (typeof tensor !== 'object' || tensor === null || !(tensor.data instanceof Float32Array)) {
    throw new QuantError('KERNELS_INVALID_ARGUMENT', `${where}: expected a tensor { data: Float32Array, shape }`);
  }
  const { shape } = tensor;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new QuantError(
      'KERNELS_SHAPE_MISMATCH',
      `${where}: shape ${JSON.stringify(shape)} must be an array of non-negative integers`,
    );
  }
  const n = shapeSize(shape);
  if (n !== tensor.data.length) {
    throw new QuantError(
      'KERNELS_SHAPE_MISMATCH',
      `${where}: shape [${shape.join(', ')}] holds ${n} elements but data has ${tensor.data.length}`,
    );
  }
}

/** @internal Formats a flat index as a multi-index, e.g. `[3, 17]`, for error messages. */
export function formatIndex(flat: number, shape: readonly number[]): string {
  const idx: number[] = Array.from({ length: shape.length }, () => 0);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d] ?? 1;
    idx[d] = size === 0 ? 0 : rest % size;
    rest = size === 0 ? 0 : Math.floor(rest / size);
  }
  return `[${idx.join(', ')}]`;
}
