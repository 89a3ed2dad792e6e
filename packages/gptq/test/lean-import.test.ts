/// <reference types="node" />
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listDTypes } from '@lowbit/dtypes';
import { expect, test, vi } from 'vitest';

const SRC = join(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

test('src imports only its allowed packages and relative files, never Node built-ins', () => {
  const allowed = new Set(['@lowbit/dtypes', '@lowbit/spec', '@lowbit/kernels']);
  const files = sourceFiles(SRC);
  expect(files.length).toBeGreaterThan(3);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'/g)) {
      const target = m[1]!;
      if (target.startsWith('.')) expect(target, file).toMatch(/\.js$/);
      else expect(allowed.has(target), `${file} imports ${target}`).toBe(true);
    }
    expect(text, file).not.toMatch(/\b(process|require|Buffer|__dirname)\b[.(]/);
  }
});

test('importing the package has no side effects and exposes only functions', async () => {
  const before = [...listDTypes()];
  const globals = new Set(Object.keys(globalThis));
  const log = vi.spyOn(console, 'log');
  const warn = vi.spyOn(console, 'warn');
  vi.resetModules();
  const mod = (await import('../src/index.js')) as Record<string, unknown>;
  expect([...listDTypes()]).toEqual(before);
  expect(Object.keys(globalThis).filter((k) => !globals.has(k))).toEqual([]);
  expect(log).not.toHaveBeenCalled();
  expect(warn).not.toHaveBeenCalled();
  for (const [name, value] of Object.entries(mod)) expect(typeof value, name).toBe('function');
});
