/**
 * @lowbit/observers: streaming, mergeable range estimators (min-max, moving average, percentile, MSE, entropy)
 * that turn observed tensors into quantization parameters. Nothing is registered or mutated at import time.
 */
export type { ObserverOptions } from './create-observer.js';
export type { EntropyObserverOptions } from './entropy-observer.js';
export type { MinMaxObserverOptions } from './minmax-observer.js';
export type { MovingAverageObserverOptions } from './moving-average-observer.js';
export type { MseObserverOptions } from './mse-observer.js';
export type { ObservedRange, Observer, ObserverJSON, ObserverKind, ObserverQParamsOptions } from './observer.js';
export type { PercentileObserverOptions } from './percentile-observer.js';

export { createObserver, OBSERVER_KINDS } from './create-observer.js';
export { createEntropyObserver } from './entropy-observer.js';
export { createMinMaxObserver } from './minmax-observer.js';
export { createMovingAverageObserver } from './moving-average-observer.js';
export { createMseObserver } from './mse-observer.js';
export { createPercentileObserver } from './percentile-observer.js';
export { restoreObserver } from './restore-observer.js';
