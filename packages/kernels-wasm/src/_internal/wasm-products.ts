import { QuantError } from '@lowbit/dtypes';
import type { F8Weights, PreparedWeights, W4Weights, W8Weights } from '../kernel-backend.js';
import { referenceProducts } from '../reference-backend.js';
import type { WasmKernels } from '../wasm-kernels.js';
import {
  blocksPerRow,
  checkActivations,
  checkActivationScales,
  checkInt8Activations,
  scaleInt8Products,
  validateF8,
  validateW4,
  validateW8,
} from './weights.js';

/** The product exports that take an output-row range `[n0, n1)` as their last two arguments. */
export type ProductKernel = 'gemm_w4' | 'gemm_f8' | 'gemm_i8';

/** Runs one product export over output rows `[0, n)`, possibly split across threads. */
export type RowRunner = (kernel: ProductKernel, args: readonly number[], n: number) => Promise<void>;

/** A runner that does all rows on the calling thread. */
export function singleThreadRunner(k: WasmKernels): RowRunner {
  return async (kernel, args, n) => {
    const f = k.exports[kernel] as (...a: number[]) => void;
    f(...args, 0, n);
  };
}

const roundUp = (v: number, m: number): number => Math.ceil(v / m) * m;

interface Allocation {
  readonly ptrs: number[];
  released: boolean;
}

/** @internal Prepared weights living in WebAssembly memory (or kept for the reference path). */
export interface WasmPrepared<Kind extends 'w4' | 'w8' | 'f8', W> extends PreparedWeights<Kind> {
  /** Present when the layout is outside the SIMD kernel's (the reference product runs instead). */
  readonly fallback: W | undefined;
  readonly kp: number;
  readonly block: number;
  readonly w: number;
  readonly scales: number;
  readonly zpe: number;
  readonly wScales: Float32Array;
  readonly owner: WasmKernels;
  readonly alloc: Allocation;
}

function handle<Kind extends 'w4' | 'w8' | 'f8', W extends { n: number; k: number }>(
  k: WasmKernels,
  kind: Kind,
  backend: string,
  weights: W,
  parts: {
    fallback?: W;
    kp?: number;
    block?: number;
    w?: number;
    scales?: number;
    zpe?: number;
    wScales?: Float32Array;
  },
): WasmPrepared<Kind, W> {
  const alloc: Allocation = {
    ptrs: [parts.w, parts.scales, parts.zpe].filter((p): p is number => p !== undefined),
    released: false,
  };
  return {
    kind,
    backend,
    n: weights.n,
    k: weights.k,
    fallback: parts.fallback,
    kp: parts.kp ?? 0,
    block: parts.block ?? 0,
    w: parts.w ?? 0,
    scales: parts.scales ?? 0,
    zpe: parts.zpe ?? 0,
    wScales: parts.wScales ?? new Float32Array(0),
    owner: k,
    alloc,
    release() {
      if (alloc.released) return;
      alloc.released = true;
      for (const p of alloc.ptrs) k.free(p);
    },
  };
}

/** Checks that `prepared` came from this backend's `prepare*` and is still alive. */
export function unwrap<Kind extends 'w4' | 'w8' | 'f8', W>(
  k: WasmKernels,
  prepared: PreparedWeights<Kind>,
  kind: Kind,
  where: string,
): WasmPrepared<Kind, W> {
  const p = prepared as Partial<WasmPrepared<Kind, W>>;
  if (p === null || typeof p !== 'object' || p.kind !== kind || p.owner !== k || p.alloc === undefined) {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      `${where}: expected ${kind} weights prepared by this backend (prepare${kind.toUpperCase()})`,
    );
  }
  if (p.alloc.released) {
    throw new QuantError('KERNELS_INVALID_ARGUMENT', `${where}: these weights were released`);
  }
  return p as WasmPrepared<Kind, W>;
}

/** Copies 4-bit weights into the kernel layout: unsigned nibbles (int4 xor 8), rows padded to `kp`. */
export function prepareW4(k: WasmKernels, weights: W4Weights, backend: string): WasmPrepared<'w4', W4Weights> {
  validateW4(weights, 'prepareW4');
  const { n, k: K, blockSize, data, scales, zeroPoints } = weights;
  const nb = blocksPerRow(K, blockSize);
  let kp: number;
  let block: number;
  if (n === 0 || K === 0) return handle(k, 'w4', backend, weights, { fallback: weights });
  if (nb === 1) {
    kp = roundUp(K, 32);
    block = kp;
  } else if (blockSize % 32 === 0) {
    kp = nb * blockSize;
    block = blockSize;
  } else {
    return handle(k, 'w4', backend, weights, { fallback: weights });
  }
  const signed = weights.dtype === 'int4';
  const rowBytes = kp / 2;
  const w = k.alloc(n * rowBytes);
  const sp = k.alloc(n * nb * 4);
  const zp = k.alloc(n * nb * 4);
  const wv = k.u8(w, n * rowBytes);
  wv.fill(0);
  const flip = signed ? 0x88 : 0;
  if (K % 2 === 0) {
    const half = K / 2;
    for (let r = 0; r < n; r++) {
      const src = r * half;
      const dst = r * rowBytes;
      for (let j = 0; j < half; j++) wv[dst + j] = (data[src + j] as number) ^ flip;
    }
  } else {
    const nib = signed ? 8 : 0;
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < K; c++) {
        const i = r * K + c;
        const q = (((data[i >> 1] as number) >> ((i & 1) * 4)) & 15) ^ nib;
        const o = r * kp + c;
        wv[o >> 1] = (wv[o >> 1] as number) | (q << ((o & 1) * 4));
      }
    }
  }
  k.f32(sp, n * nb).set(scales);
  const zv = k.i32(zp, n * nb);
  for (let i = 0; i < n * nb; i++) zv[i] = (zeroPoints ? (zeroPoints[i] as number) : 0) + (signed ? 8 : 0);
  return handle(k, 'w4', backend, weights, { kp, block, w, scales: sp, zpe: zp });
}

/** `y = x W^T` with 4-bit weights. */
export async function matmulW4(
  k: WasmKernels,
  run: RowRunner,
  prepared: PreparedWeights<'w4'>,
  x: Float32Array,
  m: number,
  out: Float32Array | undefined,
): Promise<Float32Array> {
  const p = unwrap<'w4', W4Weights>(k, prepared, 'w4', 'matmulW4');
  if (p.fallback) return referenceProducts.matmulW4(p.fallback, x, m, out);
  const { n, k: K, kp, block } = p;
  checkActivations('matmulW4', x, m, K, n, out, Float32Array);
  if (m === 0) return out ?? new Float32Array(0);
  const xr = k.alloc(m * kp * 4);
  const y = k.alloc(m * n * 4);
  try {
    // Each group of 32 inputs as its 16 even then its 16 odd elements (the order of low / high nibbles).
    const xv = k.f32(xr, m * kp);
    for (let i = 0; i < m; i++) {
      const src = i * K;
      const dst = i * kp;
      for (let g = 0; g < kp; g += 32) {
        for (let j = 0; j < 16; j++) {
          const e = g + 2 * j;
          xv[dst + g + j] = e < K ? (x[src + e] as number) : 0;
          xv[dst + g + 16 + j] = e + 1 < K ? (x[src + e + 1] as number) : 0;
        }
      }
    }
    await run('gemm_w4', [p.w, p.scales, p.zpe, xr, y, m, n, kp, block], n);
    const result = out ?? new Float32Array(m * n);
    result.set(k.f32(y, m * n));
    return result;
  } finally {
    k.free(xr);
    k.free(y);
  }
}

/** Copies int8 weights into rows padded to a multiple of 16. */
export function prepareW8(k: WasmKernels, weights: W8Weights, backend: string): WasmPrepared<'w8', W8Weights> {
  validateW8(weights, 'prepareW8');
  const { n, k: K, data, scales } = weights;
  const wScales = Float32Array.from(scales);
  if (n === 0 || K === 0) return handle(k, 'w8', backend, weights, { fallback: weights, wScales });
  const kp = roundUp(K, 16);
  const w = k.alloc(n * kp);
  const wv = k.i8(w, n * kp);
  wv.fill(0);
  for (let r = 0; r < n; r++) wv.set(data.subarray(r * K, (r + 1) * K), r * kp);
  return handle(k, 'w8', backend, weights, { kp, w, wScales });
}

/** Exact int32 products `a W^T`. */
export async function matmulInt8(
  k: WasmKernels,
  run: RowRunner,
  prepared: PreparedWeights<'w8'>,
  a: Int8Array | Uint8Array,
  m: number,
  out: Int32Array | undefined,
  aZeroPoints: Int32Array | undefined,
  where = 'matmulInt8',
): Promise<Int32Array> {
  const p = unwrap<'w8', W8Weights>(k, prepared, 'w8', where);
  const { n, k: K, kp } = p;
  checkInt8Activations(where, a, m, K, aZeroPoints);
  checkActivations(where, a, m, K, n, out, Int32Array);
  if (p.fallback || m === 0) {
    return (out ?? new Int32Array(m * n)).fill(0);
  }
  const a16 = k.alloc(m * kp * 2);
  const y = k.alloc(m * n * 4);
  try {
    const av = k.i16(a16, m * kp);
    av.fill(0);
    if (aZeroPoints === undefined) {
      for (let i = 0; i < m; i++) av.set(a.subarray(i * K, (i + 1) * K), i * kp);
    } else {
      // a - za fits int16 (|a - za| <= 255), and so do the kernel's pairwise products sums in int32.
      for (let i = 0; i < m; i++) {
        const z = aZeroPoints[aZeroPoints.length === 1 ? 0 : i]!;
        const src = i * K;
        const dst = i * kp;
        for (let c = 0; c < K; c++) av[dst + c] = a[src + c]! - z;
      }
    }
    await run('gemm_i8', [a16, p.w, y, m, n, kp], n);
    const result = out ?? new Int32Array(m * n);
    result.set(k.i32(y, m * n));
    return result;
  } finally {
    k.free(a16);
    k.free(y);
  }
}

/** Scaled W8A8 product. */
export async function matmulW8A8(
  k: WasmKernels,
  run: RowRunner,
  prepared: PreparedWeights<'w8'>,
  a: Int8Array | Uint8Array,
  m: number,
  aScales: Float32Array,
  out: Float32Array | undefined,
  aZeroPoints: Int32Array | undefined,
): Promise<Float32Array> {
  const p = unwrap<'w8', W8Weights>(k, prepared, 'w8', 'matmulW8A8');
  checkInt8Activations('matmulW8A8', a, m, p.k, aZeroPoints);
  checkActivations('matmulW8A8', a, m, p.k, p.n, out, Float32Array);
  checkActivationScales('matmulW8A8', aScales, m);
  const acc = await matmulInt8(k, run, prepared, a, m, undefined, aZeroPoints, 'matmulW8A8');
  const y = out ?? new Float32Array(m * p.n);
  scaleInt8Products(acc, m, p.n, aScales, p.wScales, y);
  return y;
}

/** Copies float8 weights into rows padded to the block layout. */
export function prepareF8(k: WasmKernels, weights: F8Weights, backend: string): WasmPrepared<'f8', F8Weights> {
  validateF8(weights, 'prepareF8');
  const { n, k: K, blockSize, data, scales } = weights;
  const nb = blocksPerRow(K, blockSize);
  let kp: number;
  let block: number;
  if (n === 0 || K === 0) return handle(k, 'f8', backend, weights, { fallback: weights });
  if (nb === 1) {
    kp = roundUp(K, 16);
    block = kp;
  } else if (blockSize % 16 === 0) {
    kp = nb * blockSize;
    block = blockSize;
  } else {
    return handle(k, 'f8', backend, weights, { fallback: weights });
  }
  const w = k.alloc(n * kp);
  const sp = k.alloc(n * nb * 4);
  const wv = k.u8(w, n * kp);
  wv.fill(0);
  for (let r = 0; r < n; r++) wv.set(data.subarray(r * K, (r + 1) * K), r * kp);
  k.f32(sp, n * nb).set(scales);
  return handle(k, 'f8', backend, weights, { kp, block, w, scales: sp });
}

/** `y = x W^T` with float8 weights. */
export async function matmulF8(
  k: WasmKernels,
  run: RowRunner,
  prepared: PreparedWeights<'f8'>,
  x: Float32Array,
  m: number,
  out: Float32Array | undefined,
): Promise<Float32Array> {
  const p = unwrap<'f8', F8Weights>(k, prepared, 'f8', 'matmulF8');
  if (p.fallback) return referenceProducts.matmulF8(p.fallback, x, m, out);
  const { n, k: K, kp, block } = p;
  checkActivations('matmulF8', x, m, K, n, out, Float32Array);
  if (m === 0) return out ?? new Float32Array(0);
  const xr = k.alloc(m * kp * 4);
  const y = k.alloc(m * n * 4);
  try {
    const xv = k.f32(xr, m * kp);
    xv.fill(0);
    for (let i = 0; i < m; i++) xv.set(x.subarray(i * K, (i + 1) * K), i * kp);
    await run('gemm_f8', [p.w, p.scales, xr, y, m, n, kp, block], n);
    const result = out ?? new Float32Array(m * n);
    result.set(k.f32(y, m * n));
    return result;
  } finally {
    k.free(xr);
    k.free(y);
  }
}
