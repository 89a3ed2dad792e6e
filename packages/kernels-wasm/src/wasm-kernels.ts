import { Arena } from './_internal/arena.js';
import {
  compileKernels,
  instantiateKernels,
  sharedMemorySupported,
  wasmSimdSupported,
} from './_internal/wasm-module.js';
import type { KernelExports } from './_internal/wasm-module.js';
import { QuantError } from '@lowbit/dtypes';

/** Options of {@link createWasmKernels}. */
export interface WasmKernelsOptions {
  /** Use a shared memory (needed by worker threads; requires SharedArrayBuffer). @defaultValue `false` */
  readonly shared?: boolean;
  /** Initial memory size in bytes (rounded up to 64 KiB pages). @defaultValue 1 MiB */
  readonly initialBytes?: number;
}

/**
 * The low-level, zero-copy face of the WebAssembly kernels: one memory, an allocator over it and the raw
 * exports, whose arguments are byte offsets into the memory. Write inputs straight into views from
 * {@link WasmKernels.f32} and friends, call an export, read the result from a view.
 *
 * Views of a private memory are invalidated when it grows (any `alloc` may grow it): take a fresh view after
 * allocating. Views of a shared memory stay valid (but do not reach bytes added by the growth).
 */
export interface WasmKernels {
  readonly memory: WebAssembly.Memory;
  /** The compiled module (instantiate it over {@link WasmKernels.memory} in a worker to share the work). */
  readonly module: WebAssembly.Module;
  readonly exports: KernelExports;
  readonly shared: boolean;
  /** Allocates `bytes` (16-byte aligned) and returns its address. */
  alloc(bytes: number): number;
  /** Frees a block returned by {@link WasmKernels.alloc}. */
  free(ptr: number): void;
  /** Bytes currently allocated. */
  readonly allocatedBytes: number;
  f32(ptr: number, length: number): Float32Array;
  i32(ptr: number, length: number): Int32Array;
  i16(ptr: number, length: number): Int16Array;
  u8(ptr: number, length: number): Uint8Array;
  i8(ptr: number, length: number): Int8Array;
  /**
   * Address of `view` when it lies in this memory (a zero-copy input), else -1. A view taken from a shared memory
   * before it grew still counts (its bytes stay valid); a private memory's old views are detached.
   */
  addressOf(view: ArrayBufferView): number;
}

const compiled = new Map<boolean, Promise<WebAssembly.Module>>();

/** @internal Compiles (once per variant and per call site that keeps the promise) the kernels module. */
function moduleFor(shared: boolean): Promise<WebAssembly.Module> {
  let m = compiled.get(shared);
  if (!m) {
    m = compileKernels(shared);
    compiled.set(shared, m);
  }
  return m;
}

/**
 * Instantiates the WebAssembly SIMD kernels over a fresh memory.
 * @throws QuantError `KERNELS_INVALID_ARGUMENT` when the engine has no WebAssembly SIMD (or no shared memory
 * when `shared` is asked for); use {@link wasmSimdSupported} to check first.
 */
export async function createWasmKernels(options: WasmKernelsOptions = {}): Promise<WasmKernels> {
  const shared = options.shared ?? false;
  if (!wasmSimdSupported()) {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      'createWasmKernels: this engine does not support WebAssembly SIMD',
    );
  }
  if (shared && !sharedMemorySupported()) {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      'createWasmKernels: shared WebAssembly memory is unavailable (no SharedArrayBuffer); use shared: false',
    );
  }
  const pages = Math.max(1, Math.ceil((options.initialBytes ?? 1 << 20) / 65536));
  const memory = new WebAssembly.Memory(
    shared ? { initial: pages, maximum: 65536, shared: true } : { initial: pages, maximum: 65536 },
  );
  const module = await moduleFor(shared);
  const exports = await instantiateKernels(module, memory);
  const arena = new Arena(memory);
  // A grown shared memory keeps its old SharedArrayBuffers valid (same bytes, shorter): views over them are still
  // zero-copy inputs. A grown private memory detaches its old ArrayBuffer instead.
  const earlierBuffers = new WeakSet<ArrayBufferLike>();
  return {
    memory,
    module,
    exports,
    shared,
    alloc: (bytes) => {
      const before = memory.buffer;
      const ptr = arena.alloc(bytes);
      if (shared && memory.buffer !== before) earlierBuffers.add(before);
      return ptr;
    },
    free: (ptr) => arena.free(ptr),
    get allocatedBytes() {
      return arena.allocatedBytes;
    },
    f32: (ptr, length) => new Float32Array(memory.buffer, ptr, length),
    i32: (ptr, length) => new Int32Array(memory.buffer, ptr, length),
    i16: (ptr, length) => new Int16Array(memory.buffer, ptr, length),
    u8: (ptr, length) => new Uint8Array(memory.buffer, ptr, length),
    i8: (ptr, length) => new Int8Array(memory.buffer, ptr, length),
    addressOf: (view) =>
      view.buffer === memory.buffer || (shared && earlierBuffers.has(view.buffer)) ? view.byteOffset : -1,
  };
}

export { sharedMemorySupported, wasmSimdSupported };
