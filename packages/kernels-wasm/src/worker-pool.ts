import { QuantError } from '@lowbit/dtypes';
import type * as WorkerThreads from 'node:worker_threads';
import { createWasmKernels } from './wasm-kernels.js';
import type { WasmKernels } from './wasm-kernels.js';
import { sharedMemorySupported } from './_internal/wasm-module.js';
import { workerScript } from './_internal/worker-script.js';
import type { ProductKernel } from './_internal/wasm-products.js';

/** Options of {@link createWorkerPool}. */
export interface WorkerPoolOptions {
  /**
   * Threads that share a product, the calling thread included: `threads - 1` workers are started.
   * @defaultValue 2
   */
  readonly threads?: number;
  /** Initial size of the shared WebAssembly memory in bytes. @defaultValue 1 MiB */
  readonly initialBytes?: number;
  /**
   * Products with fewer multiply-adds than this run on the calling thread alone (a round trip to a worker costs
   * tens of microseconds). @defaultValue 2^21
   */
  readonly minWork?: number;
}

/**
 * Worker threads over one shared WebAssembly memory, created once by {@link createWorkerPool} and stopped by
 * {@link WorkerPool.close}. Hand it to `createWasmBackend({ pool })`: the backend's products (W4, W8A8 / int8,
 * float8) then split their output rows across the threads. Results are identical to the single-thread ones
 * (each output row is computed by exactly one thread, in the same order).
 */
export interface WorkerPool {
  /** Threads per product, the calling thread included. */
  readonly threads: number;
  /** The shared-memory kernels every thread runs. */
  readonly kernels: WasmKernels;
  /** True once {@link WorkerPool.close} was called or a worker died. */
  readonly closed: boolean;
  /**
   * Runs one product export of {@link WorkerPool.kernels} over output rows `[0, rows)`, split across the threads
   * (the calling thread takes the first share). `args` are the export's arguments before `n0, n1`.
   * @throws QuantError `KERNELS_WORKER_FAILED` when a thread traps or dies, `KERNELS_INVALID_ARGUMENT` after close.
   */
  run(kernel: ProductKernel, args: readonly number[], rows: number): Promise<void>;
  /**
   * True when {@link WorkerPool.runBlocking} works on the thread that created the pool: Node's main thread,
   * worker threads and Web Workers may block; a browser page's main thread may not.
   */
  readonly canBlock: boolean;
  /**
   * Runs a blocking export of {@link WorkerPool.kernels} (`quant_rows_part`, the threaded quantize of the WASM
   * backend) over chunks `[0, rows)` split evenly across the threads, the calling thread taking the first share,
   * and waits for the other shares with `Atomics.wait`, so that a synchronous call can use the pool. `args` are
   * the export's arguments before `n0, n1`. Products started with {@link WorkerPool.run} and not yet finished run
   * first on their workers.
   * @throws QuantError `KERNELS_INVALID_ARGUMENT` after close or where the thread may not block (see
   * {@link WorkerPool.canBlock}); `KERNELS_WORKER_FAILED` when a share traps, or when a worker does not answer
   * within 60 s (the pool is then closed).
   */
  runBlocking(kernel: BlockingKernel, args: readonly number[], rows: number): void;
  /** Stops the workers (pending runs reject). Idempotent. */
  close(): Promise<void>;
}

/** Exports that {@link WorkerPool.runBlocking} runs. */
export type BlockingKernel = 'quant_rows_part';

/** How long {@link WorkerPool.runBlocking} waits for a worker's share. */
const BLOCKING_TIMEOUT_MS = 60_000;

/** Whether this thread may block in `Atomics.wait` (a browser page's main thread may not). */
function blockingAllowed(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** One worker, whichever the platform (node:worker_threads or Web Workers). */
interface Thread {
  post(message: unknown): void;
  terminate(): Promise<void>;
  /** Node only: let the process exit while this worker idles. */
  idle(idle: boolean): void;
}

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

type Reply = { id: number; error?: string } | { type: 'ready' } | { type: 'init-error'; message: string };

/** Multiply-adds of a product call, from the export's arguments. */
function workOf(kernel: ProductKernel, args: readonly number[], rows: number): number {
  const [m, kp] =
    kernel === 'gemm_w4'
      ? [args[5], args[7]]
      : kernel === 'gemm_w4a16'
        ? [args[6], args[8]]
        : kernel === 'gemm_f8'
          ? [args[4], args[6]]
          : [args[3], args[5]];
  return (m ?? 0) * (kp ?? 0) * rows;
}

/** Whether this is Node (worker_threads) rather than a browser (Web Workers). */
function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

async function startNodeThread(onReply: (r: Reply) => void, onDeath: (e: Error) => void): Promise<Thread> {
  // A computed specifier keeps browser bundlers from resolving a Node built-in.
  const specifier = 'node:worker_threads';
  const { Worker } = (await import(/* @vite-ignore */ specifier)) as typeof WorkerThreads;
  const worker = new Worker(workerScript('node'), { eval: true });
  worker.on('message', onReply);
  worker.on('error', (e: Error) => onDeath(e));
  worker.on('exit', (code: number) => onDeath(new Error(`worker exited with code ${code}`)));
  return {
    post: (m) => worker.postMessage(m),
    terminate: async () => {
      await worker.terminate();
    },
    idle: (idle) => (idle ? worker.unref() : worker.ref()),
  };
}

function startWebThread(onReply: (r: Reply) => void, onDeath: (e: Error) => void): Thread {
  const url = URL.createObjectURL(new Blob([workerScript('web')], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  worker.onmessage = (e: MessageEvent<Reply>) => onReply(e.data);
  worker.onerror = (e: ErrorEvent) => onDeath(new Error(e.message));
  return {
    post: (m) => worker.postMessage(m),
    terminate: async () => worker.terminate(),
    idle: () => undefined,
  };
}

/**
 * Starts a pool of worker threads sharing one WebAssembly memory (Node: `worker_threads`; browsers: Web Workers,
 * which need a cross-origin isolated page for SharedArrayBuffer). Create it once, pass it to
 * `createWasmBackend({ pool })`, and `close()` it when done. Idle workers do not keep a Node process alive.
 * @throws QuantError `KERNELS_INVALID_ARGUMENT` for a bad thread count or when shared memory or workers are
 * unavailable; `KERNELS_WORKER_FAILED` when a worker cannot start.
 * @example
 * ```ts
 * const pool = await createWorkerPool({ threads: 2 });
 * const backend = await createWasmBackend({ pool });
 * const y = await backend.matmulW4(backend.prepareW4(weights), x, 1);
 * await pool.close();
 * ```
 */
export async function createWorkerPool(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
  const threads = options.threads ?? 2;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      `createWorkerPool: threads = ${threads} must be an integer from 1 to 64`,
    );
  }
  const minWork = options.minWork ?? 2 ** 21;
  if (!(minWork >= 0)) {
    throw new QuantError('KERNELS_INVALID_ARGUMENT', `createWorkerPool: minWork = ${minWork} must be >= 0`);
  }
  if (!sharedMemorySupported()) {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      'createWorkerPool: shared WebAssembly memory is unavailable (browsers need cross-origin isolation)',
    );
  }
  const node = isNode();
  if (!node && typeof Worker !== 'function') {
    throw new QuantError('KERNELS_INVALID_ARGUMENT', 'createWorkerPool: this environment has no Web Workers');
  }
  const kernels = await createWasmKernels(
    options.initialBytes === undefined ? { shared: true } : { shared: true, initialBytes: options.initialBytes },
  );
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed = false;
  let failure: Error | undefined;
  const workers: Thread[] = [];
  const ready: Promise<void>[] = [];

  const failAll = (error: Error): void => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const die = (e: Error): void => {
    if (closed) return;
    failure ??= new QuantError('KERNELS_WORKER_FAILED', `WorkerPool: a worker died (${e.message}); create a new pool`);
    closed = true;
    failAll(failure);
    for (const w of workers) void w.terminate();
  };

  for (let t = 1; t < threads; t++) {
    let onReady!: () => void;
    let onInitError!: (e: Error) => void;
    ready.push(
      new Promise<void>((resolve, reject) => {
        onReady = resolve;
        onInitError = reject;
      }),
    );
    const onReply = (r: Reply): void => {
      if ('type' in r) {
        if (r.type === 'ready') onReady();
        else onInitError(new Error(r.message));
        return;
      }
      const p = pending.get(r.id);
      if (!p) return;
      pending.delete(r.id);
      if (pending.size === 0) for (const w of workers) w.idle(true);
      if (r.error === undefined) p.resolve();
      else p.reject(new QuantError('KERNELS_WORKER_FAILED', `WorkerPool.run: a worker failed: ${r.error}`));
    };
    const onDeath = (e: Error): void => {
      onInitError(e);
      die(e);
    };
    const worker = node ? await startNodeThread(onReply, onDeath) : startWebThread(onReply, onDeath);
    workers.push(worker);
    worker.post({ type: 'init', module: kernels.module, memory: kernels.memory });
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    closed = true;
    await Promise.all(workers.map((w) => w.terminate()));
    throw new QuantError(
      'KERNELS_WORKER_FAILED',
      `createWorkerPool: a worker failed to start: ${(e as Error).message}`,
    );
  }
  for (const w of workers) w.idle(true);
  // One int32 answer flag per worker for runBlocking (0 pending, 1 done, 2 failed).
  const flags = kernels.alloc(4 * Math.max(1, threads - 1));
  const canBlock = blockingAllowed();

  const call = (worker: Thread, kernel: ProductKernel, args: readonly number[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const id = nextId++;
      if (pending.size === 0) for (const w of workers) w.idle(false);
      pending.set(id, { resolve, reject });
      worker.post({ id, kernel, args });
    });

  return {
    threads,
    kernels,
    get closed() {
      return closed;
    },
    async run(kernel, args, rows) {
      if (closed) {
        throw (
          failure ?? new QuantError('KERNELS_INVALID_ARGUMENT', 'WorkerPool.run: the pool is closed; create a new one')
        );
      }
      const fn = kernels.exports[kernel] as (...a: number[]) => void;
      const parts = Math.min(threads, Math.max(1, Math.floor(rows / 8)));
      if (parts === 1 || workOf(kernel, args, rows) < minWork) {
        fn(...args, 0, rows);
        return;
      }
      // Shares rounded to multiples of 8 rows; the calling thread takes the first one.
      const bounds: number[] = [0];
      for (let t = 1; t < parts; t++) bounds.push(Math.min(rows, Math.round((rows * t) / parts / 8) * 8));
      bounds.push(rows);
      const remote: Promise<void>[] = [];
      for (let t = 1; t < parts; t++) remote.push(call(workers[t - 1]!, kernel, [...args, bounds[t]!, bounds[t + 1]!]));
      let local: unknown;
      try {
        fn(...args, 0, bounds[1]!);
      } catch (e) {
        local = e;
      }
      const results = await Promise.allSettled(remote);
      if (local !== undefined) {
        throw new QuantError(
          'KERNELS_WORKER_FAILED',
          `WorkerPool.run: the calling thread's share failed: ${String(local)}`,
        );
      }
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    },
    canBlock,
    runBlocking(kernel, args, rows) {
      if (closed) {
        throw (
          failure ??
          new QuantError('KERNELS_INVALID_ARGUMENT', 'WorkerPool.runBlocking: the pool is closed; create a new one')
        );
      }
      if (!canBlock) {
        throw new QuantError(
          'KERNELS_INVALID_ARGUMENT',
          'WorkerPool.runBlocking: this thread may not block (a browser main thread); use the pool from a worker',
        );
      }
      const fn = kernels.exports[kernel] as (...a: number[]) => void;
      const parts = Math.max(1, Math.min(threads, rows));
      const bounds: number[] = [];
      for (let t = 0; t <= parts; t++) bounds.push(Math.round((rows * t) / parts));
      const answers = new Int32Array(kernels.memory.buffer, flags, Math.max(1, threads - 1));
      for (let t = 1; t < parts; t++) {
        Atomics.store(answers, t - 1, 0);
        workers[t - 1]!.post({
          type: 'blocking',
          kernel,
          args: [...args, bounds[t]!, bounds[t + 1]!],
          flag: flags + 4 * (t - 1),
        });
      }
      let local: unknown;
      try {
        fn(...args, bounds[0]!, bounds[1]!);
      } catch (e) {
        local = e ?? new Error('unknown error');
      }
      const deadline = performance.now() + BLOCKING_TIMEOUT_MS;
      let failed = false;
      for (let t = 1; t < parts; t++) {
        let state = Atomics.load(answers, t - 1);
        while (state === 0) {
          const left = deadline - performance.now();
          if (left <= 0) {
            die(new Error(`no answer to a blocking run within ${BLOCKING_TIMEOUT_MS / 1000} s`));
            throw failure!;
          }
          Atomics.wait(answers, t - 1, 0, left);
          state = Atomics.load(answers, t - 1);
        }
        if (state !== 1) failed = true;
      }
      if (local !== undefined) {
        throw new QuantError(
          'KERNELS_WORKER_FAILED',
          `WorkerPool.runBlocking: the calling thread's share failed: ${String(local)}`,
        );
      }
      if (failed) throw new QuantError('KERNELS_WORKER_FAILED', "WorkerPool.runBlocking: a worker's share failed");
    },
    async close() {
      if (closed && workers.length === 0) return;
      closed = true;
      failAll(new QuantError('KERNELS_INVALID_ARGUMENT', 'WorkerPool.run: the pool was closed during the run'));
      const all = workers.splice(0);
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}
