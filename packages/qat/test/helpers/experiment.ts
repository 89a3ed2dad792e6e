/**
 * The end-to-end experiment of the QAT test: train a small float MLP on a Fashion-MNIST subset, measure float,
 * RTN (kernels fakeQuantize with chooseQParams) and QAT (a @lowbit/qat session) accuracy on held-out images.
 */
import { dequantize, fakeQuantize } from '@lowbit/kernels';
import type { Tensor } from '@lowbit/kernels';
import { resolveTensorSpec } from '@lowbit/spec';
import type { QuantizationConfig } from '@lowbit/spec';
import { prepare } from '../../src/index.js';
import type { QatConfig, QatResult, ScaleLearning } from '../../src/index.js';
import { loadFashionMnist } from './fashion-mnist.js';
import type { Split } from './fashion-mnist.js';
import { accuracy, backward, createAdam, createMlp, forward, gather, shuffled } from './mlp.js';
import type { ActivationHook, Mlp } from './mlp.js';

export interface ExperimentOptions {
  readonly hidden: number;
  readonly trainCount: number;
  readonly testCount: number;
  readonly floatEpochs: number;
  readonly qatSteps: number;
  readonly batch: number;
  readonly quantization: QuantizationConfig;
  readonly learning: ScaleLearning;
  readonly qatLearningRate: number;
  readonly scaleLearningRate: number;
  readonly milestones: QatConfig['milestones'];
}

export interface ExperimentResult {
  readonly float: number;
  /** The float model fine-tuned for the same steps without quantization (is QAT's gain just more training?). */
  readonly floatFineTuned: number;
  readonly rtn: number;
  readonly qat: number;
  /** Accuracy of the model rebuilt from finalize()'s QuantizedTensors (dequantized). */
  readonly exported: number;
  readonly result: QatResult;
  /** The float weights after QAT (what finalize() quantized). */
  readonly finalWeights: ReadonlyMap<string, Tensor>;
}

let cache: { train: Split; test: Split } | null = null;

/** An independent copy of a model's parameters. */
function cloneMlp(base: Mlp): Mlp {
  return { hidden: base.hidden, w1: base.w1.slice(), b1: base.b1.slice(), w2: base.w2.slice(), b2: base.b2.slice() };
}

/** One Adam optimizer per parameter tensor, in the order w1, b1, w2, b2. */
function adamPerParameter(m: Mlp, learningRate: number): ReturnType<typeof createAdam>[] {
  return [m.w1, m.b1, m.w2, m.b2].map((p) => createAdam(p.length, learningRate));
}

function data(trainCount: number, testCount: number): { train: Split; test: Split } {
  if (cache === null || cache.train.count < trainCount || cache.test.count < testCount) {
    cache = { train: loadFashionMnist('train', trainCount), test: loadFashionMnist('t10k', testCount) };
  }
  return cache;
}

function evaluate(
  m: Mlp,
  w1: Float32Array,
  w2: Float32Array,
  test: Split,
  count: number,
  hook?: ActivationHook,
): number {
  const pass = forward(test.images.subarray(0, count * 784), count, m.hidden, w1, m.b1, w2, m.b2, hook);
  return accuracy(pass.logits, test.labels, count);
}

/** Trains a float model once per (hidden, trainCount, epochs); reused across experiments. */
const floatModels = new Map<string, Mlp>();

function trainFloat(o: ExperimentOptions, train: Split): Mlp {
  const key = `${o.hidden}/${o.trainCount}/${o.floatEpochs}/${o.batch}`;
  const cached = floatModels.get(key);
  if (cached) return cached;
  const m = createMlp(o.hidden, 1);
  const opt = adamPerParameter(m, 2e-3);
  const steps = Math.ceil((o.floatEpochs * o.trainCount) / o.batch);
  const order = shuffled(o.trainCount, 2);
  for (let s = 0; s < steps; s++) {
    const { x, y } = gather(train.images, train.labels, order, s * o.batch, o.batch);
    const pass = forward(x, o.batch, o.hidden, m.w1, m.b1, m.w2, m.b2);
    const g = backward(x, y, o.batch, o.hidden, m.w2, pass);
    opt[0]!(m.w1, g.w1);
    opt[1]!(m.b1, g.b1);
    opt[2]!(m.w2, g.w2);
    opt[3]!(m.b2, g.b2);
  }
  floatModels.set(key, m);
  return m;
}

export function runExperiment(o: ExperimentOptions): ExperimentResult {
  const { train, test } = data(o.trainCount, o.testCount);
  const base = trainFloat(o, train);
  const float = evaluate(base, base.w1, base.w2, test, o.testCount);
  const shape1 = [o.hidden, 784];
  const shape2 = [10, o.hidden];
  const spec1 = resolveTensorSpec(o.quantization, { name: 'fc1', opType: 'linear', shape: shape1 }).spec!;
  const spec2 = resolveTensorSpec(o.quantization, { name: 'fc2', opType: 'linear', shape: shape2 }).spec!;
  const rtn1 = fakeQuantize({ data: base.w1, shape: shape1 }, spec1, { opKind: 'linear' }).data;
  const rtn2 = fakeQuantize({ data: base.w2, shape: shape2 }, spec2, { opKind: 'linear' }).data;
  const actSpec = o.quantization.activation ?? null;
  const rtnHook: ActivationHook | undefined = actSpec
    ? {
        forward: (h, batch) => fakeQuantize({ data: h, shape: [batch, o.hidden] }, actSpec).data,
        backward: (dh) => dh,
      }
    : undefined;
  const rtn = evaluate(base, rtn1, rtn2, test, o.testCount, rtnHook);

  const floatFineTuned = fineTuneFloat(o, base, train, test);
  // QAT fine-tuning from the float model.
  const m = cloneMlp(base);
  const session = prepare(
    {
      weights: [
        { name: 'fc1', opType: 'linear', value: () => ({ data: m.w1, shape: shape1 }) },
        { name: 'fc2', opType: 'linear', value: () => ({ data: m.w2, shape: shape2 }) },
      ],
      activations: actSpec ? [{ name: 'fc2/input' }] : [],
    },
    {
      quantization: o.quantization,
      milestones: o.milestones ?? null,
      weightLearning: o.learning,
      activationLearning: o.learning === 'lsq_plus' ? 'lsq' : o.learning,
    },
  );
  const fq1 = session.weights.get('fc1')!;
  const fq2 = session.weights.get('fc2')!;
  const act = session.activations.get('fc2/input');
  const hook: ActivationHook | undefined = act
    ? {
        forward: (h, batch) => act.forward({ data: h, shape: [batch, o.hidden] }).data,
        backward: (dh, h, batch) => {
          const g = act.backward(dh, { data: h, shape: [batch, o.hidden] });
          act.applyGradients(g, o.scaleLearningRate);
          return g.input;
        },
      }
    : undefined;
  const opt = adamPerParameter(m, o.qatLearningRate);
  const order = shuffled(o.trainCount, 3);
  for (let s = 0; s < o.qatSteps; s++) {
    session.step();
    const { x, y } = gather(train.images, train.labels, order, s * o.batch, o.batch);
    const t1 = { data: m.w1, shape: shape1 };
    const t2 = { data: m.w2, shape: shape2 };
    const q1 = fq1.forward(t1).data;
    const q2 = fq2.forward(t2).data;
    const pass = forward(x, o.batch, o.hidden, q1, m.b1, q2, m.b2, hook);
    const g = backward(x, y, o.batch, o.hidden, q2, pass, hook);
    const g1 = fq1.backward(g.w1, t1);
    const g2 = fq2.backward(g.w2, t2);
    fq1.applyGradients(g1, o.scaleLearningRate);
    fq2.applyGradients(g2, o.scaleLearningRate);
    opt[0]!(m.w1, g1.input);
    opt[1]!(m.b1, g.b1);
    opt[2]!(m.w2, g2.input);
    opt[3]!(m.b2, g.b2);
  }
  session.training = false;
  const q1 = fq1.forward({ data: m.w1, shape: shape1 }).data;
  const q2 = fq2.forward({ data: m.w2, shape: shape2 }).data;
  const qat = evaluate(m, q1, q2, test, o.testCount, hook && { forward: hook.forward, backward: (d) => d });
  const result = session.finalize();
  const e1 = dequantize(result.weights.get('fc1')!).data;
  const e2 = dequantize(result.weights.get('fc2')!).data;
  const exported = evaluate(m, e1, e2, test, o.testCount, hook && { forward: hook.forward, backward: (d) => d });
  const finalWeights = new Map<string, Tensor>([
    ['fc1', { data: m.w1, shape: shape1 }],
    ['fc2', { data: m.w2, shape: shape2 }],
  ]);
  return { float, floatFineTuned, rtn, qat, exported, result, finalWeights };
}

function fineTuneFloat(o: ExperimentOptions, base: Mlp, train: Split, test: Split): number {
  const m = cloneMlp(base);
  const opt = adamPerParameter(m, o.qatLearningRate);
  const order = shuffled(o.trainCount, 3);
  for (let s = 0; s < o.qatSteps; s++) {
    const { x, y } = gather(train.images, train.labels, order, s * o.batch, o.batch);
    const pass = forward(x, o.batch, o.hidden, m.w1, m.b1, m.w2, m.b2);
    const g = backward(x, y, o.batch, o.hidden, m.w2, pass);
    opt[0]!(m.w1, g.w1);
    opt[1]!(m.b1, g.b1);
    opt[2]!(m.w2, g.w2);
    opt[3]!(m.b2, g.b2);
  }
  return evaluate(m, m.w1, m.w2, test, o.testCount);
}
