/**
 * GPTQ for a whole ML Program package, driven by the reference evaluator: layers (the weights of `linear` and
 * `conv` ops) are quantized in program order; each layer's Hessian comes from its inputs on the calibration data,
 * computed with every earlier layer already replaced by its GPTQ result (sequential GPTQ, so later layers
 * compensate earlier errors). The result is ready for io-mlpackage's `compressWeights`.
 */
import { QuantError } from '@lowbit/dtypes';
import { createHessianAccumulator, gptqQuantizeLayer } from '@lowbit/gptq';
import type { GptqLayerOptions, GptqLayerResult } from '@lowbit/gptq';
import type { MlPackage } from '@lowbit/io-mlpackage';
import { listWeights, readWeight } from '@lowbit/io-mlpackage';
import { layerInputRows, loadProgram, runProgram } from '@lowbit/mil-eval';
import type { IdxImages, LoadedProgram, MilInput } from '@lowbit/mil-eval';
import { resolveTensorSpec } from '@lowbit/spec';
import { imageBatches } from './image-batches.js';
import type { QuantizationConfig } from '@lowbit/spec';

/** Progress of {@link gptqQuantizePackage}. */
export interface GptqPackageProgress {
  readonly layer: string;
  readonly index: number;
  readonly total: number;
  readonly phase: 'capture' | 'quantize';
}

/** Options of {@link gptqQuantizePackage}. */
export interface GptqPackageOptions {
  /** Calibration images per evaluator run. @defaultValue 256 */
  readonly batchSize?: number;
  readonly layerOptions?: GptqLayerOptions;
  readonly onProgress?: (p: GptqPackageProgress) => void;
}

/** One quantized layer. */
export interface GptqPackageLayer {
  /** The weight's value name (what `compressWeights` takes). */
  readonly weight: string;
  /** The consuming op's name and type. */
  readonly op: string;
  readonly opType: string;
  readonly result: GptqLayerResult;
}

/** Result of {@link gptqQuantizePackage}. */
export interface GptqPackageResult {
  readonly layers: readonly GptqPackageLayer[];
  /** Weights left in float, with the config's reason. */
  readonly skipped: ReadonlyArray<{ readonly weight: string; readonly reason: string }>;
}

function batches(images: IdxImages, program: LoadedProgram, size: number): MilInput[] {
  const input = program.inputs[0];
  if (input === undefined || program.inputs.length !== 1)
    throw new QuantError('GPTQ_INVALID_ARGUMENT', 'gptqQuantizePackage: the program must have exactly one input');
  return imageBatches(images, size, input.shape.slice(1));
}

/**
 * Sequential GPTQ of every `linear` / `conv` weight of the package's root program that the config selects.
 *
 * @throws QuantError `GPTQ_INVALID_ARGUMENT` for programs with several inputs; errors of the evaluator and of
 *   gptqQuantizeLayer (naming the layer).
 */
export async function gptqQuantizePackage(
  pkg: MlPackage,
  calibration: IdxImages,
  config: QuantizationConfig,
  options: GptqPackageOptions = {},
): Promise<GptqPackageResult> {
  const program = await loadProgram(pkg);
  const inputName = program.inputs[0]?.name ?? '';
  const data = batches(calibration, program, options.batchSize ?? 256);
  const layers: Array<{ weight: string; op: string; opType: string; shape: readonly number[] }> = [];
  const skipped: Array<{ weight: string; reason: string }> = [];
  for (const w of listWeights(pkg)) {
    const consumer = w.consumers.find((c) => c.input === 'weight' && (c.opType === 'linear' || c.opType === 'conv'));
    if (consumer === undefined || w.compression !== null) continue;
    const resolution = resolveTensorSpec(config, { name: w.name, opType: consumer.opType, shape: w.shape });
    if (resolution.spec === null) skipped.push({ weight: w.name, reason: resolution.reason });
    else layers.push({ weight: w.name, op: consumer.opName, opType: consumer.opType, shape: w.shape });
  }
  const overrides: Record<string, MilInput> = {};
  const done: GptqPackageLayer[] = [];
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i] as (typeof layers)[number];
    options.onProgress?.({ layer: layer.weight, index: i, total: layers.length, phase: 'capture' });
    const out = layer.shape[0] as number;
    const count = layer.shape.reduce((a, c) => a * c, 1);
    const hessian = createHessianAccumulator(count / out);
    for (const batch of data) {
      runProgram(
        program,
        { [inputName]: batch },
        {
          overrides,
          onOp: (event) => {
            if (event.name !== layer.op) return;
            const rows = layerInputRows(event);
            if (rows !== null) hessian.add(rows.data, rows.rows);
          },
        },
      );
    }
    options.onProgress?.({ layer: layer.weight, index: i, total: layers.length, phase: 'quantize' });
    const spec = resolveTensorSpec(config, { name: layer.weight, opType: layer.opType, shape: layer.shape }).spec;
    if (spec === null) continue;
    const weight = { data: await readWeight(pkg, layer.weight), shape: layer.shape };
    const result = gptqQuantizeLayer(weight, hessian, spec, {
      ...options.layerOptions,
      name: layer.weight,
      opKind: layer.opType === 'conv' ? 'conv' : 'linear',
    });
    overrides[layer.weight] = { data: result.dequantized.data, shape: layer.shape };
    done.push({ weight: layer.weight, op: layer.op, opType: layer.opType, result });
  }
  return { layers: done, skipped };
}
