import { QuantError } from '@lowbit/dtypes';
import type { QuantizationSpec } from '@lowbit/spec';
import type { Observer } from './observer.js';
import { specOption } from './_internal/default-spec.js';
import { binsOption, HistogramObserver, rejectAxis } from './_internal/histogram-observer.js';
import { mseRange } from './_internal/mse-search.js';

/** Options of {@link createMseObserver}. */
export interface MseObserverOptions {
  /** Spec whose grid the search simulates when `range()` / `qparams()` get none. @defaultValue int8 symmetric per-tensor */
  readonly spec?: QuantizationSpec;
  /** Histogram capacity (even, 16 .. 2^20). @defaultValue 2048 */
  readonly bins?: number;
  /** Points per bin at which the quantization error is sampled. @defaultValue 4 */
  readonly samplesPerBin?: number;
}

/** @internal */
export class MseObserver extends HistogramObserver {
  readonly kind = 'mse';
  private readonly spec: QuantizationSpec;
  private readonly samplesPerBin: number;

  constructor(spec: QuantizationSpec, bins: number, samplesPerBin: number) {
    super({ spec, bins, samplesPerBin }, bins);
    this.spec = spec;
    this.samplesPerBin = samplesPerBin;
  }

  protected computeRange(spec: QuantizationSpec | undefined): { min: Float64Array; max: Float64Array } {
    const [lo, hi] = mseRange(this.hist, spec ?? this.spec, this.samplesPerBin);
    return { min: Float64Array.of(lo), max: Float64Array.of(hi) };
  }
}

/**
 * Clipping range that minimizes the expected quantization MSE of the observed distribution (the idea of
 * PyTorch's `HistogramObserver` and of GPTQ's shrink grid), evaluated on a histogram with the real quantizer of
 * the spec passed to `range()` / `qparams()`. Min-max is one of the candidates, so the estimated error is never
 * above min-max's. Per-tensor only; merging is exact (merged equals sequential).
 *
 * @example
 * ```ts
 * const obs = createMseObserver();
 * for (const batch of activations) obs.observe(batch);
 * const qp = obs.qparams(int8Spec);
 * ```
 */
export function createMseObserver(options: MseObserverOptions = {}): Observer {
  const where = 'createMseObserver';
  rejectAxis(options, where);
  const spb = options.samplesPerBin ?? 4;
  if (!Number.isInteger(spb) || spb < 1 || spb > 64) {
    throw new QuantError(
      'OBSERVER_INVALID_ARGUMENT',
      `${where}: samplesPerBin ${String(spb)} must be an integer in [1, 64]`,
    );
  }
  return new MseObserver(specOption(options.spec, where), binsOption(options.bins, where), spb);
}
