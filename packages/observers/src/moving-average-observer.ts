import { QuantError } from '@lowbit/dtypes';
import type { Tensor } from '@lowbit/kernels';
import type { Observer } from './observer.js';
import { BaseObserver } from './_internal/base-observer.js';
import { channelMinMax, tensorMinMax } from './_internal/batch-stats.js';
import { axisOption, checkChannels, checkOrdered, readFiniteArray } from './_internal/range-state.js';

/** Options of {@link createMovingAverageObserver}. */
export interface MovingAverageObserverOptions {
  /** Channel axis for per-channel ranges (negative counts from the end); omit for one per-tensor range. */
  readonly axis?: number;
  /** Weight `c` of the newest batch in `m <- m + c (batch - m)`, in (0, 1]. @defaultValue 0.01 */
  readonly averagingConstant?: number;
}

/** @internal */
export class MovingAverageObserver extends BaseObserver {
  readonly kind = 'moving_average';
  private readonly c: number;
  private min: Float64Array = new Float64Array(0);
  private max: Float64Array = new Float64Array(0);
  /** Min/max of the first batch: what makes an exact "then" merge possible. */
  private firstMin: Float64Array = new Float64Array(0);
  private firstMax: Float64Array = new Float64Array(0);

  constructor(options: Readonly<Record<string, unknown>>, axis: number | null, c: number) {
    super(options, axis);
    this.c = c;
  }

  protected accept(tensor: Tensor, axis: number | null, where: string): void {
    const [lo, hi] = (
      axis === null
        ? tensorMinMax(tensor.data, where).map((v) => Float64Array.of(v))
        : channelMinMax(tensor, axis, where)
    ) as [Float64Array, Float64Array];
    if (this.batches === 0) {
      this.min = lo;
      this.max = hi;
      this.firstMin = lo.slice();
      this.firstMax = hi.slice();
      return;
    }
    checkChannels(this.min.length, lo.length, where, 'OBSERVER_INVALID_ARGUMENT');
    const c = this.c;
    for (let i = 0; i < lo.length; i++) {
      const m = this.min[i] as number;
      const M = this.max[i] as number;
      this.min[i] = m + c * ((lo[i] as number) - m);
      this.max[i] = M + c * ((hi[i] as number) - M);
    }
  }

  protected computeRange(): { min: Float64Array; max: Float64Array } {
    return { min: this.min.slice(), max: this.max.slice() };
  }

  /**
   * Continuation: the result is the average this observer would hold after also seeing `other`'s batches, in
   * order, after its own. With n batches in `other` and `b1` its first batch:
   * `m = m_other + (1 - c)^n (m_this - b1)`.
   */
  protected mergeStats(other: this, where: string): void {
    if (this.batches === 0) {
      this.min = other.min.slice();
      this.max = other.max.slice();
      this.firstMin = other.firstMin.slice();
      this.firstMax = other.firstMax.slice();
      return;
    }
    checkChannels(this.min.length, other.min.length, where, 'OBSERVER_MERGE_MISMATCH');
    const decay = (1 - this.c) ** other.batches;
    for (let i = 0; i < this.min.length; i++) {
      this.min[i] = (other.min[i] as number) + decay * ((this.min[i] as number) - (other.firstMin[i] as number));
      this.max[i] = (other.max[i] as number) + decay * ((this.max[i] as number) - (other.firstMax[i] as number));
    }
  }

  protected resetStats(): void {
    this.min = new Float64Array(0);
    this.max = new Float64Array(0);
    this.firstMin = new Float64Array(0);
    this.firstMax = new Float64Array(0);
  }

  protected statsState(): Record<string, unknown> {
    return {
      min: Array.from(this.min),
      max: Array.from(this.max),
      firstMin: Array.from(this.firstMin),
      firstMax: Array.from(this.firstMax),
    };
  }

  protected loadStats(state: Readonly<Record<string, unknown>>, where: string): void {
    const min = readFiniteArray(state['min'], this.axisOption === null ? 1 : null, 'min', where);
    const max = readFiniteArray(state['max'], min.length, 'max', where);
    const firstMin = readFiniteArray(state['firstMin'], min.length, 'firstMin', where);
    const firstMax = readFiniteArray(state['firstMax'], min.length, 'firstMax', where);
    checkOrdered(min, max, where);
    checkOrdered(firstMin, firstMax, where);
    this.min = min;
    this.max = max;
    this.firstMin = firstMin;
    this.firstMax = firstMax;
  }
}

/**
 * Exponential moving average of per-batch minima and maxima (PyTorch's `MovingAverageMinMaxObserver`,
 * coreai-opt's `moving_average` calculator): the first batch sets the range, then each batch moves it by
 * `m <- m + c (batch_min - m)` (same for the max) with `c = 0.01`. Per-tensor, or per-channel with `axis`.
 *
 * An average depends on batch order, so `a.merge(b)` means "b's batches came after a's": the result equals
 * observing a's batches then b's in one observer (up to float rounding). It is not commutative.
 *
 * @example
 * ```ts
 * const obs = createMovingAverageObserver({ averagingConstant: 0.5 });
 * obs.observe({ data: Float32Array.of(0, 4), shape: [2] });
 * obs.observe({ data: Float32Array.of(-2, 2), shape: [2] });
 * obs.range(); // min [-1], max [3]
 * ```
 */
export function createMovingAverageObserver(options: MovingAverageObserverOptions = {}): Observer {
  const where = 'createMovingAverageObserver';
  const axis = axisOption(options.axis, where);
  const c = options.averagingConstant ?? 0.01;
  if (typeof c !== 'number' || !(c > 0 && c <= 1)) {
    throw new QuantError('OBSERVER_INVALID_ARGUMENT', `${where}: averagingConstant ${String(c)} must be in (0, 1]`);
  }
  return new MovingAverageObserver(axis === null ? { averagingConstant: c } : { axis, averagingConstant: c }, axis, c);
}
