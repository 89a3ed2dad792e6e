import { QuantError } from '@lowbit/dtypes';

/** Reads a finite number array of the given length from a JSON state field. */
export function readFiniteArray(value: unknown, length: number | null, what: string, where: string): Float64Array {
  if (!Array.isArray(value) || (length !== null && value.length !== length) || value.length === 0) {
    throw new QuantError(
      'OBSERVER_INVALID_STATE',
      `${where}: ${what} must be a non-empty array${length === null ? '' : ` of ${length}`} finite numbers`,
    );
  }
  const out = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new QuantError(
        'OBSERVER_INVALID_STATE',
        `${where}: ${what}[${i}] is ${String(v)}, expected a finite number`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** Throws unless min[i] <= max[i] everywhere. */
export function checkOrdered(min: Float64Array, max: Float64Array, where: string): void {
  for (let i = 0; i < min.length; i++) {
    if (!((min[i] as number) <= (max[i] as number))) {
      throw new QuantError('OBSERVER_INVALID_STATE', `${where}: min[${i}] = ${min[i]} exceeds max[${i}] = ${max[i]}`);
    }
  }
}

/** Throws when a batch's channel count differs from the accumulated one. */
export function checkChannels(
  expected: number,
  got: number,
  where: string,
  code: 'OBSERVER_INVALID_ARGUMENT' | 'OBSERVER_MERGE_MISMATCH',
): void {
  if (expected !== got) {
    throw new QuantError(code, `${where}: ${got} channels where earlier batches had ${expected}`);
  }
}

/** Checks an `axis` option: undefined/null (per-tensor) or an integer. */
export function axisOption(axis: unknown, where: string): number | null {
  if (axis === undefined || axis === null) return null;
  if (!Number.isInteger(axis)) {
    throw new QuantError(
      'OBSERVER_INVALID_ARGUMENT',
      `${where}: axis ${String(axis)} must be an integer (negative counts from the end)`,
    );
  }
  return axis as number;
}
