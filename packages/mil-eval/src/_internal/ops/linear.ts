/** `linear` and `matmul`. */
import type { MilTensor } from '../../mil-tensor.js';
import type { OpContext } from '../op-context.js';
import { showShape } from '../errors.js';
import { broadcastShapes, broadcastStrides } from './broadcast.js';

/**
 * `out[r, o] = sum_k x[r, k] * w[o, k] + b[o]` for `rows` rows; four outputs at a time so each loaded x value
 * serves four weight rows.
 */
export function denseRows(
  x: Float32Array,
  xOff: number,
  rows: number,
  w: Float32Array,
  dOut: number,
  dIn: number,
  bias: Float32Array | null,
  out: Float32Array,
  outOff: number,
): void {
  for (let r = 0; r < rows; r++) {
    const xo = xOff + r * dIn;
    const oo = outOff + r * dOut;
    let o = 0;
    for (; o + 4 <= dOut; o += 4) {
      const w0 = o * dIn;
      const w1 = w0 + dIn;
      const w2 = w1 + dIn;
      const w3 = w2 + dIn;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < dIn; k++) {
        const v = x[xo + k] as number;
        s0 += (w[w0 + k] as number) * v;
        s1 += (w[w1 + k] as number) * v;
        s2 += (w[w2 + k] as number) * v;
        s3 += (w[w3 + k] as number) * v;
      }
      if (bias !== null) {
        s0 += bias[o] as number;
        s1 += bias[o + 1] as number;
        s2 += bias[o + 2] as number;
        s3 += bias[o + 3] as number;
      }
      out[oo + o] = s0;
      out[oo + o + 1] = s1;
      out[oo + o + 2] = s2;
      out[oo + o + 3] = s3;
    }
    for (; o < dOut; o++) {
      const wo = o * dIn;
      let s = 0;
      for (let k = 0; k < dIn; k++) s += (w[wo + k] as number) * (x[xo + k] as number);
      out[oo + o] = bias !== null ? s + (bias[o] as number) : s;
    }
  }
}

/** `linear(x, weight, bias)`: x [..., D_in], weight [D_out, D_in], bias [D_out]. */
export function linearOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const w = ctx.tensor('weight');
  const b = ctx.optTensor('bias');
  if (w.shape.length !== 2) ctx.fail(`weight must be rank 2 [D_out, D_in], got ${showShape(w.shape)}`);
  const [dOut, dIn] = w.shape as [number, number];
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== dIn) {
    ctx.fail(`x ${showShape(x.shape)} must end in D_in = ${dIn} (weight ${showShape(w.shape)})`);
  }
  if (b !== undefined && b.data.length !== dOut)
    ctx.fail(`bias has ${b.data.length} elements, expected D_out = ${dOut}`);
  const rows = x.data.length / dIn;
  const out = new Float32Array(rows * dOut);
  denseRows(x.data, 0, rows, w.data, dOut, dIn, b?.data ?? null, out, 0);
  return [{ data: out, shape: [...x.shape.slice(0, -1), dOut], dtype: ctx.outDType() }];
}

/** `matmul(x, y, transpose_x, transpose_y)` with NumPy batch broadcasting; rank-1 operands are promoted and squeezed. */
export function matmulOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const y = ctx.tensor('y');
  const tx = ctx.bool('transpose_x', false);
  const ty = ctx.bool('transpose_y', false);
  if (x.shape.length === 0 || y.shape.length === 0) ctx.fail('x and y must have rank >= 1');
  let xs = [...x.shape];
  let ys = [...y.shape];
  const xVec = xs.length === 1;
  const yVec = ys.length === 1;
  if (xVec) xs = [1, xs[0] as number];
  if (yVec) ys = [ys[0] as number, 1];
  const xr = xs.length;
  const yr = ys.length;
  const m = (tx ? xs[xr - 1] : xs[xr - 2]) as number;
  const kx = (tx ? xs[xr - 2] : xs[xr - 1]) as number;
  const ky = (ty ? ys[yr - 1] : ys[yr - 2]) as number;
  const n = (ty ? ys[yr - 2] : ys[yr - 1]) as number;
  if (kx !== ky) {
    ctx.fail(
      `inner dimensions differ: x ${showShape(x.shape)} (transpose_x ${tx}) and y ${showShape(y.shape)} (transpose_y ${ty})`,
    );
  }
  const xb = xs.slice(0, -2);
  const yb = ys.slice(0, -2);
  const batch = broadcastShapes(xb, yb);
  if (batch === null)
    ctx.fail(`batch dimensions of x ${showShape(x.shape)} and y ${showShape(y.shape)} do not broadcast`);
  const rank = batch.length;
  const xStr = broadcastStrides(xb, rank);
  const yStr = broadcastStrides(yb, rank);
  let batches = 1;
  for (const d of batch) batches *= d;
  const out = new Float32Array(batches * m * n);
  const xm = m * kx;
  const ym = kx * n;
  const idx = Array.from({ length: rank }, () => 0);
  const yt = new Float32Array(n * kx);
  for (let bi = 0; bi < batches; bi++) {
    let xo = 0;
    let yo = 0;
    for (let d = 0; d < rank; d++) {
      xo += (idx[d] as number) * (xStr[d] as number);
      yo += (idx[d] as number) * (yStr[d] as number);
    }
    xo *= xm;
    yo *= ym;
    // Bring y into [n, k] rows so the product is a dense-rows kernel call.
    for (let r = 0; r < kx; r++) {
      for (let c = 0; c < n; c++) yt[c * kx + r] = (ty ? y.data[yo + c * kx + r] : y.data[yo + r * n + c]) as number;
    }
    let xa: Float32Array;
    let xaOff: number;
    if (tx) {
      xa = new Float32Array(m * kx);
      xaOff = 0;
      for (let r = 0; r < kx; r++) for (let c = 0; c < m; c++) xa[c * kx + r] = x.data[xo + r * m + c] as number;
    } else {
      xa = x.data;
      xaOff = xo;
    }
    denseRows(xa, xaOff, m, yt, n, kx, null, out, bi * m * n);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (batch[d] as number)) break;
      idx[d] = 0;
    }
  }
  const shape = [...batch, m, n];
  if (yVec) shape.splice(shape.length - 1, 1);
  if (xVec) shape.splice(shape.length - (yVec ? 1 : 2), 1);
  return [{ data: out, shape, dtype: ctx.outDType() }];
}
