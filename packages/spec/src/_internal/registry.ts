import { getDType, hasDType, listDTypes } from '@lowbit/dtypes';
import type { DType, DTypeRegistry } from '@lowbit/dtypes';

/** Looks a dtype up without throwing; null when unknown. */
export function findDType(name: string, registry: DTypeRegistry | undefined): DType | null {
  try {
    return hasDType(name, registry) ? getDType(name, registry) : null;
  } catch {
    return null;
  }
}

/** Names of every registered dtype. */
export function knownDTypeNames(registry: DTypeRegistry | undefined): string[] {
  try {
    return [...listDTypes(registry)];
  } catch {
    return [];
  }
}

/**
 * True when a dtype can hold quantized elements: integers, and signed floats narrower than 32 bits that represent
 * zero (not float32, the source format; not scale-only formats such as float8_e8m0fnu).
 */
export function isElementDType(dtype: DType): boolean {
  return dtype.kind === 'int' || (dtype.signed && dtype.hasZero && dtype.bits < 32);
}

/** Names of the registered dtypes that can hold quantized elements. */
export function elementDTypeNames(registry: DTypeRegistry | undefined): string[] {
  return knownDTypeNames(registry).filter((name) => {
    const dtype = findDType(name, registry);
    return dtype !== null && isElementDType(dtype);
  });
}
