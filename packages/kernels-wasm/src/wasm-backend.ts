import { chooseQParams, dequantize, quantize, reduceBlockRange } from '@lowbit/kernels';
import type { KernelBackend } from './kernel-backend.js';
import { referenceBackend } from './reference-backend.js';
import { copyIntoTarget, validTarget } from './_internal/quantize-target.js';
import { wasmChooseQParams, wasmDequantize, wasmQuantize, wasmReduceBlockRange } from './_internal/wasm-quantize.js';
import {
  matmulF8,
  matmulInt8,
  matmulW4,
  matmulW8A8,
  prepareF8,
  prepareW4,
  prepareW8,
  singleThreadRunner,
} from './_internal/wasm-products.js';
import type { RowRunner } from './_internal/wasm-products.js';
import { createWasmKernels, wasmSimdSupported } from './wasm-kernels.js';
import type { WasmKernels } from './wasm-kernels.js';
import type { WorkerPool } from './worker-pool.js';
import { QuantError } from '@lowbit/dtypes';

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /** Name under which the backend registers. @defaultValue `'wasm-simd'` */
  readonly name?: string;
  /**
   * A worker pool from {@link createWorkerPool}: products split their output rows across its threads and run on
   * its shared memory, and so does quantize for large tensors that live in that memory (8-bit dtypes, computed
   * parameters; see docs/performance.md), blocking the calling thread until every share is done. The backend does not own the pool: `backend.close()` leaves it running; close the pool
   * yourself.
   */
  readonly pool?: WorkerPool;
  /** Kernels to use when there is no pool; fresh private-memory kernels when absent. */
  readonly kernels?: WasmKernels;
}

/**
 * The WebAssembly SIMD backend: bit-exact quantize / dequantize / ranges for int8, uint8, int4, uint4 (packed) and
 * float8_e4m3fn, and SIMD products. Anything the SIMD kernels do not cover (other dtypes, the minval formulation,
 * non-contiguous blocks, NaN / Inf inputs, odd product layouts) runs the reference kernels, so results never
 * depend on the backend.
 * @throws QuantError `KERNELS_INVALID_ARGUMENT` when WebAssembly SIMD is unavailable (see {@link createDefaultBackend}).
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<KernelBackend> {
  const pool = options.pool;
  if (pool && options.kernels && options.kernels !== pool.kernels) {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      'createWasmBackend: give either a pool or kernels (the pool brings its own shared-memory kernels)',
    );
  }
  const k = pool ? pool.kernels : (options.kernels ?? (await createWasmKernels()));
  const run: RowRunner = pool ? (kernel, args, n) => pool.run(kernel, args, n) : singleThreadRunner(k);
  const name = options.name ?? 'wasm-simd';
  return {
    name,
    capabilities: { simd: true, threads: pool ? pool.threads : 1 },
    reduceBlockRange: (tensor, blockShape, nonFinite) =>
      wasmReduceBlockRange(k, tensor, blockShape) ?? reduceBlockRange(tensor, blockShape, nonFinite),
    chooseQParams: (tensor, spec, opts = {}) =>
      wasmChooseQParams(k, tensor, spec, opts) ?? chooseQParams(tensor, spec, opts),
    quantize: (tensor, spec, opts = {}) =>
      wasmQuantize(k, tensor, spec, opts, undefined, pool) ?? quantize(tensor, spec, opts),
    quantizeInto: (tensor, spec, out, opts = {}) =>
      (validTarget(out) ? wasmQuantize(k, tensor, spec, opts, out, pool) : null) ??
      copyIntoTarget(quantize(tensor, spec, opts), out),
    dequantize: (q) => wasmDequantize(k, q) ?? dequantize(q),
    prepareW4: (weights, opts) => prepareW4(k, weights, name, opts),
    prepareW8: (weights) => prepareW8(k, weights, name),
    prepareF8: (weights) => prepareF8(k, weights, name),
    matmulW4: (w, x, m, out) => matmulW4(k, run, w, x, m, out),
    matmulW8A8: (w, a, m, aScales, out, aZeroPoints) => matmulW8A8(k, run, w, a, m, aScales, out, aZeroPoints),
    matmulInt8: (w, a, m, out, aZeroPoints) => matmulInt8(k, run, w, a, m, out, aZeroPoints),
    matmulF8: (w, x, m, out) => matmulF8(k, run, w, x, m, out),
    async close() {},
  };
}

/** The WebAssembly SIMD backend when the engine supports SIMD, else the pure TypeScript {@link referenceBackend}. */
export async function createDefaultBackend(options: WasmBackendOptions = {}): Promise<KernelBackend> {
  return wasmSimdSupported() ? createWasmBackend(options) : referenceBackend;
}
