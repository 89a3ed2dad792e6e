import { isQuantError } from '@lowbit/dtypes';
import { quantize } from '@lowbit/kernels';
import type { QuantizationSpec, QuantizedTensor } from '@lowbit/spec';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createWasmBackend, createWasmKernels, createWorkerPool, sharedMemorySupported } from '../src/index.js';
import type { KernelBackend, WorkerPool } from '../src/index.js';
import { describeKernelConformance } from '../src/testing/index.js';
import { THREADED_MIN } from '../src/_internal/wasm-quantize.js';
import { SIMD_INT_SCHEMES } from './simd-int-schemes.js';

// Every test here has a timeout and every pool is closed in afterAll / finally: a stuck worker fails a test
// instead of hanging the run.
const T = 20_000;

expect(sharedMemorySupported()).toBe(true); // Node 20 has shared WebAssembly memory.

const spec = (dtype: string, blockSize: number): QuantizationSpec => ({
  version: 1,
  dtype,
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity: { type: 'per_block', axis: 1, blockSize },
});

function floats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = ((s >>> 8) / 16777216 - 0.5) * 4;
  }
  return out;
}

describe('worker pool products', () => {
  let pool: WorkerPool;
  let threaded: KernelBackend;
  let single: KernelBackend;
  beforeAll(async () => {
    // minWork 0: even tiny products are split, so every split path runs.
    pool = await createWorkerPool({ threads: 3, minWork: 0 });
    threaded = await createWasmBackend({ pool });
    single = await createWasmBackend();
  }, T);
  afterAll(async () => {
    await pool?.close();
  }, T);

  test('capabilities report the threads', () => {
    expect(threaded.capabilities.threads).toBe(3);
    expect(pool.threads).toBe(3);
    expect(pool.kernels.shared).toBe(true);
  });

  test(
    'W4, W8A8, int8 and float8 products are identical to the single-thread ones (bit for bit)',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            n: fc.integer({ min: 1, max: 70 }),
            k: fc.integer({ min: 1, max: 100 }),
            m: fc.constantFrom(1, 2, 5),
            block: fc.constantFrom(32, 64),
            seed: fc.integer(),
          }),
          async ({ n, k, m, block, seed }) => {
            const w = floats(n * k, seed);
            const x = floats(m * k, seed + 1);
            const bytes = Uint8Array.from(floats(n * k, seed + 2), (v) => Math.floor((v + 2) * 63.9));
            const blocks = n * Math.ceil(k / block);
            const blockScales = Float32Array.from(floats(blocks, seed + 3), (v) => Math.abs(v) + 0.01);
            const w4 = {
              dtype: 'int4' as const,
              n,
              k,
              blockSize: block,
              data: bytes.subarray(0, Math.ceil((n * k) / 2)),
              scales: blockScales,
            };
            const a = Int8Array.from(x, (v) => Math.round(v * 30));
            const w8 = {
              n,
              k,
              data: Int8Array.from(w, (v) => Math.round(v * 30)),
              scales: new Float32Array(n).fill(0.01),
            };
            // float8 codes, NaN codes (0x7F / 0xFF) moved to the largest finite ones.
            const codes = bytes.map((c) => ((c & 0x7f) === 0x7f ? c - 1 : c));
            const f8 = { n, k, blockSize: block, data: codes, scales: blockScales };
            const aScales = Float32Array.of(0.02);
            const p = [single, threaded].map((b) => ({
              w4: b.prepareW4(w4),
              w4i: b.prepareW4(w4, { activations: 'int16' }),
              w8: b.prepareW8(w8),
              f8: b.prepareF8(f8),
            }));
            try {
              const [s, t] = [p[0]!, p[1]!];
              expect(await threaded.matmulW4(t.w4, x, m)).toStrictEqual(await single.matmulW4(s.w4, x, m));
              expect(await threaded.matmulW4(t.w4i, x, m)).toStrictEqual(await single.matmulW4(s.w4i, x, m));
              expect(await threaded.matmulW8A8(t.w8, a, m, aScales)).toStrictEqual(
                await single.matmulW8A8(s.w8, a, m, aScales),
              );
              expect(await threaded.matmulInt8(t.w8, a, m)).toStrictEqual(await single.matmulInt8(s.w8, a, m));
              expect(await threaded.matmulF8(t.f8, x, m)).toStrictEqual(await single.matmulF8(s.f8, x, m));
            } finally {
              for (const h of p) for (const v of Object.values(h)) v.release();
            }
          },
        ),
        { numRuns: 25 },
      );
    },
    T,
  );

  test(
    'concurrent products on one pool do not mix rows',
    async () => {
      const n = 64;
      const k = 96;
      const w = floats(n * k, 5);
      const q4 = quantize({ data: w, shape: [n, k] }, spec('int4', 32));
      const w4 = { dtype: 'int4' as const, n, k, blockSize: 32, data: q4.data as Uint8Array, scales: q4.scales };
      const pt = threaded.prepareW4(w4);
      const ps = single.prepareW4(w4);
      try {
        const xs = [1, 2, 3, 4].map((i) => floats(3 * k, 100 + i));
        const got = await Promise.all(xs.map((x) => threaded.matmulW4(pt, x, 3)));
        for (let i = 0; i < xs.length; i++) expect(got[i]).toStrictEqual(await single.matmulW4(ps, xs[i]!, 3));
      } finally {
        pt.release();
        ps.release();
      }
    },
    T,
  );

  test(
    'a trap in a worker rejects the run with KERNELS_WORKER_FAILED and the pool keeps working',
    async () => {
      // Pointers beyond the memory: every thread's share traps (out of bounds).
      const far = pool.kernels.memory.buffer.byteLength + (1 << 20);
      const error = await pool.run('gemm_i8', [far, far, far, 4, 64, 16], 64).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isQuantError(error) && error.code).toBe('KERNELS_WORKER_FAILED');
      expect(pool.closed).toBe(false);
      const w8 = { n: 16, k: 16, data: new Int8Array(256).fill(1), scales: new Float32Array(16).fill(1) };
      const pw = threaded.prepareW8(w8);
      expect(Array.from(await threaded.matmulInt8(pw, new Int8Array(16).fill(2), 1))).toEqual(
        Array.from({ length: 16 }, () => 32),
      );
      pw.release();
    },
    T,
  );

  describe('quantize across the pool (input in the pool memory, large enough to split)', () => {
    const rows = 1024;
    const cols = THREADED_MIN / rows;
    /** The tensor in the pool's memory (a zero-copy input), with a JS copy; free `ptr` afterwards. */
    const inPool = (data: Float32Array): { ptr: number; tensor: { data: Float32Array; shape: number[] } } => {
      const ptr = pool.kernels.alloc(data.length * 4);
      const view = pool.kernels.f32(ptr, data.length);
      view.set(data);
      return { ptr, tensor: { data: view, shape: [rows, data.length / rows] } };
    };
    const specs: QuantizationSpec[] = SIMD_INT_SCHEMES.flatMap(([dtype, qscheme]) => [
      { version: 1, dtype, qscheme, qformulation: 'zp', granularity: { type: 'per_channel', axis: 0 } },
      { version: 1, dtype, qscheme, qformulation: 'zp', granularity: { type: 'per_block', axis: 1, blockSize: 32 } },
    ]);

    /** Index of the first element where two arrays differ, -1 when equal (vitest's deep equality is slow on 1M). */
    const firstDifference = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
      if (a.length !== b.length) return Math.min(a.length, b.length);
      for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
      return -1;
    };
    /** quantize results equal: every field, `data` compared element by element. */
    const expectSame = (got: QuantizedTensor, want: QuantizedTensor): void => {
      expect(got.data.constructor).toBe(want.data.constructor);
      expect(firstDifference(got.data, want.data)).toBe(-1);
      expect({ ...got, data: null }).toStrictEqual({ ...want, data: null });
    };

    test('canBlock on Node', () => {
      expect(pool.canBlock).toBe(true);
    });

    test(
      'quantize and quantizeInto equal the single-thread backend and the reference, constant and zero rows included',
      () => {
        const data = floats(rows * cols, 11);
        data.fill(0.75, 5 * cols, 6 * cols); // a constant row (its own parameters)
        data.fill(0, 700 * cols, 701 * cols); // a zero row
        data.fill(-3, 1023 * cols, 1024 * cols); // the last row, in the last thread's share
        const { ptr, tensor } = inPool(data);
        const codes = pool.kernels.alloc(data.length);
        try {
          for (const s of specs) {
            const reference = quantize({ data, shape: tensor.shape }, s);
            expectSame(threaded.quantize(tensor, s), reference);
            expectSame(single.quantize({ data, shape: tensor.shape }, s), reference);
            const DataType = s.dtype === 'int8' ? Int8Array : Uint8Array;
            const out = {
              data: new DataType(pool.kernels.memory.buffer, codes, reference.data.length),
              scales: new Float32Array(reference.scales.length),
              zeroPoints: new Int32Array(reference.scales.length),
            };
            const into = threaded.quantizeInto(tensor, s, out);
            expect(firstDifference(into.data, reference.data)).toBe(-1);
            expect(into.scales).toStrictEqual(reference.scales);
            expect(firstDifference(out.zeroPoints, reference.zeroPoints ?? new Int32Array(out.zeroPoints.length))).toBe(
              -1,
            );
          }
        } finally {
          pool.kernels.free(codes);
          pool.kernels.free(ptr);
        }
      },
      T,
    );

    test(
      "NaN or Inf in any thread's share gives the reference's error naming the position",
      () => {
        const s = specs[0]!;
        for (const at of [3, Math.floor(rows / 2) * cols + 7, rows * cols - 1]) {
          for (const bad of [Number.NaN, Infinity]) {
            const data = floats(rows * cols, 12);
            data[at] = bad;
            const { ptr, tensor } = inPool(data);
            try {
              const error = (f: () => unknown): unknown => {
                try {
                  f();
                } catch (e) {
                  return e;
                }
                return undefined;
              };
              const got = error(() => threaded.quantize(tensor, s));
              expect(isQuantError(got)).toBe(true);
              expect(got).toEqual(error(() => quantize({ data, shape: tensor.shape }, s)));
              // under 'saturate', the same result as the reference
              expectSame(
                threaded.quantize(tensor, s, { nonFinite: 'saturate' }),
                quantize({ data, shape: tensor.shape }, s, { nonFinite: 'saturate' }),
              );
            } finally {
              pool.kernels.free(ptr);
            }
          }
        }
      },
      T,
    );

    test(
      'runBlocking quant_rows_part over 3 threads writes exactly what one quant_rows call writes',
      () => {
        const k = pool.kernels;
        for (const [chunks, chunk] of [
          [3, 16],
          [7, 100],
          [5, 33],
          [64, 1024],
        ] as const) {
          const data = floats(chunks * chunk, chunks);
          const x = k.alloc(data.length * 4);
          const outs = [k.alloc(data.length), k.alloc(data.length)];
          const params = [k.alloc(16 * chunks), k.alloc(16 * chunks)];
          const bad = k.alloc(4);
          try {
            k.f32(x, data.length).set(data);
            // both outputs start poisoned, differently: any byte left unwritten differs
            k.u8(outs[0]!, data.length).fill(0x55);
            k.u8(outs[1]!, data.length).fill(0xaa);
            k.u8(params[0]!, 16 * chunks).fill(0x55);
            k.u8(params[1]!, 16 * chunks).fill(0xaa);
            k.i32(bad, 1)[0] = 0;
            const at = (p: number): [number, number, number, number] => [
              p,
              p + 4 * chunks,
              p + 8 * chunks,
              p + 12 * chunks,
            ];
            pool.runBlocking(
              'quant_rows_part',
              [x, chunk, -128, 127, 0, 1, outs[0]!, ...at(params[0]!), bad, 0],
              chunks,
            );
            expect(k.exports.quant_rows(x, chunks, chunk, -128, 127, 0, 1, outs[1]!, ...at(params[1]!))).toBe(0);
            expect(k.i32(bad, 1)[0]).toBe(0);
            expect(firstDifference(k.u8(outs[0]!, data.length), k.u8(outs[1]!, data.length))).toBe(-1);
            expect(firstDifference(k.u8(params[0]!, 16 * chunks), k.u8(params[1]!, 16 * chunks))).toBe(-1);
            // 4-bit: each thread packs its share as pack4 packs the whole
            if (chunk % 2 === 0) {
              const packed = [k.alloc(data.length / 2), k.alloc(data.length / 2)];
              try {
                k.u8(packed[0]!, data.length / 2).fill(0x55);
                pool.runBlocking(
                  'quant_rows_part',
                  [x, chunk, -8, 7, 0, 0, outs[0]!, ...at(params[0]!), bad, packed[0]!],
                  chunks,
                );
                expect(k.exports.quant_rows(x, chunks, chunk, -8, 7, 0, 0, outs[1]!, ...at(params[1]!))).toBe(0);
                k.exports.pack4(outs[1]!, data.length, packed[1]!);
                expect(firstDifference(k.u8(packed[0]!, data.length / 2), k.u8(packed[1]!, data.length / 2))).toBe(-1);
              } finally {
                for (const p of packed) k.free(p);
              }
            }
          } finally {
            for (const p of [x, ...outs, ...params, bad]) k.free(p);
          }
        }
      },
      T,
    );

    test(
      "runBlocking: a trap in a worker's share or in the caller's share is KERNELS_WORKER_FAILED, and the pool keeps working",
      () => {
        const k = pool.kernels;
        const chunk = 4096;
        // real places for the codes and parameters: only the reads of the input go astray
        const out = k.alloc(60 * chunk);
        const params = k.alloc(16 * 60);
        const bad = k.alloc(4);
        const size = k.memory.buffer.byteLength;
        // Chunk c is read at x + 16 KiB c: from this x the first chunks lie inside the memory, the last beyond it.
        const workersTrap = size - 20 * chunk * 4;
        // A negative x wraps to the top of the 32-bit address space: every chunk is out of bounds.
        const allTrap = -(1 << 20);
        for (const x of [workersTrap, allTrap]) {
          let caught: unknown;
          try {
            pool.runBlocking(
              'quant_rows_part',
              [x, chunk, -128, 127, 0, 0, out, params, params + 240, params + 480, params + 720, bad, 0],
              60,
            );
          } catch (e) {
            caught = e;
          }
          expect(isQuantError(caught) && caught.code).toBe('KERNELS_WORKER_FAILED');
        }
        for (const p of [out, params, bad]) k.free(p);
        expect(pool.closed).toBe(false);
        const data = floats(rows * cols, 13);
        const { ptr, tensor } = inPool(data);
        try {
          expectSame(threaded.quantize(tensor, specs[0]!), quantize({ data, shape: tensor.shape }, specs[0]!));
        } finally {
          k.free(ptr);
        }
      },
      T,
    );
  });
});

describe('worker pool lifecycle', () => {
  test(
    'close stops the pool: runs are refused, close is idempotent, the backend reports the error',
    async () => {
      const pool = await createWorkerPool({ threads: 2 });
      try {
        const backend = await createWasmBackend({ pool });
        const w = backend.prepareW8({ n: 8, k: 16, data: new Int8Array(128), scales: new Float32Array(8).fill(1) });
        await pool.close();
        await pool.close();
        expect(pool.closed).toBe(true);
        const error = await pool.run('gemm_i8', [0, 0, 0, 1, 8, 16], 8).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isQuantError(error) && error.code).toBe('KERNELS_INVALID_ARGUMENT');
        expect(() => pool.runBlocking('quant_rows_part', [], 8)).toThrow(
          expect.objectContaining({ code: 'KERNELS_INVALID_ARGUMENT' }),
        );
        // Even a product too small to split is refused once the pool is closed.
        await expect(backend.matmulInt8(w, new Int8Array(16), 1)).rejects.toMatchObject({
          code: 'KERNELS_INVALID_ARGUMENT',
        });
      } finally {
        await pool.close();
      }
    },
    T,
  );

  test(
    'bad options are refused before any worker starts',
    async () => {
      for (const threads of [0, -1, 1.5, 65, Number.NaN]) {
        await expect(createWorkerPool({ threads })).rejects.toMatchObject({ code: 'KERNELS_INVALID_ARGUMENT' });
      }
      await expect(createWorkerPool({ minWork: -1 })).rejects.toMatchObject({ code: 'KERNELS_INVALID_ARGUMENT' });
      const pool = await createWorkerPool({ threads: 1 });
      try {
        // A pool brings its own kernels: other kernels alongside it are refused.
        await expect(createWasmBackend({ pool, kernels: await createWasmKernels() })).rejects.toMatchObject({
          code: 'KERNELS_INVALID_ARGUMENT',
        });
      } finally {
        await pool.close();
      }
    },
    T,
  );
});

// The whole conformance suite against a pool-backed backend (closing the pool after it).
let conformancePool: WorkerPool | undefined;
describeKernelConformance(
  'wasm-simd, 2 threads',
  async () => {
    conformancePool = await createWorkerPool({ threads: 2, minWork: 0 });
    const backend = await createWasmBackend({ pool: conformancePool });
    return { ...backend, close: () => conformancePool!.close() };
  },
  { numRuns: 20 },
);

test(
  'a view of the shared memory taken before it grew is still a zero-copy input',
  async () => {
    const k = await createWasmKernels({ shared: true, initialBytes: 1 << 16 });
    const ptr = k.alloc(1024);
    const early = k.f32(ptr, 256);
    const before = k.memory.buffer;
    k.alloc(4 << 20); // grows the memory
    expect(k.memory.buffer).not.toBe(before);
    expect(k.addressOf(early)).toBe(ptr);
    expect(k.addressOf(new Float32Array(256))).toBe(-1);
    // a private memory detaches its old buffer instead: no longer an address
    const p = await createWasmKernels({ initialBytes: 1 << 16 });
    const old = p.f32(p.alloc(1024), 256);
    p.alloc(4 << 20);
    expect(p.addressOf(old)).toBe(-1);
  },
  T,
);
