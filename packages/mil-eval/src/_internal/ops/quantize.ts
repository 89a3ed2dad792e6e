/** The iOS17 activation ops `quantize` and `dequantize` (coremltools `iOS17/quantization_ops.py`). */
import type { MilTensor } from '../../mil-tensor.js';
import type { OpContext } from '../op-context.js';
import { showShape } from '../errors.js';

const RANGES: Readonly<Record<string, readonly [number, number]>> = { int8: [-128, 127], uint8: [0, 255] };

/** Per-element scale and zero point lookup: scalars, or vectors along `axis` (broadcast to x's rank). */
function params(
  ctx: OpContext,
  x: MilTensor,
): { scale: Float32Array; zp: Float32Array | null; inner: number; len: number } {
  const scale = ctx.tensor('scale');
  const zp = ctx.optTensor('zero_point');
  const rank = x.shape.length;
  if (scale.shape.length === 0) {
    if (ctx.has('axis')) ctx.fail('axis must not be given when scale is a scalar');
    if (zp !== undefined && zp.shape.length !== 0) ctx.fail('zero_point must be a scalar when scale is a scalar');
    return { scale: scale.data, zp: zp?.data ?? null, inner: 1, len: 1 };
  }
  if (scale.shape.length !== 1) ctx.fail(`scale must be a scalar or a vector, got ${showShape(scale.shape)}`);
  let axis = ctx.int('axis');
  if (axis < -rank || axis >= rank) ctx.fail(`axis ${axis} out of range for input ${showShape(x.shape)}`);
  if (axis < 0) axis += rank;
  const len = x.shape[axis] as number;
  if (scale.data.length !== len) ctx.fail(`scale has ${scale.data.length} entries, input dimension ${axis} has ${len}`);
  if (zp !== undefined && (zp.shape.length !== 1 || zp.data.length !== len)) {
    ctx.fail(`zero_point must be a vector of ${len} entries like scale, got ${showShape(zp.shape)}`);
  }
  let inner = 1;
  for (let i = axis + 1; i < rank; i++) inner *= x.shape[i] as number;
  return { scale: scale.data, zp: zp?.data ?? null, inner, len };
}

/** Round half to even, as NumPy's `around`. */
function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `quantize(input, zero_point?, scale, axis?, output_dtype)`: `clip(round(x / scale) + zero_point)` into int8/uint8. */
export function quantizeOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('input');
  const dtype = ctx.string('output_dtype');
  const range = RANGES[dtype];
  if (range === undefined) return ctx.fail(`output_dtype must be "int8" or "uint8", got "${dtype}"`);
  const [lo, hi] = range;
  const zpT = ctx.optTensor('zero_point');
  if (zpT !== undefined && zpT.dtype !== dtype)
    ctx.fail(`zero_point dtype ${zpT.dtype} differs from output_dtype ${dtype}`);
  const { scale, zp, inner, len } = params(ctx, x);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const k = Math.floor(i / inner) % len;
    const s = scale[k] as number;
    const z = zp !== null ? (zp[k] as number) : 0;
    const q = roundEven(Math.fround((x.data[i] as number) / s)) + z;
    out[i] = q < lo ? lo : q > hi ? hi : q;
  }
  return [{ data: out, shape: x.shape, dtype }];
}

/** `dequantize(input, zero_point?, scale, axis?)`: `scale * (input - zero_point)`. */
export function dequantizeOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('input');
  if (x.dtype !== 'int8' && x.dtype !== 'uint8') ctx.fail(`input must be int8 or uint8, got ${x.dtype}`);
  const { scale, zp, inner, len } = params(ctx, x);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const k = Math.floor(i / inner) % len;
    out[i] = (scale[k] as number) * ((x.data[i] as number) - (zp !== null ? (zp[k] as number) : 0));
  }
  return [{ data: out, shape: x.shape, dtype: ctx.outDType() }];
}
