/**
 * Block id of every element of a row-major tensor whose blocks have `blockShape` (row-major over the block
 * grid, the order kernels use for scales). `shape[i] % blockShape[i] === 0` must hold (checked by the caller).
 */
export function blockIndexOf(shape: readonly number[], blockShape: readonly number[]): Int32Array {
  const rank = shape.length;
  let size = 1;
  for (const d of shape) size *= d;
  const out = new Int32Array(size);
  if (size === 0) return out;
  const grid = shape.map((d, i) => d / (blockShape[i] as number));
  // Walk the elements in row-major order with an odometer over the indices.
  const index = Array.from({ length: rank }, () => 0);
  for (let e = 0; e < size; e++) {
    let b = 0;
    for (let i = 0; i < rank; i++) {
      b = b * (grid[i] as number) + Math.floor((index[i] as number) / (blockShape[i] as number));
    }
    out[e] = b;
    for (let i = rank - 1; i >= 0; i--) {
      const next = (index[i] as number) + 1;
      if (next < (shape[i] as number)) {
        index[i] = next;
        break;
      }
      index[i] = 0;
    }
  }
  return out;
}

/** Number of blocks of a tensor with `shape` split into `blockShape` blocks. */
export function blockCount(shape: readonly number[], blockShape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= (shape[i] as number) / (blockShape[i] as number);
  return n;
}
