import type { DType } from './dtype.js';
import type { DTypeRegistry } from './dtype-registry.js';
import { defaultDTypeRegistry } from './builtin-dtypes.js';

/**
 * Looks up a dtype by name (torch / ml_dtypes spelling) in `registry` (default: the built-in dtypes).
 *
 * @throws QuantError `DTYPE_UNKNOWN` whose message lists the known names.
 * @example
 * ```ts
 * const fp8 = getDType('float8_e4m3fn');
 * fp8.encode(460); // 0x7e (448)
 * ```
 */
export function getDType(name: string, registry: DTypeRegistry = defaultDTypeRegistry): DType {
  return registry.get(name);
}

/** Names of the dtypes in `registry` (default: the built-in dtypes), in registration order. */
export function listDTypes(registry: DTypeRegistry = defaultDTypeRegistry): readonly string[] {
  return registry.list();
}

/** Whether `registry` (default: the built-in dtypes) has a dtype called `name`. */
export function hasDType(name: string, registry: DTypeRegistry = defaultDTypeRegistry): boolean {
  return registry.has(name);
}
