import { describe, expect, test } from 'vitest';
import { unpackCodes, quantize } from '@lowbit/kernels';
import { getPreset } from '@lowbit/spec';
import type { QuantizationConfig } from '@lowbit/spec';
import { runExperiment } from './helpers/experiment.js';
import type { ExperimentOptions, ExperimentResult } from './helpers/experiment.js';

/**
 * A narrow MLP (784-4-10) trained in float on 5,000 Fashion-MNIST training images for 15 epochs, evaluated on
 * the first 2,000 test images. Int4 per-channel RTN loses several points on it; QAT fine-tunes for 300 steps
 * of 64 images from the float weights. The float model fine-tuned for the same 300 steps (no quantization) is
 * measured too, and recovery is computed against the better of the two float numbers, so extra training alone
 * cannot pass the test.
 */
const W4: QuantizationConfig = { version: 1, global: getPreset('w4').global!, minSize: 0 };
const W4_BLOCK16: QuantizationConfig = {
  version: 1,
  global: { ...getPreset('w4').global!, granularity: { type: 'per_block', blockSize: 16 } },
  byOpName: { fc2: getPreset('w4').global! },
  minSize: 0,
};
const W4A8: QuantizationConfig = {
  version: 1,
  global: getPreset('w4').global!,
  activation: {
    version: 1,
    dtype: 'uint8',
    qscheme: 'asymmetric',
    qformulation: 'zp',
    granularity: { type: 'per_tensor' },
  },
  minSize: 0,
};

const base: Omit<ExperimentOptions, 'quantization' | 'learning'> = {
  hidden: 4,
  trainCount: 5000,
  testCount: 2000,
  floatEpochs: 15,
  qatSteps: 300,
  batch: 64,
  qatLearningRate: 5e-4,
  scaleLearningRate: 1e-4,
  milestones: [0, 0, 1, -1],
};

function report(label: string, r: ExperimentResult): number {
  const reference = Math.max(r.float, r.floatFineTuned);
  const recovery = (r.qat - r.rtn) / (reference - r.rtn);
  console.log(
    `${label}: float ${(100 * r.float).toFixed(2)} / float+FT ${(100 * r.floatFineTuned).toFixed(2)} / ` +
      `RTN ${(100 * r.rtn).toFixed(2)} / QAT ${(100 * r.qat).toFixed(2)} -> recovery ${(100 * recovery).toFixed(0)}%`,
  );
  return recovery;
}

describe('Fashion-MNIST end to end (784-4-10 MLP, 5k train / 2k test images)', () => {
  test('int4 per-channel, STE only: QAT recovers at least half of what RTN lost', () => {
    const r = runExperiment({ ...base, quantization: W4, learning: 'none' });
    const recovery = report('W4 per-channel, STE', r);
    expect(r.float - r.rtn).toBeGreaterThan(0.02); // RTN really loses points here
    expect(recovery).toBeGreaterThanOrEqual(0.5);
    // the exported QuantizedTensors give the accuracy measured with fake quantization
    expect(r.exported).toBe(r.qat);
  });

  test('int4 per-channel, LSQ scales: recovers at least half, finalize codes equal kernels quantize codes', () => {
    const r = runExperiment({ ...base, quantization: W4, learning: 'lsq' });
    const recovery = report('W4 per-channel, LSQ', r);
    expect(recovery).toBeGreaterThanOrEqual(0.5);
    expect(r.exported).toBe(r.qat);
    for (const [name, q] of r.result.weights) {
      const w = r.finalWeights.get(name)!;
      const explicit = { blockShape: q.blockShape, scales: q.scales };
      expect(unpackCodes(q)).toEqual(unpackCodes(quantize(w, q.spec, { opKind: 'linear', qparams: explicit })));
    }
  });

  test('int4 per-block (16; fc2 per-channel) and W4A8: QAT beats RTN', () => {
    const block = runExperiment({ ...base, quantization: W4_BLOCK16, learning: 'lsq' });
    report('W4 per-block 16, LSQ', block);
    expect(block.qat).toBeGreaterThan(block.rtn);
    const w4a8 = runExperiment({ ...base, quantization: W4A8, learning: 'lsq' });
    report('W4A8 (uint8 asymmetric per-tensor activations), LSQ', w4a8);
    expect(w4a8.qat).toBeGreaterThan(w4a8.rtn);
    expect(w4a8.result.activations.get('fc2/input')!.qparams.scales.length).toBe(1);
  });
});
