import { QuantError } from '@lowbit/dtypes';

/**
 * A tensor's block structure reduced to "rows of contiguous chunks": every block is visited as chunks of
 * `chunk` consecutive elements. Row `r` covers elements `[r * rowLength, (r + 1) * rowLength)` and its
 * `c`-th chunk belongs to block `rowBase[r] + c`.
 */
export interface BlockGeometry {
  readonly size: number;
  readonly rows: number;
  readonly rowLength: number;
  readonly chunk: number;
  readonly chunksPerRow: number;
  readonly rowBase: Int32Array;
  readonly numBlocks: number;
  /** Number of blocks along each dimension of the original shape. */
  readonly gridShape: readonly number[];
}

/**
 * Computes the block geometry, merging adjacent dimensions whenever that keeps blocks contiguous (a dimension
 * with block 1 merges into its successor; a fully-blocked dimension merges into its predecessor). Per-tensor,
 * per-channel and per-block-along-the-last-axis layouts all reduce to one long row of equal chunks.
 */
export function blockGeometry(shape: readonly number[], blockShape: readonly number[], where: string): BlockGeometry {
  if (blockShape.length !== shape.length) {
    throw new QuantError(
      'KERNELS_SHAPE_MISMATCH',
      `${where}: blockShape [${blockShape.join(', ')}] has ${blockShape.length} entries but the tensor has rank ${shape.length}`,
    );
  }
  const gridShape: number[] = [];
  let numBlocks = 1;
  let size = 1;
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d] as number;
    const b = blockShape[d] as number;
    if (!Number.isInteger(b) || b < 1 || n % b !== 0) {
      throw new QuantError(
        'KERNELS_SHAPE_MISMATCH',
        `${where}: blockShape[${d}]=${b} must be a positive divisor of dimension ${d} (size ${n}) of shape [${shape.join(', ')}]`,
      );
    }
    gridShape.push(n / b);
    numBlocks *= n / b;
    size *= n;
  }
  // Merge dimensions from the right.
  const dims: number[] = [];
  const blocks: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d] as number;
    const b = blockShape[d] as number;
    if (n === 1) continue; // size-1 dims never change the layout
    const last = dims.length - 1;
    if (last >= 0 && (blocks[last] === 1 || b === n)) {
      const prevBlock = blocks[last] as number;
      dims[last] = (dims[last] as number) * n;
      blocks[last] = prevBlock === 1 ? b : prevBlock * n;
      // When prevBlock === 1 and b === n both hold, the merged block is n: consistent with either rule.
    } else {
      dims.push(n);
      blocks.push(b);
    }
  }
  if (dims.length === 0) {
    dims.push(1);
    blocks.push(1);
  }
  const rowLength = dims[dims.length - 1] as number;
  const chunk = blocks[blocks.length - 1] as number;
  const chunksPerRow = rowLength / chunk;
  const rows = size === 0 ? 0 : size / rowLength;
  const outerDims = dims.slice(0, -1);
  const outerBlocks = blocks.slice(0, -1);
  const rowBase = new Int32Array(rows);
  if (rows > 0) {
    // Block-grid strides over the merged outer dims (the last merged dim contributes chunksPerRow per step).
    const gridStrides: number[] = Array.from({ length: outerDims.length }, () => 0);
    let stride = chunksPerRow;
    for (let d = outerDims.length - 1; d >= 0; d--) {
      gridStrides[d] = stride;
      stride *= (outerDims[d] as number) / (outerBlocks[d] as number);
    }
    const idx: number[] = Array.from({ length: outerDims.length }, () => 0);
    for (let r = 0; r < rows; r++) {
      let base = 0;
      for (let d = 0; d < outerDims.length; d++) {
        base += Math.floor((idx[d] as number) / (outerBlocks[d] as number)) * (gridStrides[d] as number);
      }
      rowBase[r] = base;
      for (let d = outerDims.length - 1; d >= 0; d--) {
        const next = (idx[d] as number) + 1;
        if (next < (outerDims[d] as number)) {
          idx[d] = next;
          break;
        }
        idx[d] = 0;
      }
    }
  }
  return { size, rows, rowLength, chunk, chunksPerRow, rowBase, numBlocks, gridShape };
}
