/**
 * The demo's QAT row: fine-tunes the bundled classifier's float weights while the forward pass sees them
 * fake-quantized (@lowbit/qat), then returns the `QuantizedTensor`s of `finalize()` for io-mlpackage.
 */
import { QuantError } from '@lowbit/dtypes';
import { listWeights } from '@lowbit/io-mlpackage';
import type { MlPackage } from '@lowbit/io-mlpackage';
import { loadProgram, runProgram } from '@lowbit/mil-eval';
import type { IdxImages, MilTensor } from '@lowbit/mil-eval';
import { prepare } from '@lowbit/qat';
import type { QatMilestones, ScaleLearning } from '@lowbit/qat';
import type { QuantizationConfig, QuantizedTensor } from '@lowbit/spec';
import { createRandom } from '../seeded-random.js';
import {
  CLASSIFIER_CLASSES,
  CLASSIFIER_IMAGE_SIDE,
  CLASSIFIER_PARAM_SHAPES,
  classifierBackward,
  classifierForward,
  cosineLearningRate,
  createAdam,
  createClassifierWorkspace,
  shuffleOrder,
  softmaxCrossEntropy,
  zeroClassifierParams,
} from './classifier-model.js';
import type { ClassifierParams } from './classifier-model.js';

/** Options of {@link qatFineTuneClassifier}. */
export interface QatFineTuneOptions {
  /** Passes over the training images. @defaultValue 8 */
  readonly epochs?: number;
  /** Images per step. @defaultValue 64 */
  readonly batchSize?: number;
  /** Adam learning rate of the float (master) weights, decayed to 0 along a cosine. @defaultValue 2e-4 */
  readonly learningRate?: number;
  /** LSQ: SGD learning rate of the learned scales. @defaultValue 1e-4 */
  readonly scaleLearningRate?: number;
  /** Scale learning (`'none'`: the observers set the scales from the current weights at every step). @defaultValue `'lsq'` */
  readonly learning?: ScaleLearning;
  /** QAT schedule. @defaultValue `[0, 0, 1, -1]`: observe the float weights once, then learn the scales */
  readonly milestones?: QatMilestones;
  /**
   * Weight `d` of the float model's predictions against the labels in the training targets, in [0, 1]:
   * `d = 1` distils the float model (labels unused), `d = 0` trains on the labels. @defaultValue 1
   */
  readonly distillation?: number;
  /** Seed of the data order. @defaultValue 2025 */
  readonly seed?: number;
  /** Called after every step. */
  readonly onProgress?: (step: number, total: number) => void;
}

/** Result of {@link qatFineTuneClassifier}. */
export interface QatFineTuneResult {
  /** The quantized layer weights by package weight name (from `session.finalize()`). */
  readonly tensors: Map<string, QuantizedTensor>;
  /** Training steps run. */
  readonly steps: number;
  /** Mean cross-entropy against the labels of the fake-quantized model in the first and in the last epoch. */
  readonly firstLoss: number;
  readonly lastLoss: number;
}

/** Package weight names of the classifier's parameters. */
interface ParamNames {
  readonly convW: string;
  readonly fc1W: string;
  readonly fc2W: string;
}

const CLASSES = CLASSIFIER_CLASSES;
const WEIGHT_KEYS = ['convW', 'fc1W', 'fc2W'] as const;
type WeightKey = (typeof WEIGHT_KEYS)[number];
const BIAS_OF: Readonly<Record<WeightKey, keyof ClassifierParams>> = { convW: 'convB', fc1W: 'fc1B', fc2W: 'fc2B' };

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Reads the classifier's parameters from a package: the conv and the two linear layers, in program order, with
 * weights and biases of the shapes of {@link CLASSIFIER_PARAM_SHAPES}. Values come from one evaluator run on a
 * blank image (so small biases stored inline are read like the others); weight names from `listWeights`.
 */
async function readClassifier(pkg: MlPackage): Promise<{ params: ClassifierParams; names: ParamNames }> {
  const where = 'qatFineTuneClassifier';
  const layers: { opName: string; opType: string; weight?: MilTensor; bias?: MilTensor }[] = [];
  const program = await loadProgram(pkg);
  const side = CLASSIFIER_IMAGE_SIDE;
  const input = program.inputs[0];
  if (
    program.inputs.length !== 1 ||
    input === undefined ||
    shapeText(input.shape.slice(1)) !== shapeText([1, side, side])
  ) {
    throw new QuantError(
      'CLI_USAGE',
      `${where}: the QAT row fine-tunes the bundled classifier (one image input [N, 1, ${side}, ${side}]); this ` +
        `model's inputs are ${program.inputs.map((i) => `${i.name} ${shapeText(i.shape)}`).join(', ') || 'none'}`,
    );
  }
  runProgram(
    program,
    { [input.name]: { data: new Float32Array(side * side), shape: [1, 1, side, side] } },
    {
      onOp: (e) => {
        if (e.type !== 'conv' && e.type !== 'linear') return;
        layers.push({
          opName: e.name,
          opType: e.type,
          ...(e.inputs.weight === undefined ? {} : { weight: e.inputs.weight }),
          ...(e.inputs.bias === undefined ? {} : { bias: e.inputs.bias }),
        });
      },
    },
  );
  const expected: readonly string[] = ['conv', 'linear', 'linear'];
  if (layers.length !== 3 || layers.some((l, i) => l.opType !== expected[i])) {
    throw new QuantError(
      'CLI_USAGE',
      `${where}: the QAT row fine-tunes the bundled classifier (conv, linear, linear); this model's layers are ` +
        `${layers.map((l) => `${l.opName} (${l.opType})`).join(', ') || 'none'}`,
    );
  }
  const weights = listWeights(pkg);
  const params = zeroClassifierParams();
  const names: Partial<Record<WeightKey, string>> = {};
  for (const [i, key] of WEIGHT_KEYS.entries()) {
    const layer = layers[i] as (typeof layers)[number];
    for (const [input, field, value] of [
      ['weight', key, layer.weight],
      ['bias', BIAS_OF[key], layer.bias],
    ] as const) {
      const want = CLASSIFIER_PARAM_SHAPES[field];
      if (value === undefined || shapeText(value.shape) !== shapeText(want)) {
        throw new QuantError(
          'CLI_USAGE',
          `${where}: ${layer.opName} needs a ${input} of shape ${shapeText(want)} (the bundled classifier's); ` +
            `found ${value === undefined ? 'none' : shapeText(value.shape)}`,
        );
      }
      params[field].set(value.data);
    }
    const info = weights.find((w) => w.consumers.some((c) => c.opName === layer.opName && c.input === 'weight'));
    if (info === undefined || info.compression !== null) {
      throw new QuantError(
        'CLI_USAGE',
        `${where}: ${layer.opName}'s weight is not a float const of the package (QAT starts from float weights)`,
      );
    }
    names[key] = info.name;
  }
  return { params, names: names as ParamNames };
}

/** Softmax of the float model's logits for every image, `[count, classes]` (the distillation targets). */
function teacherProbabilities(params: ClassifierParams, images: IdxImages, batch: number): Float32Array {
  const ws = createClassifierWorkspace(batch);
  const out = new Float32Array(images.count * CLASSES);
  const index = Int32Array.from({ length: images.count }, (_, i) => i);
  for (let off = 0; off < images.count; off += batch) {
    const n = Math.min(batch, images.count - off);
    classifierForward(ws, params, images.data, index, n, off);
    for (let b = 0; b < n; b++) {
      let mx = -Infinity;
      for (let o = 0; o < CLASSES; o++) mx = Math.max(mx, ws.logits[b * CLASSES + o] as number);
      let sum = 0;
      for (let o = 0; o < CLASSES; o++) sum += Math.exp((ws.logits[b * CLASSES + o] as number) - mx);
      for (let o = 0; o < CLASSES; o++)
        out[(off + b) * CLASSES + o] = Math.exp((ws.logits[b * CLASSES + o] as number) - mx) / sum;
    }
  }
  return out;
}

function checkOption(where: string, name: string, value: number, ok: boolean, valid: string): void {
  if (!ok) throw new QuantError('CLI_USAGE', `${where}: ${name} ${value} is invalid; it must be ${valid}`);
}

/**
 * Quantization-aware fine-tuning of the bundled classifier: starts from the package's float weights and trains
 * them with Adam while every forward pass uses the fake-quantized weights (@lowbit/qat: straight-through
 * gradients, LSQ scales when `learning` is `'lsq'`, observers per the milestones); biases stay fixed. The loss
 * is the cross-entropy against `(1 - d) * labels + d * float-model predictions` (`d = distillation`). Then
 * `session.finalize()` quantizes the trained weights with the learned parameters. Deterministic: the data order
 * comes from a seeded generator.
 * @throws QuantError `CLI_USAGE` when the package is not the bundled classifier's architecture, the config
 * leaves a layer weight in float, or an option is out of range.
 */
export async function qatFineTuneClassifier(
  pkg: MlPackage,
  images: IdxImages,
  labels: Uint8Array,
  config: QuantizationConfig,
  options: QatFineTuneOptions = {},
): Promise<QatFineTuneResult> {
  const where = 'qatFineTuneClassifier';
  if (images.rows !== CLASSIFIER_IMAGE_SIDE || images.cols !== CLASSIFIER_IMAGE_SIDE || labels.length < images.count) {
    throw new QuantError(
      'CLI_USAGE',
      `${where}: expected ${CLASSIFIER_IMAGE_SIDE}x${CLASSIFIER_IMAGE_SIDE} images with one label each; got ` +
        `${images.count} ${images.rows}x${images.cols} images and ${labels.length} labels`,
    );
  }
  const epochs = options.epochs ?? 8;
  const batch = options.batchSize ?? 64;
  const lr = options.learningRate ?? 2e-4;
  const scaleLr = options.scaleLearningRate ?? 1e-4;
  const learning = options.learning ?? 'lsq';
  const distill = options.distillation ?? 1;
  checkOption(where, 'epochs', epochs, Number.isSafeInteger(epochs) && epochs >= 1, 'an integer >= 1');
  checkOption(
    where,
    'batchSize',
    batch,
    Number.isSafeInteger(batch) && batch >= 1 && batch <= images.count,
    `an integer from 1 to the ${images.count} images`,
  );
  checkOption(where, 'learningRate', lr, lr >= 0 && lr < Infinity, 'a finite number >= 0');
  checkOption(where, 'scaleLearningRate', scaleLr, scaleLr >= 0 && scaleLr < Infinity, 'a finite number >= 0');
  checkOption(where, 'distillation', distill, distill >= 0 && distill <= 1, 'in [0, 1]');
  const rng = createRandom(options.seed ?? 2025);

  const { params: master, names } = await readClassifier(pkg);
  const tensorOf = (key: WeightKey) => ({ data: master[key], shape: CLASSIFIER_PARAM_SHAPES[key] });
  const session = prepare(
    {
      weights: WEIGHT_KEYS.map((key) => ({
        name: names[key],
        opType: key === 'convW' ? 'conv' : 'linear',
        value: () => tensorOf(key),
      })),
    },
    { quantization: config, milestones: options.milestones ?? [0, 0, 1, -1], weightLearning: learning },
  );
  const quantizers = WEIGHT_KEYS.map((key) => {
    const fq = session.weights.get(names[key]);
    if (fq === undefined) {
      throw new QuantError(
        'CLI_USAGE',
        `${where}: the config leaves ${names[key]} in float (${session.skipped.get(names[key]) ?? 'no rule'}); ` +
          `the QAT row quantizes every layer weight (use minSize: 0)`,
      );
    }
    return fq;
  });

  const targets = distill > 0 ? teacherProbabilities(master, images, batch) : null;
  const ws = createClassifierWorkspace(batch);
  const grads = zeroClassifierParams();
  const adam = createAdam(WEIGHT_KEYS.map((k) => master[k]));
  const n = images.count;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const stepsPerEpoch = Math.floor(n / batch);
  const total = epochs * stepsPerEpoch;
  let firstLoss = NaN;
  let lastLoss = NaN;
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleOrder(order, rng.uniform);
    let loss = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const off = s * batch;
      session.step();
      const q = quantizers.map((fq, i) => fq.forward(tensorOf(WEIGHT_KEYS[i] as WeightKey)).data);
      const fake: ClassifierParams = { ...master, convW: q[0]!, fc1W: q[1]!, fc2W: q[2]! };
      classifierForward(ws, fake, images.data, order, batch, off);
      loss += softmaxCrossEntropy(ws, labels, order, batch, off);
      if (targets !== null) {
        // dlogits = (p - onehot) / batch; mixing the targets makes it (p - (1 - d) onehot - d p_float) / batch.
        for (let b = 0; b < batch; b++) {
          const img = order[off + b] as number;
          const y = labels[img] as number;
          for (let o = 0; o < CLASSES; o++) {
            const i = b * CLASSES + o;
            ws.dlogits[i] =
              (ws.dlogits[i] as number) +
              (distill * ((o === y ? 1 : 0) - (targets[img * CLASSES + o] as number))) / batch;
          }
        }
      }
      classifierBackward(ws, fake, grads, batch);
      const inputGrads = quantizers.map((fq, i) => {
        const key = WEIGHT_KEYS[i] as WeightKey;
        const g = fq.backward(grads[key], tensorOf(key));
        if (learning !== 'none') fq.applyGradients(g, scaleLr);
        return g.input;
      });
      adam.step(inputGrads, cosineLearningRate(lr, step, total));
      step++;
      options.onProgress?.(step, total);
    }
    const mean = loss / (stepsPerEpoch * batch);
    if (epoch === 0) firstLoss = mean;
    lastLoss = mean;
  }
  session.training = false;
  const { weights } = session.finalize();
  return { tensors: new Map(weights), steps: total, firstLoss, lastLoss };
}
