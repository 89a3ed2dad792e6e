/**
 * The demo classifier's forward and backward passes, written out over Float32Arrays (no framework, no Node APIs),
 * the Adam optimizer that trains it, and the data shuffle and learning-rate schedule of its training loops. Used by
 * tools/train-fashion-mnist.ts (float training) and by the demo's QAT row (fine-tuning with fake-quantized weights):
 *
 *   image [N, 1, 28, 28] (raw pixels 0..255) -> (x / 255 - mean) / std
 *   -> conv 3x3, stride 2, pad 1, 1 -> 8 channels, relu      [N, 8, 14, 14]
 *   -> flatten [N, 1568] -> linear 1568 -> 64, relu -> linear 64 -> 10 (logits; softmax in the loss)
 *
 * Every pass runs single-threaded in a fixed order with float32 storage of each intermediate, so a seeded run
 * gives the same numbers on every machine.
 */

/** Input normalisation mean (of pixels / 255). */
export const CLASSIFIER_MEAN = 0.286;
/** Input normalisation standard deviation (of pixels / 255). */
export const CLASSIFIER_STD = 0.353;
/** Image side in pixels. */
export const CLASSIFIER_IMAGE_SIDE = 28;
/** Conv output channels. */
export const CLASSIFIER_CONV_CHANNELS = 8;
/** Conv output side (28 / stride 2). */
export const CLASSIFIER_CONV_SIDE = 14;
/** Flattened conv features (8 x 14 x 14). */
export const CLASSIFIER_FEATURES = CLASSIFIER_CONV_CHANNELS * CLASSIFIER_CONV_SIDE * CLASSIFIER_CONV_SIDE;
/** Hidden units of fc1 (a multiple of 4: the fc1 loop handles four outputs at a time). */
export const CLASSIFIER_HIDDEN = 64;
/** Output classes. */
export const CLASSIFIER_CLASSES = 10;

const PIXELS = CLASSIFIER_IMAGE_SIDE * CLASSIFIER_IMAGE_SIDE;
const SIDE = CLASSIFIER_IMAGE_SIDE;
const C1 = CLASSIFIER_CONV_CHANNELS;
const S = CLASSIFIER_CONV_SIDE;
const K = CLASSIFIER_FEATURES;
const H = CLASSIFIER_HIDDEN;
const CLASSES = CLASSIFIER_CLASSES;

/**
 * The conv's geometry (3x3 kernel, stride 2, padding 1), shared by the forward and the backward pass: entry
 * `o * 9 + t` is the input pixel `iy * 28 + ix` that kernel tap `t = ky * 3 + kx` reads for output position
 * `o = oy * 14 + ox` (`iy = 2 oy + ky - 1`, `ix = 2 ox + kx - 1`), or -1 where the tap falls in the zero padding.
 */
const CONV_TAPS: Int16Array = (() => {
  const taps = new Int16Array(S * S * 9);
  for (let oy = 0; oy < S; oy++) {
    for (let ox = 0; ox < S; ox++) {
      for (let ky = 0; ky < 3; ky++) {
        for (let kx = 0; kx < 3; kx++) {
          const iy = 2 * oy + ky - 1;
          const ix = 2 * ox + kx - 1;
          taps[(oy * S + ox) * 9 + ky * 3 + kx] = iy < 0 || iy >= SIDE || ix < 0 || ix >= SIDE ? -1 : iy * SIDE + ix;
        }
      }
    }
  }
  return taps;
})();

/**
 * The classifier's parameters in lowbit / Core ML layout: `convW` `[8, 1, 3, 3]`, `fc1W` `[64, 1568]`,
 * `fc2W` `[10, 64]` (`[out, in]`), biases one per output. Also used for gradients of the same shapes.
 */
export interface ClassifierParams {
  readonly convW: Float32Array;
  readonly convB: Float32Array;
  readonly fc1W: Float32Array;
  readonly fc1B: Float32Array;
  readonly fc2W: Float32Array;
  readonly fc2B: Float32Array;
}

/** Shapes of the {@link ClassifierParams} fields, in lowbit layout. */
export const CLASSIFIER_PARAM_SHAPES: Readonly<Record<keyof ClassifierParams, readonly number[]>> = {
  convW: [C1, 1, 3, 3],
  convB: [C1],
  fc1W: [H, K],
  fc1B: [H],
  fc2W: [CLASSES, H],
  fc2B: [CLASSES],
};

/** The parameters as a list, in the fixed order convW, convB, fc1W, fc1B, fc2W, fc2B. */
export function classifierParamList(p: ClassifierParams): Float32Array[] {
  return [p.convW, p.convB, p.fc1W, p.fc1B, p.fc2W, p.fc2B];
}

/** Zero-filled parameters (or gradients) of the classifier's shapes. */
export function zeroClassifierParams(): ClassifierParams {
  const size = (k: keyof ClassifierParams): number => CLASSIFIER_PARAM_SHAPES[k].reduce((a, d) => a * d, 1);
  return {
    convW: new Float32Array(size('convW')),
    convB: new Float32Array(size('convB')),
    fc1W: new Float32Array(size('fc1W')),
    fc1B: new Float32Array(size('fc1B')),
    fc2W: new Float32Array(size('fc2W')),
    fc2B: new Float32Array(size('fc2B')),
  };
}

/**
 * He-initialised parameters: normal draws times `sqrt(2 / fanIn)` for convW, then fc1W, then fc2W (in that order,
 * from `normal`), zero biases.
 */
export function initClassifierParams(normal: () => number): ClassifierParams {
  const he = (n: number, fanIn: number): Float32Array => {
    const a = new Float32Array(n);
    const s = Math.sqrt(2 / fanIn);
    for (let i = 0; i < n; i++) a[i] = normal() * s;
    return a;
  };
  return {
    convW: he(C1 * 9, 9),
    convB: new Float32Array(C1),
    fc1W: he(H * K, K),
    fc1B: new Float32Array(H),
    fc2W: he(CLASSES * H, H),
    fc2B: new Float32Array(CLASSES),
  };
}

/** Activation buffers for batches of up to `capacity` images (reused from step to step). */
export interface ClassifierWorkspace {
  readonly capacity: number;
  /** Normalised input `[capacity, 784]`. */
  readonly x: Float32Array;
  /** relu(conv) `[capacity, 1568]`. */
  readonly a1: Float32Array;
  /** relu(fc1) `[capacity, 64]`. */
  readonly h: Float32Array;
  /** fc2 output `[capacity, 10]`. */
  readonly logits: Float32Array;
  /** Gradient of the loss with respect to the logits (set by {@link softmaxCrossEntropy}). */
  readonly dlogits: Float32Array;
  readonly dh: Float32Array;
  readonly da1: Float32Array;
}

/** Buffers for batches of up to `capacity` images. */
export function createClassifierWorkspace(capacity: number): ClassifierWorkspace {
  return {
    capacity,
    x: new Float32Array(capacity * PIXELS),
    a1: new Float32Array(capacity * K),
    h: new Float32Array(capacity * H),
    logits: new Float32Array(capacity * CLASSES),
    dlogits: new Float32Array(capacity * CLASSES),
    dh: new Float32Array(capacity * H),
    da1: new Float32Array(capacity * K),
  };
}

/**
 * Forward pass of images `index[off] .. index[off + n - 1]` of `pixels` (IDX order, 784 bytes per image) with
 * parameters `p`; leaves the activations and the logits in `ws`.
 */
export function classifierForward(
  ws: ClassifierWorkspace,
  p: ClassifierParams,
  pixels: Uint8Array,
  index: ArrayLike<number>,
  n: number,
  off: number,
): void {
  const { x, a1, h, logits } = ws;
  for (let b = 0; b < n; b++) {
    const src = (index[off + b] as number) * PIXELS;
    for (let i = 0; i < PIXELS; i++)
      x[b * PIXELS + i] = ((pixels[src + i] as number) / 255 - CLASSIFIER_MEAN) / CLASSIFIER_STD;
  }
  const convW = p.convW;
  const convB = p.convB;
  for (let b = 0; b < n; b++) {
    const xo = b * PIXELS;
    for (let c = 0; c < C1; c++) {
      for (let o = 0; o < S * S; o++) {
        let s = convB[c] as number;
        for (let t = 0; t < 9; t++) {
          const i = CONV_TAPS[o * 9 + t] as number;
          if (i >= 0) s += (convW[c * 9 + t] as number) * (x[xo + i] as number);
        }
        a1[b * K + c * S * S + o] = s > 0 ? s : 0;
      }
    }
  }
  const w1 = p.fc1W;
  const b1 = p.fc1B;
  for (let b = 0; b < n; b++) {
    const xo = b * K;
    for (let o = 0; o < H; o += 4) {
      const w0 = o * K;
      let s0 = b1[o] as number;
      let s1 = b1[o + 1] as number;
      let s2 = b1[o + 2] as number;
      let s3 = b1[o + 3] as number;
      for (let k = 0; k < K; k++) {
        const v = a1[xo + k] as number;
        s0 += (w1[w0 + k] as number) * v;
        s1 += (w1[w0 + K + k] as number) * v;
        s2 += (w1[w0 + 2 * K + k] as number) * v;
        s3 += (w1[w0 + 3 * K + k] as number) * v;
      }
      h[b * H + o] = s0 > 0 ? s0 : 0;
      h[b * H + o + 1] = s1 > 0 ? s1 : 0;
      h[b * H + o + 2] = s2 > 0 ? s2 : 0;
      h[b * H + o + 3] = s3 > 0 ? s3 : 0;
    }
  }
  const w2 = p.fc2W;
  const b2 = p.fc2B;
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < CLASSES; o++) {
      let s = b2[o] as number;
      for (let k = 0; k < H; k++) s += (w2[o * H + k] as number) * (h[b * H + k] as number);
      logits[b * CLASSES + o] = s;
    }
  }
}

/**
 * Softmax cross-entropy of the logits in `ws` against `labels[index[off + b]]`: returns the loss summed over the
 * `n` images and leaves its gradient for the batch mean, `(softmax - onehot) / n`, in `ws.dlogits`.
 */
export function softmaxCrossEntropy(
  ws: ClassifierWorkspace,
  labels: Uint8Array,
  index: ArrayLike<number>,
  n: number,
  off: number,
): number {
  const { logits, dlogits } = ws;
  let loss = 0;
  for (let b = 0; b < n; b++) {
    let mx = -Infinity;
    for (let o = 0; o < CLASSES; o++) mx = Math.max(mx, logits[b * CLASSES + o] as number);
    let sum = 0;
    for (let o = 0; o < CLASSES; o++) {
      const e = Math.exp((logits[b * CLASSES + o] as number) - mx);
      dlogits[b * CLASSES + o] = e;
      sum += e;
    }
    const y = labels[index[off + b] as number] as number;
    loss -= Math.log((dlogits[b * CLASSES + y] as number) / sum);
    for (let o = 0; o < CLASSES; o++)
      dlogits[b * CLASSES + o] = ((dlogits[b * CLASSES + o] as number) / sum - (o === y ? 1 : 0)) / n;
  }
  return loss;
}

/**
 * Backward pass of the last {@link classifierForward} (same `p`, same `n`) from `ws.dlogits`: overwrites `grads`
 * with the gradients of the loss with respect to every parameter of `p`.
 */
export function classifierBackward(
  ws: ClassifierWorkspace,
  p: ClassifierParams,
  grads: ClassifierParams,
  n: number,
): void {
  const { x, a1, h, dlogits, dh, da1 } = ws;
  const { convW: gConvW, convB: gConvB, fc1W: gFc1W, fc1B: gFc1B, fc2W: gFc2W, fc2B: gFc2B } = grads;
  for (const g of classifierParamList(grads)) g.fill(0);
  dh.fill(0, 0, n * H);
  const w2 = p.fc2W;
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < CLASSES; o++) {
      const g = dlogits[b * CLASSES + o] as number;
      gFc2B[o] = (gFc2B[o] as number) + g;
      for (let k = 0; k < H; k++) {
        gFc2W[o * H + k] = (gFc2W[o * H + k] as number) + g * (h[b * H + k] as number);
        dh[b * H + k] = (dh[b * H + k] as number) + g * (w2[o * H + k] as number);
      }
    }
  }
  for (let i = 0; i < n * H; i++) if ((h[i] as number) <= 0) dh[i] = 0;
  da1.fill(0, 0, n * K);
  const w1 = p.fc1W;
  for (let b = 0; b < n; b++) {
    const xo = b * K;
    for (let o = 0; o < H; o++) {
      const g = dh[b * H + o] as number;
      if (g === 0) continue;
      gFc1B[o] = (gFc1B[o] as number) + g;
      const wo = o * K;
      for (let k = 0; k < K; k++) {
        gFc1W[wo + k] = (gFc1W[wo + k] as number) + g * (a1[xo + k] as number);
        da1[xo + k] = (da1[xo + k] as number) + g * (w1[wo + k] as number);
      }
    }
  }
  for (let b = 0; b < n; b++) {
    const xo = b * PIXELS;
    for (let c = 0; c < C1; c++) {
      for (let o = 0; o < S * S; o++) {
        const q = b * K + c * S * S + o;
        if ((a1[q] as number) <= 0) continue;
        const g = da1[q] as number;
        gConvB[c] = (gConvB[c] as number) + g;
        for (let t = 0; t < 9; t++) {
          const i = CONV_TAPS[o * 9 + t] as number;
          if (i >= 0) gConvW[c * 9 + t] = (gConvW[c * 9 + t] as number) + g * (x[xo + i] as number);
        }
      }
    }
  }
}

/** Index of the largest logit of image `b` of the last forward pass. */
export function classifierPrediction(ws: ClassifierWorkspace, b: number): number {
  const { logits } = ws;
  let best = 0;
  for (let o = 1; o < CLASSES; o++)
    if ((logits[b * CLASSES + o] as number) > (logits[b * CLASSES + best] as number)) best = o;
  return best;
}

/** Top-1 accuracy of parameters `p` on the first `count` images (default all) of an IDX image / label pair. */
export function classifierAccuracy(
  ws: ClassifierWorkspace,
  p: ClassifierParams,
  pixels: Uint8Array,
  labels: Uint8Array,
  count: number = labels.length,
): number {
  const index = Int32Array.from({ length: count }, (_, i) => i);
  let correct = 0;
  for (let off = 0; off < count; off += ws.capacity) {
    const n = Math.min(ws.capacity, count - off);
    classifierForward(ws, p, pixels, index, n, off);
    for (let b = 0; b < n; b++) if (classifierPrediction(ws, b) === labels[off + b]) correct++;
  }
  return correct / count;
}

/**
 * Shuffles a training order in place (Fisher-Yates from the last position down, one `uniform()` draw in [0, 1)
 * per position above 0): the same draws give the same order.
 */
export function shuffleOrder(order: Int32Array, uniform: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
}

/** Learning rate of step `step` (from 0) of `total`: `base` decayed to 0 along half a cosine. */
export function cosineLearningRate(base: number, step: number, total: number): number {
  return base * 0.5 * (1 + Math.cos((Math.PI * step) / total));
}

/** Options of {@link createAdam}. */
export interface AdamOptions {
  /** @defaultValue 0.9 */
  readonly beta1?: number;
  /** @defaultValue 0.999 */
  readonly beta2?: number;
  /** @defaultValue 1e-8 */
  readonly epsilon?: number;
}

/** Adam over a fixed list of parameter arrays. */
export interface Adam {
  /** Number of updates done so far. */
  readonly steps: number;
  /** One bias-corrected Adam update of every parameter with its gradient (same order and lengths). */
  step(grads: readonly Float32Array[], learningRate: number): void;
}

/** Adam (Kingma & Ba) with float32 moment buffers, updating `params` in place. */
export function createAdam(params: readonly Float32Array[], options: AdamOptions = {}): Adam {
  const b1 = options.beta1 ?? 0.9;
  const b2 = options.beta2 ?? 0.999;
  const eps = options.epsilon ?? 1e-8;
  const m = params.map((p) => new Float32Array(p.length));
  const v = params.map((p) => new Float32Array(p.length));
  let steps = 0;
  return {
    get steps() {
      return steps;
    },
    step(grads, learningRate) {
      steps++;
      const c1 = 1 - b1 ** steps;
      const c2 = 1 - b2 ** steps;
      for (let p = 0; p < params.length; p++) {
        const w = params[p] as Float32Array;
        const g = grads[p] as Float32Array;
        const mp = m[p] as Float32Array;
        const vp = v[p] as Float32Array;
        for (let i = 0; i < w.length; i++) {
          const gi = g[i] as number;
          mp[i] = b1 * (mp[i] as number) + (1 - b1) * gi;
          vp[i] = b2 * (vp[i] as number) + (1 - b2) * gi * gi;
          w[i] =
            (w[i] as number) - (learningRate * ((mp[i] as number) / c1)) / (Math.sqrt((vp[i] as number) / c2) + eps);
        }
      }
    },
  };
}
