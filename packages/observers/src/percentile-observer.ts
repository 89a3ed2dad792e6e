import { QuantError } from '@lowbit/dtypes';
import type { Observer } from './observer.js';
import { clipSymmetric } from './_internal/clip-range.js';
import { binsOption, HistogramObserver, rejectAxis } from './_internal/histogram-observer.js';

/** Options of {@link createPercentileObserver}. */
export interface PercentileObserverOptions {
  /** Percentile kept, in (0, 100]. @defaultValue 99.99 */
  readonly percentile?: number;
  /**
   * True: `T` = the percentile of |x| and the range is `[-T, T]` clipped to the observed min/max (ONNX Runtime's
   * default). False: `(100 - percentile) / 2` percent is cut from each tail.
   * @defaultValue true
   */
  readonly symmetric?: boolean;
  /** Histogram capacity (even, 16 .. 2^20). @defaultValue 2048 */
  readonly bins?: number;
}

/** @internal */
export class PercentileObserver extends HistogramObserver {
  readonly kind = 'percentile';
  private readonly q: number;
  private readonly symmetric: boolean;

  constructor(percentile: number, symmetric: boolean, bins: number) {
    super({ percentile, symmetric, bins }, bins);
    this.q = percentile / 100;
    this.symmetric = symmetric;
  }

  protected computeRange(): { min: Float64Array; max: Float64Array } {
    const h = this.hist;
    if (this.symmetric) {
      const t = h.absQuantile(this.q);
      const [lo, hi] = clipSymmetric(h.min, h.max, t);
      return { min: Float64Array.of(lo), max: Float64Array.of(hi) };
    }
    const cut = (1 - this.q) / 2;
    const lo = h.quantile(cut);
    const hi = Math.max(lo, h.quantile(1 - cut));
    return { min: Float64Array.of(lo), max: Float64Array.of(hi) };
  }
}

/**
 * Percentile calibration over a histogram (ONNX Runtime's `Percentile` calibrator): outliers beyond the chosen
 * percentile are clipped. Per-tensor only. The estimate is within one histogram bin of the exact sample
 * percentile (the bin width is at most 1/1024 of the observed span with the default 2048 bins).
 * Merging is exact: merged equals sequential.
 *
 * @example
 * ```ts
 * const obs = createPercentileObserver({ percentile: 99.9 });
 * for (const batch of activations) obs.observe(batch);
 * obs.range(); // { min: [lo], max: [hi], axis: null }
 * ```
 */
export function createPercentileObserver(options: PercentileObserverOptions = {}): Observer {
  const where = 'createPercentileObserver';
  rejectAxis(options, where);
  const p = options.percentile ?? 99.99;
  if (typeof p !== 'number' || !(p > 0 && p <= 100)) {
    throw new QuantError('OBSERVER_INVALID_ARGUMENT', `${where}: percentile ${String(p)} must be in (0, 100]`);
  }
  const symmetric = options.symmetric ?? true;
  if (typeof symmetric !== 'boolean') {
    throw new QuantError('OBSERVER_INVALID_ARGUMENT', `${where}: symmetric must be a boolean`);
  }
  return new PercentileObserver(p, symmetric, binsOption(options.bins, where));
}
