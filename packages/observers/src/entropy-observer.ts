import { getDType, QuantError } from '@lowbit/dtypes';
import type { QuantizationSpec } from '@lowbit/spec';
import type { Observer } from './observer.js';
import { clipSymmetric } from './_internal/clip-range.js';
import { specOption } from './_internal/default-spec.js';
import { binsOption, HistogramObserver, rejectAxis } from './_internal/histogram-observer.js';
import { klThreshold } from './_internal/kl-search.js';

/** Options of {@link createEntropyObserver}. */
export interface EntropyObserverOptions {
  /**
   * Number of quantized bins the candidate distributions are merged into. @defaultValue from the spec: half the
   * integer levels (128 for 8-bit, 8 for 4-bit), all levels for an asymmetric spec over non-negative data, 128
   * for float dtypes
   */
  readonly quantizedBins?: number;
  /** Spec used to derive `quantizedBins` when `range()` / `qparams()` get none. @defaultValue int8 symmetric per-tensor */
  readonly spec?: QuantizationSpec;
  /** Histogram capacity (even, 16 .. 2^20). @defaultValue 2048 */
  readonly bins?: number;
}

/** @internal */
export class EntropyObserver extends HistogramObserver {
  readonly kind = 'entropy';
  private readonly spec: QuantizationSpec;
  private readonly quantizedBins: number | null;

  constructor(spec: QuantizationSpec, bins: number, quantizedBins: number | null) {
    super(quantizedBins === null ? { spec, bins } : { spec, bins, quantizedBins }, bins);
    this.spec = spec;
    this.quantizedBins = quantizedBins;
  }

  private binsFor(spec: QuantizationSpec): number {
    if (this.quantizedBins !== null) return this.quantizedBins;
    const dt = getDType(spec.dtype);
    if (dt.kind === 'float') return 128;
    const levels = dt.qmax - dt.qmin + 1;
    if (spec.qscheme === 'asymmetric' && this.hist.min >= 0) return levels;
    return Math.max(2, Math.floor(levels / 2));
  }

  protected computeRange(spec: QuantizationSpec | undefined): { min: Float64Array; max: Float64Array } {
    const h = this.hist;
    const t = klThreshold(h, this.binsFor(spec ?? this.spec));
    const [lo, hi] = clipSymmetric(h.min, h.max, t);
    return { min: Float64Array.of(lo), max: Float64Array.of(hi) };
  }
}

/**
 * Entropy (KL-divergence) calibration as in TensorRT and ONNX Runtime: the threshold T whose clipped and
 * re-quantized |x| distribution stays closest, in KL divergence, to the observed one; the range is `[-T, T]`
 * clipped to the observed min/max. Per-tensor only; merging is exact (merged equals sequential).
 *
 * @example
 * ```ts
 * const obs = createEntropyObserver();
 * for (const batch of activations) obs.observe(batch);
 * obs.range(); // T <= max |x|
 * ```
 */
export function createEntropyObserver(options: EntropyObserverOptions = {}): Observer {
  const where = 'createEntropyObserver';
  rejectAxis(options, where);
  const qb = options.quantizedBins;
  if (qb !== undefined && (!Number.isInteger(qb) || qb < 2 || qb > 65536)) {
    throw new QuantError(
      'OBSERVER_INVALID_ARGUMENT',
      `${where}: quantizedBins ${String(qb)} must be an integer in [2, 65536]`,
    );
  }
  const spec = specOption(options.spec, where);
  try {
    getDType(spec.dtype);
  } catch (e) {
    throw new QuantError('OBSERVER_INVALID_ARGUMENT', `${where}: unknown spec dtype '${spec.dtype}'`, { cause: e });
  }
  return new EntropyObserver(spec, binsOption(options.bins, where), qb ?? null);
}
