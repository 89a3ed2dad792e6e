// GPTQ against round-to-nearest on real weights and real activations: a 576-128-64-10 MLP trained here on
// Fashion-MNIST (centre-cropped 24 x 24 images). Errors are measured directly as ||X W^T - X Q^T||^2 per row on
// held-out rows (the t10k split), not through the layer's own stats.
import { BUILTIN_DTYPES, createDTypeRegistry, defineIntDType } from '@lowbit/dtypes';
import { fakeQuantize, matmul } from '@lowbit/kernels';
import type { Tensor } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';
import { beforeAll, describe, expect, test } from 'vitest';
import { createHessianAccumulator, gptqQuantizeLayer, gptqQuantizeSequential } from '../src/index.js';
import type { GptqStage } from '../src/index.js';
import { accuracy, FEATURES, layerInputs, linear, loadFashion, trainMlp } from './_helpers/fashion-mlp.js';
import type { Dataset, Mlp } from './_helpers/fashion-mlp.js';

const sym = (dtype: string, granularity: QuantizationSpec['granularity']): QuantizationSpec => ({
  version: 1,
  dtype,
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity,
});
// int3 is not a built-in dtype: it is defined here through @lowbit/dtypes' public extension path and handed
// to the kernels and GPTQ in a registry.
const registry = createDTypeRegistry([...BUILTIN_DTYPES, defineIntDType({ name: 'int3', bits: 3, signed: true })]);
const SPECS: Record<string, QuantizationSpec> = {
  'int4 per-channel': sym('int4', { type: 'per_channel' }),
  'int4 block-32': sym('int4', { type: 'per_block', blockSize: 32 }),
  'int3 per-channel': sym('int3', { type: 'per_channel' }),
};

let mlp: Mlp;
let calib: Dataset;
let held: Dataset;
let calibInputs: Float32Array[];
let heldInputs: Float32Array[];

beforeAll(() => {
  const train = loadFashion('train', 0, 8192);
  mlp = trainMlp(train, [FEATURES, 128, 64, 10], 600, 64, 0.05);
  calib = loadFashion('train', 10_000, 1024);
  held = loadFashion('t10k', 0, 2048);
  calibInputs = layerInputs(mlp, calib.x, calib.count);
  heldInputs = layerInputs(mlp, held.x, held.count);
});

/** Mean over rows of ||x (W - Q)^T||^2, computed with a plain product. */
function outputError(
  x: Float32Array,
  rows: number,
  w: Float32Array,
  q: Float32Array,
  inF: number,
  outF: number,
): number {
  const dT = new Float64Array(inF * outF);
  for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) dT[i * outF + o] = w[o * inF + i]! - q[o * inF + i]!;
  const y = matmul(Float64Array.from(x), dT, rows, inF, outF);
  let s = 0;
  for (const v of y) s += v * v;
  return s / rows;
}

describe('GPTQ vs RTN on a trained Fashion-MNIST MLP', () => {
  test('the float model is a real classifier', () => {
    expect(accuracy(heldInputs[3]!, held.labels, 10)).toBeGreaterThan(0.75);
  });

  test('per layer, GPTQ cuts the held-out output error of RTN by at least half', () => {
    const table: string[] = [
      '| layer | spec | RTN | GPTQ | GPTQ act-order | GPTQ / RTN | act-order / RTN |',
      '|---|---|---|---|---|---|---|',
    ];
    for (let l = 0; l < 3; l++) {
      const inF = mlp.sizes[l]!;
      const outF = mlp.sizes[l + 1]!;
      const acc = createHessianAccumulator(inF);
      acc.add(calibInputs[l]!, calib.count);
      const weight: Tensor = { data: mlp.weights[l]!, shape: [outF, inF] };
      for (const [name, spec] of Object.entries(SPECS)) {
        const err = (q: Float32Array): number => outputError(heldInputs[l]!, held.count, weight.data, q, inF, outF);
        const rtn = err(fakeQuantize(weight, spec, { opKind: 'linear', registry }).data);
        const gptq = err(gptqQuantizeLayer(weight, acc, spec, { registry }).dequantized.data);
        const act = err(gptqQuantizeLayer(weight, acc, spec, { actOrder: true, registry }).dequantized.data);
        table.push(
          `| fc${l + 1} ${outF}x${inF} | ${name} | ${rtn.toFixed(4)} | ${gptq.toFixed(4)} | ${act.toFixed(4)} | ` +
            `${(gptq / rtn).toFixed(3)} | ${(act / rtn).toFixed(3)} |`,
        );
        expect(gptq, `fc${l + 1} ${name}`).toBeLessThan(0.5 * rtn);
        expect(act, `fc${l + 1} ${name} act-order`).toBeLessThan(0.5 * rtn);
      }
    }
    console.log(table.join('\n'));
  });

  test('sequential GPTQ over the whole MLP keeps the logits much closer to float than RTN', async () => {
    interface Batch {
      readonly x: Float32Array;
      readonly rows: number;
    }
    const layers = mlp.sizes.length - 1;
    const stages: GptqStage<Batch>[] = mlp.weights.map((w, l) => {
      const name = `fc${l + 1}`;
      const inF = mlp.sizes[l]!;
      const outF = mlp.sizes[l + 1]!;
      return {
        name,
        layers: [{ name, weight: { data: w, shape: [outF, inF] } }],
        forward: (b, weights, capture) => {
          capture?.(name, b.x, b.rows);
          return {
            x: linear(b.x, b.rows, weights.get(name)!.data, mlp.biases[l]!, inF, outF, l < layers - 1),
            rows: b.rows,
          };
        },
      };
    });
    const batches: Batch[] = [];
    for (let r = 0; r < calib.count; r += 256)
      batches.push({ x: calib.x.subarray(r * FEATURES, (r + 256) * FEATURES), rows: 256 });
    const spec = SPECS['int4 per-channel']!;
    const result = await gptqQuantizeSequential(stages, batches, { spec });
    const gptqWeights = mlp.weights.map((_, l) => result.layers.get(`fc${l + 1}`)!.dequantized.data);
    const rtnWeights = mlp.weights.map(
      (w, l) => fakeQuantize({ data: w, shape: [mlp.sizes[l + 1]!, mlp.sizes[l]!] }, spec, { opKind: 'linear' }).data,
    );
    const floatLogits = heldInputs[3]!;
    const logitsError = (ws: Float32Array[]): number => {
      const logits = layerInputs(mlp, held.x, held.count, ws)[3]!;
      let s = 0;
      for (let i = 0; i < logits.length; i++) s += (logits[i]! - floatLogits[i]!) ** 2;
      return s / held.count;
    };
    const eGptq = logitsError(gptqWeights);
    const eRtn = logitsError(rtnWeights);
    const accFloat = accuracy(floatLogits, held.labels, 10);
    const accGptq = accuracy(layerInputs(mlp, held.x, held.count, gptqWeights)[3]!, held.labels, 10);
    const accRtn = accuracy(layerInputs(mlp, held.x, held.count, rtnWeights)[3]!, held.labels, 10);
    console.log(
      `logits MSE vs float: RTN ${eRtn.toFixed(4)}, GPTQ ${eGptq.toFixed(4)}; accuracy float ${accFloat.toFixed(4)}, ` +
        `RTN ${accRtn.toFixed(4)}, GPTQ ${accGptq.toFixed(4)}`,
    );
    expect(eGptq).toBeLessThan(0.5 * eRtn);
    expect(accGptq).toBeGreaterThan(accFloat - 0.02);
  });
});
