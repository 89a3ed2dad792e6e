import { expect, test, vi } from 'vitest';

test('importing the package registers nothing, writes no global and logs nothing', async () => {
  const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis));
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
  const { getDType, listDTypes } = await import('@lowbit/dtypes');
  const dtypesBefore = [...listDTypes()];
  vi.resetModules();
  const mod = await import('../src/index.js');
  expect(typeof mod.readMlPackage).toBe('function');
  expect([...listDTypes()]).toEqual(dtypesBefore);
  expect(getDType('float16').bits).toBe(16);
  const added = Object.getOwnPropertyNames(globalThis).filter((k) => !globalsBefore.has(k));
  expect(added).toEqual([]);
  for (const s of spies) expect(s).not.toHaveBeenCalled();
  for (const s of spies) s.mockRestore();
});
