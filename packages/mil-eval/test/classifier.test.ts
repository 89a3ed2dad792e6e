import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressWeights, createProgramBuilder, readMlPackage, writeMlPackage } from '@lowbit/io-mlpackage';
import type { MlPackage } from '@lowbit/io-mlpackage';
import { dequantize, quantize } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { evaluateClassifier, loadProgram, runProgram } from '../src/index.js';
import { maxDiff, referenceConv, referenceLinear, seeded } from './_helpers/reference.js';

// A small model shaped like the demo's: normalise, conv 3x3/2 (1 -> 4), relu, flatten, linear 256 -> 32, relu,
// linear 32 -> 10, softmax. Weights are seeded; the reference forward below shares no code with the evaluator.
const C = 4;
const K = C * 8 * 8; // 16x16 input, stride 2 -> 8x8
const H = 32;
const W = {
  conv: seeded(C * 9, 11),
  convB: seeded(C, 12),
  fc1: seeded(H * K, 13).map((v) => v * 0.2),
  fc1B: seeded(H, 14),
  fc2: seeded(10 * H, 15),
  fc2B: seeded(10, 16),
};

function build(opset: 'iOS16' | 'iOS18'): MlPackage {
  const b = createProgramBuilder({ opset });
  const image = b.input('image', 'float32', [1, 1, 16, 16]);
  const x = b.add(b.binary('mul', image, b.constant('scale', [1 / 255], [1])), b.constant('shift', [-0.5], [1]));
  const conv = b.conv(x, b.constant('conv_w', W.conv, [C, 1, 3, 3]), b.constant('conv_b', W.convB, [C]), {
    strides: [2, 2],
    padType: 'custom',
    pad: [1, 1, 1, 1],
    name: 'conv',
  });
  const [flat] = b.op(
    'reshape',
    { x: b.relu(conv), shape: b.constant('flat_shape', [-1, K], [2], 'int32') },
    [{ dtype: 'float32', shape: [1, K] }],
    'flat',
  );
  const h = b.relu(
    b.linear(
      flat as NonNullable<typeof flat>,
      b.constant('fc1_w', W.fc1, [H, K]),
      b.constant('fc1_b', W.fc1B, [H]),
      'fc1',
    ),
  );
  b.output(
    b.softmax(b.linear(h, b.constant('fc2_w', W.fc2, [10, H]), b.constant('fc2_b', W.fc2B, [10]), 'fc2'), -1, 'probs'),
  );
  return b.build();
}

/** Plain float forward of the same network with the given layer weights. */
function forward(
  pixels: Float32Array,
  n: number,
  conv: Float32Array,
  fc1: Float32Array,
  fc2: Float32Array,
): Float32Array {
  const x = pixels.map((p) => p / 255 - 0.5);
  const c = referenceConv(x, [n, 1, 16, 16], conv, [C, 1, 3, 3], W.convB, {
    strides: [2, 2],
    pad: [1, 1, 1, 1],
    dilations: [1, 1],
    groups: 1,
  });
  const a = c.data.map((v) => Math.max(v, 0));
  const h = referenceLinear(a, n, fc1, H, K, W.fc1B).map((v) => Math.max(v, 0));
  const logits = referenceLinear(h, n, fc2, 10, H, W.fc2B);
  const out = new Float32Array(n * 10);
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let k = 0; k < 10; k++) m = Math.max(m, logits[r * 10 + k] as number);
    let s = 0;
    for (let k = 0; k < 10; k++) s += Math.exp((logits[r * 10 + k] as number) - m);
    for (let k = 0; k < 10; k++) out[r * 10 + k] = Math.exp((logits[r * 10 + k] as number) - m) / s;
  }
  return out;
}

const N = 6;
const pixels = seeded(N * 256, 99).map((v) => Math.round((v + 1) * 127.5));

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mil-eval-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeAndRead(pkg: MlPackage, name: string): Promise<MlPackage> {
  await writeMlPackage(pkg, join(dir, name));
  return readMlPackage(join(dir, name));
}

const spec = (
  dtype: string,
  granularity: QuantizationSpec['granularity'],
  qscheme: QuantizationSpec['qscheme'] = 'symmetric',
): QuantizationSpec => ({
  version: 1,
  dtype,
  qscheme,
  qformulation: 'zp',
  granularity,
});

describe('evaluating a written package', () => {
  test('matches an independent float forward of the same weights', async () => {
    const program = await loadProgram(await writeAndRead(build('iOS18'), 'float.mlpackage'));
    const got = runProgram(program, { image: { data: pixels, shape: [N, 1, 16, 16] } }).probs;
    expect(got?.shape).toEqual([N, 10]);
    expect(maxDiff(got?.data ?? [], forward(pixels, N, W.conv, W.fc1, W.fc2))).toBeLessThan(1e-6);
  });

  const cases: Array<{
    name: string;
    opset: 'iOS16' | 'iOS18';
    conv: QuantizationSpec;
    fc: QuantizationSpec;
    op: string;
  }> = [
    {
      name: 'int8 per-channel (iOS16 constexpr_affine_dequantize)',
      opset: 'iOS16',
      conv: spec('int8', { type: 'per_channel' }),
      fc: spec('int8', { type: 'per_channel' }),
      op: 'constexpr_affine_dequantize',
    },
    {
      name: 'uint8 asymmetric per-channel (iOS16, zero points)',
      opset: 'iOS16',
      conv: spec('uint8', { type: 'per_channel' }, 'asymmetric'),
      fc: spec('uint8', { type: 'per_channel' }, 'asymmetric'),
      op: 'constexpr_affine_dequantize',
    },
    {
      name: 'int4 per-block-32 (iOS18 constexpr_blockwise_shift_scale)',
      opset: 'iOS18',
      conv: spec('int4', { type: 'per_channel' }),
      fc: spec('int4', { type: 'per_block', blockSize: 32 }),
      op: 'constexpr_blockwise_shift_scale',
    },
    {
      name: 'uint4 asymmetric per-block-16 (iOS18, offsets)',
      opset: 'iOS18',
      conv: spec('uint4', { type: 'per_channel' }, 'asymmetric'),
      fc: spec('uint4', { type: 'per_block', blockSize: 16 }, 'asymmetric'),
      op: 'constexpr_blockwise_shift_scale',
    },
  ];
  for (const c of cases) {
    test(`${c.name}: the constexpr weights evaluate like kernels' dequantized weights`, async () => {
      const qConv = quantize({ data: W.conv, shape: [C, 1, 3, 3] }, c.conv, { opKind: 'conv' });
      const qFc1 = quantize({ data: W.fc1, shape: [H, K] }, c.fc, { opKind: 'linear' });
      const qFc2 = quantize({ data: W.fc2, shape: [10, H] }, c.fc, { opKind: 'linear' });
      const { package: compressed } = compressWeights(build(c.opset), [
        { weight: 'conv_w', tensor: qConv },
        { weight: 'fc1_w', tensor: qFc1 },
        { weight: 'fc2_w', tensor: qFc2 },
      ]);
      const pkg = await writeAndRead(compressed, `${c.opset}-${c.conv.dtype}-${c.name.length}.mlpackage`);
      const program = await loadProgram(pkg);
      expect(program.opTypeCounts[c.op]).toBe(3);
      const got =
        runProgram(program, { image: { data: pixels, shape: [N, 1, 16, 16] } }).probs?.data ?? new Float32Array(0);
      const want = forward(pixels, N, dequantize(qConv).data, dequantize(qFc1).data, dequantize(qFc2).data);
      expect(maxDiff(got, want)).toBeLessThan(1e-6);
      // And it is not the float model: 4-bit weights move the probabilities visibly.
      if (c.fc.dtype.endsWith('4'))
        expect(maxDiff(got, forward(pixels, N, W.conv, W.fc1, W.fc2))).toBeGreaterThan(1e-4);
    });
  }

  test('evaluateClassifier counts argmax hits, batch size does not matter', async () => {
    const pkg = build('iOS18');
    const probs = forward(pixels, N, W.conv, W.fc1, W.fc2);
    const argmax = Array.from({ length: N }, (_, r) => {
      let best = 0;
      for (let k = 1; k < 10; k++) if ((probs[r * 10 + k] as number) > (probs[r * 10 + best] as number)) best = k;
      return best;
    });
    const labels = Uint8Array.from(argmax, (a, i) => (i % 2 === 0 ? a : (a + 1) % 10)); // half right
    const images = { count: N, rows: 16, cols: 16, data: Uint8Array.from(pixels) };
    for (const batchSize of [1, 4, 100]) {
      const r = await evaluateClassifier(pkg, images, labels, { batchSize });
      expect(Array.from(r.predictions)).toEqual(argmax);
      expect(r.correct).toBe(N / 2);
      expect(r.accuracy).toBe(0.5);
    }
    const limited = await evaluateClassifier(pkg, images, labels, { limit: 2 });
    expect(limited.total).toBe(2);
    expect(limited.correct).toBe(1);
  });
});
