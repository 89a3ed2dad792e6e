import type { Tensor } from '@lowbit/kernels';
import type { Observer } from './observer.js';
import { BaseObserver } from './_internal/base-observer.js';
import { channelMinMax, tensorMinMax } from './_internal/batch-stats.js';
import { axisOption, checkChannels, checkOrdered, readFiniteArray } from './_internal/range-state.js';

/** Options of {@link createMinMaxObserver}. */
export interface MinMaxObserverOptions {
  /** Channel axis for per-channel ranges (negative counts from the end); omit for one per-tensor range. */
  readonly axis?: number;
}

/** @internal */
export class MinMaxObserver extends BaseObserver {
  readonly kind = 'minmax';
  private min: Float64Array = new Float64Array(0);
  private max: Float64Array = new Float64Array(0);

  protected accept(tensor: Tensor, axis: number | null, where: string): void {
    const [lo, hi] =
      axis === null
        ? tensorMinMax(tensor.data, where).map((v) => Float64Array.of(v))
        : channelMinMax(tensor, axis, where);
    if (this.batches === 0) {
      this.min = lo as Float64Array;
      this.max = hi as Float64Array;
      return;
    }
    checkChannels(this.min.length, (lo as Float64Array).length, where, 'OBSERVER_INVALID_ARGUMENT');
    this.fold(lo as Float64Array, hi as Float64Array);
  }

  private fold(lo: Float64Array, hi: Float64Array): void {
    for (let c = 0; c < lo.length; c++) {
      if ((lo[c] as number) < (this.min[c] as number)) this.min[c] = lo[c] as number;
      if ((hi[c] as number) > (this.max[c] as number)) this.max[c] = hi[c] as number;
    }
  }

  protected computeRange(): { min: Float64Array; max: Float64Array } {
    return { min: this.min.slice(), max: this.max.slice() };
  }

  protected mergeStats(other: this, where: string): void {
    if (this.batches === 0) {
      this.min = other.min.slice();
      this.max = other.max.slice();
      return;
    }
    checkChannels(this.min.length, other.min.length, where, 'OBSERVER_MERGE_MISMATCH');
    this.fold(other.min, other.max);
  }

  protected resetStats(): void {
    this.min = new Float64Array(0);
    this.max = new Float64Array(0);
  }

  protected statsState(): Record<string, unknown> {
    return { min: Array.from(this.min), max: Array.from(this.max) };
  }

  protected loadStats(state: Readonly<Record<string, unknown>>, where: string): void {
    const min = readFiniteArray(state['min'], this.axisOption === null ? 1 : null, 'min', where);
    const max = readFiniteArray(state['max'], min.length, 'max', where);
    checkOrdered(min, max, where);
    this.min = min;
    this.max = max;
  }
}

/**
 * Running minimum and maximum over every observed value (PyTorch's `MinMaxObserver` and
 * `PerChannelMinMaxObserver`, coremltools' activation calibration). Per-tensor, or per-channel with `axis`.
 * Merging is exact: merged equals sequential.
 *
 * @example
 * ```ts
 * const obs = createMinMaxObserver({ axis: 0 });
 * obs.observe({ data: Float32Array.of(1, -2, 3, 4), shape: [2, 2] });
 * obs.range(); // { min: [-2, 3], max: [1, 4], axis: 0 }
 * ```
 */
export function createMinMaxObserver(options: MinMaxObserverOptions = {}): Observer {
  const axis = axisOption(options.axis, 'createMinMaxObserver');
  return new MinMaxObserver(axis === null ? {} : { axis }, axis);
}
