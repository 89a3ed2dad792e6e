import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { checkDependencyGraph } from '../lib/dependency-graph.js';

const created: string[] = [];
afterEach(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function workspace(packages: Record<string, { deps?: string[]; source?: string }>): string {
  const root = mkdtempSync(join(tmpdir(), 'lowbit-deps-'));
  created.push(root);
  for (const [name, { deps = [], source = 'export {};\n' }] of Object.entries(packages)) {
    mkdirSync(join(root, name, 'src'), { recursive: true });
    const dependencies = Object.fromEntries(deps.map((d) => [d, 'workspace:^']));
    writeFileSync(join(root, name, 'package.json'), JSON.stringify({ name: `@lowbit/${name}`, dependencies }));
    writeFileSync(join(root, name, 'src', 'index.ts'), source);
  }
  return root;
}

describe('checkDependencyGraph', () => {
  test('the real workspace follows the DAG', () => {
    const violations = checkDependencyGraph(join(import.meta.dirname, '..', '..', 'packages'));
    expect(violations).toEqual([]);
  });

  test('accepts a legal graph', () => {
    const root = workspace({
      dtypes: {},
      spec: { deps: ['@lowbit/dtypes'], source: "import { getDType } from '@lowbit/dtypes';\n" },
    });
    expect(checkDependencyGraph(root)).toEqual([]);
  });

  test('fails on a planted violation: io-mlpackage importing an algorithm', () => {
    const root = workspace({
      dtypes: {},
      spec: { deps: ['@lowbit/dtypes'] },
      kernels: { deps: ['@lowbit/dtypes', '@lowbit/spec'] },
      'io-mlpackage': {
        deps: ['@lowbit/dtypes', '@lowbit/spec'],
        source: "import { quantize } from '@lowbit/kernels';\nexport const q = quantize;\n",
      },
    });
    const violations = checkDependencyGraph(root);
    expect(violations.map((v) => v.pkg)).toContain('io-mlpackage');
    expect(violations.some((v) => /imports @lowbit\/kernels/.test(v.message))).toBe(true);
  });

  test('fails when a package declares a forbidden workspace dependency', () => {
    const root = workspace({ dtypes: { deps: ['@lowbit/spec'] }, spec: { deps: ['@lowbit/dtypes'] } });
    const messages = checkDependencyGraph(root).map((v) => v.message);
    expect(messages.some((m) => m.includes('package.json declares @lowbit/spec'))).toBe(true);
    expect(messages.some((m) => m.startsWith('dependency cycle'))).toBe(true);
  });

  test('fails when something imports the CLI', () => {
    const root = workspace({ cli: {}, ptq: { source: "export * from '@lowbit/cli';\n" } });
    expect(checkDependencyGraph(root).some((v) => v.pkg === 'ptq' && v.message.includes('@lowbit/cli'))).toBe(true);
  });

  test('fails on third-party runtime dependencies in core packages and on unknown packages', () => {
    const root = workspace({ dtypes: { source: "import lodash from 'lodash';\n" }, mystery: {} });
    const messages = checkDependencyGraph(root).map((v) => v.message);
    expect(messages.some((m) => m.includes('third-party package lodash'))).toBe(true);
    expect(messages.some((m) => m.includes('"mystery" is not in the DAG'))).toBe(true);
  });

  test('fails on an undeclared workspace import', () => {
    const root = workspace({ dtypes: {}, spec: { source: "import type { DType } from '@lowbit/dtypes';\n" } });
    expect(checkDependencyGraph(root).some((v) => v.message.includes('without declaring it'))).toBe(true);
  });
});
