import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { isQuantError } from '@lowbit/dtypes';
import {
  compressWeights,
  createProgramBuilder,
  listWeights,
  readMlPackage,
  readWeight,
  writeMlPackage,
} from '../src/index.js';
import { SUPERPOINT, YOLO, quantizeForTest, randomWeights, useTempDir } from './helpers.js';

const tmp = useTempDir();

/** Reads everything a CLI would: the package, its weight list, and every weight. */
async function readAll(dir: string, maxWeights = Infinity): Promise<void> {
  const pkg = await readMlPackage(dir);
  const ws = listWeights(pkg);
  for (const w of ws.slice(0, maxWeights)) await readWeight(pkg, w);
}

type Corruption =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'truncate'; len: number }
  | { kind: 'overwrite'; pos: number; bytes: Uint8Array }
  | { kind: 'random'; bytes: Uint8Array };

function corrupt(orig: Uint8Array, c: Corruption, positions: readonly number[]): Uint8Array {
  const b = Uint8Array.from(orig);
  const at = (p: number) =>
    positions.length > 0
      ? ((positions[p % positions.length] as number) + Math.floor(p / positions.length)) % b.length
      : p % b.length;
  switch (c.kind) {
    case 'flip': {
      const i = at(c.pos);
      b[i] = (b[i] as number) ^ (1 << c.bit);
      return b;
    }
    case 'truncate':
      return b.subarray(0, c.len % (b.length + 1));
    case 'overwrite': {
      const i = at(c.pos);
      b.set(c.bytes.subarray(0, b.length - i), i);
      return b;
    }
    case 'random':
      return c.bytes;
  }
}

const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    pos: fc.nat({ max: 1_000_000 }),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), len: fc.nat({ max: 4_000_000 }) }),
  fc.record({
    kind: fc.constant('overwrite' as const),
    pos: fc.nat({ max: 1_000_000 }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
);

async function fuzzFile(
  base: string,
  rel: string,
  positions: readonly number[],
  runs: number,
  maxWeights = Infinity,
): Promise<{ ok: number; errors: Record<string, number> }> {
  const work = join(tmp.dir, `${rel.replace(/\W/g, '_')}-${Math.random().toString(36).slice(2)}.mlpackage`);
  await cp(base, work, { recursive: true });
  const file = join(work, rel);
  const orig = new Uint8Array(await readFile(file));
  const stats = { ok: 0, errors: {} as Record<string, number> };
  await fc.assert(
    fc.asyncProperty(corruption, async (c) => {
      await writeFile(file, corrupt(orig, c, positions));
      const t0 = performance.now();
      try {
        await readAll(work, maxWeights);
        stats.ok++;
      } catch (e) {
        if (!isQuantError(e)) throw new Error(`non-QuantError for ${JSON.stringify(c)}: ${String(e)}`, { cause: e });
        expect(e.message).toMatch(/Manifest\.json|model\.mlmodel|weight\.bin|readWeight|readMlPackage/);
        stats.errors[e.code] = (stats.errors[e.code] ?? 0) + 1;
      } finally {
        await writeFile(file, orig);
      }
      expect(performance.now() - t0).toBeLessThan(5000);
    }),
    { numRuns: runs },
  );
  return stats;
}

let built: string;
let metadataPositions: number[];

describe('corrupted packages give a result or a QuantError, never another exception', () => {
  beforeAll(async () => {
    const b = createProgramBuilder({ opset: 'iOS18' });
    const x = b.input('x', 'float16', [1, 64]);
    const w1 = b.constant('w1', randomWeights(32 * 64, 1), [32, 64], 'float16');
    const w2 = b.constant('w2', randomWeights(10 * 32, 2), [10, 32], 'float16');
    const bias = b.constant('b2', randomWeights(10, 3), [10], 'float16');
    b.output(b.softmax(b.linear(b.relu(b.linear(x, w1)), w2, bias), -1, 'y'));
    const pkg = b.build();
    const t1 = quantizeForTest(await readWeight(pkg, 'w1'), [32, 64], [1, 32], 'int4');
    const t2 = quantizeForTest(await readWeight(pkg, 'w2'), [10, 32], [1, 32], 'uint4');
    built = join(tmp.dir, 'built.mlpackage');
    await writeMlPackage(
      compressWeights(pkg, [
        { weight: 'w1', tensor: t1 },
        { weight: 'w2', tensor: t2 },
      ]).package,
      built,
    );
    await readAll(built);
    // superpoint metadata records and header: the interesting part of a 2.6 MB file
    const sp = await readMlPackage(SUPERPOINT);
    metadataPositions = [0, ...listWeights(sp).map((w) => w.blob!.offset)];
  });

  test('built iOS18 package: manifest, model and weight.bin', async () => {
    const m = await fuzzFile(built, 'Manifest.json', [], 60);
    const p = await fuzzFile(built, 'Data/com.apple.CoreML/model.mlmodel', [], 150);
    const w = await fuzzFile(built, 'Data/com.apple.CoreML/weights/weight.bin', [], 150);
    expect(Object.keys(m.errors)).toContain('MLPACKAGE_INVALID_MANIFEST');
    expect(Object.keys(p.errors)).toContain('MLPACKAGE_MALFORMED_PROTOBUF');
    expect(Object.keys(w.errors)).toContain('MLPACKAGE_MALFORMED_BLOB');
  });

  test('superpoint: model.mlmodel and the metadata records of weight.bin', async () => {
    const p = await fuzzFile(SUPERPOINT, 'Data/com.apple.CoreML/model.mlmodel', [], 80, 4);
    const w = await fuzzFile(SUPERPOINT, 'Data/com.apple.CoreML/weights/weight.bin', metadataPositions, 60);
    expect(p.ok + Object.values(p.errors).reduce((a, b) => a + b, 0)).toBe(80);
    expect(Object.keys(w.errors)).toContain('MLPACKAGE_MALFORMED_BLOB');
  });

  test('yolov8n pipeline: model.mlmodel', async () => {
    const p = await fuzzFile(YOLO, 'Data/com.apple.CoreML/model.mlmodel', [], 40, 3);
    expect(Object.keys(p.errors)).toContain('MLPACKAGE_MALFORMED_PROTOBUF');
  });

  test('a missing manifest or model is a clear error', async () => {
    await expect(readMlPackage(join(tmp.dir, 'nope.mlpackage'))).rejects.toThrow(
      expect.objectContaining({ code: 'MLPACKAGE_NOT_FOUND' }),
    );
    await expect(readMlPackage(tmp.dir)).rejects.toThrow(
      expect.objectContaining({ code: 'MLPACKAGE_INVALID_MANIFEST', message: expect.stringMatching(/Manifest\.json/) }),
    );
  });
});
