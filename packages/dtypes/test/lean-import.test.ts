import { expect, test, vi } from 'vitest';

test('importing the package logs nothing and changes no globals', async () => {
  const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis));
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
  vi.resetModules();
  const mod = await import('../src/index.js');
  expect(typeof mod.getDType).toBe('function');
  for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  const added = Object.getOwnPropertyNames(globalThis).filter((k) => !globalsBefore.has(k));
  expect(added).toEqual([]);
  for (const spy of spies) spy.mockRestore();
});
