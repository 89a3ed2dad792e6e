import { describe, expect, test } from 'vitest';
import type { QuantizationSpec } from '@lowbit/spec';
import { fakeQuantize, sqnr } from '../src/index.js';
import { normalArray } from '../../../tools/lib/random.js';

// References measured with numpy on a seeded N(0,1) 4096x4096 float32 matrix (research/algorithms.md §7.4).
// Our generator differs from numpy's, so we allow the 0.1 dB the issue states.
const N = 4096;
const weights = { data: normalArray(N * N, 0), shape: [N, N] };

function spec(
  dtype: string,
  qscheme: QuantizationSpec['qscheme'],
  granularity: QuantizationSpec['granularity'],
): QuantizationSpec {
  return { version: 1, dtype, qscheme, qformulation: 'zp', granularity };
}

describe('SQNR on a seeded N(0,1) 4096x4096 matrix matches the measured references', () => {
  test.each([
    ['int8 per-channel symmetric', spec('int8', 'symmetric', { type: 'per_channel' }), 41.28],
    ['int4 block-32 symmetric', spec('int4', 'symmetric', { type: 'per_block', blockSize: 32 }), 20.46],
    ['int4 block-32 asymmetric', spec('int4', 'asymmetric', { type: 'per_block', blockSize: 32 }), 21.86],
    ['float8_e4m3fn per-channel', spec('float8_e4m3fn', 'symmetric', { type: 'per_channel' }), 31.54],
  ])('%s', (_name, s, reference) => {
    const approx = fakeQuantize(weights, s, { opKind: 'linear' });
    expect(Math.abs(sqnr(weights.data, approx.data) - reference)).toBeLessThan(0.1);
  });
});
