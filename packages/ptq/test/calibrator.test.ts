import { describe, expect, test } from 'vitest';
import { createObserver } from '@lowbit/observers';
import type { QuantizationSpec } from '@lowbit/spec';
import { createCalibrator, restoreCalibrator } from '../src/index.js';
import { createRandom, sample } from './random.js';
import { quantErrorCode as codeOf } from '../../../tools/lib/quant-error-code.js';

const INT8: QuantizationSpec = {
  version: 1,
  dtype: 'int8',
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity: { type: 'per_tensor' },
};
const FP8: QuantizationSpec = { ...INT8, dtype: 'float8_e4m3fn' };

function batches(seed: number, count: number) {
  const rng = createRandom(seed);
  return Array.from({ length: count }, () => ({
    data: sample(4 * 32, () => Math.max(0, rng.studentT(3))),
    shape: [4, 32],
  }));
}

describe('createCalibrator', () => {
  test('defaults to int8 symmetric per-tensor from min-max, equal to the observer computed directly', () => {
    const cal = createCalibrator();
    const obs = createObserver({ kind: 'minmax' });
    for (const b of batches(1, 5)) {
      cal.observe('relu1', b);
      obs.observe(b);
    }
    const p = cal.finalize()['relu1']!;
    expect(p.spec).toEqual(INT8);
    expect(p.observerKind).toBe('minmax');
    expect(p.qparams).toEqual(obs.qparams(INT8));
    const r = obs.range();
    expect(p.range).toEqual([r.min[0], r.max[0]]);
    // int8 symmetric: scale = amax / 127.5, rounded to float32.
    expect(p.qparams.scales[0]).toBe(Math.fround(Math.max(-r.min[0]!, r.max[0]!) / 127.5));
  });

  test('float8_e4m3fn activations: scale = amax / 448', () => {
    const cal = createCalibrator({ spec: FP8, observer: 'percentile' });
    const obs = createObserver({ kind: 'percentile' });
    for (const b of batches(2, 5)) {
      cal.observe('x', b);
      obs.observe(b);
    }
    const p = cal.finalize()['x']!;
    const r = obs.range();
    expect(p.range).toEqual([r.min[0], r.max[0]]);
    expect(p.qparams.scales[0]).toBe(Math.fround(Math.max(-r.min[0]!, r.max[0]!) / 448));
    expect(p.qparams.zeroPoints).toBeUndefined();
  });

  test('mse and entropy observers search for the calibrator spec', () => {
    const cal = createCalibrator({ spec: { ...INT8, dtype: 'int4' }, observer: 'mse' });
    const obs = createObserver({ kind: 'mse', spec: { ...INT8, dtype: 'int4' } });
    for (const b of batches(3, 5)) {
      cal.observe('x', b);
      obs.observe(b);
    }
    expect(cal.finalize()['x']!.range[1]).toBe(obs.range().max[0]);
  });

  test('fixed-range overrides replace observation (sigmoid in [0, 1])', () => {
    const cal = createCalibrator({ overrides: { 'gate.sigmoid': [0, 1], never_seen: [-2, 6] } });
    for (const b of batches(4, 2)) cal.observe('gate.sigmoid', b);
    const out = cal.finalize();
    expect(out['gate.sigmoid']).toMatchObject({ range: [0, 1], observerKind: 'override' });
    expect(out['gate.sigmoid']!.qparams.scales[0]).toBe(Math.fround(1 / 127.5));
    expect(out['never_seen']!.qparams.scales[0]).toBe(Math.fround(6 / 127.5));
    expect(Object.keys(out).sort()).toEqual(['gate.sigmoid', 'never_seen']);
  });

  test('merge of calibrators fed different batches equals one calibrator fed all of them', () => {
    for (const kind of ['minmax', 'percentile', 'entropy'] as const) {
      const all = createCalibrator({ observer: kind });
      const a = createCalibrator({ observer: kind });
      const b = createCalibrator({ observer: kind });
      batches(5, 6).forEach((t, i) => {
        all.observe('h', t);
        all.observe(`only${i % 2}`, t);
        (i < 3 ? a : b).observe('h', t);
        (i < 3 ? a : b).observe(`only${i % 2}`, t);
      });
      const c = createCalibrator({ observer: kind });
      for (const t of batches(6, 1)) c.observe('c-only', t);
      a.merge(b);
      expect(a.finalize()).toEqual(all.finalize());
      expect(a.merge(c).names).toContain('c-only');
    }
    expect(codeOf(() => createCalibrator().merge(createCalibrator({ observer: 'mse' })))).toBe(
      'OBSERVER_MERGE_MISMATCH',
    );
  });

  test('toJSON / restoreCalibrator round trip', () => {
    const cal = createCalibrator({ observer: { kind: 'percentile', percentile: 99.9 }, overrides: { s: [0, 1] } });
    for (const t of batches(7, 3)) cal.observe('h', t);
    const copy = restoreCalibrator(JSON.parse(JSON.stringify(cal.toJSON())));
    expect(copy.finalize()).toEqual(cal.finalize());
    const more = batches(8, 1)[0]!;
    cal.observe('h', more);
    copy.observe('h', more);
    expect(copy.finalize()).toEqual(cal.finalize());
    expect(codeOf(() => restoreCalibrator({ format: 'nope' }))).toBe('OBSERVER_INVALID_STATE');
  });

  test('invalid options and states are reported', () => {
    expect(codeOf(() => createCalibrator({ spec: { ...INT8, granularity: { type: 'per_channel' } } }))).toBe(
      'PTQ_INVALID_ARGUMENT',
    );
    expect(codeOf(() => createCalibrator({ observer: 'bogus' as never }))).toBe('PTQ_INVALID_ARGUMENT');
    expect(codeOf(() => createCalibrator({ observer: { kind: 'minmax', axis: 0 } }))).toBe('PTQ_INVALID_ARGUMENT');
    expect(codeOf(() => createCalibrator({ overrides: { x: [1, 0] } }))).toBe('PTQ_INVALID_ARGUMENT');
    expect(codeOf(() => createCalibrator({ spec: { ...INT8, dtype: 'int77' } }))).toBe('PTQ_INVALID_ARGUMENT');
    const cal = createCalibrator();
    expect(codeOf(() => cal.observe('', batches(9, 1)[0]!))).toBe('PTQ_INVALID_ARGUMENT');
    expect(codeOf(() => cal.observe('x', { data: Float32Array.of(1, NaN), shape: [2] }))).toBe(
      'OBSERVER_INVALID_ARGUMENT',
    );
    cal.observe('empty', { data: new Float32Array(0), shape: [0, 4] });
    expect(codeOf(() => cal.finalize())).toBe('OBSERVER_EMPTY');
  });
});
