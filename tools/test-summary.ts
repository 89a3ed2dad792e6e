/**
 * Prints the closing line of `pnpm test` from vitest's JSON report: `tests: N passed, N failed, N skipped`.
 * Exits 1 when the report is missing or shows failures, or when no test ran at all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

const path = join(import.meta.dirname, '..', '.vitest-results.json');
let report: VitestJsonReport;
try {
  report = JSON.parse(readFileSync(path, 'utf8')) as VitestJsonReport;
} catch (error) {
  console.error(`test-summary: cannot read ${path}: ${(error as Error).message}`);
  process.exit(1);
}
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
if (report.numFailedTests > 0 || report.numPassedTests === 0) process.exitCode = 1;
