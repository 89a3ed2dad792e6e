import { QuantError } from './quant-error.js';
import { describeValue } from './_internal/describe.js';

/** Options of {@link packBits}. */
export interface PackOptions {
  /** Values are two's-complement signed integers in [-2^(bits-1), 2^(bits-1) - 1]. @defaultValue false */
  readonly signed?: boolean;
  /** Destination; must hold at least `packedByteLength(values.length, bits)` bytes. */
  readonly out?: Uint8Array;
}

/** Options of {@link unpackBits}. */
export interface UnpackOptions {
  /** Sign-extend each field (two's complement) and return an Int8Array. @defaultValue false */
  readonly signed?: boolean;
  /** Destination: an Int8Array when `signed`, else a Uint8Array, with at least `count` elements. */
  readonly out?: Int8Array | Uint8Array;
}

function checkWidth(bits: unknown, where: string): number {
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 1 || bits > 8) {
    throw new QuantError(
      'PACK_INVALID_WIDTH',
      `${where}: bits must be an integer from 1 to 8, got ${describeValue(bits)}`,
      { details: { bits } },
    );
  }
  return bits;
}

function checkCount(count: unknown, where: string): number {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    throw new QuantError(
      'DTYPE_INVALID_ARGUMENT',
      `${where}: count must be a non-negative integer, got ${describeValue(count)}`,
    );
  }
  return count;
}

function checkSigned(signed: unknown, where: string): boolean {
  if (signed === undefined) return false;
  if (typeof signed !== 'boolean') {
    throw new QuantError(
      'DTYPE_INVALID_ARGUMENT',
      `${where}: options.signed must be true or false, got ${describeValue(signed)}`,
    );
  }
  return signed;
}

/**
 * Number of bytes that `count` values of `bits` bits occupy when packed: `ceil(count * bits / 8)`.
 * @throws QuantError `PACK_INVALID_WIDTH` for a width outside 1..8.
 */
export function packedByteLength(count: number, bits: number): number {
  const b = checkWidth(bits, 'packedByteLength');
  const n = checkCount(count, 'packedByteLength');
  return Math.ceil((n * b) / 8);
}

function rangeError(where: string, index: number, value: unknown, lo: number, hi: number, signed: boolean): QuantError {
  const hint =
    !signed && typeof value === 'number' && value < 0 ? " (pass { signed: true } for two's-complement values)" : '';
  return new QuantError(
    'PACK_VALUE_OUT_OF_RANGE',
    `${where}: values[${String(index)}] = ${describeValue(value)} is not an integer in [${String(lo)}, ${String(hi)}]${hint}`,
    { details: { index, value } },
  );
}

/**
 * Packs integers of `bits` bits (1 to 8) into bytes as one little-endian bit stream: element i occupies bits
 * [i*bits, (i+1)*bits), so element 0 sits in the least significant bits of byte 0 (the ONNX, Core ML and OCP MX
 * convention). Trailing bits of the last byte are zero; signed values are stored in two's complement.
 *
 * @throws QuantError `PACK_INVALID_WIDTH`, `PACK_VALUE_OUT_OF_RANGE` (naming the index), `PACK_BUFFER_TOO_SMALL`.
 * @example
 * ```ts
 * packBits([1, 2, 3], 4); // Uint8Array [0x21, 0x03]
 * packBits([-1, 1], 4, { signed: true }); // Uint8Array [0x1f]
 * ```
 */
export function packBits(values: ArrayLike<number>, bits: number, options: PackOptions = {}): Uint8Array {
  const where = 'packBits';
  const b = checkWidth(bits, where);
  const signed = checkSigned(options.signed, where);
  if (typeof values !== 'object' || values === null || typeof values.length !== 'number') {
    throw new QuantError(
      'DTYPE_INVALID_ARGUMENT',
      `${where}: values must be an array-like of integers, got ${describeValue(values)}`,
    );
  }
  const n = values.length;
  const byteLength = Math.ceil((n * b) / 8);
  let out = options.out;
  if (out === undefined) {
    out = new Uint8Array(byteLength);
  } else if (!(out instanceof Uint8Array)) {
    throw new QuantError(
      'DTYPE_INVALID_ARGUMENT',
      `${where}: options.out must be a Uint8Array, got ${describeValue(out)}`,
    );
  } else if (out.length < byteLength) {
    throw new QuantError(
      'PACK_BUFFER_TOO_SMALL',
      `${where}: options.out has ${String(out.length)} bytes but ${String(n)} values of ${String(b)} bits need ${String(byteLength)}`,
      { details: { needed: byteLength, given: out.length } },
    );
  }
  const lo = signed ? -(2 ** (b - 1)) : 0;
  const hi = signed ? 2 ** (b - 1) - 1 : 2 ** b - 1;
  const mask = 2 ** b - 1;
  // Validate first so a failure leaves a caller's `out` untouched.
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !(v >= lo && v <= hi) || (v | 0) !== v) throw rangeError(where, i, v, lo, hi, signed);
  }
  if (b === 8) {
    for (let i = 0; i < n; i++) out[i] = values[i]! & 0xff;
  } else if (b === 4) {
    const pairs = n >>> 1;
    for (let j = 0; j < pairs; j++) out[j] = (values[2 * j]! & 0xf) | ((values[2 * j + 1]! & 0xf) << 4);
    if (n & 1) out[pairs] = values[n - 1]! & 0xf;
  } else if (b === 2) {
    const quads = n >>> 2;
    for (let j = 0; j < quads; j++) {
      const i = 4 * j;
      out[j] =
        (values[i]! & 3) | ((values[i + 1]! & 3) << 2) | ((values[i + 2]! & 3) << 4) | ((values[i + 3]! & 3) << 6);
    }
    const rest = n & 3;
    if (rest > 0) {
      let last = 0;
      for (let k = 0; k < rest; k++) last |= (values[4 * quads + k]! & 3) << (2 * k);
      out[quads] = last;
    }
  } else {
    let acc = 0;
    let filled = 0;
    let j = 0;
    for (let i = 0; i < n; i++) {
      acc |= (values[i]! & mask) << filled;
      filled += b;
      if (filled >= 8) {
        out[j++] = acc & 0xff;
        acc >>>= 8;
        filled -= 8;
      }
    }
    if (filled > 0) out[j] = acc & 0xff;
  }
  return out;
}

/**
 * Inverse of {@link packBits}: reads `count` fields of `bits` bits from the little-endian bit stream in `bytes`.
 * Returns an Int8Array of sign-extended values when `signed`, else a Uint8Array.
 *
 * @throws QuantError `PACK_INVALID_WIDTH`, `PACK_BUFFER_TOO_SMALL` when `bytes` or `out` is too short.
 * @example
 * ```ts
 * unpackBits(new Uint8Array([0x1f]), 4, 2, { signed: true }); // Int8Array [-1, 1]
 * ```
 */
export function unpackBits(
  bytes: Uint8Array,
  bits: number,
  count: number,
  options: UnpackOptions = {},
): Int8Array | Uint8Array {
  const where = 'unpackBits';
  const b = checkWidth(bits, where);
  const n = checkCount(count, where);
  const signed = checkSigned(options.signed, where);
  if (!(bytes instanceof Uint8Array)) {
    throw new QuantError('DTYPE_INVALID_ARGUMENT', `${where}: bytes must be a Uint8Array, got ${describeValue(bytes)}`);
  }
  const byteLength = Math.ceil((n * b) / 8);
  if (bytes.length < byteLength) {
    throw new QuantError(
      'PACK_BUFFER_TOO_SMALL',
      `${where}: ${String(n)} values of ${String(b)} bits need ${String(byteLength)} bytes, got ${String(bytes.length)}`,
      { details: { needed: byteLength, given: bytes.length } },
    );
  }
  let out = options.out;
  if (out === undefined) {
    out = signed ? new Int8Array(n) : new Uint8Array(n);
  } else if (signed ? !(out instanceof Int8Array) : !(out instanceof Uint8Array)) {
    throw new QuantError(
      'DTYPE_INVALID_ARGUMENT',
      `${where}: options.out must be ${signed ? 'an Int8Array (signed: true)' : 'a Uint8Array (signed: false)'}, got ${describeValue(out)}`,
    );
  } else if (out.length < n) {
    throw new QuantError(
      'PACK_BUFFER_TOO_SMALL',
      `${where}: options.out has ${String(out.length)} elements but count is ${String(n)}`,
      { details: { needed: n, given: out.length } },
    );
  }
  // Writing a field into an Int8Array sign-extends it when the field is first shifted to the top of the byte.
  const up = 8 - b;
  if (b === 8) {
    for (let i = 0; i < n; i++) out[i] = bytes[i]!;
  } else if (b === 4) {
    const pairs = n >>> 1;
    if (signed) {
      for (let j = 0; j < pairs; j++) {
        const byte = bytes[j]!;
        out[2 * j] = (byte << 28) >> 28;
        out[2 * j + 1] = (byte << 24) >> 28;
      }
      if (n & 1) out[n - 1] = (bytes[pairs]! << 28) >> 28;
    } else {
      for (let j = 0; j < pairs; j++) {
        const byte = bytes[j]!;
        out[2 * j] = byte & 0xf;
        out[2 * j + 1] = byte >>> 4;
      }
      if (n & 1) out[n - 1] = bytes[pairs]! & 0xf;
    }
  } else if (b === 2) {
    for (let i = 0; i < n; i++) {
      const field = (bytes[i >>> 2]! >>> ((i & 3) << 1)) & 3;
      out[i] = signed ? (field << 30) >> 30 : field;
    }
  } else {
    const mask = 2 ** b - 1;
    let acc = 0;
    let filled = 0;
    let j = 0;
    for (let i = 0; i < n; i++) {
      if (filled < b) {
        acc |= bytes[j++]! << filled;
        filled += 8;
      }
      const field = acc & mask;
      acc >>>= b;
      filled -= b;
      out[i] = signed ? ((field << up) << 24) >> (24 + up) : field;
    }
  }
  return out;
}
