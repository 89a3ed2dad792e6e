import { describe, expect, test } from 'vitest';
import { isQuantError } from '@lowbit/dtypes';
import { chooseQParams, dequantize, quantize, unpackCodes } from '@lowbit/kernels';
import type { Tensor } from '@lowbit/kernels';
import { getPreset } from '@lowbit/spec';
import type { QuantizationSpec } from '@lowbit/spec';
import { createFakeQuantizer, createQatSchedule, prepare } from '../src/index.js';
import { createRandom, sample } from './helpers/random.js';

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(isQuantError(error) && error.code).toBe(code);
    return;
  }
  throw new Error('expected a QuantError');
}

describe('schedule milestones', () => {
  test('coremltools semantics: the (m + 1)-th step applies milestone m; -1 never', () => {
    const s = createQatSchedule([0, 2, 4, 3]);
    expect(s.state).toEqual({ observersEnabled: false, fakeQuantEnabled: false, batchNormFrozen: false });
    const log: string[][] = [];
    const states = [];
    for (let i = 0; i < 6; i++) {
      log.push(s.step());
      states.push(s.state);
    }
    expect(log).toEqual([
      ['enable_observers'],
      [],
      ['enable_fake_quant'],
      ['freeze_batch_norm'],
      ['freeze_observers'],
      [],
    ]);
    expect(states.map((x) => [x.observersEnabled, x.fakeQuantEnabled, x.batchNormFrozen])).toEqual([
      [true, false, false],
      [true, false, false],
      [true, true, false],
      [true, true, true],
      [false, true, true],
      [false, true, true],
    ]);
    expect(s.stepCount).toBe(6);
    const never = createQatSchedule([0, -1, -1, -1]);
    for (let i = 0; i < 5; i++) never.step();
    expect(never.state).toEqual({ observersEnabled: true, fakeQuantEnabled: false, batchNormFrozen: false });
  });

  test('no milestones: everything on from the start, step only counts', () => {
    const s = createQatSchedule(null);
    expect(s.state).toEqual({ observersEnabled: true, fakeQuantEnabled: true, batchNormFrozen: false });
    expect(s.step()).toEqual([]);
    expect(s.state).toEqual({ observersEnabled: true, fakeQuantEnabled: true, batchNormFrozen: false });
  });

  test('invalid milestones are rejected', () => {
    expectCode(() => createQatSchedule([0, 1, 2] as never), 'QAT_INVALID_ARGUMENT');
    expectCode(() => createQatSchedule([0, 1.5, 2, 3]), 'QAT_INVALID_ARGUMENT');
    expectCode(() => createQatSchedule([5, 0, 2, 3]), 'QAT_INVALID_ARGUMENT');
    expectCode(() => createQatSchedule([-1, 0, 2, 3]), 'QAT_INVALID_ARGUMENT');
  });
});

function linearWeight(seed: number, rows: number, cols: number): Tensor {
  const rnd = createRandom(seed);
  return { data: sample(rows * cols, () => rnd.normal() * 0.1), shape: [rows, cols] };
}

describe('session: observers, freezing and fake quantization follow the schedule', () => {
  test('warm-up observes, freezing stops range updates, fake quant switches on at its milestone', () => {
    let w = linearWeight(1, 16, 32);
    const session = prepare(
      { weights: [{ name: 'fc', opType: 'linear', value: () => w }] },
      { quantization: { version: 1, global: getPreset('w4').global!, minSize: 0 }, milestones: [0, 2, 3, -1] },
    );
    const fq = session.weights.get('fc')!;
    // step 0 not called yet: everything off, forward is the identity and observes nothing.
    expect(fq.forward(w)).toBe(w);
    expect(fq.observed).toBe(0);
    session.step(); // enable observers
    expect(fq.forward(w)).toBe(w);
    expect(fq.observed).toBe(1);
    // weight observer default: the current weights' range, so qparams == chooseQParams(w)
    expect(fq.qparams()!.scales).toEqual(chooseQParams(w, fq.spec, { opKind: 'linear' }).scales);
    session.step();
    session.step(); // fake quant on (milestone 2)
    w = { data: w.data.map((v) => v * 2), shape: w.shape };
    const y = fq.forward(w);
    expect(y).not.toBe(w);
    expect(fq.qparams()!.scales).toEqual(chooseQParams(w, fq.spec, { opKind: 'linear' }).scales);
    session.step(); // freeze observers (milestone 3)
    const frozen = fq.qparams()!.scales.slice();
    w = { data: w.data.map((v) => v * 3), shape: w.shape };
    fq.forward(w);
    expect(fq.qparams()!.scales).toEqual(frozen);
    expect(session.state).toEqual({ observersEnabled: false, fakeQuantEnabled: true, batchNormFrozen: false });
  });

  test('eval mode does not observe', () => {
    const w = linearWeight(2, 8, 8);
    const session = prepare(
      { weights: [{ name: 'fc', opType: 'linear', value: w }] },
      { quantization: { version: 1, global: getPreset('w8').global!, minSize: 0 } },
    );
    session.training = false;
    session.weights.get('fc')!.forward(w);
    expect(session.weights.get('fc')!.observed).toBe(0);
    session.training = true;
    session.weights.get('fc')!.forward(w);
    expect(session.weights.get('fc')!.observed).toBe(1);
  });

  test('activation points get the config activation spec; small weights are skipped by the threshold', () => {
    const session = prepare(
      {
        weights: [
          { name: 'big', opType: 'linear', value: linearWeight(3, 64, 64) },
          { name: 'small', opType: 'linear', value: linearWeight(4, 4, 4) },
        ],
        activations: [{ name: 'big/input' }],
      },
      { quantization: 'w8a8' },
    );
    expect([...session.weights.keys()]).toEqual(['big']);
    expect(session.skipped.get('small')).toMatch(/threshold/);
    expect(session.activations.get('big/input')!.spec.granularity.type).toBe('per_tensor');
    const act = session.activations.get('big/input')!;
    const x = { data: Float32Array.of(-1, 0.5, 2, 3), shape: [2, 2] };
    act.forward(x);
    // moving-average observer, first batch sets the range: int8 symmetric scale = 3 / 127.5
    expect(act.qparams()!.scales[0]).toBe(Math.fround(3 / 127.5));
    const result = session.finalize();
    expect(result.activations.get('big/input')!.qparams.scales[0]).toBe(Math.fround(3 / 127.5));
  });
});

describe('finalize gives exactly kernels quantize codes for the learned parameters', () => {
  const cases: [string, QuantizationSpec, 'lsq' | 'lsq_plus'][] = [
    ['int4 per-channel', getPreset('w4').global!, 'lsq'],
    ['int4 per-block 8', { ...getPreset('w4').global!, granularity: { type: 'per_block', blockSize: 8 } }, 'lsq'],
    [
      'uint8 asymmetric per-channel',
      { version: 1, dtype: 'uint8', qscheme: 'asymmetric', qformulation: 'zp', granularity: { type: 'per_channel' } },
      'lsq_plus',
    ],
    [
      'uint4 minval per-block',
      {
        version: 1,
        dtype: 'uint4',
        qscheme: 'asymmetric',
        qformulation: 'minval',
        granularity: { type: 'per_block', blockSize: 16 },
      },
      'lsq_plus',
    ],
    ['float8_e4m3fn per-channel', getPreset('fp8').global!, 'lsq'],
    ['int4 per-channel, float16 scales', { ...getPreset('w4').global!, scaleDtype: 'float16' }, 'lsq'],
  ];
  for (const [label, spec, learning] of cases) {
    test(label, () => {
      const rnd = createRandom(7);
      const w = linearWeight(5, 12, 32);
      const session = prepare(
        { weights: [{ name: 'fc', opType: 'linear', value: w }] },
        { quantization: { version: 1, global: spec, minSize: 0 }, milestones: [0, 0, 1, -1], weightLearning: learning },
      );
      const fq = session.weights.get('fc')!;
      session.step();
      fq.forward(w); // observe once
      session.step(); // freeze observers: from now on the parameters are learned
      const observed = fq.qparams()!.scales.slice();
      for (let it = 0; it < 20; it++) {
        fq.forward(w);
        const g = sample(w.data.length, () => rnd.normal());
        fq.applyGradients(fq.backward(g, w), 0.05);
        for (let i = 0; i < w.data.length; i++) w.data[i] = w.data[i]! - 0.001 * g[i]!;
      }
      const learned = fq.qparams()!;
      expect(Array.from(learned.scales)).not.toEqual(Array.from(observed));
      const q = session.finalize().weights.get('fc')!;
      // reference: kernels quantize with the learned parameters as explicit qparams, built here from scales()/offsets()
      const scales = Float32Array.from(fq.scales()!, (s) => (spec.scaleDtype === 'float16' ? f16(s) : Math.fround(s)));
      expect(learned.scales).toEqual(scales);
      const offsets = fq.offsets();
      const explicit = {
        blockShape: learned.blockShape,
        scales,
        ...(spec.qformulation === 'minval'
          ? { minvals: Float32Array.from(offsets!) }
          : learning === 'lsq_plus'
            ? { zeroPoints: Int32Array.from(offsets!, (z) => Math.min(255, Math.max(0, Math.round(z)))) }
            : {}),
      };
      const reference = quantize(w, spec, { opKind: 'linear', qparams: explicit });
      expect(unpackCodes(q)).toEqual(unpackCodes(reference));
      expect(q.scales).toEqual(reference.scales);
      expect(q.zeroPoints).toEqual(reference.zeroPoints);
      expect(q.minvals).toEqual(reference.minvals);
      expect(q.spec).toEqual(reference.spec);
      // and the fake-quantized forward is what the exported tensor dequantizes to
      fq.observerEnabled = false;
      expect(dequantize(q).data).toEqual(fq.forward(w).data);
    });
  }
});

describe('errors', () => {
  test('bad arguments get QAT_INVALID_ARGUMENT', () => {
    const spec = getPreset('w4').global!;
    expectCode(() => createFakeQuantizer({ spec, learning: 'lsq_plus' }), 'QAT_INVALID_ARGUMENT');
    expectCode(() => createFakeQuantizer({ spec: { ...spec, dtype: 'float16' } }), 'QAT_INVALID_ARGUMENT');
    expectCode(() => createFakeQuantizer({ spec, gradScale: -1 }), 'QAT_INVALID_ARGUMENT');
    expectCode(() => createFakeQuantizer({ spec: { ...spec, dtype: 'int3x' } }), 'QAT_INVALID_ARGUMENT');
    const fq = createFakeQuantizer({ spec, opKind: 'linear' });
    const w = linearWeight(1, 4, 4);
    fq.forward(w);
    expectCode(() => fq.backward(new Float32Array(3), w), 'QAT_INVALID_ARGUMENT');
    expectCode(() => fq.forward({ data: new Float32Array(10), shape: [5, 2] }), 'QAT_INVALID_ARGUMENT');
    expectCode(() => fq.forward({ data: new Float32Array(3), shape: [2, 2] }), 'QAT_INVALID_ARGUMENT');
    expectCode(() => fq.setScales([1, 0, 1, 1]), 'QAT_INVALID_ARGUMENT');
    const nan = { data: new Float32Array(16).fill(0.1), shape: [4, 4] };
    nan.data[5] = Number.NaN;
    fq.observerEnabled = false;
    expectCode(() => fq.forward(nan), 'KERNELS_NON_FINITE_INPUT');
    const dup = { name: 'a', opType: 'linear', value: w };
    expectCode(() => prepare({ weights: [dup, dup] }, { quantization: 'w4' }), 'QAT_INVALID_ARGUMENT');
    expectCode(() => prepare({ weights: [] }, { quantization: 'w5' }), 'SPEC_UNKNOWN_PRESET');
  });
});

function f16(s: number): number {
  // float16 round-to-nearest-even via the bit layout, independent of @lowbit/dtypes
  const abs = Math.abs(s);
  const e = Math.floor(Math.log2(abs));
  const ulp = 2 ** (Math.max(e, -14) - 10);
  const q = abs / ulp;
  let r = Math.round(q);
  if (Math.abs(r - q) === 0.5 && r % 2 !== 0) r -= 1;
  return Math.sign(s) * r * ulp;
}
