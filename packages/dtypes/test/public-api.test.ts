import { expect, test } from 'vitest';

test('public API is exactly this list', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "BUILTIN_DTYPES",
      "QuantError",
      "bfloat16BitsToFloat32",
      "createDTypeRegistry",
      "defaultDTypeRegistry",
      "defineFloatDType",
      "defineIntDType",
      "float16BitsToFloat32",
      "float32ToBFloat16Bits",
      "float32ToFloat16Bits",
      "getDType",
      "hasDType",
      "isQuantError",
      "listDTypes",
      "packBits",
      "packedByteLength",
      "roundHalfToEven",
      "unpackBits",
    ]
  `);
});
