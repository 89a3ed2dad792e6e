import { getDType, QuantError } from '@lowbit/dtypes';
import type { FloatDType } from '@lowbit/dtypes';
import { chooseQParams, fakeQuantize } from '@lowbit/kernels';
import type { QParams, Tensor } from '@lowbit/kernels';
import type { ObserverOptions } from '@lowbit/observers';
import { quantRange, resolveBlockShape, resolveGranularityAxes, validateSpec } from '@lowbit/spec';
import type { OpKind, QuantizationSpec } from '@lowbit/spec';
import { blockCount, blockIndexOf } from './_internal/block-index.js';
import { createRangeTracker } from './_internal/range-tracker.js';
import type { RangeTracker } from './_internal/range-tracker.js';
import { MIN_LEARNED_SCALE, roundLearnedScale } from './_internal/scale-rounding.js';

/**
 * How a fake quantizer's parameters are trained.
 * - `none`: the scale (and offset) come from the observer only; gradients reach the input alone (STE).
 * - `lsq`: the scale is learned (Learned Step Size Quantization); the offset stays as the observer set it.
 * - `lsq_plus`: the scale and the offset (zero point or minval) are learned (LSQ+); needs an `asymmetric` spec
 *   or the `minval` formulation.
 */
export type ScaleLearning = 'none' | 'lsq' | 'lsq_plus';

/** Options of {@link createFakeQuantizer}. */
export interface FakeQuantizerOptions {
  /** How the tensor is quantized. Dtypes of 8 bits or fewer (int2..int8, uint*, float8/6/4). */
  readonly spec: QuantizationSpec;
  /** Op kind of the consumer, which picks the default per-channel / per-block axes. @defaultValue `'other'` */
  readonly opKind?: OpKind | (string & {});
  /** Range observer (from `@lowbit/observers`). Per-block specs accept `minmax` and `moving_average` only. @defaultValue `{ kind: 'moving_average', averagingConstant: 0.01 }` */
  readonly observer?: ObserverOptions;
  /** Parameter learning mode. @defaultValue `'none'` */
  readonly learning?: ScaleLearning;
  /**
   * Factor applied to the scale and offset gradients. `'auto'` is LSQ's `1 / sqrt(N * Q_P)` with `N` the number
   * of elements sharing the parameter (elements per block of the tensor given to `backward`) and `Q_P` the
   * number of positive quantization levels (see docs/qat.md). @defaultValue `'auto'`
   */
  readonly gradScale?: 'auto' | number;
  /** Turn the observer off after its first observed batch (LSQ initialisation). @defaultValue false */
  readonly observeOnce?: boolean;
}

/** Options of {@link FakeQuantizer.forward}. */
export interface FakeQuantizerForwardOptions {
  /** Feed the observer with this tensor first (when the observer is enabled and the quantizer is training). @defaultValue true */
  readonly observe?: boolean;
}

/** Gradients from {@link FakeQuantizer.backward}. */
export interface FakeQuantizerGradients {
  /** Gradient of the loss with respect to the input (straight-through, zero where the input was clamped). */
  readonly input: Float32Array;
  /** Gradient per block for the scale, gradient scale applied (`lsq`, `lsq_plus`). */
  readonly scales?: Float32Array;
  /** Gradient per block for the zero point (zp formulation) or minval (minval formulation), gradient scale applied (`lsq_plus`). */
  readonly offsets?: Float32Array;
}

/**
 * A fake quantizer for one tensor (a weight or an activation point): quantize-then-dequantize forward through
 * `@lowbit/kernels`' `fakeQuantize` with the current parameters, straight-through backward, optional learned
 * scale and offset (LSQ / LSQ+), and an observer that sets the parameters while it is enabled.
 */
export interface FakeQuantizer {
  /** The spec, granularity axis resolved once a shape is known. */
  readonly spec: QuantizationSpec;
  /** Op kind used to resolve default axes. */
  readonly opKind: string;
  /** Parameter learning mode. */
  readonly learning: ScaleLearning;
  /** Whether forward feeds the observer (the schedule toggles it). */
  observerEnabled: boolean;
  /** Whether forward quantizes; when false forward and backward are the identity. */
  fakeQuantEnabled: boolean;
  /** Training mode; observation happens only while training. @defaultValue true */
  training: boolean;
  /** Number of batches the observer has seen. */
  readonly observed: number;
  /** Number of blocks (parameter sets), or null before the first tensor fixed the block grid. */
  readonly numBlocks: number | null;
  /** The current parameters (scales rounded to the spec's scale dtype, integer zero points), or null before any were set. */
  qparams(): QParams | null;
  /** Replaces the parameters (copied). Scales must be finite and positive, one per block. */
  setQParams(qparams: QParams): void;
  /** Replaces the continuous scales (the learned parameter) with `scales`, one per block. */
  setScales(scales: ArrayLike<number>): void;
  /** Replaces the continuous offsets (zero points as reals, or minvals), one per block. */
  setOffsets(offsets: ArrayLike<number>): void;
  /** The continuous scales (a copy), or null before any were set. */
  scales(): Float64Array | null;
  /** The continuous offsets (a copy): zero points (zp) or minvals; null for float dtypes or before any were set. */
  offsets(): Float64Array | null;
  /** Feeds the observer with `x` and refreshes the parameters from it (whatever the flags say). */
  observe(x: Tensor): void;
  /** Fake-quantized `x` (a new tensor), or `x` itself when fake quantization is disabled. */
  forward(x: Tensor, options?: FakeQuantizerForwardOptions): Tensor;
  /** Gradients for the input (and learned parameters) given the output gradient and the forward input `x`. */
  backward(gradOut: ArrayLike<number>, x: Tensor): FakeQuantizerGradients;
  /** One plain SGD update of the learned parameters: `p <- p - learningRate * grad` (scales kept positive). */
  applyGradients(gradients: FakeQuantizerGradients, learningRate: number): void;
}

interface Facts {
  readonly isFloat: boolean;
  readonly minval: boolean;
  readonly asymmetric: boolean;
  readonly qmin: number;
  readonly qmax: number;
  readonly implicitZeroPoint: number;
  /** Positive quantization levels Q_P of the LSQ gradient scale. */
  readonly positiveLevels: number;
}

function specFacts(spec: QuantizationSpec, where: string): Facts {
  try {
    validateSpec(spec);
  } catch (error) {
    throw new QuantError('QAT_INVALID_ARGUMENT', `${where}: ${(error as Error).message}`, { cause: error });
  }
  const dtype = getDType(spec.dtype);
  if (dtype.bits > 8) {
    throw new QuantError(
      'QAT_INVALID_ARGUMENT',
      `${where}: dtype ${dtype.name} has ${dtype.bits}-bit codes; fake quantization targets dtypes of 8 bits or fewer`,
    );
  }
  const { qmin, qmax } = quantRange(spec);
  const isFloat = dtype.kind === 'float';
  const minval = spec.qformulation === 'minval';
  const asymmetric = spec.qscheme === 'asymmetric';
  const implicitZeroPoint = isFloat || asymmetric ? 0 : Math.floor((qmax + qmin + 1) / 2);
  let positiveLevels: number;
  if (isFloat) positiveLevels = (dtype as FloatDType).maxFinite;
  else if (minval || asymmetric) positiveLevels = qmax - qmin;
  else positiveLevels = qmax - implicitZeroPoint;
  return { isFloat, minval, asymmetric, qmin, qmax, implicitZeroPoint, positiveLevels };
}

function isTensor(x: unknown): x is Tensor {
  return (
    typeof x === 'object' &&
    x !== null &&
    (x as Tensor).data instanceof Float32Array &&
    Array.isArray((x as Tensor).shape) &&
    (x as Tensor).shape.every((d) => Number.isInteger(d) && d > 0) &&
    (x as Tensor).shape.reduce((n, d) => n * d, 1) === (x as Tensor).data.length
  );
}

/**
 * Creates a {@link FakeQuantizer}. The block grid is fixed by the first tensor seen (weights: their shape;
 * activations: per-tensor specs accept any shape, per-channel specs any shape with the same channel count).
 *
 * @example
 * ```ts
 * const fq = createFakeQuantizer({ spec: getPreset('w4').global!, opKind: 'linear', learning: 'lsq' });
 * const y = fq.forward(w);                 // observes w, then quantize-dequantize
 * const g = fq.backward(dLdy, w);          // g.input (STE), g.scales (LSQ)
 * fq.applyGradients(g, 1e-3);
 * ```
 * @throws QuantError `QAT_INVALID_ARGUMENT` for an invalid spec, a dtype wider than 8 bits, `lsq_plus` with a
 * spec that has no offset to learn, or a bad gradient scale.
 */
export function createFakeQuantizer(options: FakeQuantizerOptions): FakeQuantizer {
  const where = 'createFakeQuantizer';
  if (typeof options !== 'object' || options === null) {
    throw new QuantError('QAT_INVALID_ARGUMENT', `${where}: expected options { spec, ... }`);
  }
  const baseSpec = options.spec;
  const facts = specFacts(baseSpec, where);
  const opKind = options.opKind ?? 'other';
  const learning = options.learning ?? 'none';
  if (learning !== 'none' && learning !== 'lsq' && learning !== 'lsq_plus') {
    throw new QuantError(
      'QAT_INVALID_ARGUMENT',
      `${where}: learning '${String(learning)}' is not one of 'none', 'lsq', 'lsq_plus'`,
    );
  }
  const hasOffset = !facts.isFloat && (facts.minval || facts.asymmetric);
  if (learning === 'lsq_plus' && !hasOffset) {
    throw new QuantError(
      'QAT_INVALID_ARGUMENT',
      `${where}: 'lsq_plus' learns an offset, but spec ${baseSpec.dtype} ${baseSpec.qscheme}/${baseSpec.qformulation} ` +
        `has a fixed zero point; use an asymmetric or minval spec, or learning 'lsq'`,
    );
  }
  const gradScaleOption = options.gradScale ?? 'auto';
  if (
    gradScaleOption !== 'auto' &&
    !(typeof gradScaleOption === 'number' && gradScaleOption >= 0 && gradScaleOption < Infinity)
  ) {
    throw new QuantError(
      'QAT_INVALID_ARGUMENT',
      `${where}: gradScale ${String(gradScaleOption)} must be 'auto' or a finite number >= 0`,
    );
  }
  const observerOptions: ObserverOptions = options.observer ?? { kind: 'moving_average', averagingConstant: 0.01 };
  const observeOnce = options.observeOnce === true;

  let spec: QuantizationSpec = baseSpec;
  let tracker: RangeTracker | null = null;
  let numBlocks: number | null = null;
  let scales: Float64Array | null = null;
  let offsets: Float64Array | null = null;
  let cached: QParams | null = null;
  // Block shape and block index per input shape (activations change batch size between calls).
  const geometry = new Map<string, { blockShape: number[]; blockOf: Int32Array | null }>();
  let lastBlockShape: readonly number[] = [];

  const scaleDtype = baseSpec.scaleDtype ?? 'float32';

  function geometryOf(shape: readonly number[], fn: string): { blockShape: number[]; blockOf: Int32Array | null } {
    const key = shape.join(',');
    let g = geometry.get(key);
    if (g === undefined) {
      let blockShape: number[];
      try {
        blockShape = resolveBlockShape(baseSpec, shape, opKind);
      } catch (error) {
        throw new QuantError('QAT_INVALID_ARGUMENT', `${fn}: ${(error as Error).message}`, { cause: error });
      }
      const n = blockCount(shape, blockShape);
      if (numBlocks === null) {
        numBlocks = n;
        spec = resolveGranularityAxes(baseSpec, shape, opKind);
      } else if (n !== numBlocks) {
        throw new QuantError(
          'QAT_INVALID_ARGUMENT',
          `${fn}: shape [${shape.join(', ')}] splits into ${n} blocks under ${describeGranularity(baseSpec)}, but this ` +
            `quantizer has ${numBlocks} parameter sets; give tensors with the same block grid`,
        );
      }
      g = { blockShape, blockOf: null };
      if (geometry.size > 16) geometry.clear();
      geometry.set(key, g);
    }
    lastBlockShape = g.blockShape;
    return g;
  }

  function blockOfFor(shape: readonly number[], fn: string): { blockShape: number[]; blockOf: Int32Array } {
    const g = geometryOf(shape, fn);
    if (g.blockOf === null) g.blockOf = blockIndexOf(shape, g.blockShape);
    return g as { blockShape: number[]; blockOf: Int32Array };
  }

  function channelAxisOf(): number | null {
    const g = spec.granularity;
    return g.type === 'per_channel' ? (g.axis ?? 0) : null;
  }

  function adopt(qp: QParams): void {
    const n = qp.scales.length;
    scales = Float64Array.from(qp.scales);
    if (hasOffset) {
      if (facts.minval) offsets = qp.minvals ? Float64Array.from(qp.minvals) : new Float64Array(n);
      else
        offsets = qp.zeroPoints ? Float64Array.from(qp.zeroPoints) : new Float64Array(n).fill(facts.implicitZeroPoint);
    } else if (!facts.isFloat) {
      offsets = qp.zeroPoints ? Float64Array.from(qp.zeroPoints) : new Float64Array(n).fill(facts.implicitZeroPoint);
    } else {
      offsets = null;
    }
    cached = null;
  }

  function current(blockShape: readonly number[]): QParams {
    if (scales === null) throw new QuantError('QAT_INVALID_ARGUMENT', 'fake quantizer: no parameters yet');
    if (cached !== null && sameShape(cached.blockShape, blockShape)) return cached;
    const n = scales.length;
    const s32 = new Float32Array(n);
    for (let b = 0; b < n; b++) s32[b] = roundLearnedScale(scales[b] as number, scaleDtype);
    const result: {
      blockShape: readonly number[];
      scales: Float32Array;
      zeroPoints?: Int32Array;
      minvals?: Float32Array;
    } = {
      blockShape: [...blockShape],
      scales: s32,
    };
    if (facts.minval) {
      result.minvals = Float32Array.from(offsets ?? new Float64Array(n));
    } else if (!facts.isFloat && offsets !== null) {
      const zp = new Int32Array(n);
      let any = false;
      for (let b = 0; b < n; b++) {
        const z = Math.min(facts.qmax, Math.max(facts.qmin, roundHalfEven(offsets[b] as number)));
        zp[b] = z;
        if (z !== 0) any = true;
      }
      if (any) result.zeroPoints = zp;
    }
    cached = result;
    return result;
  }

  function observeTensor(x: Tensor, fn: string): void {
    const g = geometryOf(x.shape, fn);
    if (tracker === null) tracker = createRangeTracker(spec, channelAxisOf(), observerOptions, fn);
    tracker.observe(x, g.blockShape);
    adopt(tracker.qparams(spec, x.shape, g.blockShape));
    if (observeOnce) self.observerEnabled = false;
  }

  function checkInput(x: Tensor, fn: string): void {
    if (!isTensor(x)) {
      throw new QuantError(
        'QAT_INVALID_ARGUMENT',
        `${fn}: expected a tensor { data: Float32Array, shape: positive integers } whose shape matches data.length`,
      );
    }
  }

  function ensureParams(x: Tensor, blockShape: readonly number[]): void {
    if (scales === null) adopt(chooseQParams(x, baseSpec, { blockShape }));
  }

  const self: FakeQuantizer = {
    get spec() {
      return spec;
    },
    opKind,
    learning,
    observerEnabled: true,
    fakeQuantEnabled: true,
    training: true,
    get observed() {
      return tracker?.count ?? 0;
    },
    get numBlocks() {
      return numBlocks;
    },
    qparams() {
      return scales === null ? null : current(lastBlockShape);
    },
    setQParams(qp) {
      const fn = 'FakeQuantizer.setQParams';
      if (typeof qp !== 'object' || qp === null || !(qp.scales instanceof Float32Array)) {
        throw new QuantError('QAT_INVALID_ARGUMENT', `${fn}: expected QParams { blockShape, scales, ... }`);
      }
      checkCount(qp.scales.length, fn);
      checkScales(qp.scales, fn);
      if (facts.minval && qp.minvals?.length !== qp.scales.length) {
        throw new QuantError('QAT_INVALID_ARGUMENT', `${fn}: the minval formulation needs one minval per scale`);
      }
      adopt(qp);
      if (numBlocks === null) numBlocks = qp.scales.length;
      if (lastBlockShape.length === 0) lastBlockShape = [...qp.blockShape];
    },
    setScales(values) {
      const fn = 'FakeQuantizer.setScales';
      checkCount(values.length, fn);
      checkScales(values, fn);
      if (scales === null || scales.length !== values.length) {
        scales = new Float64Array(values.length);
        if (!facts.isFloat) offsets = new Float64Array(values.length).fill(facts.implicitZeroPoint);
      }
      for (let b = 0; b < values.length; b++) scales[b] = values[b] as number;
      if (numBlocks === null) numBlocks = values.length;
      cached = null;
    },
    setOffsets(values) {
      const fn = 'FakeQuantizer.setOffsets';
      if (facts.isFloat) throw new QuantError('QAT_INVALID_ARGUMENT', `${fn}: float dtypes have no offset`);
      if (scales === null || values.length !== scales.length) {
        throw new QuantError(
          'QAT_INVALID_ARGUMENT',
          `${fn}: give ${scales?.length ?? 'the scales first, then'} offsets, one per block (got ${values.length})`,
        );
      }
      const next = Float64Array.from(values as ArrayLike<number>);
      if (next.some((v) => !Number.isFinite(v))) {
        throw new QuantError('QAT_INVALID_ARGUMENT', `${fn}: offsets must be finite`);
      }
      offsets = next;
      cached = null;
    },
    scales() {
      return scales === null ? null : scales.slice();
    },
    offsets() {
      return offsets === null || facts.isFloat ? null : offsets.slice();
    },
    observe(x) {
      checkInput(x, 'FakeQuantizer.observe');
      observeTensor(x, 'FakeQuantizer.observe');
    },
    forward(x, forwardOptions = {}) {
      const fn = 'FakeQuantizer.forward';
      checkInput(x, fn);
      const g = geometryOf(x.shape, fn);
      if (self.observerEnabled && self.training && forwardOptions.observe !== false) observeTensor(x, fn);
      if (!self.fakeQuantEnabled) return x;
      ensureParams(x, g.blockShape);
      return fakeQuantize(x, baseSpec, { qparams: current(g.blockShape) });
    },
    backward(gradOut, x) {
      const fn = 'FakeQuantizer.backward';
      checkInput(x, fn);
      if (gradOut === null || typeof gradOut !== 'object' || gradOut.length !== x.data.length) {
        throw new QuantError(
          'QAT_INVALID_ARGUMENT',
          `${fn}: gradOut has ${String((gradOut as ArrayLike<number> | null)?.length)} entries but x has ${x.data.length}; give one gradient per element`,
        );
      }
      const { blockShape, blockOf } = blockOfFor(x.shape, fn);
      const learnScale = learning !== 'none';
      const learnOffset = learning === 'lsq_plus';
      const n = numBlocks as number;
      if (!self.fakeQuantEnabled) {
        const input = Float32Array.from(gradOut);
        return withParams(input, learnScale ? new Float32Array(n) : null, learnOffset ? new Float32Array(n) : null);
      }
      ensureParams(x, blockShape);
      const qp = current(blockShape);
      const xhat = fakeQuantize(x, baseSpec, { qparams: qp }).data;
      return stePass(
        facts,
        x.data,
        xhat,
        gradOut,
        blockOf,
        qp,
        learnScale,
        learnOffset,
        gradScaleFor(x.data.length, n),
      );
    },
    applyGradients(gradients, learningRate) {
      const fn = 'FakeQuantizer.applyGradients';
      if (!(typeof learningRate === 'number' && Number.isFinite(learningRate))) {
        throw new QuantError(
          'QAT_INVALID_ARGUMENT',
          `${fn}: learningRate ${String(learningRate)} must be a finite number`,
        );
      }
      if (scales === null) return;
      const gs = gradients.scales;
      if (gs !== undefined) {
        checkCount(gs.length, fn);
        for (let b = 0; b < scales.length; b++) {
          const next = (scales[b] as number) - learningRate * (gs[b] as number);
          scales[b] = Number.isFinite(next) ? Math.max(next, MIN_LEARNED_SCALE) : (scales[b] as number);
        }
      }
      const go = gradients.offsets;
      if (go !== undefined && offsets !== null) {
        checkCount(go.length, fn);
        for (let b = 0; b < offsets.length; b++) {
          let next = (offsets[b] as number) - learningRate * (go[b] as number);
          if (!facts.minval) next = Math.min(facts.qmax, Math.max(facts.qmin, next));
          if (Number.isFinite(next)) offsets[b] = next;
        }
      }
      cached = null;
    },
  };

  function gradScaleFor(size: number, n: number): number {
    if (gradScaleOption !== 'auto') return gradScaleOption;
    return 1 / Math.sqrt((size / n) * facts.positiveLevels);
  }

  function checkCount(count: number, fn: string): void {
    if (numBlocks !== null && count !== numBlocks) {
      throw new QuantError(
        'QAT_INVALID_ARGUMENT',
        `${fn}: got ${count} values but this quantizer has ${numBlocks} blocks; give one per block`,
      );
    }
  }

  return self;
}

function checkScales(values: ArrayLike<number>, fn: string): void {
  for (let b = 0; b < values.length; b++) {
    const s = values[b] as number;
    if (!(s > 0 && s < Infinity)) {
      throw new QuantError('QAT_INVALID_ARGUMENT', `${fn}: scale ${b} is ${s}; scales must be finite and positive`);
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function describeGranularity(spec: QuantizationSpec): string {
  const g = spec.granularity;
  return g.type === 'per_block' ? `per_block ${JSON.stringify(g.blockSize)}` : g.type;
}

function withParams(
  input: Float32Array,
  scales: Float32Array | null,
  offsets: Float32Array | null,
): FakeQuantizerGradients {
  const out: { input: Float32Array; scales?: Float32Array; offsets?: Float32Array } = { input };
  if (scales !== null) out.scales = scales;
  if (offsets !== null) out.offsets = offsets;
  return out;
}

/**
 * One fused pass: input gradient (STE mask on the rounded, unclamped code) and per-block parameter gradients.
 * Inside the clamp range: dx = g, ds = g (xhat - x) / s, d(offset) = 0. Below / above: dx = 0,
 * ds = g (qmin - z) / g (qmax - z) (zp), 0 / g L (minval), g * sign * maxFinite (float);
 * d(zp) = -g s, d(minval) = g.
 */
function stePass(
  facts: Facts,
  x: Float32Array,
  xhat: Float32Array,
  gradOut: ArrayLike<number>,
  blockOf: Int32Array,
  qp: QParams,
  learnScale: boolean,
  learnOffset: boolean,
  gradScale: number,
): FakeQuantizerGradients {
  const size = x.length;
  const input = new Float32Array(size);
  const n = qp.scales.length;
  const ds = new Float64Array(n);
  const dOff = new Float64Array(n);
  const { qmin, qmax } = facts;
  const s = qp.scales;
  if (facts.isFloat) {
    const maxFinite = facts.positiveLevels;
    for (let i = 0; i < size; i++) {
      const b = blockOf[i] as number;
      const sb = s[b] as number;
      const g = gradOut[i] as number;
      const v = Math.fround((x[i] as number) / sb);
      if (v <= maxFinite && v >= -maxFinite) {
        input[i] = g;
        ds[b] = (ds[b] as number) + (g * ((xhat[i] as number) - (x[i] as number))) / sb;
      } else {
        ds[b] = (ds[b] as number) + g * (v > 0 ? maxFinite : -maxFinite);
      }
    }
  } else if (facts.minval) {
    const levels = qmax - qmin;
    const m = qp.minvals as Float32Array;
    for (let i = 0; i < size; i++) {
      const b = blockOf[i] as number;
      const sb = s[b] as number;
      const g = gradOut[i] as number;
      const r = roundHalfEven(((x[i] as number) - (m[b] as number)) / sb);
      if (r < 0) {
        dOff[b] = (dOff[b] as number) + g;
      } else if (r > levels) {
        ds[b] = (ds[b] as number) + g * levels;
        dOff[b] = (dOff[b] as number) + g;
      } else {
        input[i] = g;
        ds[b] = (ds[b] as number) + (g * ((xhat[i] as number) - (x[i] as number))) / sb;
      }
    }
  } else {
    const zps = qp.zeroPoints;
    const zDefault = facts.implicitZeroPoint;
    for (let i = 0; i < size; i++) {
      const b = blockOf[i] as number;
      const sb = s[b] as number;
      const z = zps ? (zps[b] as number) : zDefault;
      const g = gradOut[i] as number;
      const q = roundHalfEven((x[i] as number) / sb) + z;
      if (q < qmin) {
        ds[b] = (ds[b] as number) + g * (qmin - z);
        dOff[b] = (dOff[b] as number) - g * sb;
      } else if (q > qmax) {
        ds[b] = (ds[b] as number) + g * (qmax - z);
        dOff[b] = (dOff[b] as number) - g * sb;
      } else {
        input[i] = g;
        ds[b] = (ds[b] as number) + (g * ((xhat[i] as number) - (x[i] as number))) / sb;
      }
    }
  }
  let scales: Float32Array | null = null;
  let offsets: Float32Array | null = null;
  if (learnScale) {
    scales = new Float32Array(n);
    for (let b = 0; b < n; b++) scales[b] = (ds[b] as number) * gradScale;
  }
  if (learnOffset) {
    offsets = new Float32Array(n);
    for (let b = 0; b < n; b++) offsets[b] = (dOff[b] as number) * gradScale;
  }
  return withParams(input, scales, offsets);
}

/** 1.5 * 2^52: adding and subtracting it rounds to an integer, ties to even (|v| < 2^51). */
const RNE = 6755399441055744;

function roundHalfEven(v: number): number {
  if (!(v < 2 ** 51 && v > -(2 ** 51))) return v;
  return v + RNE - RNE;
}
