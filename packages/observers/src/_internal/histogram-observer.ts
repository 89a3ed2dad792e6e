import { QuantError } from '@lowbit/dtypes';
import type { Tensor } from '@lowbit/kernels';
import { BaseObserver } from './base-observer.js';
import type { OptionsRecord } from './base-observer.js';
import { tensorMinMax } from './batch-stats.js';
import { AlignedHistogram } from './histogram.js';

/** Default histogram capacity. */
export const DEFAULT_BINS = 2048;

/** Checks the `bins` option: an even integer in [16, 2^20]. */
export function binsOption(bins: unknown, where: string): number {
  const b = bins ?? DEFAULT_BINS;
  if (!Number.isInteger(b) || (b as number) < 16 || (b as number) > 2 ** 20 || (b as number) % 2 !== 0) {
    throw new QuantError(
      'OBSERVER_INVALID_ARGUMENT',
      `${where}: bins ${String(b)} must be an even integer in [16, 1048576]`,
    );
  }
  return b as number;
}

/** Rejects an `axis` option on a per-tensor-only observer. */
export function rejectAxis(options: object, where: string): void {
  if ((options as { axis?: unknown }).axis !== undefined) {
    throw new QuantError(
      'OBSERVER_INVALID_ARGUMENT',
      `${where}: histogram observers are per-tensor only; use minmax or moving_average for per-channel ranges`,
    );
  }
}

/** Per-tensor observer over an {@link AlignedHistogram}; subclasses turn the histogram into a range. */
export abstract class HistogramObserver extends BaseObserver {
  protected readonly hist: AlignedHistogram;

  constructor(options: OptionsRecord, bins: number) {
    super(options, null);
    this.hist = new AlignedHistogram(bins);
  }

  protected accept(tensor: Tensor, _axis: number | null, where: string): void {
    const [lo, hi] = tensorMinMax(tensor.data, where);
    this.hist.add(tensor.data, lo, hi);
  }

  protected mergeStats(other: this): void {
    this.hist.merge(other.hist);
  }

  protected resetStats(): void {
    this.hist.reset();
  }

  protected statsState(): Record<string, unknown> {
    return { histogram: this.hist.toState() };
  }

  protected loadStats(state: Readonly<Record<string, unknown>>, where: string): void {
    this.hist.loadState(state['histogram'], where);
    if (this.hist.total === 0) {
      throw new QuantError('OBSERVER_INVALID_STATE', `${where}: a state with count > 0 needs a non-empty histogram`);
    }
  }
}
