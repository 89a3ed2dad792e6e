import type { CodeArray, EncodeArrayOptions, EncodeOptions, IntDType } from './dtype.js';
import { QuantError } from './quant-error.js';
import { roundHalfToEven } from './round-half-to-even.js';
import { checkBooleanField, checkDTypeName, checkIntegerField } from './_internal/check-name.js';
import { describeValue } from './_internal/describe.js';
import { checkArrayLike, codeOutput, floatOutput, invalidCodeError, readSaturate } from './_internal/validate.js';

/** Definition of a two's-complement (signed) or plain binary (unsigned) integer format, for {@link defineIntDType}. */
export interface IntDTypeDefinition {
  /** Registry name, lower-case (`int4`). */
  readonly name: string;
  /** Width in bits, 1 to 8 (codes live one per byte in an Int8Array / Uint8Array). */
  readonly bits: number;
  /** Signed formats cover [-2^(bits-1), 2^(bits-1) - 1], unsigned ones [0, 2^bits - 1]. */
  readonly signed: boolean;
}

/** 1.5 * 2^52: adding then subtracting it rounds |v| < 2^51 to an integer, ties to even. */
const ROUNDER = 6755399441055744;

/**
 * Per-binade tables for the bit-level Float32Array encoder: a float32 in binade f (exponent field) is
 * m * 2^(f - 150) with the 24-bit significand m, so its nearest integer is roundHalfEven(m / 2^(150 - f)).
 * Binades from 2^23 up (and Inf) are far beyond every integer dtype here and get shift 1 (the result is clamped).
 */
let intShift: Int32Array | undefined;
let intBias: Int32Array | undefined;

function intTables(): [Int32Array, Int32Array] {
  if (intShift === undefined || intBias === undefined) {
    const shift = new Int32Array(256);
    const bias = new Int32Array(256);
    for (let f = 0; f < 256; f++) {
      const sh = Math.min(31, Math.max(1, 150 - f));
      shift[f] = sh;
      bias[f] = 2 ** (sh - 1) - 1;
    }
    intShift = shift;
    intBias = bias;
  }
  return [intShift, intBias];
}

/** Saturating encoder over the bits of a Float32Array: round |x| to an integer, clamp per sign, apply the sign. */
function encodeIntFloat32Array(
  src: Float32Array,
  out: Int8Array | Uint8Array,
  lo: number,
  hi: number,
  name: string,
): void {
  const n = src.length;
  const bits = new Uint32Array(src.buffer, src.byteOffset, n);
  const [shift, bias] = intTables();
  const limDelta = -lo - hi;
  // Sign bit of (0x7f800000 - |u|) is set exactly for NaN inputs: accumulate it instead of branching per element.
  let nan = 0;
  for (let i = 0; i < n; i++) {
    const u = bits[i]!;
    const a = u & 0x7fffffff;
    nan |= 0x7f800000 - a;
    const f = a >>> 23;
    // Float32 zero/subnormals (f = 0) get shift 31 and round to 0. From 2^23 up (f >= 150, Inf) the shift is 1,
    // so k >= 2^22 exceeds every limit and clamps.
    const m = (a & 0x7fffff) | 0x800000;
    const sh = shift[f]!;
    const k = (m + bias[f]! + ((m >>> sh) & 1)) >>> sh;
    const sg = u >>> 31;
    const lim = hi + sg * limDelta;
    const c = k > lim ? lim : k;
    out[i] = (c ^ -sg) + sg;
  }
  if (nan < 0) {
    for (let i = 0; i < n; i++)
      if ((bits[i]! & 0x7fffffff) > 0x7f800000) throw nanError(name, `${name}.encodeArray`, i);
  }
}

function encodeIntArray(
  src: ArrayLike<number>,
  out: Int8Array | Uint8Array,
  lo: number,
  hi: number,
  saturate: boolean,
  name: string,
): void {
  const n = src.length;
  if (saturate && src instanceof Float32Array) {
    encodeIntFloat32Array(src, out, lo, hi, name);
    return;
  }
  if (saturate) {
    for (let i = 0; i < n; i++) {
      let v = src[i]!;
      if (v !== v) throw nanError(name, `${name}.encodeArray`, i);
      // Clamp first (this also maps ±Inf to the bounds), then round: bounds are integers so the order is exact.
      v = v < lo ? lo : v > hi ? hi : v;
      out[i] = v + ROUNDER - ROUNDER;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = src[i]!;
    if (v !== v) throw nanError(name, `${name}.encodeArray`, i);
    const r = roundHalfToEven(v);
    if (r < lo || r > hi) throw rangeError(name, `${name}.encodeArray`, v, lo, hi, i);
    out[i] = r;
  }
}

function nanError(name: string, where: string, index?: number): QuantError {
  const at = index === undefined ? '' : ` (element ${String(index)})`;
  return new QuantError(
    'DTYPE_NAN_UNREPRESENTABLE',
    `${where}: NaN${at} cannot be encoded in the integer dtype ${name}; replace or reject NaN before encoding`,
    { details: index === undefined ? { dtype: name } : { dtype: name, index } },
  );
}

function rangeError(name: string, where: string, x: number, lo: number, hi: number, index?: number): QuantError {
  const at = index === undefined ? '' : ` (element ${String(index)})`;
  return new QuantError(
    'DTYPE_VALUE_OUT_OF_RANGE',
    `${where}: ${describeValue(x)}${at} rounds outside the range [${String(lo)}, ${String(hi)}] of ${name}; ` +
      'use { saturate: true } to clamp',
    { details: index === undefined ? { dtype: name, value: x } : { dtype: name, value: x, index } },
  );
}

/**
 * Defines an integer dtype. Codes are the integer values themselves; encoding rounds half to even and clamps to
 * [qmin, qmax] (or throws `DTYPE_VALUE_OUT_OF_RANGE` with `{ saturate: false }`); NaN always throws
 * `DTYPE_NAN_UNREPRESENTABLE`.
 *
 * @throws QuantError `DTYPE_INVALID_DEFINITION` for a bad name, width or signedness.
 * @example
 * ```ts
 * const int3 = defineIntDType({ name: 'int3', bits: 3, signed: true });
 * int3.encode(2.5); // 2
 * int3.encode(9); // 3
 * ```
 */
export function defineIntDType(definition: IntDTypeDefinition): IntDType {
  const where = 'defineIntDType';
  if (typeof definition !== 'object' || definition === null) {
    throw new QuantError(
      'DTYPE_INVALID_DEFINITION',
      `${where}: the definition must be an object, got ${describeValue(definition)}`,
    );
  }
  const name = checkDTypeName(definition.name, where);
  const bits = checkIntegerField(definition.bits, 'bits', 1, 8, where);
  if (definition.signed === undefined) {
    throw new QuantError('DTYPE_INVALID_DEFINITION', `${where}: signed must be true or false (${name})`);
  }
  const signed = checkBooleanField(definition.signed, 'signed', true, where);
  const qmin = signed ? -(2 ** (bits - 1)) : 0;
  const qmax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const codeArray = signed ? ('Int8Array' as const) : ('Uint8Array' as const);
  const validCodes = `integers in [${String(qmin)}, ${String(qmax)}]`;

  const encode = (x: number, options?: EncodeOptions): number => {
    const w = `${name}.encode`;
    const saturate = readSaturate(options, w);
    if (typeof x !== 'number') {
      throw new QuantError('DTYPE_INVALID_ARGUMENT', `${w}: expected a number, got ${describeValue(x)}`);
    }
    if (x !== x) throw nanError(name, w);
    const r = roundHalfToEven(x);
    if (r < qmin || r > qmax) {
      if (!saturate) throw rangeError(name, w, x, qmin, qmax);
      return r < qmin ? qmin : qmax;
    }
    return r + 0;
  };

  const decode = (code: number): number => {
    if (typeof code !== 'number' || !Number.isInteger(code) || code < qmin || code > qmax) {
      throw invalidCodeError(`${name}.decode`, code, validCodes);
    }
    return code + 0;
  };

  const encodeArray = (src: ArrayLike<number>, options?: EncodeArrayOptions): CodeArray => {
    const w = `${name}.encodeArray`;
    checkArrayLike(src, w, 'src');
    const saturate = readSaturate(options, w);
    const out = codeOutput(options?.out, codeArray, src.length, w) as Int8Array | Uint8Array;
    encodeIntArray(src, out, qmin, qmax, saturate, name);
    return out;
  };

  const decodeArray = (codes: ArrayLike<number>, out?: Float32Array): Float32Array => {
    const w = `${name}.decodeArray`;
    checkArrayLike(codes, w, 'codes');
    const n = codes.length;
    const dst = floatOutput(out, n, w);
    if (bits === 8 && (signed ? codes instanceof Int8Array : codes instanceof Uint8Array)) {
      dst.set(codes);
      return dst;
    }
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      if (typeof c !== 'number' || !Number.isInteger(c) || c < qmin || c > qmax) {
        throw invalidCodeError(w, c, validCodes, i);
      }
      dst[i] = c;
    }
    return dst;
  };

  return Object.freeze({
    name,
    kind: 'int' as const,
    bits,
    signed,
    qmin,
    qmax,
    codeArray,
    encode,
    decode,
    encodeArray,
    decodeArray,
  });
}
