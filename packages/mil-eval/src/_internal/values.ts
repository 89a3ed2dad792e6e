/**
 * Values inside the evaluator and decoding of immediate MIL literals (the `val` of small `const` ops and literal
 * argument bindings). Blob-stored and constexpr-produced weights are decoded by @lowbit/io-mlpackage instead.
 */
import { bfloat16BitsToFloat32, float16BitsToFloat32, getDType, unpackBits } from '@lowbit/dtypes';
import type { MilValue, MilValueType } from '@lowbit/io-mlpackage';
import type { MilTensor } from '../mil-tensor.js';
import { dataTypeName, integerBits } from './data-types.js';
import { evalError, showShape } from './errors.js';

/** A string tensor (MIL `string` dtype), e.g. conv's `pad_type`. */
export interface StringValue {
  readonly strings: readonly string[];
  readonly shape: readonly number[];
  readonly dtype: 'string';
}

/** Any value the evaluator holds. */
export type EvalValue = MilTensor | StringValue;

/** True for string values. */
export function isStringValue(v: EvalValue): v is StringValue {
  return (v as StringValue).strings !== undefined;
}

/** Element count of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Dtype name and static shape of a tensor ValueType; throws when the type is not a static tensor. */
export function tensorTypeOf(type: MilValueType | undefined, where: string): { dtype: string; shape: number[] } {
  const tt = type?.tensorType;
  if (tt === undefined) throw evalError('MILEVAL_INVALID_PROGRAM', where, 'value is not a tensor');
  const dtype = dataTypeName(tt.dataType);
  if (dtype === undefined) {
    throw evalError('MILEVAL_INVALID_PROGRAM', where, `unknown MIL data type ${String(tt.dataType)}`);
  }
  const rank = tt.rank ?? 0;
  if (rank < 0 || tt.dimensions.length !== rank) {
    throw evalError(
      'MILEVAL_INVALID_PROGRAM',
      where,
      `tensor type has rank ${rank} and ${tt.dimensions.length} dimensions`,
    );
  }
  const shape = tt.dimensions.map((d) => {
    if (d.constant === undefined) return -1;
    return d.constant.size ?? 0;
  });
  return { dtype, shape };
}

function u8(bytes: Uint8Array, align: number): Uint8Array {
  return bytes.byteOffset % align === 0 ? bytes : bytes.slice();
}

/** A typed-array constructor that views `length` integers at `byteOffset` of a buffer. */
interface IntViewConstructor {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayLike<number>;
}

/** Views for the 16- and 32-bit integer dtypes (read in place when the bytes are aligned, else from a copy). */
const WIDE_INT_VIEWS: Readonly<Record<'int16' | 'uint16' | 'int32' | 'uint32', IntViewConstructor>> = {
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
};

function fromBytes(bytes: Uint8Array, dtype: string, count: number, where: string): Float32Array {
  const need = (bits: number): void => {
    const n = Math.ceil((count * bits) / 8);
    if (bytes.length !== n) {
      throw evalError(
        'MILEVAL_INVALID_PROGRAM',
        where,
        `immediate ${dtype} value holds ${bytes.length} bytes, ${count} elements need ${n}`,
      );
    }
  };
  switch (dtype) {
    case 'float16':
    case 'bfloat16': {
      need(16);
      const b = u8(bytes, 2);
      const codes = new Uint16Array(b.buffer, b.byteOffset, count);
      const out = new Float32Array(count);
      const f = dtype === 'float16' ? float16BitsToFloat32 : bfloat16BitsToFloat32;
      for (let i = 0; i < count; i++) out[i] = f(codes[i] as number);
      return out;
    }
    case 'float32': {
      need(32);
      const b = u8(bytes, 4);
      return new Float32Array(b.buffer, b.byteOffset, count).slice();
    }
    case 'float8_e4m3fn':
    case 'float8_e5m2':
      need(8);
      return getDType(dtype).decodeArray(bytes);
    case 'int32':
    case 'uint32':
    case 'int16':
    case 'uint16': {
      const View = WIDE_INT_VIEWS[dtype];
      need(8 * View.BYTES_PER_ELEMENT);
      const b = u8(bytes, View.BYTES_PER_ELEMENT);
      return Float32Array.from(new View(b.buffer, b.byteOffset, count));
    }
    default: {
      const bits = integerBits(dtype);
      if (bits === 0 || bits > 8) {
        throw evalError(
          'MILEVAL_INVALID_PROGRAM',
          where,
          `immediate ${dtype} values stored as bytes are not supported`,
        );
      }
      need(bits);
      if (bits === 8)
        return Float32Array.from(
          dtype === 'int8' ? new Int8Array(bytes.buffer, bytes.byteOffset, count) : bytes.subarray(0, count),
        );
      return Float32Array.from(unpackBits(bytes, bits, count, { signed: dtype.startsWith('int') }));
    }
  }
}

/** Decodes an immediate MIL value (not a blob reference) into an evaluator value. */
export function decodeImmediate(value: MilValue, where: string): EvalValue {
  if (value.blobFileValue !== undefined) {
    throw evalError('MILEVAL_INVALID_PROGRAM', where, 'internal: blob value passed to decodeImmediate');
  }
  const { dtype, shape } = tensorTypeOf(value.type, where);
  if (shape.some((d) => d < 0)) {
    throw evalError('MILEVAL_INVALID_PROGRAM', where, `literal of shape ${showShape(shape)} has a symbolic dimension`);
  }
  const count = sizeOf(shape);
  const tv = value.immediateValue?.tensor;
  if (tv === undefined) {
    throw evalError(
      'MILEVAL_UNSUPPORTED_OP',
      where,
      'only tensor literals are supported (tuple, list and dictionary values are not)',
    );
  }
  const check = (n: number): void => {
    if (n !== count) {
      throw evalError(
        'MILEVAL_INVALID_PROGRAM',
        where,
        `literal holds ${n} elements, its type ${showShape(shape)} needs ${count}`,
      );
    }
  };
  if (tv.strings !== undefined) {
    check(tv.strings.values.length);
    return { strings: tv.strings.values.slice(), shape, dtype: 'string' };
  }
  let data: Float32Array;
  if (tv.floats !== undefined) data = Float32Array.from(tv.floats.values);
  else if (tv.doubles !== undefined) data = Float32Array.from(tv.doubles.values);
  else if (tv.ints !== undefined) data = Float32Array.from(tv.ints.values);
  else if (tv.longInts !== undefined) data = Float32Array.from(tv.longInts.values, (v) => Number(v));
  else if (tv.bools !== undefined) data = Float32Array.from(tv.bools.values, (v) => (v ? 1 : 0));
  else if (tv.bytes !== undefined) data = fromBytes(tv.bytes.values ?? new Uint8Array(0), dtype, count, where);
  else if (count === 0) data = new Float32Array(0);
  else throw evalError('MILEVAL_INVALID_PROGRAM', where, 'literal has no elements');
  check(data.length);
  return { data, shape, dtype };
}
