import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listWeights, readMlPackage } from '@lowbit/io-mlpackage';
import { tempDir } from './fixtures.js';
import { run } from './run.js';

const DATA = fileURLToPath(new URL('../../../tools/demo-data/', import.meta.url));
const MODEL = join(DATA, 'fashion-mnist-classifier.mlpackage');

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('lowbit eval', () => {
  test('measures top-1 accuracy of the bundled classifier on IDX data', async () => {
    const r = await run(['eval', MODEL, '--data', DATA, '--limit', '1000', '--json']);
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out) as { accuracy: number; total: number };
    expect(result.total).toBe(1000);
    expect(result.accuracy).toBeGreaterThan(0.85);
  });

  test('a missing data directory or prefix is a clear failure', async () => {
    const missing = await run(['eval', MODEL, '--data', join(tmp.dir, 'none')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/none/);
    const prefix = await run(['eval', MODEL, '--data', DATA, '--prefix', 'train']);
    expect(prefix.code).toBe(1);
    expect(prefix.err).toMatch(/train-images-idx3-ubyte/);
    const usage = await run(['eval', MODEL]);
    expect(usage.code).toBe(2);
  });
});

describe('lowbit gptq', () => {
  test('by default only weights above the 2048-element threshold are quantized, the rest reported', async () => {
    const out = join(tmp.dir, 'gptq-default.mlpackage');
    const r = await run(['gptq', MODEL, '-o', out, '--calib', DATA, '--limit', '128', '--json']);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as {
      layers: { weight: string }[];
      skipped: { weight: string; reason: string }[];
    };
    expect(summary.layers.map((l) => l.weight)).toEqual(['fc1_weight']);
    expect(summary.skipped).toHaveLength(2);
    for (const s of summary.skipped) expect(s.reason).toMatch(/threshold/);
  }, 120_000);

  test('GPTQ-quantizes the linear and conv weights and writes a package that reads back compressed', async () => {
    const out = join(tmp.dir, 'gptq.mlpackage');
    const r = await run(['gptq', MODEL, '-o', out, '--calib', DATA, '--limit', '256', '--min-size', '0', '--json']);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as {
      layers: { weight: string; written: string | null; outputErrorGptq: number; outputErrorRtn: number }[];
    };
    expect(summary.layers.length).toBe(3);
    for (const layer of summary.layers) {
      expect(layer.written).toBe('constexpr_blockwise_shift_scale');
      expect(layer.outputErrorGptq).toBeLessThanOrEqual(layer.outputErrorRtn);
    }
    const weights = listWeights(await readMlPackage(out)).filter((w) => w.compression !== null);
    expect(weights).toHaveLength(3);
    const evaluated = await run(['eval', out, '--data', DATA, '--limit', '1000', '--json']);
    expect((JSON.parse(evaluated.out) as { accuracy: number }).accuracy).toBeGreaterThan(0.84);
  }, 120_000);
});
