/**
 * @lowbit/kernels-wasm: WebAssembly SIMD quantize / dequantize kernels and quantized matrix products, bit-exact
 * with the pure TypeScript kernels of @lowbit/kernels, behind a small backend interface and registry.
 * Nothing is instantiated at import time: call createWasmBackend() (or createDefaultBackend()).
 */
export type {
  BackendCapabilities,
  F8Weights,
  KernelBackend,
  PreparedWeights,
  PrepareW4Options,
  QuantizeTarget,
  W4ActivationMode,
  W4Weights,
  W8Weights,
} from './kernel-backend.js';
export type { KernelRegistry } from './kernel-registry.js';
export type { WasmBackendOptions } from './wasm-backend.js';
export type { WasmKernels, WasmKernelsOptions } from './wasm-kernels.js';
export type { KernelExports } from './_internal/wasm-module.js';
export type { BlockingKernel, WorkerPool, WorkerPoolOptions } from './worker-pool.js';

export { referenceBackend } from './reference-backend.js';
export { createDefaultBackend, createWasmBackend } from './wasm-backend.js';
export { createKernelRegistry } from './kernel-registry.js';
export { createWasmKernels, sharedMemorySupported, wasmSimdSupported } from './wasm-kernels.js';
export { createWorkerPool } from './worker-pool.js';
