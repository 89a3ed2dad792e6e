import { bench, describe } from 'vitest';
import { createHessianAccumulator, gptqQuantizeLayer } from '../src/index.js';

// Seconds per layer = the mean time printed by vitest (ms) / 1000. Each task builds the Hessian from 4096
// calibration rows (in batches of 512 rows) and runs GPTQ (int4 symmetric, blocks of 128 along the input axis,
// default options, no error measurement). The 4096 x 4096 layer runs once (iterations: 1, time: 0).
const spec = {
  version: 1,
  dtype: 'int4',
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity: { type: 'per_block', blockSize: 128 },
} as const;

function data(size: number, seed: number): Float32Array {
  const a = new Float32Array(size);
  let s = seed;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return a;
}

function layer(n: number, rows: number): () => void {
  const weight = { data: data(n * n, 1), shape: [n, n] };
  const x = data(rows * n, 2);
  // correlate neighbouring features a little, as real activations are
  for (let i = n; i < x.length; i++) x[i] = 0.7 * x[i]! + 0.3 * x[i - 1]!;
  return () => {
    const acc = createHessianAccumulator(n);
    for (let r = 0; r < rows; r += 512) acc.add(x.subarray(r * n, (r + 512) * n), 512);
    gptqQuantizeLayer(weight, acc, spec, { measureError: false });
  };
}

describe('gptq layer, 4096 calibration rows', () => {
  const small = layer(1024, 4096);
  bench('1024 x 1024', small, { iterations: 3, time: 0, warmupIterations: 0, warmupTime: 0 });
  const big = layer(4096, 4096);
  // async: tinybench otherwise calls a sync task once more per phase to detect whether it returns a promise
  bench(
    '4096 x 4096',
    async () => {
      big();
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  );
});
