import type { CoreMLModel } from './proto-types.js';
import { encodeMessage } from './_internal/codec.js';
import { decodeModelBytes } from './read-ml-package.js';

/**
 * Decodes a serialized `CoreML.Specification.Model` (the content of `model.mlmodel`). Fields lowbit does not model
 * are kept as raw bytes in `unknownFields`.
 *
 * @throws QuantError `MLPACKAGE_MALFORMED_PROTOBUF` with the byte offset of the problem.
 */
export function decodeModel(bytes: Uint8Array, label = 'model.mlmodel'): CoreMLModel {
  return decodeModelBytes(bytes, label, 'decodeModel');
}

/** Encodes a Model message; a decoded canonical message re-encodes to its original bytes. */
export function encodeModel(model: CoreMLModel): Uint8Array {
  return encodeMessage(model, 'Model');
}
