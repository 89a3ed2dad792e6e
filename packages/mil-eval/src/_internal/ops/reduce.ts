/** Softmax, reductions and batch_norm. */
import type { MilTensor } from '../../mil-tensor.js';
import type { OpContext } from '../op-context.js';
import { showShape } from '../errors.js';

function split(shape: readonly number[], axis: number): { outer: number; len: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i] as number;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i] as number;
  return { outer, len: shape[axis] as number, inner };
}

/** `softmax(x, axis = -1)`, max-subtracted for stability. */
export function softmaxOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const rank = x.shape.length;
  let axis = ctx.int('axis', -1);
  if (axis < -rank || axis >= rank) ctx.fail(`axis ${axis} out of range for x ${showShape(x.shape)}`);
  if (axis < 0) axis += rank;
  const { outer, len, inner } = split(x.shape, axis);
  const out = new Float32Array(x.data.length);
  const d = x.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let mx = -Infinity;
      for (let k = 0; k < len; k++) mx = Math.max(mx, d[base + k * inner] as number);
      let sum = 0;
      for (let k = 0; k < len; k++) {
        const e = Math.exp((d[base + k * inner] as number) - mx);
        out[base + k * inner] = e;
        sum += e;
      }
      for (let k = 0; k < len; k++) out[base + k * inner] = (out[base + k * inner] as number) / sum;
    }
  }
  return [{ data: out, shape: x.shape, dtype: ctx.outDType() }];
}

/** `reduce_sum`, `reduce_mean`, `reduce_max`, `reduce_min`, `reduce_prod` over `axes` (all when absent), `keep_dims`. */
export function reduceOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const rank = x.shape.length;
  const axes = ctx.has('axes') ? ctx.ints('axes') : x.shape.map((_, i) => i);
  const keep = ctx.bool('keep_dims', false);
  const red = new Set<number>();
  for (const a of axes) {
    if (a < -rank || a >= rank) ctx.fail(`axis ${a} out of range for x ${showShape(x.shape)}`);
    red.add(a < 0 ? a + rank : a);
  }
  const kind = ctx.type.slice('reduce_'.length);
  const outShapeKeep = x.shape.map((d, i) => (red.has(i) ? 1 : d));
  let n = 1;
  for (const d of outShapeKeep) n *= d;
  const init = kind === 'max' ? -Infinity : kind === 'min' ? Infinity : kind === 'prod' ? 1 : 0;
  const out = new Float32Array(n).fill(init);
  const idx = Array.from({ length: rank }, () => 0);
  const outStrides = Array.from({ length: rank }, () => 0);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    outStrides[i] = red.has(i) ? 0 : s;
    s *= outShapeKeep[i] as number;
  }
  const d = x.data;
  let o = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] as number;
    const cur = out[o] as number;
    out[o] =
      kind === 'max' ? (v > cur ? v : cur) : kind === 'min' ? (v < cur ? v : cur) : kind === 'prod' ? cur * v : cur + v;
    for (let k = rank - 1; k >= 0; k--) {
      idx[k] = (idx[k] as number) + 1;
      o += outStrides[k] as number;
      if ((idx[k] as number) < (x.shape[k] as number)) break;
      o -= (outStrides[k] as number) * (x.shape[k] as number);
      idx[k] = 0;
    }
  }
  if (kind === 'mean') {
    const per = d.length / Math.max(n, 1);
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) / per;
  }
  const shape = keep ? outShapeKeep : x.shape.filter((_, i) => !red.has(i));
  return [{ data: out, shape, dtype: ctx.outDType() }];
}

/** `batch_norm(x, mean, variance, gamma, beta, epsilon = 1e-5)` over channel axis 1. */
export function batchNormOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const mean = ctx.tensor('mean');
  const variance = ctx.tensor('variance');
  const gamma = ctx.optTensor('gamma');
  const beta = ctx.optTensor('beta');
  const eps = ctx.float('epsilon', 1e-5);
  if (x.shape.length < 2) ctx.fail(`x ${showShape(x.shape)} needs rank >= 2 (channel axis 1)`);
  const c = x.shape[1] as number;
  for (const [nm, t] of [
    ['mean', mean],
    ['variance', variance],
    ['gamma', gamma],
    ['beta', beta],
  ] as const) {
    if (t !== undefined && t.data.length !== c) ctx.fail(`${nm} has ${t.data.length} elements, expected C = ${c}`);
  }
  const { outer, inner } = split(x.shape, 1);
  const out = new Float32Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let ch = 0; ch < c; ch++) {
      const scale = (gamma ? (gamma.data[ch] as number) : 1) / Math.sqrt((variance.data[ch] as number) + eps);
      const shift = (beta ? (beta.data[ch] as number) : 0) - (mean.data[ch] as number) * scale;
      const base = (o * c + ch) * inner;
      for (let i = 0; i < inner; i++) out[base + i] = (x.data[base + i] as number) * scale + shift;
    }
  }
  return [{ data: out, shape: x.shape, dtype: ctx.outDType() }];
}
