/// <reference types="node" />
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const ALLOWED = new Set(['@lowbit/dtypes', '@lowbit/spec', '@lowbit/kernels']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

test('src imports only relative files and the allowed @lowbit packages (vitest only under testing/)', () => {
  for (const file of sourceFiles(SRC)) {
    const rel = relative(SRC, file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) {
        expect(spec.endsWith('.js'), `${rel}: relative import ${spec} needs a .js extension`).toBe(true);
        continue;
      }
      if (spec === 'vitest' && rel.startsWith('testing')) continue;
      expect(ALLOWED.has(spec), `${rel} imports ${spec}`).toBe(true);
    }
  }
});

test('the main entry never reaches the testing subpath (no vitest at runtime)', () => {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    }
  };
  visit(join(SRC, 'index.ts'));
  expect([...seen].some((f) => relative(SRC, f).startsWith('testing'))).toBe(false);
});

test('importing the package registers nothing and creates no globals', async () => {
  const before = new Set(Object.getOwnPropertyNames(globalThis));
  const mod = await import('../src/index.js');
  const after = Object.getOwnPropertyNames(globalThis).filter((k) => !before.has(k));
  expect(after).toEqual([]);
  // Frozen constant, not a mutable registry.
  expect(Object.isFrozen(mod.OBSERVER_KINDS)).toBe(true);
});
