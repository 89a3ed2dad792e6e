import { describe, expect, test } from 'vitest';
import {
  BUILTIN_DTYPES,
  createDTypeRegistry,
  defaultDTypeRegistry,
  defineFloatDType,
  defineIntDType,
  getDType,
  hasDType,
  isQuantError,
  listDTypes,
  QuantError,
} from '../src/index.js';
import { float6E2M3FN, float6E3M2FN } from '../src/formats/float6.js';

const NAMES = [
  'int2',
  'uint2',
  'int4',
  'uint4',
  'int8',
  'uint8',
  'float8_e4m3fn',
  'float8_e5m2',
  'float6_e2m3fn',
  'float6_e3m2fn',
  'float4_e2m1fn',
  'float8_e8m0fnu',
  'float16',
  'bfloat16',
  'float32',
];

function caught(f: () => unknown): QuantError {
  try {
    f();
  } catch (error) {
    if (isQuantError(error)) return error;
    throw error;
  }
  throw new Error('expected a QuantError');
}

describe('getDType and the default registry', () => {
  test('built-in names', () => {
    expect([...listDTypes()].sort()).toEqual([...NAMES].sort());
    expect(BUILTIN_DTYPES.map((d) => d.name).sort()).toEqual([...NAMES].sort());
    for (const name of NAMES) {
      expect(hasDType(name)).toBe(true);
      expect(getDType(name).name).toBe(name);
      expect(Object.isFrozen(getDType(name))).toBe(true);
    }
    expect(Object.isFrozen(BUILTIN_DTYPES)).toBe(true);
    expect(hasDType('int3')).toBe(false);
  });

  test('unknown names throw DTYPE_UNKNOWN listing every known name', () => {
    const error = caught(() => getDType('int3'));
    expect(error.code).toBe('DTYPE_UNKNOWN');
    expect(error).toBeInstanceOf(QuantError);
    expect(error.message).toMatch(/^getDType: unknown dtype "int3"/);
    for (const name of NAMES) expect(error.message).toContain(name);
  });

  test('the FP6 formats come from their own file through the public extension path', () => {
    expect(getDType('float6_e2m3fn')).toBe(float6E2M3FN);
    expect(getDType('float6_e3m2fn')).toBe(float6E3M2FN);
  });

  test('dtype objects are frozen and their methods work detached', () => {
    const { encode, decode } = getDType('float8_e4m3fn');
    expect(decode(encode(1.1))).toBe(1.125);
    expect(() => {
      (getDType('int8') as { name: string }).name = 'x';
    }).toThrow(TypeError);
  });
});

describe('createDTypeRegistry', () => {
  const int3 = defineIntDType({ name: 'int3', bits: 3, signed: true });

  test('extending the built-ins with one more format', () => {
    const registry = createDTypeRegistry([...BUILTIN_DTYPES, int3]);
    expect(getDType('int3', registry)).toBe(int3);
    expect(registry.list()).toEqual([...NAMES, 'int3']);
    expect(int3.encode(9)).toBe(3);
    expect(int3.encode(-9)).toBe(-4);
    // The default registry is untouched.
    expect(hasDType('int3')).toBe(false);
    expect(defaultDTypeRegistry.has('int3')).toBe(false);
  });

  test('with() returns a new registry; same object twice is fine, a different one under a taken name is not', () => {
    const base = createDTypeRegistry([int3, int3]);
    const more = base.with(getDType('int8'), int3);
    expect(base.list()).toEqual(['int3']);
    expect(more.list()).toEqual(['int3', 'int8']);
    expect(more.find('nope')).toBeUndefined();
    const impostor = defineIntDType({ name: 'int3', bits: 3, signed: false });
    expect(caught(() => base.with(impostor)).code).toBe('DTYPE_DUPLICATE');
    expect(
      caught(() => createDTypeRegistry([...BUILTIN_DTYPES, defineIntDType({ name: 'int8', bits: 8, signed: true })]))
        .code,
    ).toBe('DTYPE_DUPLICATE');
    expect(caught(() => createDTypeRegistry([{ name: 'x' } as never])).code).toBe('DTYPE_INVALID_DEFINITION');
    expect(caught(() => base.get('int8')).code).toBe('DTYPE_UNKNOWN');
    expect(Object.isFrozen(base)).toBe(true);
  });
});

describe('definition validation', () => {
  const bad: [string, () => unknown][] = [
    ['name with upper case', () => defineIntDType({ name: 'Int3', bits: 3, signed: true })],
    ['width 9', () => defineIntDType({ name: 'int9', bits: 9, signed: true })],
    ['missing signed', () => defineIntDType({ name: 'int3', bits: 3 } as never)],
    ['exponentBits 0', () => defineFloatDType({ name: 'f', exponentBits: 0, mantissaBits: 3 })],
    ['mantissaBits 24', () => defineFloatDType({ name: 'f', exponentBits: 8, mantissaBits: 24 })],
    [
      'ieee without mantissa',
      () => defineFloatDType({ name: 'f', exponentBits: 4, mantissaBits: 0, specials: 'ieee' }),
    ],
    [
      'e8m0 with mantissa',
      () => defineFloatDType({ name: 'f', exponentBits: 8, mantissaBits: 1, signed: false, specials: 'e8m0' }),
    ],
    [
      'e8m0 signed',
      () => defineFloatDType({ name: 'f', exponentBits: 8, mantissaBits: 0, signed: true, specials: 'e8m0' }),
    ],
    [
      'unknown specials',
      () => defineFloatDType({ name: 'f', exponentBits: 4, mantissaBits: 3, specials: 'fnuz' as never }),
    ],
    [
      'range beyond float32',
      () => defineFloatDType({ name: 'f', exponentBits: 8, mantissaBits: 3, exponentBias: 100 }),
    ],
    ['not an object', () => defineFloatDType(null as never)],
  ];
  for (const [what, f] of bad) {
    test(what, () => {
      expect(caught(f).code).toBe('DTYPE_INVALID_DEFINITION');
    });
  }

  test('an unsigned float with zero clamps negatives to 0 when saturating and throws otherwise', () => {
    const ue4m3 = defineFloatDType({
      name: 'ufloat8_e4m3fn',
      exponentBits: 4,
      mantissaBits: 4,
      signed: false,
      specials: 'fn',
    });
    expect([ue4m3.bits, ue4m3.qmin, ue4m3.qmax]).toEqual([8, 0, 480]);
    expect(ue4m3.encode(-5)).toBe(0);
    expect(ue4m3.encode(-0)).toBe(0);
    expect(ue4m3.encode(-5, { saturate: false })).toBe(0xff);
    expect(Array.from(ue4m3.encodeArray(new Float32Array([1, -1, 500])))).toEqual([0x70, 0, 0xfe]);
  });
});

describe('argument errors', () => {
  test('encode / decode / arrays', () => {
    const d = getDType('float8_e4m3fn');
    expect(caught(() => d.encode('1' as never)).code).toBe('DTYPE_INVALID_ARGUMENT');
    expect(caught(() => d.encode(1, { saturate: 1 as never })).code).toBe('DTYPE_INVALID_ARGUMENT');
    expect(caught(() => d.encodeArray(new Float32Array(4), { out: new Uint8Array(2) })).code).toBe(
      'DTYPE_INVALID_ARGUMENT',
    );
    expect(caught(() => d.encodeArray(new Float32Array(4), { out: new Int8Array(4) })).code).toBe(
      'DTYPE_INVALID_ARGUMENT',
    );
    expect(caught(() => d.decodeArray([0, 300])).code).toBe('DTYPE_INVALID_CODE');
    expect(caught(() => d.decodeArray([0, 1], new Float32Array(1))).code).toBe('DTYPE_INVALID_ARGUMENT');
    expect(caught(() => getDType('float4_e2m1fn').decodeArray(new Uint8Array([3, 16]))).message).toMatch(
      /16 at index 1/,
    );
    expect(caught(() => getDType('int4').decodeArray(new Int8Array([3, 8]))).code).toBe('DTYPE_INVALID_CODE');
    expect(caught(() => getDType('int8').encode(127.5, { saturate: false })).code).toBe('DTYPE_VALUE_OUT_OF_RANGE');
    expect(getDType('int8').encode(127.4, { saturate: false })).toBe(127);
    expect(caught(() => getDType('float16').decode(65536)).code).toBe('DTYPE_INVALID_CODE');
    expect(caught(() => getDType('float32').decodeArray([2 ** 32])).code).toBe('DTYPE_INVALID_CODE');
  });

  test('encodeArray returns the given out and fills it', () => {
    const d = getDType('int4');
    const out = new Int8Array(3);
    expect(d.encodeArray([1.5, -9, 2.5], { out })).toBe(out);
    expect(Array.from(out)).toEqual([2, -8, 2]);
    const decoded = new Float32Array(3);
    expect(d.decodeArray(out, decoded)).toBe(decoded);
    expect(Array.from(decoded)).toEqual([2, -8, 2]);
  });
});
