import type { MlPackage } from './ml-package.js';
import type { WeightRef } from './_internal/find-weight.js';
import { withSession } from './_internal/blob-session.js';
import { decodeValue } from './_internal/decode-weight.js';
import { findWeightFunction } from './_internal/find-weight.js';
import { indexBlock } from './_internal/program-walk.js';

/**
 * Reads one weight as float32: a const tensor as stored, or a compressed weight decoded exactly as Core ML
 * does (constexpr_affine_dequantize, constexpr_blockwise_shift_scale, constexpr_lut_to_dense in both forms,
 * constexpr_sparse_to_dense, constexpr_cast, and chains of them), rounded to the weight's dtype (float16 results
 * are exactly representable float16 values). Blob data is read by offset; the blob file is never loaded whole.
 *
 * @throws QuantError `MLPACKAGE_NOT_FOUND` for an unknown weight, `MLPACKAGE_MALFORMED_BLOB` /
 *   `MLPACKAGE_MALFORMED_PROTOBUF` for inconsistent data (naming the file and offset).
 * @example
 * ```ts
 * const w = await readWeight(pkg, listWeights(pkg)[0]!);
 * ```
 */
export async function readWeight(pkg: MlPackage, weight: WeightRef): Promise<Float32Array> {
  const FN = 'readWeight';
  const { fn, name } = findWeightFunction(pkg, weight, FN);
  const index = indexBlock(fn.block);
  return withSession(pkg, FN, async (session) => {
    const d = await decodeValue({ session, index, where: `${FN}: Data/${pkg.rootModelPath}` }, name);
    return d.values;
  });
}
