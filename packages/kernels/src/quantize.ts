import { QuantError } from '@lowbit/dtypes';
import { resolveGranularityAxes } from '@lowbit/spec';
import type { QuantizationSpec, QuantizedTensor } from '@lowbit/spec';
import { blockGeometry } from './_internal/block-geometry.js';
import type { BlockGeometry } from './_internal/block-geometry.js';
import { createChunkCodec } from './_internal/chunk-codec.js';
import { createCodeStorage, storeCodes } from './_internal/code-storage.js';
import { quantizeFused } from './_internal/fused-quantize.js';
import type { CodeStorage } from './_internal/code-storage.js';
import { specContext } from './_internal/spec-context.js';
import type { SpecContext } from './_internal/spec-context.js';
import { blockShapeFor, chooseQParams } from './choose-qparams.js';
import type { QuantizeOptions } from './choose-qparams.js';
import type { QParams } from './qparams.js';
import { assertTensor } from './tensor.js';
import type { Tensor } from './tensor.js';

/**
 * Quantizes a float32 tensor with a spec: per-block parameters (computed, or given in `options.qparams`),
 * then `q = clamp(round(x / s) + zp, qmin, qmax)` (zp formulation), `q = clamp(round((x - minval) / s) + qmin)`
 * (minval formulation) or `q = encode(x / s)` with a saturating round-to-nearest-even cast (float dtypes).
 * Rounding is half to even. Codes narrower than 8 bits are packed LSB-first.
 *
 * @example
 * ```ts
 * const q = quantize({ data: weights, shape: [256, 512] }, getPreset('w4_per_block').global!, { opKind: 'linear' });
 * q.scales.length; // 256 * 512 / 32
 * ```
 * @throws QuantError `KERNELS_NON_FINITE_INPUT` naming the position of a NaN or Inf (unless
 * `nonFinite: 'saturate'`), `KERNELS_SHAPE_MISMATCH`, `KERNELS_INVALID_ARGUMENT`, and the spec's own errors.
 */
export function quantize(tensor: Tensor, spec: QuantizationSpec, options: QuantizeOptions = {}): QuantizedTensor {
  return quantizeAs('quantize', tensor, spec, options);
}

/** @internal {@link quantize}, naming `where` in its errors (fakeQuantize uses it). */
export function quantizeAs(
  where: string,
  tensor: Tensor,
  spec: QuantizationSpec,
  options: QuantizeOptions,
): QuantizedTensor {
  assertTensor(tensor, where);
  const ctx = specContext(spec, where, options.registry);
  assertByteCodes(ctx, where);
  const blockShape = blockShapeFor(tensor, spec, options);
  const g = blockGeometry(tensor.shape, blockShape, where);
  const nonFinite = options.nonFinite ?? 'error';
  const given = options.qparams;
  if (given) assertQParams(given, g, ctx, where);
  const withCodec = (qp: QParams) => ({
    qparams: qp,
    codec: () => createChunkCodec(ctx, qp, nonFinite, where, tensor.shape),
  });
  // The fused path covers the common cases bit for bit and declines (undefined) the others.
  const fused = quantizeFused(tensor.data, ctx, g, blockShape, given ? withCodec(given) : undefined);
  if (fused) return buildQuantizedTensor(ctx, tensor.shape, blockShape, fused.data, fused.qparams, options);
  const qparams = given ?? chooseQParams(tensor, spec, { ...options, blockShape });
  assertQParams(qparams, g, ctx, where);
  if (!given) {
    // Parameters the fused path does not compute itself (asymmetric or pinned ranges, NaN / Inf left out under
    // 'saturate', blocks spanning rows): it can still quantize with them.
    const again = quantizeFused(tensor.data, ctx, g, blockShape, withCodec(qparams));
    if (again) return buildQuantizedTensor(ctx, tensor.shape, blockShape, again.data, qparams, options);
  }
  const codec = createChunkCodec(ctx, qparams, nonFinite, where, tensor.shape);
  const data = createCodeStorage(ctx, g.size);
  const bits = ctx.dtype.bits;
  if (bits >= 8) {
    // One byte per code: write straight into the storage.
    forEachChunk(g, (start, len, b) => codec.quantize(tensor.data, start, len, b, data, start));
  } else {
    const run = new Int32Array(Math.min(g.chunk, MAX_RUN));
    forEachChunk(g, (start, len, b) => {
      codec.quantize(tensor.data, start, len, b, run, 0);
      storeCodes(data, bits, run, len, start);
    });
  }
  return buildQuantizedTensor(ctx, tensor.shape, blockShape, data, qparams, options);
}

/** Longest run handed to a chunk loop at once, so scratch buffers stay small and cache-resident. */
export const MAX_RUN = 4096;

/**
 * @internal Visits every run of consecutive elements that share one block: `visit(start, length, block)`,
 * with `length <= MAX_RUN`.
 */
export function forEachChunk(g: BlockGeometry, visit: (start: number, length: number, block: number) => void): void {
  const { rows, rowLength, chunk, chunksPerRow, rowBase } = g;
  for (let r = 0; r < rows; r++) {
    const base = rowBase[r] as number;
    const rowStart = r * rowLength;
    for (let c = 0; c < chunksPerRow; c++) {
      const start = rowStart + c * chunk;
      for (let k = 0; k < chunk; k += MAX_RUN) visit(start + k, Math.min(MAX_RUN, chunk - k), base + c);
    }
  }
}

/** @internal Rejects dtypes whose codes do not fit one byte (float16, bfloat16, float32 are casts, not quantization). */
export function assertByteCodes(ctx: SpecContext, where: string): void {
  if (ctx.dtype.bits > 8) {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      `${where}: dtype ${ctx.dtype.name} has ${ctx.dtype.bits}-bit codes; quantization targets dtypes of 8 bits or fewer ` +
        `(int2..int8, uint2..uint8, float8_*, float6_*, float4_e2m1fn)`,
    );
  }
}

/** @internal Checks that parameters match the block grid and the spec's formulation. */
export function assertQParams(qparams: QParams, g: BlockGeometry, ctx: SpecContext, where: string): void {
  const n = g.numBlocks;
  const bad = (what: string): never => {
    throw new QuantError('KERNELS_SHAPE_MISMATCH', `${where}: qparams.${what}`);
  };
  if (qparams.scales.length !== n) bad(`scales has ${qparams.scales.length} entries but the block grid has ${n}`);
  for (let b = 0; b < n; b++) {
    const s = qparams.scales[b] as number;
    if (!(s > 0 && s < Infinity)) {
      throw new QuantError(
        'KERNELS_INVALID_ARGUMENT',
        `${where}: qparams.scales[${b}] is ${s}; scales must be finite and positive`,
      );
    }
  }
  if (qparams.zeroPoints && qparams.zeroPoints.length !== n) {
    bad(`zeroPoints has ${qparams.zeroPoints.length} entries but the block grid has ${n}`);
  }
  if (ctx.minval && qparams.minvals?.length !== n) {
    bad(`minvals must have one entry per block (${n}) for the minval formulation`);
  }
}

/** @internal Wraps code storage and parameters into the shared QuantizedTensor form. */
export function buildQuantizedTensor(
  ctx: SpecContext,
  shape: readonly number[],
  blockShape: readonly number[],
  data: CodeStorage,
  qparams: QParams,
  options: Pick<QuantizeOptions, 'opKind'> = {},
): QuantizedTensor {
  const spec = resolveGranularityAxes(ctx.spec, shape, options.opKind);
  const result: {
    -readonly [K in keyof QuantizedTensor]: QuantizedTensor[K];
  } = {
    dtype: ctx.dtype.name,
    shape: [...shape],
    blockShape: [...blockShape],
    spec,
    data,
    scales: qparams.scales,
  };
  if (ctx.minval) {
    if (qparams.minvals) result.minvals = qparams.minvals;
  } else if (!ctx.isFloat) {
    const needsZeroPoints = qparams.zeroPoints !== undefined || ctx.implicitZeroPoint !== 0;
    if (needsZeroPoints) {
      result.zeroPoints = qparams.zeroPoints ?? new Int32Array(qparams.scales.length).fill(ctx.implicitZeroPoint);
    }
  }
  return result;
}
