import { QuantError } from '../quant-error.js';
import { describeValue } from './describe.js';

const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Validates a dtype name: lower-case letters, digits and underscores, starting with a letter. */
export function checkDTypeName(name: unknown, where: string): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new QuantError(
      'DTYPE_INVALID_DEFINITION',
      `${where}: name must be a string of lower-case letters, digits and underscores starting with a letter ` +
        `(like "float6_e2m3fn"), got ${describeValue(name)}`,
    );
  }
  return name;
}

/** Validates an integer field of a definition against an inclusive range. */
export function checkIntegerField(value: unknown, field: string, min: number, max: number, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new QuantError(
      'DTYPE_INVALID_DEFINITION',
      `${where}: ${field} must be an integer in [${String(min)}, ${String(max)}], got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Validates an optional boolean field of a definition. */
export function checkBooleanField(value: unknown, field: string, fallback: boolean, where: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new QuantError(
      'DTYPE_INVALID_DEFINITION',
      `${where}: ${field} must be true or false, got ${describeValue(value)}`,
    );
  }
  return value;
}
