import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, test } from 'vitest';
import { dequantize, quantize, unpackCodes } from '@lowbit/kernels';
import { getPreset } from '@lowbit/spec';
import type { QuantizationConfig } from '@lowbit/spec';
import { prepareLayersModel } from '../src/tfjs/index.js';
import { loadFashionMnist } from './helpers/fashion-mnist.js';
import { createRandom, sample } from './helpers/random.js';
import { rhe } from './helpers/reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const W4: QuantizationConfig = { version: 1, global: getPreset('w4').global!, minSize: 0 };

/** [rows, cols] -> [cols, rows] (test-side transpose). */
function transpose(data: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return out;
}

function denseModel(inputs: number, units: number, seed: number): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(
    tfl.layers.dense({
      inputShape: [inputs],
      units,
      useBias: false,
      kernelInitializer: tfl.initializers.glorotNormal({ seed }),
    }),
  );
  return model;
}

describe('Dense kernels as custom-gradient fake-quant ops', () => {
  test('forward uses the fake-quantized kernel; the kernel gradient is the STE-masked x^T dy', () => {
    const model = denseModel(12, 5, 1);
    const session = prepareLayersModel(model, { quantization: W4 });
    const rnd = createRandom(3);
    const x = tf.tensor2d(
      sample(4 * 12, () => rnd.normal()),
      [4, 12],
    );
    const r = tf.tensor2d(
      sample(4 * 5, () => rnd.normal()),
      [4, 5],
    );
    const kernelVar = model.layers[0]!.trainableWeights[0]!.read() as tf.Variable;
    const kernel = kernelVar.dataSync(); // [12, 5]
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x) as tf.Tensor, r)) as tf.Scalar);
    const fq = session.core.weights.get(`${model.layers[0]!.name}/kernel`)!;
    const qp = fq.qparams()!;
    // reference: fake-quantized kernel in [out, in] by hand, with the session's scales (per output unit)
    const kq = new Float32Array(12 * 5);
    const mask = new Float32Array(12 * 5);
    for (let i = 0; i < 12; i++) {
      for (let o = 0; o < 5; o++) {
        const s = qp.scales[o]!;
        const q = rhe(kernel[i * 5 + o]! / s); // the max |w| of a unit sits exactly at a tie (7.5 steps)
        kq[i * 5 + o] = Math.fround(Math.min(7, Math.max(-8, q)) * s);
        mask[i * 5 + o] = q >= -8 && q <= 7 ? 1 : 0;
      }
    }
    const xd = x.dataSync();
    const rd = r.dataSync();
    let expectedValue = 0;
    const expectedGrad = new Float32Array(12 * 5);
    for (let n = 0; n < 4; n++) {
      for (let o = 0; o < 5; o++) {
        let y = 0;
        for (let i = 0; i < 12; i++) y += xd[n * 12 + i]! * kq[i * 5 + o]!;
        expectedValue += y * rd[n * 5 + o]!;
        for (let i = 0; i < 12; i++)
          expectedGrad[i * 5 + o] = expectedGrad[i * 5 + o]! + xd[n * 12 + i]! * rd[n * 5 + o]! * mask[i * 5 + o]!;
      }
    }
    expect(value.dataSync()[0]).toBeCloseTo(expectedValue, 3);
    const g = grads[kernelVar.name]!.dataSync();
    for (let k = 0; k < g.length; k++) expect(g[k]).toBeCloseTo(expectedGrad[k]!, 4);
    // a unit whose max |w| is positive puts it at +7.5 steps, which rounds to 8: outside int4, gradient 0
    expect([...mask].filter((m) => m === 0).length).toBeGreaterThan(0);
    session.dispose();
  });

  test('dispose restores the float layer', () => {
    const model = denseModel(8, 3, 2);
    const x = tf.ones([2, 8]);
    const before = (model.predict(x) as tf.Tensor).dataSync().slice();
    const session = prepareLayersModel(model, { quantization: W4 });
    const during = (model.predict(x) as tf.Tensor).dataSync().slice();
    session.dispose();
    const after = (model.predict(x) as tf.Tensor).dataSync().slice();
    expect(after).toEqual(before);
    expect(during).not.toEqual(before);
  });
});

describe('Conv2D kernels', () => {
  test('finalize exports [out, in, kh, kw] codes equal to kernels quantize of the permuted kernel', () => {
    const model = tfl.sequential();
    model.add(
      tfl.layers.conv2d({
        inputShape: [6, 6, 3],
        filters: 4,
        kernelSize: 3,
        useBias: false,
        kernelInitializer: tfl.initializers.glorotNormal({ seed: 4 }),
      }),
    );
    const session = prepareLayersModel(model, {
      quantization: { ...W4, global: { ...W4.global!, granularity: { type: 'per_block', blockSize: 3 } } },
      weightLearning: 'lsq',
    });
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 5);
    const optimizer = tf.train.sgd(0.01);
    for (let i = 0; i < 3; i++) {
      session.step();
      optimizer.minimize(() => tf.mean(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar, false, [
        ...model.trainableWeights.map((w) => w.read() as tf.Variable),
        ...session.variables,
      ]);
    }
    const result = session.finalize();
    const q = result.weights.get(`${model.layers[0]!.name}/kernel`)!;
    expect(q.shape).toEqual([4, 3, 3, 3]);
    expect(q.blockShape).toEqual([1, 3, 3, 3]);
    const k = model.layers[0]!.getWeights()[0]!; // [kh, kw, in, out]
    const kd = k.dataSync();
    const permuted = new Float32Array(4 * 3 * 3 * 3);
    for (let h = 0; h < 3; h++)
      for (let w = 0; w < 3; w++)
        for (let c = 0; c < 3; c++)
          for (let o = 0; o < 4; o++) permuted[((o * 3 + c) * 3 + h) * 3 + w] = kd[((h * 3 + w) * 3 + c) * 4 + o]!;
    const scales = session.variables[0]!.dataSync() as Float32Array;
    const reference = quantize({ data: permuted, shape: [4, 3, 3, 3] }, q.spec, {
      opKind: 'conv',
      qparams: { blockShape: q.blockShape, scales: Float32Array.from(scales) },
    });
    expect(unpackCodes(q)).toEqual(unpackCodes(reference));
    // the model output in eval mode equals a conv with the exported (dequantized) kernel
    session.training = false;
    const y = (model.predict(x) as tf.Tensor).dataSync();
    const deq = dequantize(q).data;
    const back = new Float32Array(deq.length);
    for (let h = 0; h < 3; h++)
      for (let w = 0; w < 3; w++)
        for (let c = 0; c < 3; c++)
          for (let o = 0; o < 4; o++) back[((h * 3 + w) * 3 + c) * 4 + o] = deq[((o * 3 + c) * 3 + h) * 3 + w]!;
    const yRef = tf.conv2d(x as tf.Tensor4D, tf.tensor4d(back, [3, 3, 3, 4]), 1, 'valid').dataSync();
    for (let i = 0; i < y.length; i++) expect(y[i]).toBeCloseTo(yRef[i]!, 4);
    session.dispose();
  });
});

describe('batch-norm freeze milestone', () => {
  test('moving statistics update until the freeze milestone, then stay', () => {
    const model = tfl.sequential();
    model.add(
      tfl.layers.dense({ inputShape: [4], units: 3, kernelInitializer: tfl.initializers.glorotNormal({ seed: 6 }) }),
    );
    model.add(tfl.layers.batchNormalization({ momentum: 0.5 }));
    const session = prepareLayersModel(model, { quantization: W4, milestones: [0, 0, -1, 2] });
    const movingMean = (): Float32Array => model.layers[1]!.getWeights()[2]!.dataSync() as Float32Array;
    const rnd = createRandom(8);
    const batch = (): tf.Tensor =>
      tf.tensor2d(
        sample(16 * 4, () => rnd.normal() * 3 + 1),
        [16, 4],
      );
    const means: Float32Array[] = [movingMean().slice()];
    for (let i = 0; i < 4; i++) {
      session.step();
      model.apply(batch(), { training: true });
      means.push(movingMean().slice());
    }
    expect(session.state.batchNormFrozen).toBe(true);
    expect(means[1]).not.toEqual(means[0]);
    expect(means[2]).not.toEqual(means[1]);
    expect(means[3]).toEqual(means[2]); // third step applied milestone 2: frozen
    expect(means[4]).toEqual(means[2]);
    session.dispose();
  });
});

describe('Fashion-MNIST with tfjs (784-4-10 Dense model, cpu backend)', () => {
  test('int4 per-channel LSQ fine-tuning with the user optimizer beats RTN; export matches the trained model', () => {
    const train = loadFashionMnist('train', 3000);
    const test = loadFashionMnist('t10k', 1000);
    const xs = tf.tensor2d(train.images, [train.count, 784]);
    const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10);
    const xt = tf.tensor2d(test.images, [test.count, 784]);
    const model = tfl.sequential();
    model.add(
      tfl.layers.dense({
        inputShape: [784],
        units: 4,
        activation: 'relu',
        kernelInitializer: tfl.initializers.heNormal({ seed: 1 }),
      }),
    );
    model.add(tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.heNormal({ seed: 2 }) }));
    const acc = (): number =>
      tf.tidy(() => {
        const pred = tf.argMax(model.predict(xt) as tf.Tensor, 1).dataSync();
        let ok = 0;
        for (let i = 0; i < test.count; i++) if (pred[i] === test.labels[i]) ok++;
        return ok / test.count;
      });
    const vars = (): tf.Variable[] => model.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = (x: tf.Tensor, y: tf.Tensor) => () =>
      tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar;
    const trainSteps = (steps: number, optimizer: tf.Optimizer, extra: () => tf.Variable[], before?: () => void) => {
      for (let s = 0; s < steps; s++) {
        before?.();
        const start = (s * 64) % (train.count - 64);
        tf.tidy(() => {
          optimizer.minimize(loss(tf.slice(xs, [start, 0], [64, 784]), tf.slice(ys, [start, 0], [64, 10])), false, [
            ...vars(),
            ...extra(),
          ]);
        });
      }
    };
    trainSteps(600, tf.train.adam(3e-3), () => []);
    const floatAcc = acc();
    const floatWeights = model.getWeights().map((w) => w.clone());
    // RTN: quantize each kernel (lowbit layout) with kernels' quantize and put the dequantized values back
    const rtnWeights = floatWeights.map((w, i) => {
      if (i % 2 === 1) return w;
      const [inDim, outDim] = w.shape as [number, number];
      const q = quantize({ data: transpose(w.dataSync(), inDim, outDim), shape: [outDim, inDim] }, W4.global!, {
        opKind: 'linear',
      });
      return tf.tensor2d(transpose(dequantize(q).data, outDim, inDim), [inDim, outDim]);
    });
    model.setWeights(rtnWeights);
    const rtnAcc = acc();
    model.setWeights(floatWeights);
    const session = prepareLayersModel(model, { quantization: W4, weightLearning: 'lsq', milestones: [0, 0, 1, -1] });
    trainSteps(
      200,
      tf.train.adam(5e-4),
      () => [...session.variables],
      () => session.step(),
    );
    session.training = false;
    const qatAcc = acc();
    const result = session.finalize();
    session.dispose();
    // export: the dequantized QuantizedTensors in the float model give the QAT accuracy
    const exported = model.getWeights().map((w, i) => {
      if (i % 2 === 1) return w;
      const q = result.weights.get(`${model.layers[i / 2]!.name}/kernel`)!;
      const [outDim, inDim] = q.shape as [number, number];
      return tf.tensor2d(transpose(dequantize(q).data, outDim, inDim), [inDim, outDim]);
    });
    model.setWeights(exported);
    const exportedAcc = acc();
    console.log(
      `tfjs 784-4-10: float ${(100 * floatAcc).toFixed(2)} / RTN ${(100 * rtnAcc).toFixed(2)} / QAT ${(100 * qatAcc).toFixed(2)} / exported ${(100 * exportedAcc).toFixed(2)}`,
    );
    expect(qatAcc).toBeGreaterThan(rtnAcc);
    expect(exportedAcc).toBeCloseTo(qatAcc, 2);
  });
});
