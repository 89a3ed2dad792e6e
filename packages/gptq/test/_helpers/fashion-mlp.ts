/// <reference types="node" />
// Test helper: loads Fashion-MNIST from the shared fixtures and trains a small MLP in plain TypeScript, so the
// GPTQ tests run on real weights and real activations. Deterministic (fixed seed, fixed data order).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { matmul } from '@lowbit/kernels';

const FIXTURES = join(import.meta.dirname, '../../../../../shared/fixtures/fashion-mnist');

/** Side of the centre crop: 24 x 24 = 576 features, divisible by 32 for block-32 specs. */
export const CROP = 24;
export const FEATURES = CROP * CROP;

export interface Dataset {
  /** [count, FEATURES] pixel values scaled to [0, 1]. */
  readonly x: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

const cache = new Map<string, { images: Uint8Array; labels: Uint8Array }>();

function readSplit(split: 'train' | 't10k'): { images: Uint8Array; labels: Uint8Array } {
  let entry = cache.get(split);
  if (entry === undefined) {
    const images = gunzipSync(readFileSync(join(FIXTURES, `${split}-images-idx3-ubyte.gz`)));
    const labels = gunzipSync(readFileSync(join(FIXTURES, `${split}-labels-idx1-ubyte.gz`)));
    // IDX headers: images 16 bytes (magic 2051, count, 28, 28), labels 8 bytes (magic 2049, count).
    if (images.readUInt32BE(0) !== 2051 || labels.readUInt32BE(0) !== 2049) throw new Error('bad IDX magic');
    entry = { images: images.subarray(16), labels: labels.subarray(8) };
    cache.set(split, entry);
  }
  return entry;
}

/** `count` images starting at `offset` of a split, centre-cropped to 24 x 24. */
export function loadFashion(split: 'train' | 't10k', offset: number, count: number): Dataset {
  const { images, labels } = readSplit(split);
  const x = new Float32Array(count * FEATURES);
  const margin = (28 - CROP) / 2;
  for (let i = 0; i < count; i++) {
    const src = (offset + i) * 784;
    for (let r = 0; r < CROP; r++) {
      for (let c = 0; c < CROP; c++)
        x[i * FEATURES + r * CROP + c] = images[src + (r + margin) * 28 + c + margin]! / 255;
    }
  }
  return { x, labels: labels.slice(offset, offset + count), count };
}

export interface Mlp {
  /** Weights [out, in] per layer. */
  readonly weights: Float32Array[];
  readonly biases: Float32Array[];
  readonly sizes: readonly number[];
}

function transpose(a: Float64Array | Float32Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

/** `x [rows, in] * W^T + b` with `w` [out, in]; ReLU when asked. Float32 out. */
export function linear(
  x: Float32Array,
  rows: number,
  w: Float32Array,
  b: Float32Array,
  inF: number,
  outF: number,
  relu: boolean,
): Float32Array {
  const y = matmul(Float64Array.from(x), transpose(w, outF, inF), rows, inF, outF);
  const out = new Float32Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      const v = y[r * outF + o]! + b[o]!;
      out[r * outF + o] = relu && v < 0 ? 0 : v;
    }
  }
  return out;
}

/** Trains `sizes[0] -> ... -> sizes[last]` with ReLU, softmax cross-entropy, SGD with momentum. */
export function trainMlp(data: Dataset, sizes: readonly number[], steps: number, batch: number, lr: number): Mlp {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const layers = sizes.length - 1;
  // wt[l]: [in, out] (transposed, for matmul), b[l]: [out]
  const wt: Float64Array[] = [];
  const b: Float64Array[] = [];
  const vw: Float64Array[] = [];
  const vb: Float64Array[] = [];
  for (let l = 0; l < layers; l++) {
    const inF = sizes[l]!;
    const outF = sizes[l + 1]!;
    const scale = Math.sqrt(6 / inF);
    wt.push(new Float64Array(inF * outF).map(() => (rand() * 2 - 1) * scale));
    b.push(new Float64Array(outF));
    vw.push(new Float64Array(inF * outF));
    vb.push(new Float64Array(outF));
  }
  const f = sizes[0]!;
  for (let step = 0; step < steps; step++) {
    const start = (step * batch) % (data.count - batch);
    const x0 = Float64Array.from(data.x.subarray(start * f, (start + batch) * f));
    const acts: Float64Array[] = [x0];
    for (let l = 0; l < layers; l++) {
      const outF = sizes[l + 1]!;
      const z = matmul(acts[l]!, wt[l]!, batch, sizes[l]!, outF);
      for (let r = 0; r < batch; r++) {
        for (let o = 0; o < outF; o++) {
          const v = z[r * outF + o]! + b[l]![o]!;
          z[r * outF + o] = l < layers - 1 && v < 0 ? 0 : v;
        }
      }
      acts.push(z);
    }
    // softmax cross-entropy gradient
    const classes = sizes[layers]!;
    const logits = acts[layers]!;
    const grad = new Float64Array(batch * classes);
    for (let r = 0; r < batch; r++) {
      let m = -Infinity;
      for (let c = 0; c < classes; c++) m = Math.max(m, logits[r * classes + c]!);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(logits[r * classes + c]! - m);
      for (let c = 0; c < classes; c++) {
        const p = Math.exp(logits[r * classes + c]! - m) / sum;
        grad[r * classes + c] = (p - (data.labels[start + r] === c ? 1 : 0)) / batch;
      }
    }
    let g: Float64Array = grad;
    for (let l = layers - 1; l >= 0; l--) {
      const inF = sizes[l]!;
      const outF = sizes[l + 1]!;
      const dwt = matmul(transpose(acts[l]!, batch, inF), g, inF, batch, outF);
      const db = new Float64Array(outF);
      for (let r = 0; r < batch; r++) for (let o = 0; o < outF; o++) db[o] = db[o]! + g[r * outF + o]!;
      if (l > 0) {
        const dx = matmul(g, transpose(wt[l]!, inF, outF), batch, outF, inF);
        const a = acts[l]!;
        for (let i = 0; i < dx.length; i++) if (a[i]! <= 0) dx[i] = 0;
        g = dx;
      }
      const w = wt[l]!;
      const v = vw[l]!;
      for (let i = 0; i < w.length; i++) {
        v[i] = 0.9 * v[i]! - lr * dwt[i]!;
        w[i] = w[i]! + v[i]!;
      }
      const bb = b[l]!;
      const v2 = vb[l]!;
      for (let o = 0; o < outF; o++) {
        v2[o] = 0.9 * v2[o]! - lr * db[o]!;
        bb[o] = bb[o]! + v2[o]!;
      }
    }
  }
  return {
    weights: wt.map((w, l) => Float32Array.from(transpose(w, sizes[l]!, sizes[l + 1]!))),
    biases: b.map((x) => Float32Array.from(x)),
    sizes,
  };
}

/** Inputs of every layer (index 0: the images) for `x`, running the float MLP. */
export function layerInputs(mlp: Mlp, x: Float32Array, rows: number, weights = mlp.weights): Float32Array[] {
  const inputs = [x];
  let a = x;
  const layers = mlp.sizes.length - 1;
  for (let l = 0; l < layers; l++) {
    a = linear(a, rows, weights[l]!, mlp.biases[l]!, mlp.sizes[l]!, mlp.sizes[l + 1]!, l < layers - 1);
    inputs.push(a);
  }
  return inputs;
}

/** Fraction of rows whose arg-max logit is the label. */
export function accuracy(logits: Float32Array, labels: Uint8Array, classes: number): number {
  let hits = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[r * classes + c]! > logits[r * classes + best]!) best = c;
    if (best === labels[r]) hits++;
  }
  return hits / labels.length;
}
