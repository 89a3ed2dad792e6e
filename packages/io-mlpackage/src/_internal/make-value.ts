/** Building MIL `Value`s: scalars, immediate tensors and (pending) blob tensors, as coremltools lays them out. */
import { getDType } from '@lowbit/dtypes';
import type { MilDType } from './mil-types.js';
import { milDTypeByName, packedBytes } from './mil-types.js';
import type { MilValue } from '../proto-types.js';
import type { PendingBlob } from './package-state.js';
import { newPendingName } from './package-state.js';
import { tensorValueType } from './values.js';

function dt(name: string): MilDType {
  return milDTypeByName(name) as MilDType;
}

/** A STRING scalar value. */
export function stringScalar(s: string): MilValue {
  return { type: tensorValueType(dt('string'), []), immediateValue: { tensor: { strings: { values: [s] } } } };
}

/** An INT32 tensor value (scalar when `shape` is empty) stored immediately. */
export function int32Value(values: readonly number[], shape: readonly number[] = []): MilValue {
  return {
    type: tensorValueType(dt('int32'), shape),
    immediateValue: { tensor: { ints: { values: Int32Array.from(values) } } },
  };
}

/** A BOOL tensor value (scalar when `shape` is empty). */
export function boolValue(values: readonly boolean[], shape: readonly number[] = []): MilValue {
  return { type: tensorValueType(dt('bool'), shape), immediateValue: { tensor: { bools: { values: [...values] } } } };
}

/** A FLOAT32 immediate tensor (`floats` field). */
export function float32Immediate(values: ArrayLike<number>, shape: readonly number[]): MilValue {
  return {
    type: tensorValueType(dt('float32'), shape),
    immediateValue: { tensor: { floats: { values: Float32Array.from(values) } } },
  };
}

/** Storage bytes (little-endian) of float values in a float dtype. */
export function floatBytes(values: Float32Array, dtype: 'float16' | 'float32'): Uint8Array {
  if (dtype === 'float32') return new Uint8Array(values.slice().buffer);
  const codes = getDType('float16').encodeArray(values) as Uint16Array;
  return new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength).slice();
}

/** Blob-eligible per coremltools: 10+ elements of fp16, fp32, (u)int8 or a sub-byte integer type. */
function goesToBlob(dtype: MilDType, count: number): boolean {
  return count >= 10 && (dtype.name === 'float16' || dtype.name === 'float32' || dtype.bits <= 8) && dtype.blob !== 0;
}

/**
 * A tensor value from storage bytes: a pending blob when coremltools would use the blob file, else an immediate
 * value (`bytes` for fp16 and (sub-)byte types, `floats` for fp32, `ints` for 16/32-bit integers).
 */
export function tensorFromBytes(
  dtype: MilDType,
  shape: readonly number[],
  bytes: Uint8Array,
  pending: Map<string, PendingBlob>,
): MilValue {
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== packedBytes(count, dtype.bits))
    throw new RangeError(
      `internal: ${dtype.name} [${shape.join(', ')}] needs ${packedBytes(count, dtype.bits)} bytes, got ${bytes.length}`,
    );
  if (goesToBlob(dtype, count)) {
    const name = newPendingName();
    pending.set(name, { dtype, count, data: bytes });
    return { type: tensorValueType(dtype, shape), blobFileValue: { fileName: name } };
  }
  return immediateFromBytes(dtype, shape, bytes);
}

/**
 * An immediate tensor value from storage bytes, whatever its size: `bytes` for fp16 and (sub-)byte types,
 * `floats` for fp32, `ints` for 16/32-bit integers. `bytes` must hold exactly the packed element count.
 */
export function immediateFromBytes(dtype: MilDType, shape: readonly number[], bytes: Uint8Array): MilValue {
  const type = tensorValueType(dtype, shape);
  if (dtype.name === 'float32') {
    return { type, immediateValue: { tensor: { floats: { values: new Float32Array(bytes.slice().buffer) } } } };
  }
  if (dtype.bits === 16 && dtype.kind !== 'float') {
    const src = dtype.kind === 'int' ? new Int16Array(bytes.slice().buffer) : new Uint16Array(bytes.slice().buffer);
    return { type, immediateValue: { tensor: { ints: { values: Int32Array.from(src) } } } };
  }
  if (dtype.name === 'int32') {
    return { type, immediateValue: { tensor: { ints: { values: new Int32Array(bytes.slice().buffer) } } } };
  }
  return { type, immediateValue: { tensor: { bytes: { values: bytes } } } };
}
