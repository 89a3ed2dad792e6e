import { expect, test } from 'vitest';

test('public API is exactly this list', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "checkOpsetUpgrade",
      "compressWeights",
      "createProgramBuilder",
      "decodeModel",
      "decompressWeights",
      "encodeModel",
      "inspectBlobFile",
      "listActivationQuantization",
      "listWeights",
      "quantizeActivations",
      "readMlPackage",
      "readWeight",
      "upgradeOpset",
      "writeMlPackage",
    ]
  `);
});
