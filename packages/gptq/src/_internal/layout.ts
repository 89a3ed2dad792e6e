import { QuantError } from '@lowbit/dtypes';

/**
 * How a weight's parameter blocks look once the weight is viewed as a matrix `[rows, columns]` (conv
 * `[out, in, kh, kw]` -> `[out, in * kh * kw]`): `rowBlock` consecutive rows and `group` consecutive columns
 * share one set of parameters. Block index of (r, c) is `floor(r / rowBlock) * (columns / group) + floor(c / group)`,
 * which is the row-major block grid of the original shape.
 */
export interface MatrixBlocks {
  readonly rows: number;
  readonly columns: number;
  readonly rowBlock: number;
  readonly group: number;
}

/**
 * Maps a block shape of an N-d weight to {@link MatrixBlocks}. The blocks of the trailing dimensions must be
 * runs of consecutive flattened columns: block size 1 on leading trailing dims, any size on one dim, whole dims
 * after it.
 */
export function matrixBlocks(fn: string, shape: readonly number[], blockShape: readonly number[]): MatrixBlocks {
  const rows = shape[0]!;
  let columns = 1;
  for (let d = 1; d < shape.length; d++) columns *= shape[d]!;
  // First trailing dim whose block is not 1 (the split dim); all later dims must be whole.
  let k = 1;
  while (k < shape.length - 1 && blockShape[k] === 1) k++;
  let group = blockShape[k]!;
  for (let d = k + 1; d < shape.length; d++) {
    if (blockShape[d] !== shape[d]) {
      throw new QuantError(
        'GPTQ_INVALID_ARGUMENT',
        `${fn}: block shape [${blockShape.join(', ')}] of weight [${shape.join(', ')}] does not group consecutive ` +
          `input columns; GPTQ supports per-tensor, per-channel (axis 0) and blocks along the input axis ` +
          `(for conv: [1, b, kh, kw])`,
        { details: { shape, blockShape } },
      );
    }
    group *= shape[d]!;
  }
  return { rows, columns, rowBlock: blockShape[0]!, group };
}
