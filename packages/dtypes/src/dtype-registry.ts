import type { DType } from './dtype.js';
import { QuantError } from './quant-error.js';
import { describeValue } from './_internal/describe.js';

/**
 * An immutable set of dtypes looked up by name. Build one with {@link createDTypeRegistry}; extend it with
 * {@link DTypeRegistry.with}, which returns a new registry and leaves this one untouched.
 */
export interface DTypeRegistry {
  /**
   * The dtype registered under `name`.
   * @throws QuantError `DTYPE_UNKNOWN` (the message lists the known names).
   */
  get(name: string): DType;
  /** The dtype registered under `name`, or undefined. */
  find(name: string): DType | undefined;
  /** Whether `name` is registered. */
  has(name: string): boolean;
  /** Registered names, in registration order. */
  list(): readonly string[];
  /**
   * A new registry holding this one's dtypes plus `dtypes`.
   * @throws QuantError `DTYPE_DUPLICATE` when a different dtype object already uses one of the names.
   */
  with(...dtypes: DType[]): DTypeRegistry;
}

function checkDType(value: unknown, where: string): DType {
  const candidate = value as Partial<DType> | null;
  if (
    typeof value !== 'object' ||
    candidate === null ||
    typeof candidate.name !== 'string' ||
    (candidate.kind !== 'int' && candidate.kind !== 'float') ||
    typeof candidate.encode !== 'function' ||
    typeof candidate.decode !== 'function' ||
    typeof candidate.encodeArray !== 'function' ||
    typeof candidate.decodeArray !== 'function'
  ) {
    throw new QuantError(
      'DTYPE_INVALID_DEFINITION',
      `${where}: expected a dtype made by defineIntDType / defineFloatDType, got ${describeValue(value)}`,
    );
  }
  return value as DType;
}

function build(entries: ReadonlyMap<string, DType>): DTypeRegistry {
  const names = Object.freeze([...entries.keys()]);
  const registry: DTypeRegistry = {
    get(name: string): DType {
      const dtype = entries.get(name);
      if (dtype === undefined) {
        throw new QuantError(
          'DTYPE_UNKNOWN',
          `getDType: unknown dtype ${describeValue(name)}; known dtypes: ${names.join(', ')}`,
          { details: { name, known: names } },
        );
      }
      return dtype;
    },
    find: (name: string) => entries.get(name),
    has: (name: string) => entries.has(name),
    list: () => names,
    with: (...dtypes: DType[]) => build(merge(entries, dtypes, 'DTypeRegistry.with')),
  };
  return Object.freeze(registry);
}

function merge(base: ReadonlyMap<string, DType>, dtypes: Iterable<DType>, where: string): Map<string, DType> {
  const entries = new Map(base);
  for (const item of dtypes) {
    const dtype = checkDType(item, where);
    const existing = entries.get(dtype.name);
    if (existing !== undefined && existing !== dtype) {
      throw new QuantError(
        'DTYPE_DUPLICATE',
        `${where}: a different dtype is already registered as "${dtype.name}"; pick another name ` +
          '(registering the same dtype object twice is allowed)',
        { details: { name: dtype.name } },
      );
    }
    entries.set(dtype.name, dtype);
  }
  return entries;
}

/**
 * Creates an immutable registry from dtypes (typically `[...BUILTIN_DTYPES, myDType]`). Listing the same dtype
 * object twice is fine; two different objects with one name throw.
 *
 * @throws QuantError `DTYPE_DUPLICATE` for a name clash, `DTYPE_INVALID_DEFINITION` for a non-dtype.
 * @example
 * ```ts
 * const registry = createDTypeRegistry([...BUILTIN_DTYPES, myFormat]);
 * getDType('my_format', registry);
 * ```
 */
export function createDTypeRegistry(dtypes: Iterable<DType>): DTypeRegistry {
  if (typeof (dtypes as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] !== 'function') {
    throw new QuantError(
      'DTYPE_INVALID_DEFINITION',
      `createDTypeRegistry: expected an iterable of dtypes, got ${describeValue(dtypes)}`,
    );
  }
  return build(merge(new Map(), dtypes, 'createDTypeRegistry'));
}
