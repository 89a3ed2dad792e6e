import { listDTypes } from '@lowbit/dtypes';
import { expect, test } from 'vitest';

declare global {
  interface ImportMeta {
    glob(pattern: string, options: { query: '?raw'; import: 'default'; eager: true }): Record<string, string>;
  }
}

const sources = import.meta.glob('../src/**/*.ts', { query: '?raw', import: 'default', eager: true });

test('the sources were found', () => {
  expect(Object.keys(sources).length).toBeGreaterThan(10);
});

test('src imports only @lowbit/dtypes and its own relative files (no Node APIs, no third-party code)', () => {
  let seen = 0;
  for (const [file, text] of Object.entries(sources)) {
    const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/g)].map(
      (m) => m[1],
    );
    for (const specifier of specifiers) {
      seen++;
      expect(
        specifier === '@lowbit/dtypes' || specifier?.startsWith('./') || specifier?.startsWith('../'),
        `${file}: ${specifier}`,
      ).toBe(true);
    }
    expect(text, file).not.toMatch(/\b(process|require|Buffer|globalThis)\b|node:/);
  }
  expect(seen).toBeGreaterThan(30);
});

test('importing changes nothing and is repeatable', async () => {
  const before = [...listDTypes()];
  const first = await import('../src/index.js');
  const second = await import('../src/index.js');
  expect(second).toBe(first);
  expect(listDTypes()).toEqual(before);
  expect(Object.isFrozen(first.PRESETS)).toBe(true);
});
