/** The op implementations by MIL op type. */
import type { MilTensor } from '../mil-tensor.js';
import type { OpContext } from './op-context.js';
import { convOp, poolOp } from './ops/conv.js';
import { BINARY_OPS, UNARY_OPS, binaryOp, castOp, unaryOp } from './ops/elementwise.js';
import { linearOp, matmulOp } from './ops/linear.js';
import { dequantizeOp, quantizeOp } from './ops/quantize.js';
import { batchNormOp, reduceOp, softmaxOp } from './ops/reduce.js';
import { concatOp, expandDimsOp, flatten2dOp, reshapeOp, squeezeOp, transposeOp } from './ops/shape.js';

/** An op implementation: reads its inputs from the context, returns its outputs in order. */
export type OpImpl = (ctx: OpContext) => MilTensor[];

/** Every supported non-constexpr op type. */
export const OPS: ReadonlyMap<string, OpImpl> = new Map<string, OpImpl>([
  ...BINARY_OPS.map((t): [string, OpImpl] => [t, binaryOp]),
  ...UNARY_OPS.map((t): [string, OpImpl] => [t, unaryOp]),
  ['cast', castOp],
  ['linear', linearOp],
  ['matmul', matmulOp],
  ['conv', convOp],
  ['max_pool', poolOp],
  ['avg_pool', poolOp],
  ['softmax', softmaxOp],
  ['reduce_sum', reduceOp],
  ['reduce_mean', reduceOp],
  ['reduce_max', reduceOp],
  ['reduce_min', reduceOp],
  ['reduce_prod', reduceOp],
  ['batch_norm', batchNormOp],
  ['reshape', reshapeOp],
  ['transpose', transposeOp],
  ['squeeze', squeezeOp],
  ['expand_dims', expandDimsOp],
  ['flatten2d', flatten2dOp],
  ['concat', concatOp],
  ['quantize', quantizeOp],
  ['dequantize', dequantizeOp],
]);

/** The constexpr op types whose outputs are decoded through @lowbit/io-mlpackage. */
export const CONSTEXPR_OPS: readonly string[] = [
  'constexpr_affine_dequantize',
  'constexpr_blockwise_shift_scale',
  'constexpr_lut_to_dense',
  'constexpr_sparse_to_dense',
  'constexpr_cast',
  'constexpr_lut_to_sparse',
  'constexpr_sparse_blockwise_shift_scale',
];
