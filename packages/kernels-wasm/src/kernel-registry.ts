import { QuantError } from '@lowbit/dtypes';
import type { KernelBackend } from './kernel-backend.js';

/** An immutable set of backends by name, in priority order. */
export interface KernelRegistry {
  /** The backend named `name`. @throws QuantError `KERNELS_UNKNOWN` */
  get(name: string): KernelBackend;
  has(name: string): boolean;
  /** Names in priority order. */
  names(): string[];
  /** The first (highest-priority) backend. */
  preferred(): KernelBackend;
  /** A registry with `backend` added (first, so preferred, unless `{ last: true }`). @throws `KERNELS_DUPLICATE` */
  with(backend: KernelBackend, options?: { last?: boolean }): KernelRegistry;
}

/**
 * Creates a registry of kernel backends; the first one is preferred. Nothing global: pass the registry (or a
 * backend from it) to the code that needs kernels.
 * @throws QuantError `KERNELS_DUPLICATE` for two backends of one name, `KERNELS_INVALID_ARGUMENT` for none.
 * @example
 * ```ts
 * const registry = createKernelRegistry(await createDefaultBackend(), referenceBackend);
 * const q = registry.preferred().quantize(tensor, spec);
 * ```
 */
export function createKernelRegistry(...backends: KernelBackend[]): KernelRegistry {
  if (backends.length === 0) {
    throw new QuantError('KERNELS_INVALID_ARGUMENT', 'createKernelRegistry: give at least one backend');
  }
  const byName = new Map<string, KernelBackend>();
  for (const b of backends) {
    if (byName.has(b.name)) {
      throw new QuantError(
        'KERNELS_DUPLICATE',
        `createKernelRegistry: two backends are named '${b.name}'; names must be unique`,
      );
    }
    byName.set(b.name, b);
  }
  const list = [...backends];
  return Object.freeze({
    get(name: string) {
      const b = byName.get(name);
      if (!b) {
        throw new QuantError(
          'KERNELS_UNKNOWN',
          `KernelRegistry.get: no backend named '${name}'; registered: ${list.map((x) => x.name).join(', ')}`,
        );
      }
      return b;
    },
    has: (name: string) => byName.has(name),
    names: () => list.map((b) => b.name),
    preferred: () => list[0] as KernelBackend,
    with: (backend: KernelBackend, options: { last?: boolean } = {}) =>
      createKernelRegistry(...(options.last ? [...list, backend] : [backend, ...list])),
  });
}
