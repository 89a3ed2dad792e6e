import { expect, test } from 'vitest';

test('public API is exactly this list', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "assembleQuantizedTensor",
      "cholesky",
      "choleskyInPlace",
      "choleskyInverse",
      "chooseQParams",
      "cosineSimilarity",
      "createElementQuantizer",
      "createTensor",
      "dequantize",
      "fakeQuantize",
      "invertLowerTriangular",
      "matmul",
      "maxAbsError",
      "mse",
      "multiplyAdd",
      "qparamsFromRange",
      "quantize",
      "reduceBlockRange",
      "shapeSize",
      "sqnr",
      "symmetricRankKUpdate",
      "unpackCodes",
      "upperCholeskyOfInverse",
    ]
  `);
});
