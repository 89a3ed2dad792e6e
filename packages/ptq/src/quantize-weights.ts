import type { QuantizationConfig, QuantizedTensor } from '@lowbit/spec';
import type { PtqReport } from './ptq-report.js';
import { quantizeWeightsStream } from './quantize-weights-stream.js';
import type { QuantizeWeightsOptions } from './quantize-weights-stream.js';
import type { WeightTensor } from './weight-tensor.js';

/** Result of {@link quantizeWeights}. */
export interface QuantizeWeightsResult {
  /** One entry per distinct quantized tensor name, in input order (aliases of a tied tensor share the object). */
  readonly tensors: readonly { readonly name: string; readonly quantized: QuantizedTensor }[];
  /** A row for every input tensor, plus totals. */
  readonly report: PtqReport;
}

/**
 * Data-free weight-only quantization (round to nearest) of a whole model. Each weight gets its spec from the
 * config (`byOpName` > `byOpType` > `global`, `null` to skip, `minSize` threshold) through `@lowbit/spec`'s
 * `resolveTensorSpec`, and is quantized by `@lowbit/kernels`' `quantize` with the op kind of its `opType`, so the
 * default axes apply (per-channel on the output axis, blocks along the input axis). The report has a row for
 * every input: the spec and why, or why it was skipped; bytes before and after; SQNR and max error. A tensor used
 * twice (same data object, or same name and contents) is quantized once; the second row says `tied`.
 *
 * @example
 * ```ts
 * const { tensors, report } = await quantizeWeights(
 *   [{ name: 'fc1', opType: 'linear', tensor: { data, shape: [256, 512] } }],
 *   getPreset('w8'),
 * );
 * report.tensors[0].sqnrDb; // ~41 dB for Gaussian weights
 * ```
 * @throws QuantError as {@link quantizeWeightsStream}.
 */
export async function quantizeWeights(
  weights: Iterable<WeightTensor> | AsyncIterable<WeightTensor>,
  config: QuantizationConfig,
  options: QuantizeWeightsOptions = {},
): Promise<QuantizeWeightsResult> {
  const tensors: { name: string; quantized: QuantizedTensor }[] = [];
  let report: PtqReport | null = null;
  for await (const item of quantizeWeightsStream(weights, config, options)) {
    if (item.type === 'report') report = item.report;
    else if (item.quantized !== null) tensors.push({ name: item.name, quantized: item.quantized });
  }
  return { tensors, report: report as PtqReport };
}
