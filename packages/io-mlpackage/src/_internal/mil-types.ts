/**
 * MIL `DataType` numbers, their lowbit dtype names, storage widths, and the blob file's own `BlobDataType`
 * numbering (StorageFormat.hpp / BlobDataType.hpp in coremltools).
 */

/** One MIL element type. */
export interface MilDType {
  /** MIL.proto `DataType` number. */
  readonly mil: number;
  /** lowbit / torch spelling. */
  readonly name: string;
  /** Storage bits per element (0 for variable-size strings). */
  readonly bits: number;
  /** `BlobDataType` number, or 0 when the type cannot live in a blob file. */
  readonly blob: number;
  readonly kind: 'float' | 'int' | 'uint' | 'bool' | 'string';
}

const LIST: readonly MilDType[] = [
  { mil: 1, name: 'bool', bits: 8, blob: 0, kind: 'bool' },
  { mil: 2, name: 'string', bits: 0, blob: 0, kind: 'string' },
  { mil: 10, name: 'float16', bits: 16, blob: 1, kind: 'float' },
  { mil: 11, name: 'float32', bits: 32, blob: 2, kind: 'float' },
  { mil: 12, name: 'float64', bits: 64, blob: 0, kind: 'float' },
  { mil: 13, name: 'bfloat16', bits: 16, blob: 5, kind: 'float' },
  { mil: 40, name: 'float8_e4m3fn', bits: 8, blob: 16, kind: 'float' },
  { mil: 41, name: 'float8_e5m2', bits: 8, blob: 17, kind: 'float' },
  { mil: 21, name: 'int8', bits: 8, blob: 4, kind: 'int' },
  { mil: 22, name: 'int16', bits: 16, blob: 6, kind: 'int' },
  { mil: 23, name: 'int32', bits: 32, blob: 14, kind: 'int' },
  { mil: 24, name: 'int64', bits: 64, blob: 0, kind: 'int' },
  { mil: 25, name: 'int4', bits: 4, blob: 8, kind: 'int' },
  { mil: 31, name: 'uint8', bits: 8, blob: 3, kind: 'uint' },
  { mil: 32, name: 'uint16', bits: 16, blob: 7, kind: 'uint' },
  { mil: 33, name: 'uint32', bits: 32, blob: 15, kind: 'uint' },
  { mil: 34, name: 'uint64', bits: 64, blob: 0, kind: 'uint' },
  { mil: 35, name: 'uint4', bits: 4, blob: 11, kind: 'uint' },
  { mil: 36, name: 'uint2', bits: 2, blob: 10, kind: 'uint' },
  { mil: 37, name: 'uint1', bits: 1, blob: 9, kind: 'uint' },
  { mil: 38, name: 'uint6', bits: 6, blob: 13, kind: 'uint' },
  { mil: 39, name: 'uint3', bits: 3, blob: 12, kind: 'uint' },
];

const BY_MIL = new Map(LIST.map((d) => [d.mil, d]));
const BY_NAME = new Map(LIST.map((d) => [d.name, d]));
const BY_BLOB = new Map(LIST.filter((d) => d.blob !== 0).map((d) => [d.blob, d]));

/** The MIL dtype with this `DataType` number, or undefined. */
export function milDTypeByNumber(mil: number): MilDType | undefined {
  return BY_MIL.get(mil);
}

/** The MIL dtype with this lowbit name, or undefined. */
export function milDTypeByName(name: string): MilDType | undefined {
  return BY_NAME.get(name);
}

/** The MIL dtype stored under this `BlobDataType` number, or undefined. */
export function milDTypeByBlob(blob: number): MilDType | undefined {
  return BY_BLOB.get(blob);
}

/** Name of a MIL DataType number for messages (`float16`, or `DataType(99)` when unknown). */
export function milDTypeLabel(mil: number | undefined): string {
  if (mil === undefined) return 'unset';
  return BY_MIL.get(mil)?.name ?? `DataType(${mil})`;
}

/** Byte length of `count` elements of `bits` each, packed. */
export function packedBytes(count: number, bits: number): number {
  return Math.ceil((count * bits) / 8);
}

/** `ArrayDataType` numbers of FeatureTypes.proto. */
export const ARRAY_DATA_TYPE = { float32: 65568, float64: 65600, int32: 131104, int8: 131080, float16: 65552 } as const;
