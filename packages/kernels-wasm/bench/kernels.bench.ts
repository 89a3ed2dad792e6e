import { quantize } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';
import { bench, describe } from 'vitest';
import { createWasmBackend, createWasmKernels, referenceBackend } from '../src/index.js';
import { K, N, pooledSetup, weights, x1, x64 } from './setup.js';

// 4096 x 4096. Run: pnpm exec vitest bench --run --project @lowbit/kernels-wasm
// The machine is shared: compare rows of one describe block (measured side by side), not absolute times.
const kernels = await createWasmKernels({ initialBytes: 160 << 20 });
const wasm = await createWasmBackend({ kernels });
const { backend: wasm2, pool } = await pooledSetup();

const int8PerChannel: QuantizationSpec = {
  version: 1,
  dtype: 'int8',
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity: { type: 'per_channel', axis: 0 },
};

// The weights once in each backend's WebAssembly memory (zero-copy inputs); views are taken after every alloc.
const inWasm = kernels.alloc(N * K * 4);
const codesInWasm = kernels.alloc(N * K);
kernels.f32(inWasm, N * K).set(weights);
const inPool = pool.kernels.alloc(N * K * 4);
const codesInPool = pool.kernels.alloc(N * K);
pool.kernels.f32(inPool, N * K).set(weights);
const copy = new Float32Array(N * K);

describe('int8 per-channel quantize 4096x4096 (abs-max pass included)', () => {
  const tensor = { data: weights, shape: [N, K] };
  const out = { data: new Int8Array(N * K), scales: new Float32Array(N) };
  bench('memcpy of the same 64 MiB (Float32Array.set)', () => {
    copy.set(weights);
  });
  bench('wasm-simd quantize (input in JS memory, new result arrays)', () => {
    wasm.quantize(tensor, int8PerChannel);
  });
  bench('wasm-simd quantize, input in wasm memory (zero copy in)', () => {
    wasm.quantize({ data: kernels.f32(inWasm, N * K), shape: [N, K] }, int8PerChannel);
  });
  bench('wasm-simd quantizeInto caller buffers (input in JS memory)', () => {
    wasm.quantizeInto(tensor, int8PerChannel, out);
  });
  bench('wasm-simd quantizeInto, input and codes in wasm memory (zero copy)', () => {
    wasm.quantizeInto({ data: kernels.f32(inWasm, N * K), shape: [N, K] }, int8PerChannel, {
      data: kernels.i8(codesInWasm, N * K),
      scales: out.scales,
    });
  });
  bench('wasm-simd quantizeInto, zero copy, 2 threads (worker pool)', () => {
    wasm2.quantizeInto({ data: pool.kernels.f32(inPool, N * K), shape: [N, K] }, int8PerChannel, {
      data: pool.kernels.i8(codesInPool, N * K),
      scales: out.scales,
    });
  });
  bench('wasm-simd quantize, input in wasm memory, 2 threads (worker pool)', () => {
    wasm2.quantize({ data: pool.kernels.f32(inPool, N * K), shape: [N, K] }, int8PerChannel);
  });
  bench('reference (pure TS) quantize', () => {
    quantize(tensor, int8PerChannel);
  });
});

describe('int4 block-32 quantize + pack 4096x4096 (ranges included)', () => {
  const int4Block32: QuantizationSpec = {
    ...int8PerChannel,
    dtype: 'int4',
    granularity: { type: 'per_block', axis: 1, blockSize: 32 },
  };
  const scales = new Float32Array((N * K) / 32);
  bench('memcpy of the same 64 MiB (Float32Array.set)', () => {
    copy.set(weights);
  });
  bench('wasm-simd quantizeInto, zero copy', () => {
    wasm.quantizeInto({ data: kernels.f32(inWasm, N * K), shape: [N, K] }, int4Block32, {
      data: kernels.u8(codesInWasm, (N * K) / 2),
      scales,
    });
  });
  bench('wasm-simd quantizeInto, zero copy, 2 threads (worker pool)', () => {
    wasm2.quantizeInto({ data: pool.kernels.f32(inPool, N * K), shape: [N, K] }, int4Block32, {
      data: pool.kernels.u8(codesInPool, (N * K) / 2),
      scales,
    });
  });
  bench('reference (pure TS) quantize', () => {
    quantize({ data: weights, shape: [N, K] }, int4Block32);
  });
});

const w4 = quantize(
  { data: weights, shape: [N, K] },
  { ...int8PerChannel, dtype: 'int4', granularity: { type: 'per_block', axis: 1, blockSize: 32 } },
);
const w4Weights = { dtype: 'int4' as const, n: N, k: K, blockSize: 32, data: w4.data as Uint8Array, scales: w4.scales };
const preparedW4 = wasm.prepareW4(w4Weights);
const preparedW4t = wasm2.prepareW4(w4Weights);
const preparedW4i = wasm.prepareW4(w4Weights, { activations: 'int16' });
const preparedW4it = wasm2.prepareW4(w4Weights, { activations: 'int16' });

/** Plain float32 GEMV in JS: the baseline a framework replaces. */
function floatGemv(w: Float32Array, x: Float32Array, y: Float32Array): void {
  for (let r = 0; r < N; r++) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    const o = r * K;
    for (let c = 0; c < K; c += 4) {
      a0 += w[o + c]! * x[c]!;
      a1 += w[o + c + 1]! * x[c + 1]!;
      a2 += w[o + c + 2]! * x[c + 2]!;
      a3 += w[o + c + 3]! * x[c + 3]!;
    }
    y[r] = a0 + a1 + a2 + a3;
  }
}
const yFloat = new Float32Array(N);

describe('W4 block-32 GEMV 4096x4096', () => {
  bench('wasm-simd matmulW4 (m = 1), 1 thread', async () => {
    await wasm.matmulW4(preparedW4, x1, 1);
  });
  bench('wasm-simd matmulW4 (m = 1), 2 threads', async () => {
    await wasm2.matmulW4(preparedW4t, x1, 1);
  });
  bench('wasm-simd matmulW4 int16 activations (m = 1), 1 thread', async () => {
    await wasm.matmulW4(preparedW4i, x1, 1);
  });
  bench('wasm-simd matmulW4 int16 activations (m = 1), 2 threads', async () => {
    await wasm2.matmulW4(preparedW4it, x1, 1);
  });
  bench('float32 GEMV baseline (JS loop over 64 MiB of float weights)', () => {
    floatGemv(weights, x1, yFloat);
  });
});

describe('W4 block-32 GEMM 4096x4096, m = 64', () => {
  const opts = { iterations: 5, time: 0, warmupIterations: 1 };
  bench(
    'wasm-simd matmulW4 (m = 64), 1 thread',
    async () => {
      await wasm.matmulW4(preparedW4, x64, 64);
    },
    opts,
  );
  bench(
    'wasm-simd matmulW4 (m = 64), 2 threads',
    async () => {
      await wasm2.matmulW4(preparedW4t, x64, 64);
    },
    opts,
  );
  bench(
    'wasm-simd matmulW4 int16 activations (m = 64), 1 thread',
    async () => {
      await wasm.matmulW4(preparedW4i, x64, 64);
    },
    opts,
  );
  bench(
    'wasm-simd matmulW4 int16 activations (m = 64), 2 threads',
    async () => {
      await wasm2.matmulW4(preparedW4it, x64, 64);
    },
    opts,
  );
});

const w8Data = new Int8Array(N * K);
for (let i = 0; i < w8Data.length; i++) w8Data[i] = ((i * 2654435761) >>> 24) - 128;
const w8Scales = new Float32Array(N).fill(0.01);
const preparedW8 = wasm.prepareW8({ n: N, k: K, data: w8Data, scales: w8Scales });
const preparedW8t = wasm2.prepareW8({ n: N, k: K, data: w8Data, scales: w8Scales });
const refW8 = referenceBackend.prepareW8({
  n: 256,
  k: K,
  data: w8Data.subarray(0, 256 * K),
  scales: w8Scales.subarray(0, 256),
});
const a1 = w8Data.subarray(0, K);
const a64 = w8Data.subarray(0, 64 * K);
const aScale = Float32Array.of(0.02);

describe('W8A8 int8 x int8 -> int32, 4096x4096', () => {
  const opts = { iterations: 5, time: 0, warmupIterations: 1 };
  bench('wasm-simd matmulW8A8 GEMV (m = 1), 1 thread', async () => {
    await wasm.matmulW8A8(preparedW8, a1, 1, aScale);
  });
  bench('wasm-simd matmulW8A8 GEMV (m = 1), 2 threads', async () => {
    await wasm2.matmulW8A8(preparedW8t, a1, 1, aScale);
  });
  bench(
    'wasm-simd matmulW8A8 GEMM (m = 64), 1 thread',
    async () => {
      await wasm.matmulW8A8(preparedW8, a64, 64, aScale);
    },
    opts,
  );
  bench(
    'wasm-simd matmulW8A8 GEMM (m = 64), 2 threads',
    async () => {
      await wasm2.matmulW8A8(preparedW8t, a64, 64, aScale);
    },
    opts,
  );
  bench('reference matmulW8A8 GEMV, 256 of the 4096 rows', async () => {
    await referenceBackend.matmulW8A8(refW8, a1, 1, aScale);
  });
});

const f8 = quantize({ data: weights, shape: [N, K] }, { ...int8PerChannel, dtype: 'float8_e4m3fn' });
const f8Weights = { n: N, k: K, blockSize: K, data: f8.data as Uint8Array, scales: f8.scales };
const preparedF8 = wasm.prepareF8(f8Weights);
const preparedF8t = wasm2.prepareF8(f8Weights);

describe('float8_e4m3fn per-channel GEMV 4096x4096', () => {
  bench('wasm-simd matmulF8 (m = 1), 1 thread', async () => {
    await wasm.matmulF8(preparedF8, x1, 1);
  });
  bench('wasm-simd matmulF8 (m = 1), 2 threads', async () => {
    await wasm2.matmulF8(preparedF8t, x1, 1);
  });
  bench('float32 GEMV baseline', () => {
    floatGemv(weights, x1, yFloat);
  });
});
