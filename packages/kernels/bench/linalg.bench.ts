import { bench, describe } from 'vitest';
import { choleskyInPlace, matmul, symmetricRankKUpdate, upperCholeskyOfInverse } from '../src/index.js';

// GFLOP/s = flops / (mean time); vitest prints the mean time per iteration, the flop counts are in the names.
// 1024: symmetric rank-k with 1024 rows = 1.07 GFLOP (half of 2 n^3 thanks to symmetry), Cholesky n^3/3 =
// 0.36 GFLOP, upper Cholesky of the inverse 2 n^3 / 3 = 0.72 GFLOP, matmul 2 n^3 = 2.15 GFLOP.
// 4096 is run once (time: 0, iterations: 1): Cholesky 22.9 GFLOP, upper Cholesky of the inverse 45.8 GFLOP.

/** Kac-Murdock-Szego matrix rho^|i-j| (SPD for |rho| < 1) plus a little diagonal: O(n^2) to build. */
function spd(n: number): Float64Array {
  const h = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] = 0.9 ** Math.abs(i - j);
  for (let i = 0; i < n; i++) h[i * n + i] = h[i * n + i]! + 0.1;
  return h;
}

function report(name: string, flops: number, f: () => void): void {
  const t = performance.now();
  f();
  const s = (performance.now() - t) / 1000;
  console.log(`${name}: ${s.toFixed(3)} s, ${(flops / s / 1e9).toFixed(2)} GFLOP/s`);
}

describe('linalg 1024', () => {
  const n = 1024;
  const x = new Float32Array(n * n).map((_, i) => Math.sin(i * 0.37));
  const h = spd(n);
  const a = new Float64Array(n * n).map((_, i) => Math.cos(i));
  report('symmetricRankKUpdate 1024x1024 rows 1024', n ** 3, () => {
    symmetricRankKUpdate(new Float64Array(n * n), x, n, n);
  });
  report('choleskyInPlace 1024', n ** 3 / 3, () => choleskyInPlace(h.slice(), n));
  report('upperCholeskyOfInverse 1024', (2 * n ** 3) / 3, () => upperCholeskyOfInverse(h, n));
  report('matmul 1024', 2 * n ** 3, () => matmul(a, a, n, n, n));

  bench('symmetricRankKUpdate 1024 columns x 1024 rows (1.07 GFLOP)', () => {
    symmetricRankKUpdate(new Float64Array(n * n), x, n, n);
  });
  bench('choleskyInPlace 1024 (0.36 GFLOP)', () => {
    choleskyInPlace(h.slice(), n);
  });
  bench('upperCholeskyOfInverse 1024 (0.72 GFLOP)', () => {
    upperCholeskyOfInverse(h, n);
  });
  bench('matmul 1024 (2.15 GFLOP)', () => {
    matmul(a, a, n, n, n);
  });
});

describe('linalg 4096', () => {
  const n = 4096;
  const h = spd(n);
  bench(
    'choleskyInPlace 4096 (22.9 GFLOP)',
    // async: tinybench calls a sync task once more per phase just to detect whether it returns a promise.
    async () => {
      report('choleskyInPlace 4096', n ** 3 / 3, () => choleskyInPlace(h.slice(), n));
    },
    { time: 0, iterations: 1, warmupIterations: 0, warmupTime: 0 },
  );
  bench(
    'upperCholeskyOfInverse 4096 (45.8 GFLOP)',
    async () => {
      report('upperCholeskyOfInverse 4096', (2 * n ** 3) / 3, () => upperCholeskyOfInverse(h, n));
    },
    { time: 0, iterations: 1, warmupIterations: 0, warmupTime: 0 },
  );
});
