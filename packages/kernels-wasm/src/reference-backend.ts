import { QuantError } from '@lowbit/dtypes';
import { chooseQParams, dequantize, quantize, reduceBlockRange } from '@lowbit/kernels';
import type { QuantizeOptions, Tensor } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';
import type {
  F8Weights,
  KernelBackend,
  PreparedWeights,
  PrepareW4Options,
  QuantizeTarget,
  W4ActivationMode,
  W4Weights,
  W8Weights,
} from './kernel-backend.js';
import { quantizeActivationsInt16, referenceMatmulW4Int16, w4ActivationMode } from './_internal/int16-activations.js';
import { copyIntoTarget } from './_internal/quantize-target.js';
import {
  checkActivations,
  checkActivationScales,
  checkInt8Activations,
  referenceMatmulF8,
  referenceMatmulInt8,
  referenceMatmulW4,
  scaleInt8Products,
  validateF8,
  validateW4,
  validateW8,
} from './_internal/weights.js';

/** @internal Prepared weights of the reference backend: the validated weights themselves. */
export interface ReferencePrepared<Kind extends 'w4' | 'w8' | 'f8', W> extends PreparedWeights<Kind> {
  readonly weights: W;
}

/** @internal Wraps validated weights. */
export function referencePrepared<Kind extends 'w4' | 'w8' | 'f8', W extends { n: number; k: number }>(
  kind: Kind,
  weights: W,
  backend: string,
): ReferencePrepared<Kind, W> {
  return { kind, backend, n: weights.n, k: weights.k, weights, release: () => undefined };
}

/** @internal The weights behind a prepared handle of the reference backend. */
export function referenceWeights<W>(prepared: PreparedWeights, kind: string, where: string): W {
  const p = prepared as Partial<ReferencePrepared<'w4', W>>;
  if (p === null || typeof p !== 'object' || p.kind !== kind || p.weights === undefined) {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      `${where}: expected weights prepared by this backend's prepare${kind.toUpperCase()}, got ${String(p?.kind)} weights`,
    );
  }
  return p.weights;
}

/** @internal Reference products shared by the reference backend and the WASM backend's fallbacks. */
export const referenceProducts = {
  matmulW4(
    w: W4Weights,
    x: Float32Array,
    m: number,
    out?: Float32Array,
    activations: W4ActivationMode = 'float32',
  ): Float32Array {
    checkActivations('matmulW4', x, m, w.k, w.n, out, Float32Array);
    const y = out ?? new Float32Array(m * w.n);
    if (activations === 'int16') referenceMatmulW4Int16(w, quantizeActivationsInt16(x, m, w.k, w.blockSize), m, y);
    else referenceMatmulW4(w, x, m, y);
    return y;
  },
  matmulInt8(
    w: W8Weights,
    a: Int8Array | Uint8Array,
    m: number,
    out?: Int32Array,
    aZeroPoints?: Int32Array,
  ): Int32Array {
    checkInt8Activations('matmulInt8', a, m, w.k, aZeroPoints);
    checkActivations('matmulInt8', a, m, w.k, w.n, out, Int32Array);
    const y = out ?? new Int32Array(m * w.n);
    referenceMatmulInt8(w, a, m, y, aZeroPoints);
    return y;
  },
  matmulW8A8(
    w: W8Weights,
    a: Int8Array | Uint8Array,
    m: number,
    aScales: Float32Array,
    out?: Float32Array,
    aZeroPoints?: Int32Array,
  ): Float32Array {
    checkInt8Activations('matmulW8A8', a, m, w.k, aZeroPoints);
    checkActivations('matmulW8A8', a, m, w.k, w.n, out, Float32Array);
    checkActivationScales('matmulW8A8', aScales, m);
    const acc = new Int32Array(m * w.n);
    referenceMatmulInt8(w, a, m, acc, aZeroPoints);
    const y = out ?? new Float32Array(m * w.n);
    scaleInt8Products(acc, m, w.n, aScales, w.scales, y);
    return y;
  },
  matmulF8(w: F8Weights, x: Float32Array, m: number, out?: Float32Array): Float32Array {
    checkActivations('matmulF8', x, m, w.k, w.n, out, Float32Array);
    const y = out ?? new Float32Array(m * w.n);
    referenceMatmulF8(w, x, m, y);
    return y;
  },
};

const NAME = 'reference';

/**
 * The pure TypeScript backend: quantization from `@lowbit/kernels` and straightforward float64 products. It runs
 * everywhere and is the reference every other backend is checked against.
 */
export const referenceBackend: KernelBackend = Object.freeze({
  name: NAME,
  capabilities: Object.freeze({ simd: false, threads: 1 }),
  reduceBlockRange,
  chooseQParams,
  quantize,
  quantizeInto(tensor: Tensor, spec: QuantizationSpec, out: QuantizeTarget, options?: QuantizeOptions) {
    return copyIntoTarget(quantize(tensor, spec, options), out);
  },
  dequantize,
  prepareW4(weights: W4Weights, options?: PrepareW4Options) {
    validateW4(weights, 'prepareW4');
    return { ...referencePrepared('w4', weights, NAME), activations: w4ActivationMode(options, 'prepareW4') };
  },
  prepareW8(weights: W8Weights) {
    validateW8(weights, 'prepareW8');
    return referencePrepared('w8', weights, NAME);
  },
  prepareF8(weights: F8Weights) {
    validateF8(weights, 'prepareF8');
    return referencePrepared('f8', weights, NAME);
  },
  async matmulW4(prepared: PreparedWeights<'w4'>, x: Float32Array, m: number, out?: Float32Array) {
    const weights = referenceWeights<W4Weights>(prepared, 'w4', 'matmulW4');
    return referenceProducts.matmulW4(weights, x, m, out, prepared.activations);
  },
  async matmulW8A8(
    prepared: PreparedWeights<'w8'>,
    a: Int8Array | Uint8Array,
    m: number,
    aScales: Float32Array,
    out?: Float32Array,
    aZeroPoints?: Int32Array,
  ) {
    const w = referenceWeights<W8Weights>(prepared, 'w8', 'matmulW8A8');
    return referenceProducts.matmulW8A8(w, a, m, aScales, out, aZeroPoints);
  },
  async matmulInt8(
    prepared: PreparedWeights<'w8'>,
    a: Int8Array | Uint8Array,
    m: number,
    out?: Int32Array,
    aZeroPoints?: Int32Array,
  ) {
    const w = referenceWeights<W8Weights>(prepared, 'w8', 'matmulInt8');
    return referenceProducts.matmulInt8(w, a, m, out, aZeroPoints);
  },
  async matmulF8(prepared: PreparedWeights<'f8'>, x: Float32Array, m: number, out?: Float32Array) {
    return referenceProducts.matmulF8(referenceWeights<F8Weights>(prepared, 'f8', 'matmulF8'), x, m, out);
  },
  async close() {},
});
