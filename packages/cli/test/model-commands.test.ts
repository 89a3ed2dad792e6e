import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listWeights, quantizeActivations, readMlPackage, readWeight, writeMlPackage } from '@lowbit/io-mlpackage';
import { dequantize, quantize } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';
import type { QuantizeReport } from '../src/commands/quantize.js';
import { NO_WEIGHTS, SUPERPOINT, tempDir, writeMlp, YOLO } from './fixtures.js';
import { run } from './run.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

async function hashTree(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      hash.update(p.slice(dir.length));
      if (e.isDirectory()) await walk(p);
      else hash.update(await readFile(p));
    }
  };
  await walk(dir);
  return hash.digest('hex');
}

describe('lowbit inspect', () => {
  test('lists the 64 LUT weights of the palettized pipeline', async () => {
    const r = await run(['inspect', YOLO, '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as {
      weights: { compression: { kind: string } | null }[];
      totals: { compressed: number };
    };
    expect(summary.weights.filter((w) => w.compression?.kind === 'lut_to_dense')).toHaveLength(64);
    expect(summary.totals.compressed).toBe(64);
  });

  test('prints a table with opset and totals, and handles a package without weights', async () => {
    const r = await run(['inspect', SUPERPOINT]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/opset CoreML5 \(iOS15\)/);
    expect(r.out).toMatch(/24 weights \(0 compressed\)/);
    const empty = await run(['inspect', NO_WEIGHTS]);
    expect(empty.code).toBe(0);
    expect(empty.out).toMatch(/0 weights/);
  });

  test('shows activation quantization pairs', async () => {
    const src = join(tmp.dir, 'act.mlpackage');
    await writeMlp(src, 'iOS17');
    const withPairs = quantizeActivations(await readMlPackage(src), [
      { op: 'fc2', dtype: 'int8', scale: 0.05, zeroPoint: 0 },
    ]);
    const out = join(tmp.dir, 'act-q.mlpackage');
    await writeMlPackage(withPairs.package, out);
    const r = await run(['inspect', out, '--json']);
    const summary = JSON.parse(r.out) as {
      activationQuantization: { consumers: string[]; dtype: string; scales: number[] }[];
    };
    expect(summary.activationQuantization).toHaveLength(1);
    expect(summary.activationQuantization[0]?.consumers).toEqual(['fc2']);
    expect(summary.activationQuantization[0]?.scales).toEqual([0.04998779296875]); // fp16 model: scale stored as float16
    expect((await run(['inspect', out])).out).toMatch(/activation quantization/);
  });

  test('a missing or broken package fails with exit 1 and a message naming the file', async () => {
    const r = await run(['inspect', join(tmp.dir, 'nope.mlpackage')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nope\.mlpackage/);
    const bad = join(tmp.dir, 'bad.mlpackage');
    await writeMlp(bad, 'iOS16');
    await writeFile(join(bad, 'Manifest.json'), '{"fileFormatVersion": 7');
    const broken = await run(['inspect', bad]);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/Manifest\.json/);
  });
});

describe('lowbit decompress + quantize on the real palettized pipeline', () => {
  test('decompress, then int8 with the coremltools defaults, with a truthful report; the input is untouched', async () => {
    const before = await hashTree(YOLO);
    const plain = join(tmp.dir, 'yolo-plain.mlpackage');
    expect((await run(['decompress', YOLO, '-o', plain])).code).toBe(0);
    const out = join(tmp.dir, 'yolo-int8.mlpackage');
    const reportPath = join(tmp.dir, 'yolo-report.json');
    const r = await run(['quantize', plain, '-o', out, '--report', reportPath]);
    expect(r.code, r.err).toBe(0);
    expect(await hashTree(YOLO)).toBe(before);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as QuantizeReport;
    const pkg = await readMlPackage(out);
    const weights = listWeights(pkg);
    // Every weight of the package appears in the report exactly once, with a reason when skipped.
    expect(report.weights.map((w) => w.name).sort()).toEqual(weights.map((w) => w.name).sort());
    for (const row of report.weights) expect(row.reason.length).toBeGreaterThan(10);
    const quantized = report.weights.filter((w) => w.status === 'quantized');
    expect(quantized.length).toBe(60);
    for (const row of quantized) {
      expect(row.op).toBe('constexpr_affine_dequantize');
      expect(row.sqnrDb).toBeGreaterThan(25);
      const w = weights.find((x) => x.name === row.name);
      expect(w?.compression?.kind).toBe('affine_dequantize');
      expect(w?.byteSize).toBe(row.bytesAfter);
    }
    // Rank-1 and small weights are skipped with coremltools' reasons.
    expect(report.weights.some((w) => /1-D tensors/.test(w.reason))).toBe(true);
    expect(report.weights.some((w) => /below the 2,048-element threshold/.test(w.reason))).toBe(true);
    expect(report.totals.packageBytesAfter).toBeLessThan(report.totals.packageBytesBefore * 0.6);
  }, 60_000);

  test('int4 on an iOS16 program is refused with what would work', async () => {
    const plain = join(tmp.dir, 'yolo-plain2.mlpackage');
    await run(['decompress', YOLO, '-o', plain]);
    const r = await run(['quantize', plain, '-o', join(tmp.dir, 'yolo-int4.mlpackage'), '--preset', 'w4']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/iOS18/);
    expect(r.err).toMatch(/MLPACKAGE_OPSET_TOO_OLD/);
    const upgrade = await run([
      'quantize',
      plain,
      '-o',
      join(tmp.dir, 'yolo-int4.mlpackage'),
      '--preset',
      'w4',
      '--target',
      'iOS18',
    ]);
    expect(upgrade.code).toBe(1);
    expect(upgrade.err).toMatch(/conv \(changed in iOS17\)/);
  }, 60_000);

  test('superpoint (iOS15): int8 needs iOS16, which --target provides; int4 blocks need iOS18, which conv forbids', async () => {
    const refused = await run(['quantize', SUPERPOINT, '-o', join(tmp.dir, 'sp-refused.mlpackage')]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/iOS16/);
    const out = join(tmp.dir, 'sp-int8.mlpackage');
    const r = await run(['quantize', SUPERPOINT, '-o', out, '--target', 'iOS16', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as QuantizeReport;
    expect(report.target).toBe('iOS16');
    expect(report.totals.quantized).toBeGreaterThan(5);
    const pkg = await readMlPackage(out);
    expect(pkg.programs[0]?.functions[0]?.opset).toBe('CoreML6');
    const w4 = await run([
      'quantize',
      SUPERPOINT,
      '-o',
      join(tmp.dir, 'sp-w4.mlpackage'),
      '--preset',
      'w4_per_block',
      '--target',
      'iOS18',
    ]);
    expect(w4.code).toBe(1);
    expect(w4.err).toMatch(/conv \(changed in iOS17\)/);
  }, 60_000);

  test('fp8 cannot be stored in Core ML and is refused clearly', async () => {
    const src = join(tmp.dir, 'mlp16-fp8.mlpackage');
    await writeMlp(src, 'iOS18');
    const r = await run(['quantize', src, '-o', join(tmp.dir, 'fp8-out.mlpackage'), '--preset', 'fp8']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/MLPACKAGE_UNSUPPORTED/);
  });
});

describe('lowbit quantize on built packages', () => {
  test('int4 per-block-32 on iOS18: written weights decode exactly to kernels dequantize of the same spec', async () => {
    const src = join(tmp.dir, 'mlp18.mlpackage');
    await writeMlp(src, 'iOS18', 'float32');
    const out = join(tmp.dir, 'mlp18-w4.mlpackage');
    const r = await run(['quantize', src, '-o', out, '--preset', 'w4_per_block', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as QuantizeReport;
    expect(report.weights.find((w) => w.name === 'fc1_weight')?.op).toBe('constexpr_blockwise_shift_scale');
    expect(report.weights.find((w) => w.name === 'fc1_bias')?.status).toBe('skipped');
    // fc2 has 1024 elements: below the threshold.
    expect(report.weights.find((w) => w.name === 'fc2_weight')?.reason).toMatch(/threshold/);
    const original = await readMlPackage(src);
    const written = await readMlPackage(out);
    const spec: QuantizationSpec = {
      version: 1,
      dtype: 'int4',
      qscheme: 'symmetric',
      qformulation: 'zp',
      granularity: { type: 'per_block', blockSize: 32 },
    };
    const w = await readWeight(original, 'fc1_weight');
    const expected = dequantize(quantize({ data: w, shape: [64, 128] }, spec, { opKind: 'linear' })).data;
    expect(await readWeight(written, 'fc1_weight')).toEqual(expected);
  });

  test('compare reports per-weight SQNR and the size ratio', async () => {
    const src = join(tmp.dir, 'mlp16.mlpackage');
    await writeMlp(src, 'iOS16');
    const out = join(tmp.dir, 'mlp16-w8.mlpackage');
    expect((await run(['quantize', src, '-o', out])).code).toBe(0);
    const r = await run(['compare', src, out, '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as { rows: { name: string; sqnrDb: number | null }[]; sizeRatio: number };
    expect(result.rows.find((row) => row.name === 'fc1_weight')?.sqnrDb).toBeGreaterThan(38);
    expect(result.rows.find((row) => row.name === 'fc1_bias')?.sqnrDb).toBeNull(); // exact: JSON has no Infinity
    expect(result.sizeRatio).toBeGreaterThan(1.3);
  });

  test('refuses to overwrite the input or an existing output', async () => {
    const src = join(tmp.dir, 'mlp-same.mlpackage');
    await writeMlp(src, 'iOS16');
    const same = await run(['quantize', src, '-o', src]);
    expect(same.code).toBe(1);
    expect(same.err).toMatch(/MLPACKAGE_OUTPUT_EXISTS/);
    const missing = await run(['quantize', src]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--output is required/);
  });
});
