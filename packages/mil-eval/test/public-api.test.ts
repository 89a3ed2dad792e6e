import { expect, test } from 'vitest';

test('public API is exactly this list', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "encodeIdx",
      "evaluateClassifier",
      "idxToImages",
      "layerInputRows",
      "listSupportedOps",
      "loadProgram",
      "parseIdx",
      "readIdxDataset",
      "readIdxImages",
      "readIdxLabels",
      "runProgram",
    ]
  `);
});
