/**
 * Runs in Chromium (bundled by ../browser-workers.test.ts): a two-thread Web Worker pool against the single-thread
 * backend on every product, then POSTs a report to /result.
 */
import { createWasmBackend, createWorkerPool } from '../../src/index.js';

/** What the page reports to the test. */
export interface Report {
  crossOriginIsolated: boolean;
  threads: number;
  /** Whether the pool may block this thread (a page's main thread may not). */
  canBlock: boolean | null;
  checked: string[];
  mismatches: string[];
  error: string | null;
}

/** Seeded uniform floats in [-1, 1). */
function floats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2;
  }
  return out;
}

function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

async function run(): Promise<Report> {
  const report: Report = {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    threads: 0,
    canBlock: null,
    checked: [],
    mismatches: [],
    error: null,
  };
  const pool = await createWorkerPool({ threads: 2, minWork: 0 });
  try {
    report.threads = pool.threads;
    report.canBlock = pool.canBlock;
    const threaded = await createWasmBackend({ pool });
    const single = await createWasmBackend();
    const n = 72;
    const k = 96;
    const m = 3;
    const x = floats(m * k, 2);
    const bytes = Uint8Array.from(floats((n * k) / 2, 3), (v) => Math.floor((v + 1) * 127.9));
    const scales = Float32Array.from(floats(n * (k / 32), 4), (v) => Math.abs(v) + 0.01);
    const w4 = { dtype: 'int4' as const, n, k, blockSize: 32, data: bytes, scales };
    const w8 = {
      n,
      k,
      data: Int8Array.from(floats(n * k, 5), (v) => Math.round(v * 100)),
      scales: scales.subarray(0, n),
    };
    const a = Int8Array.from(x, (v) => Math.round(v * 100));
    const f8codes = Uint8Array.from(floats(n * k, 6), (v) => Math.floor((v + 1) * 63) & 0x7e);
    const f8 = { n, k, blockSize: 32, data: f8codes, scales };
    const check = async (name: string, f: (b: typeof single) => Promise<ArrayLike<number>>): Promise<void> => {
      const [got, want] = [await f(threaded), await f(single)];
      report.checked.push(name);
      if (!same(got, want)) report.mismatches.push(name);
    };
    await check('matmulW4', (b) => b.matmulW4(b.prepareW4(w4), x, m));
    await check('matmulW4 int16', (b) => b.matmulW4(b.prepareW4(w4, { activations: 'int16' }), x, m));
    await check('matmulW8A8', (b) => b.matmulW8A8(b.prepareW8(w8), a, m, Float32Array.of(0.02)));
    await check('matmulInt8', (b) => b.matmulInt8(b.prepareW8(w8), a, m));
    await check('matmulF8', (b) => b.matmulF8(b.prepareF8(f8), x, m));
    // A large tensor in the pool's memory: on a page's main thread quantize may not block, so it runs on one thread.
    const big = 1 << 20;
    const ptr = pool.kernels.alloc(big * 4);
    const view = pool.kernels.f32(ptr, big);
    view.set(floats(big, 7));
    const spec = {
      version: 1,
      dtype: 'int8',
      qscheme: 'symmetric',
      qformulation: 'zp',
      granularity: { type: 'per_channel', axis: 0 },
    } as const;
    await check('quantize', async (b) => b.quantize({ data: view, shape: [1024, 1024] }, spec).data);
    pool.kernels.free(ptr);
  } finally {
    await pool.close();
  }
  return report;
}

run()
  .catch((e: unknown) => ({
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    threads: 0,
    canBlock: null,
    checked: [],
    mismatches: [],
    error: String((e as Error)?.stack ?? e),
  }))
  .then((report) => fetch('/result', { method: 'POST', body: JSON.stringify(report) }));
