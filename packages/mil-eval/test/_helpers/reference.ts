/**
 * Independent float references for the tests: written the plainest way (explicit index arithmetic, float64
 * accumulation), sharing no code with the evaluator.
 */

/** Seeded uniform numbers in [-1, 1). */
export function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

/** Row-major index helper. */
export function at(shape: readonly number[], ...idx: number[]): number {
  let o = 0;
  for (let i = 0; i < shape.length; i++) o = o * (shape[i] as number) + (idx[i] as number);
  return o;
}

export interface ConvParams {
  readonly strides: readonly [number, number];
  readonly pad: readonly [number, number, number, number]; // top, bottom, left, right
  readonly dilations: readonly [number, number];
  readonly groups: number;
}

/** Direct 2-D convolution over explicit padding: out[n, o, y, x] = b[o] + sum w[o, c, i, j] * xpad[n, g*cg + c, y*sy + i*dy, x*sx + j*dx]. */
export function referenceConv(
  x: Float32Array,
  xs: readonly [number, number, number, number],
  w: Float32Array,
  ws: readonly [number, number, number, number],
  bias: Float32Array | null,
  p: ConvParams,
): { data: Float32Array; shape: [number, number, number, number] } {
  const [n, c, h, wd] = xs;
  const [co, cg, kh, kw] = ws;
  const [pt, pb, pl, pr] = p.pad;
  const hp = h + pt + pb;
  const wp = wd + pl + pr;
  const ho = Math.floor((hp - ((kh - 1) * p.dilations[0] + 1)) / p.strides[0]) + 1;
  const wo = Math.floor((wp - ((kw - 1) * p.dilations[1] + 1)) / p.strides[1]) + 1;
  const pix = (b: number, ch: number, yy: number, xx: number): number => {
    const y = yy - pt;
    const xq = xx - pl;
    if (y < 0 || y >= h || xq < 0 || xq >= wd) return 0;
    return x[at(xs, b, ch, y, xq)] as number;
  };
  const outShape: [number, number, number, number] = [n, co, ho, wo];
  const out = new Float32Array(n * co * ho * wo);
  const perGroup = co / p.groups;
  for (let b = 0; b < n; b++)
    for (let o = 0; o < co; o++) {
      const g = Math.floor(o / perGroup);
      for (let y = 0; y < ho; y++)
        for (let xx = 0; xx < wo; xx++) {
          let s = bias ? (bias[o] as number) : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                s +=
                  (w[at(ws, o, ci, i, j)] as number) *
                  pix(b, g * cg + ci, y * p.strides[0] + i * p.dilations[0], xx * p.strides[1] + j * p.dilations[1]);
              }
          out[at(outShape, b, o, y, xx)] = s;
        }
    }
  void c;
  return { data: out, shape: outShape };
}

/** y = x W^T + b for x [rows, in], W [out, in]. */
export function referenceLinear(
  x: Float32Array,
  rows: number,
  w: Float32Array,
  out: number,
  inp: number,
  b: Float32Array | null,
): Float32Array {
  const y = new Float32Array(rows * out);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < out; o++) {
      let s = b ? (b[o] as number) : 0;
      for (let k = 0; k < inp; k++) s += (x[r * inp + k] as number) * (w[o * inp + k] as number);
      y[r * out + o] = s;
    }
  return y;
}

/** Largest absolute difference. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
