import { describe, expect, test } from 'vitest';
import type { Tensor } from '@lowbit/kernels';
import type { QuantizationConfig } from '@lowbit/spec';
import { quantizeWeights, quantizeWeightsStream } from '../src/index.js';
import type { PtqStreamItem, WeightTensor } from '../src/index.js';
import { createRandom, sample } from './random.js';

const config: QuantizationConfig = {
  version: 1,
  global: {
    version: 1,
    dtype: 'int4',
    qscheme: 'symmetric',
    qformulation: 'zp',
    granularity: { type: 'per_block', blockSize: 32 },
  },
  byOpType: {
    embedding: {
      version: 1,
      dtype: 'int8',
      qscheme: 'symmetric',
      qformulation: 'zp',
      granularity: { type: 'per_channel' },
    },
  },
  minSize: 512,
};

function makeTensor(i: number): Tensor {
  const rng = createRandom(100 + i);
  const rows = 16 * (1 + (i % 3));
  return { data: sample(rows * 64, () => rng.studentT(4)), shape: [rows, 64] };
}

function weightAt(i: number): WeightTensor {
  return { name: `layer.${i}`, opType: i === 0 ? 'embedding' : 'linear', tensor: makeTensor(i) };
}

const N = 12;

describe('quantizeWeightsStream', () => {
  test('gives the same tensors and report as the in-memory call', async () => {
    const inMemory = await quantizeWeights(
      Array.from({ length: N }, (_, i) => weightAt(i)),
      config,
    );
    async function* lazy(): AsyncGenerator<WeightTensor> {
      for (let i = 0; i < N; i++) yield weightAt(i);
    }
    const items: PtqStreamItem[] = [];
    for await (const item of quantizeWeightsStream(lazy(), config)) items.push(item);
    expect(items).toHaveLength(N + 1);
    const last = items[N]!;
    expect(last.type).toBe('report');
    const streamed = items
      .slice(0, N)
      .flatMap((it) => (it.type === 'tensor' && it.quantized ? [{ name: it.name, quantized: it.quantized }] : []));
    expect(streamed).toEqual(inMemory.tensors);
    expect(last.type === 'report' && last.report).toEqual(inMemory.report);
    // Each item carries its own report row.
    items.slice(0, N).forEach((it, i) => expect(it.type === 'tensor' && it.entry).toEqual(inMemory.report.tensors[i]));
  });

  test('works one tensor at a time: the next weight is read only after the previous result was consumed', async () => {
    let produced = 0;
    async function* lazy(): AsyncGenerator<WeightTensor> {
      for (let i = 0; i < N; i++) {
        produced++;
        yield weightAt(i);
      }
    }
    let consumed = 0;
    for await (const item of quantizeWeightsStream(lazy(), config)) {
      if (item.type !== 'tensor') continue;
      consumed++;
      expect(produced).toBe(consumed);
    }
    expect(consumed).toBe(N);
  });

  test('the report keeps no tensor data (memory stays near the largest tensor)', async () => {
    const items: PtqStreamItem[] = [];
    for await (const item of quantizeWeightsStream(
      Array.from({ length: 3 }, (_, i) => weightAt(i)),
      config,
    ))
      items.push(item);
    const report = items.at(-1)!;
    const seen = new Set<unknown>();
    const hasTypedArray = (v: unknown): boolean => {
      if (ArrayBuffer.isView(v)) return true;
      if (typeof v !== 'object' || v === null || seen.has(v)) return false;
      seen.add(v);
      return Object.values(v).some(hasTypedArray);
    };
    expect(hasTypedArray(report)).toBe(false);
  });

  test('accepts sync iterables and reports progress without a total', async () => {
    const progress: unknown[] = [];
    function* gen(): Generator<WeightTensor> {
      yield weightAt(0);
      yield weightAt(1);
    }
    const { tensors } = await quantizeWeights(gen(), config, { onProgress: (p) => progress.push(p) });
    expect(tensors).toHaveLength(2);
    expect(progress).toEqual([
      { index: 0, name: 'layer.0' },
      { index: 1, name: 'layer.1' },
    ]);
  });
});
