/**
 * Packaging check: every package would publish correctly.
 * - publint (strict) on each package (needs `pnpm build` first; says so if dist/ is missing);
 * - the conventions of docs/architecture.md: ESM only, `sideEffects: false`, `files: ["dist"]`, Node >= 20.19
 *   engines, a source condition for every export that points at an existing file, a tsup entry per export,
 *   a README.
 * Run: `pnpm check` (or `tsx tools/check-packages.ts`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

interface Manifest {
  name: string;
  type?: string;
  sideEffects?: boolean;
  files?: string[];
  engines?: { node?: string };
  exports?: Record<string, Record<string, string> | string>;
  bin?: Record<string, string>;
  private?: boolean;
}

const packagesDir = join(import.meta.dirname, '..', 'packages');
const problems: string[] = [];
for (const dir of readdirSync(packagesDir)) {
  const pkgDir = join(packagesDir, dir);
  const manifestPath = join(pkgDir, 'package.json');
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const fail = (message: string): void => {
    problems.push(`${manifest.name}: ${message}`);
  };
  if (manifest.type !== 'module') fail('"type" must be "module" (ESM only)');
  if (manifest.sideEffects !== false) fail('"sideEffects" must be false');
  if (JSON.stringify(manifest.files) !== JSON.stringify(['dist'])) fail('"files" must be ["dist"]');
  if (manifest.engines?.node !== '>=20.19') fail('"engines.node" must be ">=20.19"');
  if (!existsSync(join(pkgDir, 'README.md'))) fail('README.md is missing');
  const tsup = existsSync(join(pkgDir, 'tsup.config.ts')) ? readFileSync(join(pkgDir, 'tsup.config.ts'), 'utf8') : '';
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (subpath === './package.json') continue;
    if (typeof target !== 'object') {
      fail(`exports["${subpath}"] must be an object with @lowbit/source, types and default`);
      continue;
    }
    const source = target['@lowbit/source'];
    if (!source || !existsSync(join(pkgDir, source))) {
      fail(`exports["${subpath}"]["@lowbit/source"] must point at an existing source file (got ${source})`);
    } else if (!tsup.includes(`'${source.replace(/^\.\//, '')}'`)) {
      fail(`tsup.config.ts has no entry for ${source} (exports["${subpath}"])`);
    }
    if (!target.types || !target.default) fail(`exports["${subpath}"] needs "types" and "default"`);
  }
  if (!existsSync(join(pkgDir, 'dist'))) {
    fail('dist/ is missing: run `pnpm build` before `pnpm check`');
    continue;
  }
  const { messages, pkg } = await publint({ pkgDir, level: 'warning', strict: true, pack: 'pnpm' });
  for (const message of messages) fail(`publint ${message.type}: ${formatMessage(message, pkg) ?? message.code}`);
}
if (problems.length > 0) {
  console.error(`check-packages: ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log('check-packages: every package would publish correctly (publint strict, conventions)');
