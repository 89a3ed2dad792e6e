/**
 * @lowbit/observers/testing: the conformance suite every observer passes. Import it from a vitest test file.
 *
 * @example
 * ```ts
 * import { describeObserverConformance } from '@lowbit/observers/testing';
 * describeObserverConformance('my observer', () => createMyObserver(), { restore: restoreMyObserver });
 * ```
 */
export type { ObserverConformanceOptions } from './describe-observer-conformance.js';

export { describeObserverConformance } from './describe-observer-conformance.js';
