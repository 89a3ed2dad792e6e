import type { QuantizationSpec } from '@lowbit/spec';
import type { QuantizeOptions } from './choose-qparams.js';
import { forEachChunk, MAX_RUN, prepareQuantization } from './quantize.js';
import type { Tensor } from './tensor.js';

/**
 * Quantize-then-dequantize in one pass: the float32 values a quantized tensor would reconstruct to, without
 * materialising codes. Identical, element for element, to `dequantize(quantize(x, spec))`. Used by QAT and
 * error analysis.
 * @throws QuantError as {@link quantize}.
 */
export function fakeQuantize(tensor: Tensor, spec: QuantizationSpec, options: QuantizeOptions = {}): Tensor {
  const { g, codec } = prepareQuantization(tensor, spec, options, 'fakeQuantize');
  const out = new Float32Array(g.size);
  const scratch = new Int32Array(Math.min(g.chunk, MAX_RUN));
  forEachChunk(g, (start, len, b) => {
    codec.quantize(tensor.data, start, len, b, scratch, 0);
    codec.dequantize(scratch, 0, len, b, out, start);
  });
  return { data: out, shape: [...tensor.shape] };
}
