import { QuantError } from '@lowbit/dtypes';
import type { DTypeRegistry } from '@lowbit/dtypes';
import type { QuantizationSpec } from '@lowbit/spec';
import { rne } from './_internal/round.js';
import { floorLog2, roundScale } from './_internal/scale-rounding.js';
import { specContext } from './_internal/spec-context.js';
import type { SpecContext } from './_internal/spec-context.js';

/**
 * Quantization parameters for a tensor: one scale (and zero point or minval) per block, row-major over the
 * block grid `shape[i] / blockShape[i]`.
 */
export interface QParams {
  /** Block size per dimension. */
  readonly blockShape: readonly number[];
  /** One scale per block, already rounded to the spec's scale dtype. Always finite and > 0. */
  readonly scales: Float32Array;
  /** Integer zero points in [qmin, qmax], present in the zp formulation when any is not 0. */
  readonly zeroPoints?: Int32Array;
  /** Minimum values, present in the minval formulation. */
  readonly minvals?: Float32Array;
}

/**
 * Computes quantization parameters from known ranges: `min[b]` and `max[b]` for each block `b` (row-major over
 * the block grid). The spec's `floatRange` pins replace observed ends; zero is always kept representable.
 *
 * - symmetric / symmetric_with_clipping (integers): `s = amax / ((qmax - qmin) / 2)`,
 *   `zp = floor((qmax + qmin + 1) / 2)` (0 for signed, 128 for uint8, 127 for clipped uint8);
 * - asymmetric: `s = (max - min) / (qmax - qmin)`, `zp = clamp(qmin - round(min / s), qmin, qmax)`;
 * - minval: `s = (hi - lo) / (qmax - qmin)`, `minval = lo` with `[lo, hi]` as above;
 * - float dtypes: `s = amax / maxFinite`.
 *
 * A block whose range is zero gets scale 1 (exact reconstruction of its zeros). A constant block (min == max,
 * nothing pinned) gets a scale of `|c| / 2^k` that puts `c` exactly on a code, so with float32 scales it
 * reconstructs exactly. Scales are rounded to `spec.scaleDtype` and never below 2^-126, so quantization can
 * never produce NaN or Inf.
 *
 * @throws QuantError `KERNELS_INVALID_ARGUMENT` for mismatched lengths, NaN ranges or min > max.
 */
export function qparamsFromRange(
  min: ArrayLike<number>,
  max: ArrayLike<number>,
  spec: QuantizationSpec,
  blockShape: readonly number[],
  registry?: DTypeRegistry,
): QParams {
  const where = 'qparamsFromRange';
  const ctx = specContext(spec, where, registry);
  if (min.length !== max.length) {
    throw new QuantError(
      'KERNELS_INVALID_ARGUMENT',
      `${where}: min has ${min.length} entries but max has ${max.length}; give one of each per block`,
    );
  }
  const writer = createParamWriter(ctx, min.length, where);
  setAll(writer, min, max);
  return writer.finish(blockShape);
}

/**
 * `writer.set` for every block. A function of its own: V8 optimizes it whole, where the same loop inside
 * qparamsFromRange was compiled on the fly and thrown away at the first code after the loop, on every call.
 */
function setAll(writer: ParamWriter, min: ArrayLike<number>, max: ArrayLike<number>): void {
  for (let b = 0; b < min.length; b++) writer.set(b, min[b] as number, max[b] as number);
}

/** @internal Fills per-block parameters one block at a time (shared by qparamsFromRange and fused quantization). */
export interface ParamWriter {
  readonly scales: Float32Array;
  readonly zeroPoints: Int32Array | undefined;
  readonly minvals: Float32Array | undefined;
  /** Computes block `b`'s parameters from its observed range. */
  set(b: number, min: number, max: number): void;
  /** The finished parameters (zero points dropped when all are 0). */
  finish(blockShape: readonly number[]): QParams;
}

/** @internal Creates a {@link ParamWriter} for `n` blocks of a resolved spec. */
export function createParamWriter(ctx: SpecContext, n: number, where: string): ParamWriter {
  const spec = ctx.spec;
  const scales = new Float32Array(n);
  const zeroPoints = ctx.minval || ctx.isFloat ? undefined : new Int32Array(n);
  const minvals = ctx.minval ? new Float32Array(n) : undefined;
  const pinLo = spec.floatRange?.[0] ?? null;
  const pinHi = spec.floatRange?.[1] ?? null;
  const levels = ctx.qmax - ctx.qmin;
  const set = (b: number, min: number, max: number): void => {
    let lo = pinLo ?? min;
    let hi = pinHi ?? max;
    if (lo === Infinity && hi === -Infinity) {
      // A block with nothing observed (all NaN under the saturate policy, say): represent it as [0, 0].
      lo = 0;
      hi = 0;
    }
    if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) {
      throw new QuantError(
        'KERNELS_INVALID_ARGUMENT',
        `${where}: block ${b} has range [${lo}, ${hi}]; a range needs finite min <= max`,
      );
    }
    if (lo === hi && lo !== 0 && Number.isFinite(lo) && pinLo === null && pinHi === null) {
      setConstantBlock(ctx, b, lo, scales, zeroPoints, minvals);
      return;
    }
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      throw new QuantError(
        'KERNELS_INVALID_ARGUMENT',
        `${where}: block ${b} has an infinite range [${lo}, ${hi}]; ranges must be finite`,
      );
    }
    const amax = Math.max(-lo, hi);
    if (ctx.isFloat) {
      const raw = amax > 0 ? amax / ctx.maxFinite : 1;
      scales[b] = roundScale(raw, ctx.scaleDtype, amax, ctx.maxFinite, true);
      return;
    }
    const symmetric = !ctx.asymmetric;
    const rlo = symmetric ? -amax : lo;
    const rhi = symmetric ? amax : hi;
    const width = rhi - rlo;
    const scale = roundScale(width > 0 ? width / levels : 1, ctx.scaleDtype, amax, ctx.maxFinite, false);
    scales[b] = scale;
    if (minvals) {
      minvals[b] = width > 0 ? rlo : 0;
    } else if (zeroPoints) {
      if (symmetric) {
        zeroPoints[b] = ctx.symmetricZeroPoint;
      } else {
        const z = ctx.qmin - rne(Math.max(-(2 ** 40), rlo / scale));
        zeroPoints[b] = Math.min(ctx.qmax, Math.max(ctx.qmin, z));
      }
    }
  };
  const finish = (blockShape: readonly number[]): QParams => {
    const result: {
      blockShape: readonly number[];
      scales: Float32Array;
      zeroPoints?: Int32Array;
      minvals?: Float32Array;
    } = { blockShape: [...blockShape], scales };
    if (zeroPoints && anyNonZero(zeroPoints)) result.zeroPoints = zeroPoints;
    if (minvals) result.minvals = minvals;
    return result;
  };
  return { scales, zeroPoints, minvals, set, finish };
}

/** True when some entry is not 0 (a plain loop: `some` with a callback costs ~5 ns per block). */
function anyNonZero(values: Int32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return true;
  return false;
}

/** Largest power of two <= n (n >= 1). */
function powerOfTwoAtMost(n: number): number {
  return 2 ** floorLog2(n);
}

/** Parameters that put the constant `c` of block `b` exactly on a code. */
function setConstantBlock(
  ctx: SpecContext,
  b: number,
  c: number,
  scales: Float32Array,
  zeroPoints: Int32Array | undefined,
  minvals: Float32Array | undefined,
): void {
  const magnitude = Math.abs(c);
  let steps: number;
  if (ctx.isFloat) {
    steps = powerOfTwoAtMost(ctx.maxFinite);
  } else if (minvals) {
    steps = powerOfTwoAtMost(ctx.qmax - ctx.qmin);
    minvals[b] = c > 0 ? 0 : c;
  } else if (ctx.asymmetric) {
    steps = powerOfTwoAtMost(ctx.qmax - ctx.qmin);
    if (zeroPoints) zeroPoints[b] = c > 0 ? ctx.qmin : ctx.qmax;
  } else {
    const z = ctx.symmetricZeroPoint;
    steps = powerOfTwoAtMost(c > 0 ? ctx.qmax - z : z - ctx.qmin);
    if (zeroPoints) zeroPoints[b] = z;
  }
  scales[b] = roundScale(magnitude / steps, ctx.scaleDtype, magnitude, ctx.maxFinite, ctx.isFloat);
}
