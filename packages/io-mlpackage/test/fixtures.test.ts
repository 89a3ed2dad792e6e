import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isQuantError } from '@lowbit/dtypes';
import {
  checkOpsetUpgrade,
  compressWeights,
  decodeModel,
  decompressWeights,
  encodeModel,
  inspectBlobFile,
  listWeights,
  readMlPackage,
  readWeight,
  upgradeOpset,
  writeMlPackage,
} from '../src/index.js';
import { MATMUL, SUPERPOINT, YOLO, dequantizeForTest, hashDir, quantizeForTest, useTempDir } from './helpers.js';

const tmp = useTempDir();

/** Reads a float16 blob at a data offset straight from the file (independent of the package code). */
async function rawF16(file: string, dataOffset: number, count: number): Promise<number[]> {
  const buf = await readFile(file);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const h = buf.readUInt16LE(dataOffset + 2 * i);
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    out.push(e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15));
  }
  return out;
}

describe('superpoint (spec 6, CoreML5, 24 fp16 blobs)', () => {
  test('reads the manifest, model and program', async () => {
    const pkg = await readMlPackage(SUPERPOINT);
    expect(pkg.specificationVersion).toBe(6);
    expect(pkg.rootModelPath).toBe('com.apple.CoreML/model.mlmodel');
    expect(pkg.programs).toHaveLength(1);
    const fn = pkg.programs[0]!.functions[0]!;
    expect(fn.name).toBe('main');
    expect(fn.opset).toBe('CoreML5');
    expect(fn.target).toBe('iOS15');
    expect(fn.opTypeCounts).toEqual({
      const: 107,
      conv: 12,
      relu: 10,
      cast: 3,
      max_pool: 3,
      pow: 2,
      abs: 1,
      expand_dims: 1,
      real_div: 1,
      reduce_sum: 1,
    });
  });

  test('lists 24 fp16 blob weights with consumers and decodes them from the file', async () => {
    const pkg = await readMlPackage(SUPERPOINT);
    const ws = listWeights(pkg);
    expect(ws).toHaveLength(24);
    expect(ws.every((w) => w.dtype === 'float16' && w.storage === 'blob' && w.compression === null)).toBe(true);
    expect(ws.map((w) => w.blob!.offset)).toEqual([
      64, 1280, 1472, 75264, 75456, 149248, 149440, 223232, 223424, 370944, 371264, 666240, 666560, 961536, 961856,
      1256832, 1257152, 1847040, 1847616, 1880960, 1881216, 2471104, 2471680, 2602816,
    ]);
    const first = ws[0]!;
    expect(first.shape).toEqual([64, 1, 3, 3]);
    expect(first.byteSize).toBe(1152);
    expect(first.opType).toBe('conv');
    expect(first.consumers[0]!.input).toBe('weight');
    const bin = join(SUPERPOINT, 'Data/com.apple.CoreML/weights/weight.bin');
    for (const w of [ws[0]!, ws[17]!, ws[23]!]) {
      const values = await readWeight(pkg, w);
      expect(values.length).toBe(w.elementCount);
      expect(Array.from(values)).toEqual(await rawF16(bin, w.blob!.offset + 64, w.elementCount));
    }
  });

  test('the blob file walk matches the fact sheet and ignores garbage in reserved fields', async () => {
    const s = await inspectBlobFile(join(SUPERPOINT, 'Data/com.apple.CoreML/weights/weight.bin'));
    expect(s.count).toBe(24);
    expect(s.size).toBe(2603392);
    expect(s.entries.map((e) => e.metadataOffset)[20]).toBe(1881216);
    expect(s.entries.find((e) => e.sizeInBytes === 130)?.metadataOffset).toBe(1880960);
    expect(s.entries.every((e) => e.paddingBits === 0 && e.dtype === 'float16')).toBe(true);
  });
});

describe('yolov8n pipeline (palettized)', () => {
  test('finds the ML Program inside the pipeline and its 64 LUT weights', async () => {
    const pkg = await readMlPackage(YOLO);
    expect(pkg.specificationVersion).toBe(5);
    expect(pkg.programs.map((p) => [p.modelPath, p.specificationVersion])).toEqual([['pipeline.models[0]', 7]]);
    const fn = pkg.programs[0]!.functions[0]!;
    expect(fn.opset).toBe('CoreML6');
    expect(fn.opTypeCounts.constexpr_lut_to_dense).toBe(64);
    const ws = listWeights(pkg);
    const luts = ws.filter((w) => w.compression?.kind === 'lut_to_dense');
    expect(luts).toHaveLength(64);
    expect(
      luts.every((w) => w.compression!.form === 'iOS16' && w.compression!.details.nbits === 8 && w.dtype === 'float16'),
    ).toBe(true);
    expect(ws.filter((w) => w.compression === null)).toHaveLength(65);
  });

  test('decodes a LUT weight to the values in the fact sheet, and plain consts too', async () => {
    const pkg = await readMlPackage(YOLO);
    const ws = listWeights(pkg);
    const w1 = ws.find((w) => w.name === 'model_model_1_conv_weight_to_fp16_palettized')!;
    expect(w1.shape).toEqual([32, 16, 3, 3]);
    const v = await readWeight(pkg, w1);
    expect(Array.from(v.slice(0, 3))).toEqual([-0.06500244140625, -0.251953125, -0.55517578125]);
    expect(v[v.length - 1]).toBe(-0.0594482421875);
    // independent decode: indices blob at data offset 1216, lut at 5888
    const bin = await readFile(join(YOLO, 'Data/com.apple.CoreML/weights/weight.bin'));
    const lut = await rawF16(join(YOLO, 'Data/com.apple.CoreML/weights/weight.bin'), 5888, 256);
    const expected = Array.from(bin.subarray(1216, 1216 + 4608), (i) => lut[i]);
    expect(Array.from(v)).toEqual(expected);
    const w0 = await readWeight(pkg, 'model_model_0_conv_weight_to_fp16');
    expect([w0[0], w0[2], w0[3]]).toEqual([-2.0546875, 1.90625, -6.5625]);
    expect(w0[1]).toBeCloseTo(-0.18859863, 7);
  });

  test('decompress gives plain fp16 consts equal to the LUT decode, and re-reads after writing', async () => {
    const pkg = await readMlPackage(YOLO);
    const before = listWeights(pkg);
    const plain = await decompressWeights(pkg);
    const after = listWeights(plain);
    expect(after).toHaveLength(129);
    expect(after.every((w) => w.compression === null && w.dtype === 'float16')).toBe(true);
    expect(plain.programs[0]!.functions[0]!.opTypeCounts.constexpr_lut_to_dense).toBeUndefined();
    const out = join(tmp.dir, 'yolo-plain.mlpackage');
    const res = await writeMlPackage(plain, out);
    const again = await readMlPackage(out);
    for (const w of before.filter((x) => x.compression !== null).slice(0, 12)) {
      expect(await readWeight(again, w.name)).toEqual(await readWeight(pkg, w));
    }
    // decoded fp16 data: 64 weights of 2 bytes/element replace indices + luts
    const s = await inspectBlobFile(join(out, 'Data/com.apple.CoreML/weights/weight.bin'));
    expect(s.count).toBe(129);
    expect(res.weightBytes).toBe(s.size);
    // consumers untouched: every non-const op identical
    const ops = (p: typeof pkg) =>
      p.programs[0]!.functions[0]!.block.operations.filter((o) => !o.type!.startsWith('const'));
    expect(ops(again)).toEqual(ops(pkg));
  });

  test('opset upgrade to iOS18 is refused, naming the changed ops', async () => {
    const pkg = await readMlPackage(YOLO);
    const check = checkOpsetUpgrade(pkg, 'iOS18');
    expect(check.ok).toBe(false);
    expect(check.blockingOps).toEqual(
      expect.arrayContaining(['conv', 'constexpr_lut_to_dense', 'reshape', 'transpose', 'cast']),
    );
    try {
      upgradeOpset(pkg, 'iOS18');
      expect.unreachable();
    } catch (e) {
      expect(isQuantError(e) && e.code).toBe('MLPACKAGE_UNSUPPORTED');
      expect((e as Error).message).toMatch(/conv \(changed in iOS17\)/);
    }
  });

  test('int8 per-channel after decompress uses constexpr_affine_dequantize (CoreML6) and decodes bit-exactly', async () => {
    const plain = await decompressWeights(await readMlPackage(YOLO));
    const targets = listWeights(plain).filter((w) => w.shape.length === 4 && w.elementCount > 2048);
    const reps = [];
    for (const w of targets) {
      const values = await readWeight(plain, w);
      reps.push({ weight: w, tensor: quantizeForTest(values, w.shape, [1, ...w.shape.slice(1)], 'int8') });
    }
    const { package: q, weights } = compressWeights(plain, reps);
    expect(weights.every((r) => r.op === 'constexpr_affine_dequantize' && r.inexactScales === 0)).toBe(true);
    const out = join(tmp.dir, 'yolo-int8.mlpackage');
    await writeMlPackage(q, out);
    const re = await readMlPackage(out);
    for (const r of reps.slice(0, 10)) {
      const got = await readWeight(re, r.weight.name);
      expect(got).toEqual(dequantizeForTest(r.tensor, r.tensor.data, 'float16'));
    }
    const listed = listWeights(re).filter((w) => w.compression?.kind === 'affine_dequantize');
    expect(listed).toHaveLength(reps.length);
    expect(listed[0]!.compression!.details).toMatchObject({ quantizedDtype: 'int8', scaleDtype: 'float16', axis: 0 });
  });
});

describe('matmul-softmax (no weights, non-default author)', () => {
  test('reads with the root model under Data/com.ishank.Test and lists no weights', async () => {
    const pkg = await readMlPackage(MATMUL);
    expect(pkg.rootModelPath).toBe('com.ishank.Test/model.mlmodel');
    expect(pkg.specificationVersion).toBe(6);
    expect(pkg.programs[0]!.functions[0]!.opTypeCounts).toEqual({ const: 3, matmul: 1, softmax: 1 });
    expect(listWeights(pkg)).toEqual([]);
    const inputs = pkg.model.description!.input.map((f) => [f.name, f.type?.multiArrayType?.shape]);
    expect(inputs).toEqual([
      ['A', [3000, 3000]],
      ['B', [3000, 3000]],
    ]);
  });
});

describe('round trip: read then write unchanged', () => {
  for (const [name, path] of [
    ['superpoint', SUPERPOINT],
    ['yolov8n', YOLO],
    ['matmul-softmax', MATMUL],
  ] as const) {
    test(`${name}: same protobuf message, same blob bytes, input untouched`, async () => {
      const hash = await hashDir(path);
      const pkg = await readMlPackage(path);
      const out = join(tmp.dir, `rt-${name}.mlpackage`);
      const res = await writeMlPackage(pkg, out);
      expect(await hashDir(path)).toBe(hash);
      const again = await readMlPackage(out);
      const origBytes = await readFile(join(path, 'Data', pkg.rootModelPath));
      const newBytes = await readFile(join(out, 'Data', pkg.rootModelPath));
      expect(decodeModel(newBytes)).toEqual(decodeModel(origBytes));
      expect(Buffer.compare(newBytes, origBytes)).toBe(0);
      expect(encodeModel(decodeModel(origBytes))).toEqual(new Uint8Array(origBytes));
      const a = listWeights(pkg);
      const b = listWeights(again);
      expect(b.map((w) => w.id)).toEqual(a.map((w) => w.id));
      // every blob holds the same bytes: compare data regions through the metadata of both files
      if (a.length > 0) {
        const origBin = await readFile(join(path, 'Data/com.apple.CoreML/weights/weight.bin'));
        const newBin = await readFile(join(out, 'Data/com.apple.CoreML/weights/weight.bin'));
        const so = await inspectBlobFile(join(path, 'Data/com.apple.CoreML/weights/weight.bin'));
        const sn = await inspectBlobFile(join(out, 'Data/com.apple.CoreML/weights/weight.bin'));
        expect(sn.entries.length).toBe(so.entries.length);
        so.entries.forEach((e, i) => {
          const f = sn.entries[i]!;
          expect(f.dtype).toBe(e.dtype);
          expect(
            Buffer.compare(
              newBin.subarray(f.dataOffset, f.dataOffset + f.sizeInBytes),
              origBin.subarray(e.dataOffset, e.dataOffset + e.sizeInBytes),
            ),
          ).toBe(0);
        });
        // reserved fields are written as zeros
        expect(newBin.readUInt32LE(64 + 24)).toBe(0);
        expect(newBin.subarray(64 + 32, 128).every((x) => x === 0)).toBe(true);
        expect(res.weightBytes).toBe(newBin.length);
      }
      const sizes = res.files.reduce((s, f) => s + f.bytes, 0);
      expect(res.totalBytes).toBe(sizes);
    });
  }
});

describe('compression refusals on real programs', () => {
  test('int4 per-block on superpoint (CoreML5) is OPSET_TOO_OLD, suggesting iOS18', async () => {
    const pkg = await readMlPackage(SUPERPOINT);
    const w = listWeights(pkg).find((x) => x.elementCount > 2048 && x.shape[1]! % 32 === 0)!;
    const t = quantizeForTest(await readWeight(pkg, w), w.shape, [1, 32, ...w.shape.slice(2)], 'int4');
    expect(() => compressWeights(pkg, [{ weight: w, tensor: t }])).toThrow(
      expect.objectContaining({ code: 'MLPACKAGE_OPSET_TOO_OLD', message: expect.stringMatching(/iOS18/) }),
    );
  });

  test('int8 on CoreML5 asks for iOS16; after upgradeOpset(iOS16) it compresses', async () => {
    const pkg = await readMlPackage(SUPERPOINT);
    const w = listWeights(pkg)[2]!;
    const t = quantizeForTest(await readWeight(pkg, w), w.shape, [1, ...w.shape.slice(1)], 'int8');
    expect(() => compressWeights(pkg, [{ weight: w, tensor: t }])).toThrow(
      expect.objectContaining({ code: 'MLPACKAGE_OPSET_TOO_OLD', message: expect.stringMatching(/iOS16/) }),
    );
    expect(checkOpsetUpgrade(pkg, 'iOS16').ok).toBe(true);
    expect(checkOpsetUpgrade(pkg, 'iOS17').blockingOps).toEqual(['cast', 'conv', 'expand_dims']);
    const up = upgradeOpset(pkg, 'iOS16');
    expect(up.specificationVersion).toBe(7);
    expect(up.programs[0]!.functions[0]!.opset).toBe('CoreML6');
    expect(pkg.specificationVersion).toBe(6);
    const { package: q, weights } = compressWeights(up, [{ weight: w.name, tensor: t }]);
    expect(weights[0]!.op).toBe('constexpr_affine_dequantize');
    expect(await readWeight(q, w.name)).toEqual(dequantizeForTest(t, t.data, 'float16'));
    // int4 is still too new for iOS16
    const t4 = quantizeForTest(await readWeight(pkg, w), w.shape, [1, ...w.shape.slice(1)], 'int4');
    expect(() => compressWeights(up, [{ weight: w.name, tensor: t4 }])).toThrow(
      expect.objectContaining({ code: 'MLPACKAGE_OPSET_TOO_OLD', message: expect.stringMatching(/int8 per-channel/) }),
    );
  });

  test('fp8 is MLPACKAGE_UNSUPPORTED', async () => {
    const pkg = upgradeOpset(await readMlPackage(SUPERPOINT), 'iOS16');
    const w = listWeights(pkg)[2]!;
    const t = quantizeForTest(await readWeight(pkg, w), w.shape, [1, ...w.shape.slice(1)], 'int8');
    const fp8 = { ...t, dtype: 'float8_e4m3fn', spec: { ...t.spec, dtype: 'float8_e4m3fn' } };
    expect(() => compressWeights(pkg, [{ weight: w, tensor: fp8 }])).toThrow(
      expect.objectContaining({ code: 'MLPACKAGE_UNSUPPORTED', message: expect.stringMatching(/float8_e4m3fn/) }),
    );
  });

  test('an already compressed weight is refused with a hint to decompress', async () => {
    const pkg = await readMlPackage(YOLO);
    const w = listWeights(pkg).find((x) => x.compression !== null)!;
    const t = quantizeForTest(new Float32Array(w.elementCount), w.shape, [1, ...w.shape.slice(1)], 'int8');
    expect(() => compressWeights(pkg, [{ weight: w, tensor: t }])).toThrow(/decompressWeights/);
  });
});
