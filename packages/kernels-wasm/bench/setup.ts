/**
 * Setup shared by the benchmarks: the 4096 x 4096 weight matrix, activations of 1 and 64 rows (seeded, the same
 * in every file, so rows of different files measure the same work) and a WASM backend over two worker threads.
 */
import { afterAll } from 'vitest';
import { createWasmBackend, createWorkerPool } from '../src/index.js';
import type { KernelBackend, WorkerPool } from '../src/index.js';

/** Output rows of the benchmarked weights. */
export const N = 4096;
/** Inputs per row of the benchmarked weights. */
export const K = 4096;

/** `n` seeded uniform floats in [-1, 1) from a linear congruential generator. */
function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = ((s >>> 8) / 16777216 - 0.5) * 2;
  }
  return out;
}

/** Float weights `[N, K]`. */
export const weights = randomFloats(N * K, 1);
/** One activation row `[1, K]`. */
export const x1 = randomFloats(K, 7);
/** 64 activation rows `[64, K]`. */
export const x64 = randomFloats(64 * K, 9);

/** A WASM backend whose products (and large zero-copy quantizes) split across a two-thread worker pool. */
export async function pooledBackend(): Promise<KernelBackend> {
  return (await pooledSetup()).backend;
}

/** {@link pooledBackend} with its pool (for inputs placed in the pool's memory), closed after the file's benchmarks. */
export async function pooledSetup(): Promise<{ backend: KernelBackend; pool: WorkerPool }> {
  const pool = await createWorkerPool({ threads: 2, initialBytes: 96 << 20 });
  afterAll(async () => {
    await pool.close();
  });
  return { backend: await createWasmBackend({ pool }), pool };
}
