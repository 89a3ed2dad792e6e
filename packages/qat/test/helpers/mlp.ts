/**
 * A tiny two-layer MLP (784 -> hidden -> 10, ReLU, softmax cross-entropy) with hand-written forward/backward
 * and Adam, used by the end-to-end QAT test. Weights use lowbit's linear layout [out, in].
 */
import { createRandom } from './random.js';

export interface Mlp {
  readonly hidden: number;
  readonly w1: Float32Array; // [hidden, 784]
  readonly b1: Float32Array;
  readonly w2: Float32Array; // [10, hidden]
  readonly b2: Float32Array;
}

export function createMlp(hidden: number, seed: number): Mlp {
  const rnd = createRandom(seed);
  const w1 = new Float32Array(hidden * 784);
  const w2 = new Float32Array(10 * hidden);
  const s1 = Math.sqrt(2 / 784);
  const s2 = Math.sqrt(2 / hidden);
  for (let i = 0; i < w1.length; i++) w1[i] = rnd.normal() * s1;
  for (let i = 0; i < w2.length; i++) w2[i] = rnd.normal() * s2;
  return { hidden, w1, b1: new Float32Array(hidden), w2, b2: new Float32Array(10) };
}

/** Optional hook on the hidden activations (the input of layer 2): fake quantization of activations. */
export interface ActivationHook {
  forward(h: Float32Array, batch: number): Float32Array;
  backward(dh: Float32Array, h: Float32Array, batch: number): Float32Array;
}

export interface Pass {
  readonly h: Float32Array;
  readonly hq: Float32Array;
  readonly logits: Float32Array;
}

export function forward(
  x: Float32Array,
  batch: number,
  hidden: number,
  w1: Float32Array,
  b1: Float32Array,
  w2: Float32Array,
  b2: Float32Array,
  hook?: ActivationHook,
): Pass {
  const h = new Float32Array(batch * hidden);
  for (let n = 0; n < batch; n++) {
    const xo = n * 784;
    for (let j = 0; j < hidden; j++) {
      const wo = j * 784;
      let acc = b1[j] as number;
      for (let k = 0; k < 784; k++) acc += (x[xo + k] as number) * (w1[wo + k] as number);
      h[n * hidden + j] = acc > 0 ? acc : 0;
    }
  }
  const hq = hook ? hook.forward(h, batch) : h;
  const logits = new Float32Array(batch * 10);
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < 10; o++) {
      let acc = b2[o] as number;
      for (let j = 0; j < hidden; j++) acc += (hq[n * hidden + j] as number) * (w2[o * hidden + j] as number);
      logits[n * 10 + o] = acc;
    }
  }
  return { h, hq, logits };
}

export interface Grads {
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

/** Gradients of the mean cross-entropy with respect to the (possibly fake-quantized) weights used in `pass`. */
export function backward(
  x: Float32Array,
  labels: Uint8Array,
  batch: number,
  hidden: number,
  w2: Float32Array,
  pass: Pass,
  hook?: ActivationHook,
): Grads {
  const dlog = new Float32Array(batch * 10);
  for (let n = 0; n < batch; n++) {
    let max = -Infinity;
    for (let o = 0; o < 10; o++) max = Math.max(max, pass.logits[n * 10 + o] as number);
    let sum = 0;
    for (let o = 0; o < 10; o++) sum += Math.exp((pass.logits[n * 10 + o] as number) - max);
    for (let o = 0; o < 10; o++) {
      const p = Math.exp((pass.logits[n * 10 + o] as number) - max) / sum;
      dlog[n * 10 + o] = (p - (o === labels[n] ? 1 : 0)) / batch;
    }
  }
  const gw2 = new Float32Array(10 * hidden);
  const gb2 = new Float32Array(10);
  const dhq = new Float32Array(batch * hidden);
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < 10; o++) {
      const d = dlog[n * 10 + o] as number;
      gb2[o] = (gb2[o] as number) + d;
      for (let j = 0; j < hidden; j++) {
        gw2[o * hidden + j] = (gw2[o * hidden + j] as number) + d * (pass.hq[n * hidden + j] as number);
        dhq[n * hidden + j] = (dhq[n * hidden + j] as number) + d * (w2[o * hidden + j] as number);
      }
    }
  }
  const dh = hook ? hook.backward(dhq, pass.h, batch) : dhq;
  const gw1 = new Float32Array(hidden * 784);
  const gb1 = new Float32Array(hidden);
  for (let n = 0; n < batch; n++) {
    for (let j = 0; j < hidden; j++) {
      if ((pass.h[n * hidden + j] as number) <= 0) continue;
      const d = dh[n * hidden + j] as number;
      gb1[j] = (gb1[j] as number) + d;
      const xo = n * 784;
      const wo = j * 784;
      for (let k = 0; k < 784; k++) gw1[wo + k] = (gw1[wo + k] as number) + d * (x[xo + k] as number);
    }
  }
  return { w1: gw1, b1: gb1, w2: gw2, b2: gb2 };
}

/** Adam state for one parameter array. */
export function createAdam(size: number, lr: number): (p: Float32Array, g: Float32Array) => void {
  const m = new Float32Array(size);
  const v = new Float32Array(size);
  let t = 0;
  const b1 = 0.9;
  const b2 = 0.999;
  return (p, g) => {
    t++;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (let i = 0; i < size; i++) {
      const gi = g[i] as number;
      m[i] = b1 * (m[i] as number) + (1 - b1) * gi;
      v[i] = b2 * (v[i] as number) + (1 - b2) * gi * gi;
      p[i] = (p[i] as number) - (lr * ((m[i] as number) / c1)) / (Math.sqrt((v[i] as number) / c2) + 1e-8);
    }
  };
}

export function accuracy(logits: Float32Array, labels: Uint8Array, count: number): number {
  let ok = 0;
  for (let n = 0; n < count; n++) {
    let best = 0;
    for (let o = 1; o < 10; o++) if ((logits[n * 10 + o] as number) > (logits[n * 10 + best] as number)) best = o;
    if (best === labels[n]) ok++;
  }
  return ok / count;
}

/** The examples [start, start + size) of a shuffled order, gathered into one batch. */
export function gather(
  images: Float32Array,
  labels: Uint8Array,
  order: Int32Array,
  start: number,
  size: number,
): { x: Float32Array; y: Uint8Array } {
  const x = new Float32Array(size * 784);
  const y = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const idx = order[(start + i) % order.length] as number;
    x.set(images.subarray(idx * 784, idx * 784 + 784), i * 784);
    y[i] = labels[idx] as number;
  }
  return { x, y };
}

export function shuffled(count: number, seed: number): Int32Array {
  const rnd = createRandom(seed);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rnd.uniform() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}
