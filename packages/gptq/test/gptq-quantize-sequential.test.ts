import type { Tensor } from '@lowbit/kernels';
import type { QuantizationConfig, QuantizationSpec } from '@lowbit/spec';
import { describe, expect, test } from 'vitest';
import { createHessianAccumulator, gptqQuantizeLayer, gptqQuantizeSequential } from '../src/index.js';
import type { GptqProgress, GptqStage } from '../src/index.js';
import { quantErrorCodeAsync as rejects } from '../../../tools/lib/quant-error-code.js';

const int4: QuantizationSpec = {
  version: 1,
  dtype: 'int4',
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity: { type: 'per_channel' },
};

interface Batch {
  readonly x: Float32Array;
  readonly rows: number;
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** y = relu?(x W^T), plainly. */
function linear(x: Float32Array, rows: number, w: Tensor, relu: boolean): Float32Array {
  const [out, inF] = w.shape as [number, number];
  const y = new Float32Array(rows * out);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w.data[o * inF + i]!;
      y[r * out + o] = relu && s < 0 ? 0 : s;
    }
  return y;
}

function makeModel(seed: number): { stages: GptqStage<Batch>[]; weights: Tensor[]; batches: Batch[]; calls: string[] } {
  const rand = lcg(seed);
  const sizes = [12, 16, 8];
  const weights: Tensor[] = [];
  for (let l = 0; l < 2; l++) {
    weights.push({
      data: new Float32Array(sizes[l + 1]! * sizes[l]!).map(() => rand() * 2 - 1),
      shape: [sizes[l + 1]!, sizes[l]!],
    });
  }
  const calls: string[] = [];
  const stages = weights.map((w, l): GptqStage<Batch> => ({
    name: `stage${l}`,
    layers: [{ name: `fc${l}`, weight: w }],
    forward: (b, ws, capture) => {
      calls.push(`${capture ? 'capture' : 'run'} fc${l} ${ws.get(`fc${l}`) === w ? 'float' : 'quantized'}`);
      capture?.(`fc${l}`, b.x, b.rows);
      return { x: linear(b.x, b.rows, ws.get(`fc${l}`)!, l === 0), rows: b.rows };
    },
  }));
  const batches = Array.from({ length: 3 }, () => {
    const rows = 20;
    const z = new Float32Array(rows * 3).map(() => rand() * 2 - 1);
    // correlated 12-feature inputs from 3 latent factors
    const x = new Float32Array(rows * 12);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < 12; c++) x[r * 12 + c] = z[r * 3 + (c % 3)]! * (1 + c / 6) + 0.05 * (rand() - 0.5);
    return { x, rows };
  });
  return { stages, weights, batches, calls };
}

describe('gptqQuantizeSequential', () => {
  test('feeds each stage with the outputs of the already quantized stages (equals doing it by hand)', async () => {
    const { stages, weights, batches, calls } = makeModel(7);
    const events: GptqProgress[] = [];
    const result = await gptqQuantizeSequential(stages, batches, { spec: int4, onProgress: (e) => events.push(e) });

    // by hand
    const acc0 = createHessianAccumulator(12);
    for (const b of batches) acc0.add(b.x, b.rows);
    const q0 = gptqQuantizeLayer(weights[0]!, acc0, int4, { name: 'fc0' });
    const acc1 = createHessianAccumulator(16);
    for (const b of batches) acc1.add(linear(b.x, b.rows, q0.dequantized, true), b.rows);
    const q1 = gptqQuantizeLayer(weights[1]!, acc1, int4, { name: 'fc1' });

    expect([...result.layers.keys()]).toEqual(['fc0', 'fc1']);
    expect(Array.from(result.layers.get('fc0')!.dequantized.data)).toEqual(Array.from(q0.dequantized.data));
    expect(Array.from(result.layers.get('fc1')!.dequantized.data)).toEqual(Array.from(q1.dequantized.data));
    // and that differs from using float stage-0 outputs, so the check above has teeth
    const accFloat = createHessianAccumulator(16);
    for (const b of batches) accFloat.add(linear(b.x, b.rows, weights[0]!, true), b.rows);
    const qFloat = gptqQuantizeLayer(weights[1]!, accFloat, int4);
    expect(Array.from(qFloat.dequantized.data)).not.toEqual(Array.from(q1.dequantized.data));

    expect(calls).toEqual([
      ...Array<string>(3).fill('capture fc0 float'),
      ...Array<string>(3).fill('run fc0 quantized'),
      ...Array<string>(3).fill('capture fc1 float'),
    ]);
    expect(
      events.map((e) => `${e.phase}${e.layer ? ` ${e.layer} ${e.index}/${e.total}` : ` ${e.batch}/${e.batches}`}`),
    ).toEqual([
      'capture 0/3',
      'capture 1/3',
      'capture 2/3',
      'quantize fc0 0/2',
      'propagate 0/3',
      'propagate 1/3',
      'propagate 2/3',
      'capture 0/3',
      'capture 1/3',
      'capture 2/3',
      'quantize fc1 1/2',
    ]);
    expect(events[3]!.stats!.outputErrorGptq).toBe(q0.stats.outputErrorGptq);
  });

  test('a config picks specs per layer and skipped layers stay float', async () => {
    const { stages, batches, calls } = makeModel(3);
    const config: QuantizationConfig = { version: 1, global: int4, byOpName: { fc1: null }, minSize: 0 };
    const result = await gptqQuantizeSequential(stages, batches, { config, layerOptions: { actOrder: true } });
    expect([...result.layers.keys()]).toEqual(['fc0']);
    expect(result.skipped.get('fc1')).toMatch(/fc1/);
    // the skipped last stage is never run for capture
    expect(calls.filter((c) => c.includes('fc1'))).toEqual([]);
    // a layer below the default size threshold is skipped too
    const small = await gptqQuantizeSequential(makeModel(3).stages, batches, { config: { version: 1, global: int4 } });
    expect(small.layers.size).toBe(0);
    expect(small.skipped.size).toBe(2);
  });

  test('async stages and async calibration iterables work', async () => {
    const { stages, batches } = makeModel(5);
    const asyncStages = stages.map((s) => ({
      ...s,
      forward: async (...args: Parameters<typeof s.forward>) => s.forward(...args),
    }));
    async function* gen(): AsyncGenerator<Batch> {
      for (const b of batches) yield b;
    }
    const a = await gptqQuantizeSequential(asyncStages, gen(), { spec: int4 });
    const b = await gptqQuantizeSequential(makeModel(5).stages, batches, { spec: int4 });
    expect(Array.from(a.layers.get('fc1')!.dequantized.data)).toEqual(
      Array.from(b.layers.get('fc1')!.dequantized.data),
    );
  });

  test('misuse is reported', async () => {
    const { stages, batches } = makeModel(1);
    expect(await rejects(gptqQuantizeSequential(stages, batches, {}))).toBe('GPTQ_INVALID_ARGUMENT');
    expect(
      await rejects(gptqQuantizeSequential(stages, batches, { spec: int4, config: { version: 1, global: int4 } })),
    ).toBe('GPTQ_INVALID_ARGUMENT');
    expect(await rejects(gptqQuantizeSequential(stages, [], { spec: int4 }))).toBe('GPTQ_INVALID_ARGUMENT');
    expect(await rejects(gptqQuantizeSequential([stages[0]!, stages[0]!], batches, { spec: int4 }))).toBe(
      'GPTQ_INVALID_ARGUMENT',
    );
    const wrongCapture: GptqStage<Batch> = {
      ...stages[0]!,
      forward: (b, _w, capture) => (capture?.('nope', b.x, b.rows), b),
    };
    expect(await rejects(gptqQuantizeSequential([wrongCapture], batches, { spec: int4 }))).toBe(
      'GPTQ_INVALID_ARGUMENT',
    );
    const noCapture: GptqStage<Batch> = { ...stages[0]!, forward: (b) => b };
    expect(await rejects(gptqQuantizeSequential([noCapture], batches, { spec: int4 }))).toBe('GPTQ_INVALID_ARGUMENT');
  });
});
