import { getDType } from '@lowbit/dtypes';
import { chooseQParams, fakeQuantize, maxAbsError, sqnr } from '@lowbit/kernels';
import type { QParams } from '@lowbit/kernels';
import { describeSpec, getPreset, listPresets } from '@lowbit/spec';
import type { QuantizationSpec } from '@lowbit/spec';
import { flag } from '../command-args.js';
import type { Command } from '../command.js';
import { EXIT } from '../command.js';
import { fixed, formatTable } from '../format-table.js';
import { normalArray, studentTArray } from '../seeded-random.js';

const SCALE_BITS: Readonly<Record<string, number>> = { float32: 32, float16: 16, float8_e8m0fnu: 8, float8_e4m3fn: 8 };

/** Storage bits per weight of a quantized tensor: codes plus scales plus zero points / minvals. */
export function bitsPerWeight(spec: QuantizationSpec, qparams: QParams, elements: number): number {
  const blocks = qparams.scales.length;
  const codeBits = getDType(spec.dtype).bits;
  const scaleBits = SCALE_BITS[spec.scaleDtype ?? 'float32'] ?? 32;
  const offsetBits = qparams.zeroPoints ? codeBits : qparams.minvals ? 32 : 0;
  return codeBits + (blocks * (scaleBits + offsetBits)) / elements;
}

/** Rows of the presets table: SQNR and max error on N(0,1) and Student-t(3) weights, and bits per weight. */
export function presetsRows(rows = 1024, cols = 4096): (string | number)[][] {
  const distributions = [normalArray(rows * cols, 0), studentTArray(rows * cols, 3, 0)];
  const out: (string | number)[][] = [];
  for (const name of listPresets()) {
    const spec = getPreset(name).global;
    if (!spec) continue;
    const cells: (string | number)[] = [name, describeSpec(spec)];
    let bits = 0;
    for (const data of distributions) {
      const tensor = { data, shape: [rows, cols] };
      const qparams = chooseQParams(tensor, spec, { opKind: 'linear' });
      const approx = fakeQuantize(tensor, spec, { opKind: 'linear', qparams }).data;
      cells.push(fixed(sqnr(data, approx), 2), maxAbsError(data, approx).toExponential(2));
      bits = bitsPerWeight(spec, qparams, rows * cols);
    }
    cells.push(fixed(bits, 3));
    out.push(cells);
  }
  return out;
}

/** Column names of {@link presetsRows}. */
export const PRESETS_HEADER = [
  'preset',
  'weight spec',
  'SQNR N(0,1)',
  'max err N(0,1)',
  'SQNR t(3)',
  'max err t(3)',
  'bits/weight',
] as const;

/** `lowbit presets`: what every preset does to a seeded Gaussian and a heavy-tailed weight matrix. */
export const presetsCommand: Command = {
  name: 'presets',
  summary: 'compare every preset on seeded N(0,1) and Student-t(3) weight matrices',
  help: `usage: lowbit presets [--json]

Quantizes a seeded 1024x4096 linear weight drawn from N(0,1) and one drawn from a Student-t distribution with
3 degrees of freedom (heavy tails) with every preset, and prints SQNR (dB), max abs error, and bits per
weight including scales and zero points.

options:
  --json   print JSON instead of a table
`,
  options: { json: { type: 'boolean' } },
  async run(args, env) {
    const rows = presetsRows();
    if (flag(args, 'json')) {
      env.out(
        `${JSON.stringify(
          rows.map((r) => Object.fromEntries(PRESETS_HEADER.map((h, i) => [h, r[i]]))),
          null,
          2,
        )}\n`,
      );
    } else {
      env.out(`${formatTable(PRESETS_HEADER, rows)}\n`);
    }
    return EXIT.ok;
  },
};
