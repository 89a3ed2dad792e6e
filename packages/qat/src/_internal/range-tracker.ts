import { QuantError } from '@lowbit/dtypes';
import { qparamsFromRange, reduceBlockRange } from '@lowbit/kernels';
import type { QParams, Tensor } from '@lowbit/kernels';
import { createObserver } from '@lowbit/observers';
import type { Observer, ObserverOptions } from '@lowbit/observers';
import type { QuantizationSpec } from '@lowbit/spec';

/** Running ranges of one quantized tensor, turned into qparams for its spec. */
export interface RangeTracker {
  readonly count: number;
  observe(tensor: Tensor, blockShape: readonly number[]): void;
  qparams(spec: QuantizationSpec, shape: readonly number[], blockShape: readonly number[]): QParams;
}

/**
 * A tracker for `spec`: per-tensor and per-channel granularities use an `@lowbit/observers` observer (any kind;
 * per-channel on the spec's resolved axis); per-block granularities track one range per block here, with the
 * `minmax` or `moving_average` rule (the observers track channels, not blocks).
 */
export function createRangeTracker(
  spec: QuantizationSpec,
  channelAxis: number | null,
  options: ObserverOptions,
  where: string,
): RangeTracker {
  if (spec.granularity.type === 'per_block') return createBlockTracker(options, where);
  const observer: Observer = createObserver(
    channelAxis === null ? options : ({ ...options, axis: channelAxis } as ObserverOptions),
  );
  return {
    get count() {
      return observer.count;
    },
    observe(tensor) {
      observer.observe(tensor);
    },
    qparams(s, shape) {
      return observer.qparams(s, { shape });
    },
  };
}

function createBlockTracker(options: ObserverOptions, where: string): RangeTracker {
  let c: number;
  if (options.kind === 'minmax') c = 0;
  else if (options.kind === 'moving_average') c = options.averagingConstant ?? 0.01;
  else {
    throw new QuantError(
      'QAT_INVALID_ARGUMENT',
      `${where}: observer kind '${String(options.kind)}' cannot track per_block ranges; use 'minmax' or 'moving_average'`,
    );
  }
  let min: Float64Array | null = null;
  let max: Float64Array | null = null;
  let count = 0;
  return {
    get count() {
      return count;
    },
    observe(tensor, blockShape) {
      const r = reduceBlockRange(tensor, blockShape);
      if (min === null || max === null || min.length !== r.min.length) {
        min = Float64Array.from(r.min);
        max = Float64Array.from(r.max);
      } else if (c === 0) {
        for (let b = 0; b < min.length; b++) {
          min[b] = Math.min(min[b] as number, r.min[b] as number);
          max[b] = Math.max(max[b] as number, r.max[b] as number);
        }
      } else {
        for (let b = 0; b < min.length; b++) {
          min[b] = (min[b] as number) + c * ((r.min[b] as number) - (min[b] as number));
          max[b] = (max[b] as number) + c * ((r.max[b] as number) - (max[b] as number));
        }
      }
      count++;
    },
    qparams(s, _shape, blockShape) {
      if (min === null || max === null) {
        throw new QuantError('QAT_INVALID_ARGUMENT', `${where}: nothing has been observed yet`);
      }
      return qparamsFromRange(min, max, s, blockShape);
    },
  };
}
