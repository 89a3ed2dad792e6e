import { blockGeometry } from './_internal/block-geometry.js';
import { createChunkCodec } from './_internal/chunk-codec.js';
import { specContext } from './_internal/spec-context.js';
import type { QuantizationSpec } from '@lowbit/spec';
import { blockShapeFor, chooseQParams } from './choose-qparams.js';
import type { QuantizeOptions } from './choose-qparams.js';
import { assertByteCodes, assertQParams, forEachChunk, MAX_RUN } from './quantize.js';
import { assertTensor } from './tensor.js';
import type { Tensor } from './tensor.js';

/**
 * Quantize-then-dequantize in one pass: the float32 values a quantized tensor would reconstruct to, without
 * materialising codes. Identical, element for element, to `dequantize(quantize(x, spec))`. Used by QAT and
 * error analysis.
 * @throws QuantError as {@link quantize}.
 */
export function fakeQuantize(tensor: Tensor, spec: QuantizationSpec, options: QuantizeOptions = {}): Tensor {
  const where = 'fakeQuantize';
  assertTensor(tensor, where);
  const ctx = specContext(spec, where);
  assertByteCodes(ctx, where);
  const blockShape = blockShapeFor(tensor, spec, options);
  const qparams = options.qparams ?? chooseQParams(tensor, spec, { ...options, blockShape });
  const g = blockGeometry(tensor.shape, blockShape, where);
  assertQParams(qparams, g, ctx, where);
  const codec = createChunkCodec(ctx, qparams, options.nonFinite ?? 'error', where, tensor.shape);
  const out = new Float32Array(g.size);
  const scratch = new Int32Array(Math.min(g.chunk, MAX_RUN));
  forEachChunk(g, (start, len, b) => {
    codec.quantize(tensor.data, start, len, b, scratch);
    codec.dequantize(scratch, 0, len, b, out, start);
  });
  return { data: out, shape: [...tensor.shape] };
}
