import { expect, test } from 'vitest';

test('public API is exactly this list', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "createFakeQuantizer",
      "createQatSchedule",
      "prepare",
    ]
  `);
});

test('the tfjs entry point exports exactly this list', async () => {
  expect(Object.keys(await import('../src/tfjs/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "prepareLayersModel",
    ]
  `);
});
