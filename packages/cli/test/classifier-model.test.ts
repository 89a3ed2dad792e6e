import { join } from 'node:path';
import fc from 'fast-check';
import { isQuantError } from '@lowbit/dtypes';
import { createProgramBuilder, readMlPackage } from '@lowbit/io-mlpackage';
import { loadProgram, readIdxDataset, runProgram } from '@lowbit/mil-eval';
import { getPreset } from '@lowbit/spec';
import { describe, expect, test } from 'vitest';
import {
  classifierBackward,
  classifierForward,
  classifierParamList,
  cosineLearningRate,
  createAdam,
  createClassifierWorkspace,
  initClassifierParams,
  shuffleOrder,
  softmaxCrossEntropy,
  zeroClassifierParams,
} from '../src/demo/classifier-model.js';
import type { ClassifierParams } from '../src/demo/classifier-model.js';
import { DEMO_MODEL, findDemoData } from '../src/demo/demo-data.js';
import { qatFineTuneClassifier } from '../src/demo/qat-finetune.js';
import { createRandom } from '../src/seeded-random.js';

const KEYS = ['convW', 'convB', 'fc1W', 'fc1B', 'fc2W', 'fc2B'] as const;

function randomImages(n: number, seed: number): { pixels: Uint8Array; labels: Uint8Array; index: Int32Array } {
  const rng = createRandom(seed);
  const pixels = Uint8Array.from({ length: n * 784 }, () => Math.floor(rng.uniform() * 256));
  const labels = Uint8Array.from({ length: n }, () => Math.floor(rng.uniform() * 10));
  return { pixels, labels, index: Int32Array.from({ length: n }, (_, i) => i) };
}

/** What the float64 reference computes: the mean loss, and how close each ReLU's input came to its kink. */
interface ReferenceResult {
  readonly loss: number;
  /** Per conv channel, the smallest |pre-activation| over every image and position. */
  readonly convMargin: Float64Array;
  /** Per hidden unit, the smallest |pre-activation| over every image. */
  readonly hiddenMargin: Float64Array;
}

/**
 * Mean softmax cross-entropy of the classifier, written independently of the module in float64 (straight loops
 * over the architecture: normalise, conv 3x3 stride 2 pad 1 + relu, linear + relu, linear).
 */
function referenceForward(p: ClassifierParams, data: ReturnType<typeof randomImages>, n: number): ReferenceResult {
  let total = 0;
  const convMargin = new Float64Array(8).fill(Infinity);
  const hiddenMargin = new Float64Array(64).fill(Infinity);
  for (let b = 0; b < n; b++) {
    const x = (iy: number, ix: number): number =>
      iy < 0 || iy > 27 || ix < 0 || ix > 27 ? 0 : (data.pixels[b * 784 + iy * 28 + ix]! / 255 - 0.286) / 0.353;
    const feat: number[] = [];
    for (let c = 0; c < 8; c++)
      for (let oy = 0; oy < 14; oy++)
        for (let ox = 0; ox < 14; ox++) {
          let s = p.convB[c]!;
          for (let k = 0; k < 9; k++)
            s += p.convW[c * 9 + k]! * x(2 * oy - 1 + Math.floor(k / 3), 2 * ox - 1 + (k % 3));
          convMargin[c] = Math.min(convMargin[c]!, Math.abs(s));
          feat.push(Math.max(0, s));
        }
    const hidden = Array.from({ length: 64 }, (_, o) => {
      const s = feat.reduce((a, v, k) => a + p.fc1W[o * 1568 + k]! * v, p.fc1B[o]!);
      hiddenMargin[o] = Math.min(hiddenMargin[o]!, Math.abs(s));
      return Math.max(0, s);
    });
    const logits = Array.from({ length: 10 }, (_, o) =>
      hidden.reduce((a, v, k) => a + p.fc2W[o * 64 + k]! * v, p.fc2B[o]!),
    );
    const mx = Math.max(...logits);
    const lse = mx + Math.log(logits.reduce((a, v) => a + Math.exp(v - mx), 0));
    total += lse - logits[data.labels[b]!]!;
  }
  return { loss: total / n, convMargin, hiddenMargin };
}

/**
 * Whether the loss is smooth in parameter `key[i]` at the scale of the check: every ReLU the parameter feeds
 * must sit further than `margin` from its kink. Closer than that, float32 rounding in the module (about 1e-6
 * here) or the finite-difference step can land on the other side of the kink, and no derivative is defined.
 */
function smoothAt(key: (typeof KEYS)[number], i: number, ref: ReferenceResult, margin: number): boolean {
  const hiddenSmooth = (o?: number): boolean =>
    o === undefined ? ref.hiddenMargin.every((m) => m > margin) : ref.hiddenMargin[o]! > margin;
  switch (key) {
    case 'convW':
      return ref.convMargin[Math.floor(i / 9)]! > margin && hiddenSmooth();
    case 'convB':
      return ref.convMargin[i]! > margin && hiddenSmooth();
    case 'fc1W':
      return hiddenSmooth(Math.floor(i / 1568));
    case 'fc1B':
      return hiddenSmooth(i);
    default:
      return true;
  }
}

/** The parameters as float64 copies (so finite differences are not rounded to float32). */
function float64Params(p: ClassifierParams): ClassifierParams {
  const copy = (a: Float32Array) => Float64Array.from(a) as unknown as Float32Array;
  return {
    convW: copy(p.convW),
    convB: copy(p.convB),
    fc1W: copy(p.fc1W),
    fc1B: copy(p.fc1B),
    fc2W: copy(p.fc2W),
    fc2B: copy(p.fc2B),
  };
}

describe('classifier model', () => {
  test('the forward pass gives the probabilities the reference evaluator computes from the bundled package', async () => {
    const dir = findDemoData();
    const pkg = await readMlPackage(join(dir, DEMO_MODEL));
    const test = await readIdxDataset(dir, 't10k');
    const n = 64;
    // the evaluator's view of the weights and biases, by op
    const program = await loadProgram(pkg);
    const byOp: Record<string, { weight: Float32Array; bias: Float32Array }> = {};
    const out = runProgram(
      program,
      { image: { data: Float32Array.from(test.images.data.subarray(0, n * 784)), shape: [n, 1, 28, 28] } },
      {
        onOp: (e) => {
          if (e.inputs.weight !== undefined && e.inputs.bias !== undefined)
            byOp[e.name] = { weight: e.inputs.weight.data, bias: e.inputs.bias.data };
        },
      },
    );
    const probs = Object.values(out)[0]!.data;
    const p: ClassifierParams = {
      convW: byOp.conv1!.weight,
      convB: byOp.conv1!.bias,
      fc1W: byOp.fc1!.weight,
      fc1B: byOp.fc1!.bias,
      fc2W: byOp.fc2!.weight,
      fc2B: byOp.fc2!.bias,
    };
    const ws = createClassifierWorkspace(n);
    classifierForward(
      ws,
      p,
      test.images.data,
      Int32Array.from({ length: n }, (_, i) => i),
      n,
      0,
    );
    let maxDiff = 0;
    for (let b = 0; b < n; b++) {
      const row = ws.logits.subarray(b * 10, b * 10 + 10);
      const mx = Math.max(...row);
      const sum = row.reduce((a, v) => a + Math.exp(v - mx), 0);
      for (let o = 0; o < 10; o++)
        maxDiff = Math.max(maxDiff, Math.abs(Math.exp(row[o]! - mx) / sum - probs[b * 10 + o]!));
    }
    expect(maxDiff).toBeLessThan(1e-4);
  });

  test('forward and backward agree with an independent float64 reference (loss, and its central differences)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), (seed) => {
        const rng = createRandom(seed);
        const p = initClassifierParams(() => rng.normal());
        for (const b of [p.convB, p.fc1B, p.fc2B]) for (let i = 0; i < b.length; i++) b[i] = 0.1 * rng.normal();
        const n = 3;
        const data = randomImages(n, seed + 1);
        const ws = createClassifierWorkspace(n);
        classifierForward(ws, p, data.pixels, data.index, n, 0);
        const loss = softmaxCrossEntropy(ws, data.labels, data.index, n, 0) / n;
        const grads = zeroClassifierParams();
        classifierBackward(ws, p, grads, n);
        const ref = float64Params(p);
        const at = referenceForward(ref, data, n);
        expect(Math.abs(loss - at.loss)).toBeLessThan(1e-4 * (1 + Math.abs(loss)));
        let checked = 0;
        for (const key of KEYS) {
          // the coordinate with the largest gradient and one random coordinate of every parameter array
          const g = grads[key];
          let big = 0;
          for (let i = 1; i < g.length; i++) if (Math.abs(g[i]!) > Math.abs(g[big]!)) big = i;
          for (const i of [big, Math.floor(rng.uniform() * g.length)]) {
            if (!smoothAt(key, i, at, 1e-4)) continue;
            checked++;
            const h = 1e-6;
            const w = ref[key];
            const keep = w[i]!;
            w[i] = keep + h;
            const up = referenceForward(ref, data, n).loss;
            w[i] = keep - h;
            const down = referenceForward(ref, data, n).loss;
            w[i] = keep;
            const numeric = (up - down) / (2 * h);
            expect(Math.abs(numeric - g[i]!)).toBeLessThan(1e-4 + 1e-3 * Math.abs(numeric));
          }
        }
        // a kink near a ReLU excuses a few coordinates, never most of them
        expect(checked).toBeGreaterThanOrEqual(8);
      }),
      // 999993 puts a conv pre-activation within float32 rounding of its kink (it failed CI once)
      { numRuns: 4, examples: [[999993]] },
    );
  });

  test('Adam: the first step moves each weight by lr * g / (|g| + eps), the second follows the moment formulas', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: 1, maxLength: 8, noDefaultInfinity: true, noNaN: true, min: -10, max: 10 }),
        fc.float32Array({ minLength: 8, maxLength: 8, noDefaultInfinity: true, noNaN: true, min: -10, max: 10 }),
        (g1, g2) => {
          const w = new Float32Array(g1.length).fill(1);
          const adam = createAdam([w]);
          adam.step([g1], 0.01);
          const expected1 = Array.from(g1, (g) => 1 - (0.01 * g) / (Math.abs(g) + 1e-8));
          for (let i = 0; i < w.length; i++) expect(w[i]).toBeCloseTo(expected1[i]!, 5);
          const g2s = g2.subarray(0, g1.length);
          adam.step([g2s], 0.01);
          expect(adam.steps).toBe(2);
          for (let i = 0; i < w.length; i++) {
            const m = (0.9 * 0.1 * g1[i]! + 0.1 * g2s[i]!) / (1 - 0.9 ** 2);
            const v = (0.999 * 0.001 * g1[i]! ** 2 + 0.001 * g2s[i]! ** 2) / (1 - 0.999 ** 2);
            expect(w[i]).toBeCloseTo(expected1[i]! - (0.01 * m) / (Math.sqrt(v) + 1e-8), 4);
          }
        },
      ),
    );
  });

  test('parameters list in a fixed order and He initialisation draws in that order', () => {
    let k = 0;
    const p = initClassifierParams(() => ++k);
    const list = classifierParamList(p);
    expect(list.map((a) => a.length)).toEqual([72, 8, 100352, 64, 640, 10]);
    expect(p.convW[0]).toBeCloseTo(Math.sqrt(2 / 9), 6); // first draw
    expect(p.fc1W[0]).toBeCloseTo(73 * Math.sqrt(2 / 1568), 3); // draw 73, after the 72 conv weights
    expect(p.fc2W[0]).toBeCloseTo(Math.fround((72 + 100352 + 1) * Math.sqrt(2 / 64)), 0);
    expect([...p.convB, ...p.fc1B, ...p.fc2B].every((v) => v === 0)).toBe(true);
  });
});

describe('training schedule', () => {
  test('shuffleOrder swaps position i with floor(u * (i + 1)), from the last position down, one draw each', () => {
    const draws = [0.3, 0.4, 0.2];
    const order = Int32Array.of(0, 1, 2, 3);
    shuffleOrder(order, () => draws.shift()!);
    // i = 3: j = 1 -> [0, 3, 2, 1]; i = 2: j = 1 -> [0, 2, 3, 1]; i = 1: j = 0 -> [2, 0, 3, 1]
    expect([...order]).toEqual([2, 0, 3, 1]);
    expect(draws).toEqual([]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 1e6 }), (n, seed) => {
        const rng = createRandom(seed);
        let count = 0;
        const shuffled = Int32Array.from({ length: n }, (_, i) => i);
        shuffleOrder(shuffled, () => (count++, rng.uniform()));
        expect(count).toBe(Math.max(0, n - 1));
        expect([...shuffled].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
    );
  });

  test('cosineLearningRate starts at the base rate, halves at mid-run and reaches 0 at the end', () => {
    expect(cosineLearningRate(2e-3, 0, 100)).toBe(2e-3);
    expect(cosineLearningRate(2e-3, 50, 100)).toBeCloseTo(1e-3, 15);
    expect(cosineLearningRate(2e-3, 25, 100)).toBeCloseTo(1e-3 * (1 + Math.SQRT1_2), 15);
    expect(cosineLearningRate(2e-3, 100, 100)).toBeCloseTo(0, 15);
  });
});

describe('qatFineTuneClassifier', () => {
  const images = { count: 64, rows: 28, cols: 28, data: randomImages(64, 5).pixels };
  const labels = randomImages(64, 5).labels;

  test('refuses a model that is not the bundled classifier, naming its inputs or layers', async () => {
    const w4 = { ...getPreset('w4'), minSize: 0 };
    const vector = createProgramBuilder({ opset: 'iOS18' });
    const x = vector.input('x', 'float32', [1, 16]);
    const w = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
    vector.output(vector.linear(x, vector.constant('w', w, [4, 16]), vector.constant('b', new Float32Array(4), [4])));
    const first = await qatFineTuneClassifier(vector.build(), images, labels, w4).catch((e: unknown) => e);
    expect(isQuantError(first) && first.code === 'CLI_USAGE').toBe(true);
    expect((first as Error).message).toMatch(/qatFineTuneClassifier: .*inputs are x \[1, 16\]/);

    const image = createProgramBuilder({ opset: 'iOS18' });
    const img = image.input('image', 'float32', [1, 1, 28, 28]);
    const [flat] = image.op(
      'reshape',
      { x: img, shape: image.constant('shape', [-1, 784], [2], 'int32') },
      [{ dtype: 'float32', shape: [1, 784] }],
      'flatten',
    );
    const w2 = Float32Array.from({ length: 7840 }, (_, i) => Math.cos(i) * 0.01);
    image.output(
      image.linear(flat!, image.constant('w', w2, [10, 784]), image.constant('b', new Float32Array(10), [10]), 'only'),
    );
    const second = await qatFineTuneClassifier(image.build(), images, labels, w4).catch((e: unknown) => e);
    expect(isQuantError(second) && second.code === 'CLI_USAGE').toBe(true);
    expect((second as Error).message).toMatch(/qatFineTuneClassifier: .*layers are only \(linear\)/);
  });

  test('refuses out-of-range options and configs that leave a layer in float', async () => {
    const pkg = await readMlPackage(join(findDemoData(), DEMO_MODEL));
    const w4 = { ...getPreset('w4'), minSize: 0 };
    for (const options of [{ epochs: 0 }, { batchSize: 65 }, { distillation: 1.5 }, { learningRate: Number.NaN }]) {
      const error = await qatFineTuneClassifier(pkg, images, labels, w4, options).catch((e: unknown) => e);
      expect(isQuantError(error) && error.code === 'CLI_USAGE').toBe(true);
    }
    // the preset's default size threshold (2048) leaves conv1 and fc2 in float
    const error = await qatFineTuneClassifier(pkg, images, labels, getPreset('w4')).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/conv1_weight in float/);
  });
});
