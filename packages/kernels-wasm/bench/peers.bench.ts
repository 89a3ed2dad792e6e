/**
 * Peer benchmark: ONNX Runtime (onnxruntime-node, native CPU, a dev dependency of this package used only here)
 * against the WASM kernels, in one process, on 4096 x 4096 weights. The ONNX models are one-node graphs written
 * by ./onnx-model.ts with the weights as initializers (so ORT pre-packs them, as in a real model).
 * Run: pnpm exec vitest bench --run --project @lowbit/kernels-wasm bench/peers.bench.ts
 */
import { quantize } from '@lowbit/kernels';
import * as ort from 'onnxruntime-node';
import { bench, describe } from 'vitest';
import { createWasmBackend } from '../src/index.js';
import { ONNX_FLOAT, ONNX_INT8, ONNX_INT32, ONNX_UINT8, onnxModel } from './onnx-model.js';
import { K, N, pooledBackend, weights, x1, x64 } from './setup.js';

const BLOCK = 32;

const wasm = await createWasmBackend();
const wasm2 = await pooledBackend();

async function session(model: Uint8Array, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
}

// ---- W4: int4 block-32, symmetric. ORT's MatMulNBits stores unsigned nibbles with an implied zero point of 8,
// which is our two's-complement int4 with every nibble xor 8: the same weights.
const q4 = quantize(
  { data: weights, shape: [N, K] },
  {
    version: 1,
    dtype: 'int4',
    qscheme: 'symmetric',
    qformulation: 'zp',
    granularity: { type: 'per_block', axis: 1, blockSize: BLOCK },
  },
);
const w4 = { dtype: 'int4' as const, n: N, k: K, blockSize: BLOCK, data: q4.data as Uint8Array, scales: q4.scales };
const w4Unsigned = w4.data.map((b) => b ^ 0x88);
// accuracy_level 4 makes ORT quantize the activations to int8 per block (its fastest CPU path); the default
// (attribute absent) computes in float32.
const nbitsModel = (m: number, accuracyLevel?: number): Uint8Array =>
  onnxModel(
    {
      opType: 'MatMulNBits',
      domain: 'com.microsoft',
      inputs: ['A', 'B', 'scales'],
      outputs: ['Y'],
      intAttributes: {
        K,
        N,
        bits: 4,
        block_size: BLOCK,
        ...(accuracyLevel === undefined ? {} : { accuracy_level: accuracyLevel }),
      },
    },
    [{ name: 'A', dataType: ONNX_FLOAT, dims: [m, K] }],
    [{ name: 'Y', dataType: ONNX_FLOAT, dims: [m, N] }],
    [
      { name: 'B', dataType: ONNX_UINT8, dims: [N, K / BLOCK, BLOCK / 2], data: w4Unsigned },
      { name: 'scales', dataType: ONNX_FLOAT, dims: [N * (K / BLOCK)], data: w4.scales },
    ],
  );

// ---- int8: our weights are [N, K] int8 rows; MatMulInteger takes B as [K, N] (its usual u8 x s8 form).
const w8 = new Int8Array(N * K);
for (let i = 0; i < w8.length; i++) w8[i] = ((i * 2654435761) >>> 24) - 128;
const w8t = new Int8Array(K * N);
for (let r = 0; r < N; r++) for (let c = 0; c < K; c++) w8t[c * N + r] = w8[r * K + c]!;
const integerModel = (m: number): Uint8Array =>
  onnxModel(
    { opType: 'MatMulInteger', inputs: ['A', 'B'], outputs: ['Y'] },
    [{ name: 'A', dataType: ONNX_UINT8, dims: [m, K] }],
    [{ name: 'Y', dataType: ONNX_INT32, dims: [m, N] }],
    [{ name: 'B', dataType: ONNX_INT8, dims: [K, N], data: w8t }],
  );

// ---- float32 MatMul: B as [K, N].
const wt = new Float32Array(K * N);
for (let r = 0; r < N; r++) for (let c = 0; c < K; c++) wt[c * N + r] = weights[r * K + c]!;
const floatModel = (m: number): Uint8Array =>
  onnxModel(
    { opType: 'MatMul', inputs: ['A', 'B'], outputs: ['Y'] },
    [{ name: 'A', dataType: ONNX_FLOAT, dims: [m, K] }],
    [{ name: 'Y', dataType: ONNX_FLOAT, dims: [m, N] }],
    [{ name: 'B', dataType: ONNX_FLOAT, dims: [K, N], data: wt }],
  );

const ortNbits = { 1: await session(nbitsModel(1), 1), 64: await session(nbitsModel(64), 1) };
const ortNbits2 = { 1: await session(nbitsModel(1), 2), 64: await session(nbitsModel(64), 2) };
const ortNbitsInt8 = { 1: await session(nbitsModel(1, 4), 1), 64: await session(nbitsModel(64, 4), 1) };
const ortInt = { 1: await session(integerModel(1), 1), 64: await session(integerModel(64), 1) };
const ortInt2 = { 1: await session(integerModel(1), 2), 64: await session(integerModel(64), 2) };
const ortFloat = { 1: await session(floatModel(1), 1), 64: await session(floatModel(64), 1) };
const ortFloat2 = { 1: await session(floatModel(1), 2), 64: await session(floatModel(64), 2) };

const xt1 = new ort.Tensor('float32', x1, [1, K]);
const xt64 = new ort.Tensor('float32', x64, [64, K]);
const a1 = w8.subarray(0, K);
const a64 = w8.subarray(0, 64 * K);
const at1 = new ort.Tensor(
  'uint8',
  Uint8Array.from(a1, (v) => v + 128),
  [1, K],
);
const at64 = new ort.Tensor(
  'uint8',
  Uint8Array.from(a64, (v) => v + 128),
  [64, K],
);

const p4 = wasm.prepareW4(w4);
const p4t = wasm2.prepareW4(w4);
const p4i = wasm.prepareW4(w4, { activations: 'int16' });
const p4it = wasm2.prepareW4(w4, { activations: 'int16' });
const w8Weights = { n: N, k: K, data: w8, scales: new Float32Array(N).fill(0.01) };
const p8 = wasm.prepareW8(w8Weights);
const p8t = wasm2.prepareW8(w8Weights);

const gemm = { iterations: 5, time: 0, warmupIterations: 1 };

describe('peers: W4 block-32 GEMV 4096x4096 (m = 1)', () => {
  bench('ORT MatMulNBits, 1 thread', async () => {
    await ortNbits[1].run({ A: xt1 });
  });
  bench('wasm-simd matmulW4, 1 thread', async () => {
    await wasm.matmulW4(p4, x1, 1);
  });
  bench('wasm-simd matmulW4 int16 activations, 1 thread', async () => {
    await wasm.matmulW4(p4i, x1, 1);
  });
  bench('ORT MatMulNBits accuracy_level 4 (int8 activations), 1 thread', async () => {
    await ortNbitsInt8[1].run({ A: xt1 });
  });
  bench('ORT MatMulNBits, 2 threads', async () => {
    await ortNbits2[1].run({ A: xt1 });
  });
  bench('wasm-simd matmulW4, 2 threads', async () => {
    await wasm2.matmulW4(p4t, x1, 1);
  });
  bench('wasm-simd matmulW4 int16 activations, 2 threads', async () => {
    await wasm2.matmulW4(p4it, x1, 1);
  });
});

describe('peers: W4 block-32 GEMM 4096x4096 (m = 64)', () => {
  bench('ORT MatMulNBits, 1 thread', async () => void (await ortNbits[64].run({ A: xt64 })), gemm);
  bench('wasm-simd matmulW4, 1 thread', async () => void (await wasm.matmulW4(p4, x64, 64)), gemm);
  bench('wasm-simd matmulW4 int16 activations, 1 thread', async () => void (await wasm.matmulW4(p4i, x64, 64)), gemm);
  bench(
    'ORT MatMulNBits accuracy_level 4 (int8 activations), 1 thread',
    async () => void (await ortNbitsInt8[64].run({ A: xt64 })),
    gemm,
  );
  bench('ORT MatMulNBits, 2 threads', async () => void (await ortNbits2[64].run({ A: xt64 })), gemm);
  bench('wasm-simd matmulW4, 2 threads', async () => void (await wasm2.matmulW4(p4t, x64, 64)), gemm);
});

describe('peers: int8 GEMV 4096x4096 (m = 1)', () => {
  bench('ORT MatMulInteger (u8 x s8), 1 thread', async () => {
    await ortInt[1].run({ A: at1 });
  });
  bench('wasm-simd matmulInt8 (s8 x s8), 1 thread', async () => {
    await wasm.matmulInt8(p8, a1, 1);
  });
  bench('ORT MatMulInteger (u8 x s8), 2 threads', async () => {
    await ortInt2[1].run({ A: at1 });
  });
  bench('wasm-simd matmulInt8 (s8 x s8), 2 threads', async () => {
    await wasm2.matmulInt8(p8t, a1, 1);
  });
});

describe('peers: int8 GEMM 4096x4096 (m = 64)', () => {
  bench('ORT MatMulInteger (u8 x s8), 1 thread', async () => void (await ortInt[64].run({ A: at64 })), gemm);
  bench('wasm-simd matmulInt8 (s8 x s8), 1 thread', async () => void (await wasm.matmulInt8(p8, a64, 64)), gemm);
  bench('ORT MatMulInteger (u8 x s8), 2 threads', async () => void (await ortInt2[64].run({ A: at64 })), gemm);
  bench('wasm-simd matmulInt8 (s8 x s8), 2 threads', async () => void (await wasm2.matmulInt8(p8t, a64, 64)), gemm);
});

describe('peers: float32 MatMul 4096x4096 against the quantized products (m = 1)', () => {
  bench('ORT MatMul float32, 1 thread', async () => {
    await ortFloat[1].run({ A: xt1 });
  });
  bench('ORT MatMul float32, 2 threads', async () => {
    await ortFloat2[1].run({ A: xt1 });
  });
  bench('wasm-simd matmulW4, 1 thread', async () => {
    await wasm.matmulW4(p4, x1, 1);
  });
});

describe('peers: float32 MatMul 4096x4096 (m = 64)', () => {
  bench('ORT MatMul float32, 1 thread', async () => void (await ortFloat[64].run({ A: xt64 })), gemm);
  bench('ORT MatMul float32, 2 threads', async () => void (await ortFloat2[64].run({ A: xt64 })), gemm);
});
