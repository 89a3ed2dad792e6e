import { afterAll, bench, describe } from 'vitest';
import type { QuantizationSpec } from '@lowbit/spec';
import { dequantize, quantize } from '../src/index.js';
import { normalArray } from '../../../tools/lib/random.js';

// 4096 x 4096 float32 = 64 MiB of input per call. GB/s = 0.0671 GB x (ops/s); docs/kernels.md has the table.
// The memcpy-like baseline (Float32Array.prototype.set of the same bytes) runs in the same process, so the
// ratio to it is meaningful across machines.
const N = 4096;
const weights = { data: normalArray(N * N, 1), shape: [N, N] };
const copy = new Float32Array(N * N);

function spec(dtype: string, granularity: QuantizationSpec['granularity']): QuantizationSpec {
  return { version: 1, dtype, qscheme: 'symmetric', qformulation: 'zp', granularity };
}
const int8PerChannel = spec('int8', { type: 'per_channel' });
const int4Block32 = spec('int4', { type: 'per_block', blockSize: 32 });
const fp8PerChannel = spec('float8_e4m3fn', { type: 'per_channel' });
const quantizedInt8 = quantize(weights, int8PerChannel, { opKind: 'linear' });

const options = { time: 2000, warmupIterations: 2 };

// Each benchmark also times itself, so the run ends with GB/s of float32 input and the ratio to the copy.
const BYTES = N * N * 4;
const samples = new Map<string, number[]>();
function timed(name: string, fn: () => void): () => void {
  const list: number[] = [];
  samples.set(name, list);
  return () => {
    const t0 = performance.now();
    fn();
    list.push(performance.now() - t0);
  };
}
afterAll(() => {
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const base = mean(samples.get('copy') ?? []);
  const lines = [...samples].map(([name, xs]) => {
    const ms = mean(xs);
    return `  ${name.padEnd(16)} ${ms.toFixed(1).padStart(7)} ms  ${(BYTES / (ms * 1e6)).toFixed(2).padStart(6)} GB/s  ${(ms / base).toFixed(1).padStart(5)}x copy`;
  });
  console.log(`4096x4096 float32 (64 MiB), mean over all timed runs (warm-up included):\n${lines.join('\n')}`);
});

describe('4096x4096 float32 (64 MiB)', () => {
  bench(
    'baseline: copy 64 MiB (Float32Array.set)',
    timed('copy', () => copy.set(weights.data)),
    options,
  );
  bench(
    'int8 per-channel quantize (with abs-max pass)',
    timed('int8 quantize', () => quantize(weights, int8PerChannel, { opKind: 'linear' })),
    options,
  );
  bench(
    'int8 per-channel dequantize',
    timed('int8 dequantize', () => dequantize(quantizedInt8)),
    options,
  );
  bench(
    'int4 block-32 quantize + pack',
    timed('int4 b32 + pack', () => quantize(weights, int4Block32, { opKind: 'linear' })),
    options,
  );
  bench(
    'float8_e4m3fn per-channel quantize',
    timed('e4m3 quantize', () => quantize(weights, fp8PerChannel, { opKind: 'linear' })),
    options,
  );
});
