import type { CodeArray, CodeArrayName } from '../dtype.js';
import { QuantError } from '../quant-error.js';
import { describeValue } from './describe.js';

/** Constructor of a code array class by name. */
export function codeArrayConstructor(
  name: CodeArrayName,
): Int8ArrayConstructor | Uint8ArrayConstructor | Uint16ArrayConstructor | Uint32ArrayConstructor {
  switch (name) {
    case 'Int8Array':
      return Int8Array;
    case 'Uint8Array':
      return Uint8Array;
    case 'Uint16Array':
      return Uint16Array;
    case 'Uint32Array':
      return Uint32Array;
  }
}

/** Checks that `src` is array-like (has a numeric length). */
export function checkArrayLike(src: unknown, where: string, what: string): asserts src is ArrayLike<number> {
  const length = (src as { length?: unknown } | null | undefined)?.length;
  if (
    typeof src !== 'object' ||
    src === null ||
    typeof length !== 'number' ||
    !Number.isInteger(length) ||
    length < 0
  ) {
    throw new QuantError(
      'DTYPE_INVALID_ARGUMENT',
      `${where}: ${what} must be an array or typed array of numbers, got ${describeValue(src)}`,
    );
  }
}

/** Returns `out` checked against the expected class and length, or a new array of that class. */
export function codeOutput(
  out: CodeArray | undefined,
  expected: CodeArrayName,
  length: number,
  where: string,
): CodeArray {
  const ctor = codeArrayConstructor(expected);
  if (out === undefined) return new ctor(length);
  if (!(out instanceof ctor)) {
    throw new QuantError(
      'DTYPE_INVALID_ARGUMENT',
      `${where}: options.out must be a ${expected} (the code array of this dtype), got ${describeValue(out)}`,
    );
  }
  if (out.length < length) {
    throw new QuantError(
      'DTYPE_INVALID_ARGUMENT',
      `${where}: options.out has ${String(out.length)} elements but ${String(length)} are needed`,
    );
  }
  return out;
}

/** Returns `out` checked to be a Float32Array of at least `length` elements, or a new one. */
export function floatOutput(out: Float32Array | undefined, length: number, where: string): Float32Array {
  if (out === undefined) return new Float32Array(length);
  if (!(out instanceof Float32Array)) {
    throw new QuantError('DTYPE_INVALID_ARGUMENT', `${where}: out must be a Float32Array, got ${describeValue(out)}`);
  }
  if (out.length < length) {
    throw new QuantError(
      'DTYPE_INVALID_ARGUMENT',
      `${where}: out has ${String(out.length)} elements but ${String(length)} are needed`,
    );
  }
  return out;
}

/** Error for a code that is not an integer in the dtype's code range. */
export function invalidCodeError(where: string, code: unknown, validText: string, index?: number): QuantError {
  const at = index === undefined ? '' : ` at index ${String(index)}`;
  return new QuantError(
    'DTYPE_INVALID_CODE',
    `${where}: code ${describeValue(code)}${at} is not a valid code; valid codes are ${validText}`,
    { details: index === undefined ? { code } : { code, index } },
  );
}

/** Reads the `saturate` option (default true), rejecting non-booleans. */
export function readSaturate(options: { readonly saturate?: boolean } | undefined, where: string): boolean {
  if (options === undefined) return true;
  if (typeof options !== 'object' || options === null) {
    throw new QuantError(
      'DTYPE_INVALID_ARGUMENT',
      `${where}: options must be an object, got ${describeValue(options)}`,
    );
  }
  const s = options.saturate;
  if (s === undefined) return true;
  if (typeof s !== 'boolean') {
    throw new QuantError(
      'DTYPE_INVALID_ARGUMENT',
      `${where}: options.saturate must be true or false, got ${describeValue(s)}`,
    );
  }
  return s;
}
