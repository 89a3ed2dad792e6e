import { isQuantError, QuantError } from '@lowbit/dtypes';
import { BaseObserver } from './_internal/base-observer.js';
import { createObserver, OBSERVER_KINDS } from './create-observer.js';
import type { ObserverOptions } from './create-observer.js';
import type { Observer } from './observer.js';

/**
 * Rebuilds a built-in observer from its {@link Observer.toJSON} form (after a JSON round trip, say), checking
 * every field: the result behaves exactly like the observer that was saved.
 *
 * @example
 * ```ts
 * const copy = restoreObserver(JSON.parse(JSON.stringify(obs)));
 * ```
 * @throws QuantError `OBSERVER_INVALID_STATE` for anything malformed.
 */
export function restoreObserver(json: unknown): Observer {
  const where = 'restoreObserver';
  const j = json as Record<string, unknown> | null;
  if (typeof j !== 'object' || j === null || j['format'] !== 'lowbit-observer' || j['version'] !== 1) {
    throw new QuantError('OBSERVER_INVALID_STATE', `${where}: expected { format: 'lowbit-observer', version: 1, ... }`);
  }
  const kind = j['kind'];
  if (typeof kind !== 'string' || !(OBSERVER_KINDS as readonly string[]).includes(kind)) {
    throw new QuantError(
      'OBSERVER_INVALID_STATE',
      `${where}: unknown observer kind ${JSON.stringify(kind)} (valid: ${OBSERVER_KINDS.join(', ')})`,
    );
  }
  const options = j['options'];
  const state = j['state'];
  if (typeof options !== 'object' || options === null || typeof state !== 'object' || state === null) {
    throw new QuantError('OBSERVER_INVALID_STATE', `${where}: options and state must be objects`);
  }
  let observer: Observer;
  try {
    observer = createObserver({ ...(options as object), kind } as ObserverOptions);
  } catch (e) {
    if (!isQuantError(e)) throw e;
    throw new QuantError('OBSERVER_INVALID_STATE', `${where}: invalid options: ${e.message}`, { cause: e });
  }
  // Every built-in observer extends BaseObserver, which owns state loading.
  if (observer instanceof BaseObserver) observer.loadState(state as Record<string, unknown>, where);
  return observer;
}
