import { expect, test } from 'vitest';

test('public API is exactly this list', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "OBSERVER_KINDS",
      "createEntropyObserver",
      "createMinMaxObserver",
      "createMovingAverageObserver",
      "createMseObserver",
      "createObserver",
      "createPercentileObserver",
      "restoreObserver",
    ]
  `);
});

test('testing subpath API is exactly this list', async () => {
  expect(Object.keys(await import('../src/testing/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "describeObserverConformance",
    ]
  `);
});
