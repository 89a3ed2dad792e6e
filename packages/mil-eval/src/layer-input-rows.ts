import type { MilTensor } from './mil-tensor.js';
import type { OpEvent } from './run-program.js';
import { evalError, showShape } from './_internal/errors.js';
import { OpContext } from './_internal/op-context.js';
import { convAxes } from './_internal/ops/conv.js';
import type { EvalValue } from './_internal/values.js';

/** Input rows of a linear or conv op, laid out to match its weight viewed as `[out, columns]`. */
export interface LayerInputRows {
  readonly rows: number;
  readonly columns: number;
  /** `rows x columns`, row-major. */
  readonly data: Float32Array;
}

/**
 * The rows a weight multiplies in a `linear` or `conv` op seen by `runProgram`'s `onOp`: for linear, `x`
 * flattened to `[-1, D_in]`; for a 2-D conv (groups = 1), the unfolded input patches, one row per output pixel, in
 * the weight's `[C_in, kH, kW]` order (zeros where the window covers padding). This is what a GPTQ Hessian or an
 * input-activation observer of the layer needs. Returns null for other op types.
 *
 * @throws QuantError `MILEVAL_UNSUPPORTED_OP` for grouped or 1-D convolutions; `MILEVAL_INVALID_PROGRAM` for
 *   malformed parameters.
 */
export function layerInputRows(event: OpEvent): LayerInputRows | null {
  const FN = 'layerInputRows';
  const x = event.inputs.x;
  const w = event.inputs.weight;
  if (x === undefined || w === undefined) return null;
  if (event.type === 'linear') {
    const columns = w.shape[1] as number;
    return { rows: x.data.length / columns, columns, data: x.data };
  }
  if (event.type !== 'conv') return null;
  const args = new Map<string, EvalValue[]>();
  for (const [k, v] of Object.entries(event.inputs)) args.set(k, [v]);
  for (const [k, v] of Object.entries(event.strings)) args.set(k, [{ strings: [v], shape: [], dtype: 'string' }]);
  const ctx = new OpContext('conv', event.name, args, []);
  if (x.shape.length !== 4 || w.shape.length !== 4) {
    throw evalError(
      'MILEVAL_UNSUPPORTED_OP',
      FN,
      `conv "${event.name}": only 2-D convolutions are unfolded (x ${showShape(x.shape)})`,
    );
  }
  if (ctx.int('groups', 1) !== 1)
    throw evalError('MILEVAL_UNSUPPORTED_OP', FN, `conv "${event.name}": grouped convolutions are not unfolded`);
  return unfold(ctx, x, w);
}

function unfold(ctx: OpContext, x: MilTensor, w: MilTensor): LayerInputRows {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [, cIn, kh, kw] = w.shape as [number, number, number, number];
  if (cIn !== c) ctx.fail(`weight ${showShape(w.shape)} does not fit x ${showShape(x.shape)}`);
  const { ay, ax, sy, sx, dy, dx } = convAxes(ctx, false, h, wd, kh, kw);
  const columns = c * kh * kw;
  const rows = n * ay.out * ax.out;
  const data = new Float32Array(rows * columns);
  let r = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ay.out; oy++) {
      for (let ox = 0; ox < ax.out; ox++) {
        const base = r * columns;
        for (let ch = 0; ch < c; ch++) {
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sy + ky * dy - ay.before;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sx + kx * dx - ax.before;
              const inside = iy >= 0 && iy < h && ix >= 0 && ix < wd;
              data[base + (ch * kh + ky) * kw + kx] = inside
                ? (x.data[((b * c + ch) * h + iy) * wd + ix] as number)
                : 0;
            }
          }
        }
        r++;
      }
    }
  }
  return { rows, columns, data };
}
