import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { QuantError } from '@lowbit/dtypes';

/** File name of the bundled model inside the demo data directory. */
export const DEMO_MODEL = 'fashion-mnist-classifier.mlpackage';

/** Where the demo data lives inside a clone of the lowbit repository. */
const REPO_RELATIVE = join('tools', 'demo-data');

/**
 * Finds the bundled demo data (model, 10k test images, calibration images): `explicit` when given, else
 * `$LOWBIT_DEMO_DATA`, else `tools/demo-data` in the enclosing lowbit checkout (searched upwards from this
 * file, so it works from source and from a build).
 * @throws QuantError `CLI_IO` saying where it looked and how to point at the data.
 */
export function findDemoData(explicit?: string, cwd: string = process.cwd()): string {
  const candidates: string[] = [];
  if (explicit !== undefined) candidates.push(resolve(cwd, explicit));
  else if (process.env['LOWBIT_DEMO_DATA']) candidates.push(resolve(cwd, process.env['LOWBIT_DEMO_DATA']));
  else {
    let dir = import.meta.dirname;
    for (;;) {
      candidates.push(join(dir, REPO_RELATIVE));
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  const found = candidates.find((c) => existsSync(join(c, DEMO_MODEL)));
  if (found) return found;
  throw new QuantError(
    'CLI_IO',
    `demo data not found (looked for ${DEMO_MODEL} in ${candidates.slice(0, 3).join(', ')}${candidates.length > 3 ? ', ...' : ''}); ` +
      `a clone of the lowbit repository has it in ${REPO_RELATIVE}: pass --data <dir> or set LOWBIT_DEMO_DATA`,
  );
}
