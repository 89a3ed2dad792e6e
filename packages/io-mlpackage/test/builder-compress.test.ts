import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { unpackBits } from '@lowbit/dtypes';
import type { QuantizedTensor } from '@lowbit/spec';
import type { MlPackage, OpsetTarget } from '../src/index.js';
import {
  checkOpsetUpgrade,
  compressWeights,
  createProgramBuilder,
  decompressWeights,
  inspectBlobFile,
  listWeights,
  readMlPackage,
  readWeight,
  upgradeOpset,
  writeMlPackage,
} from '../src/index.js';
import { dequantizeForTest, quantizeForTest, randomWeights, useTempDir } from './helpers.js';
import { quantErrorCode as code } from '../../../tools/lib/quant-error-code.js';

const tmp = useTempDir();

/** A small classifier: conv -> relu -> max_pool -> flatten -> linear -> relu -> linear -> softmax. */
function buildClassifier(opset: OpsetTarget, dtype: 'float16' | 'float32', seed = 1): MlPackage {
  const b = createProgramBuilder({ opset });
  const half = dtype === 'float16';
  let x = b.input('image', 'float32', [1, 1, 12, 12]);
  if (half) x = b.cast(x, 'float16');
  const cw = b.constant('conv1_weight', randomWeights(8 * 1 * 3 * 3, seed, half), [8, 1, 3, 3], dtype);
  const cb = b.constant('conv1_bias', randomWeights(8, seed + 1, half), [8], dtype);
  let h = b.relu(b.conv(x, cw, cb, { padType: 'same' }));
  h = b.maxPool(h, { kernelSizes: [2, 2] });
  h = b.flatten(h);
  const w1 = b.constant('fc1_weight', randomWeights(64 * 288, seed + 2, half), [64, 288], dtype);
  const b1 = b.constant('fc1_bias', randomWeights(64, seed + 3, half), [64], dtype);
  h = b.relu(b.linear(h, w1, b1));
  const w2 = b.constant('fc2_weight', randomWeights(10 * 64, seed + 4, half), [10, 64], dtype);
  h = b.linear(h, w2);
  let y = b.softmax(h, -1, 'probs16');
  if (half) y = b.cast(y, 'float32', 'probs');
  b.output(y);
  return b.build({ author: 'lowbit tests', userDefined: { purpose: 'test' } });
}

async function writeAndRead(
  pkg: MlPackage,
): Promise<{ pkg: MlPackage; path: string; weightBytes: number; totalBytes: number }> {
  const path = tmp.nextPackagePath('m');
  const res = await writeMlPackage(pkg, path);
  return { pkg: await readMlPackage(path), path, weightBytes: res.weightBytes, totalBytes: res.totalBytes };
}

function codesOf(t: QuantizedTensor): ArrayLike<number> {
  const count = t.shape.reduce((a, b) => a * b, 1);
  return t.dtype.endsWith('4') ? unpackBits(t.data as Uint8Array, 4, count, { signed: t.dtype === 'int4' }) : t.data;
}

const nonConstOps = (p: MlPackage) =>
  p.programs[0]!.functions[0]!.block.operations.filter((o) => !o.type!.startsWith('const'));

describe('builder', () => {
  for (const opset of ['iOS15', 'iOS16', 'iOS17', 'iOS18'] as const) {
    for (const dtype of ['float16', 'float32'] as const) {
      test(`${opset} ${dtype} package round-trips exactly`, async () => {
        const pkg = buildClassifier(opset, dtype);
        const before = await Promise.all(listWeights(pkg).map((w) => readWeight(pkg, w)));
        const { pkg: re } = await writeAndRead(pkg);
        expect(re.programs[0]!.functions[0]!.opset).toBe(
          { iOS15: 'CoreML5', iOS16: 'CoreML6', iOS17: 'CoreML7', iOS18: 'CoreML8' }[opset],
        );
        expect(re.specificationVersion).toBe({ iOS15: 6, iOS16: 7, iOS17: 8, iOS18: 9 }[opset]);
        const ws = listWeights(re);
        expect(ws.map((w) => [w.name, w.opType, w.dtype, w.storage])).toEqual([
          ['conv1_weight', 'conv', dtype, 'blob'],
          ['fc1_weight', 'linear', dtype, 'blob'],
          ['fc1_bias', 'linear', dtype, 'blob'],
          ['fc2_weight', 'linear', dtype, 'blob'],
        ]);
        const after = await Promise.all(ws.map((w) => readWeight(re, w)));
        expect(after).toEqual([before[0], before[1], before[2], before[3]]);
        expect(nonConstOps(re)).toEqual(nonConstOps(pkg));
        expect(re.model.description!.metadata!.userDefined.get('purpose')).toBe('test');
        // writing the re-read package again gives identical model bytes
        const { pkg: re2 } = await writeAndRead(re);
        expect(re2.model).toEqual(re.model);
      });
    }
  }

  test('bad builder input is MLPACKAGE_INVALID_ARGUMENT', () => {
    const b = createProgramBuilder({ opset: 'iOS16' });
    const x = b.input('x', 'float32', [1, 4]);
    const w = b.constant('w', new Float32Array(15), [3, 5]);
    expect(() => b.linear(x, w)).toThrow(expect.objectContaining({ code: 'MLPACKAGE_INVALID_ARGUMENT' }));
    expect(() => b.input('x', 'float32', [1])).toThrow(/already used/);
    expect(() => b.build()).toThrow(/output/);
    expect(() => createProgramBuilder({ opset: 'iOS9' as OpsetTarget })).toThrow(
      expect.objectContaining({ code: 'MLPACKAGE_INVALID_ARGUMENT' }),
    );
  });
});

describe('compressWeights on built packages', () => {
  for (const dtype of ['float16', 'float32'] as const) {
    test(`iOS16 ${dtype}: int8 per-channel and uint8 per-tensor via constexpr_affine_dequantize`, async () => {
      const pkg = buildClassifier('iOS16', dtype);
      const w1 = listWeights(pkg).find((w) => w.name === 'fc1_weight')!;
      const cw = listWeights(pkg).find((w) => w.name === 'conv1_weight')!;
      const t1 = quantizeForTest(await readWeight(pkg, w1), w1.shape, [1, 288], 'int8', dtype);
      const t2 = quantizeForTest(await readWeight(pkg, cw), cw.shape, cw.shape, 'uint8', dtype);
      const { package: q, weights } = compressWeights(pkg, [
        { weight: 'fc1_weight', tensor: t1 },
        { weight: cw, tensor: t2 },
      ]);
      expect(listWeights(pkg).every((w) => w.compression === null)).toBe(true);
      expect(weights.map((r) => [r.op, r.scaleShape, r.scaleDtype])).toEqual([
        ['constexpr_affine_dequantize', [64], dtype],
        ['constexpr_affine_dequantize', [], dtype],
      ]);
      expect(weights[1]!.zeroPoints).toEqual(new Int32Array([127]));
      const { pkg: re, path, weightBytes } = await writeAndRead(q);
      expect(await readWeight(re, 'fc1_weight')).toEqual(dequantizeForTest(t1, codesOf(t1), dtype));
      expect(await readWeight(re, 'conv1_weight')).toEqual(dequantizeForTest(t2, codesOf(t2), dtype));
      expect(nonConstOps(re)).toEqual(nonConstOps(pkg));
      const file = await inspectBlobFile(join(path, 'Data/com.apple.CoreML/weights/weight.bin'));
      expect(file.size).toBe(weightBytes);
      const stored = listWeights(re).find((w) => w.name === 'fc1_weight')!;
      expect(stored.byteSize).toBe(weights[0]!.bytesAfter);
      expect(weights[0]!.bytesAfter).toBe(64 * 288 + 64 * (dtype === 'float16' ? 2 : 4) + 64 + 4);
      expect(weights[0]!.bytesBefore).toBe(64 * 288 * (dtype === 'float16' ? 2 : 4));
    });
  }

  test('iOS18: int4 per-block-32 and uint4 with offsets via constexpr_blockwise_shift_scale, bit-exact', async () => {
    const pkg = buildClassifier('iOS18', 'float16');
    const w1 = listWeights(pkg).find((w) => w.name === 'fc1_weight')!;
    const w2 = listWeights(pkg).find((w) => w.name === 'fc2_weight')!;
    const t1 = quantizeForTest(await readWeight(pkg, w1), w1.shape, [1, 32], 'int4');
    const t2 = quantizeForTest(await readWeight(pkg, w2), w2.shape, [1, 32], 'uint4');
    const { package: q, weights } = compressWeights(pkg, [
      { weight: w1, tensor: t1 },
      { weight: w2, tensor: t2 },
    ]);
    expect(weights.map((r) => [r.op, r.scaleShape, r.zeroPoints === null])).toEqual([
      ['constexpr_blockwise_shift_scale', [64, 9], true],
      ['constexpr_blockwise_shift_scale', [10, 2], false],
    ]);
    const { pkg: re, path } = await writeAndRead(q);
    expect(await readWeight(re, 'fc1_weight')).toEqual(dequantizeForTest(t1, codesOf(t1), 'float16'));
    expect(await readWeight(re, 'fc2_weight')).toEqual(dequantizeForTest(t2, codesOf(t2), 'float16'));
    const listed = listWeights(re).find((w) => w.name === 'fc1_weight')!;
    expect(listed.compression).toMatchObject({
      kind: 'blockwise_shift_scale',
      form: 'iOS18',
      details: { dataDtype: 'int4', scaleShape: [64, 9], blockShape: [1, 32] },
    });
    const file = await inspectBlobFile(join(path, 'Data/com.apple.CoreML/weights/weight.bin'));
    const int4 = file.entries.find((e) => e.dtype === 'int4')!;
    expect(int4.sizeInBytes).toBe((64 * 288) / 2);
    expect(int4.paddingBits).toBe(0);
    // decompress turns it back into fp16 consts with the same values
    const plain = await decompressWeights(re);
    expect(listWeights(plain).every((w) => w.compression === null)).toBe(true);
    expect(await readWeight(plain, 'fc1_weight')).toEqual(await readWeight(re, 'fc1_weight'));
  });

  test('property: random shapes and block sizes decode bit-exactly (iOS18, int4/uint4/int8/uint8)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(1, 2, 4, 8),
        fc.constantFrom('int4', 'uint4', 'int8', 'uint8') as fc.Arbitrary<'int4' | 'uint4' | 'int8' | 'uint8'>,
        fc.integer({ min: 1, max: 1000 }),
        async (rows, cols8, block, dtype, seed) => {
          const shape = [rows, cols8 * 8];
          const b = createProgramBuilder({ opset: 'iOS18' });
          const x = b.input('x', 'float16', [2, shape[1]!]);
          const w = b.constant('w', randomWeights(rows * shape[1]!, seed), shape, 'float16');
          b.output(b.linear(x, w));
          const pkg = b.build();
          const t = quantizeForTest(await readWeight(pkg, 'w'), shape, [1, block], dtype);
          const { package: q } = compressWeights(pkg, [{ weight: 'w', tensor: t }]);
          expect(await readWeight(q, 'w')).toEqual(dequantizeForTest(t, codesOf(t), 'float16'));
        },
      ),
      { numRuns: 40 },
    );
  });

  test('iOS15 program with unchanged ops upgrades to iOS18 and takes int4 blocks', async () => {
    const b = createProgramBuilder({ opset: 'iOS15' });
    const x = b.input('x', 'float32', [64, 64]);
    const w = b.constant('scale_table', randomWeights(64 * 64, 9, false), [64, 64], 'float32');
    b.output(b.softmax(b.relu(b.binary('mul', x, w)), -1, 'out'));
    const pkg = b.build();
    const t = quantizeForTest(await readWeight(pkg, 'scale_table'), [64, 64], [1, 32], 'int4', 'float32');
    expect(() => compressWeights(pkg, [{ weight: 'scale_table', tensor: t }])).toThrow(
      expect.objectContaining({ code: 'MLPACKAGE_OPSET_TOO_OLD' }),
    );
    expect(checkOpsetUpgrade(pkg, 'iOS18')).toMatchObject({ ok: true, blockingOps: [] });
    const up = upgradeOpset(pkg, 'iOS18');
    expect(up.specificationVersion).toBe(9);
    const { package: q, weights } = compressWeights(up, [{ weight: 'scale_table', tensor: t }]);
    expect(weights[0]!.scaleDtype).toBe('float32');
    const { pkg: re } = await writeAndRead(q);
    expect(re.programs[0]!.functions[0]!.opset).toBe('CoreML8');
    expect(await readWeight(re, 'scale_table')).toEqual(dequantizeForTest(t, codesOf(t), 'float32'));
  });

  test('inexact fp16 scales are rounded and reported; the written scales are what decodes', async () => {
    const pkg = buildClassifier('iOS18', 'float16');
    const w = listWeights(pkg).find((x) => x.name === 'fc2_weight')!;
    const t = quantizeForTest(await readWeight(pkg, w), w.shape, [1, 64], 'int8', 'float32');
    const { package: q, weights } = compressWeights(pkg, [{ weight: w, tensor: t }]);
    const r = weights[0]!;
    expect(r.inexactScales).toBeGreaterThan(0);
    expect(r.maxScaleRelativeError).toBeLessThan(2 ** -11);
    const got = await readWeight(q, w);
    expect(got).toEqual(dequantizeForTest({ ...t, scales: r.scales }, codesOf(t), 'float16'));
  });

  test('refusals: per-block on iOS16, fp4, minval, shape mismatch, block output', async () => {
    const pkg = buildClassifier('iOS16', 'float16');
    const w = listWeights(pkg).find((x) => x.name === 'fc1_weight')!;
    const values = await readWeight(pkg, w);
    const block = quantizeForTest(values, w.shape, [1, 32], 'int8');
    expect(code(() => compressWeights(pkg, [{ weight: w, tensor: block }]))).toBe('MLPACKAGE_OPSET_TOO_OLD');
    const t = quantizeForTest(values, w.shape, [1, 288], 'int8');
    expect(code(() => compressWeights(pkg, [{ weight: w, tensor: { ...t, dtype: 'float4_e2m1fn' } }]))).toBe(
      'MLPACKAGE_UNSUPPORTED',
    );
    expect(code(() => compressWeights(pkg, [{ weight: w, tensor: { ...t, minvals: new Float32Array(64) } }]))).toBe(
      'MLPACKAGE_UNSUPPORTED',
    );
    expect(code(() => compressWeights(pkg, [{ weight: w, tensor: { ...t, shape: [32, 576] } }]))).toBe(
      'MLPACKAGE_UNSUPPORTED',
    );
    expect(code(() => compressWeights(pkg, [{ weight: 'nope', tensor: t }]))).toBe('MLPACKAGE_NOT_FOUND');
    const b = createProgramBuilder({ opset: 'iOS16' });
    b.input('x', 'float32', [1]);
    const c = b.constant('table', randomWeights(64, 3, false), [8, 8]);
    b.output(c);
    const p2 = b.build();
    const tc = quantizeForTest(await readWeight(p2, 'table'), [8, 8], [1, 8], 'int8', 'float32');
    expect(code(() => compressWeights(p2, [{ weight: 'table', tensor: tc }]))).toBe('MLPACKAGE_UNSUPPORTED');
  });
});
