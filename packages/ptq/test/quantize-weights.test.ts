import { describe, expect, test } from 'vitest';
import { isQuantError } from '@lowbit/dtypes';
import { dequantize, maxAbsError, quantize, sqnr } from '@lowbit/kernels';
import type { Tensor } from '@lowbit/kernels';
import { getPreset, opKindOf, resolveTensorSpec } from '@lowbit/spec';
import type { QuantizationConfig, QuantizationSpec } from '@lowbit/spec';
import { quantizeWeights } from '../src/index.js';
import type { WeightTensor } from '../src/index.js';
import { createRandom, sample } from './random.js';
import { quantErrorCodeAsync as codeOf } from '../../../tools/lib/quant-error-code.js';

const INT8_PC: QuantizationSpec = {
  version: 1,
  dtype: 'int8',
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity: { type: 'per_channel' },
};
const INT4_B32: QuantizationSpec = { ...INT8_PC, dtype: 'int4', granularity: { type: 'per_block', blockSize: 32 } };
const UINT8_ASYM_PT: QuantizationSpec = {
  ...INT8_PC,
  dtype: 'uint8',
  qscheme: 'asymmetric',
  granularity: { type: 'per_tensor' },
};

function tensor(shape: number[], seed: number): Tensor {
  const rng = createRandom(seed);
  return {
    data: sample(
      shape.reduce((a, b) => a * b, 1),
      () => rng.normal() * 0.1,
    ),
    shape,
  };
}

const model = (): WeightTensor[] => [
  { name: 'embed', opType: 'embedding', tensor: tensor([64, 96], 1) },
  { name: 'layers.0.attn.q', opType: 'linear', tensor: tensor([96, 96], 2) },
  { name: 'layers.0.mlp.up', opType: 'Gemm', tensor: tensor([128, 96], 3) },
  { name: 'layers.1.mlp.up', opType: 'linear', tensor: tensor([128, 96], 4) },
  { name: 'conv1', opType: 'Conv2d', tensor: tensor([32, 16, 3, 3], 5) },
  { name: 'deconv', opType: 'ConvTranspose', tensor: tensor([16, 32, 3, 3], 6) },
  { name: 'norm', opType: 'layer_norm', tensor: tensor([96], 7) },
  { name: 'head', opType: 'linear', tensor: tensor([10, 96], 8) },
];

const config: QuantizationConfig = {
  version: 1,
  global: UINT8_ASYM_PT,
  byOpType: { linear: INT8_PC, conv_transpose: null },
  byOpName: { 'layers.1.mlp.up': INT4_B32, 're:layers\\.\\d+\\.attn\\..*': INT4_B32, head: null },
  minSize: 1000,
};

describe('quantizeWeights', () => {
  test('codes and scales are identical to calling kernels quantize with the resolved spec', async () => {
    const weights = model();
    const { tensors } = await quantizeWeights(weights, config);
    for (const { name, quantized } of tensors) {
      const w = weights.find((x) => x.name === name)!;
      const res = resolveTensorSpec(config, { name, opType: w.opType, shape: w.tensor.shape });
      expect(res.spec).not.toBeNull();
      const direct = quantize(w.tensor, res.spec!, { opKind: opKindOf(w.opType) });
      expect(quantized).toEqual(direct);
    }
    expect(tensors.map((t) => t.name)).toEqual([
      'embed',
      'layers.0.attn.q',
      'layers.0.mlp.up',
      'layers.1.mlp.up',
      'conv1',
    ]);
  });

  test('config precedence (name > type > global, regex, null, threshold) is visible in the report', async () => {
    const { report } = await quantizeWeights(model(), config);
    const row = (name: string) => report.tensors.find((r) => r.name === name)!;
    expect(report.tensors).toHaveLength(8);
    // global (embedding has no byOpType entry)
    expect(row('embed')).toMatchObject({
      status: 'quantized',
      source: 'global',
      configKey: null,
      specLabel: 'uint8 asymmetric per_tensor',
    });
    // regex over op type
    expect(row('layers.0.attn.q')).toMatchObject({
      status: 'quantized',
      source: 'name',
      configKey: 're:layers\\.\\d+\\.attn\\..*',
      specLabel: 'int4 symmetric per_block(32)',
    });
    expect(row('layers.0.attn.q').reason).toMatch(/matches byOpName pattern/);
    // op kind: Gemm -> linear
    expect(row('layers.0.mlp.up')).toMatchObject({
      status: 'quantized',
      source: 'op_type',
      configKey: 'linear',
      specLabel: 'int8 symmetric per_channel',
    });
    // exact name over op type
    expect(row('layers.1.mlp.up')).toMatchObject({
      source: 'name',
      configKey: 'layers.1.mlp.up',
      specLabel: 'int4 symmetric per_block(32)',
    });
    // global spec on a conv
    expect(row('conv1')).toMatchObject({ status: 'quantized', source: 'global' });
    // null by op kind, null by name, threshold
    expect(row('deconv')).toMatchObject({ status: 'skipped', skipReason: 'disabled_by_op_type', spec: null });
    expect(row('head')).toMatchObject({ status: 'skipped', skipReason: 'disabled_by_name', source: 'name' });
    expect(row('norm')).toMatchObject({ status: 'skipped', skipReason: 'below_min_size' });
    for (const r of report.tensors.filter((x) => x.status === 'skipped')) {
      expect(r.reason).toMatch(/^skipped: /);
      expect(r.bytesAfter).toBe(r.bytesBefore);
      expect(r.sqnrDb).toBeNull();
    }
    expect(report.totals).toMatchObject({ tensors: 8, quantized: 5, skipped: 3, tied: 0, failed: 0 });
  });

  test('bytes, SQNR and max error are computed per tensor and in totals', async () => {
    const a = tensor([64, 64], 11);
    const b = tensor([64, 64], 12);
    const weights: WeightTensor[] = [
      { name: 'a', opType: 'linear', tensor: a },
      { name: 'b', opType: 'linear', tensor: b, originalDType: 'float16' },
    ];
    const cfg: QuantizationConfig = {
      version: 1,
      global: INT8_PC,
      byOpName: { b: { ...INT4_B32, scaleDtype: 'float16' } },
    };
    const { report, tensors } = await quantizeWeights(weights, cfg);
    // a: 4096 float32 = 16384 bytes -> 4096 int8 codes + 64 float32 scales = 4352
    expect(report.tensors[0]).toMatchObject({ bytesBefore: 16384, bytesAfter: 4352 });
    // b: 4096 float16 = 8192 bytes -> 2048 bytes of int4 codes + 128 float16 scales = 2304
    expect(report.tensors[1]).toMatchObject({ bytesBefore: 8192, bytesAfter: 2304 });
    expect(report.totals).toMatchObject({ bytesBefore: 24576, bytesAfter: 6656 });
    expect(report.totals.compressionRatio).toBeCloseTo(24576 / 6656, 12);
    let signal = 0;
    let noise = 0;
    for (const [i, t] of [a, b].entries()) {
      const approx = dequantize(tensors[i]!.quantized).data;
      expect(report.tensors[i]!.sqnrDb).toBe(sqnr(t.data, approx));
      expect(report.tensors[i]!.maxAbsError).toBe(maxAbsError(t.data, approx));
      for (let k = 0; k < approx.length; k++) {
        signal += t.data[k]! ** 2;
        noise += (t.data[k]! - approx[k]!) ** 2;
      }
    }
    expect(report.totals.sqnrDb).toBeCloseTo(10 * Math.log10(signal / noise), 9);
    // int8 per-channel on Gaussian data: ~40 dB; int4 blocks of 32: ~20 dB.
    expect(report.tensors[0]!.sqnrDb).toBeGreaterThan(38);
    expect(report.tensors[1]!.sqnrDb).toBeGreaterThan(18);
    const unmeasured = await quantizeWeights(weights, cfg, { measure: false });
    expect(unmeasured.report.tensors[0]!.sqnrDb).toBeNull();
    expect(unmeasured.report.totals.sqnrDb).toBeNull();
  });

  test('tied weights are quantized once and never conflict', async () => {
    const shared = tensor([64, 96], 21);
    const weights: WeightTensor[] = [
      { name: 'embed', opType: 'embedding', tensor: shared, consumers: ['gather_0'] },
      {
        name: 'lm_head',
        opType: 'linear',
        tensor: { data: shared.data, shape: shared.shape },
        consumers: ['matmul_9'],
      },
      { name: 'embed', opType: 'embedding', tensor: { data: new Float32Array(shared.data), shape: [64, 96] } },
    ];
    const cfg: QuantizationConfig = { version: 1, global: INT8_PC, byOpType: { linear: INT4_B32 } };
    const { tensors, report } = await quantizeWeights(weights, cfg);
    expect(tensors.map((t) => t.name)).toEqual(['embed', 'lm_head']);
    expect(tensors[1]!.quantized).toBe(tensors[0]!.quantized);
    expect(report.tensors.map((r) => r.status)).toEqual(['quantized', 'tied', 'tied']);
    expect(report.tensors[1]).toMatchObject({
      tiedTo: 'embed',
      specLabel: 'int8 symmetric per_channel',
      consumers: ['matmul_9'],
    });
    expect(report.tensors[1]!.reason).toMatch(
      /^tied: the same tensor data as 'embed' \(#0\), quantized once there as int8 symmetric per_channel; this row's own rule .* is not applied/,
    );
    expect(report.tensors[2]!.reason).toMatch(/^tied: the same name and contents as 'embed'/);
    expect(report.totals).toMatchObject({ quantized: 1, tied: 2, bytesBefore: 64 * 96 * 4 });
  });

  test('a name reused for different contents is an error, reported precisely', async () => {
    const weights: WeightTensor[] = [
      { name: 'w', opType: 'linear', tensor: tensor([64, 64], 31) },
      { name: 'w', opType: 'linear', tensor: tensor([64, 64], 32) },
    ];
    expect(await codeOf(quantizeWeights(weights, getPreset('w8')))).toBe('PTQ_DUPLICATE_TENSOR');
    const { report } = await quantizeWeights(weights, getPreset('w8'), { onError: 'skip' });
    expect(report.tensors[1]).toMatchObject({ status: 'failed', error: { code: 'PTQ_DUPLICATE_TENSOR' } });
  });

  test("errors name the tensor; onError 'skip' reports them and carries on", async () => {
    const weights: WeightTensor[] = [
      { name: 'ok', opType: 'linear', tensor: tensor([64, 64], 41) },
      { name: 'odd', opType: 'linear', tensor: tensor([64, 50], 42) },
      { name: 'nan', opType: 'linear', tensor: tensor([64, 64], 43) },
    ];
    weights[2]!.tensor.data[77] = NaN;
    const cfg: QuantizationConfig = { version: 1, global: INT4_B32 };
    let caught: unknown;
    try {
      await quantizeWeights(weights, cfg);
    } catch (e) {
      caught = e;
    }
    expect(isQuantError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(
      /^quantizeWeights: tensor 'odd' \(#1, linear, shape \[64, 50\], spec int4 symmetric per_block\(32\)\): /,
    );
    const { report, tensors } = await quantizeWeights(weights, cfg, { onError: 'skip' });
    expect(tensors.map((t) => t.name)).toEqual(['ok']);
    expect(report.tensors.map((r) => r.status)).toEqual(['quantized', 'failed', 'failed']);
    expect(report.tensors[2]!.error).toMatchObject({ code: 'KERNELS_NON_FINITE_INPUT' });
    expect(report.totals.failed).toBe(2);
  });

  test('progress is reported for every tensor, with the total for arrays', async () => {
    const seen: unknown[] = [];
    await quantizeWeights(model().slice(0, 3), getPreset('w8'), { onProgress: (p) => seen.push(p) });
    expect(seen).toEqual([
      { index: 0, total: 3, name: 'embed' },
      { index: 1, total: 3, name: 'layers.0.attn.q' },
      { index: 2, total: 3, name: 'layers.0.mlp.up' },
    ]);
  });

  test('bad inputs and options are rejected with QuantErrors', async () => {
    expect(await codeOf(quantizeWeights(42 as never, getPreset('w8')))).toBe('PTQ_INVALID_ARGUMENT');
    expect(await codeOf(quantizeWeights([{ opType: 'linear' } as never], getPreset('w8')))).toBe(
      'PTQ_INVALID_ARGUMENT',
    );
    expect(await codeOf(quantizeWeights([], getPreset('w8'), { onError: 'ignore' as never }))).toBe(
      'PTQ_INVALID_ARGUMENT',
    );
    expect(await codeOf(quantizeWeights([], getPreset('w8'), { rangeSearch: { maxShrink: 1 } }))).toBe(
      'PTQ_INVALID_ARGUMENT',
    );
    expect(await codeOf(quantizeWeights([], { version: 1, global: { ...INT8_PC, dtype: 'int77' } }))).toBeDefined();
    const empty = await quantizeWeights([], getPreset('w8'));
    expect(empty.report.totals).toMatchObject({
      tensors: 0,
      bytesBefore: 0,
      bytesAfter: 0,
      compressionRatio: 1,
      sqnrDb: null,
    });
  });
});
