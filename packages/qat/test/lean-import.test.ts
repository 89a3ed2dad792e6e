import { expect, test } from 'vitest';

declare global {
  interface ImportMeta {
    glob(pattern: string, options: { query: '?raw'; import: 'default'; eager: true }): Record<string, string>;
  }
}

const sources = import.meta.glob('../src/**/*.ts', { query: '?raw', import: 'default', eager: true });
const CORE_DEPS = new Set(['@lowbit/dtypes', '@lowbit/spec', '@lowbit/kernels', '@lowbit/observers']);
const TFJS_DEPS = new Set([...CORE_DEPS, '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']);

function importsOf(text: string): string[] {
  return [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/g),
    ...text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g),
  ].map((m) => m[1] as string);
}

test('the sources were found', () => {
  expect(Object.keys(sources).length).toBeGreaterThan(8);
});

test('the core imports only lowbit packages and relative files; only src/tfjs touches tfjs', () => {
  let seen = 0;
  for (const [file, text] of Object.entries(sources)) {
    const inTfjs = file.includes('/src/tfjs/');
    for (const specifier of importsOf(text)) {
      seen++;
      const relative = specifier.startsWith('./') || specifier.startsWith('../');
      const allowed = relative || (inTfjs ? TFJS_DEPS : CORE_DEPS).has(specifier);
      expect(allowed, `${file}: ${specifier}`).toBe(true);
      if (!inTfjs && relative) expect(specifier, `${file} reaches into tfjs/`).not.toMatch(/tfjs/);
    }
    expect(text, file).not.toMatch(/\b(process|require|Buffer|globalThis)\b|node:/);
  }
  expect(seen).toBeGreaterThan(20);
});

test('tfjs-layers is used for types only', () => {
  for (const [file, text] of Object.entries(sources)) {
    for (const m of text.matchAll(/(?:^|\n)\s*import\s+(type\s+)?[^'"]*?from\s+['"]@tensorflow\/tfjs-layers['"]/g)) {
      expect(m[1], `${file} imports tfjs-layers at runtime`).toBe('type ');
    }
  }
});

test('importing the core is repeatable and registers nothing', async () => {
  const first = await import('../src/index.js');
  const second = await import('../src/index.js');
  expect(second).toBe(first);
  const a = first.createQatSchedule([0, 1, 2, 3]);
  const b = second.createQatSchedule([0, 1, 2, 3]);
  a.step();
  expect(b.stepCount).toBe(0);
});
