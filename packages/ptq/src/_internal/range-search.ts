import { createElementQuantizer, qparamsFromRange, reduceBlockRange } from '@lowbit/kernels';
import type { QParams, Tensor } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';

/** Block index of every element for a row-major tensor cut into `blockShape` blocks. */
function blockIndexOf(shape: readonly number[], blockShape: readonly number[]): Int32Array {
  const rank = shape.length;
  let n = 1;
  for (const d of shape) n *= d;
  const out = new Int32Array(n);
  if (n === 0) return out;
  const grid = shape.map((d, i) => d / (blockShape[i] as number));
  const gridStride = Array.from({ length: rank }, () => 0);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    gridStride[d] = s;
    s *= grid[d] as number;
  }
  const idx = new Int32Array(rank);
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let d = 0; d < rank; d++)
      b += Math.floor((idx[d] as number) / (blockShape[d] as number)) * (gridStride[d] as number);
    out[i] = b;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (shape[d] as number)) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Result of {@link searchClipRatios}. */
export interface ClipSearchResult {
  readonly qparams: QParams;
  /** Chosen shrink factor per block. */
  readonly ratios: Float64Array;
}

/**
 * Round-to-nearest with a per-block clipping search (GPTQ's `mse` grid, ONNX Runtime / HQQ-style): for each
 * candidate ratio `p = 1 - k / grid` (k = 0 .. round(maxShrink * grid) - 1) the block range [min, max] is shrunk
 * to [p min, p max], quantized with the spec's real quantizer, and the p with the smallest squared error is kept
 * per block. p = 1 (plain min-max) is always a candidate, so no block gets worse.
 */
export function searchClipRatios(
  tensor: Tensor,
  spec: QuantizationSpec,
  blockShape: readonly number[],
  grid: number,
  maxShrink: number,
): ClipSearchResult {
  const range = reduceBlockRange(tensor, blockShape);
  const nb = range.min.length;
  const blockOf = blockIndexOf(tensor.shape, blockShape);
  const eq = createElementQuantizer(spec);
  const x = tensor.data;
  const bestErr = new Float64Array(nb).fill(Infinity);
  const ratios = new Float64Array(nb).fill(1);
  const err = new Float64Array(nb);
  const lo = new Float64Array(nb);
  const hi = new Float64Array(nb);
  const steps = Math.max(1, Math.round(maxShrink * grid));
  for (let k = 0; k < steps; k++) {
    const p = 1 - k / grid;
    for (let b = 0; b < nb; b++) {
      lo[b] = (range.min[b] as number) * p;
      hi[b] = (range.max[b] as number) * p;
    }
    const qp = qparamsFromRange(lo, hi, spec, blockShape);
    const { scales } = qp;
    const offsets = qp.zeroPoints ?? qp.minvals;
    err.fill(0);
    for (let i = 0; i < x.length; i++) {
      const b = blockOf[i] as number;
      const s = scales[b] as number;
      const off = offsets === undefined ? 0 : (offsets[b] as number);
      const v = x[i] as number;
      const d = v - eq.dequantize(eq.quantize(v, s, off), s, off);
      err[b] = (err[b] as number) + d * d;
    }
    for (let b = 0; b < nb; b++) {
      if ((err[b] as number) < (bestErr[b] as number)) {
        bestErr[b] = err[b] as number;
        ratios[b] = p;
      }
    }
  }
  for (let b = 0; b < nb; b++) {
    lo[b] = (range.min[b] as number) * (ratios[b] as number);
    hi[b] = (range.max[b] as number) * (ratios[b] as number);
  }
  return { qparams: qparamsFromRange(lo, hi, spec, blockShape), ratios };
}
