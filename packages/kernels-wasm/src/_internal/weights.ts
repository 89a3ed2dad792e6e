import { getDType, QuantError } from '@lowbit/dtypes';
import type { F8Weights, W4Weights, W8Weights } from '../kernel-backend.js';

function fail(
  where: string,
  message: string,
  code: 'KERNELS_INVALID_ARGUMENT' | 'KERNELS_SHAPE_MISMATCH' = 'KERNELS_SHAPE_MISMATCH',
): never {
  throw new QuantError(code, `${where}: ${message}`);
}

function checkDims(where: string, n: number, k: number): void {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k) || k < 0) {
    fail(where, `n = ${n} and k = ${k} must be non-negative integers`, 'KERNELS_INVALID_ARGUMENT');
  }
}

function checkScales(where: string, scales: Float32Array, expected: number, what: string): void {
  if (!(scales instanceof Float32Array) || scales.length !== expected) {
    fail(where, `scales must be a Float32Array of ${expected} entries (${what}), got ${scales?.length ?? scales}`);
  }
  for (let i = 0; i < scales.length; i++) {
    const s = scales[i]!;
    if (!(s > 0 && s < Infinity)) {
      fail(where, `scales[${i}] is ${s}; scales must be finite and positive`, 'KERNELS_INVALID_ARGUMENT');
    }
  }
}

function checkBlock(where: string, blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    fail(where, `blockSize ${blockSize} must be a positive integer`, 'KERNELS_INVALID_ARGUMENT');
  }
}

/** Number of blocks of a row of `k` inputs. */
export function blocksPerRow(k: number, blockSize: number): number {
  return Math.ceil(k / blockSize);
}

/** Validates 4-bit weights (shapes, scales, zero point range). */
export function validateW4(weights: W4Weights, where: string): void {
  const { dtype, n, k, blockSize, data, scales, zeroPoints } = weights;
  if (dtype !== 'int4' && dtype !== 'uint4')
    fail(where, `dtype ${String(dtype)} must be 'int4' or 'uint4'`, 'KERNELS_INVALID_ARGUMENT');
  checkDims(where, n, k);
  checkBlock(where, blockSize);
  const bytes = Math.ceil((n * k) / 2);
  if (!(data instanceof Uint8Array) || data.length !== bytes) {
    fail(where, `data must be a Uint8Array of ${bytes} bytes ([${n}, ${k}] packed 4-bit codes), got ${data?.length}`);
  }
  const nb = n * blocksPerRow(k, blockSize);
  checkScales(where, scales, nb, `[${n}, ceil(${k} / ${blockSize})]`);
  if (zeroPoints !== undefined) {
    if (!(zeroPoints instanceof Int32Array) || zeroPoints.length !== nb) {
      fail(where, `zeroPoints must be an Int32Array of ${nb} entries, got ${zeroPoints?.length}`);
    }
    const [lo, hi] = dtype === 'int4' ? [-8, 7] : [0, 15];
    for (let i = 0; i < nb; i++) {
      const z = zeroPoints[i]!;
      if (z < lo || z > hi)
        fail(where, `zeroPoints[${i}] = ${z} is outside [${lo}, ${hi}]`, 'KERNELS_INVALID_ARGUMENT');
    }
  }
}

/** Validates int8 weights. */
export function validateW8(weights: W8Weights, where: string): void {
  const { n, k, data, scales } = weights;
  checkDims(where, n, k);
  if (!(data instanceof Int8Array) || data.length !== n * k) {
    fail(where, `data must be an Int8Array of ${n * k} codes ([${n}, ${k}]), got ${data?.length}`);
  }
  checkScales(where, scales, n, 'one per output row');
}

/** Validates float8_e4m3fn weights, rejecting NaN codes. */
export function validateF8(weights: F8Weights, where: string): void {
  const { n, k, blockSize, data, scales } = weights;
  checkDims(where, n, k);
  checkBlock(where, blockSize);
  if (!(data instanceof Uint8Array) || data.length !== n * k) {
    fail(where, `data must be a Uint8Array of ${n * k} float8_e4m3fn codes ([${n}, ${k}]), got ${data?.length}`);
  }
  checkScales(where, scales, n * blocksPerRow(k, blockSize), `[${n}, ceil(${k} / ${blockSize})]`);
  for (let i = 0; i < data.length; i++) {
    if ((data[i]! & 0x7f) === 0x7f) {
      fail(
        where,
        `data[${i}] = 0x${data[i]!.toString(16)} is a NaN code; weights must be finite`,
        'KERNELS_INVALID_ARGUMENT',
      );
    }
  }
}

/** Checks an activation matrix `[m, k]` and the output buffer. */
export function checkActivations(
  where: string,
  x: Float32Array | Int8Array | Uint8Array,
  m: number,
  k: number,
  n: number,
  out: Float32Array | Int32Array | undefined,
  outType: typeof Float32Array | typeof Int32Array,
): void {
  if (!Number.isInteger(m) || m < 0) fail(where, `m = ${m} must be a non-negative integer`, 'KERNELS_INVALID_ARGUMENT');
  if (x.length !== m * k) fail(where, `activations have ${x.length} elements but [m, k] = [${m}, ${k}] needs ${m * k}`);
  if (out !== undefined && (!(out instanceof outType) || out.length !== m * n)) {
    fail(where, `out must be a ${outType.name} of ${m * n} elements ([m, n] = [${m}, ${n}])`);
  }
  if (x instanceof Float32Array) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (v - v !== 0) {
        throw new QuantError(
          'KERNELS_NON_FINITE_INPUT',
          `${where}: activation [${Math.floor(i / k)}, ${i % k}] (flat index ${i}) is ${v}; activations must be finite`,
          { details: { index: i, value: v } },
        );
      }
    }
  }
}

/** The codes of row `r` of 4-bit weights (sign-extended for int4) into `out` (length `k`). */
export function w4RowCodes(w: W4Weights, r: number, out: Int8Array): void {
  const { k, data } = w;
  const signed = w.dtype === 'int4';
  for (let c = 0; c < k; c++) {
    const i = r * k + c;
    const q = (data[i >> 1]! >> ((i & 1) * 4)) & 15;
    out[c] = signed && q > 7 ? q - 16 : q;
  }
}

/** Reference W4 product in float64, rounded once to float32. */
export function referenceMatmulW4(w: W4Weights, x: Float32Array, m: number, out: Float32Array): void {
  const { n, k, blockSize, scales, zeroPoints } = w;
  const nb = blocksPerRow(k, blockSize);
  const row = new Float64Array(k);
  const q = new Int8Array(k);
  for (let r = 0; r < n; r++) {
    w4RowCodes(w, r, q);
    for (let c = 0; c < k; c++) {
      const b = r * nb + Math.floor(c / blockSize);
      row[c] = scales[b]! * (q[c]! - (zeroPoints ? zeroPoints[b]! : 0));
    }
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let c = 0; c < k; c++) acc += row[c]! * x[i * k + c]!;
      out[i * n + r] = acc;
    }
  }
}

/** Reference 8-bit product: exact int32 sums of `(a - za) w`. */
export function referenceMatmulInt8(
  w: W8Weights,
  a: Int8Array | Uint8Array,
  m: number,
  out: Int32Array,
  aZeroPoints?: Int32Array,
): void {
  const { n, k, data } = w;
  for (let i = 0; i < m; i++) {
    const z = aZeroPoints ? aZeroPoints[aZeroPoints.length === 1 ? 0 : i]! : 0;
    for (let r = 0; r < n; r++) {
      let acc = 0;
      for (let c = 0; c < k; c++) acc += (a[i * k + c]! - z) * data[r * k + c]!;
      out[i * n + r] = acc;
    }
  }
}

/** Longest rows whose 8-bit sums `sum (a - za) w` (terms up to 255 * 128 in size) cannot overflow int32. */
export const MAX_INT8_K = Math.floor((2 ** 31 - 1) / (255 * 128));

/**
 * Checks 8-bit activations: an Int8Array or a Uint8Array, zero points (optional) as an Int32Array of 1 or `m`
 * integers in the activation dtype's range, and rows short enough for exact int32 sums.
 */
export function checkInt8Activations(
  where: string,
  a: Int8Array | Uint8Array,
  m: number,
  k: number,
  aZeroPoints: Int32Array | undefined,
): void {
  if (!(a instanceof Int8Array) && !(a instanceof Uint8Array)) {
    fail(where, 'activations must be an Int8Array or a Uint8Array', 'KERNELS_INVALID_ARGUMENT');
  }
  if (k > MAX_INT8_K) {
    fail(
      where,
      `k = ${k} exceeds ${MAX_INT8_K}, the longest row whose int32 sums cannot overflow`,
      'KERNELS_INVALID_ARGUMENT',
    );
  }
  if (aZeroPoints === undefined) return;
  if (!(aZeroPoints instanceof Int32Array) || (aZeroPoints.length !== 1 && aZeroPoints.length !== m)) {
    fail(where, `aZeroPoints must be an Int32Array of 1 or m = ${m} entries, got ${describeLength(aZeroPoints)}`);
  }
  const [lo, hi] = a instanceof Uint8Array ? [0, 255] : [-128, 127];
  for (let i = 0; i < aZeroPoints.length; i++) {
    const z = aZeroPoints[i]!;
    if (z < lo || z > hi) {
      fail(
        where,
        `aZeroPoints[${i}] = ${z} is outside [${lo}, ${hi}] (the range of ${a.constructor.name} activations)`,
        'KERNELS_INVALID_ARGUMENT',
      );
    }
  }
}

function describeLength(v: unknown): string {
  return ArrayBuffer.isView(v) ? `${(v as Int32Array).length} entries` : typeof v;
}

/** Scales exact int32 sums: `y = acc * (aScale * wScale)`, float64 then one rounding to float32. */
export function scaleInt8Products(
  acc: Int32Array,
  m: number,
  n: number,
  aScales: Float32Array,
  wScales: Float32Array,
  out: Float32Array,
): void {
  const perRow = aScales.length !== 1;
  for (let i = 0; i < m; i++) {
    const sa = aScales[perRow ? i : 0]!;
    for (let r = 0; r < n; r++) out[i * n + r] = acc[i * n + r]! * (sa * wScales[r]!);
  }
}

/** Checks the activation scales of a W8A8 product. */
export function checkActivationScales(where: string, aScales: Float32Array, m: number): void {
  if (!(aScales instanceof Float32Array) || (aScales.length !== 1 && aScales.length !== m)) {
    fail(where, `aScales must be a Float32Array of 1 or m = ${m} entries, got ${aScales?.length}`);
  }
  for (let i = 0; i < aScales.length; i++) {
    const s = aScales[i]!;
    if (!(s > 0 && s < Infinity))
      fail(where, `aScales[${i}] is ${s}; scales must be finite and positive`, 'KERNELS_INVALID_ARGUMENT');
  }
}

let e4m3Table: Float32Array | undefined;

/** Values of the 256 float8_e4m3fn codes. */
export function e4m3Values(): Float32Array {
  if (!e4m3Table) {
    const codes = new Uint8Array(256);
    for (let c = 0; c < 256; c++) codes[c] = c;
    e4m3Table = getDType('float8_e4m3fn').decodeArray(codes);
  }
  return e4m3Table;
}

/** Reference float8 product in float64, rounded once to float32. */
export function referenceMatmulF8(w: F8Weights, x: Float32Array, m: number, out: Float32Array): void {
  const { n, k, blockSize, data, scales } = w;
  const table = e4m3Values();
  const nb = blocksPerRow(k, blockSize);
  const row = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) row[c] = table[data[r * k + c]!]! * scales[r * nb + Math.floor(c / blockSize)]!;
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let c = 0; c < k; c++) acc += row[c]! * x[i * k + c]!;
      out[i * n + r] = acc;
    }
  }
}
