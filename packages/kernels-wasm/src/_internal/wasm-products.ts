import { QuantError } from '@lowbit/dtypes';
import type {
  F8Weights,
  PreparedWeights,
  PrepareW4Options,
  W4ActivationMode,
  W4Weights,
  W8Weights,
} from '../kernel-backend.js';
import { referenceProducts } from '../reference-backend.js';
import type { WasmKernels } from '../wasm-kernels.js';
import { dequantizeActivationsInt16, quantizeActivationsInt16, w4ActivationMode } from './int16-activations.js';
import type { Int16Activations } from './int16-activations.js';
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
export type ProductKernel = 'gemm_w4' | 'gemm_w4a16' | 'gemm_f8' | 'gemm_i8';

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
  /** The weights' block size along k (as given, before any padding). */
  readonly blockSize: number;
  readonly activations: W4ActivationMode | undefined;
  /** W4 in the int16 mode: 1 when int4 codes without zero points are stored as they are (see gemm_w4a16). */
  readonly sym: number;
  readonly owner: WasmKernels;
  readonly alloc: Allocation;
}

function handle<Kind extends 'w4' | 'w8' | 'f8', W extends { n: number; k: number; blockSize?: number }>(
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
    activations?: W4ActivationMode;
    sym?: number;
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
    blockSize: weights.blockSize ?? weights.k,
    activations: parts.activations,
    sym: parts.sym ?? 0,
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

/**
 * Row padding `kp` and kernel block of a blocked weight layout whose rows the kernel reads in groups of `align`:
 * one block per row is padded up to `align`, several blocks must each be a multiple of `align`. Undefined when
 * the kernel cannot take the layout (the reference product runs instead).
 */
function blockedLayout(
  n: number,
  K: number,
  blockSize: number,
  align: number,
): { kp: number; block: number } | undefined {
  if (n === 0 || K === 0) return undefined;
  const nb = blocksPerRow(K, blockSize);
  if (nb === 1) {
    const kp = roundUp(K, align);
    return { kp, block: kp };
  }
  return blockSize % align === 0 ? { kp: nb * blockSize, block: blockSize } : undefined;
}

type PaddableArray = Float32Array | Int16Array | Int8Array | Uint8Array;

/** Copies `rows` rows of `cols` values from `src` into `dst` rows of `stride` values, zeroing the padding. */
function copyRowsPadded(dst: PaddableArray, src: PaddableArray, rows: number, cols: number, stride: number): void {
  dst.fill(0);
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols, (r + 1) * cols), r * stride);
}

/**
 * The part every product shares: allocates `inBytes` of scratch for the activations and the `[m, n]` output,
 * lets `stage` write the activations at the scratch address, runs `kernel` over the `n` output rows with the
 * arguments `args` makes from the two addresses, and copies the output into `result`. Frees both on every path.
 */
async function runProduct<R extends Float32Array | Int32Array>(
  k: WasmKernels,
  run: RowRunner,
  kernel: ProductKernel,
  dims: { readonly m: number; readonly n: number; readonly inBytes: number },
  stage: (input: number) => void,
  args: (input: number, output: number) => number[],
  result: R,
): Promise<R> {
  const { m, n } = dims;
  const input = k.alloc(dims.inBytes);
  const output = k.alloc(m * n * 4);
  try {
    stage(input);
    await run(kernel, args(input, output), n);
    result.set(result instanceof Int32Array ? k.i32(output, m * n) : k.f32(output, m * n));
    return result;
  } finally {
    k.free(input);
    k.free(output);
  }
}

/** Longest kernel block of the int16 W4 kernel: its int32 block sums cannot overflow up to here. */
const MAX_INT16_BLOCK = 16384;

/** Copies 4-bit weights into the kernel layout: unsigned nibbles (int4 xor 8), rows padded to `kp`. */
export function prepareW4(
  k: WasmKernels,
  weights: W4Weights,
  backend: string,
  options?: PrepareW4Options,
): WasmPrepared<'w4', W4Weights> {
  validateW4(weights, 'prepareW4');
  const activations = w4ActivationMode(options, 'prepareW4');
  const { n, k: K, blockSize, data, scales, zeroPoints } = weights;
  const layout = blockedLayout(n, K, blockSize, 32);
  if (layout === undefined) return handle(k, 'w4', backend, weights, { fallback: weights, activations });
  const { kp, block } = layout;
  const nb = blocksPerRow(K, blockSize);
  const signed = weights.dtype === 'int4';
  // The int16 kernel reads int4 codes without zero points as they are; every other case stores unsigned nibbles.
  const sym = activations === 'int16' && signed && !zeroPoints && block <= MAX_INT16_BLOCK ? 1 : 0;
  const rowBytes = kp / 2;
  const w = k.alloc(n * rowBytes);
  const sp = k.alloc(n * nb * 4);
  const zp = k.alloc(n * nb * 4);
  const wv = k.u8(w, n * rowBytes);
  wv.fill(0);
  const flip = signed && !sym ? 0x88 : 0;
  if (K % 2 === 0) {
    const half = K / 2;
    for (let r = 0; r < n; r++) {
      const src = r * half;
      const dst = r * rowBytes;
      for (let j = 0; j < half; j++) wv[dst + j] = (data[src + j] as number) ^ flip;
    }
  } else {
    const nib = signed && !sym ? 8 : 0;
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
  return handle(k, 'w4', backend, weights, { kp, block, w, scales: sp, zpe: zp, activations, sym });
}

/** What differs between the products of float activations (W4 and F8). */
interface FloatProduct<Kind extends 'w4' | 'f8', W> {
  readonly kind: Kind;
  readonly where: string;
  readonly kernel: ProductKernel;
  /** The reference product, for layouts outside the kernel's. */
  readonly reference: (weights: W, x: Float32Array, m: number, out: Float32Array | undefined) => Float32Array;
  /** Writes `x` `[m, K]` into `xv` `[m, kp]` in the order the kernel reads, zero padded. */
  readonly stage: (xv: Float32Array, x: Float32Array, m: number, K: number, kp: number) => void;
  /** The export's arguments before the output-row range. */
  readonly args: (p: WasmPrepared<Kind, W>, xr: number, y: number, m: number) => number[];
}

/** A product `y = x W^T` of float activations: the kernel for the prepared layout, else the reference product. */
function floatProduct<Kind extends 'w4' | 'f8', W>(
  spec: FloatProduct<Kind, W>,
): (
  k: WasmKernels,
  run: RowRunner,
  prepared: PreparedWeights<Kind>,
  x: Float32Array,
  m: number,
  out: Float32Array | undefined,
) => Promise<Float32Array> {
  return async (k, run, prepared, x, m, out) => {
    const p = unwrap<Kind, W>(k, prepared, spec.kind, spec.where);
    if (p.fallback) return spec.reference(p.fallback, x, m, out);
    const { n, k: K, kp } = p;
    checkActivations(spec.where, x, m, K, n, out, Float32Array);
    if (m === 0) return out ?? new Float32Array(0);
    return runProduct(
      k,
      run,
      spec.kernel,
      { m, n, inBytes: m * kp * 4 },
      (xr) => spec.stage(k.f32(xr, m * kp), x, m, K, kp),
      (xr, y) => spec.args(p, xr, y, m),
      out ?? new Float32Array(m * n),
    );
  };
}

/** `y = x W^T` with 4-bit weights and float32 arithmetic. */
const matmulW4Float = floatProduct<'w4', W4Weights>({
  kind: 'w4',
  where: 'matmulW4',
  kernel: 'gemm_w4',
  reference: referenceProducts.matmulW4,
  // Each group of 32 inputs as its 16 even then its 16 odd elements (the order of low / high nibbles).
  stage(xv, x, m, K, kp) {
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
  },
  args: (p, xr, y, m) => [p.w, p.scales, p.zpe, xr, y, m, p.n, p.kp, p.block],
});

/** `y = x W^T` with 4-bit weights, in the weights' activation mode. */
export async function matmulW4(
  k: WasmKernels,
  run: RowRunner,
  prepared: PreparedWeights<'w4'>,
  x: Float32Array,
  m: number,
  out: Float32Array | undefined,
): Promise<Float32Array> {
  const p = unwrap<'w4', W4Weights>(k, prepared, 'w4', 'matmulW4');
  if (p.activations !== 'int16') return matmulW4Float(k, run, prepared, x, m, out);
  const { n, k: K, kp, block, blockSize } = p;
  checkActivations('matmulW4', x, m, K, n, out, Float32Array);
  if (m === 0) return out ?? new Float32Array(0);
  const acts = quantizeActivationsInt16(x, m, K, blockSize);
  if (p.fallback || block > MAX_INT16_BLOCK) {
    // The same product on the values the codes stand for (exact in float32), in float arithmetic.
    return matmulW4Float(k, run, prepared, dequantizeActivationsInt16(acts, m, K, blockSize), m, out);
  }
  const nbk = kp / block;
  return runProduct(
    k,
    run,
    'gemm_w4a16',
    { m, n, inBytes: m * kp * 2 + m * nbk * 4 },
    (input) => stageInt16Activations(k.i16(input, m * kp), k.f32(input + m * kp * 2, m * nbk), acts, m, K, kp),
    (input, y) => [p.w, p.scales, p.zpe, input, input + m * kp * 2, y, m, n, kp, block, p.sym],
    out ?? new Float32Array(m * n),
  );
}

/**
 * Writes int16 activation codes `[m, K]` into `av` `[m, kp]` in the order gemm_w4a16 reads them (each group of 32
 * inputs as elements 4j, then 4j + 1, 4j + 2, 4j + 3 for j = 0..7; zero padded), and their scales into `sv`.
 */
function stageInt16Activations(
  av: Int16Array,
  sv: Float32Array,
  acts: Int16Activations,
  m: number,
  K: number,
  kp: number,
): void {
  const { codes, scales } = acts;
  av.fill(0);
  for (let i = 0; i < m; i++) {
    const src = i * K;
    const dst = i * kp;
    for (let c = 0; c < K; c++) {
      const g = c & ~31;
      const e = c & 31;
      av[dst + g + (e & 3) * 8 + (e >> 2)] = codes[src + c]!;
    }
  }
  sv.set(scales);
}

/** Copies int8 weights into rows padded to a multiple of 16. */
export function prepareW8(k: WasmKernels, weights: W8Weights, backend: string): WasmPrepared<'w8', W8Weights> {
  validateW8(weights, 'prepareW8');
  const { n, k: K, data, scales } = weights;
  const wScales = Float32Array.from(scales);
  if (n === 0 || K === 0) return handle(k, 'w8', backend, weights, { fallback: weights, wScales });
  const kp = roundUp(K, 16);
  const w = k.alloc(n * kp);
  copyRowsPadded(k.i8(w, n * kp), data, n, K, kp);
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
  const stage = (a16: number): void => {
    const av = k.i16(a16, m * kp);
    if (aZeroPoints === undefined) {
      copyRowsPadded(av, a, m, K, kp);
      return;
    }
    // a - za fits int16 (|a - za| <= 255), and so do the kernel's pairwise products sums in int32.
    av.fill(0);
    for (let i = 0; i < m; i++) {
      const z = aZeroPoints[aZeroPoints.length === 1 ? 0 : i]!;
      const src = i * K;
      const dst = i * kp;
      for (let c = 0; c < K; c++) av[dst + c] = a[src + c]! - z;
    }
  };
  return runProduct(
    k,
    run,
    'gemm_i8',
    { m, n, inBytes: m * kp * 2 },
    stage,
    (a16, y) => [a16, p.w, y, m, n, kp],
    out ?? new Int32Array(m * n),
  );
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
  const layout = blockedLayout(n, K, blockSize, 16);
  if (layout === undefined) return handle(k, 'f8', backend, weights, { fallback: weights });
  const { kp, block } = layout;
  const nb = blocksPerRow(K, blockSize);
  const w = k.alloc(n * kp);
  const sp = k.alloc(n * nb * 4);
  copyRowsPadded(k.u8(w, n * kp), data, n, K, kp);
  k.f32(sp, n * nb).set(scales);
  return handle(k, 'f8', backend, weights, { kp, block, w, scales: sp });
}

/** `y = x W^T` with float8 weights. */
export const matmulF8 = floatProduct<'f8', F8Weights>({
  kind: 'f8',
  where: 'matmulF8',
  kernel: 'gemm_f8',
  reference: referenceProducts.matmulF8,
  stage: (xv, x, m, K, kp) => copyRowsPadded(xv, x, m, K, kp),
  args: (p, xr, y, m) => [p.w, p.scales, xr, y, m, p.n, p.kp, p.block],
});
