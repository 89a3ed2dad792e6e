/** Element-wise MIL ops: broadcasting binary arithmetic and unary activations. */
import { float16BitsToFloat32, float32ToFloat16Bits } from '@lowbit/dtypes';
import type { MilTensor } from '../../mil-tensor.js';
import type { OpContext } from '../op-context.js';
import { broadcastBinary } from './broadcast.js';

type Binary = (a: number, b: number) => number;

const BINARY: Readonly<Record<string, Binary>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  real_div: (a, b) => a / b,
  maximum: (a, b) => (a > b ? a : b),
  minimum: (a, b) => (a < b ? a : b),
  pow: (a, b) => Math.pow(a, b),
  floor_div: (a, b) => Math.floor(a / b),
  mod: (a, b) => a - Math.floor(a / b) * b,
};

/** Names of the binary ops. */
export const BINARY_OPS: readonly string[] = Object.keys(BINARY);

/** A broadcasting binary op (`add`, `sub`, `mul`, `real_div`, `maximum`, `minimum`, `pow`, `floor_div`, `mod`). */
export function binaryOp(ctx: OpContext): MilTensor[] {
  const f = BINARY[ctx.type] as Binary;
  const x = ctx.tensor('x');
  const y = ctx.tensor('y');
  const r = broadcastBinary(x.data, x.shape, y.data, y.shape, f, 'x and y', (m) => ctx.fail(m));
  return [{ data: r.data, shape: r.shape, dtype: ctx.outDType() }];
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse for a reference; use the series / continued fraction split instead.
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = ax;
    let term = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // erfc continued fraction (Lentz) for large |x|.
  let f = ax;
  let c = ax;
  let d = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    d = ax + a * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = ax + a / c;
    if (c === 0) c = 1e-300;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
  const r = 1 - erfc;
  return x < 0 ? -r : r;
}

type Unary = (x: number, ctx: OpContext) => (v: number) => number;

const UNARY: Readonly<Record<string, Unary>> = {
  identity: () => (v) => v,
  relu: () => (v) => (v > 0 ? v : 0),
  relu6: () => (v) => (v > 0 ? (v < 6 ? v : 6) : 0),
  sigmoid: () => (v) => 1 / (1 + Math.exp(-v)),
  tanh: () => Math.tanh,
  exp: () => Math.exp,
  log: () => Math.log,
  sqrt: () => Math.sqrt,
  rsqrt: () => (v) => 1 / Math.sqrt(v),
  abs: () => Math.abs,
  neg: () => (v) => -v,
  square: () => (v) => v * v,
  erf: () => erf,
  silu: () => (v) => v / (1 + Math.exp(-v)),
  softplus: () => (v) => (v > 20 ? v : Math.log1p(Math.exp(v))),
  leaky_relu: (_x, ctx) => {
    const alpha = ctx.float('alpha', 0.01);
    return (v) => (v >= 0 ? v : alpha * v);
  },
  elu: (_x, ctx) => {
    const alpha = ctx.float('alpha', 1);
    return (v) => (v > 0 ? v : alpha * (Math.exp(v) - 1));
  },
  clip: (_x, ctx) => {
    const lo = ctx.float('alpha');
    const hi = ctx.float('beta');
    return (v) => (v < lo ? lo : v > hi ? hi : v);
  },
  gelu: (_x, ctx) => {
    const mode = ctx.string('mode', 'EXACT');
    if (mode === 'EXACT') return (v) => 0.5 * v * (1 + erf(v / Math.SQRT2));
    if (mode === 'TANH_APPROXIMATION') {
      const k = Math.sqrt(2 / Math.PI);
      return (v) => 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v * v * v)));
    }
    if (mode === 'SIGMOID_APPROXIMATION') return (v) => v / (1 + Math.exp(-1.702 * v));
    return ctx.fail(`gelu mode must be EXACT, TANH_APPROXIMATION or SIGMOID_APPROXIMATION, got "${mode}"`);
  },
};

/** Names of the unary ops. */
export const UNARY_OPS: readonly string[] = Object.keys(UNARY);

/** A unary element-wise op over `x`. */
export function unaryOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const f = (UNARY[ctx.type] as Unary)(0, ctx);
  const out = new Float32Array(x.data.length);
  const d = x.data;
  if (ctx.type === 'relu') {
    for (let i = 0; i < d.length; i++) {
      const v = d[i] as number;
      out[i] = v > 0 ? v : 0;
    }
  } else {
    for (let i = 0; i < d.length; i++) out[i] = f(d[i] as number);
  }
  return [{ data: out, shape: x.shape, dtype: ctx.outDType() }];
}

/** `cast(x, dtype)`: to fp16 (rounded), fp32, int32 (truncated toward zero), bool. */
export function castOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const to = ctx.string('dtype');
  const out = new Float32Array(x.data.length);
  const d = x.data;
  switch (to) {
    case 'fp16':
      for (let i = 0; i < d.length; i++) out[i] = float16BitsToFloat32(float32ToFloat16Bits(d[i] as number));
      return [{ data: out, shape: x.shape, dtype: 'float16' }];
    case 'fp32':
      out.set(d);
      return [{ data: out, shape: x.shape, dtype: 'float32' }];
    case 'int32':
    case 'int16':
    case 'int8':
    case 'uint8':
    case 'uint16':
      for (let i = 0; i < d.length; i++) out[i] = Math.trunc(d[i] as number);
      return [{ data: out, shape: x.shape, dtype: to }];
    case 'bool':
      for (let i = 0; i < d.length; i++) out[i] = d[i] !== 0 ? 1 : 0;
      return [{ data: out, shape: x.shape, dtype: 'bool' }];
    default:
      return ctx.fail(`cast dtype must be fp16, fp32, int32, int16, int8, uint8, uint16 or bool, got "${to}"`);
  }
}
