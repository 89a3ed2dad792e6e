import { resolve } from 'node:path';
import { listWeights, readMlPackage, readWeight } from '@lowbit/io-mlpackage';
import type { WeightInfo } from '@lowbit/io-mlpackage';
import { maxAbsError, sqnr } from '@lowbit/kernels';
import { flag, positionals } from '../command-args.js';
import type { Command } from '../command.js';
import { EXIT } from '../command.js';
import { fixed, formatBytes, formatTable } from '../format-table.js';
import { directorySize } from '../package-size.js';

/** One compared weight. */
export interface CompareRow {
  readonly name: string;
  readonly shape: readonly number[];
  readonly storageA: string;
  readonly storageB: string;
  readonly bytesA: number;
  readonly bytesB: number;
  /** SQNR of B's decoded weight against A's, in dB (null when shapes differ). */
  readonly sqnrDb: number | null;
  readonly maxAbsError: number | null;
  /** Why the weight was not compared, when it was not. */
  readonly note: string | null;
}

function storage(w: WeightInfo): string {
  return w.compression ? `${w.compression.kind}` : w.dtype;
}

/** Compares the decoded weights of two packages of the same model, matched by weight name. */
export async function comparePackages(
  pathA: string,
  pathB: string,
): Promise<{
  rows: CompareRow[];
  onlyInA: string[];
  onlyInB: string[];
  bytesA: number;
  bytesB: number;
  sizeRatio: number;
}> {
  const [a, b] = await Promise.all([readMlPackage(pathA), readMlPackage(pathB)]);
  const weightsB = new Map(listWeights(b).map((w) => [w.id, w]));
  const rows: CompareRow[] = [];
  const onlyInA: string[] = [];
  for (const wa of listWeights(a)) {
    const wb = weightsB.get(wa.id);
    if (!wb) {
      onlyInA.push(wa.name);
      continue;
    }
    weightsB.delete(wa.id);
    const base = {
      name: wa.name,
      shape: wa.shape,
      storageA: storage(wa),
      storageB: storage(wb),
      bytesA: wa.byteSize,
      bytesB: wb.byteSize,
    };
    const same = wa.shape.length === wb.shape.length && wa.shape.every((d, i) => d === wb.shape[i]);
    if (!same) {
      rows.push({ ...base, sqnrDb: null, maxAbsError: null, note: `shape differs: [${wb.shape.join(', ')}] in B` });
      continue;
    }
    const [xa, xb] = await Promise.all([readWeight(a, wa), readWeight(b, wb)]);
    rows.push({ ...base, sqnrDb: sqnr(xa, xb), maxAbsError: maxAbsError(xa, xb), note: null });
  }
  const [bytesA, bytesB] = await Promise.all([directorySize(pathA), directorySize(pathB)]);
  return {
    rows,
    onlyInA,
    onlyInB: [...weightsB.values()].map((w) => w.name),
    bytesA,
    bytesB,
    sizeRatio: bytesA / bytesB,
  };
}

/** `lowbit compare`: per-weight error between two packages of the same model. */
export const compareCommand: Command = {
  name: 'compare',
  summary: 'per-weight SQNR / max error between two packages of one model, and the size ratio',
  help: `usage: lowbit compare <a.mlpackage> <b.mlpackage> [--json]

Decodes every weight of both packages (compressed or not), matches them by name, and prints for each the
SQNR of B against A in dB and the max abs error, then the package sizes and their ratio A/B. Typically A is
the original and B the compressed package.

options:
  --json   print JSON instead of a table
`,
  options: { json: { type: 'boolean' } },
  async run(args, env) {
    const [a, b] = positionals(args, ['a.mlpackage', 'b.mlpackage'], 'compare');
    const result = await comparePackages(resolve(env.cwd, a as string), resolve(env.cwd, b as string));
    if (flag(args, 'json')) {
      env.out(`${JSON.stringify(result, null, 2)}\n`);
      return EXIT.ok;
    }
    const lines = [
      formatTable(
        ['weight', 'shape', 'A', 'B', 'bytes A', 'bytes B', 'SQNR dB', 'max abs err'],
        result.rows.map((r) => [
          r.name,
          `[${r.shape.join(', ')}]`,
          r.storageA,
          r.storageB,
          r.bytesA,
          r.bytesB,
          r.sqnrDb === null ? (r.note ?? '-') : fixed(r.sqnrDb, 2),
          r.maxAbsError === null ? '-' : r.maxAbsError.toExponential(2),
        ]),
      ),
      '',
    ];
    if (result.rows.length === 0 && result.onlyInA.length + result.onlyInB.length > 0) {
      lines.push('no weight names in common: are these two packages of the same model?');
    }
    if (result.onlyInA.length > 0) lines.push(`only in A: ${result.onlyInA.join(', ')}`);
    if (result.onlyInB.length > 0) lines.push(`only in B: ${result.onlyInB.join(', ')}`);
    lines.push(
      `package A ${formatBytes(result.bytesA)}, B ${formatBytes(result.bytesB)}: A/B = ${result.sizeRatio.toFixed(2)}x`,
    );
    env.out(`${lines.join('\n')}\n`);
    return EXIT.ok;
  },
};
