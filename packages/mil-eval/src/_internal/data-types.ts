/** MIL `DataType` numbers (MIL.proto) and the lowbit names the evaluator uses for them. */

const NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'bool'],
  [2, 'string'],
  [10, 'float16'],
  [11, 'float32'],
  [12, 'float64'],
  [13, 'bfloat16'],
  [40, 'float8_e4m3fn'],
  [41, 'float8_e5m2'],
  [21, 'int8'],
  [22, 'int16'],
  [23, 'int32'],
  [24, 'int64'],
  [25, 'int4'],
  [31, 'uint8'],
  [32, 'uint16'],
  [33, 'uint32'],
  [34, 'uint64'],
  [35, 'uint4'],
  [36, 'uint2'],
  [37, 'uint1'],
  [38, 'uint6'],
  [39, 'uint3'],
]);

/** The lowbit name of a MIL DataType number, or undefined when unknown. */
export function dataTypeName(mil: number | undefined): string | undefined {
  return mil === undefined ? undefined : NAMES.get(mil);
}

/** Storage bits of an integer / bool dtype name (`int4` -> 4), or 0 for others. */
export function integerBits(name: string): number {
  const m = /^u?int(\d+)$/.exec(name);
  if (m !== null) return Number(m[1]);
  return name === 'bool' ? 8 : 0;
}

/** True for float element types. */
export function isFloatDType(name: string): boolean {
  return name.startsWith('float') || name === 'bfloat16';
}
