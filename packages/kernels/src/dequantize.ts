import { QuantError } from '@lowbit/dtypes';
import type { DTypeRegistry } from '@lowbit/dtypes';
import type { QuantizedTensor } from '@lowbit/spec';
import { blockGeometry } from './_internal/block-geometry.js';
import { createChunkCodec } from './_internal/chunk-codec.js';
import { dequantizeFast } from './_internal/fast-dequantize.js';
import { specContext } from './_internal/spec-context.js';
import type { SpecContext } from './_internal/spec-context.js';
import type { QParams } from './qparams.js';
import { loadCodes } from './_internal/code-storage.js';
import { assertByteCodes, assertQParams, forEachChunk, MAX_RUN } from './quantize.js';
import { shapeSize } from './tensor.js';
import type { Tensor } from './tensor.js';

/** Where a tensor's dtype is looked up, for dtypes defined outside `@lowbit/dtypes`. */
export interface DTypeLookup {
  /** @defaultValue the built-in dtypes */
  readonly registry?: DTypeRegistry;
}

/**
 * Reconstructs float32 values from a {@link QuantizedTensor}: `x = s (q - zp)`, `x = s (q - qmin) + minval`,
 * or `x = decode(q) * s` for float dtypes, per block.
 * @throws QuantError `KERNELS_SHAPE_MISMATCH` / `KERNELS_INVALID_ARGUMENT` for an inconsistent tensor.
 */
export function dequantize(q: QuantizedTensor, options: DTypeLookup = {}): Tensor {
  const where = 'dequantize';
  const ctx = specContext(q.spec, where, options.registry);
  assertByteCodes(ctx, where);
  const g = blockGeometry(q.shape, q.blockShape, where);
  const qparams = qparamsOf(q);
  assertQParams(qparams, g, ctx, where);
  assertStorageLength(q, ctx, g.size, where);
  const out = new Float32Array(g.size);
  if (dequantizeFast(q.data, ctx, g, qparams, out)) return { data: out, shape: [...q.shape] };
  const codec = createChunkCodec(ctx, qparams, 'error', where, q.shape);
  const run = new Int32Array(Math.min(g.chunk, MAX_RUN));
  const bits = ctx.dtype.bits;
  const signed = ctx.dtype.signed && !ctx.isFloat;
  const data = q.data;
  if (bits >= 8 && (signed ? data instanceof Int8Array : data instanceof Uint8Array)) {
    // One byte per code in the storage's own signedness: read it in place.
    forEachChunk(g, (start, len, b) => codec.dequantize(data, start, len, b, out, start));
  } else {
    forEachChunk(g, (start, len, b) => {
      loadCodes(data, bits, signed, start, len, run);
      codec.dequantize(run, 0, len, b, out, start);
    });
  }
  return { data: out, shape: [...q.shape] };
}

/** @internal The parameters carried by a quantized tensor. */
export function qparamsOf(q: QuantizedTensor): QParams {
  const qp: { blockShape: readonly number[]; scales: Float32Array; zeroPoints?: Int32Array; minvals?: Float32Array } = {
    blockShape: q.blockShape,
    scales: q.scales,
  };
  if (q.zeroPoints) qp.zeroPoints = q.zeroPoints;
  if (q.minvals) qp.minvals = q.minvals;
  return qp;
}

/** @internal Checks that a tensor's code storage holds exactly `size` codes. */
export function assertStorageLength(q: QuantizedTensor, ctx: SpecContext, size: number, where: string): void {
  const bits = ctx.dtype.bits;
  const expected = bits < 8 ? Math.ceil((size * bits) / 8) : size;
  if (q.data.length !== expected) {
    throw new QuantError(
      'KERNELS_SHAPE_MISMATCH',
      `${where}: ${size} ${ctx.dtype.name} codes of shape [${q.shape.join(', ')}] take ${expected} bytes but data has ${q.data.length}`,
    );
  }
}

/**
 * Every code of a quantized tensor as one integer per element (unpacked; integer values for int dtypes, bit
 * patterns for float dtypes).
 */
export function unpackCodes(q: QuantizedTensor, options: DTypeLookup = {}): Int32Array {
  const where = 'unpackCodes';
  const ctx = specContext(q.spec, where, options.registry);
  const size = shapeSize(q.shape);
  assertStorageLength(q, ctx, size, where);
  const out = new Int32Array(size);
  loadCodes(q.data, ctx.dtype.bits, ctx.dtype.signed && !ctx.isFloat, 0, size, out);
  return out;
}
