import type { QParams, Tensor } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';

/** The built-in observer kinds. */
export type ObserverKind = 'minmax' | 'moving_average' | 'percentile' | 'mse' | 'entropy';

/**
 * Observed ranges: one `[min[i], max[i]]` pair per channel of `axis`, or a single pair (`axis` null) for a
 * per-tensor observer. Always finite with `min[i] <= max[i]`.
 */
export interface ObservedRange {
  readonly min: Float64Array;
  readonly max: Float64Array;
  /** Channel axis (non-negative) of a per-channel observer, or null. */
  readonly axis: number | null;
}

/** Options of {@link Observer.qparams}. */
export interface ObserverQParamsOptions {
  /** Shape the parameters are for (sets the per-tensor block shape). @defaultValue the last observed shape */
  readonly shape?: readonly number[];
}

/** JSON form of an observer: what {@link Observer.toJSON} returns and `restoreObserver` accepts. */
export interface ObserverJSON {
  readonly format: 'lowbit-observer';
  readonly version: 1;
  readonly kind: string;
  /** The options the observer was created with, defaults filled in. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Accumulated statistics; its layout is private to each kind. */
  readonly state: Readonly<Record<string, unknown>>;
}

/**
 * A streaming range estimator: it watches tensors batch by batch in constant memory, then turns what it saw into
 * a range and quantization parameters.
 *
 * @example
 * ```ts
 * const obs = createMinMaxObserver();
 * for (const batch of batches) obs.observe(batch);
 * const qp = obs.qparams(getPreset('w8a8').activation!);
 * ```
 */
export interface Observer {
  /** Kind name (`'minmax'`, `'percentile'`...). */
  readonly kind: string;
  /** Number of non-empty batches observed (merged observers add their counts). */
  readonly count: number;
  /**
   * Accumulates one batch. Empty tensors are ignored.
   * @throws QuantError `OBSERVER_INVALID_ARGUMENT` for a malformed tensor, a NaN/Inf value (named by index; the
   *   state is left unchanged), or a channel count that differs from earlier batches.
   */
  observe(tensor: Tensor): void;
  /**
   * The estimated range. Histogram observers use `spec` (default: their `spec` option) to shape the search.
   * @throws QuantError `OBSERVER_EMPTY` when nothing was observed.
   */
  range(spec?: QuantizationSpec): ObservedRange;
  /**
   * Quantization parameters for `spec` from {@link range}, through `@lowbit/kernels`' `qparamsFromRange`.
   * A per-tensor spec over a per-channel observer reduces the channels to one range.
   * @throws QuantError `OBSERVER_EMPTY`; `OBSERVER_INVALID_ARGUMENT` when the spec's granularity does not match
   *   what the observer tracks.
   */
  qparams(spec: QuantizationSpec, options?: ObserverQParamsOptions): QParams;
  /**
   * Folds the statistics of `other` into this observer and returns this observer. `other` is not modified.
   * @throws QuantError `OBSERVER_MERGE_MISMATCH` when kinds or settings differ.
   */
  merge(other: Observer): this;
  /** Plain-JSON snapshot of options and state. */
  toJSON(): ObserverJSON;
  /** Forgets everything observed (options are kept). */
  reset(): void;
}
