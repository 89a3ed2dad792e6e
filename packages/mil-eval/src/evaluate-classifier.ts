import type { MlPackage } from '@lowbit/io-mlpackage';
import type { IdxImages } from './idx.js';
import type { LoadedProgram } from './load-program.js';
import { loadProgram } from './load-program.js';
import { runProgram } from './run-program.js';
import type { RunProgramOptions } from './run-program.js';
import { evalError, showShape } from './_internal/errors.js';

/** Progress of {@link evaluateClassifier}, reported after each batch. */
export interface ClassifierProgress {
  readonly done: number;
  readonly total: number;
  readonly correct: number;
}

/** Options of {@link evaluateClassifier}. */
export interface EvaluateClassifierOptions {
  /** Images per program run. @defaultValue 500 */
  readonly batchSize?: number;
  /** Program input that receives the images. @defaultValue the only input */
  readonly inputName?: string;
  /** Program output holding the class scores (logits or probabilities, last axis). @defaultValue the first output */
  readonly outputName?: string;
  /** Evaluate only the first `limit` images. @defaultValue all */
  readonly limit?: number;
  /** Constants replaced for the evaluation (see `RunProgramOptions.overrides`), e.g. fake-quantized weights. */
  readonly overrides?: RunProgramOptions['overrides'];
  /** Called after every batch. */
  readonly onProgress?: (progress: ClassifierProgress) => void;
}

/** Result of {@link evaluateClassifier}. */
export interface ClassifierResult {
  /** `correct / total`, in [0, 1]. */
  readonly accuracy: number;
  readonly correct: number;
  readonly total: number;
  /** Predicted class (argmax of the scores, first index on ties) per image. */
  readonly predictions: Int32Array;
  readonly seconds: number;
}

/**
 * Top-1 accuracy of an image classifier package (or loaded program) on labelled images: each batch of images
 * becomes the input tensor (pixel values 0..255 as float32, shaped like the declared input with the batch
 * dimension replaced: `[B, 1, rows, cols]`, `[B, rows, cols]` or `[B, rows * cols]`), and the argmax of the output's
 * last axis is compared with the label. Any preprocessing (scaling, normalisation) is the model's own business.
 *
 * @throws QuantError `MILEVAL_INVALID_ARGUMENT` when images and labels disagree, the input cannot hold an image,
 *   or the options are invalid; evaluation errors from {@link runProgram}.
 * @example
 * ```ts
 * const { images, labels } = await readIdxDataset('data/', 't10k');
 * const r = await evaluateClassifier(await readMlPackage('model.mlpackage'), images, labels);
 * console.log(`${(r.accuracy * 100).toFixed(2)}%`);
 * ```
 */
export async function evaluateClassifier(
  source: MlPackage | LoadedProgram,
  images: IdxImages,
  labels: ArrayLike<number>,
  options: EvaluateClassifierOptions = {},
): Promise<ClassifierResult> {
  const FN = 'evaluateClassifier';
  const started = performance.now();
  const program = 'programs' in source ? await loadProgram(source) : source;
  const bad: (m: string) => never = (m) => {
    throw evalError('MILEVAL_INVALID_ARGUMENT', FN, m);
  };
  if (typeof images !== 'object' || images === null || !(images.data instanceof Uint8Array))
    bad('images must come from readIdxImages');
  const pixels = images.rows * images.cols;
  if (images.data.length !== images.count * pixels)
    bad(
      `images hold ${images.data.length} bytes, ${images.count} images of ${images.rows}x${images.cols} need ${images.count * pixels}`,
    );
  if (labels === null || typeof labels !== 'object' || labels.length !== images.count)
    bad(`${images.count} images but ${labels?.length} labels`);
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) bad(`batchSize must be a positive integer, got ${batchSize}`);
  const limit = options.limit ?? images.count;
  if (!Number.isInteger(limit) || limit < 0 || limit > images.count)
    bad(`limit must be an integer in 0..${images.count}, got ${limit}`);
  const input =
    options.inputName !== undefined
      ? program.inputs.find((i) => i.name === options.inputName)
      : program.inputs.length === 1
        ? program.inputs[0]
        : undefined;
  if (input === undefined) bad(`give inputName: one of ${program.inputs.map((i) => `"${i.name}"`).join(', ')}`);
  const output =
    options.outputName !== undefined ? program.outputs.find((o) => o.name === options.outputName) : program.outputs[0];
  if (output === undefined)
    bad(
      `outputName "${options.outputName}" is not an output; outputs: ${program.outputs.map((o) => `"${o.name}"`).join(', ')}`,
    );
  const inner = input.shape.slice(1);
  const innerCount = inner.reduce((a, c) => a * c, 1);
  if (input.shape.length < 2 || innerCount !== pixels) {
    bad(
      `input "${input.name}" ${showShape(input.shape)} cannot hold ${images.rows}x${images.cols} images (needs [N, ...] with ${pixels} elements per image)`,
    );
  }
  const predictions = new Int32Array(limit);
  let correct = 0;
  for (let start = 0; start < limit; start += batchSize) {
    const b = Math.min(batchSize, limit - start);
    const data = new Float32Array(b * pixels);
    const src = images.data.subarray(start * pixels, (start + b) * pixels);
    for (let i = 0; i < data.length; i++) data[i] = src[i] as number;
    const result = runProgram(
      program,
      { [input.name]: { data, shape: [b, ...inner] } },
      options.overrides === undefined ? {} : { overrides: options.overrides },
    );
    const scores = result[output.name];
    if (scores === undefined || scores.data.length % b !== 0)
      bad(`output "${output.name}" does not hold one score vector per image`);
    const classes = scores.data.length / b;
    for (let i = 0; i < b; i++) {
      let best = 0;
      let bestV = -Infinity;
      for (let k = 0; k < classes; k++) {
        const v = scores.data[i * classes + k] as number;
        if (v > bestV) {
          bestV = v;
          best = k;
        }
      }
      predictions[start + i] = best;
      if (best === labels[start + i]) correct++;
    }
    options.onProgress?.({ done: start + b, total: limit, correct });
  }
  return {
    accuracy: limit === 0 ? 0 : correct / limit,
    correct,
    total: limit,
    predictions,
    seconds: (performance.now() - started) / 1000,
  };
}
