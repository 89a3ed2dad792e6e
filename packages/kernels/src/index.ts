export type { Tensor } from './tensor.js';
export type { QParams } from './qparams.js';
export type { NonFinitePolicy, BlockRange } from './reduce-range.js';
export type { QuantizeOptions } from './choose-qparams.js';
export type { ElementQuantizer } from './element-quantizer.js';
export type { DTypeLookup } from './dequantize.js';
export type { QuantizedTensorParts } from './assemble.js';

export { createTensor, shapeSize } from './tensor.js';
export { qparamsFromRange } from './qparams.js';
export { reduceBlockRange } from './reduce-range.js';
export { chooseQParams } from './choose-qparams.js';
export { quantize } from './quantize.js';
export { dequantize, unpackCodes } from './dequantize.js';
export { fakeQuantize } from './fake-quantize.js';
export { createElementQuantizer } from './element-quantizer.js';
export { assembleQuantizedTensor } from './assemble.js';
export { sqnr, mse, maxAbsError, cosineSimilarity } from './error-measures.js';

// linalg (dense float64 linear algebra for GPTQ; owned by the linalg files in ./linalg/)
export type { CholeskyOptions, CholeskyStatus } from './linalg/cholesky.js';
export type { MatrixView } from './linalg/matmul.js';
export { cholesky, choleskyInPlace } from './linalg/cholesky.js';
export { choleskyInverse } from './linalg/cholesky-inverse.js';
export { matmul, multiplyAdd } from './linalg/matmul.js';
export { symmetricRankKUpdate } from './linalg/symmetric-rank-k-update.js';
export { invertLowerTriangular } from './linalg/triangular-inverse.js';
export { upperCholeskyOfInverse } from './linalg/upper-cholesky-of-inverse.js';
// end linalg
