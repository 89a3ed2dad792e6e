/** `conv` (1-D and 2-D, with strides, padding modes, dilations and groups) and 2-D pooling, as MIL defines them. */
import type { MilTensor } from '../../mil-tensor.js';
import type { OpContext } from '../op-context.js';
import { showShape } from '../errors.js';

/** Padding before and after one spatial dimension, and the output size. */
interface Axis {
  readonly before: number;
  readonly out: number;
}

/**
 * Resolves MIL padding for one spatial dimension. `valid`: none. `custom`: `pad[2i], pad[2i+1]`. `same` /
 * `same_lower`: output `ceil(in / stride)`, total padding `max((out - 1) * stride + dilated_kernel - in, 0)`,
 * the odd pixel after (`same`) or before (`same_lower`).
 */
function resolveAxis(
  ctx: OpContext,
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padType: string,
  padA: number,
  padB: number,
  ceilMode: boolean,
): Axis {
  if (!(stride >= 1) || !(dilation >= 1) || !(kernel >= 1)) {
    ctx.fail(
      `strides, dilations and kernel sizes must be >= 1, got stride ${stride}, dilation ${dilation}, kernel ${kernel}`,
    );
  }
  const eff = (kernel - 1) * dilation + 1;
  if (padType === 'same' || padType === 'same_lower') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + eff - size, 0);
    const before = padType === 'same' ? Math.floor(total / 2) : Math.ceil(total / 2);
    return { before, out };
  }
  let a = 0;
  let b = 0;
  if (padType === 'custom') {
    a = padA;
    b = padB;
  } else if (padType !== 'valid') {
    ctx.fail(`pad_type must be valid, same, same_lower or custom, got "${padType}"`);
  }
  if (a < 0 || b < 0) ctx.fail(`pad must be non-negative, got ${a}, ${b}`);
  const span = size + a + b - eff;
  if (span < 0) ctx.fail(`the dilated kernel (${eff}) is larger than the padded input (${size + a + b})`);
  const out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  return { before: a, out };
}

/** An integer vector parameter, or `length` copies of `fill` when it is absent. */
function intsOr(ctx: OpContext, param: string, length: number, fill: number): number[] {
  return ctx.ints(
    param,
    Array.from({ length }, () => fill),
  );
}

/** Strides, dilations and padding of a sliding-window op, as its parameters give them (`sp` or `2 * sp` entries). */
interface WindowParams {
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padType: string;
  readonly pad: readonly number[];
}

/** Resolved height (`y`) and width (`x`) axes of a sliding window; for 1-D the height axis is the identity. */
export interface WindowAxes {
  readonly ay: Axis;
  readonly ax: Axis;
  readonly sy: number;
  readonly sx: number;
  readonly dy: number;
  readonly dx: number;
}

/** Resolves the height (2-D only) and width axes of a `kh x kw` window over an `h x w` input. */
function resolveAxes(
  ctx: OpContext,
  oneD: boolean,
  h: number,
  w: number,
  kh: number,
  kw: number,
  p: WindowParams,
  ceilMode: boolean,
): WindowAxes {
  const sp = oneD ? 1 : 2;
  const sy = oneD ? 1 : (p.strides[0] as number);
  const sx = p.strides[sp - 1] as number;
  const dy = oneD ? 1 : (p.dilations[0] as number);
  const dx = p.dilations[sp - 1] as number;
  const ay = oneD
    ? { before: 0, out: 1 }
    : resolveAxis(ctx, h, kh, sy, dy, p.padType, p.pad[0] as number, p.pad[1] as number, ceilMode);
  const ax = resolveAxis(
    ctx,
    w,
    kw,
    sx,
    dx,
    p.padType,
    p.pad[2 * sp - 2] as number,
    p.pad[2 * sp - 1] as number,
    ceilMode,
  );
  return { ay, ax, sy, sx, dy, dx };
}

/**
 * Reads a conv's `strides`, `dilations`, `pad_type` and `pad` (defaults: all 1, all 1, `valid`, all 0), checks
 * their lengths and resolves its spatial axes. Used by `conv` and by `layerInputRows`, so both see the same geometry.
 */
export function convAxes(ctx: OpContext, oneD: boolean, h: number, w: number, kh: number, kw: number): WindowAxes {
  const sp = oneD ? 1 : 2;
  const strides = intsOr(ctx, 'strides', sp, 1);
  const dilations = intsOr(ctx, 'dilations', sp, 1);
  const padType = ctx.string('pad_type', 'valid');
  const pad = intsOr(ctx, 'pad', 2 * sp, 0);
  if (strides.length !== sp || dilations.length !== sp || pad.length !== 2 * sp) {
    ctx.fail(
      `strides, dilations need ${sp} entries and pad ${2 * sp}, got ${strides.length}, ${dilations.length}, ${pad.length}`,
    );
  }
  return resolveAxes(ctx, oneD, h, w, kh, kw, { strides, dilations, padType, pad }, false);
}

function spatial2d(
  ctx: OpContext,
  x: MilTensor,
  kind: string,
): { n: number; c: number; h: number; w: number; oneD: boolean } {
  if (x.shape.length === 4) {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    return { n, c, h, w, oneD: false };
  }
  if (x.shape.length === 3) {
    const [n, c, w] = x.shape as [number, number, number];
    return { n, c, h: 1, w, oneD: true };
  }
  return ctx.fail(
    `${kind}: x must be [N, C, W] or [N, C, H, W], got ${showShape(x.shape)} (3-D ${kind} is not supported)`,
  );
}

/** `conv(x, weight, bias, strides, pad_type, pad, dilations, groups)`. */
export function convOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const wt = ctx.tensor('weight');
  const bias = ctx.optTensor('bias');
  const { n, c, h, w, oneD } = spatial2d(ctx, x, 'conv');
  const sp = oneD ? 1 : 2;
  if (wt.shape.length !== sp + 2)
    ctx.fail(`weight ${showShape(wt.shape)} must have rank ${sp + 2} for x ${showShape(x.shape)}`);
  const cOut = wt.shape[0] as number;
  const cInG = wt.shape[1] as number;
  const kh = oneD ? 1 : (wt.shape[2] as number);
  const kw = wt.shape[sp + 1] as number;
  const groups = ctx.int('groups', 1);
  if (!(groups >= 1) || c % groups !== 0 || cInG !== c / groups || cOut % groups !== 0) {
    ctx.fail(`weight ${showShape(wt.shape)} does not fit x ${showShape(x.shape)} with groups = ${groups}`);
  }
  if (bias !== undefined && bias.data.length !== cOut)
    ctx.fail(`bias has ${bias.data.length} elements, expected ${cOut}`);
  const { ay, ax, sy, sx, dy, dx } = convAxes(ctx, oneD, h, w, kh, kw);
  const ho = ay.out;
  const wo = ax.out;
  const out = new Float32Array(n * cOut * ho * wo);
  const xd = x.data;
  const wd = wt.data;
  const cOutG = cOut / groups;
  const plane = ho * wo;
  // Valid output-column range for each kernel column, so the inner loop has no bounds checks.
  const oxLo = new Int32Array(kw);
  const oxHi = new Int32Array(kw);
  for (let kx = 0; kx < kw; kx++) {
    const off = kx * dx - ax.before;
    oxLo[kx] = Math.max(0, Math.ceil(-off / sx));
    oxHi[kx] = Math.min(wo, Math.floor((w - 1 - off) / sx) + 1);
  }
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < cOut; oc++) {
      const g = Math.floor(oc / cOutG);
      const o0 = (b * cOut + oc) * plane;
      const bv = bias !== undefined ? (bias.data[oc] as number) : 0;
      out.fill(bv, o0, o0 + plane);
      for (let icg = 0; icg < cInG; icg++) {
        const ic = g * cInG + icg;
        const x0 = (b * c + ic) * h * w;
        const w0 = (oc * cInG + icg) * kh * kw;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const wv = wd[w0 + ky * kw + kx] as number;
            if (wv === 0) continue;
            const lo = oxLo[kx] as number;
            const hi = oxHi[kx] as number;
            const offx = kx * dx - ax.before;
            for (let oy = 0; oy < ho; oy++) {
              const iy = oy * sy + ky * dy - ay.before;
              if (iy < 0 || iy >= h) continue;
              const row = x0 + iy * w + offx;
              const orow = o0 + oy * wo;
              for (let ox = lo; ox < hi; ox++)
                out[orow + ox] = (out[orow + ox] as number) + wv * (xd[row + ox * sx] as number);
            }
          }
        }
      }
    }
  }
  const shape = oneD ? [n, cOut, wo] : [n, cOut, ho, wo];
  return [{ data: out, shape, dtype: ctx.outDType() }];
}

/** `max_pool` / `avg_pool(x, kernel_sizes, strides, pad_type, pad, ceil_mode[, exclude_padding_from_average])`. */
export function poolOp(ctx: OpContext): MilTensor[] {
  const x = ctx.tensor('x');
  const { n, c, h, w, oneD } = spatial2d(ctx, x, ctx.type);
  const sp = oneD ? 1 : 2;
  const k = ctx.ints('kernel_sizes');
  const strides = intsOr(ctx, 'strides', sp, 1);
  const padType = ctx.string('pad_type', 'valid');
  const pad = intsOr(ctx, 'pad', 2 * sp, 0);
  const ceil = ctx.bool('ceil_mode', false);
  const exclude = ctx.bool('exclude_padding_from_average', false);
  if (k.length !== sp || strides.length !== sp || pad.length !== 2 * sp) {
    ctx.fail(`kernel_sizes and strides need ${sp} entries and pad ${2 * sp}`);
  }
  const kh = oneD ? 1 : (k[0] as number);
  const kw = k[sp - 1] as number;
  const { ay, ax, sy, sx } = resolveAxes(ctx, oneD, h, w, kh, kw, { strides, dilations: [1, 1], padType, pad }, ceil);
  const isMax = ctx.type === 'max_pool';
  // Padded extent (used by avg_pool when padding counts): input plus explicit padding after.
  const padH = oneD ? h : h + (ay.before + Math.max(0, (ay.out - 1) * sy + kh - h - ay.before));
  const padW = w + (ax.before + Math.max(0, (ax.out - 1) * sx + kw - w - ax.before));
  const out = new Float32Array(n * c * ay.out * ax.out);
  const xd = x.data;
  let o = 0;
  for (let p = 0; p < n * c; p++) {
    const x0 = p * h * w;
    for (let oy = 0; oy < ay.out; oy++) {
      const y0 = oy * sy - ay.before;
      for (let ox = 0; ox < ax.out; ox++) {
        const xx0 = ox * sx - ax.before;
        let acc = isMax ? -Infinity : 0;
        let count = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = y0 + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = xx0 + kx;
            if (ix < 0 || ix >= w) continue;
            const v = xd[x0 + iy * w + ix] as number;
            if (isMax) {
              if (v > acc) acc = v;
            } else acc += v;
            count++;
          }
        }
        if (!isMax) {
          let denom: number;
          if (exclude) denom = count;
          else {
            // Padding counts, but not window parts beyond the padded input (ceil_mode overhang).
            const yEnd = Math.min(y0 + kh, padH - ay.before);
            const xEnd = Math.min(xx0 + kw, padW - ax.before);
            denom = (yEnd - y0) * (xEnd - xx0);
          }
          acc = denom > 0 ? acc / denom : 0;
        }
        out[o++] = acc;
      }
    }
  }
  const shape = oneD ? [n, c, ax.out] : [n, c, ay.out, ax.out];
  return [{ data: out, shape, dtype: ctx.outDType() }];
}
