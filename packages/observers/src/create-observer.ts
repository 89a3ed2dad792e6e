import { QuantError } from '@lowbit/dtypes';
import { createEntropyObserver } from './entropy-observer.js';
import type { EntropyObserverOptions } from './entropy-observer.js';
import { createMinMaxObserver } from './minmax-observer.js';
import type { MinMaxObserverOptions } from './minmax-observer.js';
import { createMovingAverageObserver } from './moving-average-observer.js';
import type { MovingAverageObserverOptions } from './moving-average-observer.js';
import { createMseObserver } from './mse-observer.js';
import type { MseObserverOptions } from './mse-observer.js';
import type { Observer, ObserverKind } from './observer.js';
import { createPercentileObserver } from './percentile-observer.js';
import type { PercentileObserverOptions } from './percentile-observer.js';

/** Every built-in observer kind, in the order of the docs. */
export const OBSERVER_KINDS: readonly ObserverKind[] = Object.freeze([
  'minmax',
  'moving_average',
  'percentile',
  'mse',
  'entropy',
] as const);

/** Options of {@link createObserver}: a kind plus that kind's options. */
export type ObserverOptions =
  | ({ readonly kind: 'minmax' } & MinMaxObserverOptions)
  | ({ readonly kind: 'moving_average' } & MovingAverageObserverOptions)
  | ({ readonly kind: 'percentile' } & PercentileObserverOptions)
  | ({ readonly kind: 'mse' } & MseObserverOptions)
  | ({ readonly kind: 'entropy' } & EntropyObserverOptions);

/**
 * Creates a built-in observer from plain options (handy for configs and CLIs).
 *
 * @example
 * ```ts
 * createObserver({ kind: 'percentile', percentile: 99.999 });
 * createObserver({ kind: 'minmax', axis: 0 });
 * ```
 * @throws QuantError `OBSERVER_INVALID_ARGUMENT` for an unknown kind or invalid options.
 */
export function createObserver(options: ObserverOptions): Observer {
  if (typeof options !== 'object' || options === null) {
    throw new QuantError('OBSERVER_INVALID_ARGUMENT', `createObserver: expected options { kind, ... }`);
  }
  const { kind } = options;
  const rest: Record<string, unknown> = { ...options };
  delete rest['kind'];
  switch (kind) {
    case 'minmax':
      return createMinMaxObserver(rest as MinMaxObserverOptions);
    case 'moving_average':
      return createMovingAverageObserver(rest as MovingAverageObserverOptions);
    case 'percentile':
      return createPercentileObserver(rest as PercentileObserverOptions);
    case 'mse':
      return createMseObserver(rest as MseObserverOptions);
    case 'entropy':
      return createEntropyObserver(rest as EntropyObserverOptions);
    default:
      throw new QuantError(
        'OBSERVER_INVALID_ARGUMENT',
        `createObserver: unknown observer kind '${String(kind)}' (valid: ${OBSERVER_KINDS.join(', ')})`,
      );
  }
}
