import { expect, test, vi } from 'vitest';

test('importing the package logs nothing and adds no globals', async () => {
  const before = new Set(Object.keys(globalThis));
  const log = vi.spyOn(console, 'log');
  const warn = vi.spyOn(console, 'warn');
  vi.resetModules();
  await import('../src/index.js');
  expect(Object.keys(globalThis).filter((k) => !before.has(k))).toEqual([]);
  expect(log).not.toHaveBeenCalled();
  expect(warn).not.toHaveBeenCalled();
});
