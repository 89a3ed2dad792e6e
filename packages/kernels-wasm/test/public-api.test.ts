import { expect, test } from 'vitest';

test('public API is exactly this list', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "createDefaultBackend",
      "createKernelRegistry",
      "createWasmBackend",
      "createWasmKernels",
      "createWorkerPool",
      "referenceBackend",
      "sharedMemorySupported",
      "wasmSimdSupported",
    ]
  `);
});

test('testing subpath API is exactly this list', async () => {
  expect(Object.keys(await import('../src/testing/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "describeKernelConformance",
      "productTolerance",
    ]
  `);
});
