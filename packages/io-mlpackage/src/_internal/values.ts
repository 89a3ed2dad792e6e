/**
 * Turning MIL `Value`s into numbers and back: tensor types, immediate values, blob references, and conversion
 * of every storage dtype to float32 or integers.
 */
import { bfloat16BitsToFloat32, getDType, unpackBits } from '@lowbit/dtypes';
import { badModel } from './errors.js';
import type { MilDType } from './mil-types.js';
import { milDTypeByNumber, milDTypeLabel, packedBytes } from './mil-types.js';
import type { MilBlobFileValue, MilTensorType, MilValue, MilValueType } from '../proto-types.js';

/** A tensor's elements as stored: raw little-endian bytes (blob or `bytes` immediate) or a list of numbers. */
export interface RawTensor {
  readonly dtype: MilDType;
  readonly shape: readonly number[];
  readonly count: number;
  /** Storage bytes (packed LSB-first for sub-byte types), or null when `numbers` holds the elements. */
  readonly bytes: Uint8Array | null;
  readonly numbers: ArrayLike<number> | null;
  /** Where the data came from. */
  readonly storage: 'blob' | 'immediate';
  readonly blob: { readonly fileName: string; readonly offset: number } | null;
}

/** A static tensor type: dtype and shape, or a reason it is not static. */
export type StaticTensorType =
  | { readonly ok: true; readonly dtype: MilDType; readonly shape: number[]; readonly count: number }
  | { readonly ok: false; readonly reason: string };

/** Reads dtype and a fully static shape from a ValueType. */
export function staticTensorType(type: MilValueType | undefined): StaticTensorType {
  const tt: MilTensorType | undefined = type?.tensorType;
  if (tt === undefined) return { ok: false, reason: 'value is not a tensor' };
  const dtype = tt.dataType === undefined ? undefined : milDTypeByNumber(tt.dataType);
  if (dtype === undefined) return { ok: false, reason: `unknown tensor data type ${milDTypeLabel(tt.dataType)}` };
  const rank = tt.rank ?? 0;
  const dims = tt.dimensions ?? [];
  if (rank < 0) return { ok: false, reason: 'tensor has unknown rank' };
  if (dims.length !== rank) return { ok: false, reason: `tensor rank ${rank} but ${dims.length} dimensions` };
  const shape: number[] = [];
  let count = 1;
  for (const d of dims) {
    const size = d.constant?.size;
    if (d.constant === undefined || d.unknown !== undefined)
      return { ok: false, reason: 'tensor has a symbolic dimension' };
    const s = size ?? 0;
    shape.push(s);
    count *= s;
  }
  if (!Number.isSafeInteger(count))
    return { ok: false, reason: `tensor of shape [${shape.join(', ')}] has too many elements` };
  return { ok: true, dtype, shape, count };
}

/** Builds a tensor ValueType. */
export function tensorValueType(dtype: MilDType, shape: readonly number[]): MilValueType {
  const tensorType: MilTensorType = {
    dataType: dtype.mil,
    dimensions: shape.map((size) => (size === 0 ? { constant: {} } : { constant: { size } })),
    attributes: new Map(),
  };
  if (shape.length > 0) tensorType.rank = shape.length;
  return { tensorType };
}

/** The blob reference of a value, if it has one. */
export function blobRef(value: MilValue): MilBlobFileValue | undefined {
  return value.blobFileValue;
}

/** Immediate tensor elements of a value, checked against its type; null if the value is a blob. */
export function immediateTensor(value: MilValue, where: string): RawTensor | null {
  if (value.blobFileValue !== undefined) return null;
  const t = staticTensorType(value.type);
  if (!t.ok) throw badModel(where, `${t.reason}`);
  const tv = value.immediateValue?.tensor;
  if (tv === undefined) throw badModel(where, `value has neither an immediate tensor nor a blob reference`);
  const base = { dtype: t.dtype, shape: t.shape, count: t.count, storage: 'immediate' as const, blob: null };
  const check = (n: number) => {
    if (n !== t.count)
      throw badModel(where, `immediate value holds ${n} elements, its type [${t.shape.join(', ')}] needs ${t.count}`);
  };
  if (tv.bytes !== undefined) {
    const bytes = tv.bytes.values ?? new Uint8Array(0);
    const need = packedBytes(t.count, t.dtype.bits);
    if (bytes.length !== need) {
      throw badModel(
        where,
        `immediate ${t.dtype.name} bytes hold ${bytes.length} bytes, shape [${t.shape.join(', ')}] needs ${need}`,
      );
    }
    return { ...base, bytes, numbers: null };
  }
  if (tv.floats !== undefined) {
    check(tv.floats.values.length);
    return { ...base, bytes: null, numbers: tv.floats.values };
  }
  if (tv.doubles !== undefined) {
    check(tv.doubles.values.length);
    return { ...base, bytes: null, numbers: tv.doubles.values };
  }
  if (tv.ints !== undefined) {
    check(tv.ints.values.length);
    return { ...base, bytes: null, numbers: tv.ints.values };
  }
  if (tv.longInts !== undefined) {
    check(tv.longInts.values.length);
    return { ...base, bytes: null, numbers: tv.longInts.values.map((v) => Number(v)) };
  }
  if (tv.bools !== undefined) {
    check(tv.bools.values.length);
    return { ...base, bytes: null, numbers: tv.bools.values.map((v) => (v ? 1 : 0)) };
  }
  throw badModel(where, `immediate ${t.dtype.name} tensor in an unsupported representation (strings?)`);
}

function aligned(bytes: Uint8Array, align: number): Uint8Array {
  return bytes.byteOffset % align === 0 ? bytes : bytes.slice();
}

/** Converts stored elements to float32 (exact for every dtype except float64). */
export function rawToFloat32(raw: RawTensor): Float32Array {
  const { dtype, count } = raw;
  if (raw.numbers !== null) return Float32Array.from(raw.numbers);
  const bytes = raw.bytes as Uint8Array;
  switch (dtype.name) {
    case 'float16': {
      const codes = new Uint16Array(aligned(bytes, 2).buffer, aligned(bytes, 2).byteOffset, count);
      return getDType('float16').decodeArray(codes);
    }
    case 'bfloat16': {
      const b = aligned(bytes, 2);
      const codes = new Uint16Array(b.buffer, b.byteOffset, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = bfloat16BitsToFloat32(codes[i] as number);
      return out;
    }
    case 'float32': {
      const b = aligned(bytes, 4);
      return new Float32Array(b.buffer, b.byteOffset, count).slice();
    }
    case 'float64': {
      const b = aligned(bytes, 8);
      return Float32Array.from(new Float64Array(b.buffer, b.byteOffset, count));
    }
    case 'float8_e4m3fn':
    case 'float8_e5m2':
      return getDType(dtype.name).decodeArray(bytes.subarray(0, count));
    default:
      return Float32Array.from(rawToIntegers(raw));
  }
}

/** Converts stored integer (or bool) elements to an Int32Array-compatible array of numbers. */
export function rawToIntegers(raw: RawTensor): ArrayLike<number> {
  const { dtype, count } = raw;
  if (raw.numbers !== null) return raw.numbers;
  const bytes = raw.bytes as Uint8Array;
  if (dtype.kind === 'float' || dtype.kind === 'string')
    throw new TypeError(`internal: ${dtype.name} is not an integer type`);
  if (dtype.bits < 8) return unpackBits(bytes, dtype.bits, count, { signed: dtype.kind === 'int' });
  switch (dtype.bits) {
    case 8:
      return dtype.kind === 'int' ? new Int8Array(bytes.buffer, bytes.byteOffset, count) : bytes.subarray(0, count);
    case 16: {
      const b = aligned(bytes, 2);
      return dtype.kind === 'int'
        ? new Int16Array(b.buffer, b.byteOffset, count)
        : new Uint16Array(b.buffer, b.byteOffset, count);
    }
    case 32: {
      const b = aligned(bytes, 4);
      return dtype.kind === 'int'
        ? new Int32Array(b.buffer, b.byteOffset, count)
        : new Uint32Array(b.buffer, b.byteOffset, count);
    }
    default: {
      const b = aligned(bytes, 8);
      const src =
        dtype.kind === 'int'
          ? new BigInt64Array(b.buffer, b.byteOffset, count)
          : new BigUint64Array(b.buffer, b.byteOffset, count);
      return Array.from(src, (v) => Number(v));
    }
  }
}
