import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/** Export condition that points every `@lowbit/*` import at its TypeScript source, so tests need no build. */
const SOURCE_CONDITION = '@lowbit/source';

const packagesDir = join(import.meta.dirname, 'packages');
const packageRoots = readdirSync(packagesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(packagesDir, entry.name, 'package.json')))
  .map((entry) => join(packagesDir, entry.name));

function packageName(root: string): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }).name;
}

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION] },
  // The node environment resolves through the SSR pipeline, so the condition must be repeated here.
  ssr: { resolve: { conditions: [SOURCE_CONDITION] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    benchmark: { include: ['bench/**/*.bench.ts'] },
    projects: [
      ...packageRoots.map((root) => ({
        extends: true as const,
        test: { root, name: packageName(root) },
      })),
      { extends: true as const, test: { root: join(import.meta.dirname, 'tools'), name: 'tools' } },
    ],
  },
});
