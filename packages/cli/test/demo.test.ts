import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listWeights, readMlPackage } from '@lowbit/io-mlpackage';
import { loadProgram } from '@lowbit/mil-eval';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { DemoRow } from '../src/demo/demo-pipeline.js';
import { runDemo } from '../src/demo/demo-pipeline.js';

// Accuracy bounds measured on the bundled data (the full 10k test set, once per row), from the packages the demo
// writes and reads back.
let out = '';
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'lowbit-demo-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

test('the written packages keep W8 within 0.5 points, W4 per-block-32 within 2, and GPTQ >= RTN at W4', async () => {
  const { rows } = await runDemo({ outDir: out, rows: ['float32', 'w8', 'w4', 'w4_per_block', 'w4_gptq'] });
  const by = Object.fromEntries(rows.map((r) => [r.id, r])) as Record<string, DemoRow>;
  const acc = (id: string): number => (by[id] as DemoRow).accuracy * 100;
  expect(by.float32?.total).toBe(10000);
  expect(acc('float32')).toBeGreaterThanOrEqual(88);
  expect(acc('float32') - acc('w8')).toBeLessThanOrEqual(0.5);
  expect(acc('float32') - acc('w4_per_block')).toBeLessThanOrEqual(2);
  expect(acc('w4_gptq')).toBeGreaterThanOrEqual(acc('w4'));
  // The files are what the table says: int8 codes are half of float16, int4 a quarter (plus scales and biases).
  expect(by.w8?.ratio).toBeGreaterThan(1.9);
  expect(by.w4?.ratio).toBeGreaterThan(3.5);
  for (const r of rows.slice(1)) {
    const pkg = await readMlPackage(r.file as string);
    const compressed = listWeights(pkg).filter((w) => w.compression !== null);
    expect(compressed.map((w) => w.name).sort()).toEqual(['conv1_weight', 'fc1_weight', 'fc2_weight']);
  }
});

test('QAT at W4 per-channel recovers at least half of what RTN lost, in the same int4 per-channel format', async () => {
  const { rows } = await runDemo({ outDir: out, rows: ['float32', 'w4', 'w4_qat'], limit: 2000 });
  const [float, rtn, qat] = rows as [DemoRow, DemoRow, DemoRow];
  expect(qat.total).toBe(2000);
  expect(qat.accuracy).toBeGreaterThanOrEqual(rtn.accuracy);
  expect(qat.accuracy - rtn.accuracy).toBeGreaterThanOrEqual(0.5 * (float.accuracy - rtn.accuracy));
  // same storage as RTN (int4 codes, one float32 scale per output channel), different codes
  expect(qat.weightBytes).toBe(rtn.weightBytes);
  const pkg = await readMlPackage(qat.file as string);
  const compressed = listWeights(pkg).filter((w) => w.compression !== null);
  expect(compressed.map((w) => w.name).sort()).toEqual(['conv1_weight', 'fc1_weight', 'fc2_weight']);
  expect(qat.sqnrDb).not.toBe(rtn.sqnrDb);
});

test('W8A8 writes quantize / dequantize pairs that load back and keep accuracy', async () => {
  const { rows } = await runDemo({ outDir: out, rows: ['float32', 'w8a8', 'fp8'], limit: 2000 });
  const [float, w8a8, fp8] = rows as [DemoRow, DemoRow, DemoRow];
  const program = await loadProgram(await readMlPackage(w8a8.file as string));
  expect(program.opTypeCounts.quantize).toBe(3);
  expect(program.opTypeCounts.dequantize).toBe(3);
  expect(program.opTypeCounts.constexpr_blockwise_shift_scale).toBe(3);
  expect(float.accuracy - w8a8.accuracy).toBeLessThanOrEqual(0.01);
  expect(fp8.file).toBeNull();
  expect(float.accuracy - fp8.accuracy).toBeLessThanOrEqual(0.01);
});
