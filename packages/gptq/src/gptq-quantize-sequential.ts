import { QuantError } from '@lowbit/dtypes';
import type { Tensor } from '@lowbit/kernels';
import { opKindOf, resolveTensorSpec } from '@lowbit/spec';
import type { QuantizationConfig, QuantizationSpec } from '@lowbit/spec';
import { gptqQuantizeLayer } from './gptq-quantize-layer.js';
import type { GptqLayerOptions, GptqLayerResult, GptqLayerStats } from './gptq-quantize-layer.js';
import { createHessianAccumulator } from './hessian-accumulator.js';
import type { HessianAccumulator } from './hessian-accumulator.js';

/** A quantizable layer of a {@link GptqStage}. */
export interface GptqStageLayer {
  /** Unique name across the whole model (used for configs, captures, results). */
  readonly name: string;
  /** The float weight: `[out, in]` for linear layers, `[out, in, kh, kw]` for convolutions. */
  readonly weight: Tensor;
  /**
   * Op type, matched against a config's `byOpType` and used to pick default axes (`'linear'`, `'conv'`...).
   * @defaultValue `'linear'` for 2-D weights, `'conv'` otherwise
   */
  readonly opType?: string;
}

/**
 * Hands the driver a quantizable layer's inputs during a calibration pass: `rows` input rows of
 * `columns = weight.length / out` features each, row-major (for a convolution, the unfolded input patches in the
 * weight's `[in, kh, kw]` order). The array may be reused by the caller after the call returns.
 */
export type CaptureInputs = (layer: string, inputs: Float32Array, rows: number) => void;

/**
 * One step of the model, in execution order: for an MLP a stage is one linear layer (plus its activation); for a
 * transformer, one block (or one group of its linears for "true sequential" quantization).
 */
export interface GptqStage<A> {
  /** Name for progress reports. */
  readonly name: string;
  /** The stage's quantizable layers (may be empty for a stage that only transforms activations). */
  readonly layers: readonly GptqStageLayer[];
  /**
   * Runs one calibration batch through the stage and returns the stage's output (the next stage's input).
   * Use `weights.get(layer.name)` for each quantizable layer's weight: the float weights during the capture pass,
   * the quantized-dequantized ones when the driver propagates activations to the next stage. When `capture` is
   * given, call it with every quantizable layer's input rows.
   */
  forward(input: A, weights: ReadonlyMap<string, Tensor>, capture: CaptureInputs | undefined): A | Promise<A>;
}

/** Progress event of {@link gptqQuantizeSequential}. */
export interface GptqProgress {
  /** `capture`: a batch went through the float stage; `quantize`: a layer is done; `propagate`: a batch went through the quantized stage. */
  readonly phase: 'capture' | 'quantize' | 'propagate';
  /** Stage index (0-based) and count. */
  readonly stage: number;
  readonly stages: number;
  readonly stageName: string;
  /** For `quantize`: the layer, its index among all quantized layers, their total, and its stats. */
  readonly layer?: string;
  readonly index?: number;
  readonly total?: number;
  readonly stats?: GptqLayerStats;
  /** For `capture` / `propagate`: the batch index (0-based) and the batch count. */
  readonly batch?: number;
  readonly batches?: number;
}

/** Options of {@link gptqQuantizeSequential}. Give exactly one of `spec` and `config`. */
export interface GptqSequentialOptions {
  /** One spec for every layer. */
  readonly spec?: QuantizationSpec;
  /** A config resolved per layer with `resolveTensorSpec` (names, op types, `minSize`; skipped layers stay float). */
  readonly config?: QuantizationConfig;
  /** Options for every layer, or a function of the layer. `name` and `opKind` are filled in by the driver. */
  readonly layerOptions?: GptqLayerOptions | ((layer: GptqStageLayer) => GptqLayerOptions);
  /** Called after each batch and each quantized layer. */
  readonly onProgress?: (event: GptqProgress) => void;
}

/** What {@link gptqQuantizeSequential} returns. */
export interface GptqSequentialResult {
  /** The quantized layers by name, in quantization order. */
  readonly layers: ReadonlyMap<string, GptqLayerResult>;
  /** Layers left in float, with the config's reason. */
  readonly skipped: ReadonlyMap<string, string>;
}

/**
 * GPTQ over a whole model, stage by stage (the paper's sequential procedure): for each stage, run every
 * calibration batch through it with float weights and accumulate each quantizable layer's Hessian from the
 * captured inputs; quantize the stage's layers; run the batches through the stage again with the quantized
 * weights, and feed those outputs to the next stage. Later layers therefore compensate for the quantization error
 * of earlier ones. Only one stage's activations are held at a time (its inputs, then its outputs).
 *
 * @example
 * ```ts
 * // A two-layer MLP, one stage per linear layer; batches are { x: Float32Array, rows: number }.
 * const stage = (name: string, w: Tensor, relu: boolean): GptqStage<Batch> => ({
 *   name,
 *   layers: [{ name, weight: w }],
 *   forward: (b, weights, capture) => {
 *     capture?.(name, b.x, b.rows);
 *     const y = linear(b.x, b.rows, weights.get(name)!); // y = x W^T
 *     return { x: relu ? reluInPlace(y) : y, rows: b.rows };
 *   },
 * });
 * const { layers } = await gptqQuantizeSequential([stage('fc1', w1, true), stage('fc2', w2, false)], batches, {
 *   spec: getPreset('w4').global!,
 *   onProgress: (e) => e.phase === 'quantize' && console.log(e.layer, e.stats),
 * });
 * ```
 * @throws QuantError `GPTQ_INVALID_ARGUMENT` for duplicate layer names, captures of unknown layers, no calibration
 *   data or a layer whose inputs were never captured; plus {@link gptqQuantizeLayer}'s errors.
 */
export async function gptqQuantizeSequential<A>(
  stages: readonly GptqStage<A>[],
  calibration: Iterable<A> | AsyncIterable<A>,
  options: GptqSequentialOptions,
): Promise<GptqSequentialResult> {
  const fn = 'gptqQuantizeSequential';
  if ((options.spec === undefined) === (options.config === undefined)) {
    throw new QuantError('GPTQ_INVALID_ARGUMENT', `${fn}: give exactly one of options.spec and options.config`);
  }
  // Resolve specs for every layer up front, so a bad model description fails before any work.
  const specs = new Map<string, QuantizationSpec>();
  const skipped = new Map<string, string>();
  const seen = new Set<string>();
  for (const stage of stages) {
    for (const layer of stage.layers) {
      if (seen.has(layer.name)) {
        throw new QuantError(
          'GPTQ_INVALID_ARGUMENT',
          `${fn}: layer name '${layer.name}' appears twice; names must be unique`,
        );
      }
      seen.add(layer.name);
      if (options.spec !== undefined) {
        specs.set(layer.name, options.spec);
      } else {
        const resolution = resolveTensorSpec(options.config!, {
          name: layer.name,
          opType: opTypeOf(layer),
          shape: layer.weight.shape,
        });
        if (resolution.spec === null) skipped.set(layer.name, resolution.reason);
        else specs.set(layer.name, resolution.spec);
      }
    }
  }
  const total = specs.size;

  let current: (A | undefined)[] = [];
  for await (const batch of calibration) current.push(batch);
  if (current.length === 0) throw new QuantError('GPTQ_INVALID_ARGUMENT', `${fn}: calibration has no batches`);
  const batches = current.length;

  const results = new Map<string, GptqLayerResult>();
  let index = 0;
  for (let s = 0; s < stages.length; s++) {
    const stage = stages[s]!;
    const base = { stage: s, stages: stages.length, stageName: stage.name };
    const floatWeights = new Map<string, Tensor>();
    const accumulators = new Map<string, HessianAccumulator>();
    for (const layer of stage.layers) {
      floatWeights.set(layer.name, layer.weight);
      if (specs.has(layer.name)) {
        const out = layer.weight.shape[0] ?? 1;
        accumulators.set(layer.name, createHessianAccumulator(Math.max(1, layer.weight.data.length / out)));
      }
    }
    const capture: CaptureInputs = (name, inputs, rows) => {
      const acc = accumulators.get(name);
      if (acc !== undefined) {
        acc.add(inputs, rows);
      } else if (!floatWeights.has(name)) {
        throw new QuantError(
          'GPTQ_INVALID_ARGUMENT',
          `${fn}: stage '${stage.name}' captured inputs for '${name}', which is not one of its layers ` +
            `(${[...floatWeights.keys()].join(', ') || 'none'})`,
        );
      }
    };
    const quantizable = stage.layers.filter((l) => specs.has(l.name));
    if (quantizable.length > 0) {
      for (let b = 0; b < batches; b++) {
        await stage.forward(current[b] as A, floatWeights, capture);
        options.onProgress?.({ ...base, phase: 'capture', batch: b, batches });
      }
    }
    const quantizedWeights = new Map(floatWeights);
    for (const layer of quantizable) {
      const acc = accumulators.get(layer.name)!;
      if (acc.count === 0) {
        throw new QuantError(
          'GPTQ_INVALID_ARGUMENT',
          `${fn}: stage '${stage.name}' never captured inputs for layer '${layer.name}'; call capture(name, inputs, rows) in forward`,
        );
      }
      const given =
        typeof options.layerOptions === 'function' ? options.layerOptions(layer) : (options.layerOptions ?? {});
      const result = gptqQuantizeLayer(layer.weight, acc, specs.get(layer.name)!, {
        ...given,
        name: layer.name,
        opKind: given.opKind ?? opKindOf(opTypeOf(layer)),
      });
      results.set(layer.name, result);
      quantizedWeights.set(layer.name, result.dequantized);
      accumulators.delete(layer.name);
      options.onProgress?.({ ...base, phase: 'quantize', layer: layer.name, index, total, stats: result.stats });
      index++;
    }
    if (s === stages.length - 1) break;
    const next: (A | undefined)[] = [];
    for (let b = 0; b < batches; b++) {
      next.push(await stage.forward(current[b] as A, quantizedWeights, undefined));
      current[b] = undefined; // release the input as soon as it is consumed
      options.onProgress?.({ ...base, phase: 'propagate', batch: b, batches });
    }
    current = next;
  }
  return { layers: results, skipped };
}

function opTypeOf(layer: GptqStageLayer): string {
  return layer.opType ?? (layer.weight.shape.length === 2 ? 'linear' : 'conv');
}
