import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { BlobFileReader, BlobFileWriter } from '../src/_internal/blob-format.js';
import {
  compressWeights,
  createProgramBuilder,
  inspectBlobFile,
  readMlPackage,
  readWeight,
  writeMlPackage,
} from '../src/index.js';
import { SUPERPOINT, quantizeForTest, randomWeights, useTempDir } from './helpers.js';

const tmp = useTempDir();

test('writer lays out header, 64-byte records, alignment and sub-byte padding as specified', async () => {
  const file = join(tmp.dir, 'w.bin');
  const w = await BlobFileWriter.create(file);
  const a = await w.append(8, new Uint8Array([0xe1, 0x03]), 4); // int4 [1, -2, 3]
  const b = await w.append(1, new Uint8Array(130).fill(7), 0); // 65 fp16
  const c = await w.append(12, new Uint8Array([0xdd, 0x01]), 7); // uint3 [5, 3, 7]
  const size = await w.finish();
  expect([a, b, c]).toEqual([64, 192, 448]);
  const bytes = await readFile(file);
  expect(size).toBe(bytes.length);
  expect(bytes.length).toBe(448 + 64 + 2);
  expect(Array.from(bytes.subarray(0, 8))).toEqual([3, 0, 0, 0, 2, 0, 0, 0]);
  expect(bytes.subarray(8, 64).every((x) => x === 0)).toBe(true);
  expect(Array.from(bytes.subarray(64, 96))).toEqual([
    0xef, 0xbe, 0xad, 0xde, 8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 128, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0,
  ]);
  expect(bytes.subarray(96, 128).every((x) => x === 0)).toBe(true);
  expect(Array.from(bytes.subarray(128, 130))).toEqual([0xe1, 0x03]);
  expect(bytes.subarray(130, 192).every((x) => x === 0)).toBe(true);
  const s = await inspectBlobFile(file);
  expect(s.entries.map((e) => [e.metadataOffset, e.dtype, e.elementCount, e.paddingBits])).toEqual([
    [64, 'int4', 3, 4],
    [192, 'float16', 65, 0],
    [448, 'uint3', 3, 7],
  ]);
});

test('reader rejects bad sentinels, versions, padding and out-of-file sizes with the byte offset', async () => {
  const src = join(SUPERPOINT, 'Data/com.apple.CoreML/weights/weight.bin');
  const orig = await readFile(src);
  const cases: Array<[string, (b: Buffer) => void, RegExp]> = [
    ['sentinel', (b) => b.writeUInt32LE(0x12345678, 1280), /at byte 1280: invalid sentinel 0x12345678/],
    ['version', (b) => b.writeUInt32LE(1, 4), /at byte 4: storage version 1/],
    ['dtype', (b) => b.writeUInt32LE(99, 1280 + 4), /unknown blob data type 99/],
    ['size', (b) => b.writeUInt32LE(0xffffff00, 1280 + 8), /lies outside the file/],
    ['count', (b) => b.writeUInt32LE(0xffffffff, 0), /header says 4294967295 blobs/],
  ];
  for (const [name, mutate, re] of cases) {
    const b = Buffer.from(orig);
    mutate(b);
    const f = join(tmp.dir, `${name}.bin`);
    await writeFile(f, b);
    await expect(inspectBlobFile(f)).rejects.toThrow(
      expect.objectContaining({ code: 'MLPACKAGE_MALFORMED_BLOB', message: expect.stringMatching(re) }),
    );
  }
  const r = await BlobFileReader.open(join(tmp.dir, 'sentinel.bin'), 'x.bin', 't');
  await expect(r.readRecord(100, 't')).rejects.toThrow(/not a 64-aligned offset/);
  await r.close();
});

test('a package whose weight.bin is truncated fails on read with the file and offset, others still read', async () => {
  const pkgDir = join(tmp.dir, 'trunc.mlpackage');
  await mkdir(join(pkgDir, 'Data/com.apple.CoreML/weights'), { recursive: true });
  await copyFile(join(SUPERPOINT, 'Manifest.json'), join(pkgDir, 'Manifest.json'));
  await copyFile(
    join(SUPERPOINT, 'Data/com.apple.CoreML/model.mlmodel'),
    join(pkgDir, 'Data/com.apple.CoreML/model.mlmodel'),
  );
  const bin = await readFile(join(SUPERPOINT, 'Data/com.apple.CoreML/weights/weight.bin'));
  await writeFile(join(pkgDir, 'Data/com.apple.CoreML/weights/weight.bin'), bin.subarray(0, 1_000_000));
  const pkg = await readMlPackage(pkgDir);
  expect((await readWeight(pkg, 'conv1a_weight_to_fp16')).length).toBe(576);
  const lateName = listLateBlobs(pkg).at(-1)!;
  expect(lateName).toBe('convDb_bias_to_fp16');
  await expect(readWeight(pkg, lateName)).rejects.toThrow(
    expect.objectContaining({
      code: 'MLPACKAGE_MALFORMED_BLOB',
      message: expect.stringMatching(/weight\.bin at byte \d+/),
    }),
  );
});

function listLateBlobs(pkg: Awaited<ReturnType<typeof readMlPackage>>): string[] {
  return pkg.programs[0]!.functions[0]!.block.operations.filter(
    (o) => (o.attributes.get('val')?.blobFileValue?.offset ?? 0) > 1_000_000,
  ).map((o) => o.outputs[0]!.name!);
}

test('sub-byte blobs written by compressWeights carry the right padding', async () => {
  const b = createProgramBuilder({ opset: 'iOS18' });
  const x = b.input('x', 'float16', [1, 5]);
  const w = b.constant('w', randomWeights(15, 11), [3, 5], 'float16');
  b.output(b.linear(x, w));
  const pkg = b.build();
  const t = quantizeForTest(await readWeight(pkg, 'w'), [3, 5], [1, 5], 'int4');
  const out = join(tmp.dir, 'int4.mlpackage');
  await writeMlPackage(compressWeights(pkg, [{ weight: 'w', tensor: t }]).package, out);
  const s = await inspectBlobFile(join(out, 'Data/com.apple.CoreML/weights/weight.bin'));
  expect(s.entries.map((e) => [e.dtype, e.sizeInBytes, e.paddingBits, e.elementCount])).toEqual([['int4', 8, 4, 15]]);
});
