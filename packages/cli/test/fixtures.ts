import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProgramBuilder, writeMlPackage } from '@lowbit/io-mlpackage';
import type { OpsetTarget } from '@lowbit/io-mlpackage';
import { normalArray } from '../src/seeded-random.js';

/** The real packages written by coremltools, read from ../shared beside the repository (never copied). */
const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/mlpackage/', import.meta.url));
export const SUPERPOINT = join(FIXTURES, 'superpoint-fp16/superpoint.mlpackage');
export const YOLO = join(FIXTURES, 'yolov8n-palettized-pipeline/yolov8n.mlpackage');
export const NO_WEIGHTS = join(FIXTURES, 'matmul-softmax-noweights/model.mlpackage');

/** A temporary directory removed by the returned function. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lowbit-cli-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes a two-layer MLP package (linear 64x128 -> relu -> linear 16x64, fp16 weights) for `opset`. */
export async function writeMlp(
  path: string,
  opset: OpsetTarget,
  dtype: 'float16' | 'float32' = 'float16',
): Promise<void> {
  const b = createProgramBuilder({ opset });
  const x = b.input('x', dtype, [1, 128]);
  const w1 = b.constant('fc1_weight', normalArray(64 * 128, 1), [64, 128], dtype);
  const b1 = b.constant('fc1_bias', normalArray(64, 2), [64], dtype);
  const w2 = b.constant('fc2_weight', normalArray(16 * 64, 3), [16, 64], dtype);
  const h = b.relu(b.linear(x, w1, b1, 'fc1'));
  b.output(b.linear(h, w2, undefined, 'fc2'));
  await writeMlPackage(b.build(), path);
}
