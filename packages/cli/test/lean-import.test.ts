import { expect, test, vi } from 'vitest';

test('importing the package runs nothing: no output, no globals, no exit code', async () => {
  const before = new Set(Object.keys(globalThis));
  const write = vi.spyOn(process.stdout, 'write');
  const exitCode = process.exitCode;
  vi.resetModules();
  await import('../src/index.js');
  expect(Object.keys(globalThis).filter((k) => !before.has(k))).toEqual([]);
  expect(write).not.toHaveBeenCalled();
  expect(process.exitCode).toBe(exitCode);
});
