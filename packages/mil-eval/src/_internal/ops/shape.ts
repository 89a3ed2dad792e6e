/** Shape ops: reshape, transpose, squeeze, expand_dims, flatten2d, concat. */
import type { MilTensor } from '../../mil-tensor.js';
import type { OpContext } from '../op-context.js';
import { showShape } from '../errors.js';

function count(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function axisOf(ctx: OpContext, axis: number, rank: number, what: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    ctx.fail(`${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** `reshape(x, shape)`: `0` copies the input dimension (same rank only), one `-1` is inferred. */
export function reshapeOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const target = ctx.ints('shape');
  const n = x.data.length;
  if (target.includes(0)) {
    if (target.length !== x.shape.length)
      ctx.fail(`shape ${showShape(target)} has a 0 but its length differs from the rank of x ${showShape(x.shape)}`);
    for (let i = 0; i < target.length; i++) if (target[i] === 0) target[i] = x.shape[i] as number;
  }
  const neg = target.filter((d) => d === -1).length;
  if (neg > 1 || target.some((d) => d < -1 || !Number.isInteger(d)))
    ctx.fail(`shape ${showShape(target)} is invalid (at most one -1, others positive)`);
  if (neg === 1) {
    const known = count(target.filter((d) => d !== -1));
    if (known === 0 || n % known !== 0) ctx.fail(`cannot reshape x ${showShape(x.shape)} to ${showShape(target)}`);
    target[target.indexOf(-1)] = n / known;
  }
  if (count(target) !== n) ctx.fail(`cannot reshape x ${showShape(x.shape)} (${n} elements) to ${showShape(target)}`);
  return [{ data: x.data, shape: target, dtype: x.dtype }];
}

/** `transpose(x, perm)`. */
export function transposeOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const rank = x.shape.length;
  const perm = ctx.ints('perm').map((p) => axisOf(ctx, p, rank, 'perm entry'));
  if (perm.length !== rank || new Set(perm).size !== rank)
    ctx.fail(`perm ${showShape(perm)} is not a permutation of rank ${rank}`);
  const shape = perm.map((p) => x.shape[p] as number);
  const inStrides = Array.from({ length: rank }, () => 0);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= x.shape[i] as number;
  }
  const strides = perm.map((p) => inStrides[p] as number);
  const n = x.data.length;
  const out = new Float32Array(n);
  if (rank === 0 || n === 0) {
    out.set(x.data);
    return [{ data: out, shape, dtype: x.dtype }];
  }
  const idx = Array.from({ length: rank }, () => 0);
  let src = 0;
  const inner = shape[rank - 1] as number;
  const innerStride = strides[rank - 1] as number;
  for (let o = 0; o < n; o += inner) {
    for (let k = 0; k < inner; k++) out[o + k] = x.data[src + k * innerStride] as number;
    for (let d = rank - 2; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      src += strides[d] as number;
      if ((idx[d] as number) < (shape[d] as number)) break;
      src -= (strides[d] as number) * (shape[d] as number);
      idx[d] = 0;
    }
  }
  return [{ data: out, shape, dtype: x.dtype }];
}

/** `squeeze(x, axes)`: drops the given size-1 axes, or all of them when `axes` is absent. */
export function squeezeOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const rank = x.shape.length;
  let drop: Set<number>;
  if (ctx.has('axes')) {
    drop = new Set(ctx.ints('axes').map((a) => axisOf(ctx, a, rank, 'axis')));
    for (const a of drop)
      if (x.shape[a] !== 1) ctx.fail(`axis ${a} of x ${showShape(x.shape)} has size ${x.shape[a]}, not 1`);
  } else {
    drop = new Set(x.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
  }
  return [{ data: x.data, shape: x.shape.filter((_, i) => !drop.has(i)), dtype: x.dtype }];
}

/** `expand_dims(x, axes)`. */
export function expandDimsOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const axes = ctx.ints('axes');
  const outRank = x.shape.length + axes.length;
  const sorted = axes.map((a) => axisOf(ctx, a, outRank, 'axis')).sort((a, b) => a - b);
  const shape = [...x.shape];
  for (const a of sorted) shape.splice(a, 0, 1);
  return [{ data: x.data, shape, dtype: x.dtype }];
}

/** `flatten2d(x, axis = 1)`: `[prod(shape[:axis]), prod(shape[axis:])]`. */
export function flatten2dOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const rank = x.shape.length;
  let axis = ctx.int('axis', 1);
  if (axis < -rank || axis > rank) ctx.fail(`axis ${axis} out of range for rank ${rank}`);
  if (axis < 0) axis += rank;
  return [{ data: x.data, shape: [count(x.shape.slice(0, axis)), count(x.shape.slice(axis))], dtype: x.dtype }];
}

/** `concat(values, axis, interleave = false)`. */
export function concatOp(ctx: OpContext): MilTensor[] {
  const values = ctx.tensors('values');
  if (ctx.bool('interleave', false)) ctx.fail('interleave = true is not supported');
  const first = values[0];
  if (first === undefined) return ctx.fail('values is empty');
  const rank = first.shape.length;
  const axis = axisOf(ctx, ctx.int('axis'), rank, 'axis');
  let total = 0;
  for (const v of values) {
    if (v.shape.length !== rank || v.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
      ctx.fail(`values ${values.map((t) => showShape(t.shape)).join(', ')} differ outside axis ${axis}`);
    }
    total += v.shape[axis] as number;
  }
  const outer = count(first.shape.slice(0, axis));
  const inner = count(first.shape.slice(axis + 1));
  const shape = [...first.shape];
  shape[axis] = total;
  const out = new Float32Array(count(shape));
  let off = 0;
  for (let o = 0; o < outer; o++) {
    for (const v of values) {
      const len = (v.shape[axis] as number) * inner;
      out.set(v.data.subarray(o * len, (o + 1) * len), off);
      off += len;
    }
  }
  return [{ data: out, shape, dtype: ctx.outDType() }];
}
