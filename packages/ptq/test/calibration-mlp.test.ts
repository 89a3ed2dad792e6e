import { describe, expect, test } from 'vitest';
import { dequantize, fakeQuantize, mse } from '@lowbit/kernels';
import { getPreset } from '@lowbit/spec';
import type { Tensor } from '@lowbit/kernels';
import type { ObserverKind } from '@lowbit/observers';
import { createCalibrator, quantizeWeights } from '../src/index.js';
import type { ActivationQParams } from '../src/index.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { createRandom } from './random.js';

const IN = 784;
const HID = 64;
const OUT = 10;

interface Mlp {
  w1: Float32Array; // [HID, IN]
  b1: Float32Array;
  w2: Float32Array; // [OUT, HID]
  b2: Float32Array;
}

/** Forward pass of a batch: hidden ReLU activations [n, HID] and logits [n, OUT]. */
function forward(m: Mlp, x: Float32Array, n: number): { hidden: Float32Array; logits: Float32Array } {
  const hidden = new Float32Array(n * HID);
  const logits = new Float32Array(n * OUT);
  for (let s = 0; s < n; s++) {
    for (let h = 0; h < HID; h++) {
      let acc = m.b1[h]!;
      for (let i = 0; i < IN; i++) acc += m.w1[h * IN + i]! * x[s * IN + i]!;
      hidden[s * HID + h] = acc > 0 ? acc : 0;
    }
    for (let o = 0; o < OUT; o++) {
      let acc = m.b2[o]!;
      for (let h = 0; h < HID; h++) acc += m.w2[o * HID + h]! * hidden[s * HID + h]!;
      logits[s * OUT + o] = acc;
    }
  }
  return { hidden, logits };
}

/** Plain minibatch SGD on softmax cross-entropy. */
function train(images: Float32Array, labels: Uint8Array, epochs: number): Mlp {
  const rng = createRandom(2024);
  const init = (n: number, fanIn: number) =>
    Float32Array.from({ length: n }, () => rng.normal() * Math.sqrt(2 / fanIn));
  const m: Mlp = {
    w1: init(HID * IN, IN),
    b1: new Float32Array(HID),
    w2: init(OUT * HID, HID),
    b2: new Float32Array(OUT),
  };
  const n = labels.length;
  const batch = 32;
  const lr = 0.05;
  const g1 = new Float32Array(HID * IN);
  const g2 = new Float32Array(OUT * HID);
  const gb1 = new Float32Array(HID);
  const gb2 = new Float32Array(OUT);
  for (let e = 0; e < epochs; e++) {
    for (let start = 0; start + batch <= n; start += batch) {
      g1.fill(0);
      g2.fill(0);
      gb1.fill(0);
      gb2.fill(0);
      const x = images.subarray(start * IN, (start + batch) * IN);
      const { hidden, logits } = forward(m, x, batch);
      for (let s = 0; s < batch; s++) {
        let max = -Infinity;
        for (let o = 0; o < OUT; o++) max = Math.max(max, logits[s * OUT + o]!);
        let z = 0;
        for (let o = 0; o < OUT; o++) z += Math.exp(logits[s * OUT + o]! - max);
        const dh = new Float32Array(HID);
        for (let o = 0; o < OUT; o++) {
          const d = Math.exp(logits[s * OUT + o]! - max) / z - (labels[start + s] === o ? 1 : 0);
          gb2[o] = gb2[o]! + d;
          for (let h = 0; h < HID; h++) {
            g2[o * HID + h] = g2[o * HID + h]! + d * hidden[s * HID + h]!;
            dh[h] = dh[h]! + d * m.w2[o * HID + h]!;
          }
        }
        for (let h = 0; h < HID; h++) {
          if (hidden[s * HID + h]! <= 0) continue;
          gb1[h] = gb1[h]! + dh[h]!;
          for (let i = 0; i < IN; i++) g1[h * IN + i] = g1[h * IN + i]! + dh[h]! * x[s * IN + i]!;
        }
      }
      const k = lr / batch;
      for (let i = 0; i < g1.length; i++) m.w1[i] = m.w1[i]! - k * g1[i]!;
      for (let i = 0; i < g2.length; i++) m.w2[i] = m.w2[i]! - k * g2[i]!;
      for (let i = 0; i < HID; i++) m.b1[i] = m.b1[i]! - k * gb1[i]!;
      for (let i = 0; i < OUT; i++) m.b2[i] = m.b2[i]! - k * gb2[i]!;
    }
  }
  return m;
}

function accuracy(logits: Float32Array, labels: Uint8Array): number {
  let ok = 0;
  for (let s = 0; s < labels.length; s++) {
    let best = 0;
    for (let o = 1; o < OUT; o++) if (logits[s * OUT + o]! > logits[s * OUT + best]!) best = o;
    if (best === labels[s]) ok++;
  }
  return ok / labels.length;
}

describe('activation calibration on a small Fashion-MNIST MLP', () => {
  const train3k = loadFashionMnist('train', 0, 3000);
  const model = train(train3k.images, train3k.labels, 2);
  const calib = loadFashionMnist('t10k', 0, 1000);
  const evalSet = loadFashionMnist('t10k', 1000, 1000);

  test('the trained float model is a real classifier', () => {
    const acc = accuracy(forward(model, evalSet.images, 1000).logits, evalSet.labels);
    console.log(`float accuracy on 1000 held-out images: ${(acc * 100).toFixed(1)}%`);
    expect(acc).toBeGreaterThan(0.7);
  });

  /** Calibrates every observer kind on 10 batches of 100 images and measures the fc1 activation error on held-out images. */
  function measure(withOutliers: boolean): { err: Record<string, number>; ranges: Record<string, ActivationQParams> } {
    const kinds: ObserverKind[] = ['minmax', 'percentile', 'mse', 'entropy', 'moving_average'];
    const calibrators = new Map(kinds.map((k) => [k, createCalibrator({ observer: k })]));
    for (let b = 0; b < 10; b++) {
      const x = calib.images.slice(b * 100 * IN, (b + 1) * 100 * IN);
      if (withOutliers && b === 4) for (let i = 0; i < 3 * IN; i++) x[i] = x[i]! * 6;
      const { hidden, logits } = forward(model, x, 100);
      for (const c of calibrators.values()) {
        c.observe('fc1.relu', { data: hidden, shape: [100, HID] });
        c.observe('fc2.out', { data: logits, shape: [100, OUT] });
      }
    }
    const { hidden } = forward(model, evalSet.images, 1000);
    const act: Tensor = { data: hidden, shape: [1000, HID] };
    const err: Record<string, number> = {};
    const ranges: Record<string, ActivationQParams> = {};
    for (const [k, c] of calibrators) {
      const p = c.finalize()['fc1.relu']!;
      ranges[k] = p;
      const fq = fakeQuantize(act, p.spec, { qparams: { ...p.qparams, blockShape: act.shape } });
      err[k] = mse(act.data, fq.data);
    }
    console.log(
      `fc1.relu int8 activation MSE on held-out images (${withOutliers ? 'with' : 'without'} outliers):`,
      Object.entries(err)
        .map(([k, v]) => `${k} ${v.toExponential(3)} (range ${ranges[k]!.range.map((r) => r.toFixed(2)).join('..')})`)
        .join('; '),
    );
    return { err, ranges };
  }

  test('percentile and mse ranges give lower activation error than min-max when outliers are present', () => {
    // One calibration batch also holds 3 over-exposed images (pixels x 6), the kind of stray input a calibration
    // set picks up; they produce outlier activations that stretch the min-max range.
    const { err } = measure(true);
    expect(err['percentile']!).toBeLessThan(0.5 * err['minmax']!);
    expect(err['mse']!).toBeLessThan(0.9 * err['minmax']!);
    expect(err['entropy']!).toBeLessThan(err['minmax']!);
  });

  test('on clean calibration data mse is never worse than min-max', () => {
    const { err } = measure(false);
    expect(err['mse']!).toBeLessThanOrEqual(err['minmax']!);
  });

  test('W8A8 end to end: quantizeWeights + calibrated activations keep the accuracy', async () => {
    const cfg = { ...getPreset('w8a8'), minSize: 0 };
    const { tensors, report } = await quantizeWeights(
      [
        { name: 'fc1.weight', opType: 'linear', tensor: { data: model.w1, shape: [HID, IN] } },
        { name: 'fc2.weight', opType: 'linear', tensor: { data: model.w2, shape: [OUT, HID] } },
      ],
      cfg,
    );
    expect(report.totals.quantized).toBe(2);
    const q: Mlp = {
      ...model,
      w1: dequantize(tensors[0]!.quantized).data,
      w2: dequantize(tensors[1]!.quantized).data,
    };
    const cal = createCalibrator({ spec: cfg.activation!, observer: 'percentile' });
    for (let b = 0; b < 10; b++) {
      cal.observe('fc1.relu', {
        data: forward(q, calib.images.subarray(b * 100 * IN, (b + 1) * 100 * IN), 100).hidden,
        shape: [100, HID],
      });
    }
    const p = cal.finalize()['fc1.relu']!;
    const { hidden } = forward(q, evalSet.images, 1000);
    const hq = fakeQuantize({ data: hidden, shape: [1000, HID] }, p.spec, {
      qparams: { ...p.qparams, blockShape: [1000, HID] },
    }).data;
    const logits = new Float32Array(1000 * OUT);
    for (let s = 0; s < 1000; s++) {
      for (let o = 0; o < OUT; o++) {
        let acc = q.b2[o]!;
        for (let h = 0; h < HID; h++) acc += q.w2[o * HID + h]! * hq[s * HID + h]!;
        logits[s * OUT + o] = acc;
      }
    }
    const floatAcc = accuracy(forward(model, evalSet.images, 1000).logits, evalSet.labels);
    const quantAcc = accuracy(logits, evalSet.labels);
    console.log(
      `W8A8 accuracy ${(quantAcc * 100).toFixed(1)}% vs float ${(floatAcc * 100).toFixed(1)}%; weight SQNR ${report.tensors.map((r) => r.sqnrDb!.toFixed(1)).join(' / ')} dB, ${report.totals.bytesBefore} -> ${report.totals.bytesAfter} bytes`,
    );
    expect(Math.abs(quantAcc - floatAcc)).toBeLessThanOrEqual(0.01);
  });
});
