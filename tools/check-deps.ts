/**
 * Enforces the package DAG of docs/architecture.md: exits 1 and lists every violation.
 * Run: `pnpm check` (or `tsx tools/check-deps.ts`).
 */
import { join } from 'node:path';
import { checkDependencyGraph } from './lib/dependency-graph.js';

const packagesDir = join(import.meta.dirname, '..', 'packages');
const violations = checkDependencyGraph(packagesDir);
if (violations.length > 0) {
  console.error(`check-deps: ${violations.length} violation(s) of the package DAG (docs/architecture.md):`);
  for (const v of violations) console.error(`  @lowbit/${v.pkg}: ${v.message}\n    at ${v.file}`);
  process.exit(1);
}
console.log('check-deps: the package graph follows docs/architecture.md');
